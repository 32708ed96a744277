// The PostgreSQL hub store (sync/src/hub_store_pg.cpp) against the HubStore
// contract (hub_store_contract.hpp), the concurrent cases with one
// connection per store, and what is PostgreSQL's own: migrations, a server
// that cannot be reached or drops a connection, passwords kept out of the
// connection string; and a hub on it: its known points, over HTTP too.
//
// Needs MOTCUA_TEST_POSTGRES=<libpq connection string> of a throwaway
// cluster whose user may create databases (deploy/pg-test-cluster.sh start
// DIR prints one; deploy/test.sh sets it). Without it every test here FAILS:
// ctest registers them only when CMake's MOTCUA_TEST_POSTGRES option is ON.
// Each test works in a database of its own, created and dropped here.
#include <libpq-fe.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <set>

#include "pg_test_db.hpp"
#include "dossier_fixture.hpp"
#include "http_test_util.hpp"
#include "hub_store_contract_shared.hpp"
#include "motcua/node/catalogue.hpp"
#include "motcua/node/dossiers.hpp"
#include "motcua/sync/hub.hpp"
#include "motcua/sync/hub_store.hpp"

using namespace motcua;
using namespace motcua::test;

namespace {

// A database of its own for one test, dropped at the end (even with
// connections still open: WITH (FORCE)).
class PgTestDb : public PgScratchDb {
 public:
  PgTestDb() : PgScratchDb("motcua_t") {}
  std::unique_ptr<sync::HubStore> open() const {
    auto s = sync::open_postgres_hub_store(conninfo());
    if (!s.ok()) FAIL("cannot open the PostgreSQL hub store: " + s.error().message);
    return std::move(s.value());
  }
  contract::OpenShared opener() const {
    return [this](int) { return open(); };
  }
};

}  // namespace

TEST_CASE("the PostgreSQL hub store keeps the HubStore contract", "[postgres]") {
  std::vector<std::unique_ptr<PgTestDb>> dbs;
  contract::check_hub_store([&]() {
    dbs.push_back(std::make_unique<PgTestDb>());
    return dbs.back()->open();
  });
}

TEST_CASE("PostgreSQL hub stores on separate connections lease disjoint blocks from one day", "[postgres]") {
  PgTestDb db;
  contract::check_concurrent_leases(db.opener(), 6, 15);
}

TEST_CASE("PostgreSQL hub stores on separate connections spend an enrolment code exactly once", "[postgres]") {
  PgTestDb db;
  contract::check_concurrent_enrolment(db.opener(), 6);
}

TEST_CASE("PostgreSQL hub stores on separate connections spend a replacement code exactly once", "[postgres]") {
  PgTestDb db;
  contract::check_concurrent_succession(db.opener(), 6);
}

TEST_CASE("PostgreSQL hub stores on separate connections accept each request counter of a session once",
          "[postgres]") {
  PgTestDb db;
  contract::check_concurrent_session_counter(db.opener(), 6, 40);
}

TEST_CASE("two hubs on one PostgreSQL database refuse each other's replayed requests", "[postgres]") {
  PgTestDb db;
  TempDir dir("two-hubs-pg");
  ManualClock clock(1751335200000);
  SeededRandom rng(7);
  auto hub = make_node(dir.sub("hub"), clock, rng, node::Role::Hub, "hub", scope_projector);
  auto p = make_node(dir.sub("p"), clock, rng, node::Role::Point, "p", scope_projector);
  contract::check_two_hubs_refuse_replays(*hub, *hub, db.open(), db.open(), *p);
}

TEST_CASE("PostgreSQL hub stores on separate connections count every folded alert", "[postgres]") {
  PgTestDb db;
  contract::check_concurrent_fold(db.opener(), 4, 10);
}

TEST_CASE("one PostgreSQL hub store shared by threads uses a connection each", "[postgres]") {
  PgTestDb db;
  auto shared = db.open();
  contract::check_concurrent_leases([&](int) -> std::unique_ptr<sync::HubStore> { return db.open(); }, 2, 5);
  // The same store object from several threads (its pool): still disjoint.
  std::vector<std::vector<sync::Lease>> got(4);
  contract::run_threads(4, [&](int i) {
    for (int k = 0; k < 10; ++k) {
      auto l = shared->lease("AG", "250702", "p", 5);
      if (l.ok()) got[static_cast<size_t>(i)].push_back(*l);
    }
  });
  std::set<int> numbers;
  for (const auto& v : got)
    for (const auto& l : v)
      for (int x = l.first; x <= l.last; ++x) CHECK(numbers.insert(x).second);
  CHECK(numbers.size() == 200);
  CHECK(*numbers.rbegin() == 200);
}

TEST_CASE("the PostgreSQL schema is versioned and migrated once, also by hub processes starting together", "[postgres]") {
  PgTestDb db;
  std::vector<std::string> errors(4);
  contract::run_threads(4, [&](int i) {
    auto s = sync::open_postgres_hub_store(db.conninfo());
    if (!s.ok()) errors[static_cast<size_t>(i)] = s.error().message;
  });
  for (const auto& e : errors) CHECK(e == "");
  CHECK(db.sql("SELECT count(*) FROM motcua.motcua_schema") == "1");
  CHECK(db.sql("SELECT version FROM motcua.motcua_schema") == "3");
  CHECK(db.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'motcua'") == "13");
  CHECK(db.sql("SELECT count(*) FROM pg_indexes WHERE schemaname = 'motcua' AND indexname IN "
               "('sync_receipts_time', 'sync_log_point', 'sync_alerts_point')") == "3");  // migration 3
  auto again = db.open();  // a second start changes nothing
  REQUIRE(again->add_point(contract::point("a", "x")).ok());
  CHECK(db.sql("SELECT version FROM motcua.motcua_schema") == "3");
  // A database written by a newer motcua is refused, not used.
  db.sql("UPDATE motcua.motcua_schema SET version = 99");
  auto newer = sync::open_postgres_hub_store(db.conninfo());
  REQUIRE(!newer.ok());
  CHECK(newer.error().code == "storage");
  CHECK_THAT(newer.error().message, Catch::Contains("version 99") && Catch::Contains("upgrade motcua"));
}

TEST_CASE("a PostgreSQL server that cannot be reached gives storage errors, never a crash", "[postgres]") {
  (void)admin_conninfo();
  const std::string nowhere = "host=/nonexistent/motcua-test port=1 dbname=motcua user=motcua connect_timeout=2";
  auto opened = sync::open_postgres_hub_store(nowhere);
  REQUIRE(!opened.ok());
  CHECK(opened.error().code == "storage");
  CHECK_THAT(opened.error().message, Catch::Contains("cannot connect to PostgreSQL") &&
                                         Catch::Contains("host=/nonexistent/motcua-test port=1 dbname=motcua"));
  auto lazy = sync::make_postgres_hub_store(nowhere);
  auto st = lazy->add_point(contract::point("a", "x"));
  REQUIRE(!st.ok());
  CHECK(st.error().code == "storage");
  CHECK(lazy->lease("AG", "250701", "a", 5).error().code == "storage");
  // Methods without a Result throw HubStoreFailure carrying the same error.
  try {
    (void)lazy->points();
    FAIL("points() returned without a database");
  } catch (const sync::HubStoreFailure& e) {
    CHECK(e.error.code == "storage");
  }
}

TEST_CASE("a connection string carrying a password is refused and the password is never shown", "[postgres]") {
  PgTestDb db;
  const std::string with_password = db.conninfo() + " password=s3cr3t-pw";
  auto s = sync::open_postgres_hub_store(with_password);
  REQUIRE(!s.ok());
  CHECK(s.error().code == "invalid_value");
  CHECK(s.error().field == "conninfo");
  CHECK_THAT(s.error().message, Catch::Contains("PGPASSFILE") && !Catch::Contains("s3cr3t"));
  auto lazy = sync::make_postgres_hub_store(with_password);
  auto st = lazy->add_point(contract::point("a", "x"));
  REQUIRE(!st.ok());
  CHECK_THAT(st.error().message, !Catch::Contains("s3cr3t"));
  CHECK_THAT(sync::describe_conninfo(with_password), !Catch::Contains("s3cr3t") && Catch::Contains(db.name()));
  auto bad = sync::open_postgres_hub_store("host='unterminated");
  REQUIRE(!bad.ok());
  CHECK(bad.error().code == "invalid_value");
}

TEST_CASE("a PostgreSQL hub store reconnects after the server drops its connections", "[postgres]") {
  PgTestDb db;
  auto s = db.open();
  REQUIRE(s->add_point(contract::point("a", "x")).ok());
  // What a server restart or an administrator does to the hub's connections.
  db.sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '" + db.name() +
         "' AND pid <> pg_backend_pid()");
  // The dead pooled connection is noticed before anything was sent in it,
  // so the call is retried on a new one.
  auto p = s->point("a");
  REQUIRE(p);
  CHECK(p->area == "x");
  REQUIRE(s->lease("AG", "250701", "a", 5).ok());
}

TEST_CASE("a hub switched to PostgreSQL by its settings keeps its bookkeeping there, one store per hub",
          "[postgres]") {
  PgTestDb db;
  SyncWorld w;
  node::Node& hub = *w.hub_node;
  REQUIRE(sync::set_node_config(hub, "hub_postgres", db.conninfo()).ok());
  REQUIRE(sync::set_node_config(hub, "hub_store", "postgres").ok());  // reachable: schema created
  CHECK(db.sql("SELECT count(*) FROM motcua.motcua_schema") == "1");  // the schema was created
  const auto choice = sync::hub_store_choice(hub);
  CHECK(choice.kind == "postgres");
  CHECK_THAT(choice.where, Catch::Contains("dbname=" + db.name()));
  auto store = sync::open_hub_store(hub);
  CHECK(store.get() == sync::open_hub_store(hub).get());  // cached while held: no new connection per call
  sync::Hub h(hub, store);
  sync::PointAddOptions o;
  o.name = "a";
  o.area = "area-x";
  o.agency_code = "000.00.01.H22";
  REQUIRE(h.add_point(o).ok());
  CHECK(db.sql("SELECT name FROM motcua.hub_points") == "a");
  CHECK(sync::make_sqlite_hub_store(hub)->points().empty());  // nothing in the SQLite tables
  // Now it holds a point: neither back to SQLite nor to another database.
  Status back = sync::set_node_config(hub, "hub_store", "sqlite");
  REQUIRE(!back.ok());
  CHECK(back.error().code == "conflict");
  CHECK_THAT(back.error().message, Catch::Contains("copy-store"));
  Status other = sync::set_node_config(hub, "hub_postgres", db.conninfo() + " application_name=x");
  REQUIRE(!other.ok());
  CHECK(other.error().code == "conflict");
  CHECK(hub.config().get("hub_store") == "postgres");
}

TEST_CASE("a hub on PostgreSQL knows its points from the store: known_points, intake's return_point",
          "[postgres]") {
  PgTestDb db;
  SyncWorld w(37, node::SubjectProjector{}, false);  // the dossier projector: intake at the hub
  node::Node& hub = *w.hub_node;
  REQUIRE(sync::set_node_config(hub, "hub_postgres", db.conninfo()).ok());
  REQUIRE(sync::set_node_config(hub, "hub_store", "postgres").ok());
  w.hub = std::make_unique<sync::Hub>(hub, sync::open_hub_store(hub));
  const size_t a = w.add_point("xa-an-thi", "an-thi");
  w.add_point("xa-dao-xa", "an-thi");
  REQUIRE(w.hub->revoke_point("xa-dao-xa").ok());
  CHECK(hub.db()->execAndGet("SELECT count(*) FROM hub_points").getInt64() == 0);  // not in this database

  const Json expected = Json::array(
      {Json{{"name", "hub"}, {"place_name", "hub"}}, Json{{"name", "xa-an-thi"}, {"place_name", "xa-an-thi"}}});
  auto known = node::known_points(hub);
  REQUIRE(known.ok());
  CHECK(*known == expected);
  CHECK(node::is_known_point(hub, "xa-an-thi").value());
  CHECK_FALSE(node::is_known_point(hub, "xa-dao-xa").value());  // revoked
  // Another Node object of the same hub (a CLI run) once it opened its store.
  auto again = open_existing(hub.data_dir(), w.clock);
  auto store = sync::open_hub_store(*again);
  CHECK(node::known_points(*again).value() == expected);
  // The point received the same list in the hub's reference data.
  REQUIRE(w.sync(a).ok());
  std::set<std::string> at_point;
  const Json listed = node::known_points(*w.points[a]).value();
  for (const auto& p : listed) at_point.insert(p["name"].get<std::string>());
  CHECK(at_point == std::set<std::string>{"hub", "xa-an-thi"});

  // An intake at the hub sending the result to the enrolled point is accepted.
  node::DossierService svc(hub);
  REQUIRE(node::add_code_block(hub, "*", 1, 100).ok());
  const node::Actor clerk{"lan", node::UserRole::Clerk};
  Json req = DossierFixture::intake_request();
  req["return_point"] = "xa-an-thi";
  auto in = svc.intake(clerk, req);
  if (!in.ok()) FAIL(in.error().code + " " + in.error().message);
  req["return_point"] = "xa-dao-xa";
  auto refused = svc.intake(clerk, req);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().field == "return_point");
}

TEST_CASE("GET /api/v1/points/known of a daemon on a hub whose store is PostgreSQL lists the hub and its point",
          "[postgres][http]") {
  PgTestDb db;
  SyncWorld w(41, node::SubjectProjector{}, false);
  node::Node& hub = *w.hub_node;
  REQUIRE(sync::set_node_config(hub, "hub_postgres", db.conninfo()).ok());
  REQUIRE(sync::set_node_config(hub, "hub_store", "postgres").ok());
  w.hub = std::make_unique<sync::Hub>(hub, sync::open_hub_store(hub));
  REQUIRE(w.sync(w.add_point("xa-an-thi", "an-thi")).ok());
  CHECK(hub.db()->execAndGet("SELECT count(*) FROM hub_points").getInt64() == 0);  // not in this database

  // The daemon opens the hub's directory itself, as `motcua serve` does.
  auto served = open_existing(hub.data_dir(), w.clock, node::SubjectProjector{});
  node::UserStore users(served->db(), w.clock, w.rng, true);
  REQUIRE(users.add_user("clerk1", node::UserRole::Clerk, "clerk1-password").ok());
  sync::DaemonOptions opt;
  opt.host = "127.0.0.1";
  opt.port = 0;
  opt.fast_password_hash = true;
  opt.background_sync = false;
  opt.log = [](const std::string&) {};
  sync::Daemon daemon(*served, opt);
  REQUIRE(daemon.bind().ok());
  struct Running {  // stopped however the test ends
    sync::Daemon& d;
    std::thread t;
    ~Running() {
      d.stop();
      t.join();
    }
  } running{daemon, std::thread([&] { (void)daemon.run(); })};
  httplib::Client c("127.0.0.1", daemon.port());
  c.set_read_timeout(20);
  auto login = c.Post("/api/v1/sessions", Json{{"username", "clerk1"}, {"password", "clerk1-password"}}.dump(),
                      "application/json");
  REQUIRE(login);
  REQUIRE(login->status == 200);
  auto known = c.Get("/api/v1/points/known", DaemonFixture::bearer(body_json(login)["token"].get<std::string>()));
  REQUIRE(known);
  INFO(known->body);
  CHECK(known->status == 200);
  CHECK(body_json(known) == Json::array({Json{{"name", "hub"}, {"place_name", "hub"}},
                                         Json{{"name", "xa-an-thi"}, {"place_name", "xa-an-thi"}}}));
}

TEST_CASE("a hub's bookkeeping copies from SQLite to PostgreSQL and back, value for value", "[postgres]") {
  TempDir dir("hubstore-copy-pg");
  ManualClock clock(1000);
  SeededRandom rng(9);
  std::vector<std::unique_ptr<node::Node>> nodes;
  std::vector<std::unique_ptr<PgTestDb>> dbs;
  auto sqlite = [&]() {
    nodes.push_back(make_node(dir.sub("hub" + std::to_string(nodes.size())), clock, rng, node::Role::Hub, "hub"));
    return sync::make_sqlite_hub_store(*nodes.back());
  };
  auto pg = [&]() {
    dbs.push_back(std::make_unique<PgTestDb>());
    return dbs.back()->open();
  };
  SECTION("SQLite to PostgreSQL") { contract::check_copy_bookkeeping(sqlite, pg); }
  SECTION("PostgreSQL to SQLite") { contract::check_copy_bookkeeping(pg, sqlite); }
}
