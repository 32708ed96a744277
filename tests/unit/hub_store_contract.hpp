// The HubStore contract, for every backend: tests/unit/sync_hub_store_test.cpp
// (SQLite) and tests/unit/hub_store_pg_test.cpp (PostgreSQL) call these with
// their factories. check_hub_store(make): each make() returns a store on a
// fresh, empty database. The check_concurrent_* cases take open(i): several
// stores on ONE fresh database, as several hub processes would share it
// (hub_store_contract_shared.hpp).
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

// A sync log row as a session's first request writes it.
inline sync::SyncLogRow log_row(const std::string& id, const std::string& point, int64_t started_ms,
                                const std::string& result = "running") {
  sync::SyncLogRow r;
  r.id = id;
  r.point = point;
  r.started_ms = started_ms;
  r.result = result;
  return r;
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
    sync::SyncLogRow r = log_row("s1", "a", 1000);
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
    sync::SyncLogRow r = log_row("s1", "a", 1000);
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

}  // namespace motcua::test::contract
