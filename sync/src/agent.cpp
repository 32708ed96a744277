// The sync agent of a running daemon. On a point: a background thread that
// syncs every sync_interval_s and, after a failure, retries with exponential
// backoff (5 s doubling up to the interval) so a link that comes back is used
// at once. Sessions run one at a time; the journal lock is only taken per
// batch, so the counter keeps working. On a hub: status, log and metrics.
#include "motcua/sync/agent.hpp"

#include <atomic>
#include <condition_variable>
#include <iostream>
#include <sstream>
#include <thread>

#include "motcua/node/node.hpp"
#include "motcua/sync/client.hpp"
#include "motcua/sync/hub.hpp"
#include "motcua/sync/retention.hpp"
#include "sync_util.hpp"

namespace motcua::sync {

namespace {

void keep_tidy(RetentionTimer& timer, node::Node& n, bool force) {
  auto r = timer.tick(n, force);
  if (!r.ok()) std::cerr << "motcua: " << r.error().message << "\n";
}

// The route and the CLI refuse a malformed `since` before asking (400 / exit 2).
int64_t since_ms(const std::string& since) {
  auto ms = since.empty() ? Result<int64_t>(int64_t{0}) : parse_audit_since(since);
  return ms.ok() ? ms.value() : 0;
}

class HubAgent final : public SyncAgent {
 public:
  // Retention of the sync bookkeeping runs at start, then hourly with the
  // sync requests (Hub).
  explicit HubAgent(node::Node& node) : hub_(node, make_sqlite_hub_store(node)) { keep_tidy(retention_, node, true); }
  void start() override {}
  void stop() override {}
  Result<Json> sync_now() override {
    return make_error("not_a_point", "a hub does not sync by itself; its points sync with it");
  }
  Json status() override { return Json{{"role", "hub"}, {"points", hub_.points()}}; }
  Json sync_log(const std::string& point, const std::string& since) override {
    return hub_.sync_log(point, since_ms(since));
  }
  std::string metrics() override { return hub_.metrics(); }

 private:
  Hub hub_;
  RetentionTimer retention_;
};

class PointAgent final : public SyncAgent {
 public:
  // Retention of the sync bookkeeping runs at start and, hourly, after a session.
  explicit PointAgent(node::Node& node) : node_(node) { keep_tidy(retention_, node_, true); }
  ~PointAgent() override { stop(); }

  void start() override {
    std::lock_guard<std::mutex> g(mu_);
    if (thread_.joinable()) return;
    stopping_ = false;
    thread_ = std::thread([this] { loop(); });
  }

  void stop() override {
    {
      std::lock_guard<std::mutex> g(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  Result<Json> sync_now() override {
    std::lock_guard<std::mutex> session(session_mu_);
    return run_session();
  }

  Json status() override {
    Json s = point_status(node_);
    s["running"] = running_.load();
    s["failures_in_a_row"] = failures_.load();
    int64_t next = next_ms_.load();
    s["next_attempt"] = next ? Json(util::iso_utc(next)) : Json(nullptr);
    s["sync_interval_s"] = node_.config().get_int("sync_interval_s");
    return s;
  }

  Json sync_log(const std::string& point, const std::string& since) override {
    return point_sync_log(node_, point, since_ms(since));
  }

  std::string metrics() override {
    Json s = point_status(node_);
    const int64_t now = node_.clock().now_ms();
    int64_t last = util::state_get_int(node_, "last_success_ms");
    std::ostringstream m;
    m << "# HELP motcua_sync_lag_seconds Seconds since the last successful sync with the hub.\n"
         "# TYPE motcua_sync_lag_seconds gauge\n"
      << "motcua_sync_lag_seconds " << (last ? (now - last) / 1000 : -1) << "\n"
      << "# HELP motcua_sync_waiting_entries Entries waiting to be synced, by direction.\n"
         "# TYPE motcua_sync_waiting_entries gauge\n"
      << "motcua_sync_waiting_entries{direction=\"up\"} " << s["waiting_up"]["entries"].get<int64_t>() << "\n"
      << "motcua_sync_waiting_entries{direction=\"down\"} " << s["waiting_down"]["entries"].get<int64_t>() << "\n"
      << "# HELP motcua_sync_waiting_blobs Attachments referenced by this point's dossiers not yet settled with the hub.\n"
         "# TYPE motcua_sync_waiting_blobs gauge\n"
      << "motcua_sync_waiting_blobs " << s.value("blobs_waiting", int64_t{0}) << "\n"
      << "# HELP motcua_sync_connected 1 when the last sync attempt succeeded.\n# TYPE motcua_sync_connected gauge\n"
      << "motcua_sync_connected " << (s["connected"].get<bool>() ? 1 : 0) << "\n"
      << sync_counters_metrics(make_sqlite_hub_store(node_)->counters(), false);
    return m.str();
  }

 private:
  Result<Json> run_session() {
    std::string url = node_.config().get("hub_url");
    if (url.empty()) return make_error("no_hub", "no hub configured (run: motcua join --hub URL --code CODE)", "hub_url");
    if (!transport_ || url != url_) {
      auto t = hub_transport(node_, url);
      if (!t.ok()) return t.error();
      transport_ = std::move(t.value());
      url_ = url;
    }
    running_ = true;
    auto r = sync_once(node_, *transport_);
    running_ = false;
    if (r.ok()) failures_ = 0;
    else failures_++;
    keep_tidy(retention_, node_, false);
    return r;
  }

  void loop() {
    std::unique_lock<std::mutex> lk(mu_);
    while (!stopping_) {
      int64_t interval_s = std::max<int64_t>(1, node_.config().get_int("sync_interval_s"));
      int64_t wait_s = interval_s;
      if (failures_ > 0) wait_s = std::min<int64_t>(interval_s, int64_t{5} << std::min(failures_.load() - 1, 10));
      if (!first_) {
        next_ms_ = node_.clock().now_ms() + wait_s * 1000;
        cv_.wait_for(lk, std::chrono::seconds(wait_s), [&] { return stopping_; });
        if (stopping_) break;
      }
      first_ = false;
      lk.unlock();
      if (!node_.config().get("hub_url").empty()) {
        std::lock_guard<std::mutex> session(session_mu_);
        auto r = run_session();
        if (!r.ok() && r.error().code != "no_hub")
          std::cerr << "motcua sync: " << r.error().message << " (" << r.error().code << "); retrying with backoff\n";
      }
      lk.lock();
    }
    next_ms_ = 0;
  }

  node::Node& node_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool first_ = true;
  std::thread thread_;
  std::mutex session_mu_;
  std::unique_ptr<Transport> transport_;
  std::string url_;
  std::atomic<bool> running_{false};
  std::atomic<int> failures_{0};
  std::atomic<int64_t> next_ms_{0};
  RetentionTimer retention_;
};

}  // namespace

std::unique_ptr<SyncAgent> make_sync_agent(node::Node& node) {
  if (node.role() == node::Role::Hub) return std::make_unique<HubAgent>(node);
  return std::make_unique<PointAgent>(node);
}

}  // namespace motcua::sync
