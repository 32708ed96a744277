// The hub's journal on PostgreSQL (sync/src/hub_log_pg.cpp) against the
// shared-log contract (shared_log_contract.hpp): commit order under
// concurrent writers, and two hub processes converging on one log.
// Needs MOTCUA_TEST_POSTGRES (see hub_store_pg_test.cpp); each test case
// works in a database of its own.
#include <libpq-fe.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>

#include "motcua/sync/hub_log.hpp"
#include "shared_log_contract.hpp"

using namespace motcua;
using namespace motcua::test;

namespace {

std::string pg_exec(const std::string& conninfo, const std::string& sql) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  std::string err;
  if (PQstatus(c) != CONNECTION_OK) {
    err = PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, sql.c_str());
    const auto st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) err = PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(c);
  return err;
}

// A database for one test case, dropped at the end.
struct LogDb {
  std::string admin, name;
  LogDb() {
    const char* v = std::getenv("MOTCUA_TEST_POSTGRES");
    if (v == nullptr || *v == '\0') FAIL("MOTCUA_TEST_POSTGRES is not set (deploy/pg-test-cluster.sh start DIR)");
    admin = v;
    static std::atomic<int> n{0};
    name = "motcua_log" + std::to_string(::getpid()) + "_" + std::to_string(n++);
    const std::string err = pg_exec(admin, "CREATE DATABASE " + name + " TEMPLATE template0");
    if (!err.empty()) FAIL("cannot create the test database: " + err);
  }
  ~LogDb() { (void)pg_exec(admin, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); }
  std::string conninfo() const { return admin + " dbname=" + name; }
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
