// Opening the node's SQLite database: pragmas for durability, numbered
// migrations applied in one transaction each, refusal of newer schemas.
// SQLiteCpp's wrapper types appear here; sqlite3.h never does.
#pragma once
#include <functional>
#include <memory>
#include <string>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include "motcua/result.hpp"

namespace motcua::schema {

// The schema version this binary writes. Migrations 1..kSchemaVersion live in
// schema/src/migrations.cpp and are never edited once released.
int schema_version();

struct OpenOptions {
  bool create = false;       // create the file if missing
  bool read_only = false;
  int busy_timeout_ms = 5000;
  std::string vfs{};         // SQLite VFS name; empty: the default (tests inject faults with their own)
  // Before migrating a database written by an older motcua, save a copy of
  // it next to it (PATH.schemaOLD-before-NEW.bak) and fsync it; the upgrade
  // does not start if the copy fails. docs/design/0098-upgrades.md.
  bool copy_before_upgrade = true;
};

// Opens (and migrates) the database at `path`: WAL, synchronous=FULL,
// foreign_keys=ON, busy timeout. A file it creates is 0600 (and so are the
// -wal and -shm SQLite adds); opened read-write, one readable by group or
// others is made owner-only. A database written by a newer motcua is
// refused with error code "schema_too_new" and left untouched. An older one
// is copied first (OpenOptions::copy_before_upgrade), then migrated.
Result<std::shared_ptr<SQLite::Database>> open_database(const std::string& path, const OpenOptions& opt);

// Version recorded in the database (PRAGMA user_version).
int database_version(SQLite::Database& db);

// Runs `fn` inside one IMMEDIATE transaction; commits if it returns ok,
// rolls back on error or exception. An SQLite exception (in BEGIN, in `fn`
// or in COMMIT) comes back as its storage_error() (motcua/schema/storage.hpp);
// any other exception propagates after the rollback. Called inside a
// transaction already open on `db`, it runs `fn` in a savepoint instead (all
// or nothing within the outer transaction, which decides the commit).
Status in_transaction(SQLite::Database& db, const std::function<Status()>& fn);

}  // namespace motcua::schema
