// Sync protocol v2, clocks and convergence (docs/sync-protocol.md, "Clocks"
// and "State hashes"): a bounded hybrid clock, the hub's skew alert, a point's
// business-time correction, and per-subject state hashes in pull pages that
// let a point see a divergence.
#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstring>

#include "dossier_fixture.hpp"
#include "motcua/node/dossiers.hpp"
#include "motcua/sync/hub_store.hpp"
#include "sync_test_util.hpp"

using namespace motcua;
using namespace motcua::test;

namespace {

constexpr int64_t kTenYearsMs = int64_t{10} * 365 * 24 * 3600 * 1000;
constexpr int64_t kHourMs = 3600 * 1000;

std::vector<sync::Alert> alerts_of(node::Node& n, const std::string& kind) {
  std::vector<sync::Alert> out;
  for (const auto& a : sync::make_sqlite_hub_store(n)->alerts("", 0))
    if (a.kind == kind) out.push_back(a);
  return out;
}

}  // namespace

TEST_CASE("the hybrid clock does not adopt a remote time beyond max_clock_offset_s", "[v2][v2-clock]") {
  ManualClock clock(1751335200000);
  node::HybridClock hlc(clock);
  CHECK(hlc.max_offset_ms() == 300 * 1000);
  const node::Hlc first = hlc.now();
  // Ten years ahead: ignored, the next stamp keeps the real time.
  CHECK_FALSE(hlc.observe(node::Hlc{clock.now_ms() + kTenYearsMs, 3}));
  CHECK(hlc.refused() == 1);
  node::Hlc next = hlc.now();
  CHECK(next > first);
  CHECK(next.ms == clock.now_ms());
  // Just within the bound: adopted, as a hybrid clock does.
  CHECK(hlc.observe(node::Hlc{clock.now_ms() + 200 * 1000, 4}));
  CHECK(hlc.now() > node::Hlc{clock.now_ms() + 200 * 1000, 4});
  // A configured bound.
  hlc.set_max_offset_ms(1000);
  CHECK_FALSE(hlc.observe(node::Hlc{clock.now_ms() + 250 * 1000, 0}));
  // An entry still sorts after its parents, whatever their stamps.
  const node::Hlc far{clock.now_ms() + kTenYearsMs, 9};
  node::Hlc child = hlc.now_above(far);
  CHECK(child > far);
  CHECK(hlc.now() > child);  // and the clock stays monotonic
}

TEST_CASE("a point ten years ahead drags neither the hub's clock nor other points' clocks", "[v2][v2-clock]") {
  SyncWorld w(11);
  ManualClock ahead(w.clock.now_ms() + kTenYearsMs);
  const size_t far = w.add_point("p-far", "area-a", 100, &ahead);
  const size_t near = w.add_point("p-near", "area-a");
  auto mine = w.points[far]->journal().append(intake_draft("far-1", "p-far", "area-a"));
  REQUIRE(mine.ok());
  CHECK(mine->hlc.ms >= ahead.now_ms());  // its own stamps follow its own (wrong) clock
  REQUIRE(w.sync(far).ok());
  REQUIRE(w.sync(near).ok());
  // The hub stored it (the chain goes through it) but holds it: hlc_future.
  auto row = w.hub_node->journal().quarantine_row(mine->id);
  REQUIRE(row);
  CHECK(row->code == "hlc_future");
  CHECK(row->state == "held");
  CHECK_FALSE(w.points[near]->journal().get(mine->id));  // it went nowhere

  const int64_t real = w.clock.now_ms();
  auto hub_entry = w.hub_node->journal().append(intake_draft("hub-1", "hub", "area-b"));
  REQUIRE(hub_entry.ok());
  CHECK(hub_entry->hlc.ms == real);
  CHECK(w.hub_node->journal().hlc().last().ms < real + 300 * 1000);

  // A receiver that does get the far-future entry (here straight into its
  // journal, as from another path) does not adopt its stamp either.
  auto theirs = w.points[far]->journal().author_entries(w.points[far]->keys().pk, 0, 100);
  REQUIRE(w.points[near]->journal().ingest_batch(theirs, true).ok());
  CHECK(w.points[near]->journal().hlc().refused() >= 1);
  auto near_entry = w.points[near]->journal().append(intake_draft("near-1", "p-near", "area-a"));
  REQUIRE(near_entry.ok());
  CHECK(near_entry->hlc.ms == real);
  // After a restart too: the floor is restored from entries within the bound only.
  w.points[near].reset();
  w.points[near] = open_existing(w.dir.sub("p-near"), w.clock, scope_projector);
  auto after_restart = w.points[near]->journal().append(intake_draft("near-2", "p-near", "area-a"));
  REQUIRE(after_restart.ok());
  CHECK(after_restart->hlc.ms == real);
  // An entry written on the far-future dossier still follows its parent
  // (causality), and so does the writer's chain after it: the reason the hub
  // quarantines such entries (hlc_future) before they reach anyone.
  auto child = w.points[near]->journal().append(event_draft("far-1", "dossier.updated", {{"n", 1}}));
  REQUIRE(child.ok());
  CHECK(child->hlc > mine->hlc);
  auto next = w.points[near]->journal().append(intake_draft("near-3", "p-near", "area-a"));
  REQUIRE(next.ok());
  CHECK(next->hlc > child->hlc);
}

TEST_CASE("a far-future edit neither wins the race nor travels: quarantined at the hub and alerted",
          "[v2][v2-clock]") {
  SyncWorld w(16, {});  // the real dossier projection
  w.clock.set(vn_ms(2025, 7, 1, 9));
  ManualClock ahead(w.clock.now_ms() + kTenYearsMs);
  std::vector<std::unique_ptr<node::DossierService>> svc;
  const char* names[] = {"xa-an-thi", "buu-dien-an-thi", "xa-an-vi"};
  for (int i = 0; i < 3; ++i) {
    auto code = w.hub->add_point({names[i], "an-thi", 20, 3, 3600 * 1000});
    REQUIRE(code.ok());
    w.points.push_back(make_node(w.dir.sub(names[i]), i == 1 ? ahead : w.clock, w.rng, node::Role::Point, names[i]));
    w.transports.push_back(std::make_unique<DirectTransport>(*w.hub));
    REQUIRE(sync::join(*w.points.back(), *w.transports.back(), "http://hub.test", code->code).ok());
    svc.push_back(std::make_unique<node::DossierService>(*w.points.back()));
  }
  node::Actor clerk{"lan", node::UserRole::Clerk};
  auto taken = svc[0]->intake(clerk, DossierFixture::intake_request());
  REQUIRE(taken.ok());
  const std::string code = taken.value()["code"].get<std::string>();
  REQUIRE(w.sync(0).ok());
  REQUIRE(w.sync(1).ok());  // the far-future point holds the dossier (same area)
  REQUIRE(w.points[1]->journal().subject_state(code));
  // Concurrent edits of the same field: the far-future one would win by its stamp.
  auto far_edit = svc[1]->update(clerk, code, Json{{"applicant", {{"phone", "0999999999"}}}});
  REQUIRE(far_edit.ok());
  auto good_edit = svc[0]->update(clerk, code, Json{{"applicant", {{"phone", "0911111111"}}}});
  REQUIRE(good_edit.ok());
  REQUIRE(w.sync(1).ok());  // pushed first: stored, but held
  REQUIRE(w.sync(0).ok());
  REQUIRE(w.sync(2).ok());  // every other point still syncs
  auto held = w.hub_node->journal().quarantine("held");
  REQUIRE(held.size() == 1);
  CHECK(held[0].code == "hlc_future");
  CHECK(held[0].subject == code);
  CHECK(to_hex(held[0].author) == to_hex(w.points[1]->keys().pk));
  // The right one wins at the hub and at every honest point.
  for (node::Node* n : {w.hub_node.get(), w.points[0].get(), w.points[2].get()}) {
    auto st = n->journal().subject_state(code);
    REQUIRE(st);
    CHECK((*st)["applicant"]["phone"] == "0911111111");
  }
  CHECK_FALSE(w.points[2]->journal().get(held[0].id));
  // Alerted for an admin: the entry, its code, and the clock skew of its point.
  bool quarantined = false;
  const Json log = w.hub->sync_log("", 0);
  for (const auto& a : log["alerts"])
    quarantined = quarantined || (a.value("kind", "") == "quarantined" &&
                                  a.value("detail", "").find("hlc_future") != std::string::npos &&
                                  a.value("point", "") == "buu-dien-an-thi");
  CHECK(quarantined);
  CHECK(alerts_of(*w.hub_node, "clock_skew").size() == 1);
}

TEST_CASE("the hub alerts a point's clock skew beyond the offset, folded per point and hour", "[v2][v2-clock]") {
  SyncWorld w(12);
  ManualClock behind(w.clock.now_ms() - kHourMs);
  const size_t slow = w.add_point("p-slow", "area-a", 100, &behind);
  const size_t good = w.add_point("p-good", "area-a");
  REQUIRE(w.sync(slow).ok());
  REQUIRE(w.sync(slow).ok());
  REQUIRE(w.sync(good).ok());
  auto skew = alerts_of(*w.hub_node, "clock_skew");
  REQUIRE(skew.size() == 1);  // both sessions of the same hour in one alert
  CHECK(skew[0].point == "p-slow");
  CHECK(skew[0].count == 2);
  CHECK(skew[0].detail.find("3600 s behind") != std::string::npos);
  // Visible to an admin in the sync log.
  bool listed = false;
  const Json log = w.hub->sync_log("p-slow", 0);
  for (const auto& a : log["alerts"]) listed = listed || a.value("kind", "") == "clock_skew";
  CHECK(listed);
  // Within the offset (4 minutes): no alert.
  behind.set(w.clock.now_ms() - 4 * 60 * 1000);
  w.clock.advance(2 * kHourMs);
  behind.advance(2 * kHourMs);
  REQUIRE(w.sync(slow).ok());
  CHECK(alerts_of(*w.hub_node, "clock_skew").size() == 1);
}

TEST_CASE("a point one hour behind takes a dossier in with the hub's time after a sync", "[v2][v2-clock]") {
  SyncWorld w(13, {});  // the real dossier projection
  // Hub: 1 July 00:30 Vietnam time; the point's clock says 30 June 23:30.
  w.clock.set(vn_ms(2025, 7, 1, 0, 30));
  ManualClock behind(w.clock.now_ms() - kHourMs);
  auto code = w.hub->add_point({"xa-an-thi", "an-thi", 5, 3, 3600 * 1000});
  REQUIRE(code.ok());
  w.points.push_back(make_node(w.dir.sub("xa-an-thi"), behind, w.rng, node::Role::Point, "xa-an-thi"));
  w.transports.push_back(std::make_unique<DirectTransport>(*w.hub));
  REQUIRE(sync::join(*w.points[0], *w.transports[0], "http://hub.test", code->code).ok());
  node::Node& point = *w.points[0];
  CHECK_FALSE(sync::point_status(point)["clock_corrected"].get<bool>());
  REQUIRE(w.sync(0).ok());
  // The hub reported the skew; the point now corrects its business times.
  auto st = sync::point_status(point);
  CHECK(st["clock_corrected"].get<bool>());
  CHECK(std::llabs(st["clock_offset_ms"].get<int64_t>() - kHourMs) < 1000);
  CHECK(point.meta("business_offset_ms") == st["clock_offset_ms"].dump());

  node::DossierService svc(point);
  node::Actor clerk{"lan", node::UserRole::Clerk};
  auto r = svc.intake(clerk, DossierFixture::intake_request());
  INFO((r.ok() ? "" : r.error().message));
  REQUIRE(r.ok());
  const std::string c = r.value()["code"].get<std::string>();
  CHECK(c.find("-250701-") != std::string::npos);  // the hub's day, not the point's 30 June
  CHECK(r.value()["received_at"] == vn_iso(2025, 7, 1, 0, 30));
  auto state = point.journal().subject_state(c);
  REQUIRE(state);
  CHECK((*state)["received_at"] == vn_iso(2025, 7, 1, 0, 30));

  // Once the clock is set right the correction goes away.
  behind.set(w.clock.now_ms());
  REQUIRE(w.sync(0).ok());
  CHECK_FALSE(sync::point_status(point)["clock_corrected"].get<bool>());
  CHECK(point.business_offset_ms() == 0);
}

TEST_CASE("a small skew (under 2 minutes) is not corrected", "[v2][v2-clock]") {
  SyncWorld w(14);
  ManualClock off(w.clock.now_ms() - 90 * 1000);
  const size_t i = w.add_point("p-1", "area-a", 100, &off);
  REQUIRE(w.sync(i).ok());
  CHECK(w.points[i]->business_offset_ms() == 0);
  CHECK_FALSE(sync::point_status(*w.points[i])["clock_corrected"].get<bool>());
  CHECK(alerts_of(*w.hub_node, "clock_skew").empty());
}

TEST_CASE("the state hash leaves out ICU-dependent search keys and includes the projector version", "[v2][v2-clock]") {
  Json state{{"code", "X-1"}, {"status", 1}, {"search_key", "x-1 nguyen van an"}};
  Json refolded = state;
  refolded["search_key"] = "x-1 nguyễn văn an";  // another ICU folds differently
  CHECK(node::subject_state_hash(state) == node::subject_state_hash(refolded));
  Json changed = state;
  changed["status"] = 2;
  CHECK(node::subject_state_hash(state) != node::subject_state_hash(changed));
  Json bare = state;
  bare.erase("search_key");
  CHECK(node::subject_state_hash(state) ==
        blake2b256("motcua/state/v" + std::to_string(node::kProjectorVersion) + "\n" + canonical_bytes(bare)));

  // On a node: the stored hashes follow the definition and the journal's hash
  // starts from the projector version.
  DossierFixture f;
  const std::string code = f.take_in();
  auto st = f.node->journal().subject_state(code);
  REQUIRE(st);
  REQUIRE(st->contains("search_key"));
  SQLite::Statement q(*f.node->db(), "SELECT state_hash FROM projection WHERE subject = ?");
  q.bind(1, code);
  REQUIRE(q.executeStep());
  Hash32 stored{};
  std::memcpy(stored.data(), q.getColumn(0).getBlob(), 32);
  CHECK(stored == node::subject_state_hash(*st));
  Blake2bStream h;
  const std::string version = "motcua/states/v" + std::to_string(node::kProjectorVersion) + "\n";
  h.update(reinterpret_cast<const uint8_t*>(version.data()), version.size());
  for (const auto& s : f.node->journal().subjects()) {
    SQLite::Statement one(*f.node->db(), "SELECT state_hash FROM projection WHERE subject = ?");
    one.bind(1, s);
    REQUIRE(one.executeStep());
    h.update(reinterpret_cast<const uint8_t*>(s.data()), s.size() + 1);
    h.update(static_cast<const uint8_t*>(one.getColumn(0).getBlob()), 32);
  }
  CHECK(f.node->journal().state_hash() == h.final());
  CHECK(f.node->journal().verify().ok());
}

TEST_CASE("pull pages carry state hashes: equal states give no divergence alert, a tampered row gives one",
          "[v2][v2-clock]") {
  SyncWorld w(15);
  const size_t a = w.add_point("p-a", "area-a");
  const size_t b = w.add_point("p-b", "area-a");
  const std::string s1 = w.take_in(a).subject;
  (void)w.take_in(a);
  REQUIRE(w.sync(a).ok());
  w.act(SyncWorld::kHub, s1, "dossier.accepted");
  auto first = w.sync(b);
  REQUIRE(first.ok());
  CHECK(first.value()["entries_down"] == 3);
  CHECK(first.value()["divergent"].empty());
  auto again = w.sync(a);  // a pulls the hub's entry; its own entries are comparable too
  REQUIRE(again.ok());
  CHECK(again.value()["divergent"].empty());
  CHECK(alerts_of(*w.points[a], "divergence").empty());
  CHECK(alerts_of(*w.points[b], "divergence").empty());
  // p-b asks for everything again (entries it holds: no-ops, but the pages
  // carry the hub's hash of each subject).
  {
    SQLite::Database raw(w.dir.sub("p-b") + "/motcua.db", SQLite::OPEN_READWRITE);
    raw.exec("UPDATE sync_state SET value = '0' WHERE key = 'pull_cursor'");
  }
  // Tamper with p-b's stored projection of s-1 (state and hash agree, so
  // only the comparison with the hub can tell).
  {
    Json bad = *w.points[b]->journal().subject_state(s1);
    bad["return_point"] = "p-b";
    Hash32 h = node::subject_state_hash(bad);
    SQLite::Database raw(w.dir.sub("p-b") + "/motcua.db", SQLite::OPEN_READWRITE);
    SQLite::Statement up(raw, "UPDATE projection SET state = ?, state_hash = ? WHERE subject = ?");
    up.bind(1, canonical_bytes(bad));
    up.bind(2, h.data(), 32);
    up.bind(3, s1);
    REQUIRE(up.exec() == 1);
  }
  auto tampered = w.sync(b);  // the cursor went back: the hub sends s-1 and s-2 again, with their states
  REQUIRE(tampered.ok());
  CHECK(tampered.value()["divergent"] == Json::array({s1}));
  auto div = alerts_of(*w.points[b], "divergence");
  REQUIRE(div.size() == 1);
  CHECK(div[0].source == s1);
  CHECK(div[0].detail.find(s1) != std::string::npos);
  // Visible in the point's sync log (what /api/v1/audit/sync-log shows).
  bool listed = false;
  const Json log = sync::point_sync_log(*w.points[b], "", 0);
  for (const auto& al : log["alerts"]) listed = listed || al.value("kind", "") == "divergence";
  CHECK(listed);
  // A rebuild from the journal repairs it; the next comparison agrees.
  REQUIRE(w.points[b]->journal().rebuild_projection().ok());
  {
    SQLite::Database raw(w.dir.sub("p-b") + "/motcua.db", SQLite::OPEN_READWRITE);
    raw.exec("UPDATE sync_state SET value = '0' WHERE key = 'pull_cursor'");
  }
  auto repaired = w.sync(b);
  REQUIRE(repaired.ok());
  CHECK(repaired.value()["divergent"].empty());
}
