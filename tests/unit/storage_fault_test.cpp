// Storage faults: a full disk (a VFS whose writes fail like ENOSPC, and a
// database at its page limit) and a database that refuses writes answer 503
// storage_full / storage_unwritable with nothing half-written; /healthz says
// so while it lasts and is 200 again, without a restart, once writes work.
// Also: the files of a node are owner-only.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cerrno>

#include "fault_vfs.hpp"
#include "http_test_util.hpp"
#include "served_node.hpp"
#include "motcua/http/api_error.hpp"
#include "motcua/schema/database.hpp"
#include "motcua/schema/storage.hpp"

using namespace motcua;
using test::FaultVfs;

namespace {

// A served node whose database connection runs on the fault VFS (a
// pass-through until `full` is set).
struct FaultDaemon {
  test::TempDir dir{"fault"};
  ManualClock clock{test::kTuesdayMorningMs};
  SeededRandom rng{42};
  FaultVfs& vfs = FaultVfs::instance();
  std::unique_ptr<test::ServedNode> served;
  node::Node* node = nullptr;

  FaultDaemon() {
    test::prepare_node(dir.path(), clock, rng);
    served = std::make_unique<test::ServedNode>(dir.path(), clock, rng, FaultVfs::name());
    node = served->node.get();
  }
  ~FaultDaemon() { vfs.full = false; }

  std::unique_ptr<httplib::Client> client() { return served->client(); }
  httplib::Result login(const std::string& user) { return served->login(user); }
  httplib::Headers clerk() { return served->as("clerk1"); }
  bool logged(const std::string& part) { return served->logged(part); }
  // Every table's rows (sessions and login failures included), the journal and the projection.
  test::DbSnapshot snapshot() { return test::snapshot(*node, {}); }
};

std::string error_code(const httplib::Result& r) { return test::body_json(r)["error"].value("code", ""); }

}  // namespace

TEST_CASE("SQLite result codes and errno map onto the storage fault codes", "[storage]") {
  using schema::storage_error;
  CHECK(storage_error(SQLite::Exception("database or disk is full", SQLITE_FULL)).code == "storage_full");
  CHECK(storage_error(SQLite::Exception("attempt to write a readonly database", SQLITE_READONLY)).code ==
        "storage_unwritable");
  CHECK(storage_error(SQLite::Exception("x", SQLITE_READONLY_DBMOVED)).code == "storage_unwritable");
  CHECK(storage_error(SQLite::Exception("unable to open database file", SQLITE_CANTOPEN)).code == "storage_unwritable");
  CHECK(storage_error(SQLite::Exception("disk I/O error", SQLITE_IOERR_WRITE)).code == "storage_unwritable");
  CHECK(storage_error(SQLite::Exception("disk I/O error", SQLITE_IOERR_FSYNC)).code == "storage_unwritable");
  CHECK(storage_error(SQLite::Exception("access permission denied", SQLITE_PERM)).code == "storage_unwritable");
  CHECK(storage_error(SQLite::Exception("database is locked", SQLITE_BUSY)).code == "storage_busy");
  CHECK(storage_error(SQLite::Exception("UNIQUE constraint failed", SQLITE_CONSTRAINT)).code == "database_error");
  CHECK(storage_error(SQLite::Exception("no code")).code == "database_error");
  const Error full = storage_error(SQLite::Exception("database or disk is full", SQLITE_FULL));
  CHECK(full.message.rfind("Ổ đĩa đã đầy", 0) == 0);  // Vietnamese first, UTF-8
  CHECK(full.message.find("database or disk is full") != std::string::npos);

  CHECK(schema::storage_error_errno(ENOSPC, "write").code == "storage_full");
  CHECK(schema::storage_error_errno(EDQUOT, "write").code == "storage_full");
  CHECK(schema::storage_error_errno(EROFS, "write").code == "storage_unwritable");
  CHECK(schema::storage_error_errno(EACCES, "open").code == "storage_unwritable");
  CHECK(schema::storage_error_errno(EIO, "fsync").code == "storage_unwritable");
  CHECK(schema::storage_error_errno(EBADF, "write").code == "io_error");
  CHECK(schema::storage_error_errno(EBADF, "write", "disk_error").code == "disk_error");

  for (const char* code : {"storage_full", "storage_unwritable", "storage_busy", "journal_broken"})
    CHECK(http::http_status(make_error(code, "")) == 503);
  CHECK(schema::is_storage_fault(make_error("storage_full", "")));
  CHECK(schema::is_storage_fault(make_error("storage_unwritable", "")));
  CHECK_FALSE(schema::is_storage_fault(make_error("storage_busy", "")));
}

TEST_CASE("a commit that fails on a full disk reports the disk, not a failed rollback", "[storage]") {
  test::TempDir dir("fault");
  FaultVfs& vfs = FaultVfs::instance();
  auto db = schema::open_database(dir.sub("t.db"), {.create = true, .vfs = FaultVfs::name()});
  REQUIRE(db.ok());
  auto& d = *db.value();
  d.exec("CREATE TABLE t (x)");
  vfs.full = true;
  Status s = schema::in_transaction(d, [&]() -> Status {
    d.exec("INSERT INTO t VALUES (zeroblob(100000))");
    return ok_status();
  });
  vfs.full = false;
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == "storage_full");
  CHECK(s.error().message.find("rollback") == std::string::npos);
  CHECK(d.execAndGet("SELECT count(*) FROM t").getInt() == 0);
  // The connection is usable again at once.
  REQUIRE(schema::in_transaction(d, [&]() -> Status {
            d.exec("INSERT INTO t VALUES (1)");
            return ok_status();
          }).ok());
  CHECK(d.execAndGet("SELECT count(*) FROM t").getInt() == 1);
}

TEST_CASE("on a full disk intake and login answer 503 storage_full, nothing is written, and service resumes without a restart",
          "[storage][http]") {
  FaultDaemon f;
  auto clerk = f.clerk();
  auto c = f.client();
  REQUIRE(c->Post("/api/v1/dossiers", clerk, test::intake_request().dump(), "application/json")->status == 201);
  REQUIRE(c->Get("/healthz")->status == 200);
  const auto before = f.snapshot();

  f.vfs.full = true;
  auto intake = c->Post("/api/v1/dossiers", clerk, test::intake_request("001099012346").dump(), "application/json");
  REQUIRE(intake);
  CHECK(intake->status == 503);
  CHECK(error_code(intake) == "storage_full");
  CHECK(test::body_json(intake)["error"]["message"].get<std::string>().rfind("Ổ đĩa đã đầy", 0) == 0);
  auto login = f.login("clerk1");
  REQUIRE(login);
  CHECK(login->status == 503);
  CHECK(error_code(login) == "storage_full");
  CHECK(login->body.find("cannot rollback") == std::string::npos);
  auto health = c->Get("/healthz");
  CHECK(health->status == 503);
  CHECK(test::body_json(health)["reason"] == "storage_full");
  CHECK(test::body_json(health)["error"]["code"] == "storage_full");
  // Reads go on.
  CHECK(c->Get("/api/v1/dossiers", clerk)->status == 200);
  CHECK(f.vfs.refused_writes > 0);
  f.vfs.full = false;

  CHECK(f.snapshot() == before);  // nothing half-written
  CHECK(f.node->journal().verify().ok());
  CHECK(f.logged("event=storage_fault code=storage_full"));

  // Space is back: the same requests succeed, and /healthz is 200 again.
  auto again = c->Post("/api/v1/dossiers", clerk, test::intake_request("001099012346").dump(), "application/json");
  CHECK(again->status == 201);
  CHECK(f.login("clerk1")->status == 200);
  CHECK(c->Get("/healthz")->status == 200);
  CHECK(f.logged("event=storage_recovered"));
  CHECK(f.node->journal().count() == before.journal_count + 1);
  CHECK(f.node->journal().verify().ok());
}

TEST_CASE("a database at its page limit refuses an intake with 503 storage_full until the limit is raised",
          "[storage][http]") {
  FaultDaemon f;
  auto clerk = f.clerk();
  auto c = f.client();
  auto& db = *f.node->db();
  int64_t old_limit = 0;
  {
    std::lock_guard<std::recursive_mutex> g(f.node->journal().mutex());
    old_limit = db.execAndGet("PRAGMA max_page_count").getInt64();
    REQUIRE(db.execAndGet("PRAGMA freelist_count").getInt64() == 0);
    db.exec("PRAGMA max_page_count = " + std::to_string(db.execAndGet("PRAGMA page_count").getInt64()));
  }
  const auto before = f.snapshot();
  // An entry larger than a page needs fresh pages.
  Json req = test::intake_request();
  req["form"]["ghi_chu"] = std::string(12000, 'x');
  auto r = c->Post("/api/v1/dossiers", clerk, req.dump(), "application/json");
  CHECK(r->status == 503);
  CHECK(error_code(r) == "storage_full");
  auto health = c->Get("/healthz");
  CHECK(health->status == 503);
  CHECK(test::body_json(health)["reason"] == "storage_full");
  CHECK(f.snapshot() == before);
  CHECK(f.node->journal().verify().ok());
  {
    std::lock_guard<std::recursive_mutex> g(f.node->journal().mutex());
    db.exec("PRAGMA max_page_count = " + std::to_string(old_limit));
  }
  CHECK(c->Post("/api/v1/dossiers", clerk, req.dump(), "application/json")->status == 201);
  CHECK(c->Get("/healthz")->status == 200);
  CHECK(f.node->journal().count() == before.journal_count + 1);
}

TEST_CASE("a database that refuses writes answers 503 storage_unwritable and recovers without a restart",
          "[storage][http]") {
  FaultDaemon f;
  auto clerk = f.clerk();
  auto c = f.client();
  const auto before = f.snapshot();
  {
    std::lock_guard<std::recursive_mutex> g(f.node->journal().mutex());
    f.node->db()->exec("PRAGMA query_only = 1");  // as a read-only file would (tests run as root: chmod would not)
  }
  auto r = c->Post("/api/v1/dossiers", clerk, test::intake_request().dump(), "application/json");
  CHECK(r->status == 503);
  CHECK(error_code(r) == "storage_unwritable");
  auto login = f.login("clerk1");
  CHECK(login->status == 503);
  CHECK(error_code(login) == "storage_unwritable");
  auto health = c->Get("/healthz");
  CHECK(health->status == 503);
  CHECK(test::body_json(health)["reason"] == "storage_unwritable");
  CHECK(c->Get("/api/v1/dossiers", clerk)->status == 200);
  CHECK(f.snapshot() == before);
  {
    std::lock_guard<std::recursive_mutex> g(f.node->journal().mutex());
    f.node->db()->exec("PRAGMA query_only = 0");
  }
  CHECK(c->Post("/api/v1/dossiers", clerk, test::intake_request().dump(), "application/json")->status == 201);
  CHECK(c->Get("/healthz")->status == 200);
}

TEST_CASE("a full disk under an attachment upload answers 503 storage_full", "[storage][http]") {
  FaultDaemon f;
  // The upload's file lands on the disk; its row cannot be written.
  auto clerk = f.clerk();
  f.vfs.full = true;
  auto r = f.client()->Post("/api/v1/blobs", clerk, std::string("%PDF-1.4\n") + std::string(2000, 'a'),
                            "application/pdf");
  f.vfs.full = false;
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(error_code(r) == "storage_full");
}

TEST_CASE("the node's database and its WAL files are owner-only", "[storage]") {
  test::TempDir dir("modes");
  ManualClock clock{test::kTuesdayMorningMs};
  SeededRandom rng{5};
  const mode_t old_umask = ::umask(022);  // a usual umask: files would be 0644
  auto mode = [](const std::string& p) {
    struct stat st;
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 0777;
  };
  {
    auto n = test::make_node(dir.sub("node"), clock, rng);
    CHECK(mode(node::db_path(dir.sub("node"))) == 0600);
    sync::DaemonOptions opt;
    opt.port = 0;
    opt.background_sync = false;
    opt.log = [](const std::string&) {};
    sync::Daemon d(*n, opt);
    REQUIRE(d.bind().ok());
    std::thread t([&] { (void)d.run(); });
    httplib::Client c("127.0.0.1", d.port());
    CHECK(c.Get("/healthz")->status == 200);
    for (const char* suffix : {"", "-wal", "-shm"}) {
      INFO(suffix);
      CHECK(mode(node::db_path(dir.sub("node")) + suffix) == 0600);
    }
    d.stop();
    t.join();
  }
  // A database left readable by others (an older version, a copy by hand) is tightened when opened.
  ::chmod(node::db_path(dir.sub("node")).c_str(), 0644);
  { auto n = test::open_existing(dir.sub("node"), clock); }
  CHECK(mode(node::db_path(dir.sub("node"))) == 0600);
  ::umask(old_umask);
}
