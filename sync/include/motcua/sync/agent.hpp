// The sync side of a running daemon, as the HTTP API and CLI see it.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "motcua/canonical.hpp"
#include "motcua/result.hpp"
#include "motcua/sync/transport.hpp"

namespace motcua::node {
class Node;
}

namespace motcua::sync {

class Hub;
struct SyncLogQuery;

// On a point: syncs with the hub in the background (at config sync_interval_s
// and, with backoff, when a failed link comes back) without blocking the
// counter. Whatever a session runs into (a busy or full database, a damaged
// stored value, a garbled hub answer) is caught, logged, counted and retried:
// the background thread ends only with stop(). On a hub: no background work;
// status/log still answer.
class SyncAgent {
 public:
  virtual ~SyncAgent() = default;
  virtual void start() = 0;  // background thread (point with hub_url set)
  virtual void stop() = 0;   // joins the thread; idempotent
  // Runs one full session now (point). Summary JSON: entries/bytes each way, result.
  virtual Result<Json> sync_now() = 0;
  // GET /api/v1/sync/status body. For the always-visible status: "state"
  // ("syncing" while a session runs, "connected" when the last attempt
  // succeeded, else "disconnected"), "entries_waiting" and
  // "attachments_waiting" (to send to the hub), "last_success_at" (ISO 8601
  // with Vietnam's offset, or null) and, while syncing, "progress" {done,
  // total} in journal entries. A hub: "connected" and zeros. On a point also:
  // "background" (the thread runs), "errors_total" (failed attempts since
  // start) and "last_failure" ({code, message, at} or null).
  virtual Json status() = 0;
  // GET /api/v1/audit/sync-log body; point = "" for all, since = "" or ISO-8601.
  virtual Json sync_log(const std::string& point, const std::string& since) = 0;
  // The same with every filter (point, since, result, limit).
  virtual Json sync_log(const SyncLogQuery& query) = 0;
  // The hub this daemon is (for the admin routes); nullptr on a point.
  virtual Hub* hub() { return nullptr; }
  // Prometheus lines for /metrics (sync lag, bytes), each ending in '\n'.
  virtual std::string metrics() = 0;
};

struct AgentOptions {
  // How the point reaches the hub at `url`; default: hub_transport().
  std::function<Result<std::unique_ptr<Transport>>(const std::string& url)> transport;
  // Pause between syncs; zero: config sync_interval_s.
  std::chrono::milliseconds interval{0};
  // First pause after a failure, doubling (up to the interval) while failures go on.
  std::chrono::milliseconds retry_base{5000};
  // Receives one line of key=value fields per failed attempt; default: stderr.
  std::function<void(const std::string& fields)> log;
};

std::unique_ptr<SyncAgent> make_sync_agent(node::Node& node, AgentOptions options = {});

}  // namespace motcua::sync
