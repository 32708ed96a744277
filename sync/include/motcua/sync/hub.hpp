// The hub role: enrolment of points, their scope and code blocks, and the
// server side of every sync request (docs/sync-protocol.md). Transport-free:
// the HTTP routes and the test transports hand requests to handle().
#pragma once
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "motcua/canonical.hpp"
#include "motcua/node/journal.hpp"
#include "motcua/sync/hub_store.hpp"
#include "motcua/sync/transport.hpp"

namespace motcua::node {
class Node;
}

namespace motcua::sync {

struct HubOptions {
  int64_t session_ttl_ms = 15 * 60 * 1000;
  size_t max_batch_entries = 2000;
  size_t max_batch_bytes = 8 << 20;  // decompressed message
  unsigned verify_threads = 2;
  // The admission rules (docs/sync-protocol.md, "Admission") on every push
  // and bundle. false admits every well-signed entry as protocol v1 did:
  // only for tests whose dossiers are not real (subjects that are no codes).
  bool admission = true;
  // Points synced at once by this Hub; a hello beyond them is answered 503
  // hub_busy with Retry-After (docs/design/0121). 0: no cap. `motcua serve`
  // sets it from config hub_max_sessions (served_hub_options).
  size_t max_sessions = 0;
};

// The options `motcua serve` runs its hub with: max_sessions from config
// hub_max_sessions, where 0 (the default) means four per core, at least 8.
HubOptions served_hub_options(node::Node& node);

struct PointAddOptions {
  std::string name;
  std::string area;
  int64_t daily_capacity = 500;
  int64_t lease_days = 30;
  int64_t code_ttl_ms = 72LL * 3600 * 1000;
  std::string place_name{};  // how people name the place (e.g. "UBND xã Ân Thi"); optional
  // The point's receiving agency: the agency part of every code it mints.
  // `point add --agency` and POST /api/v1/points require it; "" here means
  // the hub's own agency code.
  std::string agency_code{};
  // Event types it may sign (admission rule 3), each item an event type or
  // a spec ("counter", "officer", "all", a comma list); empty: the counter's acts.
  std::vector<std::string> acts{};
  // `point add --replace NAME`: a code for a new PC that continues the
  // enrolled point NAME with a new key (docs/sync-protocol.md 15.3); only
  // name and code_ttl_ms count. Nothing changes until the code is used.
  bool replace{};
};

struct EnrolmentCode {
  std::string code;  // e.g. "K7QF-3MZD-WXPA", shown once
  int64_t expires_ms = 0;
};

class Hub {
 public:
  // REQUIRES: `node` is a hub and outlives this object.
  // `store` may be shared: several Hub objects (as several hub processes)
  // over one store see each other's sessions, counters and leases.
  Hub(node::Node& node, std::shared_ptr<HubStore> store, HubOptions options = {});
  ~Hub();

  // `motcua point add`: registers the point (or issues a new code for a
  // point not yet enrolled) and returns a one-time code.
  Result<EnrolmentCode> add_point(const PointAddOptions& options);
  // `motcua point revoke`: the key is refused from now on, and nothing the
  // point signed after its last admitted entry (recorded) is admitted from
  // any pusher, bundle or tier hub.
  Status revoke_point(const std::string& name);
  // `motcua point list` / status / GET /api/v1/points: every point with its
  // lag, skew, place name, "revoked" and "alerts" (alerts about it whose
  // last occurrence is within the last 7 days).
  Json points();

  // Handles one sync request; the response is always signed by the hub.
  WireResponse handle(const WireRequest& request);
  // A request read from a point's bundle file: hello and push only, with no
  // session (the file was written offline); otherwise checked as handle().
  WireResponse handle_offline(const WireRequest& request);
  // The hub's side of a USB exchange for `point`: a welcome (leases, the
  // hub's mark of the point's chain, reference data) and every entry in its
  // scope after the cursor it last reported, as "entries" messages. Each
  // message is signed like a response, bound to `bundle_id` instead of a request.
  Result<std::vector<WireResponse>> export_for(const std::string& point, const std::string& bundle_id);

  HubStore& store() { return *store_; }
  const HubOptions& options() const { return opt_; }

  // Sync log with alerts: {"sessions": [...], "alerts": [...]}.
  Json sync_log(const std::string& point, int64_t since_ms);
  // The same with the filters of GET /api/v1/audit/sync-log (result, limit).
  Json sync_log(SyncLogQuery query);
  // Prometheus lines: per-point lag and bytes.
  std::string metrics();

  // An extra admission rule, checked after the hub's own for every pushed
  // or bundled entry (nullopt admits; an Admission quarantines). Tests use
  // it to quarantine chosen entries; not persisted.
  void add_admission_rule(node::Admitter rule);

  // Quarantine (docs/sync-protocol.md, "Quarantine"; hub_quarantine.cpp).
  // `motcua quarantine list` / GET /api/v1/quarantine: {"items": [row...]},
  // newest first; `state` "" (all), held, released or rejected, else
  // invalid_value (field "state").
  Result<Json> quarantine(const std::string& state);
  // `motcua quarantine show` / GET /api/v1/quarantine/{id}: the row and the
  // signed entry itself as evidence ("entry": {"canonical","sig","id"} plus
  // the parsed fields). `id`: 64 hex, or a unique prefix of at least 8.
  Result<Json> quarantine_entry(const std::string& id);
  // `motcua quarantine release|reject` / POST .../release|reject: a
  // decision signed by the hub (Journal::decide). Errors: invalid_value
  // (id), not_found, not_quarantined (409), validation_failed (reason).
  Result<Json> decide_quarantine(const std::string& id, bool release, const std::string& reason, const std::string& by);

 private:
  WireResponse handle_request(const WireRequest& request, bool offline);
  Result<EnrolmentCode> replace_point(const PointAddOptions& options);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  node::Node& node_;
  std::shared_ptr<HubStore> store_;
  HubOptions opt_;
};

// `motcua audit --since` and GET /api/v1/audit/sync-log?since=: ms since the
// epoch of "YYYY-MM-DD" (00:00 UTC) or "YYYY-MM-DDTHH:MM[:SS[.fff]]" followed by
// "Z" or an offset "+07:00" / "-0500". Impossible dates and times (2026-02-30,
// 25:00, month 13) and a time without a zone: invalid_value, field "since".
Result<int64_t> parse_audit_since(const std::string& text);

// JSON of one sync log row as the audit endpoint and CLI show it.
Json sync_log_row_json(const SyncLogRow& row, int64_t now_ms, int64_t session_ttl_ms);
Json alert_json(const Alert& a);
// The motcua_sync_*_total counter lines of /metrics from `c` (hub: with the
// alert count and "from the point" wording).
std::string sync_counters_metrics(const SyncCounters& c, bool hub);

}  // namespace motcua::sync
