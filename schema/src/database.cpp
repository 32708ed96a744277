#include "motcua/schema/database.hpp"

#include <sqlite3.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <vector>

#include "motcua/durable_file.hpp"
#include "motcua/schema/storage.hpp"

namespace motcua::schema {

const std::vector<const char*>& migrations();  // migrations.cpp

int schema_version() { return static_cast<int>(migrations().size()); }

int database_version(SQLite::Database& db) { return db.execAndGet("PRAGMA user_version").getInt(); }

namespace {

// Rolls back only a transaction that is still open: after SQLITE_FULL or an
// I/O error SQLite may already have rolled it back itself, and a second
// ROLLBACK would throw "cannot rollback - no transaction is active" and hide
// the real cause.
void rollback_if_open(SQLite::Database& db) noexcept {
  try {
    if (db.getHandle() && sqlite3_get_autocommit(db.getHandle()) == 0) db.exec("ROLLBACK");
  } catch (...) {
  }
}

// A database (and its -wal, -shm) that a group or others may read, as an
// older motcua or a copy by hand may have left it, is made owner-only.
void tighten_modes(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const std::string p = path + suffix;
    struct stat st;
    if (::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077) != 0)
      (void)::chmod(p.c_str(), st.st_mode & 0700);
  }
}

// Before a migration: a copy of the database as the older motcua left it,
// next to it, named after both versions ("motcua.db.schema11-before-13.bak",
// then ".2.bak", ... if one exists). Created empty 0600 first (VACUUM INTO
// would give it the umask's mode), filled by VACUUM INTO from a read
// snapshot, then fsynced with its directory: the migration starts only once
// the copy is on disk. Returns the copy's path.
Result<std::string> copy_before_upgrade(SQLite::Database& db, const std::string& path, int have, int want) {
  const std::string stem = path + ".schema" + std::to_string(have) + "-before-" + std::to_string(want);
  std::string bak;
  int fd = -1;
  for (int n = 1; n < 100 && fd < 0; ++n) {
    bak = stem + (n == 1 ? std::string() : "." + std::to_string(n)) + ".bak";
    fd = ::open(bak.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST) return storage_error_errno(errno, "cannot create " + bak);
  }
  if (fd < 0) return make_error("io_error", "too many earlier upgrade copies named " + stem + "*.bak");
  ::close(fd);
  auto fail = [&](const Error& e) -> Error {
    (void)::unlink(bak.c_str());
    return e;
  };
  try {
    SQLite::Statement into(db, "VACUUM INTO ?");
    into.bind(1, bak);
    into.exec();
  } catch (const SQLite::Exception& e) {
    return fail(storage_error(e));
  }
  fd = ::open(bak.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    const int err = errno;
    if (fd >= 0) ::close(fd);
    return fail(storage_error_errno(err, "fsync " + bak));
  }
  ::close(fd);
  const auto slash = path.find_last_of('/');
  Status dir = fsync_directory(slash == std::string::npos ? std::string(".") : path.substr(0, slash == 0 ? 1 : slash));
  if (!dir.ok()) return fail(dir.error());
  return bak;
}

}  // namespace

Status in_transaction(SQLite::Database& db, const std::function<Status()>& fn) {
  if (db.getHandle() && sqlite3_get_autocommit(db.getHandle()) == 0) {
    // Already inside a transaction (e.g. a point's join writes everything in
    // one): a savepoint, so this part is all or nothing within the outer one.
    try {
      db.exec("SAVEPOINT nested_tx");
    } catch (const SQLite::Exception& e) {
      return storage_error(e);
    }
    auto undo = [&]() noexcept {
      try {
        if (sqlite3_get_autocommit(db.getHandle()) == 0) db.exec("ROLLBACK TO nested_tx; RELEASE nested_tx");
      } catch (...) {
      }
    };
    try {
      Status s = fn();
      if (!s.ok()) {
        undo();
        return s;
      }
      db.exec("RELEASE nested_tx");
      return s;
    } catch (const SQLite::Exception& e) {
      undo();
      return storage_error(e);
    } catch (...) {
      undo();
      throw;
    }
  }
  try {
    db.exec("BEGIN IMMEDIATE");
  } catch (const SQLite::Exception& e) {
    return storage_error(e);
  }
  try {
    Status s = fn();
    if (!s.ok()) {
      rollback_if_open(db);
      return s;
    }
    db.exec("COMMIT");
    return s;
  } catch (const SQLite::Exception& e) {
    rollback_if_open(db);
    return storage_error(e);
  } catch (...) {
    rollback_if_open(db);
    throw;
  }
}

Result<std::shared_ptr<SQLite::Database>> open_database(const std::string& path, const OpenOptions& opt) {
  std::shared_ptr<SQLite::Database> db;
  if (opt.create && !opt.read_only && !path.empty() && path[0] != ':' && path.rfind("file:", 0) != 0) {
    // The file holds password and session hashes: created 0600 whatever the
    // umask. SQLite gives the -wal and -shm files it creates later the
    // database file's mode, so they are 0600 too.
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return storage_error_errno(errno, "cannot create database " + path, "database_error");
    ::close(fd);
  }
  try {
    int flags = opt.read_only ? SQLite::OPEN_READONLY : SQLite::OPEN_READWRITE;
    if (opt.create && !opt.read_only) flags |= SQLite::OPEN_CREATE;
    flags |= SQLITE_OPEN_FULLMUTEX;
    db = std::make_shared<SQLite::Database>(path, flags, opt.busy_timeout_ms, opt.vfs);
    db->exec("PRAGMA foreign_keys=ON");
    // Check the version before anything else: a database written by a newer
    // motcua must be left exactly as it is (not even switched to WAL).
    int have = database_version(*db);
    int want = schema_version();
    if (have > want)
      return make_error("schema_too_new", "database " + path + " has schema version " + std::to_string(have) +
                                              " but this motcua understands only up to " + std::to_string(want) +
                                              "; install a newer motcua (the database was not changed)");
    if (opt.read_only && have < want)
      return make_error("schema_too_old", "database needs migration; open it read-write once");
    if (!opt.read_only) {
      db->exec("PRAGMA journal_mode=WAL");
      db->exec("PRAGMA synchronous=FULL");
    }
    if (have > 0 && have < want && opt.copy_before_upgrade && !path.empty() && path[0] != ':' &&
        path.rfind("file:", 0) != 0) {
      auto bak = copy_before_upgrade(*db, path, have, want);
      if (!bak.ok()) {
        Error e = bak.error();
        e.message = "the database " + path + " (schema version " + std::to_string(have) +
                    ") was not upgraded: a copy of it could not be saved first: " + e.message;
        return e;
      }
      std::cerr << "motcua: upgrading the database " << path << " from schema version " << have << " to " << want
                << "; a copy of it as it was: " << bak.value() << "\n";
    }
    for (int v = have + 1; v <= want; ++v) {
      Status s = in_transaction(*db, [&]() -> Status {
        // Another process may have migrated since we looked: re-read under the write lock.
        if (database_version(*db) >= v) return ok_status();
        db->exec(migrations()[static_cast<size_t>(v - 1)]);
        db->exec("PRAGMA user_version=" + std::to_string(v));
        return ok_status();
      });
      if (!s.ok()) return s.error();
    }
  } catch (const SQLite::Exception& e) {
    return make_error("database_error", std::string("cannot open database ") + path + ": " + e.what());
  }
  if (!opt.read_only) tighten_modes(path);
  return db;
}

}  // namespace motcua::schema
