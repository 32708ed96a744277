// Sync protocol v2, chains (docs/sync-protocol.md "Heads", "Forks", "Behind",
// "Epochs and cursors", 4.4 paged histories), through the real hub and
// points: an equal-length fork, a stale backup restored in place (with and
// without an intake of its own), a replayed old hello, and the history of
// many dossiers newly in a point's scope, in bounded pages. Each attack shows
// the alert to an admin and every other point still syncing.
#include <catch2/catch.hpp>

#include <filesystem>

#include "../../sync/src/sync_auth.hpp"
#include "../../sync/src/sync_codec.hpp"
#include "../../sync/src/sync_util.hpp"
#include "dossier_fixture.hpp"
#include "motcua/http/api_error.hpp"
#include "motcua/node/dossiers.hpp"
#include "motcua/sync/bundle.hpp"
#include "sync_test_util.hpp"

using namespace motcua;
using namespace motcua::test;
namespace wire = motcua::sync::wire;
namespace auth = motcua::sync::auth;
namespace fs = std::filesystem;

namespace {

Json answer(const sync::WireResponse& r) { return wire::decode(r.body, 1 << 24).value().header; }

// A signed request of `n` as an honest client would not send it.
sync::WireRequest request(node::Node& n, const std::string& kind, Json header, const std::string& session = "-",
                          const std::vector<wire::WireEntry>& entries = {}) {
  header["type"] = kind;
  return auth::make_request("/sync/v2/" + kind, wire::encode(header, entries).value(), n.keys(), session,
                            n.clock().now_ms(), n.random());
}

Json alerts_of(sync::Hub& hub, const std::string& kind) {
  Json out = Json::array();
  const Json log = hub.sync_log("", 0);  // kept: a range over a temporary's member would dangle
  for (const auto& a : log["alerts"])
    if (a["kind"] == kind) out.push_back(a);
  return out;
}

// A consistent copy of a point's data directory (what a backup tool makes).
void backup(node::Node& n, const std::string& dir, const std::string& to) {
  fs::create_directories(to);
  {
    std::lock_guard<std::recursive_mutex> g(n.journal().mutex());
    n.db()->exec("VACUUM INTO '" + (fs::path(to) / "motcua.db").string() + "'");
  }
  fs::copy_file(fs::path(dir) / "node.key", fs::path(to) / "node.key");
}

// Puts the backup back in place of the data directory (the node is closed).
void restore_in_place(const std::string& from, const std::string& dir) {
  for (const char* f : {"motcua.db", "motcua.db-wal", "motcua.db-shm"}) fs::remove(fs::path(dir) / f);
  fs::copy_file(fs::path(from) / "motcua.db", fs::path(dir) / "motcua.db", fs::copy_options::overwrite_existing);
}

// Two points of one area with the real dossier projection: "a" takes
// dossiers in, "b" holds them too (same area).
struct CounterWorld : SyncWorld {
  CounterWorld() : SyncWorld(7, {}) {
    clock.set(vn_ms(2025, 7, 1, 8));
    a = add_point("a", "an-thi");
    b = add_point("b", "an-thi");
    svc = std::make_unique<node::DossierService>(*points[a]);
  }
  std::string intake() {
    auto r = svc->intake(clerk, DossierFixture::intake_request());
    INFO((r.ok() ? "" : r.error().message));
    REQUIRE(r.ok());
    return r.value()["code"].get<std::string>();
  }
  void reopen_a() {
    svc.reset();
    points[a].reset();
    points[a] = open_existing(dir.sub("a"), clock);
    svc = std::make_unique<node::DossierService>(*points[a]);
  }
  size_t a = 0, b = 0;
  node::Actor clerk{"lan", node::UserRole::Clerk};
  std::unique_ptr<node::DossierService> svc;
};

}  // namespace

TEST_CASE("an equal-length fork is seen at hello, kept as evidence, and the forked point is refused", "[v2][v2-chain]") {
  SyncWorld w;
  size_t a = w.add_point("a", "area-x");
  size_t b = w.add_point("b", "area-x");
  for (int i = 0; i < 3; ++i) w.take_in(a);
  REQUIRE(w.sync(a).ok());
  REQUIRE(w.sync(b).ok());
  node::Node& pa = *w.points[a];
  auto third = pa.journal().get(pa.keys().pk, 3).value();
  // The same key signs other content at seq 3 (a copy of the data directory would).
  node::Entry fork = third;
  fork.body["applicant"]["full_name"] = "Trần Thị Bình";
  REQUIRE(node::seal_entry(fork, pa.keys().sk).ok());
  REQUIRE(fork.id != third.id);

  SECTION("at hello: heads [seq, id] of equal length differ") {
    Json heads{{to_hex(pa.keys().pk), Json::array({3, to_hex(fork.id)})}};
    auto r = w.hub->handle(request(pa, "hello", Json{{"heads", heads}, {"cursor", 0}}));
    REQUIRE(r.status == 200);
    Json h = answer(r);
    REQUIRE(h.contains("fork"));
    CHECK(h["fork"]["seq"] == 3);
    CHECK(h["fork"]["hub_id"] == to_hex(third.id));
    CHECK(h["heads"][to_hex(pa.keys().pk)] == Json::array({3, to_hex(third.id)}));
    CHECK(h["point_status"] == "quarantined");
    const std::string session = h["session"].get<std::string>();
    // The point's evidence: its signed entry at that seq.
    auto ev = w.hub->handle(request(pa, "fork_evidence", Json::object(), session, {wire::from_entry(fork)}));
    REQUIRE(ev.status == 200);
    CHECK(answer(ev)["forks"] == 1);
    // The session is in the sync log as refused, with the reason.
    auto log = w.hub->sync_log("a", 0)["sessions"];
    REQUIRE(!log.empty());
    CHECK(log[0]["result"] == "refused");
    CHECK(log[0]["error"].get<std::string>().rfind("fork_detected", 0) == 0);
    // Further pushes of that author are refused.
    node::Entry next = fork;
    next.seq = 4;
    next.prev = fork.id;
    REQUIRE(node::seal_entry(next, pa.keys().sk).ok());
    auto p = w.hub->handle(request(pa, "push", Json::object(), session, {wire::from_entry(next)}));
    CHECK(p.status == 409);
    CHECK(answer(p)["error"]["code"] == "fork_detected");
    CHECK(w.hub_node->journal().heads()[pa.keys().pk] == 3);
  }
  SECTION("at push: an entry at a seq the hub holds with other content") {
    auto r = w.hub->handle(request(pa, "hello", Json{{"heads", Json::object()}, {"cursor", 0}}));
    REQUIRE(r.status == 200);
    auto p = w.hub->handle(request(pa, "push", Json::object(), answer(r)["session"], {wire::from_entry(fork)}));
    CHECK(p.status == 409);
    CHECK(answer(p)["error"]["code"] == "fork_detected");
  }
  // Both signed entries are kept; the alert names the point and both ids.
  auto ev = w.hub->store().fork_evidence(std::nullopt, 10);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].author == pa.keys().pk);
  CHECK(ev[0].seq == 3);
  CHECK(ev[0].held_id == third.id);
  CHECK(ev[0].other_id == fork.id);
  REQUIRE(ev[0].other_sig);
  CHECK(node::parse_entry(ev[0].other_canonical, *ev[0].other_sig).ok());
  Json forks = alerts_of(*w.hub, "fork");
  REQUIRE(forks.size() == 1);
  CHECK(forks[0]["point"] == "a");
  const std::string detail = forks[0]["detail"].get<std::string>();
  CHECK(detail.find(to_hex(third.id)) != std::string::npos);
  CHECK(detail.find(to_hex(fork.id)) != std::string::npos);
  CHECK(w.hub->store().point("a")->status == "quarantined");
  CHECK(w.hub_node->journal().get(pa.keys().pk, 3)->id == third.id);
  // The honest point's own sync now stops with the fork; the other point syncs on.
  w.take_in(a);
  auto s = w.sync(a);
  REQUIRE(!s.ok());
  CHECK(s.error().code == "fork_detected");
  w.take_in(b);
  auto ok = w.sync(b);
  REQUIRE(ok.ok());
  CHECK(ok.value()["entries_up"] == 1);
  CHECK(w.hub_node->journal().verify().ok());
}

TEST_CASE("a shorter fork (the point's head is an older seq with other content) is a fork, not behind", "[v2][v2-chain]") {
  SyncWorld w;
  size_t a = w.add_point("a", "area-x");
  for (int i = 0; i < 3; ++i) w.take_in(a);
  REQUIRE(w.sync(a).ok());
  node::Node& pa = *w.points[a];
  auto second = pa.journal().get(pa.keys().pk, 2).value();
  node::Entry fork = second;
  fork.body["procedure_code"] = "1.000001";
  REQUIRE(node::seal_entry(fork, pa.keys().sk).ok());
  auto r = w.hub->handle(
      request(pa, "hello", Json{{"heads", {{to_hex(pa.keys().pk), Json::array({2, to_hex(fork.id)})}}}, {"cursor", 0}}));
  REQUIRE(r.status == 200);
  Json h = answer(r);
  CHECK(h.contains("fork"));
  CHECK(!h.contains("behind"));
  CHECK(alerts_of(*w.hub, "fork").size() == 1);
  CHECK(alerts_of(*w.hub, "stale_chain").empty());
  // A malformed head is refused and changes nothing.
  auto bad = w.hub->handle(request(pa, "hello", Json{{"heads", {{to_hex(pa.keys().pk), 2}}}, {"cursor", 0}}));
  CHECK(bad.status == 400);
  CHECK(answer(bad)["error"]["field"] == "heads");
}

TEST_CASE("a stale backup restored in place fetches its own chain before it takes a dossier in", "[v2][v2-chain]") {
  CounterWorld w;
  const std::string first = w.intake();
  REQUIRE(w.sync(w.a).ok());
  const std::string epoch_before = w.points[w.a]->meta("epoch");
  REQUIRE(epoch_before.size() == 32);
  backup(*w.points[w.a], w.dir.sub("a"), w.dir.sub("a-backup"));
  // The original goes on: a second dossier, printed and synced.
  const std::string second = w.intake();
  REQUIRE(second != first);
  REQUIRE(w.sync(w.a).ok());
  // The PC is restored from the backup, in place.
  w.svc.reset();
  w.points[w.a].reset();
  restore_in_place(w.dir.sub("a-backup"), w.dir.sub("a"));
  w.reopen_a();
  node::Node& pa = *w.points[w.a];
  REQUIRE(pa.journal().heads()[pa.keys().pk] < w.hub_node->journal().heads()[pa.keys().pk]);

  // The first sync after the restore is cut while fetching the own chain.
  w.transports[w.a]->tamper = [](sync::WireRequest& r) {
    if (r.path == "/sync/v2/own_chain") r.body = "cut";
  };
  auto cut = w.sync(w.a);
  REQUIRE(!cut.ok());
  w.transports[w.a]->tamper = nullptr;
  // The hub told it so, logged the session refused with its reason, and alerted.
  auto log = w.hub->sync_log("a", 0)["sessions"];
  bool refused_behind = false;
  for (const auto& s : log)
    if (s["result"] == "refused" && s["error"].get<std::string>().rfind("behind", 0) == 0) refused_behind = true;
  CHECK(refused_behind);
  Json stale = alerts_of(*w.hub, "stale_chain");
  REQUIRE(stale.size() == 1);
  CHECK(stale[0]["point"] == "a");
  // Meanwhile the counter cannot take a dossier in: 409 point_restoring, in Vietnamese.
  auto refused = w.svc->intake(w.clerk, DossierFixture::intake_request());
  REQUIRE(!refused.ok());
  CHECK(refused.error().code == "point_restoring");
  CHECK(http::http_status(refused.error()) == 409);
  CHECK(http::vietnamese_message(refused.error()).find("khôi phục") != std::string::npos);
  Json status = sync::point_status(pa);
  CHECK(status["restoring"] == true);
  bool point_alert = false;
  const Json plog = sync::point_sync_log(pa, "", 0);
  for (const auto& al : plog["alerts"]) point_alert |= al["kind"] == "stale_chain";
  CHECK(point_alert);

  // The next sync completes the restore and the session itself.
  auto done = w.sync(w.a);
  REQUIRE(done.ok());
  CHECK(done.value()["restored_entries"].get<int64_t>() >= 1);
  CHECK(sync::point_status(pa)["restoring"] == false);
  CHECK(pa.meta("epoch") != epoch_before);
  CHECK(w.hub->store().point("a")->epoch == pa.meta("epoch"));
  CHECK(pa.journal().heads()[pa.keys().pk] == w.hub_node->journal().heads()[pa.keys().pk]);
  // It never reissues the number the original printed.
  const std::string third = w.intake();
  CHECK(third != first);
  CHECK(third != second);
  REQUIRE(w.sync(w.a).ok());
  CHECK(w.hub->store().point("a")->status == "active");
  CHECK(alerts_of(*w.hub, "fork").empty());
  // Every other point still syncs, and holds the three dossiers once each.
  REQUIRE(w.sync(w.b).ok());
  auto subjects = w.points[w.b]->journal().subjects();
  for (const auto& c : {first, second, third}) CHECK(std::count(subjects.begin(), subjects.end(), c) == 1);
  CHECK(pa.journal().verify().ok());
  CHECK(w.hub_node->journal().verify().ok());
}

TEST_CASE("a restored copy gets its own later acts back with the other points' entries they build on", "[v2][v2-chain]") {
  SyncWorld w;
  size_t a = w.add_point("a", "area-x");
  size_t b = w.add_point("b", "area-x");
  const std::string x1 = w.take_in(a).subject;
  REQUIRE(w.sync(a).ok());
  backup(*w.points[a], w.dir.sub("a"), w.dir.sub("a-backup"));
  // After the backup: b acts on a's dossier, a pulls that and acts on top of it.
  REQUIRE(w.sync(b).ok());
  w.act(b, x1, "dossier.accepted");
  REQUIRE(w.sync(b).ok());
  REQUIRE(w.sync(a).ok());
  auto own_act = w.points[a]->journal().append(event_draft(x1, "dossier.updated", {{"note", "đã gọi điện"}}));
  REQUIRE(own_act.ok());
  REQUIRE(own_act->parents.size() == 1);  // b's act, which the backup lacks
  REQUIRE(w.sync(a).ok());
  const PublicKey ka = w.points[a]->keys().pk;
  w.points[a].reset();
  restore_in_place(w.dir.sub("a-backup"), w.dir.sub("a"));
  w.points[a] = open_existing(w.dir.sub("a"), w.clock, scope_projector);
  REQUIRE(w.points[a]->journal().heads()[ka] == 1);
  auto r = w.sync(a);
  INFO((r.ok() ? "" : r.error().message));
  REQUIRE(r.ok());
  CHECK(w.points[a]->journal().get(ka, 2)->id == own_act->id);
  CHECK(w.points[a]->journal().get(own_act->parents[0]));
  CHECK(w.points[a]->journal().verify().ok());
  CHECK(alerts_of(*w.hub, "stale_chain").size() == 1);
  CHECK(alerts_of(*w.hub, "fork").empty());
  REQUIRE(w.sync(b).ok());
}

TEST_CASE("a stale backup that took a dossier in offline is a fork: seen, alerted, never 'sync ok'", "[v2][v2-chain]") {
  CounterWorld w;
  REQUIRE(w.intake().size() > 0);
  REQUIRE(w.sync(w.a).ok());
  backup(*w.points[w.a], w.dir.sub("a"), w.dir.sub("a-backup"));
  const std::string second = w.intake();
  REQUIRE(w.sync(w.a).ok());
  w.svc.reset();
  w.points[w.a].reset();
  restore_in_place(w.dir.sub("a-backup"), w.dir.sub("a"));
  w.reopen_a();
  node::Node& pa = *w.points[w.a];
  // Before any sync the copy cannot know: it prints the same number for another citizen.
  w.clock.advance(60 * 1000);
  Json other = DossierFixture::intake_request();
  other["applicant"]["full_name"] = "Trần Thị Bình";
  auto took = w.svc->intake(w.clerk, other);
  REQUIRE(took.ok());
  const std::string clash = took.value()["code"].get<std::string>();
  CHECK(clash == second);
  auto s = w.sync(w.a);
  REQUIRE(!s.ok());
  CHECK(s.error().code == "fork_detected");
  // The point shows the fork in its status and its sync log.
  Json status = sync::point_status(pa);
  REQUIRE(status["fork"].is_object());
  CHECK(status["fork"]["seq"] == 2);
  Json plog = sync::point_sync_log(pa, "", 0);
  CHECK(plog["sessions"][0]["result"] == "failed");
  bool point_alert = false;
  for (const auto& al : plog["alerts"]) point_alert |= al["kind"] == "fork";
  CHECK(point_alert);
  // The hub holds both signed entries, quarantined the point and alerted the admin.
  auto ev = w.hub->store().fork_evidence(pa.keys().pk, 10);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].seq == 2);
  CHECK(ev[0].held_id == w.hub_node->journal().get(pa.keys().pk, 2)->id);
  CHECK(ev[0].other_id == pa.journal().get(pa.keys().pk, 2)->id);
  CHECK(!ev[0].other_canonical.empty());  // sent by the point in fork_evidence
  Json forks = alerts_of(*w.hub, "fork");
  REQUIRE(forks.size() == 1);
  CHECK(forks[0]["detail"].get<std::string>().find(to_hex(ev[0].other_id)) != std::string::npos);
  CHECK(w.hub->store().point("a")->status == "quarantined");
  // Again: still refused, no second alert.
  REQUIRE(!w.sync(w.a).ok());
  CHECK(alerts_of(*w.hub, "fork").size() == 1);
  // The other point syncs on and never sees the copy's dossier.
  REQUIRE(w.sync(w.b).ok());
  CHECK(w.points[w.b]->journal().get(ev[0].other_id) == std::nullopt);
  CHECK(w.hub_node->journal().verify().ok());
}

TEST_CASE("a longer fork (the copy wrote past the hub's head on another branch) is seen by the point", "[v2][v2-chain]") {
  CounterWorld w;
  REQUIRE(w.intake().size() > 0);
  REQUIRE(w.sync(w.a).ok());
  backup(*w.points[w.a], w.dir.sub("a"), w.dir.sub("a-backup"));
  REQUIRE(w.intake().size() > 0);  // seq 2 at the original, synced
  REQUIRE(w.sync(w.a).ok());
  w.svc.reset();
  w.points[w.a].reset();
  restore_in_place(w.dir.sub("a-backup"), w.dir.sub("a"));
  w.reopen_a();
  node::Node& pa = *w.points[w.a];
  w.clock.advance(60 * 1000);
  for (const char* name : {"Trần Thị Bình", "Lê Văn Cường"}) {  // seq 2 and 3 at the copy
    Json req = DossierFixture::intake_request();
    req["applicant"]["full_name"] = name;
    REQUIRE(w.svc->intake(w.clerk, req).ok());
  }
  REQUIRE(pa.journal().heads()[pa.keys().pk] == 3);
  auto s = w.sync(w.a);
  REQUIRE(!s.ok());
  CHECK(s.error().code == "fork_detected");
  auto ev = w.hub->store().fork_evidence(pa.keys().pk, 10);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].seq == 2);
  CHECK(ev[0].other_id == pa.journal().get(pa.keys().pk, 2)->id);
  CHECK(alerts_of(*w.hub, "fork").size() == 1);
  CHECK(w.hub->store().point("a")->status == "quarantined");
  CHECK(w.hub_node->journal().heads()[pa.keys().pk] == 2);  // nothing of the copy's branch stored
  REQUIRE(w.sync(w.b).ok());
}

TEST_CASE("a replayed old hello never rewinds the point's cursor at the hub", "[v2][v2-chain]") {
  SyncWorld w;
  size_t a = w.add_point("a", "area-x");
  size_t b = w.add_point("b", "area-x");
  w.take_in(b);
  REQUIRE(w.sync(b).ok());
  REQUIRE(w.sync(a).ok());
  // Capture a's hello of this moment.
  w.transports[a]->sent.clear();
  REQUIRE(w.sync(a).ok());
  REQUIRE(w.transports[a]->sent.front().path == "/sync/v2/hello");
  const sync::WireRequest old_hello = w.transports[a]->sent.front();
  const int64_t old_cursor = wire::decode(old_hello.body, 1 << 20).value().header["cursor"].get<int64_t>();
  // More arrives; a moves on.
  for (int i = 1; i < 4; ++i) w.take_in(b);
  REQUIRE(w.sync(b).ok());
  REQUIRE(w.sync(a).ok());
  REQUIRE(w.sync(a).ok());  // its hello reports the cursor the last pull reached
  const int64_t cursor = w.hub->store().point("a")->pull_cursor;
  REQUIRE(cursor > old_cursor);
  REQUIRE(w.hub->points()[0]["lag_entries"] == 0);

  SECTION("the captured bytes again, and the same body signed anew") {
    auto same = w.hub->handle(old_hello);
    (void)same;  // refused as a replay or answered: either way nothing moves back
    CHECK(w.hub->store().point("a")->pull_cursor == cursor);
    auto again = w.hub->handle(auth::make_request("/sync/v2/hello", old_hello.body, w.points[a]->keys(), "-",
                                                  w.clock.now_ms(), w.rng));
    REQUIRE(again.status == 200);
    CHECK(w.hub->store().point("a")->pull_cursor == cursor);
    Json stale = alerts_of(*w.hub, "stale_hello");
    REQUIRE(stale.size() == 1);
    CHECK(stale[0]["point"] == "a");
    CHECK(w.hub->points()[0]["lag_entries"] == 0);
  }
  SECTION("a hello of a retired epoch of the point changes nothing either") {
    const std::string old_epoch = w.points[a]->meta("epoch");
    w.points[a]->set_meta("epoch", std::string(32, 'e'));  // as after a restore
    REQUIRE(w.sync(a).ok());
    CHECK(w.hub->store().point("a")->epoch == std::string(32, 'e'));
    Json h = wire::decode(old_hello.body, 1 << 20).value().header;
    REQUIRE(h["epoch"] == old_epoch);
    auto again = w.hub->handle(auth::make_request("/sync/v2/hello", old_hello.body, w.points[a]->keys(), "-",
                                                  w.clock.now_ms(), w.rng));
    REQUIRE(again.status == 200);
    CHECK(w.hub->store().point("a")->epoch == std::string(32, 'e'));
    CHECK(w.hub->store().point("a")->pull_cursor == cursor);
    CHECK(alerts_of(*w.hub, "stale_hello").size() == 1);
  }
  SECTION("a late bundle's hello rewinds nothing and is no replay alert") {
    // (exported before the last syncs: its hello carries the old cursor)
    const std::string file = w.dir.sub("late.bundle");
    sync::util::state_set(*w.points[a], "pull_cursor", std::to_string(old_cursor));
    REQUIRE(sync::export_point_bundle(*w.points[a], file).ok());
    sync::util::state_set(*w.points[a], "pull_cursor", std::to_string(cursor));
    REQUIRE(sync::import_point_bundle(*w.hub, *w.hub_node, file).ok());
    CHECK(w.hub->store().point("a")->pull_cursor == cursor);
    CHECK(alerts_of(*w.hub, "stale_hello").empty());
  }
  SECTION("a new hub epoch resets the point's position to 0") {
    sync::util::state_set(*w.points[a], "hub_epoch", std::string(32, '0'));  // as if the hub were rebuilt
    w.transports[a]->sent.clear();
    auto r = w.sync(a);
    REQUIRE(r.ok());
    CHECK(sync::point_status(*w.points[a])["hub_epoch"] == w.hub_node->meta("epoch"));
    CHECK(sync::point_status(*w.points[a])["pull_cursor"] == w.hub_node->journal().count());
    bool from_zero = false;
    for (const auto& req : w.transports[a]->sent)
      if (req.path == "/sync/v2/pull") from_zero |= wire::decode(req.body, 1 << 20).value().header["after"] == 0;
    CHECK(from_zero);
  }
  // Every point still syncs.
  w.take_in(b);
  REQUIRE(w.sync(b).ok());
  auto r = w.sync(a);
  REQUIRE(r.ok());
  CHECK(r.value()["entries_down"] == 1);
}

namespace {

// Records the header and entry count of every hub answer.
class RecordingTransport final : public sync::Transport {
 public:
  explicit RecordingTransport(sync::Hub& hub) : hub_(hub) {}
  Result<sync::WireResponse> exchange(const sync::WireRequest& req) override {
    auto r = hub_.handle(req);
    auto d = wire::decode(r.body, 1 << 24);
    if (d.ok() && req.path == "/sync/v2/pull") pulls.push_back({d->header, d->entries.size()});
    return r;
  }
  std::vector<std::pair<Json, size_t>> pulls;

 private:
  sync::Hub& hub_;
};

}  // namespace

TEST_CASE("the older history of many dossiers newly in scope comes in bounded pages", "[v2][v2-chain]") {
  SyncWorld w;
  size_t a = w.add_point("a", "area-x");
  size_t b = w.add_point("b", "area-y");
  size_t c = w.add_point("c", "area-x");
  constexpr int kDossiers = 40;
  std::vector<std::string> codes;
  for (int i = 0; i < kDossiers; ++i) {
    codes.push_back(w.take_in(a).subject);
    w.act(a, codes.back(), "dossier.accepted");
    w.act(a, codes.back(), "dossier.updated", {{"note", "đã gọi điện"}});
  }
  REQUIRE(w.sync(a).ok());
  REQUIRE(w.sync(b).ok());
  REQUIRE(w.sync(c).ok());
  CHECK(w.points[b]->journal().count() == 0);  // another area: nothing yet
  // Every dossier's result is to be returned at b: all 40 come into b's scope at once.
  std::vector<node::EntryDraft> drafts;
  for (const auto& code : codes) drafts.push_back(event_draft(code, "dossier.updated", Json{{"return_point", "b"}}));
  REQUIRE(w.points[a]->journal().append_batch(drafts).ok());
  REQUIRE(w.sync(a).ok());
  RecordingTransport t(*w.hub);
  sync::ClientOptions o = w.client_options();
  o.batch_entries = 10;
  auto r = sync::sync_once(*w.points[b], t, o);
  REQUIRE(r.ok());
  CHECK(r.value()["entries_down"] == kDossiers * 4);
  bool paged = false;
  for (const auto& [h, n] : t.pulls) {
    CHECK(n <= 10);
    paged |= h.contains("history");
  }
  CHECK(paged);
  CHECK(t.pulls.size() >= static_cast<size_t>(kDossiers * 4 / 10));
  CHECK(w.points[b]->journal().subjects().size() == static_cast<size_t>(kDossiers));
  CHECK(w.held_at_hub() == 0);
  CHECK(w.points[b]->journal().verify().ok());
  for (int i = 0; i < kDossiers; ++i)
    CHECK(w.points[b]->journal().subject_entries(codes[i]).size() == 4);
  // A second run carries nothing; every other point still syncs.
  auto again = sync::sync_once(*w.points[b], t, o);
  REQUIRE(again.ok());
  CHECK(again.value()["entries_down"] == 0);
  auto rc = w.sync(c);
  REQUIRE(rc.ok());
  CHECK(rc.value()["entries_down"] == kDossiers);
  // The hub's bundle for b pages the same way.
  auto bundle = w.hub->export_for("b", std::string(32, 'b'));
  REQUIRE(bundle.ok());
}

TEST_CASE("malformed chain messages are refused naming the field, and change nothing", "[v2][v2-chain]") {
  SyncWorld w;
  size_t a = w.add_point("a", "area-x");
  w.take_in(a);
  REQUIRE(w.sync(a).ok());
  node::Node& pa = *w.points[a];
  const auto before = w.hub->store().point("a").value();
  auto hello = w.hub->handle(request(pa, "hello", Json{{"heads", Json::object()}, {"cursor", 0}}));
  REQUIRE(hello.status == 200);
  const std::string session = answer(hello)["session"].get<std::string>();
  auto refused = [&](const sync::WireResponse& r, const std::string& field) {
    INFO(answer(r).dump());
    CHECK(r.status == 400);
    CHECK(answer(r)["error"]["code"] == "malformed_message");
    CHECK(answer(r)["error"]["field"] == field);
  };
  refused(w.hub->handle(request(pa, "hello", Json{{"heads", {{to_hex(pa.keys().pk), Json::array({1, "zz"})}}}})), "heads");
  refused(w.hub->handle(request(pa, "hello", Json{{"heads", {{"not-a-key", Json::array({0, ""})}}}})), "heads");
  refused(w.hub->handle(request(pa, "hello", Json{{"heads", Json::object()}, {"epoch", std::string(65, 'e')}})), "epoch");
  refused(w.hub->handle(request(pa, "hello", Json{{"heads", Json::object()}, {"cursor", -1}})), "cursor");
  refused(w.hub->handle(request(pa, "pull", Json{{"after", 0}, {"history", 5}}, session)), "history");
  refused(w.hub->handle(request(pa, "pull", Json{{"after", 0}, {"history", {{"upto", -1}, {"pos", 0}}}}, session)), "history");
  refused(w.hub->handle(request(pa, "own_chain", Json{{"after_seq", -1}}, session)), "after_seq");
  refused(w.hub->handle(request(pa, "own_chain", Json{{"after_seq", 0}, {"limit", 0}}, session)), "limit");
  refused(w.hub->handle(request(pa, "fork_evidence", Json::object(), session)), "entries");
  // Nothing changed: the point's record, its status, no fork, no alert.
  const auto after = w.hub->store().point("a").value();
  CHECK(after.pull_cursor == before.pull_cursor);
  CHECK(after.status == "active");
  CHECK(after.epoch == before.epoch);
  CHECK(w.hub->store().fork_evidence(std::nullopt, 10).empty());
  CHECK(alerts_of(*w.hub, "fork").empty());
  // own_chain answers the point's own entries only, in order.
  auto own = w.hub->handle(request(pa, "own_chain", Json{{"after_seq", 0}, {"limit", 10}}, session));
  REQUIRE(own.status == 200);
  auto d = wire::decode(own.body, 1 << 20).value();
  CHECK(d.header["hub_seq"] == 1);
  CHECK(d.header["more"] == false);
  REQUIRE(d.entries.size() == 1);
  CHECK(d.entries[0].author == pa.keys().pk);
  // fork_evidence of an entry the hub holds as is: no fork.
  auto same = w.hub->handle(request(pa, "fork_evidence", Json::object(), session, {d.entries[0]}));
  REQUIRE(same.status == 200);
  CHECK(answer(same)["forks"] == 0);
  CHECK(w.hub->store().point("a")->status == "active");
}
