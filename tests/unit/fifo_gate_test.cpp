// The gate in front of the hub's pushes (docs/design/0120): at most `width`
// inside at once, and those that wait go in in the order they came.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "../../sync/src/fifo_gate.hpp"

using motcua::sync::FifoGate;

namespace {

// Polls until `cond` holds (the other threads' progress is only observable).
template <class F>
bool soon(F cond) {
  for (int i = 0; i < 5000; ++i) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return cond();
}

}  // namespace

TEST_CASE("a gate of width 2 lets two in at once and the waiting ones in in arrival order", "[gate]") {
  FifoGate gate(2);
  auto a = gate.enter();
  auto b = gate.enter();
  CHECK(gate.stats().inside == 2);
  CHECK(gate.stats().waited == 0);

  std::mutex mu;
  std::vector<int> order;
  std::vector<std::thread> threads;
  std::atomic<int> release{-1};
  // Four arrive one after another (each starts once the one before waits).
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      auto s = gate.enter();
      {
        std::lock_guard<std::mutex> l(mu);
        order.push_back(i);
      }
      while (release.load() < i) std::this_thread::yield();
    });
    REQUIRE(soon([&] { return gate.stats().waiting == i + 1; }));
  }
  CHECK(gate.stats().inside == 2);
  {
    std::lock_guard<std::mutex> l(mu);
    CHECK(order.empty());
  }
  auto recorded = [&] {
    std::lock_guard<std::mutex> l(mu);
    return order.size();
  };
  // One leaves: exactly the first to arrive goes in.
  a.leave();
  REQUIRE(soon([&] { return recorded() == 1; }));
  CHECK(gate.stats().waiting == 3);
  {
    std::lock_guard<std::mutex> l(mu);
    CHECK(order == std::vector<int>{0});
  }
  CHECK(gate.stats().inside == 2);
  b.leave();
  REQUIRE(soon([&] { return recorded() == 2; }));
  CHECK(gate.stats().waiting == 2);
  {
    std::lock_guard<std::mutex> l(mu);
    CHECK(order == std::vector<int>{0, 1});
  }
  // Each leaves in turn; the rest follow in order, never more than two inside.
  for (int i = 0; i < 4; ++i) {
    CHECK(gate.stats().inside <= 2);
    release = i;
    REQUIRE(soon([&] { return recorded() == static_cast<size_t>(std::min(4, i + 3)); }));
    CHECK(gate.stats().waiting == std::max(0, 4 - i - 3));
  }
  for (auto& t : threads) t.join();
  CHECK(order == std::vector<int>{0, 1, 2, 3});
  auto st = gate.stats();
  CHECK(st.inside == 0);
  CHECK(st.waiting == 0);
  CHECK(st.passed == 6);
  CHECK(st.waited == 4);
}

TEST_CASE("under many threads a gate never holds more than its width", "[gate]") {
  FifoGate gate(3);
  std::atomic<int> inside{0}, most{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        auto s = gate.enter();
        int now = ++inside;
        int m = most.load();
        while (now > m && !most.compare_exchange_weak(m, now)) {
        }
        std::this_thread::yield();
        --inside;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(most.load() <= 3);
  CHECK(most.load() >= 1);
  CHECK(gate.stats().passed == 12 * 200);
  CHECK(gate.stats().inside == 0);
  CHECK(gate.stats().waiting == 0);
}
