// A hub and one enrolled point on a scratch directory, for the fuzz targets
// that talk sync (fuzz_sync_decode, fuzz_bundle). Built once per process,
// deterministically: the seeded random stream gives the same node keys on
// every run, so seed files signed for these keys (tests/fuzz/corpus) stay
// valid. Databases skip fsync: the targets test parsing, not power cuts.
#pragma once
#include <SQLiteCpp/Database.h>

#include <memory>
#include <string>

#include "../unit/sync_test_util.hpp"
#include "../../sync/src/sync_auth.hpp"
#include "../../sync/src/sync_codec.hpp"
#include "../unit/sample_intake.hpp"
#include "harness.hpp"
#include "motcua/node/dossiers.hpp"
#include "motcua/node/node.hpp"
#include "motcua/sync/client.hpp"
#include "motcua/sync/hub.hpp"

namespace motcua::fuzz {

namespace wire = sync::wire;

// 2025-07-01T02:00:00Z = 09:00 on a Tuesday in Vietnam; the clock never moves.
constexpr int64_t kWorldMs = 1751335200000;

struct HubWorld {
  std::string dir;
  ManualClock clock{kWorldMs};
  SeededRandom rng{8};
  std::unique_ptr<node::Node> hub_node;
  std::unique_ptr<sync::Hub> hub;
  std::unique_ptr<node::Node> point;
  std::unique_ptr<test::DirectTransport> transport;
  std::string session;  // an open sync session of the point

  HubWorld() : dir(scratch_dir("hub")) {
    hub_node = test::make_node(dir + "/hub", clock, rng, node::Role::Hub, "hub");
    hub_node->db()->exec("PRAGMA synchronous = OFF");
    hub = std::make_unique<sync::Hub>(*hub_node, sync::make_sqlite_hub_store(*hub_node));
    auto code = hub->add_point({"diem-1", "xa-an-thi", 100, 2, 3600 * 1000});
    if (!code.ok()) fail("world: add_point: " + code.error().message);
    point = test::make_node(dir + "/point", clock, rng, node::Role::Point, "diem-1");
    point->db()->exec("PRAGMA synchronous = OFF");
    transport = std::make_unique<test::DirectTransport>(*hub);
    auto j = sync::join(*point, *transport, "http://hub.test", code->code);
    if (!j.ok()) fail("world: join: " + j.error().message);
    auto hello = wire::encode(Json{{"type", "hello"}, {"heads", Json::object()}, {"cursor", 0}}, {});
    auto res = hub->handle(request("hello", hello.value(), "-"));
    auto d = wire::decode(res.body, 1 << 20);
    if (res.status != 200 || !d.ok()) fail("world: hello refused");
    session = d->header.value("session", std::string());
  }
  ~HubWorld() {
    transport.reset();
    point.reset();
    hub.reset();
    hub_node.reset();
    remove_dir(dir);
  }

  // A request of the point to /sync/v2/<kind>, signed over `body`.
  sync::WireRequest request(const std::string& kind, std::string body, const std::string& sess) {
    return sync::auth::make_request("/sync/v2/" + kind, std::move(body), point->keys(), sess, clock.now_ms(), rng);
  }

  static HubWorld& get() {
    static HubWorld w;
    return w;
  }
};

// The point of its own HubWorld with one dossier taken in and not yet
// pushed: what fuzz_sync_client's scripted hub talks to, and what
// make_seeds records a real session of (same seeds, same keys and entries).
struct ClientWorld {
  HubWorld w;
  std::string code;  // the dossier taken in

  ClientWorld() {
    node::DossierService svc(*w.point);
    const Json intake = motcua::test::birth_registration_intake();
    auto made = svc.intake(node::Actor{"clerk1", node::UserRole::Clerk}, intake);
    if (!made.ok()) fail("client world: intake: " + made.error().message);
    code = (*made)["code"].get<std::string>();
  }
};

}  // namespace motcua::fuzz
