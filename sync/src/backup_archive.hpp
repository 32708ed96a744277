// Private to sync/src: the backup archive's reading and writing
// (backup_archive.cpp) for the steps of backup.cpp (create, verify, restore).
// The format: docs/backup-format.md.
#pragma once
#include <SQLiteCpp/Database.h>

#include <string>
#include <utility>
#include <vector>

#include "motcua/node/journal.hpp"
#include "motcua/sync/backup.hpp"

namespace motcua::sync::backup::detail {

// io_error naming the file and errno's text (field "file").
Error io_error(const std::string& path, const std::string& what, int err);

struct FileEntry {
  std::string path;  // inside the archive (and the data directory)
  int64_t size = 0;
  std::string hash;  // hex BLAKE2b-256
};

// Size and BLAKE2b-256 of a file on disk.
Result<FileEntry> hash_file(const std::string& disk_path, const std::string& archive_path);
bool valid_blob_id(const std::string& id);
// blobs/xx/rest: where attachment `id` is kept in the archive and the data directory.
std::string blob_archive_path(const std::string& id);
// node_meta's value of `key` ("" when absent).
std::string meta_of(SQLite::Database& db, const std::string& key);
Summary summary_from(const Json& manifest);

// Writes the archive to `fd` (`path` names it in errors): manifest.json (`manifest_text`)
// first, then each (disk path, entry) streamed from disk and hashed again on the way (a file that
// changed since it was hashed fails the whole archive).
Status write_archive(int fd, const std::string& path, const std::string& manifest_text, int64_t mtime_s,
                     const std::vector<std::pair<std::string, FileEntry>>& files);

struct Checked {
  Summary summary;
  Json manifest;
};

// Reads FILE to the end and checks it; motcua.db and node.key are written into
// `into` (and the attachment files too when `all`). `into` exists and is empty.
Result<Checked> check_archive(const std::string& file, const std::string& into, bool all,
                              const node::SubjectProjector& projector);

// A fresh directory "<base>-XXXXXX".
Result<std::string> make_temp_dir(const std::string& base);

}  // namespace motcua::sync::backup::detail
