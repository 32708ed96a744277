// motcua restore (docs/backup-format.md, design 0094): a restored point is
// restoring until its sync fetched its own chain; a restored hub takes a new
// epoch and the points give back what it lost. Archives: backup_test.cpp.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "../../node/src/codes.hpp"
#include "../../sync/src/sync_util.hpp"
#include "backup_test_util.hpp"
#include "dossier_fixture.hpp"
#include "http_test_util.hpp"
#include "motcua/keyfile.hpp"
#include "motcua/node/blobs.hpp"
#include "motcua/sync/backup.hpp"
#include "serve_process.hpp"
#include "sync_test_util.hpp"

using namespace motcua;
using namespace motcua::test;
using namespace motcua::test::backup_util;
namespace fs = std::filesystem;
namespace backup = motcua::sync::backup;
namespace util = motcua::sync::util;

namespace {

Result<backup::RestoreResult> restore_into(SyncWorld& w, const std::string& file, const std::string& dir) {
  backup::RestoreOptions ro;
  ro.file = file;
  ro.data_dir = dir;
  ro.random = &w.rng;
  ro.projector = scope_projector;
  return backup::restore(ro);
}

std::string backup_of(SyncWorld& w, const std::string& data_dir, const std::string& name) {
  backup::CreateOptions o;
  o.data_dir = data_dir;
  o.file = w.dir.sub(name);
  o.clock = &w.clock;
  auto r = backup::create(o);
  REQUIRE(r.ok());
  REQUIRE(backup::verify(o.file, scope_verify()).ok());
  return o.file;
}

}  // namespace

TEST_CASE("a restored point takes nothing in until its sync fetched its own chain, then never reprints a number",
          "[backup]") {
  const bool hub_ahead = GENERATE(true, false);
  SyncWorld w;
  size_t a = w.add_point("a", "area-x");
  const std::string first = w.take_in(a).subject;
  REQUIRE(w.sync(a).ok());
  std::string second;
  std::string file;
  if (hub_ahead) {
    file = backup_of(w, w.dir.sub("a"), "a.backup");
    second = w.take_in(a).subject;  // printed and synced after the backup
    REQUIRE(w.sync(a).ok());
  } else {
    second = w.take_in(a).subject;
    REQUIRE(w.sync(a).ok());
    file = backup_of(w, w.dir.sub("a"), "a.backup");  // holds everything the hub holds
  }
  const std::string epoch_before = w.points[a]->meta("epoch");
  const PublicKey ka = w.points[a]->keys().pk;
  // The PC dies; its data directory is gone.
  w.points[a].reset();
  fs::remove_all(w.dir.sub("a"));
  auto r = restore_into(w, file, w.dir.sub("a"));
  INFO((r.ok() ? "" : r.error().message));
  REQUIRE(r.ok());
  CHECK(r->enrolled);
  CHECK(r->restoring);
  CHECK(r->epoch.empty());
  w.points[a] = open_existing(w.dir.sub("a"), w.clock, scope_projector);
  node::Node& pa = *w.points[a];
  CHECK(pa.keys().pk == ka);
  CHECK(pa.meta("restoring") == "1");
  CHECK(pa.meta("epoch") == epoch_before);
  auto refused = node::codes::mint(pa, pa.clock().now_ms());
  REQUIRE(!refused.ok());
  CHECK(refused.error().code == "point_restoring");

  auto synced = w.sync(a);
  INFO((synced.ok() ? "" : synced.error().message));
  REQUIRE(synced.ok());
  CHECK(pa.meta("restoring") == "");
  CHECK(pa.meta("epoch") != epoch_before);
  CHECK(pa.meta("epoch").size() == 32);
  CHECK(pa.journal().heads()[ka] == w.hub_node->journal().heads()[ka]);
  auto subjects = pa.journal().subjects();
  CHECK(std::count(subjects.begin(), subjects.end(), second) == 1);
  const std::string third = w.take_in(a).subject;
  CHECK(third != first);
  CHECK(third != second);
  REQUIRE(w.sync(a).ok());
  CHECK(w.hub->store().point("a")->epoch == pa.meta("epoch"));
  CHECK(w.hub->store().point("a")->status == "active");
  CHECK(pa.journal().verify().ok());
  CHECK(w.held_at_hub() == 0);
}

TEST_CASE("a hub restored from an older backup takes a new epoch, the points pull again and give back what it lost",
          "[backup]") {
  SyncWorld w;
  size_t a = w.add_point("a", "area-x");
  size_t b = w.add_point("b", "area-x");
  const std::string x1 = w.take_in(a).subject;
  REQUIRE(w.sync(a).ok());
  REQUIRE(w.sync(b).ok());
  const std::string file = backup_of(w, w.dir.sub("hub"), "hub.backup");
  const std::string hub_epoch_before = w.hub_node->meta("epoch");
  // After the backup: a takes one in (with an attachment), b takes one in,
  // both sync (the hub holds both, and the attachment).
  std::string scan_id;
  {
    node::BlobStore store(w.points[a]->data_dir(), w.points[a]->db(), 1 << 20, &w.points[a]->journal().mutex());
    auto wr = store.begin();
    REQUIRE(wr->write(reinterpret_cast<const uint8_t*>(kPdf), std::strlen(kPdf)).ok());
    auto info = wr->finish();
    REQUIRE(info.ok());
    scan_id = info->id;
  }
  const std::string x2 =
      w.take_in(a, "", [&](node::EntryDraft& d) { d.body["attachments"] = Json::array({scan_id}); }).subject;
  REQUIRE(w.sync(a).ok());
  const std::string x3 = w.take_in(b).subject;
  REQUIRE(w.sync(b).ok());
  // The hub's officer acts on x1 after the backup too: the restored hub lacks
  // that entry of its own chain, which the points hold.
  const node::Entry hub_act = w.act(SyncWorld::kHub, x1, "dossier.accepted");
  REQUIRE(w.sync(a).ok());
  REQUIRE(w.sync(b).ok());
  REQUIRE(w.points[b]->journal().get(hub_act.id));
  auto hub_holds_scan = [&] {
    node::BlobStore store(w.hub_node->data_dir(), w.hub_node->db(), 1 << 20, &w.hub_node->journal().mutex());
    auto p = store.path(scan_id);
    return p && read_all(*p) == kPdf;
  };
  REQUIRE(hub_holds_scan());
  const int64_t b_cursor_before = util::state_get_int(*w.points[b], "pull_cursor");
  REQUIRE(b_cursor_before > 0);
  // The hub's PC dies; its data directory comes back from the older backup.
  w.hub.reset();
  w.hub_node.reset();
  fs::remove_all(w.dir.sub("hub"));
  auto r = restore_into(w, file, w.dir.sub("hub"));
  INFO((r.ok() ? "" : r.error().message));
  REQUIRE(r.ok());
  CHECK(!r->restoring);
  CHECK(r->summary.role == "hub");
  REQUIRE(r->epoch.size() == 32);
  w.hub_node = open_existing(w.dir.sub("hub"), w.clock, scope_projector);
  CHECK(w.hub_node->meta("epoch") == r->epoch);
  CHECK(r->epoch != hub_epoch_before);
  sync::HubOptions ho;
  ho.admission = w.admission_;
  w.hub = std::make_unique<sync::Hub>(*w.hub_node, sync::make_sqlite_hub_store(*w.hub_node), ho);
  for (auto& t : w.transports) t = std::make_unique<DirectTransport>(*w.hub);
  auto hub_subjects = [&] {
    auto s = w.hub_node->journal().subjects();
    return std::set<std::string>(s.begin(), s.end());
  };
  CHECK(hub_subjects() == std::set<std::string>{x1});
  CHECK(!hub_holds_scan());

  for (size_t i : {a, b, a, b}) {
    auto s = w.sync(i);
    INFO(w.names[i] << ": " << (s.ok() ? "" : s.error().message));
    REQUIRE(s.ok());
  }
  CHECK(hub_subjects() == std::set<std::string>{x1, x2, x3});
  CHECK(w.hub_node->journal().get(hub_act.id));  // its own lost entry, given back by a point
  CHECK(hub_holds_scan());                        // and the attachment, uploaded again
  // The hub signs on after it, not over it.
  const node::Entry next_act = w.act(SyncWorld::kHub, x2, "dossier.accepted");
  CHECK(next_act.seq == hub_act.seq + 1);
  for (size_t i : {a, b}) REQUIRE(w.sync(i).ok());
  for (size_t i : {a, b}) {
    node::Node& p = *w.points[i];
    CHECK(util::state_get(p, "hub_epoch") == r->epoch);  // the cursor is in the new epoch
    auto s = p.journal().subjects();
    CHECK(std::set<std::string>(s.begin(), s.end()) == std::set<std::string>{x1, x2, x3});
    CHECK(p.journal().verify().ok());
    CHECK(p.journal().state_hash() == w.hub_node->journal().state_hash());
  }
  CHECK(w.hub_node->journal().verify().ok());
  CHECK(w.held_at_hub() == 0);
}
TEST_CASE("a restoring point records nothing: no intake, no act, no conflict resolution", "[backup]") {
  DossierFixture f;
  const std::string code = f.take_in();
  f.node->set_meta("restoring", "1");  // as motcua restore leaves an enrolled point
  const auto before = snapshot(*f.node);
  auto intake = f.svc->intake(f.clerk, DossierFixture::intake_request());
  REQUIRE(!intake.ok());
  CHECK(intake.error().code == "point_restoring");
  auto act = f.svc->act(f.officer, code, "accept", Json::object());
  REQUIRE(!act.ok());
  CHECK(act.error().code == "point_restoring");
  auto resolved = f.svc->resolve_conflict(f.officer, std::string(64, 'a'), Json{{"decision", "Giữ tên theo CCCD"}});
  REQUIRE(!resolved.ok());
  CHECK(resolved.error().code == "point_restoring");
  CHECK(snapshot(*f.node) == before);
  f.node->set_meta("restoring", "");  // its sync fetched the own chain back
  CHECK(f.svc->act(f.officer, code, "accept", Json::object()).ok());
}
