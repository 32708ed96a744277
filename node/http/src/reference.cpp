// The DATA routes of the counter's screens: procedure facets, the points a
// result can be returned at, CCCD QR prefill, and the admin's reference data
// (holiday calendar, procedure catalogue). docs/api.md, "Reference data".
#include "motcua/http/api_error.hpp"
#include "motcua/http/router.hpp"
#include "motcua/http/util.hpp"
#include "motcua/json_read.hpp"
#include "motcua/node/catalogue.hpp"
#include "motcua/node/node.hpp"
#include "motcua/node/vn_time.hpp"

namespace motcua::http {

namespace {

using node::UserRole;
const Roles kAny = {};
const Roles kAdmin = {UserRole::Admin};

void reply(Call& c, const Result<Json>& r, int status) {
  if (!r.ok()) return send_error(c.res, r.error());
  send_json(c.res, status, r.value());
}

// Any JSON value (the catalogue file is an array), within the nesting limit.
Result<Json> parse_any(const std::string& body) {
  auto j = read_json(body, JsonLimits{body.size(), kMaxJsonDepth});
  if (!j.ok() && j.error().code == "invalid_json") {
    Error e = j.error();
    e.message = "the request body is not valid JSON (" + e.message + ")";
    return e;
  }
  return j;
}

}  // namespace

void mount_reference_routes(Router& r) {
  HttpContext& ctx = r.ctx();

  // Before /api/v1/procedures/{code}, which would take "facets" as a code.
  r.get("/api/v1/procedures/facets", Access::User, kAny,
        [&ctx](Call& c) { reply(c, ctx.dossiers.procedure_facets(), 200); });

  r.post("/api/v1/procedures/import", Access::User, kAdmin, [&ctx](Call& c) {
    auto body = parse_any(c.body);
    if (!body.ok()) return send_error(c.res, body.error());
    auto r = node::import_catalogue_items(ctx.node, c.actor->username, *body);
    if (!r.ok()) return send_error(c.res, r.error());
    if (!(*r)["errors"].empty()) {
      // Nothing imported: the per-item list says what to fix.
      const size_t n = (*r)["errors"].size();
      Json out = error_json(make_error("validation_failed",
                                       std::to_string(n) + (n == 1 ? " procedure has an error" : " procedures have errors") +
                                           "; nothing was imported",
                                       "procedures"));
      out["imported"] = 0;
      // Each item's sentence in Vietnamese too, like every error body.
      Json errors = Json::array();
      for (Json e : (*r)["errors"]) {
        const Error err{e["code"].get<std::string>(), e["message"].get<std::string>(), e["field"].get<std::string>()};
        e["message_en"] = err.message;
        e["message"] = vietnamese_message(err);
        errors.push_back(std::move(e));
      }
      out["errors"] = errors;
      current_request().error_code = "validation_failed";
      return send_json(c.res, 400, out);
    }
    send_json(c.res, 200, *r);
  });

  r.get("/api/v1/points/known", Access::User, kAny,
        [&ctx](Call& c) { reply(c, node::known_points(ctx.node), 200); });

  r.post("/api/v1/cccd/parse", Access::User, kAny, [](Call& c) {
    auto body = parse_object(c.body);
    if (!body.ok()) return send_error(c.res, body.error());
    Status shape = expect_string_fields(*body, {"qr"}, {"qr"});
    if (!shape.ok()) return send_error(c.res, shape.error());
    if ((*body)["qr"].get_ref<const std::string&>().size() > 2000)
      return send_error(c.res, make_error("invalid_value", "not a CCCD QR text: too long", "qr"));
    reply(c, node::parse_cccd_qr((*body)["qr"].get<std::string>()), 200);
  });

  r.get("/api/v1/holidays", Access::User, kAdmin, [&ctx](Call& c) {
    const int current = node::vn_time(ctx.node.clock().now_ms()).year;
    auto year = int_param(c.req, "year", current, 2000, 2100);
    if (!year.ok()) return send_error(c.res, year.error());
    send_json(c.res, 200, node::holidays_of_year(ctx.node, *year));
  });
  r.post("/api/v1/holidays", Access::User, kAdmin, [&ctx](Call& c) {
    auto body = parse_object(c.body);
    if (!body.ok()) return send_error(c.res, body.error());
    reply(c, node::set_holiday_year(ctx.node, c.actor->username, *body), 200);
  });
  r.post("/api/v1/holidays/import", Access::User, kAdmin, [&ctx](Call& c) {
    auto body = parse_object(c.body);
    if (!body.ok()) return send_error(c.res, body.error());
    reply(c, node::import_holiday_file(ctx.node, c.actor->username, *body), 200);
  });
}

}  // namespace motcua::http
