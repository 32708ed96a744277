// Retention of sync bookkeeping (docs/operations.md, "Retention of sync
// bookkeeping"): old sync log rows, receipts other than the latest per point
// and author, old alerts, expired hub sessions. The /metrics
// counters are kept apart (sync_counters) and never lowered by it.
#pragma once
#include <cstdint>
#include <mutex>
#include <optional>

#include "motcua/result.hpp"
#include "motcua/sync/hub_store.hpp"

namespace motcua::node {
class Node;
}

namespace motcua::sync {

// How long a sync session may stay "running" without activity before it
// counts as interrupted (the hub's session TTL; the point uses the same).
constexpr int64_t kSessionTtlMs = 15 * 60 * 1000;

// The cut-offs at `now_ms` from the config keys retention_sync_log_days,
// retention_receipt_days and retention_alert_days (0 = keep for ever).
RetentionPolicy retention_policy(node::Node& n, int64_t now_ms, int64_t session_ttl_ms = kSessionTtlMs);

// Applies retention_policy(now) to the node's sync tables in one transaction
// and records the time in sync_state (retention_last_ms).
Result<RetentionReport> apply_retention(node::Node& n, int64_t session_ttl_ms = kSessionTtlMs);

// Runs apply_retention at most once an hour of the node's Clock, whichever
// process or object ran it last (sync_state retention_last_ms). Thread-safe.
class RetentionTimer {
 public:
  static constexpr int64_t kEveryMs = 60 * 60 * 1000;
  // nullopt when it was not due; `force`: run now (daemon start).
  Result<std::optional<RetentionReport>> tick(node::Node& n, bool force = false,
                                              int64_t session_ttl_ms = kSessionTtlMs);

 private:
  std::mutex mu_;
  int64_t next_check_ms_ = 0;
};

}  // namespace motcua::sync
