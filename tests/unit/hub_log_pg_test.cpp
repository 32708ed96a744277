// The hub's journal on PostgreSQL (sync/src/hub_log_pg.cpp) against the
// shared-log contract (shared_log_contract.hpp): commit order under
// concurrent writers, and two hub processes converging on one log.
// Needs MOTCUA_TEST_POSTGRES (see hub_store_pg_test.cpp); each test case
// works in a database of its own.
#include <libpq-fe.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>

#include <filesystem>

#include "pg_test_db.hpp"
#include "motcua/sync/hub.hpp"
#include "motcua/sync/hub_log.hpp"
#include "motcua/sync/hub_store.hpp"
#include "shared_log_contract.hpp"

using namespace motcua;
using namespace motcua::test;

namespace {

// A database for one test case, dropped at the end.
struct LogDb : PgScratchDb {
  LogDb() : PgScratchDb("motcua_log") {}
  OpenLog opener() const {
    return [this] {
      auto l = sync::open_postgres_log(conninfo());
      if (!l.ok()) FAIL("cannot open the log: " + l.error().message);
      return l.value();
    };
  }
};

}  // namespace

TEST_CASE("the hub's journal on PostgreSQL keeps rows in commit order", "[postgres]") {
  LogDb db;
  run_shared_log_contract(db.opener());
}

TEST_CASE("two hub processes on one PostgreSQL journal converge", "[postgres]") {
  LogDb db;
  run_shared_journal_contract(db.opener());
}

TEST_CASE("the hub's journal on PostgreSQL refuses a password in its connection string", "[postgres]") {
  auto l = sync::open_postgres_log("host=/tmp dbname=x password=secret");
  REQUIRE_FALSE(l.ok());
  CHECK(l.error().field == "hub_postgres");
  CHECK(l.error().message.find("secret") == std::string::npos);
  auto down = sync::open_postgres_log("host=/nonexistent-socket-dir port=1 dbname=x connect_timeout=2");
  REQUIRE_FALSE(down.ok());
  CHECK(down.error().code == "storage");
}

TEST_CASE("motcua hub copy-store moves a hub's journal and bookkeeping to PostgreSQL, each entry checked", "[postgres]") {
  using namespace shared_log_contract;
  LogDb db;
  TempDir dir("copy-store");
  ManualClock clock{1'760'000'000'000};
  SeededRandom rng{3};
  auto hub = make_node(dir.sub("hub"), clock, rng, node::Role::Hub, "hub");
  {
    sync::Hub h(*hub, sync::open_hub_store(*hub));
    sync::PointAddOptions o;
    o.name = "xa-an-thi";
    o.area = "an-thi";
    REQUIRE(h.add_point(o).ok());
  }
  // Foreign entries, one of them held (its parent has not arrived).
  ManualClock pc{1'760'000'000'000};
  SeededRandom prng{4};
  auto p1 = make_node(dir.sub("p1"), pc, prng, node::Role::Point, "p1");
  auto p2 = make_node(dir.sub("p2"), pc, prng, node::Role::Point, "p2");
  auto e1 = p1->journal().append(draft("D-1", "first"));
  REQUIRE(e1.ok());
  REQUIRE(p2->journal().ingest_sparse({e1.value()}).ok());
  auto e2 = p2->journal().append(draft("D-1", "second"));
  REQUIRE(e2.ok());
  for (int i = 0; i < 30; ++i) REQUIRE(hub->journal().append(draft("S-" + std::to_string(i % 5), "n")).ok());
  REQUIRE(hub->journal().ingest({e2.value()}, node::IngestOptions{}).ok());
  REQUIRE(hub->journal().quarantined(e2->id));
  const auto rows = journal_rows(*hub);

  // A wrong database first: nothing changes here.
  auto bad = sync::copy_store_to_postgres(*hub, "host=/nonexistent-dir port=1 dbname=x connect_timeout=2");
  REQUIRE_FALSE(bad.ok());
  CHECK(hub->config().get("hub_store") == "sqlite");
  CHECK_FALSE(hub->journal().shared());

  auto r = sync::copy_store_to_postgres(*hub, db.conninfo());
  if (!r.ok()) FAIL(r.error().message);
  CHECK(r->entries == static_cast<int64_t>(rows.size()));
  CHECK(r->points == 1);
  CHECK(hub->config().get("hub_store") == "postgres");
  CHECK(hub->config().get("hub_postgres") == db.conninfo());
  // Again: refused, it is done.
  auto again = sync::copy_store_to_postgres(*hub, db.conninfo());
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == "conflict");

  // A second process from a copy of the data directory sees the same journal,
  // the hold included, and the points in the shared store; the release on it
  // reaches the first.
  hub.reset();
  std::filesystem::copy(dir.sub("hub"), dir.sub("hub2"), std::filesystem::copy_options::recursive);
  auto one = open_existing(dir.sub("hub"), clock);
  auto two = open_existing(dir.sub("hub2"), clock);
  auto store = sync::open_hub_store(*two);
  REQUIRE(two->journal().shared());
  CHECK(store->points().size() == 1);
  REQUIRE(sync::attach_hub_journal(*one).ok());
  node::IngestOptions io;
  io.sign_releases = true;
  REQUIRE(two->journal().ingest({e1.value()}, io).ok());
  REQUIRE(one->journal().catch_up_shared().ok());
  CHECK_FALSE(one->journal().quarantined(e2->id));
  CHECK(journal_rows(*one) == journal_rows(*two));
  CHECK(one->journal().verify().ok());

  // Another hub's data directory on the same database: refused, diverged.
  auto other = make_node(dir.sub("other"), clock, rng, node::Role::Hub, "other");
  REQUIRE(other->journal().append(draft("S-1", "mine")).ok());
  auto log = sync::open_postgres_log(db.conninfo());
  REQUIRE(log.ok());
  Status s = other->journal().set_shared_log(log.value());
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == "diverged");
}
