// Content-addressed attachment store: id = BLAKE2b-256 of the bytes, stored
// once under <data_dir>/blobs/ab/cdef..., streamed to disk, size-limited.
#pragma once
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "motcua/crypto.hpp"

namespace SQLite {
class Database;
}

namespace motcua::node {

struct BlobInfo {
  std::string id;          // lowercase hex BLAKE2b-256
  int64_t size = 0;
  std::string media_type;  // detected from magic bytes: application/pdf, image/jpeg, image/png
};

class BlobStore;

// Receives one upload in chunks; nothing is visible until finish() succeeds.
// Destroying an unfinished writer removes its temporary file.
class BlobWriter {
 public:
  virtual ~BlobWriter() = default;
  // "too_large" once more than the limit was written (the writer is then
  // spent: later writes and finish() fail the same way); "io_error" if the
  // disk refuses.
  virtual Status write(const uint8_t* p, size_t n) = 0;
  // Checks the magic bytes (PDF/JPEG/PNG, else "validation_failed" with
  // field "content"), fsyncs, moves into place, records it. Storing bytes
  // already held is not an error: the same id comes back.
  virtual Result<BlobInfo> finish() = 0;
};

// The media type of an attachment from its first bytes, or "" if it is not
// a PDF, JPEG or PNG.
std::string sniff_media_type(const uint8_t* p, size_t n);

class BlobStore {
 public:
  // `db_mutex`: the lock that serialises use of `db` when the connection is
  // shared (pass Journal::mutex()); null: the store's own lock. The lock is
  // held only for the short table reads and writes, never while bytes stream.
  BlobStore(std::string data_dir, std::shared_ptr<SQLite::Database> db, int64_t max_bytes,
            std::recursive_mutex* db_mutex = nullptr);
  std::unique_ptr<BlobWriter> begin();
  std::optional<BlobInfo> info(const std::string& id);
  // Path of the stored file, for streaming it out.
  std::optional<std::string> path(const std::string& id);
  int64_t total_bytes();
  int64_t max_bytes() const { return max_bytes_; }
  // Removes what interrupted work left behind: upload temporaries in
  // blobs/tmp last written before `tmp_before`, and resumable sync transfers
  // in blobs/partial last written before `partial_before` (a later transfer
  // of that attachment starts from its first byte). Returns the number of
  // files removed. The daemon calls it at start (see sync/src/server.cpp).
  int64_t sweep_stale(std::filesystem::file_time_type tmp_before, std::filesystem::file_time_type partial_before);

 private:
  friend class FileBlobWriter;
  Result<BlobInfo> commit(const std::string& tmp_path, const Hash32& id, int64_t size, const std::string& media_type);

  std::string dir_;
  std::shared_ptr<SQLite::Database> db_;
  int64_t max_bytes_;
  std::recursive_mutex own_mu_;
  std::recursive_mutex* mu_;
};

}  // namespace motcua::node
