// The contract of a shared journal log (node/shared_log.hpp), run against
// every implementation: an in-memory one (shared_log_test.cpp) and
// PostgreSQL (hub_log_pg_test.cpp, [postgres]). `open_log()` returns a new
// handle (a new connection) on the same log each time it is called, as a
// further hub process would open it.
#pragma once
#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <set>
#include <thread>

#include "motcua/node/shared_log.hpp"
#include "test_util.hpp"

namespace motcua::test {

using OpenLog = std::function<std::shared_ptr<node::SharedLog>()>;

namespace shared_log_contract {

inline node::LogRow row_at(int64_t pos, const std::string& tag) {
  node::LogRow r;
  r.pos = pos;
  r.id = blake2b256(tag + "/" + std::to_string(pos));
  r.author = blake2b256("author/" + tag);
  r.seq = pos;
  r.type = "test.row";
  r.subject = "S-" + tag;
  r.canonical = "{\"t\":\"" + tag + "\"}";
  r.hlc_ms = 1000 + pos;
  return r;
}

// (pos, id) of every row of a node's journal, and its quarantine rows.
inline std::vector<std::pair<int64_t, std::string>> journal_rows(node::Node& n) {
  std::lock_guard<std::recursive_mutex> g(n.journal().mutex());
  SQLite::Statement q(*n.db(), "SELECT pos, hex(id) FROM journal ORDER BY pos");
  std::vector<std::pair<int64_t, std::string>> out;
  while (q.executeStep()) out.emplace_back(q.getColumn(0).getInt64(), q.getColumn(1).getString());
  return out;
}
inline std::vector<std::string> quarantine_rows(node::Node& n) {
  std::lock_guard<std::recursive_mutex> g(n.journal().mutex());
  SQLite::Statement q(*n.db(),
                      "SELECT hex(id) || ' ' || state || ' ' || code || ' ' || decided_by || ' ' || visible_pos "
                      "FROM quarantine ORDER BY id");
  std::vector<std::string> out;
  while (q.executeStep()) out.push_back(q.getColumn(0).getString());
  return out;
}
inline std::vector<std::string> head_rows(node::Node& n) {
  std::lock_guard<std::recursive_mutex> g(n.journal().mutex());
  SQLite::Statement q(*n.db(), "SELECT hex(author) || ' ' || head_seq || ' ' || hex(head_id) FROM authors ORDER BY 1");
  std::vector<std::string> out;
  while (q.executeStep()) out.push_back(q.getColumn(0).getString());
  return out;
}

// Two processes of one hub: a data directory initialised once and copied.
struct TwoHubs {
  TempDir dir{"shared-log"};
  ManualClock clock{1'760'000'000'000};
  SeededRandom rng{7};
  std::unique_ptr<node::Node> a, b;
  explicit TwoHubs(const OpenLog& open_log) {
    {
      auto first = make_node(dir.sub("a"), clock, rng, node::Role::Hub, "hub");
    }
    std::filesystem::copy(dir.sub("a"), dir.sub("b"), std::filesystem::copy_options::recursive);
    a = open_existing(dir.sub("a"), clock);
    b = open_existing(dir.sub("b"), clock);
    Status sa = a->journal().set_shared_log(open_log());
    REQUIRE(sa.ok());
    Status sb = b->journal().set_shared_log(open_log());
    if (!sb.ok()) FAIL(sb.error().message);
  }
  void converge() {
    REQUIRE(a->journal().catch_up_shared().ok());
    REQUIRE(b->journal().catch_up_shared().ok());
    CHECK(journal_rows(*a) == journal_rows(*b));
    CHECK(quarantine_rows(*a) == quarantine_rows(*b));
    CHECK(head_rows(*a) == head_rows(*b));
    CHECK(a->journal().state_hash() == b->journal().state_hash());
    CHECK(a->journal().verify().ok());
    CHECK(b->journal().verify().ok());
  }
};

inline node::EntryDraft draft(const std::string& subject, const std::string& note) {
  node::EntryDraft d;
  d.user = "system";
  d.type = "note.added";
  d.subject = subject;
  d.body = Json{{"note", note}};
  return d;
}

}  // namespace shared_log_contract

inline void run_shared_log_contract(const OpenLog& open_log) {
  using namespace shared_log_contract;

  SECTION("rows come back in order, a write is all or nothing, heads move by compare-and-set") {
    auto w = open_log();
    auto r = open_log();
    auto last = w->begin_write();
    REQUIRE(last.ok());
    const int64_t base = last.value();
    REQUIRE(w->commit_write({row_at(base + 1, "x"), row_at(base + 2, "x")}, {}).ok());
    auto t = r->read(base, 10);
    REQUIRE(t.ok());
    REQUIRE(t->rows.size() == 2);
    CHECK(t->rows[0].pos == base + 1);
    CHECK(t->rows[1].id == row_at(base + 2, "x").id);
    CHECK(t->rows[1].canonical == row_at(base + 2, "x").canonical);
    CHECK_FALSE(t->more);
    // A position that is not next: refused, nothing kept, the lock released.
    REQUIRE(w->begin_write().ok());
    Status gap = w->commit_write({row_at(base + 4, "y")}, {});
    CHECK_FALSE(gap.ok());
    // The author's head is at seq base+2: a row claiming to follow seq 1 of it is refused.
    REQUIRE(r->begin_write().ok());
    auto stale = row_at(base + 3, "x");
    stale.seq = base + 2;  // already taken: the head would move from base+1
    Status cas = r->commit_write({stale}, {});
    CHECK_FALSE(cas.ok());
    auto after = open_log()->read(base, 10);
    REQUIRE(after.ok());
    CHECK(after->rows.size() == 2);
    auto l2 = w->begin_write();
    REQUIRE(l2.ok());
    CHECK(l2.value() == base + 2);
    w->abort_write();
  }

  SECTION("positions are in commit order: a reader never sees a position before one below it") {
    // Writers on their own handles append rows while readers follow the
    // log; each reader must see 1, 2, 3, ... without a hole, whatever
    // order the writers' transactions end in.
    auto h0 = open_log();
    auto first = h0->begin_write();
    REQUIRE(first.ok());
    const int64_t base = first.value();
    h0->abort_write();
    constexpr int kWriters = 4, kWrites = 15;
    std::atomic<bool> stop{false};
    std::atomic<int> failures{0}, holes{0};
    std::vector<std::thread> threads;
    std::vector<std::shared_ptr<node::SharedLog>> handles;
    for (int w = 0; w < kWriters + 2; ++w) handles.push_back(open_log());
    for (int w = 0; w < kWriters; ++w)
      threads.emplace_back([&, w] {
        for (int i = 0; i < kWrites; ++i) {
          auto last = handles[w]->begin_write();
          if (!last.ok()) {
            ++failures;
            continue;
          }
          std::vector<node::LogRow> rows;
          for (int k = 1; k <= 1 + (i % 3); ++k) {
            auto row = row_at(last.value() + k, "w" + std::to_string(w));
            row.seq = 0;  // filled below: each writer is its own author
            rows.push_back(row);
          }
          // The author's next seq: its rows so far (read back under the lock).
          auto mine = handles[w]->read(base, 100000);
          int64_t seq = 0;
          if (mine.ok())
            for (const auto& r : mine->rows)
              if (r.author == rows[0].author) seq = std::max(seq, r.seq);
          for (auto& r : rows) r.seq = ++seq;
          if (!handles[w]->commit_write(rows, {}).ok()) ++failures;
        }
      });
    for (int rd = 0; rd < 2; ++rd)
      threads.emplace_back([&, rd] {
        int64_t at = base;
        while (!stop) {
          auto t = handles[kWriters + rd]->read(at, 7);
          if (!t.ok()) {
            ++failures;
            return;
          }
          for (const auto& r : t->rows) {
            if (r.pos != at + 1) ++holes;
            at = r.pos;
          }
        }
      });
    for (int w = 0; w < kWriters; ++w) threads[w].join();
    stop = true;
    for (size_t i = kWriters; i < threads.size(); ++i) threads[i].join();
    CHECK(failures == 0);
    CHECK(holes == 0);
    auto all = open_log()->read(base, 100000);
    REQUIRE(all.ok());
    std::set<std::string> ids;
    for (size_t i = 0; i < all->rows.size(); ++i) {
      CHECK(all->rows[i].pos == base + 1 + static_cast<int64_t>(i));
      ids.insert(to_hex(all->rows[i].id));
    }
    CHECK(ids.size() == all->rows.size());
    CHECK(all->rows.size() == static_cast<size_t>(kWriters * (5 * 1 + 5 * 2 + 5 * 3)));
  }
}

// Two hub processes (two journals, one log): appends, foreign entries and
// quarantine decisions made on either are on both, in the same positions.
inline void run_shared_journal_contract(const OpenLog& open_log) {
  using namespace shared_log_contract;

  SECTION("appends on either process land on both, in one order") {
    TwoHubs h(open_log);
    for (int i = 0; i < 6; ++i) {
      node::Node& n = i % 2 ? *h.b : *h.a;
      auto e = n.journal().append(draft("S-" + std::to_string(i % 3), "n" + std::to_string(i)));
      REQUIRE(e.ok());
    }
    h.converge();
    // The hub's own chain runs through both processes without a fork.
    auto heads = h.a->journal().heads();
    const int64_t own = heads[h.a->keys().pk];
    for (int64_t s = 1; s <= own; ++s) CHECK(h.b->journal().get(h.a->keys().pk, s).has_value());
  }

  SECTION("foreign entries, a hold on one process and its release on the other") {
    TwoHubs h(open_log);
    ManualClock pc{1'760'000'000'000};
    SeededRandom prng{11};
    auto p1 = make_node(h.dir.sub("p1"), pc, prng, node::Role::Point, "p1");
    auto p2 = make_node(h.dir.sub("p2"), pc, prng, node::Role::Point, "p2");
    auto e1 = p1->journal().append(draft("D-1", "first"));
    REQUIRE(e1.ok());
    REQUIRE(p2->journal().ingest_sparse({e1.value()}).ok());
    auto e2 = p2->journal().append(draft("D-1", "second"));
    REQUIRE(e2.ok());
    REQUIRE(e2->parents.size() == 1);
    node::IngestOptions io;
    io.sign_releases = true;
    // e2 reaches process A before its parent: held there.
    auto held = h.a->journal().ingest({e2.value()}, io);
    REQUIRE(held.ok());
    REQUIRE(held->quarantined.size() == 1);
    // The parent reaches process B, which first takes A's hold from the log,
    // then releases e2 with a decision it signs.
    auto rel = h.b->journal().ingest({e1.value()}, io);
    REQUIRE(rel.ok());
    CHECK(rel->released.size() == 1);
    h.converge();
    CHECK_FALSE(h.a->journal().quarantined(e2->id));
    auto state = h.a->journal().subject_state("D-1");
    REQUIRE(state.has_value());
    // The same again on a process that was away: a replay of e1 or e2 stores nothing.
    auto again = h.a->journal().ingest({e1.value(), e2.value()}, io);
    REQUIRE(again.ok());
    CHECK(again->stored == 0);
    h.converge();
  }

  SECTION("writers on both processes at once: nothing lost, nothing twice") {
    TwoHubs h(open_log);
    constexpr int kEach = 12;
    std::atomic<int> failed{0};
    auto writer = [&](node::Node& n, const std::string& tag) {
      for (int i = 0; i < kEach; ++i)
        if (!n.journal().append(draft("S-" + std::to_string(i % 4), tag + std::to_string(i))).ok()) ++failed;
    };
    std::thread ta(writer, std::ref(*h.a), "a");
    std::thread tb(writer, std::ref(*h.b), "b");
    ta.join();
    tb.join();
    CHECK(failed == 0);
    h.converge();
    auto heads = h.a->journal().heads();
    CHECK(heads[h.a->keys().pk] >= 2 * kEach);
  }

  SECTION("a data directory that is not a copy of the log is refused") {
    TwoHubs h(open_log);
    REQUIRE(h.a->journal().append(draft("S-1", "on the log")).ok());
    ManualClock c{1'760'000'000'000};
    SeededRandom r{99};
    auto other = make_node(h.dir.sub("other"), c, r, node::Role::Hub, "other-hub");
    REQUIRE(other->journal().append(draft("S-1", "not on the log")).ok());
    Status s = other->journal().set_shared_log(open_log());
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code == "diverged");
    CHECK(s.error().field == "journal");
    CHECK_FALSE(other->journal().shared());
  }
}

}  // namespace motcua::test
