// The sync agent of a running daemon. On a point: a background thread that
// syncs every sync_interval_s and, after a failure of any kind (an Error or
// anything thrown), logs and counts it and retries with exponential backoff
// (5 s doubling up to the interval) so a link or a disk that comes back is
// used at once; the thread never ends on its own. Sessions run one at a time; the journal lock is only taken per
// batch, so the counter keeps working. On a hub: status, log and metrics.
#include "motcua/sync/agent.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
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

// Never throws: a failure of the bookkeeping's retention is only reported.
void keep_tidy(RetentionTimer& timer, node::Node& n, bool force) noexcept {
  try {
    auto r = timer.tick(n, force);
    if (!r.ok()) std::cerr << "motcua: " << r.error().message << "\n";
  } catch (const std::exception&) {
    std::cerr << "motcua: retention: " << util::current_error().message << "\n";
  }
}

// A Prometheus label value: quotes, backslashes and newlines escaped.
std::string prom_label(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

// "2025-07-01T09:00:00+07:00": an instant in Vietnam's time, for the status
// people see (the sync log keeps UTC).
std::string iso_vietnam(int64_t ms) {
  if (ms == 0) return {};
  std::string s = util::iso_utc(ms + 7LL * 3600 * 1000);
  s.pop_back();  // "Z"
  return s + "+07:00";
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
  explicit HubAgent(node::Node& node) : hub_(node, open_hub_store(node), served_hub_options(node)), node_(node) {
    keep_tidy(retention_, node, true);
  }
  void start() override {}
  void stop() override {}
  Result<Json> sync_now() override {
    return make_error("not_a_point", "a hub does not sync by itself; its points sync with it");
  }
  Json status() override {
    // A hub does not sync by itself: its own status is always "connected".
    // points_summary is what the web UI's status bar shows; the list itself
    // (each point's contact, cursors and lag) is for admins (the route).
    Json points = hub_.points();
    int64_t active = 0, pending = 0, behind = 0;
    std::string last;
    for (const auto& p : points) {
      const std::string status = p.value("status", "");
      if (status == "pending") ++pending;  // registered, its code not used yet
      if (status != "active") continue;    // revoked and quarantined points are the admin's list
      ++active;
      if (p.value("lag_entries", int64_t{0}) > 0) ++behind;
      if (p.contains("last_success") && p["last_success"].is_string()) last = std::max(last, p["last_success"].get<std::string>());
    }
    return Json{{"role", "hub"},
                {"state", "connected"},
                {"entries_waiting", 0},
                {"attachments_waiting", 0},
                {"last_success_at", nullptr},
                {"points_summary", Json{{"active", active},
                                        {"pending", pending},
                                        {"behind", behind},
                                        {"last_success", last.empty() ? Json(nullptr) : Json(last)}}},
                {"points", std::move(points)},
                {"hub_store", store_json()}};
  }
  Json sync_log(const std::string& point, const std::string& since) override {
    return hub_.sync_log(point, since_ms(since));
  }
  Json sync_log(const SyncLogQuery& q) override { return hub_.sync_log(q); }
  Hub* hub() override { return &hub_; }
  // With motcua_hub_store_info: which store the hub uses (a label, as
  // version info is shown).
  std::string metrics() override {
    const HubStoreChoice c = hub_store_choice(node_);
    return hub_.metrics() +
           "# HELP motcua_hub_store_info The store of the hub's state: sqlite or postgres (where: file or server).\n"
           "# TYPE motcua_hub_store_info gauge\n"
           "motcua_hub_store_info{store=\"" + c.kind + "\",where=\"" + prom_label(c.where) + "\"} 1\n";
  }

 private:
  Json store_json() {
    const HubStoreChoice c = hub_store_choice(node_);
    return Json{{"kind", c.kind}, {"where", c.where}};
  }

  Hub hub_;
  RetentionTimer retention_;
  node::Node& node_;
};

class PointAgent final : public SyncAgent {
 public:
  // Retention of the sync bookkeeping runs at start and, hourly, after a session.
  PointAgent(node::Node& node, AgentOptions opt) : node_(node), opt_(std::move(opt)) {
    keep_tidy(retention_, node_, true);
    if (!opt_.log)
      opt_.log = [](const std::string& fields) {
        std::string line = "motcua sync: " + fields + "\n";
        std::fwrite(line.data(), 1, line.size(), stderr);
      };
  }
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
    auto r = run_session();
    if (busy_) note_busy();
    else if (!r.ok()) note_failure(r.error());
    return r;
  }

  Json status() override {
    Json s;
    try {
      s = point_status(node_);
      s["sync_interval_s"] = node_.config().get_int("sync_interval_s");
    } catch (const std::exception&) {
      Error e = util::current_error();
      s = Json{{"role", "point"}, {"error", Json{{"code", e.code}, {"message", e.message}}}};
    }
    const bool running = running_.load();
    s["state"] = running ? "syncing" : s.value("connected", false) ? "connected" : "disconnected";
    s["entries_waiting"] = s.contains("waiting_up") ? s["waiting_up"].value("entries", int64_t{0}) : int64_t{0};
    s["attachments_waiting"] = s.value("blobs_waiting", int64_t{0});
    const int64_t last_ok = last_success_ms();
    s["last_success_at"] = last_ok ? Json(iso_vietnam(last_ok)) : Json(nullptr);
    if (running) {
      const int64_t done = progress_done_.load(), total = std::max(progress_total_.load(), done);
      s["progress"] = Json{{"done", done}, {"total", total}};
    }
    s["running"] = running;
    s["failures_in_a_row"] = failures_.load();
    int64_t next = next_ms_.load();
    s["next_attempt"] = next ? Json(util::iso_utc(next)) : Json(nullptr);
    s["background"] = looping_.load();
    s["errors_total"] = errors_total_.load();
    std::lock_guard<std::mutex> g(failure_mu_);
    s["last_failure"] = last_failure_.is_null() ? Json(nullptr) : last_failure_;
    return s;
  }

  Json sync_log(const std::string& point, const std::string& since) override {
    return point_sync_log(node_, point, since_ms(since));
  }
  Json sync_log(const SyncLogQuery& q) override { return point_sync_log(node_, q); }

  std::string metrics() override {
    std::ostringstream m;
    m << "# HELP motcua_sync_errors_total Failed sync attempts of this point since the daemon started.\n"
         "# TYPE motcua_sync_errors_total counter\n"
      << "motcua_sync_errors_total " << errors_total_.load() << "\n";
    Json s;
    int64_t last = 0;
    std::string counters;
    try {
      s = point_status(node_);
      last = util::state_get_int(node_, "last_success_ms");
      counters = sync_counters_metrics(open_hub_store(node_)->counters(), false);
    } catch (const std::exception&) {
      return m.str();  // the stored sync state cannot be read: only the counter
    }
    const int64_t now = node_.clock().now_ms();
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
      << counters;
    return m.str();
  }

 private:
  // One session; never throws (anything thrown below is its Error).
  Result<Json> run_session() {
    try {
      std::string url = node_.config().get("hub_url");
      if (url.empty())
        return make_error("no_hub", "no hub configured (run: motcua join --hub URL --code CODE)", "hub_url");
      if (!transport_ || url != url_) {
        auto t = opt_.transport ? opt_.transport(url) : hub_transport(node_, url);
        if (!t.ok()) return t.error();
        transport_ = std::move(t.value());
        url_ = url;
      }
      // Progress for the status: entries moved so far out of what was
      // known to be waiting each way when the session began.
      progress_done_ = 0;
      progress_total_ = waiting_entries();
      ClientOptions co;
      co.progress = [this](const SyncProgress& p) { progress_done_ = p.entries_up + p.entries_down; };
      running_ = true;
      auto r = sync_once(node_, *transport_, co);
      running_ = false;
      // A busy hub is not a failure: nothing went wrong, the point comes
      // back when the hub said (docs/design/0121), not after a backoff.
      busy_ = !r.ok() && r.error().code == "hub_busy";
      if (r.ok()) failures_ = 0;
      else if (!busy_) failures_++;
      keep_tidy(retention_, node_, false);
      return r;
    } catch (...) {
      running_ = false;
      failures_++;
      return util::current_error();
    }
  }

  // Entries to push (own, not yet held by the hub) plus those the hub said
  // were left to pull; 0 when the bookkeeping cannot be read.
  int64_t waiting_entries() noexcept {
    try {
      auto [entries, bytes] = util::author_backlog(node_, node_.keys().pk, util::state_get_int(node_, "hub_has_self"));
      (void)bytes;
      return entries + util::state_get_int(node_, "pending_down");
    } catch (...) {
      return 0;
    }
  }

  int64_t last_success_ms() noexcept {
    try {
      return util::state_get_int(node_, "last_success_ms");
    } catch (...) {
      return 0;
    }
  }

  // Counts and logs a failed attempt; a full or unwritable disk also tells /healthz.
  void note_failure(const Error& e) noexcept {
    if (e.code == "no_hub") return;
    try {
      errors_total_++;
      {
        std::lock_guard<std::mutex> g(failure_mu_);
        last_failure_ = Json{{"code", e.code}, {"message", e.message}, {"at", util::iso_utc(node_.clock().now_ms())}};
      }
      node_.storage_health().note(e);
      std::string msg = e.message;
      for (char& c : msg)
        if (c == '\n' || c == '\r' || c == '"') c = ' ';
      opt_.log("event=sync_failed code=" + e.code + " failures_in_a_row=" + std::to_string(failures_.load()) +
               " message=\"" + msg + "\" next=retry_with_backoff");
    } catch (...) {
    }
  }

  // After hub_busy: when the hub said, with jitter (hub_busy_wait_ms).
  std::chrono::milliseconds busy_wait() noexcept {
    try {
      return std::chrono::milliseconds(hub_busy_wait_ms(node_));
    } catch (...) {  // unreadable: 1 s, and the next attempt says more
      return std::chrono::milliseconds(1000);
    }
  }

  // The pause before the next attempt: the interval, or after failures the
  // backoff (retry_base doubling, at most the interval), or what a busy hub
  // asked for.
  std::chrono::milliseconds next_wait() noexcept {
    if (busy_) return busy_wait();
    std::chrono::milliseconds interval = opt_.interval;
    if (interval.count() <= 0) {
      int64_t s = 60;
      try {
        s = std::max<int64_t>(1, node_.config().get_int("sync_interval_s"));
      } catch (...) {  // unreadable setting: the default, and try again next time
      }
      interval = std::chrono::seconds(s);
    }
    const int f = failures_.load();
    if (f <= 0) return interval;
    const auto backoff = opt_.retry_base * (int64_t{1} << std::min(f - 1, 10));
    return std::min(interval, std::chrono::duration_cast<std::chrono::milliseconds>(backoff));
  }

  void attempt() noexcept {
    try {
      if (node_.config().get("hub_url").empty()) return;
    } catch (...) {
      failures_++;
      note_failure(util::current_error());
      return;
    }
    std::lock_guard<std::mutex> session(session_mu_);
    auto r = run_session();
    if (busy_) note_busy();
    else if (!r.ok()) note_failure(r.error());
  }

  void note_busy() noexcept {
    try {
      opt_.log("event=sync_deferred code=hub_busy retry_after_ms=" +
               std::to_string(std::max<int64_t>(0, util::state_get_int(node_, "hub_busy_until_ms") - node_.clock().now_ms())));
    } catch (...) {
    }
  }

  void loop() {
    looping_ = true;
    std::unique_lock<std::mutex> lk(mu_);
    while (!stopping_) {
      const auto wait = next_wait();
      if (!first_) {
        try {
          next_ms_ = node_.clock().now_ms() + wait.count();
        } catch (...) {
        }
        cv_.wait_for(lk, wait, [&] { return stopping_; });
        if (stopping_) break;
      }
      first_ = false;
      lk.unlock();
      attempt();
      lk.lock();
    }
    next_ms_ = 0;
    looping_ = false;
  }

  node::Node& node_;
  AgentOptions opt_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool first_ = true;
  std::thread thread_;
  std::mutex session_mu_;
  std::unique_ptr<Transport> transport_;
  std::string url_;
  std::atomic<bool> running_{false};
  std::atomic<int64_t> progress_done_{0};
  std::atomic<int64_t> progress_total_{0};
  std::atomic<bool> looping_{false};
  std::atomic<int> failures_{0};
  std::atomic<bool> busy_{false};  // the last session was refused hub_busy
  std::atomic<int64_t> next_ms_{0};
  std::atomic<int64_t> errors_total_{0};
  std::mutex failure_mu_;
  Json last_failure_;
  RetentionTimer retention_;
};

}  // namespace

std::unique_ptr<SyncAgent> make_sync_agent(node::Node& node, AgentOptions options) {
  if (node.role() == node::Role::Hub) return std::make_unique<HubAgent>(node);
  return std::make_unique<PointAgent>(node, std::move(options));
}

}  // namespace motcua::sync
