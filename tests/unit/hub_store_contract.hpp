// The HubStore contract, for every backend: tests/unit/sync_hub_store_test.cpp
// (SQLite) and tests/unit/hub_store_pg_test.cpp (PostgreSQL) call these with
// their factories. check_hub_store(make): each make() returns a store on a
// fresh, empty database. The check_concurrent_* cases take open(i): several
// stores on ONE fresh database, as several hub processes would share it.
#pragma once
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <functional>
#include <set>
#include <sstream>
#include <thread>

#include "../../sync/src/sync_auth.hpp"
#include "../../sync/src/sync_codec.hpp"
#include "motcua/sync/client.hpp"
#include "motcua/sync/hub.hpp"
#include "motcua/sync/hub_store.hpp"
#include "sync_test_util.hpp"

namespace motcua::test::contract {

using namespace motcua;


inline PublicKey key(uint8_t b) {
  PublicKey k{};
  k.fill(b);
  return k;
}

inline sync::Alert alert(int64_t at_ms, const std::string& point, const std::string& kind, const std::string& source = "") {
  sync::Alert a;
  a.at_ms = at_ms;
  a.point = point;
  a.kind = kind;
  a.detail = "detail";
  a.source = source;
  return a;
}

inline sync::PointRecord point(const std::string& name, const std::string& area, int64_t capacity = 100) {
  sync::PointRecord p;
  p.name = name;
  p.area = area;
  p.daily_capacity = capacity;
  p.lease_days = 30;
  p.status = "pending";
  p.created_ms = 1000;
  p.agency_code = "AG";  // set by the admin at point add, kept at enrolment
  return p;
}

inline void check_hub_store(const std::function<std::unique_ptr<sync::HubStore>()>& make) {
  SECTION("points: unique names, lookup by name and key, revocation") {
    auto s = make();
    REQUIRE(s->add_point(point("b", "area-y")).ok());
    REQUIRE(s->add_point(point("a", "area-x")).ok());
    CHECK(s->add_point(point("a", "area-z")).error().code == "conflict");
    CHECK(s->point("a")->area == "area-x");
    CHECK(!s->point("zz"));
    auto all = s->points();
    REQUIRE(all.size() == 2);
    CHECK(all[0].name == "a");
    CHECK(all[0].status == "pending");
    CHECK(!all[0].key);
    CHECK(s->revoke_point("zz", 1).error().code == "not_found");
    REQUIRE(s->revoke_point("b", 5000).ok());
    REQUIRE(s->revoke_point("b", 9000).ok());  // idempotent, keeps the first time
    CHECK(s->point("b")->status == "revoked");
    CHECK(s->point("b")->revoked_ms == 5000);
    s->set_pull_cursor("a", 42);
    s->note_contact("a", 7000, -300);
    s->note_success("a", 7100);
    auto a = s->point("a");
    CHECK(a->pull_cursor == 42);
    CHECK(a->last_seen_ms == 7000);
    CHECK(a->skew_ms == -300);
    CHECK(a->last_success_ms == 7100);
    // Chains (docs/sync-protocol.md 13.4): the cursor only moves forward unless reset.
    s->set_pull_cursor("a", 40);
    CHECK(s->point("a")->pull_cursor == 42);
    s->reset_pull_cursor("a", 10);
    CHECK(s->point("a")->pull_cursor == 10);
    CHECK(s->note_point_epoch("a", "e1", 1) == "new");
    CHECK(s->note_point_epoch("a", "e1", 2) == "current");
    CHECK(s->note_point_epoch("a", "e2", 3) == "new");
    CHECK(s->note_point_epoch("a", "e1", 4) == "retired");
    CHECK(s->point("a")->epoch == "e2");
    CHECK(s->set_point_status("zz", "quarantined").error().code == "not_found");
    REQUIRE(s->set_point_status("a", "quarantined").ok());
    CHECK(s->point("a")->status == "quarantined");
    sync::ForkEvidence f;
    f.author = key(1);
    f.seq = 3;
    f.held_seq = 3;
    f.held_id = blake2b256("held");
    f.other_id = blake2b256("other");
    CHECK(s->add_fork_evidence(f));
    f.other_canonical = "{}";
    f.other_sig = Signature{};
    CHECK(!s->add_fork_evidence(f));  // the same fork: its bytes filled in, not a second row
    auto ev = s->fork_evidence(key(1), 10);
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].other_canonical == "{}");
    CHECK(s->fork_evidence(key(2), 10).empty());
  }
  SECTION("enrolment codes are one-time, expire, and bind exactly one key") {
    auto s = make();
    REQUIRE(s->add_point(point("a", "area-x")).ok());
    REQUIRE(s->add_point(point("b", "area-x")).ok());
    Hash32 ca = blake2b256("code-a"), cb = blake2b256("code-b"), cc = blake2b256("code-c");
    REQUIRE(s->add_enrolment_code(ca, "0000000a", blake2b256("key-a"), "a", 10000).ok());
    REQUIRE(s->add_enrolment_code(cb, "0000000b", blake2b256("key-b"), "b", 10000).ok());
    auto found = s->enrolment_codes("0000000a");
    REQUIRE(found.size() == 1);
    CHECK(found[0].code_hash == ca);
    CHECK(found[0].enrol_key == blake2b256("key-a"));
    CHECK(found[0].point == "a");
    CHECK(found[0].used_ms == 0);
    CHECK(!found[0].used_by);
    CHECK(s->enrolment_codes("ffffffff").empty());
    CHECK(s->enrol(blake2b256("unknown"), key(1), 500).error().code == "enrolment_refused");
    auto p = s->enrol(ca, key(1), 500);
    REQUIRE(p.ok());
    CHECK(p->status == "active");
    CHECK(*p->key == key(1));
    CHECK(p->agency_code == "AG");
    CHECK(s->point_by_key(key(1))->name == "a");
    CHECK(s->enrolment_codes("0000000a")[0].used_by == key(1));  // who used it: the same key may ask again
    CHECK(s->enrol(ca, key(2), 600).error().code == "enrolment_refused");  // used
    CHECK(s->enrol(cb, key(1), 600).error().code == "enrolment_refused");  // key already enrolled as a
    CHECK(s->enrol(cb, key(2), 10001).error().code == "enrolment_refused");  // expired
    CHECK(!s->point_by_key(key(2)));
    REQUIRE(s->add_enrolment_code(cc, "0000000c", blake2b256("key-c"), "b", 20000).ok());
    REQUIRE(s->revoke_point("b", 700).ok());
    CHECK(s->enrol(cc, key(2), 800).error().code == "enrolment_refused");  // revoked point
  }
  SECTION("sessions belong to one key and keep their last request counter until they expire") {
    auto s = make();
    s->open_session("s1", key(1), 2000);
    CHECK(s->session_counter("s1") == 0);
    s->set_session_counter("s1", 3);
    s->set_session_counter("s1", 2);  // never lowered
    CHECK(s->session_counter("s1") == 3);
    CHECK(s->session_counter("nope") == 0);
    // The compare-and-set the hub checks requests with: above the stored one only.
    CHECK(s->advance_session_counter("s1", 4));
    CHECK_FALSE(s->advance_session_counter("s1", 4));  // a replay
    CHECK_FALSE(s->advance_session_counter("s1", 2));  // an older request
    CHECK(s->session_counter("s1") == 4);
    CHECK(s->advance_session_counter("s1", 9));  // counters may skip
    CHECK(s->session_counter("s1") == 9);
    CHECK_FALSE(s->advance_session_counter("nope", 1));  // no such session
    CHECK(s->session_counter("nope") == 0);
    s->open_session("s1", key(1), 2000);  // reopened: starts again at 0
    CHECK(s->advance_session_counter("s1", 1));
    CHECK(s->session_valid("s1", key(1), 1999));
    CHECK(!s->session_valid("s1", key(2), 1999));
    CHECK(!s->session_valid("s1", key(1), 2001));
    CHECK(!s->session_valid("nope", key(1), 10));
    s->prune(2500);
    CHECK(!s->session_valid("s1", key(1), 1500));
  }
  SECTION("leases of a day never overlap and are never reused") {
    auto s = make();
    std::set<int> used;
    for (int i = 0; i < 5; ++i) {
      auto l = s->lease("AG", "250701", "p" + std::to_string(i % 2), 2000);
      REQUIRE(l.ok());
      for (int n = l->first; n <= l->last; ++n) CHECK(used.insert(n).second);
    }
    auto last = s->lease("AG", "250701", "p0", 2000);  // only 9999 - 10000 < 0 left: nothing
    CHECK(!last.ok());
    CHECK(last.error().code == "sequence_exhausted");
    auto other_agency = s->lease("AG2", "250701", "p0", 10);
    REQUIRE(other_agency.ok());
    CHECK(other_agency->first == 1);
    auto other_day = s->lease("AG", "250702", "p1", 10);
    REQUIRE(other_day.ok());
    CHECK(other_day->first == 1);
    auto mine = s->leases_of("p1", "250701");
    REQUIRE(mine.size() == 3);
    CHECK(mine.back().day == "250702");
    CHECK(s->leases_of("p1", "250702").size() == 1);
  }
  SECTION("receipts, the sync log and alerts are kept and filtered") {
    auto s = make();
    s->add_receipt(sync::ReceiptRecord{"a", key(1), 5, blake2b256("e5"), 100, "{}", Signature{}});
    s->add_receipt(sync::ReceiptRecord{"b", key(2), 7, blake2b256("e7"), 200, "{}", Signature{}});
    REQUIRE(s->receipts("a", 10).size() == 1);
    CHECK(s->receipts("a", 10)[0].upto_seq == 5);
    CHECK(s->receipts("", 10).size() == 2);
    sync::SyncLogRow r;
    r.id = "s1";
    r.point = "a";
    r.started_ms = 1000;
    r.result = "running";
    s->put_session(r);
    r.result = "ok";
    r.entries_up = 9;
    s->put_session(r);  // replaces
    sync::SyncLogRow r2 = r;
    r2.id = "s2";
    r2.point = "b";
    r2.started_ms = 5000;
    s->put_session(r2);
    auto all = s->sessions("", 0, 10);
    REQUIRE(all.size() == 2);
    CHECK(all[0].id == "s2");  // newest first
    CHECK(s->sessions("a", 0, 10).at(0).entries_up == 9);
    CHECK(s->sessions("", 2000, 10).size() == 1);
    CHECK(s->session("s1")->result == "ok");
    CHECK(!s->session("none"));
    // Filtered by result: "failed" takes refused sessions and running ones
    // with no activity since stale_before_ms; limit counts after the filter.
    sync::SyncLogRow r3 = r;
    r3.id = "s3";
    r3.started_ms = r3.ended_ms = 6000;
    r3.result = "refused";
    s->put_session(r3);
    r3.id = "s4";
    r3.started_ms = r3.ended_ms = 7000;
    r3.result = "running";
    s->put_session(r3);
    auto ids = [&](const sync::SyncLogQuery& q) {
      std::vector<std::string> out;
      for (const auto& x : s->sessions_where(q)) out.push_back(x.id);
      return out;
    };
    sync::SyncLogQuery q;
    q.stale_before_ms = 6500;
    CHECK(ids(q) == std::vector<std::string>{"s4", "s3", "s2", "s1"});
    q.result = "ok";
    CHECK(ids(q) == std::vector<std::string>{"s2", "s1"});
    q.limit = 1;
    CHECK(ids(q) == std::vector<std::string>{"s2"});
    q.limit = 10;
    q.result = "failed";
    CHECK(ids(q) == std::vector<std::string>{"s3"});
    q.result = "running";
    CHECK(ids(q) == std::vector<std::string>{"s4"});
    q.stale_before_ms = 8000;
    CHECK(ids(q).empty());
    q.result = "failed";
    CHECK(ids(q) == std::vector<std::string>{"s4", "s3"});
    q.point = "a";
    CHECK(ids(q) == std::vector<std::string>{"s4", "s3"});
    q.point = "b";
    CHECK(ids(q).empty());
    s->add_alert(alert(100, "a", "equivocation"));
    s->add_alert(alert(300, "b", "revoked"));
    CHECK(s->alerts("", 0).size() == 2);
    CHECK(s->alerts("a", 0).size() == 1);
    CHECK(s->alerts("", 200).size() == 1);
  }
  SECTION("counters grow with what they count and only with that") {
    auto s = make();
    sync::SyncLogRow r;
    r.id = "s1";
    r.point = "a";
    r.started_ms = 1000;
    r.result = "running";
    r.bytes_up = 40;
    s->put_session(r);
    r.bytes_up = 100;
    r.bytes_down = 7;
    r.entries_down = 3;
    s->put_session(r);
    s->put_session(r);  // unchanged: counts nothing
    r.result = "ok";
    s->put_session(r);
    s->put_session(r);  // still ok: one session
    auto c = s->counters();
    CHECK(c.bytes_up == 100);
    CHECK(c.bytes_down == 7);
    CHECK(c.entries_down == 3);
    CHECK(c.entries_up == 0);
    CHECK(c.sessions == std::map<std::string, int64_t>{{"ok", 1}});
    s->add_receipt(sync::ReceiptRecord{"a", key(1), 5, Hash32{}, 100, "{}", Signature{}});
    s->add_alert(alert(100, "a", "equivocation"));
    CHECK(s->counters().receipts == 1);
    CHECK(s->counters().alerts == std::map<std::string, int64_t>{{"equivocation", 1}});
  }
  SECTION("fold_alert adds to one alert per kind, point and source from since_ms on") {
    auto s = make();
    CHECK(s->fold_alert(alert(1000, "", "enrolment_refused", "10.0.0.1"), 0) == 1);
    CHECK(s->fold_alert(alert(2000, "", "enrolment_refused", "10.0.0.1"), 0) == 2);
    CHECK(s->fold_alert(alert(2500, "", "enrolment_refused", "10.0.0.2"), 0) == 1);
    CHECK(s->fold_alert(alert(3000, "", "enrolment_refused", "10.0.0.1"), 2600) == 1);  // a new window
    auto all = s->alerts("", 0);
    REQUIRE(all.size() == 3);
    CHECK(all[2].source == "10.0.0.1");
    CHECK(all[2].count == 2);
    CHECK(all[2].at_ms == 1000);
    CHECK(all[2].last_ms == 2000);
    CHECK(s->alerts("", 1500).size() == 3);  // by last occurrence
    CHECK(s->counters().alerts["enrolment_refused"] == 4);
  }
  SECTION("a succession spends its code once, retires the old blocks and binds the new key") {
    auto s = make();
    REQUIRE(s->add_point(point("a", "area-x")).ok());
    const Hash32 first = blake2b256("first"), repl = blake2b256("replace");
    REQUIRE(s->add_enrolment_code(first, "00000001", blake2b256("k1"), "a", 10000).ok());
    REQUIRE(s->enrol(first, key(1), 100).ok());
    auto before = s->lease("AG", "250701", "a", 10);
    REQUIRE(before.ok());
    REQUIRE(s->add_enrolment_code(repl, "00000002", blake2b256("k2"), "a", 10000, key(1)).ok());
    CHECK(s->enrolment_codes("00000002").at(0).replaces == key(1));
    CHECK(s->enrol(repl, key(2), 200).error().code == "enrolment_refused");  // a replacement code
    sync::Succession sc;
    sc.point = "a";
    sc.old_key = key(1);
    sc.new_key = key(2);
    sc.revoked_seq = 7;
    sc.revoked_id = blake2b256("e7");
    sc.at_ms = 300;
    sc.body = "{}";
    sync::Succession wrong = sc;
    wrong.old_key = key(9);
    CHECK(s->succeed(repl, wrong).error().code == "enrolment_refused");
    auto p = s->succeed(repl, sc);
    REQUIRE(p.ok());
    CHECK(*p->key == key(2));
    CHECK(p->status == "active");
    CHECK(s->succeed(repl, sc).error().code == "enrolment_refused");  // spent
    CHECK(s->leases_of("a", "250701").empty());                        // retired with the old key
    auto after = s->lease("AG", "250701", "a", 10);
    REQUIRE(after.ok());
    CHECK(after->first == before->last + 1);  // retired numbers are never given out again
    REQUIRE(s->successions("a").size() == 1);
    CHECK(s->successions("").at(0).revoked_id == blake2b256("e7"));
    CHECK(s->succession_of(key(1))->new_key == key(2));
    CHECK(!s->succession_of(key(2)));
  }
  SECTION("retention drops old rows, keeps the latest receipt per point and author, and no counter") {
    auto s = make();
    for (int i = 1; i <= 3; ++i) {
      s->add_receipt(sync::ReceiptRecord{"a", key(1), i, Hash32{}, 100 * i, "{}", Signature{}});
      s->add_receipt(sync::ReceiptRecord{"a", key(2), i, Hash32{}, 100 * i, "{}", Signature{}});
    }
    s->add_receipt(sync::ReceiptRecord{"b", key(1), 1, Hash32{}, 100, "{}", Signature{}});
    sync::SyncLogRow r;
    r.point = "a";
    for (int i = 0; i < 4; ++i) {
      r.id = "s" + std::to_string(i);
      r.started_ms = r.ended_ms = 1000 * (i + 1);
      r.result = i == 3 ? "running" : "ok";
      r.bytes_up = 10;
      s->put_session(r);
    }
    r.id = "old-running";
    r.started_ms = r.ended_ms = 500;
    r.result = "running";
    s->put_session(r);
    s->add_alert(alert(100, "a", "equivocation"));
    s->add_alert(alert(5000, "a", "revoked"));
    s->open_session("sess-old", key(1), 2000);
    s->open_session("sess-new", key(1), 9000);
    auto before = s->counters();
    sync::RetentionPolicy p;
    p.sync_log_before_ms = 2500;
    p.receipts_before_ms = 250;
    p.alerts_before_ms = 1000;
    p.interrupted_before_ms = 3500;
    p.now_ms = 3000;
    auto rep = s->apply_retention(p);
    CHECK(rep.interrupted == 1);  // old-running (s3 was active at 4000)
    CHECK(rep.sessions == 3);     // s0, s1 and old-running, now settled; s2 and s3 stay
    CHECK(rep.receipts == 4);     // seq 1 and 2 of both authors at a; b keeps its only (latest) one
    CHECK(rep.alerts == 1);
    auto left = s->sessions("", 0, 10);
    REQUIRE(left.size() == 2);
    CHECK(left[0].id == "s3");
    CHECK(left[0].result == "running");
    auto after = s->counters();
    CHECK(after.bytes_up == before.bytes_up);
    CHECK(after.receipts == before.receipts);
    CHECK(after.alerts == before.alerts);
    CHECK(after.sessions["interrupted"] == 1);
    CHECK(after.sessions["ok"] == before.sessions["ok"]);
    CHECK(s->session_valid("sess-new", key(1), 3000));   // still open
    CHECK(!s->session_valid("sess-old", key(1), 1000));  // forgotten after it expired
  }
  SECTION("the registry generation moves with every change to the registry's sources, and only with them") {
    auto s = make();
    auto moved = [&, last = s->registry_generation()]() mutable {
      const int64_t now = s->registry_generation();
      const bool changed = now != last;
      last = now;
      return changed;
    };
    REQUIRE(s->registry_generation() >= 0);
    REQUIRE(s->add_point(point("a", "area-x")).ok());
    CHECK(moved());
    REQUIRE(s->add_enrolment_code(blake2b256("c1"), "00000001", blake2b256("k1"), "a", 10000).ok());
    CHECK(!moved());  // a code is not the registry
    REQUIRE(s->enrol(blake2b256("c1"), key(1), 100).ok());
    CHECK(moved());
    // What every hello and pull writes changes nothing the registry holds.
    s->note_contact("a", 200, 5);
    s->note_success("a", 210);
    s->set_pull_cursor("a", 7);
    s->set_sent_cursor("a", 9);
    (void)s->note_point_epoch("a", "e1", 220);
    REQUIRE(s->lease("AG", "250701", "a", 10).ok());
    CHECK(!moved());
    REQUIRE(s->set_point_status("a", "quarantined").ok());
    CHECK(moved());
    REQUIRE(s->set_point_status("a", "active").ok());
    CHECK(moved());
    REQUIRE(s->add_enrolment_code(blake2b256("c2"), "00000002", blake2b256("k2"), "a", 10000, key(1)).ok());
    sync::Succession sc;
    sc.point = "a";
    sc.old_key = key(1);
    sc.new_key = key(2);
    sc.revoked_seq = 3;
    sc.revoked_id = blake2b256("e3");
    sc.at_ms = 300;
    sc.body = "{}";
    REQUIRE(s->succeed(blake2b256("c2"), sc).ok());
    CHECK(moved());
    REQUIRE(s->revoke_point("a", 400, 5, blake2b256("e5")).ok());
    CHECK(moved());
  }
}


// ---- Concurrent cases. `open(i)` returns the i-th of several HubStore
// objects on ONE database (separate connections where the backend has them):
// what two hub processes would share. Catch's assertions are not thread-safe,
// so the threads only record and the checks run after they join.

using OpenShared = std::function<std::unique_ptr<sync::HubStore>(int)>;

template <class F>
void run_threads(int n, F&& body) {
  std::atomic<int> ready{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < n; ++i)
    ts.emplace_back([&, i] {
      ready.fetch_add(1);
      while (ready.load() < n) std::this_thread::yield();  // start together
      body(i);
    });
  for (auto& t : ts) t.join();
}

// N threads leasing blocks of one (agency, day): disjoint, and together
// exactly 1..(sum of what was asked), each block where its point finds it.
inline void check_concurrent_leases(const OpenShared& open, int threads, int per_thread) {
  std::vector<std::unique_ptr<sync::HubStore>> stores;
  for (int i = 0; i < threads; ++i) stores.push_back(open(i));
  std::vector<std::vector<sync::Lease>> got(static_cast<size_t>(threads));
  std::vector<std::string> errors(static_cast<size_t>(threads));
  run_threads(threads, [&](int i) {
    for (int k = 0; k < per_thread; ++k) {
      auto l = stores[static_cast<size_t>(i)]->lease("AG", "250701", "p" + std::to_string(i), 3 + (i + k) % 5);
      if (!l.ok()) {
        errors[static_cast<size_t>(i)] = l.error().code + ": " + l.error().message;
        return;
      }
      got[static_cast<size_t>(i)].push_back(*l);
    }
  });
  for (const auto& e : errors) CHECK(e == "");
  std::vector<std::pair<int, int>> all;
  int asked = 0;
  for (int i = 0; i < threads; ++i)
    for (int k = 0; k < per_thread; ++k) asked += 3 + (i + k) % 5;
  for (const auto& v : got)
    for (const auto& l : v) all.emplace_back(l.first, l.last);
  std::sort(all.begin(), all.end());
  REQUIRE(static_cast<int>(all.size()) == threads * per_thread);
  int next = 1;
  for (const auto& [first, last] : all) {
    CHECK(first == next);  // no overlap, no hole
    next = last + 1;
  }
  CHECK(next - 1 == asked);
  auto reader = open(threads);
  for (int i = 0; i < threads; ++i) {
    auto mine = reader->leases_of("p" + std::to_string(i), "250701");
    CHECK(mine.size() == got[static_cast<size_t>(i)].size());
  }
}

// N threads enrolling N different keys with ONE code: exactly one wins.
inline void check_concurrent_enrolment(const OpenShared& open, int threads) {
  std::vector<std::unique_ptr<sync::HubStore>> stores;
  for (int i = 0; i < threads; ++i) stores.push_back(open(i));
  REQUIRE(stores[0]->add_point(point("a", "area-x")).ok());
  const Hash32 code = blake2b256("the-code");
  REQUIRE(stores[0]->add_enrolment_code(code, "0000000a", blake2b256("k"), "a", 10000).ok());
  std::vector<std::string> outcome(static_cast<size_t>(threads));
  run_threads(threads, [&](int i) {
    auto r = stores[static_cast<size_t>(i)]->enrol(code, key(static_cast<uint8_t>(10 + i)), 500);
    outcome[static_cast<size_t>(i)] = r.ok() ? "ok" : r.error().code;
  });
  int wins = 0, winner = -1;
  for (int i = 0; i < threads; ++i) {
    if (outcome[static_cast<size_t>(i)] == "ok") {
      ++wins;
      winner = i;
    } else {
      CHECK(outcome[static_cast<size_t>(i)] == "enrolment_refused");
    }
  }
  REQUIRE(wins == 1);
  auto reader = open(threads);
  CHECK(*reader->point("a")->key == key(static_cast<uint8_t>(10 + winner)));
  CHECK(reader->enrolment_codes("0000000a").at(0).used_by == key(static_cast<uint8_t>(10 + winner)));
}

// N threads replacing a point's key with ONE replacement code (succession),
// each with another new key: exactly one wins, and the point has its key.
inline void check_concurrent_succession(const OpenShared& open, int threads) {
  std::vector<std::unique_ptr<sync::HubStore>> stores;
  for (int i = 0; i < threads; ++i) stores.push_back(open(i));
  REQUIRE(stores[0]->add_point(point("a", "area-x")).ok());
  const Hash32 first = blake2b256("first"), repl = blake2b256("replace");
  REQUIRE(stores[0]->add_enrolment_code(first, "00000001", blake2b256("k1"), "a", 10000).ok());
  REQUIRE(stores[0]->enrol(first, key(1), 100).ok());
  REQUIRE(stores[0]->add_enrolment_code(repl, "00000002", blake2b256("k2"), "a", 10000, key(1)).ok());
  std::vector<std::string> outcome(static_cast<size_t>(threads));
  run_threads(threads, [&](int i) {
    sync::Succession sc;
    sc.point = "a";
    sc.old_key = key(1);
    sc.new_key = key(static_cast<uint8_t>(20 + i));
    sc.at_ms = 300;
    sc.body = "{}";
    auto r = stores[static_cast<size_t>(i)]->succeed(repl, sc);
    outcome[static_cast<size_t>(i)] = r.ok() ? "ok" : r.error().code;
  });
  int wins = 0, winner = -1;
  for (int i = 0; i < threads; ++i) {
    if (outcome[static_cast<size_t>(i)] == "ok") {
      ++wins;
      winner = i;
    } else {
      CHECK(outcome[static_cast<size_t>(i)] == "enrolment_refused");
    }
  }
  REQUIRE(wins == 1);
  auto reader = open(threads);
  CHECK(*reader->point("a")->key == key(static_cast<uint8_t>(20 + winner)));
  CHECK(reader->successions("a").size() == 1);
}

// N threads (each its own store on the one database, as N hub processes)
// offering the same request counters 1..rounds of one session, each in
// order: every counter is accepted exactly once, by one of them.
inline void check_concurrent_session_counter(const OpenShared& open, int threads, int rounds) {
  std::vector<std::unique_ptr<sync::HubStore>> stores;
  for (int i = 0; i < threads; ++i) stores.push_back(open(i));
  stores[0]->open_session("shared", key(1), 1000000);
  std::vector<std::vector<int>> won(static_cast<size_t>(threads));
  run_threads(threads, [&](int i) {
    for (int c = 1; c <= rounds; ++c)
      if (stores[static_cast<size_t>(i)]->advance_session_counter("shared", c)) won[static_cast<size_t>(i)].push_back(c);
  });
  std::vector<int> all;
  for (const auto& v : won) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  REQUIRE(static_cast<int>(all.size()) == rounds);  // no counter accepted twice, none lost
  for (int c = 1; c <= rounds; ++c) CHECK(all[static_cast<size_t>(c - 1)] == c);
  CHECK(open(threads)->session_counter("shared") == rounds);
}

// N threads folding the same M alerts (one per source, in the same order,
// so that each alert's first fold is a race between all threads): each
// alert one row counting N, each fold_alert call on it seeing a distinct
// count, and the counter grown by N * M.
inline void check_concurrent_fold(const OpenShared& open, int threads, int per_thread) {
  std::vector<std::unique_ptr<sync::HubStore>> stores;
  for (int i = 0; i < threads; ++i) stores.push_back(open(i));
  auto source = [](int k) { return "10.0.0." + std::to_string(k); };
  std::vector<std::vector<int64_t>> counts(static_cast<size_t>(threads));
  run_threads(threads, [&](int i) {
    for (int k = 0; k < per_thread; ++k)
      counts[static_cast<size_t>(i)].push_back(
          stores[static_cast<size_t>(i)]->fold_alert(alert(1000 + k, "", "enrolment_refused", source(k)), 0));
  });
  for (int k = 0; k < per_thread; ++k) {
    std::set<int64_t> seen;
    for (const auto& v : counts) seen.insert(v[static_cast<size_t>(k)]);
    CHECK(seen.size() == static_cast<size_t>(threads));  // 1..N, each once
    CHECK(*seen.rbegin() == threads);
  }
  auto reader = open(threads);
  auto all = reader->alerts("", 0);
  REQUIRE(all.size() == static_cast<size_t>(per_thread));
  for (const auto& a : all) CHECK(a.count == threads);
  CHECK(reader->counters().alerts["enrolment_refused"] == static_cast<int64_t>(threads) * per_thread);
}

// ---- copy_hub_bookkeeping (motcua hub copy-store): every row of every
// table, values as they were, into an empty store of any backend.

// Fills `s` with some of everything: points in each state (pending,
// active with two epochs, quarantined, revoked, succeeded), codes used and
// not, leases (some retired by a succession), receipts, sync log rows,
// alerts (one folded), fork evidence with and without the other entry,
// counters.
inline void fill_bookkeeping(sync::HubStore& s) {
  for (const char* n : {"a", "b", "c", "d"}) {
    auto p = point(n, std::string("area-") + n);
    p.place_name = std::string("Xã ") + n;
    p.acts = {"dossier.intake", "dossier.handover"};
    REQUIRE(s.add_point(p).ok());
  }
  auto code = [](const std::string& n) { return blake2b256("code-" + n); };
  for (const char* n : {"a", "b", "c", "d"})
    REQUIRE(s.add_enrolment_code(code(n), std::string("id-") + n, blake2b256(std::string("k-") + n), n, 50000).ok());
  REQUIRE(s.enrol(code("a"), key(1), 100).ok());
  REQUIRE(s.enrol(code("c"), key(3), 110).ok());
  REQUIRE(s.enrol(code("d"), key(4), 120).ok());
  CHECK(s.note_point_epoch("a", "epoch-1", 200) == "new");
  CHECK(s.note_point_epoch("a", "epoch-2", 300) == "new");
  s.set_pull_cursor("a", 77);
  s.set_sent_cursor("a", 90);
  s.note_contact("a", 400, -25);
  s.note_success("a", 410);
  REQUIRE(s.set_point_status("c", "quarantined").ok());
  REQUIRE(s.lease("AG", "250701", "a", 10).ok());
  REQUIRE(s.lease("AG", "250701", "d", 5).ok());
  REQUIRE(s.lease("AG", "250702", "d", 7).ok());
  REQUIRE(s.add_enrolment_code(code("d2"), "id-d2", blake2b256("k-d2"), "d", 50000, key(4)).ok());
  sync::Succession sc;
  sc.point = "d";
  sc.old_key = key(4);
  sc.new_key = key(5);
  sc.revoked_seq = 12;
  sc.revoked_id = blake2b256("last-of-d");
  sc.at_ms = 500;
  sc.body = "{\"type\":\"succession\"}";
  sc.sig.fill(9);
  REQUIRE(s.succeed(code("d2"), sc).ok());
  REQUIRE(s.revoke_point("b", 600, 3, blake2b256("last-of-b")).ok());
  for (int i = 0; i < 3; ++i) {
    sync::ReceiptRecord r;
    r.point = "a";
    r.author = key(1);
    r.upto_seq = 10 + i;
    r.entry = blake2b256("entry-" + std::to_string(i));
    r.hub_time_ms = 700 + i;
    r.body = "{\"n\":" + std::to_string(i) + "}";
    r.sig.fill(static_cast<uint8_t>(i + 1));
    s.add_receipt(r);
  }
  sync::SyncLogRow row;
  row.id = "sess-1";
  row.point = "a";
  row.started_ms = 800;
  row.ended_ms = 810;
  row.entries_up = 5;
  row.bytes_up = 500;
  row.bytes_down = 80;
  row.receipts = 1;
  row.result = "ok";
  s.put_session(row);
  row.id = "sess-2";
  row.started_ms = 900;
  row.ended_ms = 0;
  row.result = "failed";
  row.error = "network: cut";
  s.put_session(row);
  s.add_alert(alert(1000, "a", "equivocation", "10.0.0.1"));
  s.fold_alert(alert(1100, "", "enrolment_refused", "10.0.0.9"), 0);
  s.fold_alert(alert(1200, "", "enrolment_refused", "10.0.0.9"), 0);
  sync::ForkEvidence f;
  f.author = key(3);
  f.seq = 4;
  f.reporter = "c";
  f.at_ms = 1300;
  f.held_seq = 4;
  f.held_id = blake2b256("held");
  f.other_id = blake2b256("other");
  CHECK(s.add_fork_evidence(f));
  f.seq = 5;
  f.other_id = blake2b256("other-2");
  f.other_canonical = "{\"seq\":5}";
  f.other_sig = Signature{};
  f.other_sig->fill(7);
  CHECK(s.add_fork_evidence(f));
  s.add_to_counter("enrolments_throttled", 4);
}

// Every value of a store's bookkeeping as text, for comparing two stores.
inline std::string dump_bookkeeping(sync::HubStore& s) {
  auto b = sync::export_hub_bookkeeping(s);
  REQUIRE(b.ok());
  std::ostringstream o;
  auto hex = [](const auto& a) { return to_hex(a); };
  for (const auto& p : b->points)
    o << "point " << p.name << " " << p.area << " " << p.daily_capacity << " " << p.lease_days << " " << p.status << " "
      << (p.key ? hex(*p.key) : "-") << " " << p.agency_code << " " << p.created_ms << " " << p.enrolled_ms << " "
      << p.revoked_ms << " " << p.pull_cursor << " " << p.sent_cursor << " " << p.last_seen_ms << " "
      << p.last_success_ms << " " << p.skew_ms << " " << p.place_name << " " << p.epoch << " "
      << [&] { std::string a; for (const auto& x : p.acts) a += x + ","; return a; }() << " " << p.revoked_seq << " " << hex(p.revoked_id) << "\n";
  for (const auto& e : b->epochs) o << "epoch " << e.point << " " << e.epoch << " " << e.first_ms << "\n";
  for (const auto& c : b->codes)
    o << "code " << hex(c.code_hash) << " " << c.code_id << " " << hex(c.enrol_key) << " " << c.point << " "
      << c.expires_ms << " " << c.used_ms << " " << (c.used_by ? hex(*c.used_by) : "-") << " "
      << (c.replaces ? hex(*c.replaces) : "-") << "\n";
  for (const auto& l : b->leases)
    o << "lease " << l.lease.agency << " " << l.lease.day << " " << l.lease.first << "-" << l.lease.last << " "
      << l.lease.point << " " << l.retired_ms << "\n";
  for (const auto& x : b->successions)
    o << "succession " << x.point << " " << hex(x.old_key) << " " << hex(x.new_key) << " " << x.revoked_seq << " "
      << hex(x.revoked_id) << " " << x.at_ms << " " << x.body << " " << hex(x.sig) << "\n";
  for (const auto& r : b->receipts)
    o << "receipt " << r.point << " " << hex(r.author) << " " << r.upto_seq << " " << hex(r.entry) << " "
      << r.hub_time_ms << " " << r.body << " " << hex(r.sig) << "\n";
  for (const auto& r : b->sync_log)
    o << "session " << r.id << " " << r.point << " " << r.started_ms << " " << r.ended_ms << " " << r.entries_up << " "
      << r.entries_down << " " << r.bytes_up << " " << r.bytes_down << " " << r.receipts << " " << r.result << " "
      << r.error << " " << r.skew_ms << "\n";
  for (const auto& a : b->alerts)
    o << "alert " << a.at_ms << " " << a.point << " " << a.kind << " " << a.detail << " " << a.source << " " << a.count
      << " " << a.last_ms << "\n";
  for (const auto& f : b->forks)
    o << "fork " << hex(f.author) << " " << f.seq << " " << f.reporter << " " << f.at_ms << " " << f.held_seq << " "
      << hex(f.held_id) << " " << hex(f.other_id) << " " << f.other_canonical << " "
      << (f.other_sig ? hex(*f.other_sig) : "-") << "\n";
  const auto& c = b->counters;
  o << "counters " << c.bytes_up << " " << c.bytes_down << " " << c.entries_up << " " << c.entries_down << " "
    << c.receipts << " " << c.enrolments_throttled;
  for (const auto& [k, v] : c.sessions) o << " sessions:" << k << "=" << v;
  for (const auto& [k, v] : c.alerts) o << " alerts:" << k << "=" << v;
  o << "\n";
  return o.str();
}

// Fills a store from make_from(), copies it into one from make_to() and
// compares every value; the copy then works on (leases continue after the
// copied numbers, used codes stay used), and a second copy into it is refused.
inline void check_copy_bookkeeping(const std::function<std::unique_ptr<sync::HubStore>()>& make_from,
                                   const std::function<std::unique_ptr<sync::HubStore>()>& make_to) {
  auto from = make_from();
  fill_bookkeeping(*from);
  auto to = make_to();
  Status copied = sync::copy_hub_bookkeeping(*from, *to);
  INFO((copied.ok() ? std::string() : copied.error().message));
  REQUIRE(copied.ok());
  const std::string want = dump_bookkeeping(*from);
  CHECK(want.find("point c ") != std::string::npos);
  CHECK(dump_bookkeeping(*to) == want);
  CHECK(to->point("c")->status == "quarantined");
  CHECK(to->point_by_key(key(5))->name == "d");
  CHECK(to->succession_of(key(4))->new_key == key(5));
  CHECK(to->leases_of("d", "250701").empty());  // retired by the succession
  CHECK(to->note_point_epoch("a", "epoch-1", 2000) == "retired");
  auto next = to->lease("AG", "250701", "a", 3);
  REQUIRE(next.ok());
  CHECK(next->first == 16);  // after a's 1-10 and d's 11-15, retired or not
  CHECK(to->enrol(blake2b256("code-a"), key(8), 3000).error().code == "enrolment_refused");  // used
  Status again = sync::copy_hub_bookkeeping(*from, *to);
  REQUIRE(!again.ok());
  CHECK(again.error().code == "conflict");
}

// Two Hub objects, each over its own store on ONE database, on `node_a` and
// `node_b` (the same hub's data directory, opened twice: two hub
// processes): a request one of them accepted is refused by the other as
// replayed_request, and of two copies sent to both at once exactly one is
// accepted. `point` is a fresh point node, enrolled here through hub a.
inline void check_two_hubs_refuse_replays(node::Node& node_a, node::Node& node_b,
                                          std::shared_ptr<sync::HubStore> store_a,
                                          std::shared_ptr<sync::HubStore> store_b, node::Node& point) {
  namespace wire = motcua::sync::wire;
  namespace auth = motcua::sync::auth;
  sync::Hub a(node_a, std::move(store_a)), b(node_b, std::move(store_b));
  sync::PointAddOptions o;
  o.name = point.name();
  o.area = "area-x";
  o.agency_code = "000.00.01.H22";
  o.code_ttl_ms = 3600 * 1000;
  auto code = a.add_point(o);
  REQUIRE(code.ok());
  DirectTransport t(a);
  auto joined = sync::join(point, t, "http://hub.test", code->code);
  REQUIRE(joined.ok());
  auto request = [&](const std::string& kind, Json header, const std::string& session, int64_t counter) {
    header["type"] = kind;
    return auth::make_request("/sync/v2/" + kind, wire::encode(header, {}).value(), point.keys(), session, counter,
                              node_a.clock().now_ms());
  };
  auto answer = [](const sync::WireResponse& r) { return wire::decode(r.body, 1 << 24).value().header; };
  auto code_of = [&](const sync::WireResponse& r) { return answer(r)["error"].value("code", std::string()); };
  auto welcome = a.handle(request("hello", Json{{"heads", Json::object()}, {"cursor", 0}}, "-", 0));
  REQUIRE(welcome.status == 200);
  const std::string session = answer(welcome)["session"];
  const Json pull{{"after", 0}, {"limit", 10}};
  const sync::WireRequest first = request("pull", pull, session, 1);
  REQUIRE(a.handle(first).status == 200);
  CHECK(code_of(b.handle(first)) == "replayed_request");  // b never saw counter 1 itself
  REQUIRE(b.handle(request("pull", pull, session, 2)).status == 200);
  CHECK(code_of(a.handle(request("pull", pull, session, 2))) == "replayed_request");  // a last saw 1
  CHECK(code_of(a.handle(request("pull", pull, session, 1))) == "replayed_request");
  REQUIRE(a.handle(request("pull", pull, session, 3)).status == 200);
  // The same request to both at once, again and again: one answer each time.
  int both = 0, neither = 0;
  for (int c = 4; c < 24; ++c) {
    const sync::WireRequest r = request("pull", pull, session, c);
    int status[2] = {0, 0};
    std::string codes[2];
    run_threads(2, [&](int i) {
      auto res = (i == 0 ? a : b).handle(r);
      status[i] = res.status;
      if (res.status != 200) codes[i] = code_of(res);
    });
    if (status[0] == 200 && status[1] == 200) ++both;
    if (status[0] != 200 && status[1] != 200) ++neither;
    for (int i = 0; i < 2; ++i)
      if (status[i] != 200) CHECK(codes[i] == "replayed_request");
  }
  CHECK(both == 0);
  CHECK(neither == 0);
}

}  // namespace motcua::test::contract
