// The admin's user accounts: GET/POST /api/v1/users, PATCH /api/v1/users/{name},
// POST /api/v1/users/{name}/password | disable | enable | unlock.
// Every refused input is a 4xx naming the field, with nothing changed.
#include "motcua/http/router.hpp"
#include "motcua/http/util.hpp"

namespace motcua::http {

namespace {

Json user_json(const node::UserInfo& u) {
  return Json{{"username", u.username},
              {"full_name", u.full_name},
              {"role", node::user_role_name(u.role)},
              {"disabled", u.disabled},
              {"created_at", iso8601_utc(u.created_ms)},
              {"throttled", u.throttled}};
}

Result<node::UserRole> role_field(const Json& body) {
  auto role = node::parse_user_role(body["role"].get<std::string>());
  if (!role)
    return make_error("invalid_value", "role must be clerk, postal, officer or admin", "role");
  return *role;
}

// A body that must be empty or {} (the acts with nothing to say).
bool empty_body(Call& c) {
  auto body = parse_object(c.body, true);
  if (!body.ok()) {
    send_error(c.res, body.error());
    return false;
  }
  Status shape = expect_string_fields(*body, {}, {});
  if (!shape.ok()) {
    send_error(c.res, shape.error());
    return false;
  }
  return true;
}

void send_status(Call& c, const Status& s) {
  if (!s.ok()) return send_error(c.res, s.error());
  c.res.status = 204;
}

}  // namespace

void mount_user_routes(Router& r) {
  HttpContext& ctx = r.ctx();
  const Roles admin{node::UserRole::Admin};

  r.get("/api/v1/users", Access::User, admin, [&ctx](Call& c) {
    Json items = Json::array();
    for (const auto& u : ctx.users.list_users()) items.push_back(user_json(u));
    send_json(c.res, 200, Json{{"items", items}});
  });

  r.post("/api/v1/users", Access::User, admin, [&ctx](Call& c) {
    auto body = parse_object(c.body);
    if (!body.ok()) return send_error(c.res, body.error());
    Status shape = expect_string_fields(*body, {"username", "full_name", "role", "password"},
                                        {"username", "full_name", "role", "password"});
    if (!shape.ok()) return send_error(c.res, shape.error());
    auto role = role_field(*body);
    if (!role.ok()) return send_error(c.res, role.error());
    const std::string name = (*body)["username"].get<std::string>();
    Status s = ctx.users.add_user(name, *role, (*body)["password"].get<std::string>(),
                                  (*body)["full_name"].get<std::string>());
    if (!s.ok()) return send_error(c.res, s.error());
    auto u = ctx.users.get_user(name);
    if (!u.ok()) return send_error(c.res, u.error());
    send_json(c.res, 201, user_json(*u));
  });

  r.patch("/api/v1/users/{name}", Access::User, admin, [&ctx](Call& c) {
    auto body = parse_object(c.body);
    if (!body.ok()) return send_error(c.res, body.error());
    Status shape = expect_string_fields(*body, {}, {"full_name", "role"});
    if (!shape.ok()) return send_error(c.res, shape.error());
    std::optional<std::string> full_name;
    std::optional<node::UserRole> role;
    if (body->contains("full_name")) {
      if (!(*body)["full_name"].is_string())
        return send_error(c.res, make_error("wrong_type", "'full_name' must be a string", "full_name"));
      full_name = (*body)["full_name"].get<std::string>();
    }
    if (body->contains("role")) {
      if (!(*body)["role"].is_string())
        return send_error(c.res, make_error("wrong_type", "'role' must be a string", "role"));
      auto parsed = role_field(*body);
      if (!parsed.ok()) return send_error(c.res, parsed.error());
      role = *parsed;
    }
    Status s = ctx.users.update_user(c.param(1), full_name, role);
    if (!s.ok()) return send_error(c.res, s.error());
    auto u = ctx.users.get_user(c.param(1));
    if (!u.ok()) return send_error(c.res, u.error());
    send_json(c.res, 200, user_json(*u));
  });

  r.post("/api/v1/users/{name}/password", Access::User, admin, [&ctx](Call& c) {
    auto body = parse_object(c.body);
    if (!body.ok()) return send_error(c.res, body.error());
    Status shape = expect_string_fields(*body, {"password"}, {"password"});
    if (!shape.ok()) return send_error(c.res, shape.error());
    send_status(c, ctx.users.set_password(c.param(1), (*body)["password"].get<std::string>()));
  });

  r.post("/api/v1/users/{name}/disable", Access::User, admin, [&ctx](Call& c) {
    if (!empty_body(c)) return;
    send_status(c, ctx.users.set_disabled(c.param(1), true, c.actor ? c.actor->username : std::string()));
  });

  r.post("/api/v1/users/{name}/enable", Access::User, admin, [&ctx](Call& c) {
    if (!empty_body(c)) return;
    send_status(c, ctx.users.set_disabled(c.param(1), false));
  });

  r.post("/api/v1/users/{name}/unlock", Access::User, admin, [&ctx](Call& c) {
    if (!empty_body(c)) return;
    send_status(c, ctx.users.unlock(c.param(1)));
  });
}

}  // namespace motcua::http
