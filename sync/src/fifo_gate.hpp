// A gate that lets at most `width` holders through at once, in the order
// they arrived (docs/design/0120). The hub puts every push behind one: a
// push is decoded, verified and stored only when its turn comes, so a
// morning wave of points holds compressed bodies while it waits, not
// decoded batches, and pushes are stored in arrival order.
#pragma once
#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace motcua::sync {

class FifoGate {
 public:
  explicit FifoGate(unsigned width) : width_(std::max(1u, width)) {}
  FifoGate(const FifoGate&) = delete;
  FifoGate& operator=(const FifoGate&) = delete;

  // Held while inside; leaving (destruction) lets the next one in.
  class Slot {
   public:
    Slot() = default;
    explicit Slot(FifoGate* g) : g_(g) {}
    Slot(Slot&& o) noexcept : g_(o.g_) { o.g_ = nullptr; }
    Slot& operator=(Slot&& o) noexcept {
      if (this != &o) {
        leave();
        g_ = o.g_;
        o.g_ = nullptr;
      }
      return *this;
    }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { leave(); }
    void leave() {
      if (g_) g_->leave();
      g_ = nullptr;
    }

   private:
    FifoGate* g_ = nullptr;
  };

  // Waits until every earlier arrival has gone in and a place is free.
  Slot enter() {
    std::unique_lock<std::mutex> l(mu_);
    const uint64_t ticket = next_++;
    if (ticket >= left_ + width_) {
      ++waiting_;
      ++waited_;
      cv_.wait(l, [&] { return ticket < left_ + width_; });
      --waiting_;
    }
    ++passed_;
    return Slot(this);
  }

  struct Stats {
    int64_t inside = 0;   // holders now
    int64_t waiting = 0;  // arrivals not yet in
    int64_t passed = 0;   // went in since start
    int64_t waited = 0;   // of those and the waiting, how many had to wait
  };
  Stats stats() const {
    std::lock_guard<std::mutex> l(mu_);
    return Stats{static_cast<int64_t>(next_ - left_) - waiting_, waiting_, passed_, waited_};
  }
  unsigned width() const { return width_; }

 private:
  void leave() {
    {
      std::lock_guard<std::mutex> l(mu_);
      ++left_;
    }
    cv_.notify_all();
  }

  const unsigned width_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t next_ = 0;  // tickets handed out
  uint64_t left_ = 0;  // holders that left
  int64_t waiting_ = 0, passed_ = 0, waited_ = 0;
};

}  // namespace motcua::sync
