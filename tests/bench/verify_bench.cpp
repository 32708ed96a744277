// verify_bench: the floor under sync's speed targets. Every entry's Ed25519
// signature is verified on arrival (issue 12 forbids trusting a receipt
// instead), so 50,000 entries cost at least 50,000 verifications. This
// measures them here, alone and with parsing (parse_entry: canonical JSON
// check, id, signature), on one thread and on every core, and prints the
// least time a 50,000-entry push or pull could take on this machine.
//
//   verify_bench [ENTRIES]    (default 50,000)
#include <sodium.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "motcua/crypto.hpp"
#include "motcua/env.hpp"
#include "motcua/node/entry.hpp"
#include "bench_data.hpp"

using namespace motcua;
using namespace motcua::bench;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Runs fn(i) for i in [0, n) on `threads` threads; returns wall seconds.
template <class F>
double timed(size_t n, unsigned threads, F fn) {
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  size_t per = (n + threads - 1) / threads;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (size_t i = t * per; i < std::min(n, (t + 1) * per); ++i) fn(i);
    });
  for (auto& t : pool) t.join();
  return seconds_since(t0);
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) return 1;
  const size_t n = argc > 1 ? std::stoul(argv[1]) : 50000;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  KeyPair kp = generate_keypair(system_random());
  Gen g{11};
  std::vector<node::Entry> entries;
  entries.reserve(n);
  Hash32 prev{};
  for (size_t i = 0; i < n; ++i) {
    node::Entry e;
    e.author = kp.pk;
    e.seq = static_cast<int64_t>(i + 1);
    e.prev = prev;
    e.hlc = node::Hlc{1751335200000 + static_cast<int64_t>(i), 0};
    e.type = "dossier.updated";
    e.subject = "000.00.01.H22-250701-" + std::to_string(1 + i % 9999);
    e.user = "minh";
    e.body = Json{{"note", std::string(g.of(kNotes)) + " (" + g.digits(4) + ")"},
                  {"officer", std::string(g.of(kFamily)) + " " + g.of(kGiven)},
                  {"ref", "VB-" + g.digits(6) + "/UBND"},
                  {"applicant", {{"address", std::string(g.of(kVillage)) + ", " + g.of(kCommune)},
                                 {"phone", "09" + g.digits(8)}}},
                  {"reason", g.of(kNotes)}};
    if (!node::seal_entry(e, kp.sk).ok()) return 1;
    prev = e.id;
    entries.push_back(std::move(e));
  }
  size_t bytes = 0;
  for (const auto& e : entries) bytes += e.canonical.size();
  std::printf("%zu entries, canonical form %.0f bytes on average, %u cores\n\n", n,
              static_cast<double>(bytes) / static_cast<double>(n), cores);
  std::printf("%-44s %8s %10s %12s\n", "step", "threads", "wall ms", "us/entry");
  std::vector<char> ok(n, 0);
  auto row = [&](const char* what, unsigned threads, double s) {
    size_t good = 0;
    for (char c : ok) good += c ? 1 : 0;
    std::printf("%-44s %8u %10.0f %12.1f%s\n", what, threads, s * 1000, s * 1e6 / static_cast<double>(n) * threads,
                good == n ? "" : "  (SOME FAILED)");
    std::fill(ok.begin(), ok.end(), 0);
    return s;
  };
  row("Ed25519 verify (libsodium)", 1, timed(n, 1, [&](size_t i) {
        ok[i] = verify(entries[i].author, SignDomain::JournalEntry, entries[i].canonical, entries[i].sig);
      }));
  double floor = row("Ed25519 verify (libsodium)", cores, timed(n, cores, [&](size_t i) {
                       ok[i] = verify(entries[i].author, SignDomain::JournalEntry, entries[i].canonical, entries[i].sig);
                     }));
  row("parse_entry (canonical check, id, verify)", 1, timed(n, 1, [&](size_t i) {
        ok[i] = node::parse_entry(entries[i].canonical, entries[i].sig).ok();
      }));
  double parse = row("parse_entry (canonical check, id, verify)", cores, timed(n, cores, [&](size_t i) {
                       ok[i] = node::parse_entry(entries[i].canonical, entries[i].sig).ok();
                     }));
  std::printf("\nfloor for %zu entries received, every signature verified, on %u cores: %.0f ms "
              "(verification alone), %.0f ms (with parsing)\n",
              n, cores, floor * 1000, parse * 1000);
  std::printf("target: push and fresh pull of 50,000 entries <= 1500 ms each\n");
  return 0;
}
