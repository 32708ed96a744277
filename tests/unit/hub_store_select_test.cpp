// The hub's store selected by configuration (docs/postgres.md, design 0111):
// `config set hub_store|hub_postgres` and their rules, the factory
// open_hub_store and what it reports. The PostgreSQL side of it (a hub
// actually switched to a database) is in hub_store_pg_test.cpp.
#include <catch2/catch.hpp>

#include <chrono>

#include "motcua/node/catalogue.hpp"
#include "motcua/node/config.hpp"
#include "motcua/sync/hub.hpp"
#include "motcua/sync/hub_store.hpp"
#include "sync_test_util.hpp"

using namespace motcua;
using namespace motcua::test;

namespace {

// A server nobody listens on: a Unix socket directory that does not exist.
const std::string kNowhere = "host=/nonexistent/motcua-test port=1 dbname=province user=motcua connect_timeout=2";

}  // namespace

TEST_CASE("hub_store and hub_postgres are hub settings, checked before they are stored", "[sync][hubstore][wire]") {
  SyncWorld w;
  node::Node& hub = *w.hub_node;
  CHECK(hub.config().get("hub_store") == "sqlite");  // the default
  CHECK(hub.config().get("hub_postgres") == "");
  CHECK(sync::hub_store_choice(hub).kind == "sqlite");

  SECTION("not on a point") {
    w.add_point("a", "area-x");
    for (const char* k : {"hub_store", "hub_postgres"}) {
      Status s = sync::set_node_config(*w.points[0], k, k == std::string("hub_store") ? "postgres" : kNowhere);
      REQUIRE(!s.ok());
      CHECK(s.error().code == "invalid_value");
      CHECK(s.error().field == k);
      CHECK_THAT(s.error().message, Catch::Contains("hub setting"));
    }
    CHECK(w.points[0]->config().get("hub_store") == "sqlite");
    CHECK(sync::hub_store_choice(*w.points[0]).kind == "sqlite");
  }
  SECTION("values") {
    Status bad = sync::set_node_config(hub, "hub_store", "mysql");
    REQUIRE(!bad.ok());
    CHECK(bad.error().code == "invalid_value");
    CHECK(bad.error().field == "hub_store");
    // node's own check too (a caller of Config::set directly)
    CHECK(hub.config().set("hub_store", "mysql").error().field == "hub_store");
    Status first = sync::set_node_config(hub, "hub_store", "postgres");  // no hub_postgres yet
    REQUIRE(!first.ok());
    CHECK(first.error().code == "invalid_value");
    CHECK_THAT(first.error().message, Catch::Contains("hub_postgres first"));
    for (const std::string& with_pw : {kNowhere + " password=s3cr3t-pw", std::string("postgresql://motcua:s3cr3t-pw@db.example/province")}) {
      Status pw = sync::set_node_config(hub, "hub_postgres", with_pw);
      REQUIRE(!pw.ok());
      CHECK(pw.error().code == "invalid_value");
      CHECK(pw.error().field == "hub_postgres");
      CHECK_THAT(pw.error().message, Catch::Contains("PGPASSFILE") && !Catch::Contains("s3cr3t"));
    }
    Status unparsed = sync::set_node_config(hub, "hub_postgres", "host='unterminated");
    REQUIRE(!unparsed.ok());
    CHECK(unparsed.error().field == "hub_postgres");
    CHECK(hub.config().get("hub_postgres") == "");
    CHECK(sync::set_node_config(hub, "hub_store", "sqlite").ok());  // what it is: nothing moves
  }
  SECTION("a server that cannot be reached is named, and nothing changes") {
    REQUIRE(sync::set_node_config(hub, "hub_postgres", kNowhere).ok());  // stored: hub_store is still sqlite
    CHECK(hub.config().get("hub_postgres") == kNowhere);
    Status s = sync::set_node_config(hub, "hub_store", "postgres");
    REQUIRE(!s.ok());
    CHECK(s.error().code == "storage");
    CHECK(s.error().field == "hub_store");
    CHECK_THAT(s.error().message,
               Catch::Contains("host=/nonexistent/motcua-test port=1 dbname=province user=motcua"));
    CHECK(hub.config().get("hub_store") == "sqlite");
    CHECK(sync::hub_store_choice(hub).kind == "sqlite");
  }
}

TEST_CASE("a hub that holds points or their entries keeps its store: the switch names copy-store",
          "[sync][hubstore][wire]") {
  SyncWorld w;
  node::Node& hub = *w.hub_node;
  REQUIRE(sync::set_node_config(hub, "hub_postgres", kNowhere).ok());
  SECTION("a registered point") {
    sync::PointAddOptions o;
    o.name = "a";
    o.area = "area-x";
    o.agency_code = "000.00.01.H22";
    REQUIRE(w.hub->add_point(o).ok());
    Status s = sync::set_node_config(hub, "hub_store", "postgres");
    REQUIRE(!s.ok());
    CHECK(s.error().code == "conflict");
    CHECK(s.error().field == "hub_store");
    CHECK_THAT(s.error().message, Catch::Contains("1 registered point") && Catch::Contains("motcua hub copy-store"));
  }
  SECTION("entries of a point") {
    size_t a = w.add_point("a", "area-x");
    w.take_in(a);
    REQUIRE(w.sync(a).ok());
    Status s = sync::set_node_config(hub, "hub_store", "postgres");
    REQUIRE(!s.ok());
    CHECK(s.error().code == "conflict");
    CHECK_THAT(s.error().message, Catch::Contains("entries of 1 other signer") && Catch::Contains("copy-store"));
  }
  CHECK(hub.config().get("hub_store") == "sqlite");
}

TEST_CASE("open_hub_store gives the configured store, and a PostgreSQL one that cannot be used fails with storage",
          "[sync][hubstore][wire]") {
  SyncWorld w;
  node::Node& hub = *w.hub_node;
  auto s = sync::open_hub_store(hub);
  REQUIRE(s);
  CHECK(s->points().empty());
  sync::PointAddOptions o;
  o.name = "a";
  o.area = "area-x";
  o.agency_code = "000.00.01.H22";
  REQUIRE(w.hub->add_point(o).ok());
  CHECK(sync::open_hub_store(hub)->points().size() == 1);  // the same SQLite tables
  CHECK(sync::hub_store_choice(hub).where == node::db_path(hub.data_dir()));
  // Configured behind the rules' back (e.g. by an older motcua): used, and
  // every call fails as a database that is not there.
  REQUIRE(hub.config().set("hub_postgres", kNowhere).ok());
  REQUIRE(hub.config().set("hub_store", "postgres").ok());
  auto pg = sync::open_hub_store(hub);
  CHECK(pg.get() == sync::open_hub_store(hub).get());  // one per hub while held
  CHECK(sync::hub_store_choice(hub).kind == "postgres");
  CHECK(sync::hub_store_choice(hub).where == "host=/nonexistent/motcua-test port=1 dbname=province user=motcua");
  auto st = pg->add_point(sync::PointRecord{});
  REQUIRE(!st.ok());
  CHECK(st.error().code == "storage");
  // The points a result may go to come from that store: an error, not the
  // hub alone (nor point "a" of the SQLite tables no longer in use).
  auto known = node::known_points(hub);
  REQUIRE_FALSE(known.ok());
  CHECK(known.error().code == "storage");
  REQUIRE(hub.config().set("hub_postgres", "").ok());
  auto unset = sync::open_hub_store(hub);
  try {
    (void)unset->points();
    FAIL("points() of an unset hub_postgres returned");
  } catch (const sync::HubStoreFailure& e) {
    CHECK(e.error.code == "storage");
    CHECK_THAT(e.error.message, Catch::Contains("hub_postgres is not set"));
  }
  CHECK(node::known_points(hub).error().code == "storage");
  // Back on SQLite: its own table again.
  REQUIRE(hub.config().set("hub_store", "sqlite").ok());
  (void)sync::open_hub_store(hub);
  CHECK(node::known_points(hub).value().size() == 1);  // the hub; point "a" is pending
}

TEST_CASE("motcua config set hub_store: refused on a point and without hub_postgres, listed on a hub",
          "[sync][hubstore][wire][cli]") {
  TempDir tmp("config-hub-store");
  const std::string hub = tmp.sub("hub"), point = tmp.sub("point");
  int st = 0;
  run_motcua("init --role hub --name hub --agency-code 000.00.01.H22 --data-dir '" + hub + "'", &st);
  REQUIRE(st == 0);
  run_motcua("init --role point --name xa --agency-code 000.00.01.H22 --data-dir '" + point + "'", &st);
  REQUIRE(st == 0);
  std::string out = run_motcua("config set hub_store postgres --data-dir '" + point + "'", &st);
  CHECK(st == 2);
  CHECK_THAT(out, Catch::Contains("hub setting"));
  out = run_motcua("config set hub_store postgres --data-dir '" + hub + "'", &st);
  CHECK(st == 2);
  CHECK_THAT(out, Catch::Contains("hub_postgres first"));
  out = run_motcua("config set hub_postgres 'host=db.example user=motcua password=s3cr3t-pw' --data-dir '" + hub + "'", &st);
  CHECK(st == 2);
  CHECK_THAT(out, Catch::Contains("PGPASSFILE") && !Catch::Contains("s3cr3t"));
  out = run_motcua("config list --data-dir '" + hub + "'", &st);
  CHECK(st == 0);
  CHECK_THAT(out, Catch::Contains("hub_store") && Catch::Contains("sqlite") && Catch::Contains("hub_postgres"));
}

// By hand: build/tests/unit_tests "[.counter-bench]" -- the cost of the
// request counter check before (map + set_session_counter) and after
// (advance_session_counter) on the SQLite store (docs/design/0111).
TEST_CASE("request counter check: set vs compare-and-set", "[.counter-bench]") {
  SyncWorld w;
  auto s = sync::make_sqlite_hub_store(*w.hub_node);
  PublicKey k{};
  s->open_session("bench", k, int64_t{1} << 60);
  constexpr int kN = 5000;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 1; i <= kN; ++i) s->set_session_counter("bench", i);
  auto t1 = std::chrono::steady_clock::now();
  for (int i = kN + 1; i <= 2 * kN; ++i) CHECK(s->advance_session_counter("bench", i));
  auto t2 = std::chrono::steady_clock::now();
  for (int i = 1; i <= kN; ++i) CHECK_FALSE(s->advance_session_counter("bench", i));  // replays
  auto t3 = std::chrono::steady_clock::now();
  auto us = [](auto d) { return std::chrono::duration_cast<std::chrono::microseconds>(d).count() / kN; };
  WARN("per request: set " << us(t1 - t0) << " us, compare-and-set " << us(t2 - t1) << " us, refused replay "
                           << us(t3 - t2) << " us");
}
