#include "motcua/node/hlc.hpp"

#include <algorithm>

namespace motcua::node {

Hlc HybridClock::now() {
  int64_t pt = clock_.now_ms();
  std::lock_guard<std::mutex> g(m_);
  if (pt > last_.ms) {
    last_ = Hlc{pt, 0};
  } else {
    last_.c += 1;
  }
  return last_;
}

Hlc HybridClock::now_above(const Hlc& floor) {
  int64_t pt = clock_.now_ms();
  std::lock_guard<std::mutex> g(m_);
  Hlc base = std::max(last_, floor);
  if (pt > base.ms) {
    last_ = Hlc{pt, 0};
  } else {
    last_ = Hlc{base.ms, base.c + 1};
  }
  return last_;
}

bool HybridClock::observe(const Hlc& remote) {
  int64_t pt = clock_.now_ms();
  if (remote.ms > pt && remote.ms - pt > max_offset_ms_.load()) {
    refused_.fetch_add(1);
    return false;
  }
  std::lock_guard<std::mutex> g(m_);
  int64_t ms = std::max({pt, last_.ms, remote.ms});
  if (ms == last_.ms && ms == remote.ms) {
    last_.c = std::max(last_.c, remote.c) + 1;
  } else if (ms == last_.ms) {
    last_.c += 1;
  } else if (ms == remote.ms) {
    last_ = Hlc{ms, remote.c + 1};
  } else {
    last_ = Hlc{ms, 0};
  }
  return true;
}

void HybridClock::restore(const Hlc& last) {
  std::lock_guard<std::mutex> g(m_);
  if (last > last_) last_ = last;
}

Hlc HybridClock::last() const {
  std::lock_guard<std::mutex> g(m_);
  return last_;
}

}  // namespace motcua::node
