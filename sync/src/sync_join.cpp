// Enrolment at a point, and the point's status and log.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <set>

#include "motcua/node/catalogue.hpp"
#include "motcua/schema/database.hpp"
#include "motcua/text.hpp"
#include "motcua/sync/client.hpp"
#include "motcua/sync/hub.hpp"
#include "motcua/sync/hub_store.hpp"
#include "admission.hpp"
#include "blob_sync.hpp"
#include "sync_auth.hpp"
#include "sync_client_internal.hpp"
#include "sync_util.hpp"

namespace motcua::sync {

Status apply_leases(node::Node& n, const Json& leases) try {
  if (!leases.is_array()) return make_error("malformed_message", "leases must be a list");
  std::set<std::tuple<std::string, int, int>> held;
  Json status = node::code_block_status(n);
  for (const auto& b : status.value("blocks", Json::array()))
    held.insert({b.value("day", std::string()), b.value("first", 0), b.value("last", 0)});
  for (const auto& l : leases) {
    // Read without json::value(), which throws on a field of another type.
    auto day_it = l.is_object() ? l.find("day") : l.end();
    auto first_it = l.is_object() ? l.find("first") : l.end();
    auto last_it = l.is_object() ? l.find("last") : l.end();
    if (!l.is_object() || day_it == l.end() || !day_it->is_string() || first_it == l.end() ||
        !first_it->is_number_integer() || last_it == l.end() || !last_it->is_number_integer())
      return make_error("malformed_message", "a lease is {\"day\": text, \"first\": number, \"last\": number}",
                        "leases");
    // Outside 1..9999 either way: add_code_block refuses it with the range.
    auto small = [](const Json& v) {
      if (v.is_number_unsigned()) return static_cast<int>(std::min<uint64_t>(v.get<uint64_t>(), 10000));
      return static_cast<int>(std::clamp<int64_t>(v.get<int64_t>(), -1, 10000));
    };
    std::string day = day_it->get<std::string>();
    int first = small(*first_it), last = small(*last_it);
    if (held.count({day, first, last})) continue;
    Status s = node::add_code_block(n, day, first, last);
    if (!s.ok()) return make_error(s.error().code, "code block " + day + " " + std::to_string(first) + "-" +
                                                       std::to_string(last) + " from the hub: " + s.error().message);
  }
  return ok_status();
} catch (const std::exception&) {
  return util::current_error();
}

Status apply_reference(node::Node& n, const Json& h) try {
  if (h.contains("catalogue") && h["catalogue"].is_array() && !h["catalogue"].empty()) {
    Status s = node::import_catalogue(n, h["catalogue"]);
    if (!s.ok()) return s;
  }
  if (h.contains("holidays") && h["holidays"].is_array()) {
    Status s = node::import_holidays(n, h["holidays"]);
    if (!s.ok()) return s;
  }
  // The hub's list of its points (return points known here); hubs before
  // issue 9 send none.
  if (h.contains("points") && h["points"].is_array()) {
    Json points = Json::array();
    for (const auto& p : h["points"])
      if (p.is_object() && p.contains("name") && p["name"].is_string() && is_valid_utf8(p["name"].get<std::string>()) &&
          p["name"].get<std::string>().size() <= 200)
        points.push_back(Json{{"name", p["name"]},
                              {"place_name", p.contains("place_name") && p["place_name"].is_string() &&
                                                     is_valid_utf8(p["place_name"].get<std::string>())
                                                 ? p["place_name"]
                                                 : p["name"]}});
    util::state_set(n, "known_points", points.dump());
  }
  auto text = [&](const char* k) {
    auto it = h.find(k);
    return it != h.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  // Who may write what: the rules this point applies to what it pulls.
  if (h.contains("registry")) {
    PublicKey hub{};
    if (!from_hex(util::state_get(n, "hub_key"), hub) && !from_hex(text("hub"), hub))
      return make_error("malformed_message", "a registry without the hub key", "hub");
    Status s = store_registry(n, hub, h["registry"]);
    if (!s.ok()) return s;
  }
  std::string hash = h.contains("reference_hash") ? text("reference_hash") : text("hash");
  util::state_set(n, "reference_hash", hash);
  return ok_status();
} catch (const std::exception&) {
  return util::current_error();
}

Result<std::unique_ptr<Transport>> hub_transport(node::Node& node, const std::string& url) {
  HttpOptions o;
  o.url = url.empty() ? node.config().get("hub_url") : url;
  if (o.url.empty()) return make_error("no_hub", "no hub configured (run: motcua join --hub URL --code CODE)", "hub_url");
  std::string ca = (std::filesystem::path(node.data_dir()) / kHubCaFile).string();
  if (std::filesystem::exists(ca)) o.ca_file = ca;
  return make_http_transport(o);
}

// The point's admission rules for pulled and bundled entries, with the
// registry the hub sent (sync/src/admission.cpp).
node::Admitter point_admitter(node::Node& n) { return make_admitter(n, stored_registry(n), node::Role::Point); }

Result<node::IngestReport> ingest_pulled(node::Node& n, const std::vector<node::Entry>& entries, bool admission) {
  node::VerifyAhead batch(entries);
  return ingest_pulled(n, batch, admission);
}

Result<node::IngestReport> ingest_pulled(node::Node& n, node::VerifyAhead& batch, bool admission) try {
  const std::vector<node::Entry>& entries = batch.shells();
  // Entry by entry: one bad entry never refuses the batch nor stops the pull.
  node::IngestOptions o;
  o.sparse = true;
  o.per_entry = true;
  from_hex(util::state_get(n, "hub_key"), o.decider);  // the hub's quarantine decisions apply here
  if (admission) {
    // An entry the hub's admin released comes right before its signed
    // decision (docs/sync-protocol.md, "Quarantine"): the admin's decision
    // stands here, so the point's rules are not run on it again (they would
    // hold it and raise an alert, only for the decision to release it).
    // (Pulled entries are shells here: canonical text and signature.)
    std::set<Hash32> released;
    for (const auto& shell : entries) {
      if (shell.canonical.find(node::kQuarantineReleased) == std::string::npos) continue;
      auto e = node::parse_entry(shell.canonical, shell.sig);  // verified: signed by the hub, or ignored
      if (!e.ok() || e->type != node::kQuarantineReleased || e->author != o.decider || !e->body.is_object()) continue;
      auto it = e->body.find("entry");
      Hash32 id{};
      if (it != e->body.end() && it->is_string() && from_hex(it->get<std::string>(), id)) released.insert(id);
    }
    o.admit = [rules = point_admitter(n), released](const node::AdmitContext& c) -> std::optional<node::Admission> {
      if (released.count(c.entry.id)) return std::nullopt;
      return rules(c);
    };
  }
  auto r = n.journal().ingest(batch, o);
  if (!r.ok()) return r.error();
  // Each skipped or quarantined entry: on stderr and in this point's alerts.
  auto store = open_hub_store(n);
  const int64_t now = n.clock().now_ms();
  auto note = [&](const std::string& kind, const std::string& detail) {
    std::cerr << "motcua sync: " << kind << ": " << detail << "\n";
    Alert a;
    a.at_ms = now;
    a.point = n.name();
    a.kind = kind;
    a.detail = detail;
    store->add_alert(a);
  };
  for (const auto& s : r->skipped)
    note("skipped", "entry " + s.id_hex + " (author " + s.author_hex + ", seq " + std::to_string(s.seq) +
                        ") from the hub not stored: " + s.error.code + ": " + s.error.message);
  for (const auto& q : r->quarantined)
    note("quarantined", "entry " + to_hex(q.id) + " (author " + to_hex(q.author) + ", seq " + std::to_string(q.seq) +
                            ", " + q.type + " on " + q.subject + ") held in quarantine: " + q.code + ": " + q.reason);
  return r;
} catch (const std::exception&) {
  return util::current_error();
}

Result<Json> join(node::Node& node, Transport& transport, const std::string& hub_url, const std::string& code) try {
  if (node.role() != node::Role::Point) return make_error("not_a_point", "only a point joins a hub");
  if (!util::state_get(node, "hub_key").empty())
    return make_error("already_enrolled", "this point already joined hub " + util::state_get(node, "hub_name"));
  // The code never travels: its public id, and a MAC keyed by it over this
  // node's key and the header (docs/sync-protocol.md 4.1). The request
  // signature binds the header to the key as well.
  const Hash32 key = auth::enrol_key(code);
  Json header{{"type", "enrol"},
              {"v", 2},
              {"code_id", auth::code_id(code)},
              {"name", node.name()},
              {"time_ms", node.clock().now_ms()}};
  header["mac"] = auth::enrol_mac(key, node.keys().pk, canonical_bytes(header));
  Exchange x{node, transport};
  auto r = x.call("enrol", header, {}, nullptr, nullptr);
  if (!r.ok()) return r.error();
  const Json& h = r->header;
  if (h.value("type", std::string()) != "enrolled") return make_error("malformed_message", "unexpected answer to enrol");
  PublicKey hub;
  if (!from_hex(h.value("hub", std::string()), hub)) return make_error("malformed_message", "the hub sent no key");
  if (!auth::mac_equal(auth::header(x.last_response.headers, auth::kCodeMac), auth::enrolled_mac(key, x.last_response.body)))
    return make_error("wrong_hub", "the hub's answer does not prove it knows the enrolment code");
  Status s = auth::check_response(x.last_response, hub, x.last_binding);
  if (!s.ok()) return s.error();
  const Json& p = h.value("point", Json::object());
  std::string name = p.value("name", std::string()), area = p.value("area", std::string());
  const std::string agency = p.contains("agency_code") && p["agency_code"].is_string() ? p["agency_code"].get<std::string>()
                                                                                       : std::string();
  if (agency.empty() || agency.size() > 64 || !is_valid_utf8(agency))
    return make_error("malformed_message", "the hub sent no agency code for this point", "agency_code");
  // The point's side in one transaction: code blocks, reference data, node
  // meta, settings and sync state all land, or none (a join cut here is
  // simply run again: the hub answers the same key and code again).
  std::lock_guard<std::recursive_mutex> g(node.journal().mutex());
  s = schema::in_transaction(*node.db(), [&]() -> Status {
    Status st = apply_leases(node, h.value("leases", Json::array()));
    if (!st.ok()) return st;
    st = apply_reference(node, h);
    if (!st.ok()) return st;
    node.set_meta("area", area);
    // The codes this point mints carry the agency the hub registered it with.
    node.set_meta("agency_code", agency);
    if (!name.empty() && name != node.name()) node.set_meta("name", name);
    st = node.config().set("hub_url", hub_url);
    if (!st.ok()) return st;
    // From now on the point mints only from blocks the hub leased to it, never
    // from the stand-alone default range that another point might share.
    st = node.config().set("code_block", "");
    if (!st.ok()) return st;
    util::state_set(node, "hub_name", h.value("hub_name", std::string()));
    util::state_set(node, "pull_cursor", "0");
    util::state_set(node, "hub_key", to_hex(hub));
    // A replacement code (point add --replace): the hub-signed succession,
    // and no intake until the former key's chain is here (succession.cpp).
    return apply_succession(node, hub, name, h);
  });
  if (!s.ok()) return s.error();
  return Json{{"hub", to_hex(hub)}, {"hub_name", h.value("hub_name", std::string())}, {"point", name}, {"area", area},
              {"leases", h.value("leases", Json::array()).size()}};
} catch (const std::exception&) {
  return util::current_error();
}

Status enrolment_url_allowed(const std::string& url) { return auth::enrolment_url_allowed(url); }

Json point_status(node::Node& n) {
  const int64_t now = n.clock().now_ms();
  int64_t last_success = util::state_get_int(n, "last_success_ms");
  int64_t last_attempt = util::state_get_int(n, "last_attempt_ms");
  std::string last_error = util::state_get(n, "last_error");
  auto [up_entries, up_bytes] = util::author_backlog(n, n.keys().pk, util::state_get_int(n, "hub_has_self"));
  (void)blobs::catch_up_refs(n);  // new intakes' attachments count as waiting before the next session
  bool enrolled = !util::state_get(n, "hub_key").empty();
  return Json{{"role", "point"},
              {"enrolled", enrolled},
              {"hub_url", n.config().get("hub_url")},
              {"hub_name", util::state_get(n, "hub_name")},
              {"area", n.meta("area")},
              {"connected", enrolled && last_attempt > 0 && last_error.empty()},
              {"last_success", last_success ? Json(util::iso_utc(last_success)) : Json(nullptr)},
              {"last_attempt", last_attempt ? Json(util::iso_utc(last_attempt)) : Json(nullptr)},
              {"last_error", last_error.empty() ? Json(nullptr) : Json(last_error)},
              {"waiting_up", {{"entries", up_entries}, {"bytes", up_bytes}}},
              {"waiting_down", {{"entries", util::state_get_int(n, "pending_down")}}},
              {"lag_seconds", last_success ? Json((now - last_success) / 1000) : Json(nullptr)},
              {"skew_ms", util::state_get_int(n, "skew_ms")},
              {"revoked", !n.meta("revoked_at").empty()},
              {"revoked_at", n.meta("revoked_at").empty() ? Json(nullptr) : Json(n.meta("revoked_at"))},
              {"clock_offset_ms", n.business_offset_ms()},
              {"clock_corrected", n.business_offset_ms() != 0},
              {"pull_cursor", util::state_get_int(n, "pull_cursor")},
              {"hub_epoch", util::state_get(n, "hub_epoch")},
              {"epoch", n.meta("epoch")},
              // Chains (docs/sync-protocol.md, "Forks", "Behind"): intake is
              // refused while restoring; a fork stops sync until the hub's admin decides.
              {"restoring", n.meta("restoring") == "1"},
              {"fork", [&] {
                 const std::string f = util::state_get(n, "fork");
                 Json j = f.empty() ? Json(nullptr) : Json::parse(f, nullptr, false);
                 return j.is_discarded() ? Json(nullptr) : j;
               }()},
              {"blobs_waiting", blobs::waiting(n)},
              // A succession (restore --from-hub): the former key this point continues.
              {"succession", [&] {
                 Json j = Json::parse(util::state_get(n, "succession"), nullptr, false);
                 return j.is_object() && j.contains("r") ? j["r"] : Json(nullptr);
               }()}};
}

Json point_sync_log(node::Node& n, const std::string& point, int64_t since_ms) {
  SyncLogQuery q;
  q.point = point;
  q.since_ms = since_ms;
  return point_sync_log(n, q);
}

Json point_sync_log(node::Node& n, SyncLogQuery query) {
  constexpr int64_t kStaleMs = 15 * 60 * 1000;
  auto store = open_hub_store(n);
  const int64_t now = n.clock().now_ms();
  query.stale_before_ms = now - kStaleMs;
  Json sessions = Json::array();
  for (const auto& r : store->sessions_where(query)) sessions.push_back(sync_log_row_json(r, now, kStaleMs));
  Json alerts = Json::array();
  for (const auto& a : store->alerts(query.point, query.since_ms)) alerts.push_back(alert_json(a));
  return Json{{"role", "point"}, {"sessions", sessions}, {"alerts", alerts}};
}

}  // namespace motcua::sync
