// Content-addressed attachment store: id = BLAKE2b-256 of the bytes, stored
// once under <data_dir>/blobs/ab/cdef..., streamed to disk, size-limited.
#pragma once
#include <memory>
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
  // "too_large" once more than the limit was written.
  virtual Status write(const uint8_t* p, size_t n) = 0;
  // Checks the magic bytes (PDF/JPEG/PNG, else "validation_failed" with
  // field "content"), fsyncs, moves into place, records it.
  virtual Result<BlobInfo> finish() = 0;
};

class BlobStore {
 public:
  BlobStore(std::string data_dir, std::shared_ptr<SQLite::Database> db, int64_t max_bytes);
  std::unique_ptr<BlobWriter> begin();
  std::optional<BlobInfo> info(const std::string& id);
  // Path of the stored file, for streaming it out.
  std::optional<std::string> path(const std::string& id);
  int64_t total_bytes();

 private:
  std::string dir_;
  std::shared_ptr<SQLite::Database> db_;
  int64_t max_bytes_;
};

}  // namespace motcua::node
