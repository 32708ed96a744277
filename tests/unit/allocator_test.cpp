// The process's allocator setting (docs/design/0119): motcua caps glibc's
// malloc arenas so memory freed by one request thread is reused by the next.
// Measured in a fresh process (this binary again, one hidden case): arenas
// made by earlier tests in this process would hide the cap.
#include <catch2/catch.hpp>
#include <malloc.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "motcua/sync/server.hpp"

namespace {

// glibc's own report: one <heap nr="…"> per arena.
int arenas() {
  char* buf = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  malloc_info(0, f);
  std::fclose(f);
  std::string xml(buf, len);
  free(buf);
  int n = 0;
  for (size_t p = xml.find("<heap nr="); p != std::string::npos; p = xml.find("<heap nr=", p + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("(child) eight threads allocating at once stay within the arena cap", "[.allocator_child]") {
  motcua::sync::tune_allocator();
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([] {
      std::vector<std::string> held;
      for (int i = 0; i < 20000; ++i) held.emplace_back(std::string(200 + i % 300, 'x'));
    });
  for (auto& t : threads) t.join();
  const int cap = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 2u, 8u));
  std::printf("arenas %d cap %d\n", arenas(), cap);
}

TEST_CASE("motcua caps malloc arenas at the machine's cores", "[allocator]") {
  // Under ASan its allocator serves malloc and glibc's arenas stay unused:
  // the same assertions then hold with one arena, and the Release run is the
  // one where eight threads would make nine without the cap.
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  FILE* p = popen(("'" + self + "' '[.allocator_child]' 2>&1").c_str(), "r");
  REQUIRE(p);
  std::string out;
  std::array<char, 256> buf{};
  while (std::fgets(buf.data(), buf.size(), p)) out += buf.data();
  CHECK(pclose(p) == 0);
  int n = -1, cap = -1;
  size_t at = out.find("arenas ");
  REQUIRE(at != std::string::npos);
  REQUIRE(std::sscanf(out.c_str() + at, "arenas %d cap %d", &n, &cap) == 2);
  INFO(out);
  CHECK(cap == static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 2u, 8u)));
  CHECK(n >= 1);
  CHECK(n <= cap);
}
