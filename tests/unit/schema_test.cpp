// Opening the database: pragmas, numbered migrations, refusal of newer schemas.
#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "motcua/durable_file.hpp"
#include "motcua/schema/database.hpp"
#include "fault_vfs.hpp"
#include "test_util.hpp"

namespace motcua::schema {
const std::vector<const char*>& migrations();  // schema/src/migrations.cpp
}

using namespace motcua;

namespace {
std::shared_ptr<SQLite::Database> open_ok(const std::string& path, schema::OpenOptions o = {.create = true}) {
  auto db = schema::open_database(path, o);
  if (!db.ok()) throw std::runtime_error(db.error().code + ": " + db.error().message);
  return db.value();
}
std::string file_bytes(const std::string& p) {
  auto r = read_small_file(p, 64 << 20);
  if (!r.ok()) throw std::runtime_error(r.error().message);
  return r.value();
}
// A database as the motcua one schema version older left it (migrations
// 1..N-1 as released), holding one row to recognise it by.
void write_older_database(const std::string& p) {
  SQLite::Database raw(p, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  raw.exec("PRAGMA journal_mode=WAL");
  const int older = schema::schema_version() - 1;
  for (int v = 1; v <= older; ++v) raw.exec(schema::migrations()[static_cast<size_t>(v - 1)]);
  raw.exec("PRAGMA user_version=" + std::to_string(older));
  raw.exec("INSERT INTO node_meta (key, value) VALUES ('name', 'xã An Thịnh')");
}
bool has_table(SQLite::Database& db, const std::string& name) {
  SQLite::Statement q(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  q.bind(1, name);
  return q.executeStep();
}
}  // namespace

TEST_CASE("a new database is migrated to the current schema version", "[schema]") {
  test::TempDir dir("schema");
  auto db = open_ok(dir.sub("m.db"));
  CHECK(schema::schema_version() >= 1);
  CHECK(schema::database_version(*db) == schema::schema_version());
  for (const char* t : {"node_meta", "config", "journal", "authors", "projection"}) {
    INFO(t);
    CHECK(has_table(*db, t));
  }
}

TEST_CASE("the database runs in WAL mode with full sync, foreign keys and a busy timeout", "[schema]") {
  test::TempDir dir("schema");
  auto db = open_ok(dir.sub("m.db"));
  CHECK(db->execAndGet("PRAGMA journal_mode").getString() == "wal");
  CHECK(db->execAndGet("PRAGMA foreign_keys").getInt() == 1);
  CHECK(db->execAndGet("PRAGMA synchronous").getInt() == 2);  // FULL
  CHECK(db->execAndGet("PRAGMA busy_timeout").getInt() == 5000);
  // foreign_keys is enforced, not just reported.
  db->exec("CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (p INTEGER REFERENCES p(id))");
  CHECK_THROWS_AS(db->exec("INSERT INTO c (p) VALUES (42)"), SQLite::Exception);
}

TEST_CASE("reopening a database is idempotent and keeps its data", "[schema]") {
  test::TempDir dir("schema");
  std::string p = dir.sub("m.db");
  {
    auto db = open_ok(p);
    db->exec("INSERT INTO config (key, value) VALUES ('listen', '0.0.0.0:9000')");
  }
  for (int i = 0; i < 3; ++i) {
    auto db = open_ok(p, {});
    CHECK(schema::database_version(*db) == schema::schema_version());
    CHECK(db->execAndGet("SELECT value FROM config WHERE key = 'listen'").getString() == "0.0.0.0:9000");
  }
}

TEST_CASE("a missing database is not created unless asked", "[schema]") {
  test::TempDir dir("schema");
  auto db = schema::open_database(dir.sub("absent.db"), {});
  REQUIRE_FALSE(db.ok());
  CHECK(db.error().code == "database_error");
  CHECK_FALSE(std::filesystem::exists(dir.sub("absent.db")));
}

TEST_CASE("a database from a newer motcua is refused and left byte for byte unchanged", "[schema]") {
  test::TempDir dir("schema");
  std::string p = dir.sub("newer.db");
  const int newer = schema::schema_version() + 1;
  {
    SQLite::Database raw(p, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    raw.exec("CREATE TABLE future (x TEXT); INSERT INTO future VALUES ('từ phiên bản sau')");
    raw.exec("PRAGMA user_version=" + std::to_string(newer));
  }
  const std::string before = file_bytes(p);
  auto db = schema::open_database(p, {});
  REQUIRE_FALSE(db.ok());
  CHECK(db.error().code == "schema_too_new");
  CHECK(db.error().message.find(std::to_string(newer)) != std::string::npos);
  CHECK(file_bytes(p) == before);
  CHECK_FALSE(std::filesystem::exists(p + "-wal"));

  SQLite::Database raw(p, SQLite::OPEN_READONLY);
  CHECK(raw.execAndGet("PRAGMA user_version").getInt() == newer);
  CHECK(raw.execAndGet("PRAGMA journal_mode").getString() == "delete");
  CHECK_FALSE(has_table(raw, "journal"));
}

TEST_CASE("a read-only open of an old database asks for a migration", "[schema]") {
  test::TempDir dir("schema");
  std::string p = dir.sub("old.db");
  { SQLite::Database raw(p, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE); raw.exec("CREATE TABLE x (y)"); }
  auto db = schema::open_database(p, {.read_only = true});
  REQUIRE_FALSE(db.ok());
  CHECK(db.error().code == "schema_too_old");
}

TEST_CASE("an older database is copied next to itself, durably and owner-only, before it is migrated", "[schema][upgrade]") {
  test::TempDir dir("schema");
  const std::string p = dir.sub("motcua.db");
  const int older = schema::schema_version() - 1;
  write_older_database(p);
  const std::string bak = p + ".schema" + std::to_string(older) + "-before-" + std::to_string(schema::schema_version()) + ".bak";
  {
    auto db = open_ok(p, {});
    CHECK(schema::database_version(*db) == schema::schema_version());
    CHECK(db->execAndGet("SELECT value FROM node_meta WHERE key = 'name'").getString() == "xã An Thịnh");
  }
  REQUIRE(std::filesystem::exists(bak));
  CHECK((std::filesystem::status(bak).permissions() & std::filesystem::perms::others_read) == std::filesystem::perms::none);
  CHECK((std::filesystem::status(bak).permissions() & std::filesystem::perms::group_read) == std::filesystem::perms::none);
  {
    // The copy is the database as it was: the older version, the same data.
    SQLite::Database copy(bak, SQLite::OPEN_READONLY);
    CHECK(copy.execAndGet("PRAGMA user_version").getInt() == older);
    CHECK(copy.execAndGet("SELECT value FROM node_meta WHERE key = 'name'").getString() == "xã An Thịnh");
    CHECK(copy.execAndGet("PRAGMA integrity_check").getString() == "ok");
  }
  // Opening the migrated database again copies nothing more.
  open_ok(p, {});
  int baks = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    if (e.path().extension() == ".bak") ++baks;
  CHECK(baks == 1);
}

TEST_CASE("a second upgrade of the same version keeps the first copy and names the next one .2", "[schema][upgrade]") {
  test::TempDir dir("schema");
  const std::string p = dir.sub("motcua.db");
  const std::string stem = p + ".schema" + std::to_string(schema::schema_version() - 1) + "-before-" +
                           std::to_string(schema::schema_version());
  write_older_database(p);
  REQUIRE(write_file_durably(stem + ".bak", "an earlier copy", 0600).ok());
  open_ok(p, {});
  CHECK(file_bytes(stem + ".bak") == "an earlier copy");
  REQUIRE(std::filesystem::exists(stem + ".2.bak"));
  SQLite::Database copy(stem + ".2.bak", SQLite::OPEN_READONLY);
  CHECK(copy.execAndGet("PRAGMA user_version").getInt() == schema::schema_version() - 1);
}

TEST_CASE("when the copy before an upgrade cannot be written, the database is not migrated", "[schema][upgrade]") {
  test::TempDir dir("schema");
  const std::string p = dir.sub("motcua.db");
  write_older_database(p);
  auto& vfs = test::FaultVfs::instance();
  vfs.full = true;
  auto db = schema::open_database(p, {.vfs = test::FaultVfs::name()});
  vfs.full = false;
  REQUIRE_FALSE(db.ok());
  CHECK(db.error().code == "storage_full");
  CHECK(db.error().message.find("was not upgraded") != std::string::npos);
  SQLite::Database raw(p, SQLite::OPEN_READONLY);
  CHECK(raw.execAndGet("PRAGMA user_version").getInt() == schema::schema_version() - 1);
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    CHECK(e.path().extension() != ".bak");  // no half-written copy left behind
}

TEST_CASE("a migration that fails leaves the database at its previous version", "[schema]") {
  test::TempDir dir("schema");
  std::string p = dir.sub("clash.db");
  {
    // A table that migration 1 also creates makes it fail halfway.
    SQLite::Database raw(p, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    raw.exec("CREATE TABLE journal (x)");
  }
  auto db = schema::open_database(p, {});
  REQUIRE_FALSE(db.ok());
  CHECK(db.error().code == "database_error");
  SQLite::Database raw(p, SQLite::OPEN_READONLY);
  CHECK(raw.execAndGet("PRAGMA user_version").getInt() == 0);
  CHECK_FALSE(has_table(raw, "node_meta"));  // created before the clash, rolled back
}

TEST_CASE("several processes opening a fresh database at once all succeed", "[schema]") {
  test::TempDir dir("schema");
  std::string p = dir.sub("race.db");
  { SQLite::Database raw(p, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE); }
  std::vector<std::string> errors(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < errors.size(); ++i)
    threads.emplace_back([&, i] {
      auto db = schema::open_database(p, {});
      if (!db.ok()) errors[i] = db.error().message;
    });
  for (auto& t : threads) t.join();
  for (const auto& e : errors) CHECK(e.empty());
  CHECK(schema::database_version(*open_ok(p, {})) == schema::schema_version());
}

TEST_CASE("in_transaction commits on success and rolls back on error or exception", "[schema]") {
  test::TempDir dir("schema");
  auto db = open_ok(dir.sub("tx.db"));
  auto rows = [&] { return db->execAndGet("SELECT count(*) FROM config").getInt(); };

  REQUIRE(schema::in_transaction(*db, [&]() -> Status {
            db->exec("INSERT INTO config VALUES ('a', '1')");
            return ok_status();
          }).ok());
  CHECK(rows() == 1);

  Status refused = schema::in_transaction(*db, [&]() -> Status {
    db->exec("INSERT INTO config VALUES ('b', '2')");
    return make_error("invalid_value", "no", "b");
  });
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().field == "b");
  CHECK(rows() == 1);

  CHECK_THROWS_WITH(schema::in_transaction(*db,
                                           [&]() -> Status {
                                             db->exec("INSERT INTO config VALUES ('c', '3')");
                                             throw std::runtime_error("crash between two writes");
                                           }),
                    "crash between two writes");
  CHECK(rows() == 1);
  // The connection is usable again afterwards (no transaction left open).
  REQUIRE(schema::in_transaction(*db, [&]() -> Status {
            db->exec("INSERT INTO config VALUES ('d', '4')");
            return ok_status();
          }).ok());
  CHECK(rows() == 2);
}
