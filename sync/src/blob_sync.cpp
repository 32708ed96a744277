// The shared parts of attachments over sync: references, confirmed ids and
// partial files (docs/sync-protocol.md 12.1, 12.6).
#include "blob_sync.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>

#include "motcua/node/node.hpp"
#include "motcua/schema/database.hpp"
#include "motcua/schema/storage.hpp"
#include "sync_util.hpp"

namespace motcua::sync::blobs {

namespace fs = std::filesystem;

namespace {

// A full or read-only disk becomes storage_full / storage_unwritable.
Error io_error(const std::string& what) {
  Error e = schema::storage_error_errno(errno, "cannot store the attachment: " + what);
  if (e.code == "io_error") e.message = "không ghi được tệp đính kèm / " + e.message;
  return e;
}

void collect(const Json& v, std::set<std::string>& out) {
  if (!v.is_array()) return;
  for (const auto& x : v)
    if (x.is_string() && valid_id(x.get_ref<const std::string&>())) out.insert(x.get<std::string>());
}

}  // namespace

bool local_disk_error(const Error& e) {
  return e.code == "io_error" || schema::is_storage_fault(e) || e.code == schema::kStorageBusy;
}

bool valid_id(std::string_view id) {
  if (id.size() != 64) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::unique_ptr<node::BlobStore> store_of(node::Node& n) {
  return std::make_unique<node::BlobStore>(n.data_dir(), n.db(), n.config().get_int("max_blob_bytes"),
                                           &n.journal().mutex());
}

Status catch_up_refs(node::Node& n) try {
  std::lock_guard<std::recursive_mutex> g(n.journal().mutex());
  auto& db = *n.db();
  int64_t indexed = util::state_get_int(n, "blob_refs_pos");
  int64_t top = db.execAndGet("SELECT ifnull(max(pos), 0) FROM journal").getInt64();
  if (top <= indexed) return ok_status();
  // Without a disk sync, as the scope index (hub_scope.cpp): rebuilt from
  // its stored position when a power cut loses it.
  Status s = ok_status();
  util::without_sync(db, [&] { s = schema::in_transaction(db, [&]() -> Status {
    // Only entries whose bytes mention the key are parsed.
    // Quarantined entries are left out; a released one counts at its
    // visible_pos (docs/sync-protocol.md, "Quarantine").
    SQLite::Statement q(db,
                        "SELECT subject, canonical FROM journal WHERE pos > :from AND pos <= :to "
                        "AND instr(canonical, CAST('\"attachments\":' AS BLOB)) > 0 AND NOT EXISTS (SELECT 1 FROM "
                        "quarantine q WHERE q.id = journal.id) UNION ALL SELECT j.subject, j.canonical FROM quarantine q "
                        "JOIN journal j ON j.id = q.id WHERE q.state = 'released' AND q.visible_pos > :from AND "
                        "q.visible_pos <= :to AND instr(j.canonical, CAST('\"attachments\":' AS BLOB)) > 0");
    q.bind(":from", static_cast<int64_t>(indexed));
    q.bind(":to", static_cast<int64_t>(top));
    SQLite::Statement ins(db, "INSERT OR IGNORE INTO blob_refs (blob, subject) VALUES (?, ?)");
    while (q.executeStep()) {
      std::string subject = q.getColumn(0).getString();
      const SQLite::Column c = q.getColumn(1);
      Json e = Json::parse(std::string_view(static_cast<const char*>(c.getBlob()), static_cast<size_t>(c.getBytes())),
                           nullptr, false);
      if (!e.is_object() || !e.contains("body") || !e["body"].is_object()) continue;
      const Json& body = e["body"];
      std::set<std::string> ids;
      if (body.contains("attachments")) collect(body["attachments"], ids);
      if (body.contains("changes") && body["changes"].is_object() && body["changes"].contains("attachments"))
        collect(body["changes"]["attachments"], ids);
      for (const auto& id : ids) {
        ins.reset();
        ins.bind(1, id);
        ins.bind(2, subject);
        ins.exec();
      }
    }
    util::state_set(n, "blob_refs_pos", std::to_string(top));
    return ok_status();
  }); });
  if (!s.ok()) return make_error(s.error().code, "attachment index: " + s.error().message);
  return ok_status();
} catch (const SQLite::Exception& e) {
  return schema::storage_error(e);
}

Candidates candidates(node::Node& n, node::BlobStore& store) {
  std::vector<std::string> ids;
  {
    std::lock_guard<std::recursive_mutex> g(n.journal().mutex());
    SQLite::Statement q(*n.db(),
                        "SELECT DISTINCT r.blob FROM blob_refs r WHERE NOT EXISTS "
                        "(SELECT 1 FROM blob_confirmed c WHERE c.blob = r.blob) ORDER BY r.blob");
    while (q.executeStep()) ids.push_back(q.getColumn(0).getString());
  }
  Candidates c;
  for (auto& id : ids) (store.path(id) ? c.held : c.lacking).push_back(std::move(id));
  return c;
}

void confirm(node::Node& n, const std::string& id, int64_t now_ms) {
  std::lock_guard<std::recursive_mutex> g(n.journal().mutex());
  SQLite::Statement q(*n.db(), "INSERT OR IGNORE INTO blob_confirmed (blob, at_ms) VALUES (?, ?)");
  q.bind(1, id);
  q.bind(2, static_cast<int64_t>(now_ms));
  q.exec();
}

int64_t waiting(node::Node& n) {
  std::lock_guard<std::recursive_mutex> g(n.journal().mutex());
  // A total kept by triggers on blob_refs and blob_confirmed (migration 18):
  // the status and every /metrics scrape do not walk every reference.
  SQLite::Statement q(*n.db(), "SELECT value FROM sync_counters WHERE name = 'total' AND label = 'blobs_waiting'");
  return q.executeStep() ? q.getColumn(0).getInt64() : 0;
}

Partials::Partials(const std::string& data_dir) : dir_((fs::path(data_dir) / "blobs" / "partial").string()) {}

std::string Partials::path(const std::string& id) const { return (fs::path(dir_) / id).string(); }

int64_t Partials::held(const std::string& id) const {
  if (!valid_id(id)) return 0;
  struct stat st;
  if (::stat(path(id).c_str(), &st) != 0) return 0;
  return static_cast<int64_t>(st.st_size);
}

Status Partials::append(const std::string& id, int64_t offset, std::string_view data) {
  if (!valid_id(id)) return make_error("malformed_message", "not an attachment id", "id");
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return schema::storage_error_errno(ec.value(), "cannot create " + dir_);
  int fd = ::open(path(id).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("open");
  struct stat st;
  if (::fstat(fd, &st) != 0 || st.st_size != offset) {
    ::close(fd);
    return make_error("io_error", "the partial attachment file changed under the transfer");
  }
  size_t off = 0;
  while (off < data.size()) {
    ssize_t w = ::write(fd, data.data() + off, data.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      Error e = io_error("write");
      ::close(fd);
      return e;
    }
    off += static_cast<size_t>(w);
  }
  if (::fdatasync(fd) != 0) {
    Error e = io_error("fsync");
    ::close(fd);
    return e;
  }
  ::close(fd);
  return ok_status();
}

void Partials::discard(const std::string& id) {
  if (valid_id(id)) ::unlink(path(id).c_str());
}

Result<node::BlobInfo> Partials::complete(const std::string& id, node::BlobStore& store) {
  int fd = ::open(path(id).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("open");
  auto writer = store.begin();
  Blake2bStream hash;
  std::string buf(256 * 1024, '\0');
  std::optional<Error> failed;
  for (;;) {
    ssize_t r = ::read(fd, buf.data(), buf.size());
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      failed = io_error("read");
      break;
    }
    if (r == 0) break;
    const auto* p = reinterpret_cast<const uint8_t*>(buf.data());
    hash.update(p, static_cast<size_t>(r));
    Status s = writer->write(p, static_cast<size_t>(r));
    if (!s.ok()) {
      failed = s.error();
      break;
    }
  }
  ::close(fd);
  if (failed) {
    if (!local_disk_error(*failed)) discard(id);
    return *failed;  // the unfinished writer removes its temporary file
  }
  if (to_hex(hash.final()) != id) {
    discard(id);
    return make_error("blob_mismatch",
                      "nội dung tệp đính kèm không khớp mã của nó, không lưu gì / the attachment's bytes do not hash "
                      "to its id; nothing was stored",
                      "id");
  }
  auto info = writer->finish();
  if (!info.ok()) {
    if (!local_disk_error(info.error())) discard(id);
    return info.error();
  }
  discard(id);
  return info;
}

Result<std::string> read_range(const std::string& path, int64_t offset, size_t n) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error("io_error", "cannot read the attachment (" + std::string(std::strerror(errno)) + ")");
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::pread(fd, out.data() + got, n - got, static_cast<off_t>(offset + static_cast<int64_t>(got)));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      ::close(fd);
      return make_error("io_error", "cannot read the attachment (" + std::string(std::strerror(errno)) + ")");
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  ::close(fd);
  out.resize(got);
  return out;
}

void Stats::note(const std::string& id, const Error& e) {
  if (errors.size() < 10) errors.push_back(Json{{"id", id}, {"code", e.code}, {"message", e.message}});
}

}  // namespace motcua::sync::blobs
