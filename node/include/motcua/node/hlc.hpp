// Hybrid logical clock (Kulkarni et al.): timestamps that follow the wall
// clock when it moves forward and stay monotonic when it steps back.
//
// Bounded (docs/sync-protocol.md, "Clocks"): a remote time more than
// max_offset_ms() ahead of the local clock is not adopted, so one node with
// its clock years ahead cannot drag every other node's clock with it.
#pragma once
#include <atomic>
#include <mutex>

#include "motcua/env.hpp"
#include "motcua/node/entry.hpp"

namespace motcua::node {

class HybridClock {
 public:
  // Config max_clock_offset_s's default (5 minutes).
  static constexpr int64_t kDefaultMaxOffsetMs = 300 * 1000;

  explicit HybridClock(Clock& clock) : clock_(clock) {}
  // A new timestamp strictly greater than every one returned or adopted before.
  Hlc now();
  // As now(), and also strictly greater than `floor` (the largest HLC of a new
  // entry's causal parents), even when `floor` is beyond the bound: an entry
  // always sorts after what it depends on.
  Hlc now_above(const Hlc& floor);
  // Merges a timestamp seen on a foreign entry, so later local stamps follow
  // it, unless it is more than max_offset_ms() ahead of the local clock: then
  // it is ignored and false is returned.
  bool observe(const Hlc& remote);
  // Sets the floor after reopening (the largest HLC of the node's own chain
  // and of the foreign entries within the bound).
  void restore(const Hlc& last);
  Hlc last() const;

  void set_max_offset_ms(int64_t ms) { max_offset_ms_ = ms < 0 ? 0 : ms; }
  int64_t max_offset_ms() const { return max_offset_ms_; }
  // Remote times observe() refused since the clock was made.
  int64_t refused() const { return refused_; }

 private:
  Clock& clock_;
  mutable std::mutex m_;
  Hlc last_;
  std::atomic<int64_t> max_offset_ms_{kDefaultMaxOffsetMs};
  std::atomic<int64_t> refused_{0};
};

}  // namespace motcua::node
