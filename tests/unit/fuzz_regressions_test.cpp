// Replays every input that once broke a fuzz target (tests/fuzz/regressions/
// <target>/) and the seed corpora (tests/fuzz/corpus/<target>/) through the
// same function the fuzzer runs (tests/fuzz/harness.hpp), so a fixed crash
// stays fixed. docs/design/0040-fuzzing.md: how an input gets here.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness.hpp"

namespace {

std::vector<std::filesystem::path> inputs(const std::string& kind, const std::string& target) {
  std::vector<std::filesystem::path> out;
  std::filesystem::path dir = std::filesystem::path(MOTCUA_SOURCE_DIR) / "tests/fuzz" / kind / target;
  if (!std::filesystem::is_directory(dir)) return out;
  for (const auto& f : std::filesystem::directory_iterator(dir))
    if (f.is_regular_file() && f.path().filename().string()[0] != '.') out.push_back(f.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_bytes(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

void replay(const std::string& kind) {
  motcua::fuzz::throw_on_failure(true);
  size_t n = 0;
  for (const auto& t : motcua::fuzz::targets()) {
    for (const auto& file : inputs(kind, t.name)) {
      const std::string bytes = read_bytes(file);
      INFO("fuzz_" << t.name << " on tests/fuzz/" << kind << "/" << t.name << "/" << file.filename().string());
      CHECK_NOTHROW(t.run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
      ++n;
    }
  }
  CHECK(n > 0);
}

}  // namespace

TEST_CASE("inputs that once broke a fuzz target run cleanly", "[fuzz]") { replay("regressions"); }

TEST_CASE("the fuzz seed corpora run cleanly", "[fuzz]") { replay("corpus"); }
