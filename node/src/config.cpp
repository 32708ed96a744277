#include "motcua/node/config.hpp"

#include <charconv>

#include "motcua/schema/database.hpp"
#include "motcua/schema/storage.hpp"

namespace motcua::node {

const std::vector<ConfigKey>& config_keys() {
  static const std::vector<ConfigKey> keys = {
      {"listen", "127.0.0.1:8080", "address:port the daemon listens on"},
      {"hub_url", "", "URL of the hub this point syncs with (set by join)"},
      {"sync_interval_s", "60", "seconds between background syncs (point)"},
      {"cutoff_hour", "15", "dossiers received at or after this hour count from the next working day"},
      {"max_body_bytes", "1048576", "largest JSON request body accepted"},
      {"max_blob_bytes", "20971520", "largest attachment accepted"},
      {"max_connections", "256", "open HTTP connections in all (one worker each); more wait to be refused with 503"},
      {"max_connections_per_client", "32", "open HTTP connections from one client address"},
      {"request_head_timeout_s", "10", "seconds a client has to send a request's line and headers"},
      {"code_pattern", "{agency}-{yymmdd}-{seq4}", "dossier code pattern (Thông tư 01/2018/TT-VPCP)"},
      {"session_ttl_s", "28800", "lifetime of a login session"},
      {"session_idle_s", "1800", "a login session unused this long (seconds) ends"},
      {"tls_cert", "", "PEM certificate for HTTPS (empty: plain HTTP)"},
      {"tls_key", "", "PEM private key for HTTPS"},
      {"due_hour", "17", "local hour (Asia/Ho_Chi_Minh) a result is due on its due day"},
      {"code_block", "1-9999", "numbers of each day's dossier sequence this node mints from when it holds no leased block (empty: none)"},
      {"agency_name", "", "receiving agency's name printed on receipts (empty: the node name)"},
      {"place_name", "", "the point's place name printed on forms, e.g. \"Bộ phận một cửa xã Ân Thi\" (empty: agency_name, then the node name)"},
      {"max_clock_offset_s", "300", "seconds a remote clock may be ahead of this one: later stamps are not adopted by the clock, and the hub quarantines entries stamped beyond its own time plus this"},
      {"retention_sync_log_days", "180", "days sync sessions stay in the sync log (0: for ever)"},
      {"retention_receipt_days", "180", "days receipts are kept besides the latest per point and author (0: for ever)"},
      {"retention_alert_days", "365", "days an alert is kept after its last occurrence (0: for ever)"},
      {"hub_store", "sqlite", "(hub) where the hub keeps its state: sqlite (its own database) or postgres (hub_postgres); set before the first serve"},
      {"hub_max_sessions", "0", "(hub) points a hub process syncs at once; a further point is told 503 hub_busy and when to try again (0: four per core, at least 8)"},
      {"hub_postgres", "", "(hub) libpq connection string of the hub's PostgreSQL database, e.g. 'host=/run/postgresql dbname=motcua user=motcua'; never a password (PGPASSFILE, ~/.pgpass)"},
  };
  return keys;
}

static const ConfigKey* find_key(const std::string& k) {
  for (const auto& c : config_keys())
    if (c.key == k) return &c;
  return nullptr;
}

std::string Config::get(const std::string& key) const {
  std::lock_guard<std::recursive_mutex> g(*mu_);
  SQLite::Statement q(*db_, "SELECT value FROM config WHERE key = ?");
  q.bind(1, key);
  if (q.executeStep()) return q.getColumn(0).getString();
  const ConfigKey* c = find_key(key);
  return c ? c->default_value : std::string();
}

int64_t Config::get_int(const std::string& key) const {
  std::string v = get(key);
  int64_t out = 0;
  std::from_chars(v.data(), v.data() + v.size(), out);
  return out;
}

Status Config::set(const std::string& key, const std::string& value) try {
  const ConfigKey* c = find_key(key);
  if (!c) return make_error("unknown_key", "unknown setting '" + key + "' (see: motcua config list)", key);
  bool numeric = !c->default_value.empty() &&
                 c->default_value.find_first_not_of("0123456789") == std::string::npos;
  if (numeric) {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc() || p != value.data() + value.size() || v < 0)
      return make_error("invalid_value", "'" + key + "' must be a non-negative whole number", key);
    const bool hour = key.size() > 5 && key.compare(key.size() - 5, 5, "_hour") == 0;
    if (hour && v > 23) return make_error("invalid_value", key + " must be an hour 0..23", key);
    if (key.rfind("retention_", 0) == 0 && v > 36500)
      return make_error("invalid_value", key + " must be 0..36500 days (0: keep for ever)", key);
  }
  if (key == "listen") {
    size_t colon = value.rfind(':');
    int port = 0;
    const char* end = value.data() + value.size();
    auto [p, ec] = colon == std::string::npos ? std::from_chars(end, end, port)
                                              : std::from_chars(value.data() + colon + 1, end, port);
    if (colon == std::string::npos || colon == 0 || ec != std::errc() || p != end || port < 0 || port > 65535)
      return make_error("invalid_value", "listen must be HOST:PORT with a port 0..65535 (0: any free port), e.g. 127.0.0.1:8080", key);
  }
  // The hub's rules for these two (hub only, reachable, no switch once the
  // hub holds points) need the sync layer: sync::set_node_config.
  if (key == "hub_store" && value != "sqlite" && value != "postgres")
    return make_error("invalid_value", "hub_store must be sqlite or postgres", key);
  if (key == "code_pattern" && value.find("{seq4}") == std::string::npos)
    return make_error("invalid_value", "code_pattern must contain {seq4}", key);
  std::lock_guard<std::recursive_mutex> g(*mu_);
  SQLite::Statement up(*db_, "INSERT OR REPLACE INTO config (key, value) VALUES (?, ?)");
  up.bind(1, key);
  up.bind(2, value);
  up.exec();
  return ok_status();
} catch (const SQLite::Exception& e) {
  return schema::storage_error(e);
}

std::map<std::string, std::string> Config::all() const {
  std::map<std::string, std::string> out;
  for (const auto& c : config_keys()) out[c.key] = get(c.key);
  return out;
}

}  // namespace motcua::node
