// The daemon's HTTP(S) server with the connection discipline httplib lacks:
// a deadline and a byte cap for each request head, a cap on connections per
// client address and in all, a request-body budget set by the route, and a
// worker pool that grows with the connections instead of queueing them
// behind slow ones. docs/design/0006-bounded-input.md. Shared by node/http and sync/.
#pragma once
#include <httplib.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace motcua::http {

struct ConnectionLimits {
  int head_timeout_ms = 10000;       // request line + headers, from the first wait
  size_t max_head_bytes = 32 << 10;  // request line + headers
  int keep_alive_ms = 2000;          // idle wait for the next request on a connection
  int read_timeout_ms = 30000;       // each wait for body bytes
  int write_timeout_ms = 30000;      // each wait to send
  int max_connections = 256;         // open connections in all (= most workers)
  int max_per_client = 32;           // open connections from one address
  int min_workers = 8;               // workers kept when idle
};

// What the guard refused or cut, for /metrics and the log (monotonic).
struct ConnectionCounters {
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> refused_busy{0};      // over max_connections
  std::atomic<uint64_t> refused_client{0};    // over max_per_client
  std::atomic<uint64_t> head_timeouts{0};     // head not complete in time
  std::atomic<uint64_t> head_too_large{0};    // head over max_head_bytes
  std::atomic<uint64_t> body_over_budget{0};  // body beyond the route's limit
  std::atomic<int64_t> open{0};
};

// The counters in Prometheus text format.
std::string connection_metrics(const ConnectionCounters& c);

class ConnectionGuard {
 public:
  explicit ConnectionGuard(ConnectionLimits limits) : limits_(limits) {}
  const ConnectionLimits& limits() const { return limits_; }
  ConnectionCounters& counters() { return counters_; }

  // False (and counted) when `addr` or the server is at its cap.
  bool admit(const std::string& addr);
  void release(const std::string& addr);

 private:
  ConnectionLimits limits_;
  ConnectionCounters counters_;
  std::mutex mu_;
  std::map<std::string, int> per_addr_;
  int total_ = 0;
};

// Called from httplib handlers on the worker thread that serves the request
// (no-ops outside a guarded connection):
// the head has been read; from now on at most `budget` body bytes are read
// (0: the request has no body; reads see its end at once).
void connection_head_done(uint64_t body_budget);
// The connection closes after this response (its body was not read whole).
void connection_close_after_response();
// Reads and drops the next `n` body bytes; false when they did not come.
bool connection_drain_body(uint64_t n);
// True when the current request's body went past its budget.
bool connection_body_over_budget();

std::unique_ptr<httplib::Server> make_guarded_server(std::shared_ptr<ConnectionGuard> guard);
std::unique_ptr<httplib::Server> make_guarded_tls_server(std::shared_ptr<ConnectionGuard> guard,
                                                         const std::string& cert, const std::string& key);

}  // namespace motcua::http
