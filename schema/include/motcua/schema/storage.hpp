// Storage faults as Errors: a full disk, a read-only or unwritable data
// directory, a database another process keeps locked. The one place where
// SQLite's result codes and errno become the codes the API answers 503 with
// (docs/design/0030-storage-faults.md). Every function that returns a
// Result and runs SQL converts SQLite exceptions here, at its boundary, so
// that no exception crosses it.
#pragma once
#include <string>
#include <utility>

#include <SQLiteCpp/Exception.h>

#include "motcua/result.hpp"

namespace motcua::schema {

inline constexpr const char* kStorageFull = "storage_full";              // 503
inline constexpr const char* kStorageUnwritable = "storage_unwritable";  // 503
inline constexpr const char* kStorageBusy = "storage_busy";              // 503

// SQLITE_FULL -> storage_full; SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_PERM
// and SQLITE_IOERR (except out of memory) -> storage_unwritable;
// SQLITE_BUSY and SQLITE_LOCKED -> storage_busy; anything else
// "database_error" (a bug or a damaged file: 500). The message is Vietnamese
// then English, and ends with SQLite's own words for the log.
Error storage_error(const SQLite::Exception& e);

// The same for an errno of a file operation (attachments, the WAL flush):
// ENOSPC, EDQUOT, EFBIG -> storage_full; EROFS, EACCES, EPERM, EIO ->
// storage_unwritable; otherwise `fallback_code` with strerror. `what` names
// the operation ("write", "fsync ...").
Error storage_error_errno(int err, const std::string& what, const std::string& fallback_code = "io_error");

// True for storage_full and storage_unwritable: the faults that last until an
// administrator acts and that /healthz reports (storage_busy passes by itself).
bool is_storage_fault(const Error& e);

// Runs `fn` (returning a Result or a Status); an SQLite exception thrown
// inside becomes its storage_error(). Other exceptions pass.
template <class F>
auto guard_storage(F&& fn) -> decltype(fn()) {
  try {
    return std::forward<F>(fn)();
  } catch (const SQLite::Exception& e) {
    return storage_error(e);
  }
}

}  // namespace motcua::schema
