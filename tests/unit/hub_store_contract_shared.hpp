// The HubStore contract for several stores on ONE database, as several hub
// processes share it (hub_store_contract.hpp has the single-store contract):
// concurrent leases, enrolments, successions, session counters and alert
// folds; the bookkeeping copy (copy-store); two hubs refusing each other's
// replayed requests. Used by tests/unit/sync_hub_store_test.cpp (SQLite) and
// tests/unit/hub_store_pg_test.cpp (PostgreSQL).
#pragma once
#include "hub_store_contract.hpp"

namespace motcua::test::contract {

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

// Of the threads' outcomes ("ok" or an error code), exactly one is "ok" and
// every other `loser_code`: the winner's index.
inline int only_winner(const std::vector<std::string>& outcome, const char* loser_code) {
  int wins = 0, winner = -1;
  for (size_t i = 0; i < outcome.size(); ++i) {
    if (outcome[i] == "ok") {
      ++wins;
      winner = static_cast<int>(i);
    } else {
      CHECK(outcome[i] == loser_code);
    }
  }
  REQUIRE(wins == 1);
  return winner;
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
  const int winner = only_winner(outcome, "enrolment_refused");
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
  const int winner = only_winner(outcome, "enrolment_refused");
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
