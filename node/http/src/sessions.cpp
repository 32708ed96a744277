// Signing in and out: POST /api/v1/sessions (log in; sets the browser's
// session cookie too), GET /api/v1/session (who is signed in, and the CSRF
// token a page sends back), DELETE /api/v1/sessions (log out, cookie cleared).
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
    // The socket's address, never X-Forwarded-For (anyone can write that).
    auto login = ctx.users.login(user, (*body)["password"].get_ref<const std::string&>(), ctx.session_ttl_ms,
                                 c.req.remote_addr, &wait_ms);
    if (!login.ok()) {
      // Seconds until a login for this name from this address is tried again, rounded up.
      if (login.error().code == "too_many_attempts")
        c.res.set_header("Retry-After", std::to_string(std::max<int64_t>(1, (wait_ms + 999) / 1000)));
      return send_error(c.res, login.error());
    }
    current_request().user = user;
    // Signing in again in the same browser ends the session its cookie held.
    bool from_cookie = false;
    const std::string previous = request_session_token(c.req, &from_cookie);
    if (from_cookie) ctx.users.logout(previous);
    c.res.set_header("Set-Cookie", session_cookie(ctx, login->token));
    send_json(c.res, 200,
              Json{{"token", login->token},
                   {"role", node::user_role_name(login->role)},
                   {"username", login->username},
                   {"full_name", login->full_name},
                   {"expires_at", iso8601_utc(login->expires_at_ms)},
                   {"csrf_token", login->csrf_token}});
  });

  r.get("/api/v1/session", Access::User, {}, [&ctx](Call& c) {
    const std::string token = request_session_token(c.req);
    auto s = ctx.users.session_info(token);
    if (!s.ok()) return send_error(c.res, s.error());
    send_json(c.res, 200,
              Json{{"username", s->username},
                   {"full_name", s->full_name},
                   {"role", node::user_role_name(s->role)},
                   {"expires_at", iso8601_utc(s->expires_at_ms)},
                   {"csrf_token", node::csrf_token_for(token)}});
  });

  r.del("/api/v1/sessions", Access::User, {}, [&ctx](Call& c) {
    ctx.users.logout(request_session_token(c.req));
    c.res.set_header("Set-Cookie", cleared_session_cookie(ctx));
    c.res.status = 204;
  });

  mount_user_routes(r);
}

}  // namespace motcua::http
