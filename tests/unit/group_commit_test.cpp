// Group commit: deferred appends are committed to the WAL without waiting for
// the disk, and make_durable() flushes once for every commit made before it.
#include <sys/wait.h>
#include <unistd.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "motcua/node/journal.hpp"
#include "test_util.hpp"

using namespace motcua;
using node::EntryDraft;
using Commit = node::Journal::Commit;

namespace {

EntryDraft draft(int i) {
  return EntryDraft{"clerk.an", "dossier.submitted", "000.00.01.H22-250701-" + std::to_string(1000 + i),
                    Json{{"n", i}}};
}

// A point node on a fresh directory, with a manual clock.
struct Fixture {
  test::TempDir dir{"group"};
  ManualClock clock{1'751'328'000'000};
  SeededRandom rng;
  std::unique_ptr<node::Node> n;
  explicit Fixture(uint64_t seed)
      : rng(seed), n(test::make_node(dir.sub("n"), clock, rng, node::Role::Point, "n", node::summary_projector)) {}
};

}  // namespace

TEST_CASE("deferred appends are made durable by one flush, and a second call has nothing to flush", "[journal][group]") {
  Fixture f(3);
  auto& n = f.n;
  auto& j = n->journal();
  CHECK(j.make_durable().ok());  // nothing deferred yet: no flush
  CHECK(j.group_flushes() == 0);
  for (int i = 0; i < 5; ++i) REQUIRE(j.append(draft(i), Commit::Deferred).ok());
  CHECK(j.deferred_commits() == 5);
  CHECK(j.group_flushes() == 0);
  CHECK(j.count() == 5);  // committed and readable before the flush
  REQUIRE(j.make_durable().ok());
  CHECK(j.group_flushes() == 1);
  REQUIRE(j.make_durable().ok());
  CHECK(j.group_flushes() == 1);
  // A durable append waits for the disk itself and leaves the group alone.
  REQUIRE(j.append(draft(5)).ok());
  CHECK(j.deferred_commits() == 5);
  CHECK(j.group_flushes() == 1);
  // The connection is back to synchronous=FULL after each deferred commit.
  CHECK(n->db()->execAndGet("PRAGMA synchronous").getInt() == 2);
  CHECK(j.verify().ok());
}

TEST_CASE("writers that commit while a flush is being prepared share it", "[journal][group]") {
  Fixture f(4);
  auto& n = f.n;
  auto& j = n->journal();
  constexpr int kWriters = 8;
  // The first leader waits at the flush until all writers have committed.
  j.set_write_hook([&](const char* step) {
    if (std::string(step) != "flush") return;
    for (int i = 0; i < 1000 && j.deferred_commits() < kWriters; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  });
  std::atomic<int> ok{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w)
    writers.emplace_back([&, w] {
      if (j.append(draft(w), Commit::Deferred).ok() && j.make_durable().ok()) ok++;
    });
  for (auto& t : writers) t.join();
  j.set_write_hook({});
  CHECK(ok == kWriters);
  CHECK(j.count() == kWriters);
  CHECK(j.deferred_commits() == kWriters);
  CHECK(j.group_flushes() == 1);
  CHECK(j.verify().ok());
}

TEST_CASE("a failed flush is reported and the next call tries again", "[journal][group]") {
  Fixture f(5);
  auto& n = f.n;
  auto& j = n->journal();
  REQUIRE(j.append(draft(0), Commit::Deferred).ok());
  j.set_write_hook([](const char* step) {
    if (std::string(step) == "flush") throw std::runtime_error("disk pulled out");
  });
  CHECK_THROWS(j.make_durable());
  j.set_write_hook({});
  CHECK(j.group_flushes() == 0);
  REQUIRE(j.make_durable().ok());  // not stuck with a flush "in progress"
  CHECK(j.group_flushes() == 1);
}

TEST_CASE("deferred entries made durable survive the process dying without closing anything", "[journal][group][crash]") {
  test::TempDir dir("group");
  const std::string d = dir.sub("n");
  {
    ManualClock clock(1'751'328'000'000);
    SeededRandom rng(6);
    test::make_node(d, clock, rng, node::Role::Point, "n", node::summary_projector);
  }
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ManualClock clock(1'751'328'000'000);
    std::unique_ptr<node::Node> n;
    try {
      n = test::open_existing(d, clock, node::summary_projector);
    } catch (...) {
      ::_exit(3);
    }
    for (int i = 0; i < 20; ++i)
      if (!n->journal().append(draft(i), Commit::Deferred).ok()) ::_exit(4);
    if (!n->journal().make_durable().ok()) ::_exit(5);
    ::_exit(0);  // no destructor, no close, no checkpoint
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  ManualClock clock(1'751'328'000'000);
  auto n = test::open_existing(d, clock, node::summary_projector);
  CHECK(n->journal().count() == 20);
  CHECK(n->journal().verify().ok());
}
