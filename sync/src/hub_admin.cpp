// Hub administration: points, enrolment codes, revocation, audit and metrics.
#include <algorithm>
#include <chrono>
#include <map>
#include <sstream>
#include <string_view>

#include "admission.hpp"
#include "hub_internal.hpp"
#include "hub_scope.hpp"
#include "sync_util.hpp"

namespace motcua::sync {

namespace {

constexpr int64_t kRecentAlertsMs = 7LL * 24 * 3600 * 1000;

std::string new_code(Random& rng) {
  static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";  // 32 letters, no 0/O/1/I
  uint8_t b[12];
  rng.fill(b, sizeof b);
  std::string code;
  for (int i = 0; i < 12; ++i) {
    if (i && i % 4 == 0) code.push_back('-');
    code.push_back(alphabet[b[i] % 32]);
  }
  return code;
}

bool valid_name(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

std::string label(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

}  // namespace

namespace {

// `n` decimal digits of s at i (advances i).
bool digits(std::string_view s, size_t& i, size_t n, int& out) {
  if (i + n > s.size()) return false;
  out = 0;
  for (size_t k = 0; k < n; ++k) {
    char c = s[i + k];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  i += n;
  return true;
}

}  // namespace

Result<int64_t> parse_audit_since(const std::string& text) {
  using namespace std::chrono;
  const std::string_view s = text;
  auto bad = [&](const std::string& why) {
    return make_error("invalid_value",
                      "since must be YYYY-MM-DD (UTC) or YYYY-MM-DDTHH:MM[:SS[.fff]] with Z or an offset like "
                      "+07:00; '" + text.substr(0, 40) + "' " + why,
                      "since");
  };
  size_t i = 0;
  int y = 0, mo = 0, d = 0;
  if (!digits(s, i, 4, y) || i >= s.size() || s[i++] != '-' || !digits(s, i, 2, mo) || i >= s.size() ||
      s[i++] != '-' || !digits(s, i, 2, d))
    return bad("is not of that form");
  const year_month_day day{year{y}, month{static_cast<unsigned>(mo)}, std::chrono::day{static_cast<unsigned>(d)}};
  if (!day.ok()) return bad("is not a date of the calendar");
  if (y < 1970) return bad("is before 1970");
  sys_time<milliseconds> t = sys_days{day};
  if (i == s.size()) return static_cast<int64_t>(t.time_since_epoch().count());
  if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return bad("is not of that form");
  ++i;
  int hh = 0, mi = 0, ss = 0;
  if (!digits(s, i, 2, hh) || i >= s.size() || s[i++] != ':' || !digits(s, i, 2, mi)) return bad("is not of that form");
  bool have_seconds = false;
  if (i < s.size() && s[i] == ':') {
    ++i;
    if (!digits(s, i, 2, ss)) return bad("is not of that form");
    have_seconds = true;
  }
  if (hh > 23 || mi > 59 || ss > 59) return bad("is not a time of day");
  t += hours{hh} + minutes{mi} + seconds{ss};
  if (have_seconds && i < s.size() && s[i] == '.') {
    ++i;
    size_t first = i;
    int64_t ms = 0, scale = 100;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      ms += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
    if (i == first || i - first > 9) return bad("has a malformed fraction of a second");
    t += milliseconds{ms};
  }
  if (i == s.size()) return bad("has no time zone: add Z (UTC) or an offset like +07:00");
  if (s[i] == 'Z' || s[i] == 'z') {
    ++i;
  } else if (s[i] == '+' || s[i] == '-') {
    const bool east = s[i++] == '+';
    int oh = 0, om = 0;
    if (!digits(s, i, 2, oh)) return bad("has a malformed offset");
    if (i < s.size() && s[i] == ':') ++i;
    if (!digits(s, i, 2, om)) return bad("has a malformed offset");
    if (oh > 23 || om > 59) return bad("has an impossible offset");
    const minutes off = hours{oh} + minutes{om};
    t -= east ? off : -off;
  } else {
    return bad("has a malformed time zone");
  }
  if (i != s.size()) return bad("has extra characters at the end");
  return static_cast<int64_t>(std::max<int64_t>(0, t.time_since_epoch().count()));
}

Json sync_log_row_json(const SyncLogRow& r, int64_t now_ms, int64_t session_ttl_ms) {
  std::string result = r.result;
  if (result == "running" && now_ms - std::max(r.started_ms, r.ended_ms) > session_ttl_ms) result = "interrupted";
  return Json{{"id", r.id},
              {"point", r.point},
              {"start", util::iso_utc(r.started_ms)},
              {"end", r.ended_ms ? Json(util::iso_utc(r.ended_ms)) : Json(nullptr)},
              {"entries_up", r.entries_up},
              {"entries_down", r.entries_down},
              {"bytes_up", r.bytes_up},
              {"bytes_down", r.bytes_down},
              {"receipts", r.receipts},
              {"result", result},
              {"error", r.error.empty() ? Json(nullptr) : Json(r.error)},
              {"skew_ms", r.skew_ms}};
}

Json alert_json(const Alert& a) {
  return Json{{"at", util::iso_utc(a.at_ms)},
              {"last_at", util::iso_utc(a.last_ms ? a.last_ms : a.at_ms)},
              {"count", a.count},
              {"point", a.point},
              {"source", a.source},
              {"kind", a.kind},
              {"detail", a.detail}};
}

std::string sync_counters_metrics(const SyncCounters& c, bool hub) {
  std::ostringstream m;
  const char* from = hub ? " by direction from the point" : " by direction";
  m << "# HELP motcua_sync_bytes_total Sync bytes on the wire (compressed)," << from << ".\n"
    << "# TYPE motcua_sync_bytes_total counter\n"
    << "motcua_sync_bytes_total{direction=\"up\"} " << c.bytes_up << "\n"
    << "motcua_sync_bytes_total{direction=\"down\"} " << c.bytes_down << "\n"
    << "# HELP motcua_sync_entries_total Journal entries synced," << from << ".\n"
    << "# TYPE motcua_sync_entries_total counter\n"
    << "motcua_sync_entries_total{direction=\"up\"} " << c.entries_up << "\n"
    << "motcua_sync_entries_total{direction=\"down\"} " << c.entries_down << "\n"
    << "# HELP motcua_sync_receipts_total Signed receipts stored" << (hub ? " (issued to points)" : " (from the hub)")
    << ".\n# TYPE motcua_sync_receipts_total counter\n"
    << "motcua_sync_receipts_total " << c.receipts << "\n"
    << "# HELP motcua_sync_sessions_total Sync sessions by result, counted when a session's result becomes it.\n"
       "# TYPE motcua_sync_sessions_total counter\n";
  for (const auto& [k, v] : c.sessions) m << "motcua_sync_sessions_total{result=\"" << label(k) << "\"} " << v << "\n";
  if (hub) {
    int64_t alerts = 0;
    for (const auto& [k, v] : c.alerts) alerts += v;
    m << "# HELP motcua_sync_alerts_total Security and sync alert occurrences (a folded alert counts each).\n"
         "# TYPE motcua_sync_alerts_total counter\n"
      << "motcua_sync_alerts_total " << alerts << "\n"
      << "# HELP motcua_sync_enrolments_throttled_total Enrolment requests answered 429 (too many refused from "
         "their address), saved at most a minute late.\n"
         "# TYPE motcua_sync_enrolments_throttled_total counter\n"
      << "motcua_sync_enrolments_throttled_total " << c.enrolments_throttled << "\n";
  }
  return m.str();
}

Result<EnrolmentCode> Hub::add_point(const PointAddOptions& o) try {
  if (!valid_name(o.name))
    return make_error("invalid_value", "point name must be 1-64 letters, digits, '-', '_' or '.'", "name");
  if (o.replace) return replace_point(o);
  if (o.area.empty()) return make_error("invalid_value", "a point needs an area (--area)", "area");
  if (o.place_name.size() > 200) return make_error("invalid_value", "the place name is too long (at most 200 bytes)", "place_name");
  if (o.daily_capacity < 1 || o.daily_capacity > 9999)
    return make_error("invalid_value", "daily capacity must be 1..9999", "daily_capacity");
  if (o.lease_days < 1 || o.lease_days > 366) return make_error("invalid_value", "lease days must be 1..366", "lease_days");
  if (o.code_ttl_ms < 3600 * 1000 || o.code_ttl_ms > 30LL * 24 * 3600 * 1000)
    return make_error("invalid_value", "an enrolment code lives 1 to 720 hours", "expires_hours");
  const std::string agency = o.agency_code.empty() ? node_.meta("agency_code") : o.agency_code;
  if (agency.empty() || agency.size() > 64 || agency.find_first_of(" \t\r\n") != std::string::npos)
    return make_error("invalid_value", "a point needs its agency code (--agency), at most 64 characters, no spaces",
                      "agency_code");
  // Each item may be a spec (counter, officer, all, a comma list) or an event type.
  std::vector<std::string> acts;
  for (const auto& a : o.acts) {
    auto known = parse_acts(a);
    if (!known.ok()) return known.error();
    for (const auto& t : known.value())
      if (std::find(acts.begin(), acts.end(), t) == acts.end()) acts.push_back(t);
  }
  if (acts.empty()) acts = counter_acts();
  const int64_t now = node_.clock().now_ms();
  auto existing = store_->point(o.name);
  if (existing && existing->status != "pending")
    return make_error("conflict", "point '" + o.name + "' is already " + existing->status, "name");
  // A point not joined yet may get another code, but only for what it was
  // registered with: the new code must not seem to change its area or size.
  if (existing && (existing->area != o.area || existing->daily_capacity != o.daily_capacity ||
                   existing->lease_days != o.lease_days || existing->agency_code != agency || existing->acts != acts))
    return make_error("conflict",
                      "point '" + o.name + "' is registered (not joined yet) with area " + existing->area +
                          ", agency " + existing->agency_code + ", " +
                          std::to_string(existing->daily_capacity) + " numbers a day, " +
                          std::to_string(existing->lease_days) +
                          " days ahead; give the same values for another code (earlier codes stay valid until they "
                          "expire)",
                      "name");
  if (!existing) {
    PointRecord p;
    p.name = o.name;
    p.area = o.area;
    p.daily_capacity = o.daily_capacity;
    p.lease_days = o.lease_days;
    p.status = "pending";
    p.created_ms = now;
    p.place_name = o.place_name;
    p.agency_code = agency;
    p.acts = acts;
    Status s = store_->add_point(p);
    if (!s.ok()) return s.error();
  }
  EnrolmentCode c{new_code(node_.random()), now + o.code_ttl_ms};
  Status s = store_->add_enrolment_code(blake2b256(c.code), auth::code_id(c.code), auth::enrol_key(c.code), o.name,
                                        c.expires_ms);
  if (!s.ok()) return s.error();
  return c;
} catch (const std::exception&) {
  return util::current_error();
}

Result<EnrolmentCode> Hub::replace_point(const PointAddOptions& o) try {
  // A code for a new PC that continues an enrolled point (its PC died). It
  // names the key it replaces; nothing changes until a new key uses it, so a
  // code issued by mistake costs nothing (docs/sync-protocol.md 15.3).
  if (o.code_ttl_ms < 3600 * 1000 || o.code_ttl_ms > 30LL * 24 * 3600 * 1000)
    return make_error("invalid_value", "an enrolment code lives 1 to 720 hours", "expires_hours");
  auto existing = store_->point(o.name);
  if (!existing)
    return make_error("not_found", "no point named '" + o.name + "' (--replace continues an enrolled point)", "name");
  if (existing->status == "pending" || !existing->key)
    return make_error("conflict",
                      "point '" + o.name + "' has not joined yet: give it a code with point add (without --replace)",
                      "name");
  EnrolmentCode c{new_code(node_.random()), node_.clock().now_ms() + o.code_ttl_ms};
  Status s = store_->add_enrolment_code(blake2b256(c.code), auth::code_id(c.code), auth::enrol_key(c.code), o.name,
                                        c.expires_ms, *existing->key);
  if (!s.ok()) return s.error();
  return c;
} catch (const std::exception&) {
  return util::current_error();
}

Status Hub::revoke_point(const std::string& name) try {
  auto existing = store_->point(name);
  if (existing && existing->status == "revoked")
    return make_error("conflict", "point '" + name + "' was revoked already", "name");
  // The point's last admitted entry: what it signed up to now stays, nothing
  // after it is admitted from anyone (admission rule 1).
  int64_t seq = 0;
  Hash32 id{};
  if (existing && existing->key) {
    auto last = last_admitted(node_, *existing->key);
    if (last) seq = last->first, id = last->second;
  }
  Status s = store_->revoke_point(name, node_.clock().now_ms(), seq, id);
  if (s.ok())
    impl_->alert(name, "revoked",
                 "point key revoked by an admin; its entries up to #" + std::to_string(seq) +
                     (seq ? " (" + to_hex(id).substr(0, 16) + "…)" : std::string()) +
                     " stay, nothing it signs after that is admitted",
                 node_.clock().now_ms());
  return s;
} catch (const std::exception&) {
  return util::current_error();
}

Json Hub::points() {
  const int64_t now = node_.clock().now_ms();
  scope::catch_up(node_);
  Json out = Json::array();
  std::map<std::string, int64_t> recent_alerts;  // by point: alerts whose last occurrence is within 7 days
  for (const auto& a : store_->alerts("", std::max<int64_t>(0, now - kRecentAlertsMs))) recent_alerts[a.point]++;
  for (const auto& p : store_->points()) {
    Json j = point_json(p);
    j["place_name"] = p.place_name;
    j["status"] = p.status;
    j["revoked"] = p.status == "revoked";
    j["revoked_at"] = p.revoked_ms ? Json(util::iso_utc(p.revoked_ms)) : Json(nullptr);
    j["alerts"] = recent_alerts[p.name];
    j["lease_days"] = p.lease_days;
    j["key"] = p.key ? Json(to_hex(*p.key)) : Json(nullptr);
    j["agency_code"] = p.agency_code;
    j["acts"] = p.acts;
    j["revoked_seq"] = p.revoked_seq;
    j["enrolled_at"] = p.enrolled_ms ? Json(util::iso_utc(p.enrolled_ms)) : Json(nullptr);
    j["last_seen"] = p.last_seen_ms ? Json(util::iso_utc(p.last_seen_ms)) : Json(nullptr);
    j["last_success"] = p.last_success_ms ? Json(util::iso_utc(p.last_success_ms)) : Json(nullptr);
    j["skew_ms"] = p.skew_ms;
    j["clock_skew_ms"] = p.skew_ms;
    j["pull_cursor"] = p.pull_cursor;
    j["sent_cursor"] = p.sent_cursor;
    j["epoch"] = p.epoch;  // of the point's database, as its last hello reported (docs/sync-protocol.md 13.4)
    // Keys the point had before a succession (restore --from-hub), oldest first.
    Json former = Json::array();
    for (const auto& sc : store_->successions(p.name))
      former.push_back(Json{{"key", to_hex(sc.old_key)},
                            {"replaced_at", util::iso_utc(sc.at_ms)},
                            {"revoked_seq", sc.revoked_seq}});
    j["former_keys"] = former;
    j["lag_entries"] = p.status == "active" ? impl_->lag_entries(p) : 0;
    j["lag_seconds"] = p.last_success_ms ? Json((now - p.last_success_ms) / 1000) : Json(nullptr);
    out.push_back(j);
  }
  return out;
}

Json Hub::sync_log(const std::string& point, int64_t since_ms) {
  SyncLogQuery q;
  q.point = point;
  q.since_ms = since_ms;
  return sync_log(q);
}

Json Hub::sync_log(SyncLogQuery query) {
  const int64_t now = node_.clock().now_ms();
  query.stale_before_ms = now - opt_.session_ttl_ms;
  Json sessions = Json::array();
  for (const auto& r : store_->sessions_where(query)) sessions.push_back(sync_log_row_json(r, now, opt_.session_ttl_ms));
  Json alerts = Json::array();
  for (const auto& a : store_->alerts(query.point, query.since_ms)) alerts.push_back(alert_json(a));
  return Json{{"role", "hub"}, {"sessions", sessions}, {"alerts", alerts}};
}

int64_t Hub::Impl::lag_entries(const PointRecord& p) {
  std::lock_guard<std::mutex> g(pending_mu);
  return scope::pending(node, p, p.sent_cursor, pending_memo[p.name]);
}

std::string Hub::metrics() {
  const int64_t now = node_.clock().now_ms();
  scope::catch_up(node_);
  std::ostringstream m;
  auto pts = store_->points();
  m << "# HELP motcua_sync_point_lag_entries Entries in a point's scope that it has not pulled yet.\n"
       "# TYPE motcua_sync_point_lag_entries gauge\n";
  for (const auto& p : pts)
    if (p.status == "active")
      m << "motcua_sync_point_lag_entries{point=\"" << label(p.name) << "\"} " << impl_->lag_entries(p) << "\n";
  m << "# HELP motcua_sync_point_lag_seconds Seconds since the point's last successful sync.\n"
       "# TYPE motcua_sync_point_lag_seconds gauge\n";
  for (const auto& p : pts)
    if (p.status == "active" && p.last_success_ms)
      m << "motcua_sync_point_lag_seconds{point=\"" << label(p.name) << "\"} " << (now - p.last_success_ms) / 1000 << "\n";
  m << "# HELP motcua_sync_point_skew_seconds Hub clock minus the point's clock at its last request.\n"
       "# TYPE motcua_sync_point_skew_seconds gauge\n";
  for (const auto& p : pts)
    if (p.status == "active" && p.last_seen_ms)
      m << "motcua_sync_point_skew_seconds{point=\"" << label(p.name) << "\"} " << p.skew_ms / 1000 << "\n";
  // One sample with its HELP and TYPE lines.
  auto sample = [&m](const std::string& name, const char* type, const std::string& help, uint64_t value) {
    m << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n" << name << " " << value << "\n";
  };
  const SessionSlots::Stats sl = impl_->slots.stats(node_.clock().now_ms());
  sample("motcua_sync_sessions_active", "gauge",
         "Points syncing with this hub process now (places held, docs/design/0121).", sl.held);
  sample("motcua_sync_sessions_max", "gauge",
         "Points this hub process syncs at once (config hub_max_sessions; 0: no cap).", sl.cap);
  sample("motcua_sync_sessions_busy_total", "counter",
         "Hellos answered 503 hub_busy (every place held), since start.", sl.busy_total);
  sample("motcua_sync_sessions_waiting", "gauge",
         "Points told hub_busy in the last 2 minutes that have not had a place since.", sl.waiting);
  const FifoGate::Stats g = impl_->push_gate.stats();
  sample("motcua_sync_pushes_inside", "gauge",
         "Pushes being verified or stored by this hub process now (at most " +
             std::to_string(impl_->push_gate.width()) + ").",
         g.inside);
  sample("motcua_sync_pushes_waiting", "gauge", "Pushes waiting for their turn in this hub process now.", g.waiting);
  sample("motcua_sync_pushes_total", "counter", "Pushes this hub process took in since it started.", g.passed);
  sample("motcua_sync_pushes_waited_total", "counter", "Pushes that had to wait for their turn, since start.", g.waited);
  m << sync_counters_metrics(store_->counters(), true);
  return m.str();
}

}  // namespace motcua::sync
