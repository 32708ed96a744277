#include "motcua/env.hpp"

#include <sodium.h>

#include <chrono>

namespace motcua {

int64_t SystemClock::now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void SystemRandom::fill(uint8_t* out, size_t n) {
  if (sodium_init() < 0) abort();
  randombytes_buf(out, n);
}

uint64_t SeededRandom::next_u64() {
  std::lock_guard<std::mutex> g(m_);
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void SeededRandom::fill(uint8_t* out, size_t n) {
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = next_u64();
    for (size_t j = 0; j < 8 && i + j < n; ++j) out[i + j] = static_cast<uint8_t>(v >> (8 * j));
  }
}

Clock& system_clock() {
  static SystemClock c;
  return c;
}
Random& system_random() {
  static SystemRandom r;
  return r;
}

}  // namespace motcua
