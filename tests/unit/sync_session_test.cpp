// Enrolment and sync sessions between a hub and points, in process.
#include <catch2/catch.hpp>

#include <set>

#include "motcua/node/catalogue.hpp"
#include "sync_test_util.hpp"

using namespace motcua;
using namespace motcua::test;

namespace {

std::set<std::string> subjects_of(node::Node& n) {
  auto v = n.journal().subjects();
  return {v.begin(), v.end()};
}

}  // namespace

TEST_CASE("a point joins with a one-time code and gets its scope, code blocks and reference data", "[sync]") {
  SyncWorld w;
  size_t a = w.add_point("xa-an-thi", "an-thi", 250);
  auto& p = *w.points[a];
  CHECK(p.meta("area") == "an-thi");
  CHECK(p.config().get("hub_url") == "http://hub.test");
  Json blocks = node::code_block_status(p)["blocks"];
  REQUIRE(blocks.size() == 3);  // lease_days = 3 in SyncWorld
  for (const auto& b : blocks) {
    CHECK(b["first"] == 1);
    CHECK(b["last"] == 250);
  }
  CHECK(node::export_catalogue(p) == node::export_catalogue(*w.hub_node));
  Json pts = w.hub->points();
  REQUIRE(pts.size() == 1);
  CHECK(pts[0]["status"] == "active");
  CHECK(pts[0]["key"] == to_hex(p.keys().pk));
  CHECK(pts[0]["agency_code"] == "000.00.01.H22");
}

TEST_CASE("a sync pushes the point's entries, pulls its scope, and a second run transfers nothing", "[sync]") {
  SyncWorld w;
  size_t a = w.add_point("a", "area-x");
  size_t b = w.add_point("b", "area-y");
  std::vector<std::string> x, y;
  for (int i = 0; i < 3; ++i) x.push_back(w.take_in(a).subject);
  for (int i = 0; i < 2; ++i) y.push_back(w.take_in(b).subject);

  auto ra = w.sync(a);
  REQUIRE(ra.ok());
  w.clock.advance(1000);
  CHECK(ra.value()["entries_up"] == 3);
  CHECK(ra.value()["receipts"] == 1);
  REQUIRE(w.sync(b).ok());
  CHECK(w.hub_node->journal().count() == 5);
  CHECK(w.held_at_hub() == 0);  // all admitted

  // The hub's officer acts on a dossier of area X: only point a receives it.
  w.act(SyncWorld::kHub, x[1], "dossier.accepted");
  w.clock.advance(1000);
  auto ra2 = w.sync(a);
  REQUIRE(ra2.ok());
  CHECK(ra2.value()["entries_down"] == 1);
  CHECK(ra2.value()["entries_up"] == 0);
  auto rb2 = w.sync(b);
  REQUIRE(rb2.ok());
  CHECK(rb2.value()["entries_down"] == 0);
  CHECK(subjects_of(*w.points[b]) == std::set<std::string>{y[0], y[1]});
  CHECK(w.points[a]->journal().subject_state(x[1]) == w.hub_node->journal().subject_state(x[1]));

  w.clock.advance(1000);
  auto again = w.sync(a);
  REQUIRE(again.ok());
  CHECK(again.value()["entries_up"] == 0);
  CHECK(again.value()["entries_down"] == 0);
  for (auto* n : {w.points[a].get(), w.points[b].get(), w.hub_node.get()}) CHECK(n->journal().verify().ok());

  Json st = sync::point_status(*w.points[a]);
  CHECK(st["connected"] == true);
  CHECK(st["waiting_up"]["entries"] == 0);
  Json log = w.hub->sync_log("a", 0);
  REQUIRE(log["sessions"].size() == 3);
  CHECK(log["sessions"][0]["result"] == "ok");
  Json plog = sync::point_sync_log(*w.points[a], "", 0);
  REQUIRE(plog["sessions"].size() == 3);
  CHECK(plog["sessions"][2]["entries_up"] == 3);
}

TEST_CASE("a dossier whose return point moves to another point reaches it with its whole history", "[sync]") {
  SyncWorld w;
  size_t a = w.add_point("a", "area-x");
  size_t b = w.add_point("b", "area-y");
  // Some unrelated traffic first, so b's cursor is past the dossier's start.
  const std::string d1 = w.take_in(a).subject;
  w.act(a, d1, "dossier.updated", {{"note", "đã bổ sung"}});
  const std::string d2 = w.take_in(a).subject;
  REQUIRE(w.sync(a).ok());
  w.take_in(b);
  REQUIRE(w.sync(b).ok());
  CHECK(!w.points[b]->journal().subject_state(d1));

  w.act(a, d1, "dossier.updated", {{"return_point", "b"}});
  REQUIRE(w.sync(a).ok());
  auto rb = w.sync(b);
  REQUIRE(rb.ok());
  CHECK(rb.value()["entries_down"] == 3);
  CHECK(w.points[b]->journal().subject_state(d1) == w.hub_node->journal().subject_state(d1));
  CHECK(!w.points[b]->journal().subject_state(d2));  // still outside b's scope
  CHECK(w.held_at_hub() == 0);
  // b holds a sparse copy of a's chain (seq 1, 2 and 4): verify accepts the recorded gap.
  auto rep = w.points[b]->journal().verify();
  INFO((rep.problems.empty() ? "" : rep.problems[0].what));
  CHECK(rep.ok());
  // Later entries on D-1 keep flowing to b, and the gap can still be filled.
  w.act(a, d1, "dossier.result_ready");
  REQUIRE(w.sync(a).ok());
  auto rb2 = w.sync(b);
  REQUIRE(rb2.ok());
  CHECK(rb2.value()["entries_down"] == 1);
  CHECK(w.points[b]->journal().verify().ok());
}

TEST_CASE("a point whose clock is days off still syncs and the hub records the skew", "[sync]") {
  SyncWorld w;
  ManualClock wrong(w.clock.now_ms());
  size_t a = w.add_point("a", "area-x", 100, &wrong);
  w.take_in(a);  // under a number of today's block, before its clock went wrong
  wrong.set(w.clock.now_ms() - 4LL * 24 * 3600 * 1000);
  auto r = w.sync(a);
  REQUIRE(r.ok());
  CHECK(r.value()["entries_up"] == 1);
  CHECK(r.value()["skew_ms"].get<int64_t>() == 4LL * 24 * 3600 * 1000);
  CHECK(w.hub->points()[0]["skew_ms"].get<int64_t>() == 4LL * 24 * 3600 * 1000);
  CHECK(w.hub->sync_log("a", 0)["sessions"][0]["skew_ms"].get<int64_t>() == 4LL * 24 * 3600 * 1000);
}

TEST_CASE("a cut link loses at most the batch in flight and the next session resumes", "[sync]") {
  SyncWorld w;
  size_t a = w.add_point("a", "area-x");
  for (int i = 0; i < 50; ++i) w.take_in(a);
  // Deliver the first push, then cut the link before the hub's answer to the second one arrives.
  struct Cutting : sync::Transport {
    sync::Hub& hub;
    int pushes = 0;
    explicit Cutting(sync::Hub& h) : hub(h) {}
    Result<sync::WireResponse> exchange(const sync::WireRequest& r) override {
      auto res = hub.handle(r);
      if (r.path == "/sync/v2/push" && ++pushes == 2) return make_error("link_down", "cut");
      return res;
    }
  } cut(*w.hub);
  sync::ClientOptions small;
  small.batch_entries = 20;
  auto r = sync::sync_once(*w.points[a], cut, small);
  REQUIRE(!r.ok());
  CHECK(r.error().code == "link_down");
  CHECK(w.hub_node->journal().count() == 40);  // the second batch was stored though its receipt was lost
  CHECK(sync::point_status(*w.points[a])["connected"] == false);
  auto again = sync::sync_once(*w.points[a], *w.transports[a], small);
  REQUIRE(again.ok());
  CHECK(again.value()["entries_up"] == 10);
  CHECK(w.hub_node->journal().count() == 50);
  CHECK(w.held_at_hub() == 0);
  CHECK(w.hub->sync_log("a", 0)["sessions"].size() == 2);
}

TEST_CASE("the hub's scope feed lists each entry under its dossier's area and points, and follows a move", "[sync]") {
  SyncWorld w;
  size_t a = w.add_point("a", "area-x");
  size_t b = w.add_point("b", "area-y");
  size_t c = w.add_point("c", "area-y");
  const std::string d1 = w.take_in(a).subject;
  w.act(a, d1, "dossier.updated", {{"note", "đã bổ sung"}});
  for (int i = 0; i < 5; ++i) w.take_in(a);  // traffic outside b's and c's scope
  REQUIRE(w.sync(a).ok());
  node::Node& hub = *w.hub_node;
  // The keys d1's positions are listed under, in order ("a:<area>", "p:<point>").
  auto keys_of = [&](const std::string& subject) {
    std::set<std::string> keys;
    SQLite::Statement q(*hub.db(), "SELECT DISTINCT f.scope FROM hub_feed f JOIN journal j ON j.pos = f.pos WHERE j.subject = ?");
    q.bind(1, subject);
    while (q.executeStep()) keys.insert(q.getColumn(0).getString());
    return keys;
  };
  auto listed = [&](const std::string& key, const std::string& subject) {
    SQLite::Statement q(*hub.db(), "SELECT count(*) FROM hub_feed f JOIN journal j ON j.pos = f.pos WHERE f.scope = ? AND j.subject = ?");
    q.bind(1, key);
    q.bind(2, subject);
    q.executeStep();
    return q.getColumn(0).getInt64();
  };
  CHECK(keys_of(d1) == std::set<std::string>{"a:area-x", "p:a"});
  CHECK(listed("a:area-x", d1) == 2);
  REQUIRE(w.sync(c).ok());  // nothing of area-x reaches c
  CHECK(!w.points[c]->journal().subject_state(d1));

  // The return point moves to b: every entry of d1 is now listed for b too,
  // the earlier ones included, and b pulls them all.
  w.act(a, d1, "dossier.updated", {{"return_point", "b"}});
  REQUIRE(w.sync(a).ok());
  auto rb = w.sync(b);
  REQUIRE(rb.ok());
  CHECK(rb.value()["entries_down"] == 3);
  CHECK(keys_of(d1) == std::set<std::string>{"a:area-x", "p:a", "p:b"});
  CHECK(listed("p:b", d1) == 3);
  CHECK(w.points[b]->journal().subject_state(d1) == hub.journal().subject_state(d1));
  // c shares b's area, not the dossier: still nothing of it.
  auto rc = w.sync(c);
  REQUIRE(rc.ok());
  CHECK(rc.value()["entries_down"] == 0);
  CHECK(!w.points[c]->journal().subject_state(d1));
  auto rep = hub.journal().verify();
  INFO((rep.problems.empty() ? "" : rep.problems[0].what));
  CHECK(rep.ok());
}
