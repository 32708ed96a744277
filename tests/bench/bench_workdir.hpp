// A benchmark's work directory. A bench empties it before it runs, so it
// must never be one that holds anything a bench did not put there: a
// mistyped argument (`sync_bench docs`, `--dir ~`) would remove it. A
// directory is taken when it is absent, empty, or marked by an earlier
// bench run (the file `.motcua-bench`, written when it is taken).
#pragma once
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <system_error>

namespace motcua::bench {

inline constexpr const char* kWorkdirMark = ".motcua-bench";

// Empties `dir` (creating it) and marks it; or says why not, leaving it as is.
inline std::optional<std::string> claim_workdir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) return dir + " is not a directory";
    if (!fs::is_empty(dir, ec) && !fs::exists(fs::path(dir) / kWorkdirMark, ec))
      return dir + " holds files that no bench run wrote (no " + kWorkdirMark + "); not emptying it";
    fs::remove_all(dir, ec);
    if (ec) return "cannot empty " + dir + ": " + ec.message();
  }
  fs::create_directories(dir, ec);
  if (ec) return "cannot create " + dir + ": " + ec.message();
  std::ofstream(fs::path(dir) / kWorkdirMark) << "a benchmark's work directory, emptied by the next run\n";
  return std::nullopt;
}

}  // namespace motcua::bench
