#include "motcua/node/blobs.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "motcua/durable_file.hpp"
#include "motcua/schema/storage.hpp"

namespace motcua::node {

namespace fs = std::filesystem;

namespace {

bool valid_id(const std::string& id) {
  if (id.size() != 64) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// ENOSPC and the like become storage_full / storage_unwritable (503).
Error io_error(const std::string& what) {
  return schema::storage_error_errno(errno, "cannot store the attachment: " + what);
}

}  // namespace

std::string sniff_media_type(const uint8_t* p, size_t n) {
  static const uint8_t kPng[] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (n >= 5 && std::memcmp(p, "%PDF-", 5) == 0) return "application/pdf";
  if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) return "image/jpeg";
  if (n >= sizeof kPng && std::memcmp(p, kPng, sizeof kPng) == 0) return "image/png";
  return "";
}

// One upload streamed into a temporary file next to the store, hashed as it
// arrives; finish() renames it to its content address.
class FileBlobWriter final : public BlobWriter {
 public:
  FileBlobWriter(BlobStore& store, std::string tmp_path, int fd)
      : store_(store), tmp_(std::move(tmp_path)), fd_(fd) {}
  ~FileBlobWriter() override {
    if (fd_ >= 0) ::close(fd_);
    if (!done_ && !tmp_.empty()) ::unlink(tmp_.c_str());
  }

  Status write(const uint8_t* p, size_t n) override {
    if (failed_) return *failed_;
    if (size_ + static_cast<int64_t>(n) > store_.max_bytes()) {
      return fail(make_error("too_large",
                             "the attachment is larger than the limit of " + std::to_string(store_.max_bytes()) +
                                 " bytes (max_blob_bytes)",
                             "content"));
    }
    if (head_len_ < sizeof head_) {
      size_t k = std::min(n, sizeof head_ - head_len_);
      std::memcpy(head_ + head_len_, p, k);
      head_len_ += k;
    }
    hash_.update(p, n);
    size_t off = 0;
    while (off < n) {
      ssize_t w = ::write(fd_, p + off, n - off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return fail(io_error("write"));
      off += static_cast<size_t>(w);
    }
    size_ += static_cast<int64_t>(n);
    return ok_status();
  }

  Result<BlobInfo> finish() override {
    if (failed_) return *failed_;
    std::string media = sniff_media_type(head_, head_len_);
    if (media.empty())
      return fail(make_error("validation_failed",
                             "tệp đính kèm phải là PDF, JPEG hoặc PNG / attachments must be PDF, JPEG or PNG "
                             "(judged by their first bytes)",
                             "content"));
    if (::fsync(fd_) != 0) return fail(io_error("fsync"));
    ::close(fd_);
    fd_ = -1;
    auto r = store_.commit(tmp_, hash_.final(), size_, media);
    if (!r.ok()) return fail(r.error());
    done_ = true;
    return r;
  }

 private:
  Error fail(Error e) {
    failed_ = e;
    return e;
  }

  BlobStore& store_;
  std::string tmp_;
  int fd_;
  Blake2bStream hash_;
  int64_t size_ = 0;
  uint8_t head_[8] = {};
  size_t head_len_ = 0;
  bool done_ = false;
  std::optional<Error> failed_;
};

namespace {
// A writer that could not even start (no temporary file).
class BrokenBlobWriter final : public BlobWriter {
 public:
  explicit BrokenBlobWriter(Error e) : e_(std::move(e)) {}
  Status write(const uint8_t*, size_t) override { return e_; }
  Result<BlobInfo> finish() override { return e_; }

 private:
  Error e_;
};
}  // namespace

BlobStore::BlobStore(std::string data_dir, std::shared_ptr<SQLite::Database> db, int64_t max_bytes,
                     std::recursive_mutex* db_mutex)
    : dir_((fs::path(data_dir) / "blobs").string()),
      db_(std::move(db)),
      max_bytes_(max_bytes),
      mu_(db_mutex ? db_mutex : &own_mu_) {}

std::unique_ptr<BlobWriter> BlobStore::begin() {
  std::error_code ec;
  fs::create_directories(fs::path(dir_) / "tmp", ec);
  if (ec) return std::make_unique<BrokenBlobWriter>(schema::storage_error_errno(ec.value(), "cannot create " + dir_));
  std::string tmpl = (fs::path(dir_) / "tmp" / "upload-XXXXXX").string();
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) return std::make_unique<BrokenBlobWriter>(io_error("mkstemp"));
  return std::make_unique<FileBlobWriter>(*this, tmpl, fd);
}

Result<BlobInfo> BlobStore::commit(const std::string& tmp_path, const Hash32& id, int64_t size,
                                   const std::string& media_type) try {
  BlobInfo info{to_hex(id), size, media_type};
  fs::path sub = fs::path(dir_) / info.id.substr(0, 2);
  fs::path final_path = sub / info.id.substr(2);
  std::error_code ec;
  bool new_sub = !fs::exists(sub, ec);
  fs::create_directories(sub, ec);
  if (ec) return schema::storage_error_errno(ec.value(), "cannot create " + sub.string());
  if (fs::exists(final_path, ec)) {
    ::unlink(tmp_path.c_str());  // same bytes already stored: keep the first copy
  } else {
    if (::rename(tmp_path.c_str(), final_path.c_str()) != 0) return io_error("rename");
    Status s = fsync_directory(sub.string());
    if (s.ok() && new_sub) s = fsync_directory(dir_);
    if (!s.ok()) return s.error();
  }
  // The file is durable before its row exists; a crash in between leaves a
  // file that the next upload of the same bytes adopts.
  std::lock_guard<std::recursive_mutex> g(*mu_);
  SQLite::Statement ins(*db_, "INSERT OR IGNORE INTO blobs (id, size, media_type) VALUES (?, ?, ?)");
  ins.bind(1, info.id);
  ins.bind(2, static_cast<int64_t>(size));
  ins.bind(3, media_type);
  ins.exec();
  return info;
} catch (const SQLite::Exception& e) {
  return schema::storage_error(e);
}

std::optional<BlobInfo> BlobStore::info(const std::string& id) {
  if (!valid_id(id)) return std::nullopt;
  std::lock_guard<std::recursive_mutex> g(*mu_);
  SQLite::Statement q(*db_, "SELECT size, media_type FROM blobs WHERE id = ?");
  q.bind(1, id);
  if (q.executeStep()) return BlobInfo{id, q.getColumn(0).getInt64(), q.getColumn(1).getString()};
  // A file at its place without a row: stored by another hub process that
  // shares this folder (docs/postgres.md), or left by a crash between the
  // file and its row. Adopted once its bytes hash to its name.
  const fs::path p = fs::path(dir_) / id.substr(0, 2) / id.substr(2);
  std::error_code ec;
  const auto size = fs::file_size(p, ec);
  if (ec || size == 0 || (max_bytes_ > 0 && size > static_cast<uintmax_t>(max_bytes_))) return std::nullopt;
  std::ifstream f(p, std::ios::binary);
  std::string bytes(static_cast<size_t>(size), '\0');
  if (!f.read(bytes.data(), static_cast<std::streamsize>(size))) return std::nullopt;
  if (to_hex(blake2b256(bytes)) != id) return std::nullopt;
  BlobInfo info{id, static_cast<int64_t>(size),
                sniff_media_type(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size())};
  if (info.media_type.empty()) return std::nullopt;
  SQLite::Statement ins(*db_, "INSERT OR IGNORE INTO blobs (id, size, media_type) VALUES (?, ?, ?)");
  ins.bind(1, info.id);
  ins.bind(2, info.size);
  ins.bind(3, info.media_type);
  ins.exec();
  return info;
}

std::optional<std::string> BlobStore::path(const std::string& id) {
  if (!info(id)) return std::nullopt;
  fs::path p = fs::path(dir_) / id.substr(0, 2) / id.substr(2);
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return std::nullopt;
  return p.string();
}

int64_t BlobStore::sweep_stale(fs::file_time_type tmp_before, fs::file_time_type partial_before) {
  int64_t removed = 0;
  auto sweep = [&](const fs::path& dir, fs::file_time_type before) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      std::error_code e2;
      if (!it->is_regular_file(e2)) continue;
      auto t = fs::last_write_time(it->path(), e2);
      if (!e2 && t < before && fs::remove(it->path(), e2)) ++removed;
    }
  };
  sweep(fs::path(dir_) / "tmp", tmp_before);
  sweep(fs::path(dir_) / "partial", partial_before);
  return removed;
}

int64_t BlobStore::total_bytes() {
  std::lock_guard<std::recursive_mutex> g(*mu_);
  // A total kept by triggers with the rows (migration 18): a /metrics scrape
  // does not sum every attachment's row.
  SQLite::Statement q(*db_, "SELECT value FROM sync_counters WHERE name = 'total' AND label = 'blob_bytes'");
  return q.executeStep() ? q.getColumn(0).getInt64() : 0;
}

}  // namespace motcua::node
