// Procedures, dossiers and conflicts: the HTTP face of node::DossierService.
// Roles named in API.md are checked here; the transitions "by role, see
// DOMAIN.md" are checked by the service's state machine (403 from it too).
#include "motcua/http/forms.hpp"
#include "motcua/http/router.hpp"
#include "motcua/http/util.hpp"

namespace motcua::http {

namespace {

using node::UserRole;
const Roles kCounter = {UserRole::Clerk, UserRole::Postal};
const Roles kAny = {};

// A refused transition answers 409 with the dossier's current status.
void send_service_error(HttpContext& ctx, Call& c, const Error& e, const std::string& code) {
  if (e.code == "invalid_transition" && !code.empty()) {
    auto d = ctx.dossiers.get(code);
    if (d.ok() && d->is_object() && d->contains("status"))
      return send_error(c.res, e, Json{{"current_status", (*d)["status"]}});
  }
  send_error(c.res, e);
}

void reply(HttpContext& ctx, Call& c, const Result<Json>& r, int status, const std::string& code = {}) {
  if (!r.ok()) return send_service_error(ctx, c, r.error(), code);
  send_json(c.res, status, r.value());
}

// A dossier as the API shows it: with the link to its printable receipt.
Result<Json> with_receipt_url(Result<Json> r) {
  if (r.ok() && r->is_object() && r->contains("code") && (*r)["code"].is_string())
    (*r)["receipt_url"] = "/api/v1/dossiers/" + (*r)["code"].get<std::string>() + "/receipt";
  return r;
}

struct Action {
  const char* word;  // path word of API.md
  Roles roles;       // empty: any signed-in user; the service decides by role
};

}  // namespace

void mount_dossier_routes(Router& r) {
  HttpContext& ctx = r.ctx();

  r.get("/api/v1/procedures", Access::User, kAny, [&ctx](Call& c) {
    auto limit = int_param(c.req, "limit", 20, 1, 200);
    if (!limit.ok()) return send_error(c.res, limit.error());
    reply(ctx, c,
          ctx.dossiers.search_procedures(str_param(c.req, "q"), str_param(c.req, "field"), str_param(c.req, "level"),
                                         *limit),
          200);
  });
  r.get("/api/v1/procedures/{code}", Access::User, kAny,
        [&ctx](Call& c) { reply(ctx, c, ctx.dossiers.get_procedure(c.param(1)), 200); });

  r.post("/api/v1/dossiers", Access::User, kCounter, [&ctx](Call& c) {
    auto body = parse_object(c.body);
    if (!body.ok()) return send_error(c.res, body.error());
    auto made = with_receipt_url(ctx.dossiers.intake(*c.actor, *body));
    if (made.ok() && made->contains("code") && (*made)["code"].is_string())
      c.res.set_header("Location", "/api/v1/dossiers/" + (*made)["code"].get<std::string>());
    reply(ctx, c, made, 201);
  });

  r.get("/api/v1/dossiers", Access::User, kAny, [&ctx](Call& c) {
    auto limit = int_param(c.req, "limit", 50, 1, 200);
    if (!limit.ok()) return send_error(c.res, limit.error());
    node::DossierListQuery q;
    q.status = str_param(c.req, "status");
    q.q = str_param(c.req, "q");
    q.updated_since = str_param(c.req, "updated_since");
    q.cursor = str_param(c.req, "cursor");
    q.limit = *limit;
    reply(ctx, c, ctx.dossiers.list(q), 200);
  });

  r.get("/api/v1/dossiers/{code}", Access::User, kAny,
        [&ctx](Call& c) { reply(ctx, c, with_receipt_url(ctx.dossiers.get(c.param(1))), 200); });

  r.patch("/api/v1/dossiers/{code}", Access::User, kCounter, [&ctx](Call& c) {
    auto body = parse_object(c.body);
    if (!body.ok()) return send_error(c.res, body.error());
    std::string code = c.param(1);
    reply(ctx, c, ctx.dossiers.update(*c.actor, code, *body), 200, code);
  });

  static const std::vector<Action> actions = {
      {"cancel", kCounter},        {"accept", kAny},          {"reject", kAny},
      {"request-supplement", kAny}, {"supplement", kAny},      {"start-processing", kAny},
      {"request-fees", kAny},      {"withdraw-request", kAny}, {"stop", kAny},
      {"result-ready", kAny},      {"apologize", kAny},       {"handover", kCounter},
      {"delivery-failed", {UserRole::Postal}}, {"fees", kCounter},
  };
  for (const Action& a : actions) {
    std::string word = a.word;
    r.post("/api/v1/dossiers/{code}/" + word, Access::User, a.roles, [&ctx, word](Call& c) {
      auto body = parse_object(c.body, true);
      if (!body.ok()) return send_error(c.res, body.error());
      std::string code = c.param(1);
      reply(ctx, c, ctx.dossiers.act(*c.actor, code, word, *body), 200, code);
    });
  }

  r.get("/api/v1/dossiers/{code}/history", Access::User, kAny,
        [&ctx](Call& c) { reply(ctx, c, ctx.dossiers.history(c.param(1)), 200); });

  r.get("/api/v1/dossiers/{code}/receipt", Access::User, kAny, [&ctx](Call& c) {
    auto data = ctx.dossiers.receipt(c.param(1));
    if (!data.ok()) return send_error(c.res, data.error());
    const std::string html = render_receipt(*data);
    c.res.status = 200;
    c.res.set_header("Content-Security-Policy", kPrintCsp);
    c.res.set_header("Cache-Control", "no-store");
    c.res.set_header("X-Content-Type-Options", "nosniff");
    c.res.set_content(html, "text/html; charset=utf-8");
  });

  const Roles reviewers = {UserRole::Admin, UserRole::Officer};
  r.get("/api/v1/conflicts", Access::User, reviewers,
        [&ctx](Call& c) { reply(ctx, c, ctx.dossiers.list_conflicts(), 200); });
  r.post("/api/v1/conflicts/{id}/resolve", Access::User, reviewers, [&ctx](Call& c) {
    auto body = parse_object(c.body);
    if (!body.ok()) return send_error(c.res, body.error());
    reply(ctx, c, ctx.dossiers.resolve_conflict(*c.actor, c.param(1), *body), 200);
  });
}

}  // namespace motcua::http
