// SessionSlots: how many points a hub process syncs at once
// (docs/design/0121). A point holds a place from its welcome until its last
// pull is answered, or until it has sent nothing for `idle_ms` while none of
// its requests is being served (a point that went away). A hello when every
// place is held is refused at once (503 hub_busy) with the time after which
// a place is likely free (later when many points wait): the point works on
// offline and comes back then, instead of waiting minutes in a crowd of
// sessions that all end late.
//
// The clock is the caller's (the hub's ctx.now), so tests drive it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace motcua::sync {

class SessionSlots {
 public:
  static constexpr int64_t kIdleMs = 30 * 1000;
  static constexpr int64_t kFirstGuessMs = 5 * 1000;  // Retry-After before any session has ended
  static constexpr int64_t kMinRetryMs = 1000, kMaxRetryMs = 60 * 1000;
  // With many points waiting, each is told to come back late enough that
  // about this many arrive while one place frees (docs/design/0121): enough
  // that a freed place is soon taken, few enough that refusing hellos does
  // not eat the hub's CPU. A point refused counts as waiting for
  // kWaitingWindowMs after its last refusal.
  static constexpr int64_t kArrivalsPerPlace = 8;
  static constexpr int64_t kWaitingWindowMs = 2 * kMaxRetryMs;

  // cap 0: no cap (places are still counted, for /metrics).
  explicit SessionSlots(size_t cap, int64_t idle_ms = kIdleMs) : cap_(cap), idle_ms_(idle_ms) {}

  size_t cap() const { return cap_; }

  // A hello of `point`: true when it holds a place now (a point that already
  // holds one keeps it: its new session replaces the old), and its request
  // counts as begun (end() follows). false: every place is held;
  // *retry_after_ms says when to try again.
  bool admit(const std::string& point, int64_t now, int64_t* retry_after_ms) {
    std::lock_guard<std::mutex> g(mu_);
    expire(now);
    auto it = held_.find(point);
    if (it == held_.end()) {
      if (cap_ > 0 && held_.size() >= cap_) {
        ++busy_;
        refused_[point] = now;
        // A typical session, or longer when more points wait than a place
        // frees for in that time (kArrivalsPerPlace).
        const int64_t typical = typical_ms_ > 0 ? typical_ms_ : kFirstGuessMs;
        const int64_t queue = static_cast<int64_t>(refused_.size()) * typical /
                              (kArrivalsPerPlace * static_cast<int64_t>(cap_));
        if (retry_after_ms) *retry_after_ms = std::clamp(std::max(typical, queue), kMinRetryMs, kMaxRetryMs);
        return false;
      }
      refused_.erase(point);
      it = held_.emplace(point, Place{now, now, 0}).first;
    } else {
      it->second.since = now;
    }
    ++it->second.in_flight;
    it->second.last = now;
    ++admitted_;
    return true;
  }

  // A request of `point`'s session starts: true when the point holds a place
  // (then end() follows), which cannot expire while the request is served.
  bool begin(const std::string& point, int64_t now) {
    std::lock_guard<std::mutex> g(mu_);
    auto it = held_.find(point);
    if (it == held_.end()) return false;
    ++it->second.in_flight;
    it->second.last = now;
    return true;
  }

  // The request ends. `last`: the session is over (its final pull, or a
  // hello that failed): the place is freed.
  void end(const std::string& point, int64_t now, bool last) {
    std::lock_guard<std::mutex> g(mu_);
    auto it = held_.find(point);
    if (it == held_.end()) return;
    Place& p = it->second;
    if (p.in_flight > 0) --p.in_flight;
    p.last = now;
    if (!last) return;
    const int64_t took = std::max<int64_t>(0, now - p.since);
    typical_ms_ = typical_ms_ == 0 ? took : (typical_ms_ * 7 + took) / 8;  // recent sessions weigh most
    held_.erase(it);
  }

  struct Stats {
    size_t held = 0;
    size_t cap = 0;
    size_t waiting = 0;  // points refused in the last kWaitingWindowMs that have not had a place since
    uint64_t admitted_total = 0;
    uint64_t busy_total = 0;
    int64_t typical_ms = 0;  // recent sessions' length (what Retry-After is made of); 0 before the first
  };
  Stats stats(int64_t now) {
    std::lock_guard<std::mutex> g(mu_);
    expire(now);
    return Stats{held_.size(), cap_, refused_.size(), admitted_, busy_, typical_ms_};
  }

 private:
  struct Place {
    int64_t since = 0;  // welcome
    int64_t last = 0;   // last request began or ended
    int in_flight = 0;  // requests being served
  };
  void expire(int64_t now) {
    std::erase_if(held_, [&](const auto& p) { return p.second.in_flight == 0 && now - p.second.last > idle_ms_; });
    std::erase_if(refused_, [&](const auto& r) { return now - r.second > kWaitingWindowMs; });
  }

  std::mutex mu_;
  const size_t cap_;
  const int64_t idle_ms_;
  std::map<std::string, Place> held_;
  std::map<std::string, int64_t> refused_;  // waiting points: their last refusal
  uint64_t admitted_ = 0, busy_ = 0;
  int64_t typical_ms_ = 0;
};

}  // namespace motcua::sync
