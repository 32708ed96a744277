#include "motcua/sync/retention.hpp"

#include <iostream>

#include "motcua/node/node.hpp"
#include "sync_util.hpp"

namespace motcua::sync {

namespace {

constexpr int64_t kDayMs = 24 * 3600 * 1000LL;

int64_t cutoff(node::Node& n, const char* key, int64_t now_ms) {
  const int64_t days = n.config().get_int(key);  // config refuses more than 36500
  return days > 0 ? now_ms - days * kDayMs : 0;
}

}  // namespace

RetentionPolicy retention_policy(node::Node& n, int64_t now_ms, int64_t session_ttl_ms) {
  RetentionPolicy p;
  p.now_ms = now_ms;
  p.sync_log_before_ms = cutoff(n, "retention_sync_log_days", now_ms);
  p.receipts_before_ms = cutoff(n, "retention_receipt_days", now_ms);
  p.alerts_before_ms = cutoff(n, "retention_alert_days", now_ms);
  p.interrupted_before_ms = now_ms - session_ttl_ms;
  return p;
}

Result<RetentionReport> apply_retention(node::Node& n, int64_t session_ttl_ms) {
  try {
    const int64_t now = n.clock().now_ms();
    RetentionReport r = open_hub_store(n)->apply_retention(retention_policy(n, now, session_ttl_ms));
    util::state_set(n, "retention_last_ms", std::to_string(now));
    if (r.sessions + r.receipts + r.alerts + r.interrupted > 0)
      std::cerr << "motcua: retention: removed " << r.sessions << " sync log rows, " << r.receipts << " receipts, "
                << r.alerts << " alerts; " << r.interrupted
                << " sessions marked interrupted\n";
    return r;
  } catch (const std::exception& e) {
    return make_error("database_error", std::string("retention of the sync bookkeeping failed: ") + e.what());
  }
}

Result<std::optional<RetentionReport>> RetentionTimer::tick(node::Node& n, bool force, int64_t session_ttl_ms) {
  std::lock_guard<std::mutex> g(mu_);
  const int64_t now = n.clock().now_ms();
  if (!force && now < next_check_ms_) return std::optional<RetentionReport>();
  try {
    const int64_t last = util::state_get_int(n, "retention_last_ms");
    if (!force && last > 0 && now - last < kEveryMs && now >= last) {
      next_check_ms_ = last + kEveryMs;
      return std::optional<RetentionReport>();
    }
  } catch (const std::exception& e) {
    return make_error("database_error", std::string("cannot read when retention last ran: ") + e.what());
  }
  next_check_ms_ = now + kEveryMs;
  auto r = apply_retention(n, session_ttl_ms);
  if (!r.ok()) return r.error();
  return std::optional<RetentionReport>(r.value());
}

}  // namespace motcua::sync
