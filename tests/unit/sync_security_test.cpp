// The hub refuses what it must refuse, with the reason, and stores nothing.
#include <catch2/catch.hpp>

#include "../../sync/src/sync_auth.hpp"
#include "../../sync/src/sync_codec.hpp"
#include "sync_test_util.hpp"

using namespace motcua;
using namespace motcua::test;
namespace wire = motcua::sync::wire;
namespace auth = motcua::sync::auth;

namespace {

// Speaks the protocol by hand, to send what an honest client never would.
struct RawClient {
  node::Node& n;
  sync::Hub& hub;
  std::string session = "-";

  sync::WireRequest request(const std::string& kind, Json header, const std::vector<wire::WireEntry>& entries = {}) {
    header["type"] = kind;
    return auth::make_request("/sync/v2/" + kind, wire::encode(header, entries).value(), n.keys(), session,
                              n.clock().now_ms(), n.random());
  }
  static Json answer(const sync::WireResponse& r) { return wire::decode(r.body, 1 << 24).value().header; }
  static std::string code(const sync::WireResponse& r) { return answer(r)["error"].value("code", std::string()); }

  void hello() {
    auto r = hub.handle(request("hello", Json{{"heads", Json::object()}, {"cursor", 0}}));
    REQUIRE(r.status == 200);
    session = answer(r)["session"].get<std::string>();
  }
  sync::WireResponse push(const std::vector<wire::WireEntry>& entries) { return hub.handle(request("push", Json::object(), entries)); }
};

std::vector<wire::WireEntry> own_entries(node::Node& n, size_t count) {
  std::vector<wire::WireEntry> out;
  for (const auto& e : n.journal().author_entries(n.keys().pk, 0, count)) out.push_back(wire::from_entry(e));
  return out;
}

struct SecurityWorld : SyncWorld {
  SecurityWorld() {
    a = add_point("a", "area-x");
    for (int i = 0; i < 3; ++i) take_in(a);
  }
  RawClient raw() { return RawClient{*points[a], *hub}; }
  size_t a = 0;
};

}  // namespace

TEST_CASE("an entry with a forged signature is refused and nothing of its batch is stored", "[sync][security]") {
  SecurityWorld w;
  auto c = w.raw();
  c.hello();
  auto entries = own_entries(*w.points[w.a], 3);
  entries[2].sig[5] ^= 0x40;
  auto r = c.push(entries);
  CHECK(r.status == 422);
  CHECK(RawClient::code(r) == "bad_signature");
  CHECK(w.hub_node->journal().count() == 0);
}

TEST_CASE("an entry altered after signing is refused", "[sync][security]") {
  SecurityWorld w;
  auto c = w.raw();
  c.hello();
  auto entries = own_entries(*w.points[w.a], 2);
  auto pos = entries[1].canonical.find("Nguyễn Văn An");
  REQUIRE(pos != std::string::npos);
  entries[1].canonical.replace(pos, std::string("Nguyễn Văn An").size(), "Nguyễn Văn Ba");
  entries[1].id = blake2b256(entries[1].canonical);
  auto r = c.push(entries);
  CHECK(r.status == 422);
  CHECK(RawClient::code(r) == "bad_signature");
  CHECK(w.hub_node->journal().count() == 0);
}

TEST_CASE("a request altered in transit fails its request signature", "[sync][security]") {
  SecurityWorld w;
  auto c = w.raw();
  c.hello();
  auto req = c.request("push", Json::object(), own_entries(*w.points[w.a], 3));
  req.body[req.body.size() / 2] ^= 1;
  auto r = w.hub->handle(req);
  CHECK(r.status == 401);
  CHECK(RawClient::code(r) == "bad_request_signature");
  CHECK(w.hub_node->journal().count() == 0);
}

TEST_CASE("a replayed request is refused, and one from an expired session too", "[sync][security]") {
  SecurityWorld w;
  auto c = w.raw();
  c.hello();
  auto req = c.request("push", Json::object(), own_entries(*w.points[w.a], 3));
  REQUIRE(w.hub->handle(req).status == 200);
  auto again = w.hub->handle(req);
  CHECK(again.status == 401);
  CHECK(RawClient::code(again) == "replayed_request");
  // After the session's lifetime the request meets a dead session.
  w.clock.advance(w.hub->options().session_ttl_ms + 120 * 1000);
  auto late = w.hub->handle(req);
  CHECK(late.status == 401);
  CHECK(RawClient::code(late) == "session_expired");
  // A request signed within a session that timed out is refused the same way.
  auto stale = c.request("pull", Json{{"after", 0}, {"limit", 10}});
  auto r = w.hub->handle(stale);
  CHECK(RawClient::code(r) == "session_expired");
  CHECK(w.hub_node->journal().count() == 3);
  // Refused before taking a turn at the push gate (docs/design/0120): only
  // the first push went in, and an altered one does not either.
  auto altered = c.request("push", Json::object(), own_entries(*w.points[w.a], 3));
  altered.body[altered.body.size() / 2] ^= 1;
  CHECK(RawClient::code(w.hub->handle(altered)) == "bad_request_signature");
  const std::string m = w.hub->metrics();
  CHECK(m.find("\nmotcua_sync_pushes_total 1\n") != std::string::npos);
  CHECK(m.find("\nmotcua_sync_pushes_inside 0\n") != std::string::npos);
}

TEST_CASE("a request counter not above the session's last one is refused even in a new request", "[sync][security]") {
  SecurityWorld w;
  auto c = w.raw();
  c.hello();
  const auto& keys = w.points[w.a]->keys();
  auto pull = [&](int64_t counter, int64_t after) {
    std::string body = wire::encode(Json{{"type", "pull"}, {"after", after}, {"limit", 10}}, {}).value();
    return w.hub->handle(auth::make_request("/sync/v2/pull", body, keys, c.session, counter, w.clock.now_ms()));
  };
  REQUIRE(pull(1, 0).status == 200);
  REQUIRE(pull(5, 0).status == 200);  // counters may skip (a request lost on the way)
  // Same counter or a lower one, different body, validly signed: refused.
  for (int64_t counter : {5, 4, 1}) {
    auto r = pull(counter, 1);
    CHECK(r.status == 401);
    CHECK(RawClient::code(r) == "replayed_request");
    CHECK(RawClient::answer(r)["error"]["field"] == auth::kCounter);
  }
  CHECK(pull(6, 0).status == 200);
  // A session request without a counter, or with 0, is not a valid request.
  auto zero = pull(0, 0);
  CHECK(zero.status == 401);
  CHECK(RawClient::code(zero) == "bad_request_signature");
}

TEST_CASE("a revoked point and an unknown key are refused", "[sync][security]") {
  SecurityWorld w;
  REQUIRE(w.hub->revoke_point("a").ok());
  auto r = w.sync(w.a);
  REQUIRE(!r.ok());
  CHECK(r.error().code == "revoked_key");
  CHECK(w.hub_node->journal().count() == 0);
  CHECK(w.hub->points()[0]["status"] == "revoked");
  // Revoking again is refused and raises no second alert.
  const size_t alerts = w.hub->sync_log("", 0)["alerts"].size();
  auto again = w.hub->revoke_point("a");
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == "conflict");
  CHECK(w.hub->sync_log("", 0)["alerts"].size() == alerts);

  auto stranger = make_node(w.dir.sub("stranger"), w.clock, w.rng, node::Role::Point, "stranger", scope_projector);
  RawClient s{*stranger, *w.hub};
  auto res = w.hub->handle(s.request("hello", Json{{"heads", Json::object()}, {"cursor", 0}}));
  CHECK(res.status == 403);
  CHECK(RawClient::code(res) == "unknown_key");
}

TEST_CASE("an enrolment code works once and not after it expires", "[sync][security]") {
  SyncWorld w;
  auto code = w.hub->add_point({"a", "area-x", 100, 3, 3600 * 1000});
  REQUIRE(code.ok());
  auto p1 = make_node(w.dir.sub("p1"), w.clock, w.rng, node::Role::Point, "a", scope_projector);
  auto p2 = make_node(w.dir.sub("p2"), w.clock, w.rng, node::Role::Point, "a2", scope_projector);
  DirectTransport t(*w.hub);
  REQUIRE(sync::join(*p1, t, "http://hub.test", code->code).ok());
  auto reused = sync::join(*p2, t, "http://hub.test", code->code);
  REQUIRE(!reused.ok());
  CHECK(reused.error().code == "enrolment_refused");
  CHECK(p2->config().get("hub_url").empty());

  auto code2 = w.hub->add_point({"b", "area-y", 100, 3, 3600 * 1000});
  REQUIRE(code2.ok());
  // Another code for a point not joined yet: same values only; a code's
  // lifetime is 1 to 720 hours.
  auto other_area = w.hub->add_point({"b", "area-z", 100, 3, 3600 * 1000});
  REQUIRE_FALSE(other_area.ok());
  CHECK(other_area.error().code == "conflict");
  CHECK(w.hub->add_point({"b", "area-y", 100, 3, 0}).error().field == "expires_hours");
  CHECK(w.hub->add_point({"b", "area-y", 100, 3, 7200 * 1000}).ok());
  w.clock.advance(3601 * 1000);
  auto expired = sync::join(*p2, t, "http://hub.test", code2->code);
  REQUIRE(!expired.ok());
  CHECK(expired.error().code == "enrolment_refused");
  CHECK(w.hub->sync_log("", 0)["alerts"].size() == 2);
}

TEST_CASE("equivocation is refused as a fork and raised as a security alert", "[sync][security]") {
  SecurityWorld w;
  REQUIRE(w.sync(w.a).ok());
  REQUIRE(w.hub_node->journal().count() == 3);
  // The point's key signs different content at seq 3 (a restored stale backup would do this).
  auto third = w.points[w.a]->journal().get(w.points[w.a]->keys().pk, 3);
  REQUIRE(third);
  node::Entry fork = *third;
  fork.body["applicant"]["full_name"] = "Trần Thị Bình";
  REQUIRE(node::seal_entry(fork, w.points[w.a]->keys().sk).ok());
  auto c = w.raw();
  c.hello();
  auto r = c.push({wire::from_entry(fork)});
  CHECK(r.status == 409);
  CHECK(RawClient::code(r) == "fork_detected");  // docs/sync-protocol.md, "Forks"
  CHECK(w.hub_node->journal().get(fork.author, 3)->id == third->id);
  Json alerts = w.hub->sync_log("a", 0)["alerts"];
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0]["kind"] == "fork");
  CHECK(w.hub->metrics().find("motcua_sync_alerts_total 1") != std::string::npos);
}

TEST_CASE("an oversized batch, a gap in seq and a broken chain are refused", "[sync][security]") {
  SyncWorld w;
  sync::HubOptions small;
  small.max_batch_entries = 5;
  w.hub = std::make_unique<sync::Hub>(*w.hub_node, sync::make_sqlite_hub_store(*w.hub_node), small);
  size_t a = w.add_point("a", "area-x");
  for (int i = 0; i < 8; ++i) w.take_in(a);
  RawClient c{*w.points[a], *w.hub};
  c.hello();
  auto all = own_entries(*w.points[a], 8);
  auto big = c.push({all.begin(), all.begin() + 6});
  CHECK(big.status == 413);
  CHECK(RawClient::code(big) == "batch_too_large");
  auto gap = c.push({all.begin() + 1, all.begin() + 3});
  CHECK(RawClient::code(gap) == "seq_gap");
  auto broken = all[1];
  broken.prev[0] ^= 1;  // re-signed by the point: a valid entry whose link is wrong
  {
    auto e = w.points[a]->journal().get(w.points[a]->keys().pk, 2).value();
    e.prev = broken.prev;
    REQUIRE(node::seal_entry(e, w.points[a]->keys().sk).ok());
    broken = wire::from_entry(e);
  }
  auto br = c.push({all[0], broken});
  CHECK(RawClient::code(br) == "broken_chain");
  CHECK(w.hub_node->journal().count() == 0);
  // A message that inflates beyond the limit is refused before it is parsed.
  std::string huge(small.max_batch_bytes + 128 * 1024, ' ');
  auto req = auth::make_request("/sync/v2/push", wire::gzip("{\"type\":\"push\",\"v\":2}\n" + huge), w.points[a]->keys(),
                                c.session, w.clock.now_ms(), w.rng);
  auto r = w.hub->handle(req);
  CHECK(r.status == 413);
  // The honest client follows the hub's limit and gets everything across.
  auto ok = w.sync(a);
  REQUIRE(ok.ok());
  CHECK(ok.value()["entries_up"] == 8);
  CHECK(w.hub_node->journal().count() == 8);
  CHECK(w.held_at_hub() == 0);
}

TEST_CASE("a response not signed by the enrolled hub is refused by the point", "[sync][security]") {
  SecurityWorld w;
  struct Impostor : sync::Transport {
    sync::Hub& hub;
    explicit Impostor(sync::Hub& h) : hub(h) {}
    Result<sync::WireResponse> exchange(const sync::WireRequest& r) override {
      auto res = hub.handle(r);
      res.body = wire::encode(Json{{"type", "welcome"}, {"heads", Json::object()}}, {}).value();
      return res;
    }
  } impostor(*w.hub);
  auto r = sync::sync_once(*w.points[w.a], impostor);
  REQUIRE(!r.ok());
  CHECK(r.error().code == "bad_response_signature");
}
