// Helpers of the sync tests: a hub and points on temporary directories, an
// in-process transport, and a projector with the scope fields of a dossier.
#pragma once
#include <cstdlib>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>

#include "../../node/src/codes.hpp"
#include "motcua/node/node.hpp"
#include "motcua/sync/client.hpp"
#include "motcua/sync/hub.hpp"
#include "motcua/sync/transport.hpp"
#include "test_util.hpp"

namespace motcua::test {

// The value of the metric line `series` (e.g. motcua_sync_bytes_total{direction="up"})
// in Prometheus text, or -1 when it is not there.
inline int64_t metric(const std::string& text, const std::string& series) {
  size_t at = 0;
  while ((at = text.find(series + " ", at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') return std::strtoll(text.c_str() + at + series.size() + 1, nullptr, 10);
    at += series.size();
  }
  return -1;
}

// Calls the hub directly; `tamper` may change each request before delivery.
class DirectTransport final : public sync::Transport {
 public:
  explicit DirectTransport(sync::Hub& hub) : hub_(hub) {}
  Result<sync::WireResponse> exchange(const sync::WireRequest& req) override {
    sync::WireRequest r = req;
    if (tamper) tamper(r);
    sent.push_back(r);
    return hub_.handle(r);
  }
  std::function<void(sync::WireRequest&)> tamper;
  std::vector<sync::WireRequest> sent;

 private:
  sync::Hub& hub_;
};

// Pure projector with the scope fields of the dossier projection: area and
// origin_point from the earliest entry carrying them, return_point from the
// latest, plus every entry id so equal states mean equal entry sets.
inline Json scope_projector(const std::string& subject, const std::vector<node::Entry>& entries) {
  Json s{{"subject", subject}, {"area", ""}, {"origin_point", ""}, {"return_point", ""}};
  bool have_area = false, have_origin = false;
  std::vector<std::string> ids;
  for (const auto& e : entries) {  // sorted by entry_order_less
    if (!have_area && e.body.contains("area")) s["area"] = e.body["area"], have_area = true;
    if (!have_origin && e.body.contains("origin_point")) s["origin_point"] = e.body["origin_point"], have_origin = true;
    if (e.body.contains("return_point")) s["return_point"] = e.body["return_point"];
    ids.push_back(to_hex(e.id));
  }
  std::sort(ids.begin(), ids.end());
  s["entries"] = ids;
  return s;
}

// A dossier-like first event for `subject` taken in at `point` of `area`.
inline node::EntryDraft intake_draft(const std::string& subject, const std::string& point, const std::string& area,
                                     const std::string& return_point = "") {
  node::EntryDraft d;
  d.user = "clerk";
  d.type = "dossier.submitted";
  d.subject = subject;
  d.body = Json{{"area", area},
                {"origin_point", point},
                {"return_point", return_point.empty() ? point : return_point},
                {"applicant", {{"full_name", "Nguyễn Văn An"}, {"cccd", "033095001234"}, {"phone", "0912345678"}}},
                {"procedure_code", "1.001193"}};
  return d;
}

inline node::EntryDraft event_draft(const std::string& subject, const std::string& type, Json body = Json::object()) {
  node::EntryDraft d;
  d.user = "officer";
  d.type = type;
  d.subject = subject;
  d.body = std::move(body);
  return d;
}

// A hub and points enrolled the way an admin does it (`point add --agency
// --acts`, `join`), with the admission rules on at both ends as in the
// product. Points take dossiers in under codes from the blocks the hub leased
// them (take_in) and sign later acts on top of the dossier's heads (act).
struct SyncWorld {
  // `durable` false: the simulation's databases skip fsync (it tests logic, not power cuts).
  // `admission` false only where a test's purpose needs the rules off at both
  // ends (it says why where it does).
  // `max_sessions`: HubOptions::max_sessions (0: no cap).
  explicit SyncWorld(uint64_t seed = 1, node::SubjectProjector projector = scope_projector, bool durable = true,
                     bool admission = true, size_t max_sessions = 0)
      : clock(1751335200000), rng(seed), projector_(std::move(projector)), durable_(durable), admission_(admission) {
    hub_node = make_node(dir.sub("hub"), clock, rng, node::Role::Hub, "hub", projector_);
    if (!durable_) hub_node->db()->exec("PRAGMA synchronous = OFF");
    sync::HubOptions o;
    o.admission = admission_;
    o.max_sessions = max_sessions;
    hub = std::make_unique<sync::Hub>(*hub_node, sync::make_sqlite_hub_store(*hub_node), o);
  }

  // Registers (`point add NAME --area AREA --agency 000.00.01.H22 --acts
  // ACTS`), creates and enrols a point; returns its index. The default acts
  // are those of a commune office (its counter and its officers: "all"); a
  // post office is {"counter"}. It holds numbers 1-`capacity` of its block
  // per day, for `lease_days` days from its last sync.
  size_t add_point(const std::string& name, const std::string& area, int64_t capacity = 100, Clock* own_clock = nullptr,
                   std::vector<std::string> acts = {"all"}) {
    sync::PointAddOptions o;
    o.name = name;
    o.area = area;
    o.daily_capacity = capacity;
    o.lease_days = lease_days;
    o.code_ttl_ms = 3600 * 1000;
    o.agency_code = "000.00.01.H22";
    o.acts = std::move(acts);
    auto code = hub->add_point(o);
    if (!code.ok()) throw std::runtime_error(code.error().message);
    points.push_back(make_node(dir.sub(name), own_clock ? *own_clock : clock, rng, node::Role::Point, name, projector_));
    if (!durable_) points.back()->db()->exec("PRAGMA synchronous = OFF");
    transports.push_back(std::make_unique<DirectTransport>(*hub));
    names.push_back(name);
    areas.push_back(area);
    auto j = sync::join(*points.back(), *transports.back(), "http://hub.test", code->code);
    if (!j.ok()) throw std::runtime_error("join: " + j.error().message);
    return points.size() - 1;
  }

  // The next dossier code of point `i` from the blocks it was leased for
  // today (by its own clock), as the counter mints it.
  std::string next_code(size_t i) {
    node::Node& n = *points.at(i);
    auto c = node::codes::mint(n, n.clock().now_ms());
    if (!c.ok()) throw std::runtime_error("mint at " + names.at(i) + ": " + c.error().message);
    return c.value();
  }
  // Point `i` takes a dossier in under its next leased code, with its own
  // name and area (and `return_point` if given); `edit` may add to the draft
  // (e.g. a note). Returns the intake entry; its subject is the code.
  node::Entry take_in(size_t i, const std::string& return_point = "",
                      const std::function<void(node::EntryDraft&)>& edit = {}) {
    node::Node& n = *points.at(i);
    std::lock_guard<std::recursive_mutex> g(n.journal().mutex());  // the minted number is used by this append
    auto d = intake_draft(next_code(i), names.at(i), areas.at(i), return_point);
    if (edit) edit(d);
    auto e = n.journal().append(d);
    if (!e.ok()) throw std::runtime_error("intake at " + names.at(i) + ": " + e.error().message);
    return e.value();
  }
  // Point `i` (or the hub, i == kHub) signs `type` on dossier `code`; its
  // parents are the dossier's heads there, as in the product.
  static constexpr size_t kHub = static_cast<size_t>(-1);
  node::Entry act(size_t i, const std::string& code, const std::string& type, Json body = Json::object()) {
    node::Node& n = i == kHub ? *hub_node : *points.at(i);
    auto e = n.journal().append(event_draft(code, type, std::move(body)));
    if (!e.ok()) throw std::runtime_error(type + " on " + code + ": " + e.error().message);
    return e.value();
  }

  // Entries the hub holds in quarantine (a test whose data is all legitimate expects 0).
  size_t held_at_hub() { return hub_node->journal().quarantine("held").size(); }

  Result<Json> sync(size_t i) { return sync::sync_once(*points[i], *transports[i], client_options()); }
  // ClientOptions with this world's admission setting.
  sync::ClientOptions client_options() const {
    sync::ClientOptions o;
    o.admission = admission_;
    return o;
  }

  TempDir dir{"sync"};
  ManualClock clock;
  SeededRandom rng;
  node::SubjectProjector projector_;
  bool durable_ = true;
  bool admission_ = true;
  int64_t lease_days = 3;  // of points added from then on (a test spanning months sets more)
  std::unique_ptr<node::Node> hub_node;
  std::unique_ptr<sync::Hub> hub;
  std::vector<std::unique_ptr<node::Node>> points;
  std::vector<std::unique_ptr<DirectTransport>> transports;
  std::vector<std::string> names, areas;  // of each point, by index
};

}  // namespace motcua::test
