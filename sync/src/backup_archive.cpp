// The backup archive (docs/backup-format.md): a POSIX pax tar written and
// read with libarchive, manifest.json first, every file hashed on the way in
// and checked on the way out. The steps that use it are in backup.cpp.
#include "backup_archive.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <SQLiteCpp/Statement.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <set>

#include "motcua/crypto.hpp"
#include "motcua/durable_file.hpp"
#include "motcua/keyfile.hpp"
#include "motcua/node/node.hpp"
#include "motcua/schema/database.hpp"
#include "motcua/schema/storage.hpp"
#include "motcua/sync/version.hpp"
#include "sync_util.hpp"

namespace motcua::node {
SubjectProjector default_projector();  // projection.cpp
}

namespace motcua::sync::backup::detail {

namespace fs = std::filesystem;

Error io_error(const std::string& path, const std::string& what, int err) {
  return make_error("io_error", what + " " + path + ": " + std::strerror(err), "file");
}

namespace {

constexpr size_t kChunk = 64 * 1024;
constexpr int64_t kMaxManifestBytes = 64LL << 20;

Error invalid(const std::string& file, const std::string& reason) {
  return make_error("backup_invalid", file + ": " + reason, "file");
}

// Reads a file on disk in chunks, hashing them, and hands each to `each`
// (which may stop the read with an error); stops early, without error, once
// `limit` bytes were read. Size and hash of what was read.
Result<FileEntry> read_hashed(const std::string& disk_path, const std::string& archive_path,
                              const std::function<Status(const uint8_t*, size_t)>& each = {},
                              int64_t limit = std::numeric_limits<int64_t>::max()) {
  int fd = ::open(disk_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error(disk_path, "cannot open", errno);
  Blake2bStream h;
  std::vector<uint8_t> buf(kChunk);
  int64_t size = 0;
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return io_error(disk_path, "cannot read", err);
    }
    if (n == 0 || size + n > limit) break;
    h.update(buf.data(), static_cast<size_t>(n));
    size += n;
    if (each) {
      Status s = each(buf.data(), static_cast<size_t>(n));
      if (!s.ok()) {
        ::close(fd);
        return s.error();
      }
    }
  }
  ::close(fd);
  return FileEntry{archive_path, size, to_hex(h.final())};
}

// ---- writing ----------------------------------------------------------------

class ArchiveWriter {
 public:
  ArchiveWriter(int fd, std::string path) : a_(archive_write_new()), path_(std::move(path)) {
    if (archive_write_set_format_pax_restricted(a_) != ARCHIVE_OK || archive_write_open_fd(a_, fd) != ARCHIVE_OK)
      err_ = failed("cannot start the archive");
  }
  ~ArchiveWriter() {
    if (a_) archive_write_free(a_);
  }
  ArchiveWriter(const ArchiveWriter&) = delete;
  ArchiveWriter& operator=(const ArchiveWriter&) = delete;

  Status header(const std::string& name, int64_t size, int64_t mtime_s) {
    if (err_) return *err_;
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_size(e, size);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0600);
    archive_entry_set_mtime(e, mtime_s, 0);
    int rc = archive_write_header(a_, e);
    archive_entry_free(e);
    if (rc != ARCHIVE_OK) return failed("cannot write the header of " + name + " into");
    return ok_status();
  }
  Status data(const void* p, size_t n) {
    if (err_) return *err_;
    const char* c = static_cast<const char*>(p);
    while (n > 0) {
      la_ssize_t w = archive_write_data(a_, c, n);
      if (w <= 0) return failed("cannot write");
      c += w;
      n -= static_cast<size_t>(w);
    }
    return ok_status();
  }
  // Streams a file from disk, hashing it again: it must be what the manifest says.
  Status file(const std::string& disk_path, const FileEntry& fe, int64_t mtime_s) {
    Status s = header(fe.path, fe.size, mtime_s);
    if (!s.ok()) return s;
    auto read = read_hashed(disk_path, fe.path, [this](const uint8_t* p, size_t n) { return data(p, n); }, fe.size);
    if (!read.ok()) return read.error();
    if (read->size != fe.size || read->hash != fe.hash)
      return make_error("io_error", disk_path + " changed while it was being backed up; nothing was written", "file");
    return ok_status();
  }
  Status close() {
    if (err_) return *err_;
    if (archive_write_close(a_) != ARCHIVE_OK) return failed("cannot finish");
    return ok_status();
  }

 private:
  Error failed(const std::string& what) {
    const char* m = archive_error_string(a_);
    err_ = make_error("io_error", what + " " + path_ + ": " + (m ? m : "archive error"), "file");
    return *err_;
  }
  archive* a_;
  std::string path_;
  std::optional<Error> err_;
};

}  // namespace

// Size and BLAKE2b-256 of a file on disk.
Result<FileEntry> hash_file(const std::string& disk_path, const std::string& archive_path) {
  return read_hashed(disk_path, archive_path);
}

bool valid_blob_id(const std::string& id) {
  if (id.size() != 64) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string blob_archive_path(const std::string& id) { return "blobs/" + id.substr(0, 2) + "/" + id.substr(2); }

// The blob id of an archive path blobs/xx/rest, or empty.
std::string blob_id_of(const std::string& path) {
  if (path.size() != 6 + 2 + 1 + 62 || path.compare(0, 6, "blobs/") != 0 || path[8] != '/') return {};
  std::string id = path.substr(6, 2) + path.substr(9);
  return valid_blob_id(id) ? id : std::string();
}

std::string meta_of(SQLite::Database& db, const std::string& key) {
  SQLite::Statement q(db, "SELECT value FROM node_meta WHERE key = ?");
  q.bind(1, key);
  return q.executeStep() ? q.getColumn(0).getString() : std::string();
}

Summary summary_from(const Json& m) {
  Summary s;
  const Json node = m.value("node", Json::object());
  s.node_name = node.value("name", std::string());
  s.role = node.value("role", std::string());
  s.public_key = node.value("public_key", std::string());
  s.created_at = m.value("created_at", std::string());
  s.schema_version = m.value("schema_version", 0);
  const Json counts = m.value("counts", Json::object());
  s.dossiers = counts.value("dossiers", int64_t{0});
  s.entries = counts.value("entries", int64_t{0});
  s.attachments = counts.value("attachments", int64_t{0});
  return s;
}

Status write_archive(int fd, const std::string& path, const std::string& manifest_text, int64_t mtime_s,
                     const std::vector<std::pair<std::string, FileEntry>>& files) {
  ArchiveWriter w(fd, path);
  Status s = w.header(kManifestPath, static_cast<int64_t>(manifest_text.size()), mtime_s);
  if (s.ok()) s = w.data(manifest_text.data(), manifest_text.size());
  for (const auto& [disk, fe] : files)
    if (s.ok()) s = w.file(disk, fe, mtime_s);
  if (s.ok()) s = w.close();
  return s;
}

namespace {

// ---- reading and checking ------------------------------------------------------

class ArchiveReader {
 public:
  explicit ArchiveReader(int fd) : a_(archive_read_new()) {
    archive_read_support_format_tar(a_);
    opened_ = archive_read_open_fd(a_, fd, kChunk) == ARCHIVE_OK;
  }
  ~ArchiveReader() { archive_read_free(a_); }
  ArchiveReader(const ArchiveReader&) = delete;
  ArchiveReader& operator=(const ArchiveReader&) = delete;
  archive* get() { return a_; }
  bool opened() const { return opened_; }
  std::string error() {
    const char* m = archive_error_string(a_);
    return m ? m : "unreadable";
  }

 private:
  archive* a_;
  bool opened_ = false;
};

}  // namespace

Result<Checked> check_archive(const std::string& file, const std::string& into, bool all,
                              const node::SubjectProjector& projector) try {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return make_error("not_found", "no backup archive at " + file, "file");
    return io_error(file, "cannot open", errno);
  }
  struct FdGuard {
    int fd;
    ~FdGuard() { ::close(fd); }
  } fd_guard{fd};
  struct stat st {};
  ::fstat(fd, &st);
  if (!S_ISREG(st.st_mode)) return invalid(file, "not a regular file");
  ArchiveReader r(fd);
  if (!r.opened()) return invalid(file, "not a motcua backup archive (" + r.error() + ")");
  archive_entry* e = nullptr;
  int rc = archive_read_next_header(r.get(), &e);
  if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
    return invalid(file, rc == ARCHIVE_EOF ? "not a motcua backup archive (empty)"
                                           : "not a motcua backup archive (" + r.error() + ")");
  if (std::string(archive_entry_pathname(e) ? archive_entry_pathname(e) : "") != kManifestPath)
    return invalid(file, std::string("not a motcua backup archive (its first file is not ") + kManifestPath + ")");
  if (!archive_entry_size_is_set(e) || archive_entry_size(e) > kMaxManifestBytes)
    return invalid(file, std::string(kManifestPath) + ": missing size or too large");
  std::string mtext(static_cast<size_t>(archive_entry_size(e)), '\0');
  {
    size_t got = 0;
    while (got < mtext.size()) {
      la_ssize_t n = archive_read_data(r.get(), mtext.data() + got, mtext.size() - got);
      if (n <= 0) return invalid(file, std::string(kManifestPath) + ": truncated (" + r.error() + ")");
      got += static_cast<size_t>(n);
    }
  }
  Json m = Json::parse(mtext, nullptr, false);
  if (!m.is_object() || m.value("format", std::string()) != kFormat)
    return invalid(file, std::string(kManifestPath) + ": not a motcua backup manifest");
  if (!m.contains("format_version") || !m["format_version"].is_number_integer())
    return invalid(file, std::string(kManifestPath) + ": format_version missing");
  if (m["format_version"].get<int>() > kFormatVersion)
    return invalid(file, "archive format " + std::to_string(m["format_version"].get<int>()) +
                             " was written by a newer motcua (this one reads format " + std::to_string(kFormatVersion) +
                             ")");
  if (!m.contains("files") || !m["files"].is_array() || !m.contains("node") || !m["node"].is_object())
    return invalid(file, std::string(kManifestPath) + ": files or node missing");
  std::map<std::string, FileEntry> listed;
  for (const auto& f : m["files"]) {
    if (!f.is_object() || !f.contains("path") || !f["path"].is_string() || !f.contains("size") ||
        !f["size"].is_number_integer() || !f.contains("blake2b_256") || !f["blake2b_256"].is_string())
      return invalid(file, std::string(kManifestPath) + ": each file needs path, size and blake2b_256");
    FileEntry fe{f["path"].get<std::string>(), f["size"].get<int64_t>(), f["blake2b_256"].get<std::string>()};
    const std::string bid = blob_id_of(fe.path);
    if (fe.path != "motcua.db" && fe.path != "node.key" && bid.empty())
      return invalid(file, std::string(kManifestPath) + ": unexpected path '" + fe.path + "'");
    if (!bid.empty() && bid != fe.hash)
      return invalid(file, std::string(kManifestPath) + ": " + fe.path + " is not named by its hash");
    if (fe.size < 0 || !listed.emplace(fe.path, fe).second)
      return invalid(file, std::string(kManifestPath) + ": bad or repeated entry '" + fe.path + "'");
  }
  for (const char* need : {"motcua.db", "node.key"})
    if (!listed.count(need)) return invalid(file, std::string(kManifestPath) + ": does not list " + need);

  std::set<std::string> seen;
  std::vector<uint8_t> buf(kChunk);
  for (;;) {
    rc = archive_read_next_header(r.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) return invalid(file, "damaged or truncated archive (" + r.error() + ")");
    const std::string path = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
    auto it = listed.find(path);
    if (it == listed.end()) return invalid(file, "'" + path + "' is in the archive but not in the manifest");
    if (archive_entry_filetype(e) != AE_IFREG) return invalid(file, path + ": not a regular file");
    if (!seen.insert(path).second) return invalid(file, path + ": appears twice");
    const FileEntry& fe = it->second;
    const bool keep = all || blob_id_of(path).empty();
    int out = -1;
    std::string out_path;
    if (keep) {
      out_path = (fs::path(into) / path).string();
      std::error_code ec;
      fs::create_directories(fs::path(out_path).parent_path(), ec);
      if (ec) return io_error(fs::path(out_path).parent_path().string(), "cannot create", ec.value());
      out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (out < 0) return io_error(out_path, "cannot create", errno);
    }
    struct OutGuard {
      int fd;
      ~OutGuard() {
        if (fd >= 0) ::close(fd);
      }
    } out_guard{out};
    Blake2bStream h;
    int64_t size = 0;
    for (;;) {
      la_ssize_t n = archive_read_data(r.get(), buf.data(), buf.size());
      if (n < 0) return invalid(file, path + ": damaged or truncated (" + r.error() + ")");
      if (n == 0) break;
      h.update(buf.data(), static_cast<size_t>(n));
      size += n;
      if (size > fe.size) return invalid(file, path + ": larger than the manifest says");
      for (size_t off = 0; out >= 0 && off < static_cast<size_t>(n);) {
        ssize_t w = ::write(out, buf.data() + off, static_cast<size_t>(n) - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return io_error(out_path, "cannot write", errno);
        off += static_cast<size_t>(w);
      }
    }
    if (size != fe.size)
      return invalid(file, path + ": " + std::to_string(size) + " bytes, the manifest says " + std::to_string(fe.size));
    if (to_hex(h.final()) != fe.hash) return invalid(file, path + ": its BLAKE2b-256 hash differs from the manifest's");
    if (out >= 0 && ::fsync(out) != 0) return io_error(out_path, "cannot fsync", errno);
  }
  for (const auto& [path, fe] : listed)
    if (!seen.count(path)) return invalid(file, path + " is listed in the manifest but missing from the archive");

  // The database: read-only, integrity, the manifest's identity, the journal.
  const std::string db_file = (fs::path(into) / "motcua.db").string();
  const Json node = m["node"];
  {
    auto db = std::make_shared<SQLite::Database>(db_file, SQLite::OPEN_READONLY);
    std::string ic;
    try {
      ic = db->execAndGet("PRAGMA integrity_check").getString();
    } catch (const SQLite::Exception& ex) {
      return invalid(file, std::string("motcua.db: not a readable database (") + ex.what() + ")");
    }
    if (ic != "ok") return invalid(file, "motcua.db: integrity_check failed: " + ic);
    const int version = schema::database_version(*db);
    if (version > schema::schema_version())
      return invalid(file, "motcua.db: database schema " + std::to_string(version) +
                               " was written by a newer motcua (this one knows schema " +
                               std::to_string(schema::schema_version()) + ")");
    if (version != m.value("schema_version", -1))
      return invalid(file, "motcua.db: schema " + std::to_string(version) + ", the manifest says " +
                               std::to_string(m.value("schema_version", -1)));
    const std::string pk_hex = meta_of(*db, "public_key");
    if (pk_hex != node.value("public_key", std::string()) || meta_of(*db, "name") != node.value("name", std::string()) ||
        meta_of(*db, "role") != node.value("role", std::string()))
      return invalid(file, "motcua.db: its node (name, role, public key) differs from the manifest's");
    // node.key: the same public key (a sealed key is checked by its public part).
    auto key_text = read_small_file((fs::path(into) / "node.key").string());
    if (!key_text.ok()) return key_text.error();
    Json key = Json::parse(key_text.value(), nullptr, false);
    if (!key.is_object() || key.value("public_key", std::string()) != pk_hex)
      return invalid(file, "node.key: not the key of this database (public keys differ)");
    if (key.value("protection", std::string()) == "none") {
      auto kp = load_key_file((fs::path(into) / "node.key").string(), std::nullopt);
      if (!kp.ok()) return invalid(file, "node.key: " + kp.error().message);
    }
    // Every attachment the database references is in the archive.
    SQLite::Statement q(*db, "SELECT id, size FROM blobs");
    int64_t blobs = 0;
    while (q.executeStep()) {
      const std::string id = q.getColumn(0).getString();
      auto it = listed.find(valid_blob_id(id) ? blob_archive_path(id) : id);
      if (it == listed.end()) return invalid(file, "attachment " + id + " is referenced by motcua.db but not in the archive");
      if (it->second.size != q.getColumn(1).getInt64())
        return invalid(file, "attachment " + id + ": its size differs from the database's");
      ++blobs;
    }
    PublicKey pk{};
    if (!from_hex(pk_hex, pk)) return invalid(file, "motcua.db: node_meta public_key is not a key");
    KeyPair public_only{};
    public_only.pk = pk;
    ManualClock clock(0);
    node::Journal j(db, public_only, clock, projector ? projector : node::default_projector());
    auto rep = j.verify(5);
    if (!rep.ok()) {
      const auto& p = rep.problems.front();
      std::string where = p.author_hex.empty() ? "subject " + p.subject
                                               : "node " + p.author_hex.substr(0, 16) + " seq " + std::to_string(p.seq);
      return invalid(file, "motcua.db: the journal does not verify: " + where + ": " + p.what);
    }
    (void)blobs;
  }
  Checked c;
  c.summary = summary_from(m);
  c.summary.file = file;
  c.summary.bytes = static_cast<int64_t>(st.st_size);
  c.manifest = std::move(m);
  return c;
} catch (const SQLite::Exception& ex) {
  return invalid(file, std::string("motcua.db: ") + ex.what());
} catch (const node::JournalDamaged& ex) {
  return invalid(file, std::string("motcua.db: the journal is damaged: ") + ex.what());
} catch (const Json::exception& ex) {
  return invalid(file, std::string(kManifestPath) + ": a field has the wrong type (" + ex.what() + ")");
} catch (const fs::filesystem_error& ex) {
  return io_error(ex.path1().string(), ex.what(), ex.code().value());
}

// A fresh directory "<base>-XXXXXX".
Result<std::string> make_temp_dir(const std::string& base) {
  std::string tmpl = base + "-XXXXXX";
  if (!::mkdtemp(tmpl.data())) return io_error(base + "-XXXXXX", "cannot create", errno);
  return tmpl;
}

}  // namespace motcua::sync::backup::detail
