// The sync side of a running daemon, as the HTTP API and CLI see it.
#pragma once
#include <memory>
#include <string>

#include "motcua/canonical.hpp"
#include "motcua/result.hpp"

namespace motcua::node {
class Node;
}

namespace motcua::sync {

// On a point: syncs with the hub in the background (at config sync_interval_s
// and, with backoff, when a failed link comes back) without blocking the
// counter. On a hub: no background work; status/log still answer.
class SyncAgent {
 public:
  virtual ~SyncAgent() = default;
  virtual void start() = 0;  // background thread (point with hub_url set)
  virtual void stop() = 0;   // joins the thread; idempotent
  // Runs one full session now (point). Summary JSON: entries/bytes each way, result.
  virtual Result<Json> sync_now() = 0;
  // GET /api/v1/sync/status body.
  virtual Json status() = 0;
  // GET /api/v1/audit/sync-log body; point = "" for all, since = "" or ISO-8601.
  virtual Json sync_log(const std::string& point, const std::string& since) = 0;
  // Prometheus lines for /metrics (sync lag, bytes), each ending in '\n'.
  virtual std::string metrics() = 0;
};

std::unique_ptr<SyncAgent> make_sync_agent(node::Node& node);

}  // namespace motcua::sync
