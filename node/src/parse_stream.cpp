// ParseStream (parse_stream.hpp): verification on worker threads overlapping
// the journal's storing of what is already verified.
#include "parse_stream.hpp"

#include <algorithm>

namespace motcua::node {

namespace {
constexpr size_t kChunk = 32;  // indexes a worker claims at a time
}

ParseStream::ParseStream(const std::vector<Entry>& given, size_t min_parallel)
    : given_(given), out_(given.size()), done_(new std::atomic<bool>[given.size()]) {
  for (size_t i = 0; i < given_.size(); ++i) done_[i].store(false, std::memory_order_relaxed);
  unsigned threads = given_.size() >= min_parallel ? std::max(1u, std::min(4u, std::thread::hardware_concurrency())) : 0u;
  if (threads == 0) {
    work();  // here, at once
    return;
  }
  pool_.reserve(threads);
  for (unsigned t = 0; t < threads; ++t) pool_.emplace_back([this] { work(); });
}

ParseStream::~ParseStream() {
  stop_.store(true);
  for (auto& t : pool_) t.join();
}

void ParseStream::work() {
  const size_t n = given_.size();
  for (;;) {
    if (stop_.load(std::memory_order_relaxed)) return;
    size_t from = next_.fetch_add(kChunk);
    if (from >= n) return;
    size_t to = std::min(n, from + kChunk);
    for (size_t i = from; i < to; ++i) {
      out_[i] = parse_entry(given_[i].canonical, given_[i].sig);
      done_[i].store(true, std::memory_order_release);
    }
    // The lock orders the notify after a waiter's check of done_.
    { std::lock_guard<std::mutex> g(mu_); }
    cv_.notify_all();
  }
}

Result<Entry>& ParseStream::get(size_t i) {
  if (!done_[i].load(std::memory_order_acquire)) {
    std::unique_lock<std::mutex> lk(mu_);
    cv_.wait(lk, [&] { return done_[i].load(std::memory_order_acquire); });
  }
  return *out_[i];
}

void ParseStream::wait(size_t count) {
  for (size_t i = 0; i < std::min(count, given_.size()); ++i) (void)get(i);
}

}  // namespace motcua::node
