// Hub administration over HTTP, for the admin screens: the same acts as
// `motcua point list | add | revoke` and `motcua audit`'s alerts, on the
// daemon's own Hub (docs/design/0060-hub-admin-over-http.md). Admin only;
// the point routes answer 409 not_a_hub on a point.
#include "admin_routes.hpp"

#include "admission.hpp"

#include "motcua/http/util.hpp"
#include "motcua/node/node.hpp"
#include "motcua/sync/agent.hpp"
#include "motcua/sync/hub.hpp"
#include "motcua/sync/hub_store.hpp"
#include "motcua/text.hpp"

namespace motcua::sync {

using namespace motcua::http;

namespace {

Error not_a_hub() {
  return make_error("not_a_hub", "points are enrolled and revoked at the hub; this node is a point");
}

// A text member: a string, valid UTF-8, NFC, trimmed; "" when absent.
Result<std::string> text_member(const Json& body, const char* key, bool required, size_t max) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) {
    if (required) return make_error("missing_field", std::string(key) + " is required", key);
    return std::string();
  }
  if (!it->is_string()) return make_error("wrong_type", std::string(key) + " must be a string", key);
  const std::string& raw = it->get_ref<const std::string&>();
  if (!is_valid_utf8(raw)) return make_error("invalid_value", std::string(key) + " is not valid UTF-8 text", key);
  std::string s = to_nfc(raw);
  size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  s = b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  if (required && s.empty()) return make_error("missing_field", std::string(key) + " must not be empty", key);
  if (s.size() > max)
    return make_error("invalid_value", std::string(key) + " is too long (at most " + std::to_string(max) + " bytes)", key);
  for (unsigned char c : s)
    if (c < 0x20) return make_error("invalid_value", std::string(key) + " contains control characters", key);
  return s;
}

// A whole-number member, or `dflt` when absent.
Result<int64_t> int_member(const Json& body, const char* key, int64_t dflt) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return dflt;
  if (!it->is_number_integer()) return make_error("wrong_type", std::string(key) + " must be a whole number", key);
  return it->get<int64_t>();
}

// POST /api/v1/points body -> the options of `motcua point add`.
Result<PointAddOptions> point_add_options(const std::string& raw) {
  auto body = parse_object(raw);
  if (!body.ok()) return body.error();
  static const char* const allowed[] = {"name",       "area",          "place_name", "daily_capacity",
                                        "lease_days", "expires_hours", "agency_code", "acts"};
  for (auto it = body->begin(); it != body->end(); ++it) {
    bool known = false;
    for (const char* a : allowed) known = known || it.key() == a;
    if (!known) return make_error("unknown_field", "unknown field '" + it.key() + "'", it.key());
  }
  PointAddOptions o;
  auto name = text_member(*body, "name", true, 64);
  if (!name.ok()) return name.error();
  auto area = text_member(*body, "area", true, 200);
  if (!area.ok()) return area.error();
  auto place = text_member(*body, "place_name", false, 200);
  if (!place.ok()) return place.error();
  auto capacity = int_member(*body, "daily_capacity", o.daily_capacity);
  if (!capacity.ok()) return capacity.error();
  auto lease = int_member(*body, "lease_days", o.lease_days);
  if (!lease.ok()) return lease.error();
  auto hours = int_member(*body, "expires_hours", o.code_ttl_ms / 3600000);
  if (!hours.ok()) return hours.error();
  if (hours.value() < 1 || hours.value() > 720)
    return make_error("invalid_value", "an enrolment code lives 1 to 720 hours", "expires_hours");
  // The agency is the admin's to set (the codes the point mints carry it).
  auto agency = text_member(*body, "agency_code", true, 64);
  if (!agency.ok()) return agency.error();
  // acts: "counter" (default), "officer"/"all", or a list of event types.
  std::string acts_spec;
  if (auto a = body->find("acts"); a != body->end() && !a->is_null()) {
    if (a->is_string()) {
      acts_spec = a->get<std::string>();
    } else if (a->is_array()) {
      for (const auto& x : *a) {
        if (!x.is_string()) return make_error("wrong_type", "acts must be a text or a list of texts", "acts");
        acts_spec += (acts_spec.empty() ? "" : ",") + x.get<std::string>();
      }
      if (acts_spec.empty()) return make_error("invalid_value", "acts must not be an empty list", "acts");
    } else {
      return make_error("wrong_type", "acts must be a text or a list of texts", "acts");
    }
  }
  auto acts = parse_acts(acts_spec);
  if (!acts.ok()) return acts.error();
  o.name = name.value();
  o.area = area.value();
  o.place_name = place.value();
  o.agency_code = agency.value();
  o.acts = acts.value();
  o.daily_capacity = capacity.value();
  o.lease_days = lease.value();
  o.code_ttl_ms = hours.value() * 3600 * 1000;
  return o;
}

Json find_point(Hub& hub, const std::string& name) {
  for (auto& p : hub.points())
    if (p.value("name", std::string()) == name) return p;
  return Json();
}

}  // namespace

void mount_admin_routes(Router& r, SyncAgent& agent) {
  HttpContext& ctx = r.ctx();
  using node::UserRole;
  const Roles admin = {UserRole::Admin};

  // Every point of the hub with its place name, lag, clock skew, last
  // contact, recent alerts and whether it is revoked (as `motcua point list`).
  r.get("/api/v1/points", Access::User, admin, [&agent](Call& c) {
    Hub* hub = agent.hub();
    if (!hub) return send_error(c.res, not_a_hub());
    send_json(c.res, 200, hub->points());
  });

  // Registers a point and issues its one-time enrolment code (`motcua point add`).
  r.post("/api/v1/points", Access::User, admin, [&agent, &ctx](Call& c) {
    Hub* hub = agent.hub();
    if (!hub) return send_error(c.res, not_a_hub());
    auto o = point_add_options(c.body);
    if (!o.ok()) return send_error(c.res, o.error());
    auto code = hub->add_point(o.value());
    if (!code.ok()) return send_error(c.res, code.error());
    if (ctx.log)
      ctx.log("event=point_registered point=" + o->name + " by=" + c.actor->username);
    send_json(c.res, 201,
              Json{{"name", o->name},
                   {"area", o->area},
                   {"place_name", o->place_name},
                   {"agency_code", o->agency_code},
                   {"acts", o->acts},
                   {"daily_capacity", o->daily_capacity},
                   {"lease_days", o->lease_days},
                   {"enrolment_code", code->code},
                   {"expires_at", iso8601_utc(code->expires_ms)}});
  });

  // Revokes a point's key: the hub refuses its sync requests from now on
  // (`motcua point revoke`); raises a "revoked" alert.
  r.post("/api/v1/points/{name}/revoke", Access::User, admin, [&agent, &ctx](Call& c) {
    Hub* hub = agent.hub();
    if (!hub) return send_error(c.res, not_a_hub());
    auto body = parse_object(c.body, true);
    if (!body.ok()) return send_error(c.res, body.error());
    if (!body->empty())
      return send_error(c.res, make_error("unknown_field", "unknown field '" + body->begin().key() + "'",
                                          body->begin().key()));
    const std::string name = c.param(1);
    Status s = hub->revoke_point(name);
    if (!s.ok()) return send_error(c.res, s.error());
    if (ctx.log) ctx.log("event=point_revoked point=" + name + " by=" + c.actor->username);
    Json p = find_point(*hub, name);
    send_json(c.res, 200, p.is_null() ? Json{{"name", name}, {"status", "revoked"}, {"revoked", true}} : p);
  });

  // A replacement code for a point whose PC died (`motcua point add NAME
  // --replace`; docs/sync-protocol.md 15.3): nothing changes until a new PC
  // uses it with `motcua restore --from-hub`.
  r.post("/api/v1/points/{name}/replace", Access::User, admin, [&agent, &ctx](Call& c) {
    Hub* hub = agent.hub();
    if (!hub) return send_error(c.res, not_a_hub());
    auto body = parse_object(c.body, true);
    if (!body.ok()) return send_error(c.res, body.error());
    for (auto it = body->begin(); it != body->end(); ++it)
      if (it.key() != "expires_hours")
        return send_error(c.res, make_error("unknown_field", "unknown field '" + it.key() + "'", it.key()));
    PointAddOptions o;
    auto hours = int_member(*body, "expires_hours", o.code_ttl_ms / 3600000);
    if (!hours.ok()) return send_error(c.res, hours.error());
    if (hours.value() < 1 || hours.value() > 720)
      return send_error(c.res, make_error("invalid_value", "an enrolment code lives 1 to 720 hours", "expires_hours"));
    o.name = c.param(1);
    o.replace = true;
    o.code_ttl_ms = hours.value() * 3600 * 1000;
    auto code = hub->add_point(o);
    if (!code.ok()) return send_error(c.res, code.error());
    if (ctx.log) ctx.log("event=point_replacement_code point=" + o.name + " by=" + c.actor->username);
    send_json(c.res, 201,
              Json{{"name", o.name}, {"replacement_code", code->code}, {"expires_at", iso8601_utc(code->expires_ms)}});
  });

  // Quarantine (docs/sync-protocol.md, "Quarantine"): entries the hub stored
  // but did not admit, the signed entry as evidence, and the admin's signed
  // release or rejection (`motcua quarantine list|show|release|reject`).
  r.get("/api/v1/quarantine", Access::User, admin, [&agent](Call& c) {
    Hub* hub = agent.hub();
    if (!hub) return send_error(c.res, not_a_hub());
    auto items = hub->quarantine(str_param(c.req, "state"));
    if (!items.ok()) return send_error(c.res, items.error());
    send_json(c.res, 200, items.value());
  });
  r.get("/api/v1/quarantine/{id}", Access::User, admin, [&agent](Call& c) {
    Hub* hub = agent.hub();
    if (!hub) return send_error(c.res, not_a_hub());
    auto e = hub->quarantine_entry(c.param(1));
    if (!e.ok()) return send_error(c.res, e.error());
    send_json(c.res, 200, e.value());
  });
  for (const char* act : {"release", "reject"}) {
    const bool release = std::string(act) == "release";
    r.post(std::string("/api/v1/quarantine/{id}/") + act, Access::User, admin, [&agent, &ctx, release](Call& c) {
      Hub* hub = agent.hub();
      if (!hub) return send_error(c.res, not_a_hub());
      auto body = parse_object(c.body);
      if (!body.ok()) return send_error(c.res, body.error());
      for (auto it = body->begin(); it != body->end(); ++it)
        if (it.key() != "reason")
          return send_error(c.res, make_error("unknown_field", "unknown field '" + it.key() + "'", it.key()));
      auto reason = text_member(*body, "reason", true, 2000);
      if (!reason.ok()) return send_error(c.res, reason.error());
      auto out = hub->decide_quarantine(c.param(1), release, reason.value(), c.actor->username);
      if (!out.ok()) return send_error(c.res, out.error());
      if (ctx.log)
        ctx.log(std::string("event=quarantine_") + (release ? "released" : "rejected") + " entry=" +
                out->value("id", std::string()) + " by=" + c.actor->username);
      send_json(c.res, 200, out.value());
    });
  }

  // Security and sync alerts, newest first: at a hub about its points and
  // strangers, at a point its own (e.g. a damaged journal).
  r.get("/api/v1/alerts", Access::User, admin, [&agent, &ctx](Call& c) {
    int64_t since_ms = 0;
    const std::string since = str_param(c.req, "since");
    if (!since.empty()) {
      auto ms = parse_audit_since(since);
      if (!ms.ok()) return send_error(c.res, ms.error());
      since_ms = ms.value();
    }
    auto limit = int_param(c.req, "limit", 1000, 1, 1000);
    if (!limit.ok()) return send_error(c.res, limit.error());
    std::shared_ptr<HubStore> own;
    HubStore* store = nullptr;
    if (Hub* hub = agent.hub()) store = &hub->store();
    else store = (own = open_hub_store(ctx.node)).get();
    Json items = Json::array();
    for (const auto& a : store->alerts(str_param(c.req, "point"), since_ms)) {
      if (static_cast<int>(items.size()) >= limit.value()) break;
      items.push_back(alert_json(a));
    }
    send_json(c.res, 200, Json{{"role", node::role_name(ctx.node.role())}, {"items", items}});
  });
}

}  // namespace motcua::sync
