// POST /api/v1/sessions (log in) and DELETE /api/v1/sessions (log out).
#include "motcua/http/router.hpp"
#include "motcua/http/util.hpp"

namespace motcua::http {

void mount_session_routes(Router& r) {
  HttpContext& ctx = r.ctx();

  r.post("/api/v1/sessions", Access::Public, {}, [&ctx](Call& c) {
    auto body = parse_object(c.body);
    if (!body.ok()) return send_error(c.res, body.error());
    Status shape = expect_string_fields(*body, {"username", "password"}, {"username", "password"});
    if (!shape.ok()) return send_error(c.res, shape.error());
    const std::string& user = (*body)["username"].get_ref<const std::string&>();
    int64_t wait_ms = 0;
    auto login = ctx.users.login(user, (*body)["password"].get_ref<const std::string&>(), ctx.session_ttl_ms, &wait_ms);
    if (!login.ok()) {
      // Seconds until a login for this name is tried again, rounded up.
      if (login.error().code == "too_many_attempts")
        c.res.set_header("Retry-After", std::to_string(std::max<int64_t>(1, (wait_ms + 999) / 1000)));
      return send_error(c.res, login.error());
    }
    current_request().user = user;
    send_json(c.res, 200,
              Json{{"token", login->token},
                   {"role", node::user_role_name(login->role)},
                   {"expires_at", iso8601_utc(login->expires_at_ms)}});
  });

  r.del("/api/v1/sessions", Access::User, {}, [&ctx](Call& c) {
    std::string h = c.req.get_header_value("Authorization");
    ctx.users.logout(h.substr(h.find_first_not_of(' ', 7)));
    c.res.status = 204;
  });
}

}  // namespace motcua::http
