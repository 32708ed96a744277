// The printable forms (Mẫu 02-06) and the period report (Biểu 06): data from
// node/forms.hpp, pages from forms_render.cpp. docs/api.md "Forms and reports".
#include "motcua/http/forms.hpp"
#include "motcua/http/router.hpp"
#include "motcua/http/util.hpp"
#include "motcua/node/forms.hpp"
#include "motcua/node/node.hpp"

namespace motcua::http {

namespace {

const Roles kAny = {};

void send_page(Call& c, const std::string& body, const char* type = "text/html; charset=utf-8") {
  c.res.status = 200;
  c.res.set_header("Cache-Control", "no-store");
  c.res.set_header("X-Content-Type-Options", "nosniff");
  c.res.set_header("Content-Security-Policy", kPrintCsp);
  c.res.set_content(body, type);
}

// from, to (required) and agency (optional) of a report's query.
Result<node::Period> period_of(const httplib::Request& req) {
  for (const char* k : {"from", "to"})
    if (!req.has_param(k)) return make_error("missing_field", std::string(k) + " is required (YYYY-MM-DD)", k);
  return node::parse_period(str_param(req, "from"), str_param(req, "to"));
}

Result<std::string> agency_of(const httplib::Request& req) {
  std::string a = str_param(req, "agency");
  if (a.size() > 100) return make_error("invalid_value", "agency must be at most 100 characters", "agency");
  return a;
}

}  // namespace

void mount_report_routes(Router& r) {
  HttpContext& ctx = r.ctx();

  r.get("/api/v1/dossiers/{code}/forms/{form}", Access::User, kAny, [&ctx](Call& c) {
    auto data = node::form_data(ctx.node, c.param(1), c.param(2));
    if (!data.ok()) return send_error(c.res, data.error());
    send_page(c, render_form(*data));
  });

  r.get("/api/v1/reports/tracking-book", Access::User, kAny, [&ctx](Call& c) {
    auto p = period_of(c.req);
    if (!p.ok()) return send_error(c.res, p.error());
    auto agency = agency_of(c.req);
    if (!agency.ok()) return send_error(c.res, agency.error());
    auto data = node::tracking_book(ctx.node, *p, *agency);
    if (!data.ok()) return send_error(c.res, data.error());
    send_page(c, render_tracking_book(*data));
  });

  r.get("/api/v1/reports/bieu-06", Access::User, kAny, [&ctx](Call& c) {
    auto p = period_of(c.req);
    if (!p.ok()) return send_error(c.res, p.error());
    auto agency = agency_of(c.req);
    if (!agency.ok()) return send_error(c.res, agency.error());
    std::string format = c.req.has_param("format") ? str_param(c.req, "format") : "json";
    if (format != "json" && format != "csv" && format != "html")
      return send_error(c.res, make_error("invalid_value", "format must be json, csv or html", "format"));
    auto report = node::bieu06(ctx.node, *p, *agency, ctx.node.clock().now_ms());
    if (!report.ok()) return send_error(c.res, report.error());
    if (format == "json") return send_json(c.res, 200, *report);
    if (format == "html") return send_page(c, render_bieu06_html(*report));
    c.res.set_header("Content-Disposition",
                     "attachment; filename=\"bieu-06_" + p->from + "_" + p->to + ".csv\"");
    send_page(c, render_bieu06_csv(*report), "text/csv; charset=utf-8");
  });
}

}  // namespace motcua::http
