// The daemon behind `motcua serve`: the local HTTP API of API.md, /healthz,
// /metrics, the node-to-node sync endpoints, and the background sync agent.
// Runs in-process too (tests start it on an ephemeral port and stop it).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "motcua/result.hpp"

namespace motcua::node {
class Node;
}

namespace motcua::sync {

struct DaemonOptions {
  std::string host = "127.0.0.1";
  int port = 8080;              // 0: any free port (read it from Daemon::port())
  int64_t max_body_bytes = 0;   // 0: config max_body_bytes (JSON bodies)
  int64_t max_blob_bytes = 0;   // 0: config max_blob_bytes (attachments)
  int64_t session_ttl_s = 0;    // 0: config session_ttl_s
  int64_t session_idle_s = 0;   // 0: config session_idle_s (a session unused this long ends)
  int threads = 8;              // request workers kept when idle (more start with the connections)
  int max_connections = 0;      // 0: config max_connections
  int max_connections_per_client = 0;  // 0: config max_connections_per_client
  int head_timeout_ms = 0;      // 0: config request_head_timeout_s
  bool background_sync = true;  // start the sync agent's thread (point with hub_url)
  bool fast_password_hash = false;  // tests only: minimal Argon2id cost
  // HTTPS: PEM certificate and key; empty: config tls_cert / tls_key; all
  // empty: plain HTTP. A certificate that does not load makes bind() fail
  // ("tls_failed", field tls_cert), never a fallback to HTTP.
  std::string tls_cert, tls_key;
  // Receives one line per request (and a few lifecycle lines), without the
  // trailing newline. Default: written to stderr.
  std::function<void(const std::string& line)> log;
};

// Caps glibc's malloc arenas at the machine's cores (at least 2, at most 8)
// for this process, before its threads start. By default every request
// thread may take an arena of its own (up to 8 per core), and memory freed
// in one is not reused by another: the hub's peak RSS in sync_bench was 73 MB
// with the default and 50 MB with this (docs/design/0119). `motcua` calls it
// first thing; benches that stand in for it call it too.
void tune_allocator();

// "HOST:PORT" or "[IPv6]:PORT" into opt.host and opt.port; invalid_value
// with field "listen" otherwise.
Status parse_listen(const std::string& listen, DaemonOptions& opt);

class Daemon {
 public:
  // REQUIRES: `node` outlives the daemon.
  Daemon(node::Node& node, DaemonOptions opt);
  ~Daemon();  // stops and waits if still running
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Opens the listening socket. Error "listen_failed" if the address is taken
  // or invalid. Afterwards port() is the real port.
  Status bind();
  int port() const;
  // Serves until stop(): binds first if needed, starts the sync agent, and
  // returns once the listener is closed, in-flight requests have finished and
  // the sync agent has stopped.
  Status run();
  // Thread-safe and idempotent; may be called before or during run(). Does
  // not wait (run() returns when the daemon is down).
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace motcua::sync
