#include "motcua/schema/storage.hpp"

#include <sqlite3.h>

#include <cerrno>
#include <cstring>

namespace motcua::schema {

namespace {

const char* kFullText =
    "Ổ đĩa đã đầy: không ghi được dữ liệu, chưa có gì được lưu. Hãy báo quản trị viên giải phóng dung lượng; "
    "dịch vụ tự hoạt động lại khi ổ đĩa có chỗ trống. / The disk is full: nothing was saved. Ask the "
    "administrator to free space; service resumes by itself once there is room.";
const char* kUnwritableText =
    "Không ghi được dữ liệu (ổ đĩa chỉ đọc, không có quyền ghi hoặc ổ đĩa bị lỗi), chưa có gì được lưu. Hãy báo "
    "quản trị viên. / The data cannot be written (read-only disk, no permission or a disk error): nothing was "
    "saved. Tell the administrator.";
const char* kBusyText =
    "Cơ sở dữ liệu đang bận (một tiến trình khác đang ghi); hãy thử lại sau ít giây. / The database is busy "
    "(another process holds its write lock); try again in a few seconds.";

}  // namespace

Error storage_error(const SQLite::Exception& e) {
  const int primary = e.getErrorCode() & 0xff;
  const int extended = e.getExtendedErrorCode();
  const std::string detail = std::string(" (SQLite: ") + e.what() + ")";
  switch (primary) {
    case SQLITE_FULL:
      return make_error(kStorageFull, kFullText + detail);
    case SQLITE_IOERR:
      if (extended == SQLITE_IOERR_NOMEM) break;
      [[fallthrough]];
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
      return make_error(kStorageUnwritable, kUnwritableText + detail);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return make_error(kStorageBusy, kBusyText + detail);
    default:
      break;
  }
  return make_error("database_error", std::string("database error: ") + e.what());
}

Error storage_error_errno(int err, const std::string& what, const std::string& fallback_code) {
  const std::string detail = " (" + what + ": " + std::strerror(err) + ")";
  switch (err) {
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
      return make_error(kStorageFull, kFullText + detail);
    case EROFS:
    case EACCES:
    case EPERM:
    case EIO:
      return make_error(kStorageUnwritable, kUnwritableText + detail);
    default:
      return make_error(fallback_code, what + ": " + std::strerror(err));
  }
}

bool is_storage_fault(const Error& e) { return e.code == kStorageFull || e.code == kStorageUnwritable; }

}  // namespace motcua::schema
