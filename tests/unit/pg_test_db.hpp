// For the [postgres] tests: one SQL command on a connection of its own, and a
// database of its own per test, dropped at the end (even with connections
// still open: WITH (FORCE)). The cluster comes from MOTCUA_TEST_POSTGRES
// (deploy/pg-test-cluster.sh start DIR prints it; deploy/test.sh does both).
#pragma once

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

namespace motcua::test {

inline std::string admin_conninfo() {
  const char* v = std::getenv("MOTCUA_TEST_POSTGRES");
  if (v == nullptr || *v == '\0')
    FAIL("MOTCUA_TEST_POSTGRES is not set: the [postgres] tests need a PostgreSQL cluster. Start one with "
         "`deploy/pg-test-cluster.sh start DIR` and export the connection string it prints "
         "(deploy/test.sh does both).");
  return v;
}

// "" when it worked, else the error; `first_value`: the first row's first column.
inline std::string admin_exec(const std::string& conninfo, const std::string& sql, std::string* first_value = nullptr) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  std::string err;
  if (PQstatus(c) != CONNECTION_OK) {
    err = PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, sql.c_str());
    const auto st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) err = PQresultErrorMessage(r);
    else if (first_value && PQntuples(r) > 0) *first_value = PQgetvalue(r, 0, 0);
    PQclear(r);
  }
  PQfinish(c);
  return err;
}

// A database of its own, named `prefix` + pid + a counter.
class PgScratchDb {
 public:
  explicit PgScratchDb(const std::string& prefix) : admin_(admin_conninfo()) {
    static std::atomic<int> n{0};
    name_ = prefix + std::to_string(::getpid()) + "_" + std::to_string(n++);
    const std::string err = admin_exec(admin_, "CREATE DATABASE " + name_ + " TEMPLATE template0");
    if (!err.empty()) FAIL("cannot create the test database: " + err);
  }
  ~PgScratchDb() { (void)admin_exec(admin_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)"); }
  PgScratchDb(const PgScratchDb&) = delete;
  PgScratchDb& operator=(const PgScratchDb&) = delete;
  // libpq takes the last value of a repeated keyword.
  std::string conninfo() const { return admin_ + " dbname=" + name_; }
  const std::string& name() const { return name_; }
  const std::string& admin() const { return admin_; }
  // One command in this database; its first value; the test fails on an error.
  std::string sql(const std::string& q) const {
    std::string v;
    const std::string err = admin_exec(conninfo(), q, &v);
    if (!err.empty()) FAIL("SQL failed: " + err + "\n" + q);
    return v;
  }

 private:
  std::string admin_;
  std::string name_;
};

}  // namespace motcua::test
