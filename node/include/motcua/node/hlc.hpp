// Hybrid logical clock (Kulkarni et al.): timestamps that follow the wall
// clock when it moves forward and stay monotonic when it steps back.
#pragma once
#include <mutex>

#include "motcua/env.hpp"
#include "motcua/node/entry.hpp"

namespace motcua::node {

class HybridClock {
 public:
  explicit HybridClock(Clock& clock) : clock_(clock) {}
  // A new timestamp strictly greater than every one returned or observed before.
  Hlc now();
  // Merges a timestamp seen on a foreign entry, so later local stamps follow it.
  void observe(const Hlc& remote);
  // Sets the floor after reopening (the largest HLC in the journal).
  void restore(const Hlc& last);
  Hlc last() const;

 private:
  Clock& clock_;
  mutable std::mutex m_;
  Hlc last_;
};

}  // namespace motcua::node
