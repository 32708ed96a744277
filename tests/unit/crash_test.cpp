// Crash safety of batch appends: a fault injected before any write of the
// batch (by an exception, or by ending the process) leaves all of the batch
// or none of it, and the journal still verifies.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "motcua/node/journal.hpp"
#include "test_util.hpp"

using namespace motcua;
using node::EntryDraft;

namespace {
constexpr int64_t kT0 = 1'751'328'000'000;

struct InjectedCrash : std::runtime_error {
  InjectedCrash() : std::runtime_error("injected crash") {}
};

// Five entries over three subjects, one of them new.
std::vector<EntryDraft> batch_of(int round) {
  std::vector<EntryDraft> ds;
  const char* subjects[] = {"HS-0001", "HS-0002", "HS-0001", "HS-new-" , "HS-0002"};
  for (int i = 0; i < 5; ++i) {
    std::string s = subjects[i];
    if (s == "HS-new-") s += std::to_string(round);
    ds.push_back({"clerk.an", "dossier.note", s, {{"round", round}, {"i", i}, {"text", "ghi chú số " + std::to_string(i)}}});
  }
  return ds;
}

// Counts the write steps of one batch append (same shape as batch_of).
int count_steps(node::Journal& j, int round, std::vector<std::string>* names = nullptr) {
  int steps = 0;
  j.set_write_hook([&](const char* step) {
    ++steps;
    if (names) names->push_back(step);
  });
  auto r = j.append_batch(batch_of(round));
  j.set_write_hook({});
  if (!r.ok()) throw std::runtime_error(r.error().message);
  return steps;
}

node::OpenOptions open_options(const std::string& dir, Clock& clock) {
  node::OpenOptions o;
  o.data_dir = dir;
  o.clock = &clock;
  o.projector = node::summary_projector;
  return o;
}
}  // namespace

TEST_CASE("a batch append reports a write step before every write", "[crash]") {
  test::TempDir dir("crash");
  ManualClock clock(kT0);
  SeededRandom rng(1);
  auto n = test::make_node(dir.path(), clock, rng, node::Role::Point, "p", node::summary_projector);
  std::vector<std::string> names;
  int steps = count_steps(n->journal(), 0, &names);
  // One insert per entry, one projection write per subject, then the commit.
  CHECK(steps == 5 + 3 + 1);
  CHECK(std::count(names.begin(), names.end(), "insert") == 5);
  CHECK(names.back() == "commit");
}

TEST_CASE("an exception at any write step of a batch leaves all or none of it", "[crash]") {
  test::TempDir dir("crash");
  ManualClock clock(kT0);
  SeededRandom rng(1);
  auto n = test::make_node(dir.path(), clock, rng, node::Role::Point, "p", node::summary_projector);
  auto& j = n->journal();
  const int steps = count_steps(j, 0);
  REQUIRE(steps > 0);
  for (int k = 1; k <= steps + 1; ++k) {
    INFO("fault at step " << k << " of " << steps);
    const int64_t before = j.count();
    const Hash32 state_before = j.state_hash();
    int seen = 0;
    j.set_write_hook([&](const char*) {
      if (++seen == k) throw InjectedCrash();
    });
    bool crashed = false;
    try {
      auto r = j.append_batch(batch_of(k));
      REQUIRE(r.ok());
    } catch (const InjectedCrash&) {
      crashed = true;
    }
    j.set_write_hook({});
    CHECK(crashed == (k <= steps));
    if (crashed) {
      CHECK(j.count() == before);
      CHECK(j.state_hash() == state_before);
    } else {
      CHECK(j.count() == before + 5);
    }
    auto rep = j.verify();
    INFO((rep.ok() ? std::string() : rep.problems.front().what));
    REQUIRE(rep.ok());
    // The node keeps working: the next append continues the chain.
    auto next = j.append({"clerk.an", "dossier.note", "HS-0001", Json::object()});
    REQUIRE(next.ok());
    CHECK(next->seq == j.count());
  }
}

// Through the path the sync uses (hub push, point pull, bundles): ingest_batch.
TEST_CASE("an exception during ingest of foreign entries stores none of them", "[crash]") {
  test::TempDir dir("crash");
  ManualClock clock(kT0);
  SeededRandom rng_a(1), rng_b(2);
  auto a = test::make_node(dir.sub("a"), clock, rng_a, node::Role::Point, "a", node::summary_projector);
  auto b = test::make_node(dir.sub("b"), clock, rng_b, node::Role::Point, "b", node::summary_projector);
  REQUIRE(b->journal().append_batch(batch_of(0)).ok());
  auto theirs = b->journal().author_entries(b->keys().pk, 0, 100);
  int steps = 0;
  a->journal().set_write_hook([&](const char*) { ++steps; });
  REQUIRE(a->journal().ingest_batch(theirs, false).ok());
  a->journal().set_write_hook({});
  test::TempDir dir2("crash");
  for (int k = 1; k <= steps; ++k) {
    INFO("fault at step " << k);
    auto c = test::make_node(dir2.sub("c" + std::to_string(k)), clock, rng_a, node::Role::Point, "c", node::summary_projector);
    int seen = 0;
    c->journal().set_write_hook([&](const char*) {
      if (++seen == k) throw InjectedCrash();
    });
    CHECK_THROWS_AS(c->journal().ingest_batch(theirs, false), InjectedCrash);
    c->journal().set_write_hook({});
    CHECK(c->journal().count() == 0);
    CHECK(c->journal().verify().ok());
    auto retry = c->journal().ingest_batch(theirs, false);
    REQUIRE(retry.ok());
    CHECK(retry.value() == 5);
  }
}

TEST_CASE("a process killed at any write step of a batch leaves all or none of it after reopening", "[crash]") {
  test::TempDir dir("crash");
  ManualClock clock(kT0);
  SeededRandom rng(1);
  int steps = 0;
  int64_t count = 0;
  {
    auto n = test::make_node(dir.path(), clock, rng, node::Role::Point, "p", node::summary_projector);
    steps = count_steps(n->journal(), 0);
    count = n->journal().count();
  }  // closed: no SQLite connection is carried across fork()
  REQUIRE(steps > 0);
  for (int k = 1; k <= steps + 1; ++k) {
    INFO("process ends at step " << k << " of " << steps);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      // Child: must only ever _exit, never return into the test framework.
      int code = 3;
      try {
        ManualClock child_clock(kT0 + k);
        auto n = node::Node::open(open_options(dir.path(), child_clock));
        if (!n.ok()) ::_exit(4);
        int seen = 0;
        n.value()->journal().set_write_hook([&](const char*) {
          if (++seen == k) ::_exit(0);  // the process stops here, mid-transaction
        });
        auto r = n.value()->journal().append_batch(batch_of(k));
        code = r.ok() ? 1 : 2;
      } catch (...) {
        code = 5;
      }
      ::_exit(code);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    const bool completed = k > steps;
    CHECK(WEXITSTATUS(status) == (completed ? 1 : 0));

    auto n = node::Node::open(open_options(dir.path(), clock));
    REQUIRE(n.ok());
    auto& j = n.value()->journal();
    const int64_t now = j.count();
    CHECK((now == count || now == count + 5));
    if (completed) CHECK(now == count + 5);
    else CHECK(now == count);
    auto rep = j.verify();
    INFO((rep.ok() ? std::string() : rep.problems.front().what));
    REQUIRE(rep.ok());
    count = now;
  }
}
