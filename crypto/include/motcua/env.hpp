// The outside world that the deterministic core reads: time and randomness.
// Production code takes these by reference; tests pass fakes that stop time,
// jump it backwards or replay a fixed random stream.
#pragma once
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace motcua {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch (UTC) as the machine believes it.
  // May jump backwards or forwards; callers that need order use the HLC.
  virtual int64_t now_ms() = 0;
};

class Random {
 public:
  virtual ~Random() = default;
  // Fills out[0..n) with random bytes. Thread-safe in the system implementation.
  virtual void fill(uint8_t* out, size_t n) = 0;
};

// Real wall clock (std::chrono::system_clock).
class SystemClock final : public Clock {
 public:
  int64_t now_ms() override;
};

// libsodium's randombytes_buf.
class SystemRandom final : public Random {
 public:
  void fill(uint8_t* out, size_t n) override;
};

// A clock that tests set and move by hand. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ms) : now_(start_ms) {}
  int64_t now_ms() override {
    std::lock_guard<std::mutex> g(m_);
    return now_;
  }
  void set(int64_t ms) {
    std::lock_guard<std::mutex> g(m_);
    now_ = ms;
  }
  void advance(int64_t ms) {
    std::lock_guard<std::mutex> g(m_);
    now_ += ms;
  }

 private:
  std::mutex m_;
  int64_t now_;
};

// Deterministic random stream (splitmix64) for tests and simulations.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(uint64_t seed) : state_(seed) {}
  void fill(uint8_t* out, size_t n) override;
  uint64_t next_u64();

 private:
  std::mutex m_;
  uint64_t state_;
};

// Process-wide defaults used by the binary; tests never touch them.
Clock& system_clock();
Random& system_random();

}  // namespace motcua
