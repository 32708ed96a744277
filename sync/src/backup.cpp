// motcua backup / backup --verify / restore (docs/backup-format.md,
// docs/design/0092-0094): the snapshot, the manifest and the steps around
// the archive. The archive itself (a POSIX pax tar: manifest.json first, then
// motcua.db, node.key and the attachment files blobs/xx/rest) is written and
// read in backup_archive.cpp.
#include "motcua/sync/backup.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <vector>

#include "motcua/crypto.hpp"
#include "motcua/durable_file.hpp"
#include "motcua/keyfile.hpp"
#include "motcua/node/node.hpp"
#include "motcua/schema/database.hpp"
#include "motcua/schema/storage.hpp"
#include "motcua/sync/version.hpp"
#include "backup_archive.hpp"
#include "sync_util.hpp"

namespace motcua::node {
SubjectProjector default_projector();  // projection.cpp
}

namespace motcua::sync::backup {

namespace fs = std::filesystem;

namespace {

using detail::blob_archive_path;
using detail::check_archive;
using detail::FileEntry;
using detail::hash_file;
using detail::io_error;
using detail::make_temp_dir;
using detail::meta_of;
using detail::summary_from;
using detail::valid_blob_id;

// A file or directory removed when the guard dies, unless released.
struct Cleanup {
  std::vector<std::string> files;
  std::vector<std::string> dirs;
  ~Cleanup() {
    std::error_code ec;
    for (const auto& f : files) ::unlink(f.c_str());
    for (const auto& d : dirs) fs::remove_all(d, ec);
  }
};

int64_t count_of(SQLite::Database& db, const std::string& table) {
  SQLite::Statement t(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  t.bind(1, table);
  if (!t.executeStep()) return 0;
  return db.execAndGet("SELECT count(*) FROM \"" + table + "\"").getInt64();
}

Status fsync_path(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error(path, "cannot open", errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return io_error(path, "cannot fsync", err);
  return ok_status();
}

// rename(2) that never replaces an existing target (RENAME_NOREPLACE, or a
// hard link where the file system lacks it).
int rename_noreplace(const std::string& from, const std::string& to) {
#ifdef RENAME_NOREPLACE
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
#endif
  if (::link(from.c_str(), to.c_str()) != 0) return -1;
  ::unlink(from.c_str());
  return 0;
}

std::string parent_of(const std::string& path) {
  fs::path p = fs::absolute(fs::path(path)).parent_path();
  return p.empty() ? std::string(".") : p.string();
}

}  // namespace

// ---- create -------------------------------------------------------------------

Result<Summary> create(const CreateOptions& opt) try {
  crypto_init();
  Clock& clock = opt.clock ? *opt.clock : system_clock();
  const std::string db_src = node::db_path(opt.data_dir), key_src = node::key_path(opt.data_dir);
  std::error_code ec;
  if (!fs::exists(db_src, ec))
    return make_error("not_initialised", "no node in " + opt.data_dir + " (no motcua.db there); nothing was written",
                      "data_dir");
  if (fs::symlink_status(opt.file, ec).type() != fs::file_type::not_found)
    return make_error("backup_target_exists", opt.file + " already exists; it is never overwritten (choose another name)",
                      "file");
  Cleanup cleanup;
  // The archive under a temporary name next to FILE, then renamed.
  std::string tmp = opt.file + ".tmp-XXXXXX";
  int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) return io_error(opt.file + ".tmp-XXXXXX", "cannot create", errno);
  cleanup.files.push_back(tmp);
  struct FdGuard {
    int fd;
    ~FdGuard() {
      if (fd >= 0) ::close(fd);
    }
  } fd_guard{fd};
  ::fchmod(fd, 0600);
  // Created empty and owner-only first: VACUUM INTO fills an empty file but
  // would give a new one the umask's mode.
  const std::string db_copy = tmp + ".db";
  {
    int cfd = ::open(db_copy.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (cfd < 0) return io_error(db_copy, "cannot create", errno);
    ::close(cfd);
  }
  cleanup.files.push_back(db_copy);

  // 1. The database: one read snapshot, copied by VACUUM INTO through a
  // read-only connection of our own (the daemon keeps writing meanwhile).
  {
    SQLite::Database src(db_src, SQLite::OPEN_READONLY);
    src.exec("PRAGMA busy_timeout = 10000");
    SQLite::Statement v(src, "VACUUM INTO ?");
    v.bind(1, db_copy);
    v.exec();
  }
  // 2. What the snapshot holds: node, counts, the attachments it references.
  Json node_json;
  int schema_version = 0;
  int64_t entries = 0, dossiers = 0;
  std::vector<std::string> blob_ids;
  {
    SQLite::Database copy(db_copy, SQLite::OPEN_READWRITE);
    // One self-contained file (no -wal beside it inside the archive).
    copy.exec("PRAGMA journal_mode = DELETE");
    schema_version = schema::database_version(copy);
    node_json = Json{{"name", meta_of(copy, "name")},
                     {"role", meta_of(copy, "role")},
                     {"public_key", meta_of(copy, "public_key")},
                     {"epoch", meta_of(copy, "epoch")}};
    entries = count_of(copy, "journal");
    dossiers = count_of(copy, "dossier_index");
    SQLite::Statement q(copy, "SELECT id FROM blobs ORDER BY id");
    while (q.executeStep()) {
      std::string id = q.getColumn(0).getString();
      if (!valid_blob_id(id)) return make_error("io_error", "motcua.db lists a malformed attachment id '" + id + "'");
      blob_ids.push_back(std::move(id));
    }
  }
  Status s = fsync_path(db_copy);
  if (!s.ok()) return s.error();
  // 3. Hashes of every file, for the manifest that comes first.
  std::vector<std::pair<std::string, FileEntry>> files;  // disk path, entry
  auto add = [&](const std::string& disk, const std::string& path) -> Status {
    auto fe = hash_file(disk, path);
    if (!fe.ok()) return fe.error();
    files.emplace_back(disk, fe.value());
    return ok_status();
  };
  if (s = add(db_copy, "motcua.db"); !s.ok()) return s.error();
  if (s = add(key_src, "node.key"); !s.ok()) return s.error();
  for (const auto& id : blob_ids) {
    const std::string disk = (fs::path(opt.data_dir) / "blobs" / id.substr(0, 2) / id.substr(2)).string();
    if (s = add(disk, blob_archive_path(id)); !s.ok()) return s.error();
    if (files.back().second.hash != id)
      return make_error("io_error", disk + " does not hold the bytes of its name (damaged attachment); nothing was written",
                        "file");
  }
  const int64_t now_ms = clock.now_ms();
  Json flist = Json::array();
  for (const auto& [disk, fe] : files) flist.push_back(Json{{"path", fe.path}, {"size", fe.size}, {"blake2b_256", fe.hash}});
  Json manifest{{"format", kFormat},
                {"format_version", kFormatVersion},
                {"motcua", version_line()},
                {"release", release_version()},
                {"protocol_version", protocol_version()},
                {"schema_version", schema_version},
                {"node", node_json},
                {"created_at", util::iso_utc(now_ms)},
                {"created_ms", now_ms},
                {"counts", {{"entries", entries}, {"dossiers", dossiers}, {"attachments", static_cast<int64_t>(blob_ids.size())}}},
                {"files", flist}};
  const std::string mtext = manifest.dump(2) + "\n";
  // 4. The archive: manifest first, then the files in manifest order.
  if (s = detail::write_archive(fd, tmp, mtext, now_ms / 1000, files); !s.ok()) return s.error();
  if (::fsync(fd) != 0) return io_error(tmp, "cannot fsync", errno);
  struct stat st {};
  ::fstat(fd, &st);
  ::close(fd);
  fd_guard.fd = -1;
  if (rename_noreplace(tmp, opt.file) != 0) {
    if (errno == EEXIST)
      return make_error("backup_target_exists", opt.file + " appeared while the backup ran; it was not overwritten", "file");
    return io_error(opt.file, "cannot rename the archive to", errno);
  }
  cleanup.files = {db_copy};
  if (s = fsync_directory(parent_of(opt.file)); !s.ok()) return s.error();
  Summary out = summary_from(manifest);
  out.file = opt.file;
  out.bytes = static_cast<int64_t>(st.st_size);
  return out;
} catch (const SQLite::Exception& e) {
  return schema::storage_error(e);
} catch (const fs::filesystem_error& e) {
  return io_error(e.path1().string(), e.what(), e.code().value());
}

// ---- verify -------------------------------------------------------------------

Result<Summary> verify(const std::string& file, const VerifyOptions& opt) {
  crypto_init();
  // The database copy goes next to FILE; where that is not writable (a
  // read-only medium), under $TMPDIR.
  auto dir = make_temp_dir(file + ".verify");
  std::error_code ec;
  if (!dir.ok()) dir = make_temp_dir((fs::temp_directory_path(ec) / "motcua-verify").string());
  if (!dir.ok()) return dir.error();
  Cleanup cleanup;
  cleanup.dirs.push_back(dir.value());
  auto c = check_archive(file, dir.value(), false, opt.projector);
  if (!c.ok()) return c.error();
  return c->summary;
}

// ---- restore ------------------------------------------------------------------

namespace {

Status fsync_tree(const std::string& root) {
  std::error_code ec;
  std::vector<std::string> dirs{root};
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory(ec)) {
      dirs.push_back(it->path().string());
    } else if (Status s = fsync_path(it->path().string()); !s.ok()) {
      return s;
    }
  }
  if (ec) return io_error(root, "cannot list", ec.value());
  for (auto d = dirs.rbegin(); d != dirs.rend(); ++d)
    if (Status s = fsync_directory(*d); !s.ok()) return s;
  return ok_status();
}

}  // namespace

Result<RestoreResult> restore(const RestoreOptions& opt) try {
  crypto_init();
  Random& rng = opt.random ? *opt.random : system_random();
  if (opt.data_dir.empty()) return make_error("invalid_value", "a data directory is required", "data_dir");
  std::string dir = fs::path(opt.data_dir).lexically_normal().string();
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  std::error_code ec;
  const auto st = fs::symlink_status(dir, ec).type();
  bool existed = false;
  if (st != fs::file_type::not_found) {
    if (st != fs::file_type::directory)
      return make_error("data_dir_not_empty", dir + " exists and is not a directory; nothing was changed", "data_dir");
    if (!fs::is_empty(dir, ec) || ec)
      return make_error("data_dir_not_empty",
                        dir + " is not empty; restore only into a new or empty directory (nothing was changed)",
                        "data_dir");
    existed = true;
  }
  // A new DIR: everything is extracted into a sibling ".DIR.restore-XXXXXX"
  // and renamed into place at once. An existing empty DIR (e.g. made by root
  // for the user motcua, who may not write its parent): into
  // DIR/.restore-XXXXXX, then moved up with motcua.db last (a folder without
  // motcua.db is no node).
  const std::string parent = parent_of(dir);
  fs::create_directories(parent, ec);
  if (ec) return io_error(parent, "cannot create", ec.value());
  auto tmp = existed ? make_temp_dir((fs::path(dir) / ".restore").string())
                     : make_temp_dir((fs::path(parent) / ("." + fs::path(dir).filename().string() + ".restore")).string());
  if (!tmp.ok()) return tmp.error();
  Cleanup cleanup;
  cleanup.dirs.push_back(tmp.value());
  ::chmod(tmp->c_str(), 0700);
  auto c = check_archive(opt.file, tmp.value(), true, opt.projector);
  if (!c.ok()) return c.error();
  RestoreResult out;
  out.summary = c->summary;
  out.data_dir = dir;
  {
    SQLite::Database db(node::db_path(tmp.value()), SQLite::OPEN_READWRITE);
    bool enrolled = false;
    {
      SQLite::Statement t(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sync_state'");
      if (t.executeStep()) {
        SQLite::Statement q(db, "SELECT value FROM sync_state WHERE key = 'hub_key'");
        enrolled = q.executeStep() && !q.getColumn(0).getString().empty();
      }
    }
    const bool point = meta_of(db, "role") != "hub";
    SQLite::Statement put(db, "INSERT OR REPLACE INTO node_meta (key, value) VALUES (?, ?)");
    if (point && enrolled) {
      // Until its next sync has fetched its own chain from the hub (the
      // numbers it printed after this backup), the point takes nothing in.
      put.bind(1, "restoring");
      put.bind(2, "1");
      out.restoring = true;
    } else {
      uint8_t b[16];
      rng.fill(b, sizeof b);
      out.epoch = to_hex(b, sizeof b);
      put.bind(1, "epoch");
      put.bind(2, out.epoch);
    }
    put.exec();
    out.enrolled = point && enrolled;
  }
  if (Status s = fsync_tree(tmp.value()); !s.ok()) return s.error();
  if (existed) {
    std::vector<std::string> moved;
    for (const char* name : {"blobs", "node.key", "motcua.db"}) {
      const std::string from = (fs::path(tmp.value()) / name).string(), to = (fs::path(dir) / name).string();
      if (!fs::exists(from, ec)) continue;
      if (::rename(from.c_str(), to.c_str()) != 0) {
        int err = errno;
        for (const auto& m : moved) fs::remove_all(m, ec);
        return io_error(to, "cannot move the restored data into", err);
      }
      moved.push_back(to);
    }
    ::chmod(dir.c_str(), 0700);  // owner-only, as motcua init makes it (where this user may)
    if (Status s = fsync_directory(dir); !s.ok()) return s.error();
  } else if (::rename(tmp->c_str(), dir.c_str()) != 0) {
    return io_error(dir, "cannot rename the restored data into", errno);
  } else {
    cleanup.dirs.clear();  // it is DIR now
  }
  if (Status s = fsync_directory(parent); !s.ok()) return s.error();
  return out;
} catch (const SQLite::Exception& e) {
  return schema::storage_error(e);
} catch (const fs::filesystem_error& e) {
  return io_error(e.path1().string(), e.what(), e.code().value());
}

}  // namespace motcua::sync::backup
