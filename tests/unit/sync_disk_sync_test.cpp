// Disk syncs of an incremental session (docs/design/0116, "Incremental
// sessions"): the entries, receipts and the point's pull cursor are synced;
// the session's bookkeeping and the indexes rebuilt from their own position
// are committed without a sync and ride on the next synced commit.
#include <catch2/catch.hpp>

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

#include "../../sync/src/sync_util.hpp"
#include "motcua/sync/hub_store.hpp"
#include "sync_test_util.hpp"

using namespace motcua;
using namespace motcua::test;

namespace {
std::atomic<int64_t> g_syncs{0};
}  // namespace

// SQLite, a shared library, calls fdatasync through the dynamic linker: this
// definition in the test program counts every sync of a WAL or a database.
extern "C" int fdatasync(int fd) {
  g_syncs++;
  return static_cast<int>(syscall(SYS_fdatasync, fd));
}

TEST_CASE("an incremental session syncs the disk for what it stores and acknowledges, not for its bookkeeping",
          "[sync][durability]") {
  SyncWorld w;
  size_t p = w.add_point("p1", "a");
  w.take_in(p);
  REQUIRE(w.sync(p).ok());
  for (int i = 0; i < 5; ++i) w.take_in(p);
  w.clock.advance(1000);

  // Five new dossiers up: the hub's ingest, its receipt and the point's copy
  // of the receipt are synced (a WAL checkpoint may add two); before, every
  // sync-log write, hub point row and session value took its own sync (about 20).
  const int64_t before = g_syncs.load();
  auto r = w.sync(p);
  const int64_t pushed = g_syncs.load() - before;
  REQUIRE(r.ok());
  CHECK(r.value()["entries_up"] == 5);
  INFO("disk syncs of the pushing session: " << pushed);
  CHECK(pushed >= 1);  // the counter counts (the hub's ingest is synced)
  CHECK(pushed <= 6);

  // Nothing new either way: no sync at all but a checkpoint's.
  w.clock.advance(1000);
  const int64_t before_idle = g_syncs.load();
  REQUIRE(w.sync(p).ok());
  const int64_t idle = g_syncs.load() - before_idle;
  INFO("disk syncs of the idle session: " << idle);
  CHECK(idle <= 2);

  // The bookkeeping is there all the same (a crash of the process keeps it).
  node::Node& pt = *w.points[p];
  CHECK(sync::util::state_get_int(pt, "last_success_ms") == w.clock.now_ms());
  CHECK(sync::util::state_get(pt, "last_error").empty());
  auto rows = sync::make_sqlite_hub_store(pt)->sessions("", 0, 10);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].result == "ok");
  auto hub_rows = sync::make_sqlite_hub_store(*w.hub_node)->sessions("p1", 0, 10);
  REQUIRE(hub_rows.size() == 3);
  for (const auto& row : hub_rows) CHECK(row.result == "ok");
}

TEST_CASE("without_sync lowers synchronous for its own commits only and puts it back, even on a throw",
          "[sync][durability]") {
  TempDir dir{"nosync"};
  ManualClock clock(1751335200000);
  SeededRandom rng(1);
  auto n = make_node(dir.sub("p"), clock, rng, node::Role::Point, "p");
  auto& db = *n->db();
  auto level = [&] { return db.execAndGet("PRAGMA synchronous").getInt(); };
  REQUIRE(level() == 2);
  std::lock_guard<std::recursive_mutex> g(n->journal().mutex());
  int inside = -1;
  sync::util::without_sync(db, [&] { inside = level(); });
  CHECK(inside == 1);
  CHECK(level() == 2);
  CHECK_THROWS(sync::util::without_sync(db, [&] { throw std::runtime_error("x"); }));
  CHECK(level() == 2);
  // Inside an open transaction nothing changes: that transaction's commit decides.
  db.exec("BEGIN");
  sync::util::without_sync(db, [&] { inside = level(); });
  db.exec("COMMIT");
  CHECK(inside == 2);
  sync::util::state_note(*n, "k", "v");
  CHECK(sync::util::state_get(*n, "k") == "v");
  CHECK(level() == 2);
}
