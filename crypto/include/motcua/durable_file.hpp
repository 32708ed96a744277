// Durable file writes: temp file, fsync, rename over the target, fsync the
// directory. After a crash the target holds either the old or the new bytes.
#pragma once
#include <string>
#include <string_view>

#include "motcua/result.hpp"

namespace motcua {

// Writes `data` to `path` durably with permission bits `mode` (e.g. 0600).
Status write_file_durably(const std::string& path, std::string_view data, unsigned mode = 0644);
// Reads a whole (small) file.
Result<std::string> read_small_file(const std::string& path, size_t max_bytes = 1 << 20);
// fsyncs a directory so a rename or create in it survives a crash.
Status fsync_directory(const std::string& dir);

}  // namespace motcua
