// Browser sessions over real HTTP on loopback: the session cookie, CSRF
// protection of cookie-authenticated calls, foreign origins, the idle
// timeout, signing out, the login throttle, and the admin's user routes.
#include <catch2/catch.hpp>

#include "http_test_util.hpp"

using namespace motcua;
using test::DaemonFixture;

namespace {

const std::string kTls = std::string(MOTCUA_SOURCE_DIR) + "/tests/data/tls/";

struct Browser {
  std::string token;
  std::string csrf;
  std::string set_cookie;
  Json body;
};

Browser sign_in(DaemonFixture& f, const std::string& user) {
  auto r = f.client()->Post("/api/v1/sessions", Json{{"username", user}, {"password", user + "-password"}}.dump(),
                            "application/json");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  Browser b;
  b.body = test::body_json(r);
  b.token = b.body["token"].get<std::string>();
  b.csrf = b.body["csrf_token"].get<std::string>();
  b.set_cookie = r->get_header_value("Set-Cookie");
  return b;
}

httplib::Headers cookie(const Browser& b) { return {{"Cookie", "theme=dark; motcua_session=" + b.token}}; }
httplib::Headers cookie_csrf(const Browser& b, const std::string& csrf) {
  return {{"Cookie", "motcua_session=" + b.token}, {"X-CSRF-Token", csrf}};
}

httplib::Result login(DaemonFixture& f, const std::string& user, const std::string& password) {
  return f.client()->Post("/api/v1/sessions", Json{{"username", user}, {"password", password}}.dump(),
                          "application/json");
}

std::string error_code(const httplib::Result& r) { return test::body_json(r)["error"].value("code", ""); }
std::string error_field(const httplib::Result& r) { return test::body_json(r)["error"].value("field", ""); }

}  // namespace

TEST_CASE("signing in sets an HttpOnly SameSite=Strict session cookie and returns a CSRF token", "[http][auth][cookie]") {
  DaemonFixture f;
  Browser b = sign_in(f, "clerk1");
  CHECK(b.set_cookie == "motcua_session=" + b.token + "; HttpOnly; SameSite=Strict; Path=/");
  CHECK(b.body["username"] == "clerk1");
  CHECK(b.body["full_name"] == "");
  CHECK(b.body["role"] == "clerk");
  CHECK(b.csrf.size() == 64);
  CHECK(b.csrf != b.token);
  CHECK(b.csrf == node::csrf_token_for(b.token));
  // The CSRF token is derived, never stored.
  auto n = f.node->db()->execAndGet("SELECT COUNT(*) FROM sessions").getInt64();
  CHECK(n == 1);
}

TEST_CASE("under HTTPS the session cookie is Secure and the own origin is https", "[http][auth][cookie][tls]") {
  sync::DaemonOptions o;
  o.tls_cert = kTls + "hub-cert.pem";
  o.tls_key = kTls + "hub-key.pem";
  DaemonFixture f(o);
  httplib::SSLClient c("127.0.0.1", f.port);
  c.enable_server_certificate_verification(false);
  c.set_read_timeout(20);
  auto r = c.Post("/api/v1/sessions", Json{{"username", "clerk1"}, {"password", "clerk1-password"}}.dump(),
                  "application/json");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  std::string token = test::body_json(r)["token"];
  CHECK(r->get_header_value("Set-Cookie") == "motcua_session=" + token + "; HttpOnly; SameSite=Strict; Path=/; Secure");
  const std::string own = "https://127.0.0.1:" + std::to_string(f.port);
  httplib::Headers h{{"Cookie", "motcua_session=" + token},
                     {"X-CSRF-Token", node::csrf_token_for(token)},
                     {"Origin", own}};
  auto out = c.Delete("/api/v1/sessions", h);
  REQUIRE(out);
  CHECK(out->status == 204);
  CHECK(out->get_header_value("Set-Cookie") ==
        "motcua_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0; Secure");
}

TEST_CASE("the session cookie alone opens GET routes and the printable receipt", "[http][auth][cookie]") {
  DaemonFixture f;
  Browser b = sign_in(f, "clerk1");
  auto c = f.client();
  auto made = c->Post("/api/v1/dossiers", DaemonFixture::bearer(b.token), test::intake_request().dump(),
                      "application/json");
  REQUIRE(made->status == 201);
  std::string code = test::body_json(made)["code"];
  auto receipt = c->Get("/api/v1/dossiers/" + code + "/receipt", cookie(b));
  REQUIRE(receipt);
  CHECK(receipt->status == 200);
  CHECK(receipt->get_header_value("Content-Type").find("text/html") == 0);
  CHECK(c->Get("/api/v1/dossiers/" + code, cookie(b))->status == 200);
  // A wrong cookie is refused, and the browser is told to forget it.
  httplib::Headers wrong{{"Cookie", "motcua_session=" + std::string(64, 'a')}};
  auto refused = c->Get("/api/v1/dossiers/" + code + "/receipt", wrong);
  CHECK(refused->status == 401);
  CHECK(refused->get_header_value("Set-Cookie").find("Max-Age=0") != std::string::npos);
  CHECK(c->Get("/api/v1/dossiers/" + code + "/receipt")->status == 401);
}

TEST_CASE("a cookie-authenticated POST without the right X-CSRF-Token is refused and writes nothing",
          "[http][auth][cookie][csrf]") {
  DaemonFixture f;
  Browser b = sign_in(f, "clerk1");
  auto c = f.client();
  const auto before = test::snapshot(*f.node);
  const std::string body = test::intake_request().dump();

  auto none = c->Post("/api/v1/dossiers", cookie(b), body, "application/json");
  REQUIRE(none);
  CHECK(none->status == 403);
  CHECK(error_code(none) == "csrf_failed");
  CHECK(error_field(none) == "X-CSRF-Token");
  CHECK(test::body_json(none)["error"]["message"].get<std::string>().rfind("Thiếu hoặc sai mã chống giả mạo", 0) == 0);
  CHECK(test::body_json(none)["error"]["message_en"] == "the X-CSRF-Token header is missing");

  auto wrong = c->Post("/api/v1/dossiers", cookie_csrf(b, std::string(64, '0')), body, "application/json");
  CHECK(wrong->status == 403);
  CHECK(error_code(wrong) == "csrf_failed");
  // The session token itself is not the CSRF token.
  CHECK(c->Post("/api/v1/dossiers", cookie_csrf(b, b.token), body, "application/json")->status == 403);
  // Nor is another session's CSRF token.
  Browser other = sign_in(f, "postal1");
  CHECK(c->Post("/api/v1/dossiers", cookie_csrf(b, other.csrf), body, "application/json")->status == 403);
  // PATCH and DELETE need it too.
  CHECK(c->Patch("/api/v1/users/clerk1", cookie(b), "{}", "application/json")->status == 403);
  CHECK(c->Delete("/api/v1/sessions", cookie(b))->status == 403);
  CHECK(test::snapshot(*f.node) == before);
  CHECK(c->Get("/api/v1/session", cookie(b))->status == 200);  // still signed in

  // Streamed uploads are checked from their headers, before any byte is stored.
  const std::string pdf = "%PDF-1.4\n% a small test file\n";
  CHECK(c->Post("/api/v1/blobs", cookie(b), pdf, "application/pdf")->status == 403);
  CHECK(test::snapshot(*f.node) == before);

  auto right = c->Post("/api/v1/dossiers", cookie_csrf(b, b.csrf), body, "application/json");
  CHECK(right->status == 201);
  CHECK(c->Post("/api/v1/blobs", cookie_csrf(b, b.csrf), pdf, "application/pdf")->status == 201);
}

TEST_CASE("a state-changing request from another origin is refused", "[http][auth][cookie][csrf]") {
  DaemonFixture f;
  Browser b = sign_in(f, "clerk1");
  auto c = f.client();
  const std::string own = "http://127.0.0.1:" + std::to_string(f.port);
  const auto before = test::snapshot(*f.node);
  const std::string body = test::intake_request().dump();

  httplib::Headers foreign = cookie_csrf(b, b.csrf);
  foreign.emplace("Origin", "http://evil.example");
  auto r = c->Post("/api/v1/dossiers", foreign, body, "application/json");
  REQUIRE(r);
  CHECK(r->status == 403);
  CHECK(error_code(r) == "csrf_failed");
  CHECK(error_field(r) == "Origin");
  // Even with a bearer token, and for signing in (login CSRF), and "null".
  httplib::Headers bearer_foreign = DaemonFixture::bearer(b.token);
  bearer_foreign.emplace("Origin", "http://127.0.0.1:1");
  CHECK(c->Post("/api/v1/dossiers", bearer_foreign, body, "application/json")->status == 403);
  auto sign = c->Post("/api/v1/sessions", httplib::Headers{{"Origin", "null"}},
                      Json{{"username", "clerk1"}, {"password", "clerk1-password"}}.dump(), "application/json");
  CHECK(sign->status == 403);
  CHECK(test::snapshot(*f.node) == before);
  // Reading from another origin's page is not a state change (and CORS keeps the answer from it).
  httplib::Headers read = cookie(b);
  read.emplace("Origin", "http://evil.example");
  CHECK(c->Get("/api/v1/session", read)->status == 200);
  // Our own origin passes.
  httplib::Headers mine = cookie_csrf(b, b.csrf);
  mine.emplace("Origin", own);
  CHECK(c->Post("/api/v1/dossiers", mine, body, "application/json")->status == 201);
}

TEST_CASE("bearer-authenticated calls need no CSRF header", "[http][auth][cookie][csrf]") {
  DaemonFixture f;
  Browser b = sign_in(f, "clerk1");
  auto c = f.client();
  auto r = c->Post("/api/v1/dossiers", DaemonFixture::bearer(b.token), test::intake_request().dump(),
                   "application/json");
  CHECK(r->status == 201);
  // With both, the bearer token is the credential (and no CSRF is needed).
  httplib::Headers both = DaemonFixture::bearer(b.token);
  both.emplace("Cookie", "motcua_session=" + std::string(64, 'b'));
  CHECK(c->Post("/api/v1/dossiers", both, test::intake_request("001099012346").dump(), "application/json")->status ==
        201);
}

TEST_CASE("GET /session shows the session, DELETE /sessions signs out and clears the cookie", "[http][auth][cookie]") {
  sync::DaemonOptions o;
  o.session_ttl_s = 3600;
  DaemonFixture f(o);
  Browser b = sign_in(f, "officer1");
  auto c = f.client();
  auto s = c->Get("/api/v1/session", cookie(b));
  REQUIRE(s->status == 200);
  Json j = test::body_json(s);
  CHECK(j["username"] == "officer1");
  CHECK(j["role"] == "officer");
  CHECK(j["full_name"] == "");
  CHECK(j["expires_at"] == "2025-07-01T03:00:00.000Z");
  CHECK(j["csrf_token"] == b.csrf);
  CHECK(c->Get("/api/v1/session", DaemonFixture::bearer(b.token))->status == 200);
  CHECK(c->Get("/api/v1/session")->status == 401);

  auto out = c->Delete("/api/v1/sessions", cookie_csrf(b, b.csrf));
  REQUIRE(out->status == 204);
  CHECK(out->get_header_value("Set-Cookie") == "motcua_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
  CHECK(c->Get("/api/v1/session", cookie(b))->status == 401);
  CHECK(c->Get("/api/v1/session", DaemonFixture::bearer(b.token))->status == 401);

  // Signing in again from a browser that still holds a session ends that one.
  Browser first = sign_in(f, "officer1");
  auto again = c->Post("/api/v1/sessions", cookie(first),
                       Json{{"username", "officer1"}, {"password", "officer1-password"}}.dump(), "application/json");
  REQUIRE(again->status == 200);
  CHECK(c->Get("/api/v1/session", DaemonFixture::bearer(first.token))->status == 401);
  CHECK(c->Get("/api/v1/session", DaemonFixture::bearer(test::body_json(again)["token"].get<std::string>()))->status ==
        200);
}

TEST_CASE("a session unused for session_idle_s ends, use slides it, the absolute TTL stays", "[http][auth][cookie][idle]") {
  sync::DaemonOptions o;
  o.session_idle_s = 600;
  o.session_ttl_s = 1500;
  DaemonFixture f(o);
  Browser b = sign_in(f, "clerk1");
  auto c = f.client();
  f.clock.advance(599 * 1000);
  CHECK(c->Get("/api/v1/dossiers", cookie(b))->status == 200);
  f.clock.advance(599 * 1000);  // 1198 s after sign-in, 599 s after the last use
  CHECK(c->Get("/api/v1/dossiers", DaemonFixture::bearer(b.token))->status == 200);
  f.clock.advance(300 * 1000);  // 1498 s
  CHECK(c->Get("/api/v1/dossiers", cookie(b))->status == 200);
  f.clock.advance(2 * 1000);  // 1500 s: the absolute lifetime is over though it was just used
  CHECK(c->Get("/api/v1/dossiers", cookie(b))->status == 401);

  Browser idle = sign_in(f, "clerk1");
  f.clock.advance(600 * 1000 + 1);
  auto r = c->Get("/api/v1/session", cookie(idle));
  CHECK(r->status == 401);
  CHECK(error_code(r) == "unauthorized");
  CHECK(r->get_header_value("Set-Cookie").find("Max-Age=0") != std::string::npos);
  CHECK(c->Get("/api/v1/session", DaemonFixture::bearer(idle.token))->status == 401);
}

TEST_CASE("the last use of a session is written at most once a minute", "[http][auth][idle]") {
  DaemonFixture f;  // session_idle_s 1800 (default)
  Browser b = sign_in(f, "clerk1");
  auto c = f.client();
  auto last_used = [&] { return f.node->db()->execAndGet("SELECT last_used_ms FROM sessions").getInt64(); };
  const int64_t at_login = last_used();
  f.clock.advance(30 * 1000);
  CHECK(c->Get("/api/v1/session", cookie(b))->status == 200);
  CHECK(last_used() == at_login);
  f.clock.advance(30 * 1000);
  CHECK(c->Get("/api/v1/session", cookie(b))->status == 200);
  CHECK(last_used() == at_login + 60 * 1000);
}

TEST_CASE("failed logins slow down with growing delays, and the right password works after the delay",
          "[http][auth][throttle]") {
  DaemonFixture f;
  for (int i = 0; i < 3; ++i) REQUIRE(login(f, "officer1", "guess-" + std::to_string(i))->status == 401);
  // The 4th attempt waits 1 s after the 3rd failure: refused without checking the password.
  auto r = login(f, "officer1", "officer1-password");
  REQUIRE(r->status == 429);
  CHECK(error_code(r) == "too_many_attempts");
  CHECK(r->get_header_value("Retry-After") == "1");
  CHECK(login(f, "clerk1", "clerk1-password")->status == 200);  // other users unaffected
  f.clock.advance(1000);
  CHECK(login(f, "officer1", "guess-3")->status == 401);
  r = login(f, "officer1", "officer1-password");
  CHECK(r->status == 429);
  CHECK(r->get_header_value("Retry-After") == "2");  // doubled
  f.clock.advance(1999);
  CHECK(login(f, "officer1", "officer1-password")->status == 429);
  f.clock.advance(1);
  CHECK(login(f, "officer1", "officer1-password")->status == 200);
  // A success starts afresh: three free failures again.
  for (int i = 0; i < 3; ++i) CHECK(login(f, "officer1", "again-" + std::to_string(i))->status == 401);
  CHECK(login(f, "officer1", "officer1-password")->status == 429);
}

TEST_CASE("the admin's user list, add, change, reset, disable, enable and unlock", "[http][auth][admin-users]") {
  DaemonFixture f;
  Browser admin = sign_in(f, "admin1");
  auto c = f.client();
  auto h = DaemonFixture::bearer(admin.token);

  auto added = c->Post("/api/v1/users", h,
                       Json{{"username", "lan"}, {"full_name", " Nguyễn Thị Lan "}, {"role", "clerk"},
                            {"password", "mật khẩu của Lan"}}
                           .dump(),
                       "application/json");
  REQUIRE(added->status == 201);
  CHECK(test::body_json(added)["full_name"] == "Nguyễn Thị Lan");
  auto list = c->Get("/api/v1/users", h);
  REQUIRE(list->status == 200);
  Json items = test::body_json(list)["items"];
  REQUIRE(items.size() == 5);
  Json lan;
  for (const auto& u : items)
    if (u["username"] == "lan") lan = u;
  CHECK(lan["full_name"] == "Nguyễn Thị Lan");
  CHECK(lan["role"] == "clerk");
  CHECK(lan["disabled"] == false);
  CHECK(lan["throttled"] == false);
  CHECK(lan["created_at"] == "2025-07-01T02:00:00.000Z");

  // The new user signs in; its name travels with the session.
  auto in = login(f, "lan", "mật khẩu của Lan");
  REQUIRE(in->status == 200);
  CHECK(test::body_json(in)["full_name"] == "Nguyễn Thị Lan");
  std::string lan_token = test::body_json(in)["token"];
  CHECK(test::body_json(c->Get("/api/v1/session", DaemonFixture::bearer(lan_token)))["full_name"] == "Nguyễn Thị Lan");

  // Change the name and the role.
  auto patched = c->Patch("/api/v1/users/lan", h, Json{{"full_name", "Trần Thị Lan"}, {"role", "postal"}}.dump(),
                          "application/json");
  REQUIRE(patched->status == 200);
  CHECK(test::body_json(patched)["full_name"] == "Trần Thị Lan");
  CHECK(test::body_json(patched)["role"] == "postal");
  CHECK(test::body_json(c->Get("/api/v1/session", DaemonFixture::bearer(lan_token)))["role"] == "postal");

  // Throttled, then unlocked by the admin.
  for (int i = 0; i < 3; ++i) REQUIRE(login(f, "lan", "wrong-" + std::to_string(i))->status == 401);
  REQUIRE(login(f, "lan", "mật khẩu của Lan")->status == 429);
  auto user_lan = [&] {
    Json all = test::body_json(c->Get("/api/v1/users", h));
    for (const auto& u : all["items"])
      if (u["username"] == "lan") return u;
    return Json();
  };
  CHECK(user_lan()["throttled"] == true);
  CHECK(c->Post("/api/v1/users/lan/unlock", h, "", "application/json")->status == 204);
  CHECK(login(f, "lan", "mật khẩu của Lan")->status == 200);

  // Password reset: the old one stops working, sessions end.
  CHECK(c->Post("/api/v1/users/lan/password", h, Json{{"password", "mật khẩu mới 2025"}}.dump(), "application/json")
            ->status == 204);
  CHECK(c->Get("/api/v1/session", DaemonFixture::bearer(lan_token))->status == 401);
  CHECK(login(f, "lan", "mật khẩu của Lan")->status == 401);
  auto again = login(f, "lan", "mật khẩu mới 2025");
  REQUIRE(again->status == 200);
  lan_token = test::body_json(again)["token"].get<std::string>();

  // Disabled: its session stops working and it cannot sign in; enabled again it can.
  CHECK(c->Post("/api/v1/users/lan/disable", h, "{}", "application/json")->status == 204);
  CHECK(c->Get("/api/v1/dossiers", DaemonFixture::bearer(lan_token))->status == 401);
  auto refused = login(f, "lan", "mật khẩu mới 2025");
  CHECK(refused->status == 403);
  CHECK(login(f, "lan", "not-the-password")->status == 401);
  CHECK(user_lan()["disabled"] == true);
  CHECK(c->Post("/api/v1/users/lan/enable", h, "", "application/json")->status == 204);
  CHECK(login(f, "lan", "mật khẩu mới 2025")->status == 200);
}

TEST_CASE("the admin's user routes refuse bad input naming the field and change nothing", "[http][auth][admin-users]") {
  DaemonFixture f;
  Browser admin = sign_in(f, "admin1");
  auto c = f.client();
  auto h = DaemonFixture::bearer(admin.token);
  const auto before = test::snapshot(*f.node);
  auto users_before = test::body_json(c->Get("/api/v1/users", h));
  auto add = [&](Json body) { return c->Post("/api/v1/users", h, body.dump(), "application/json"); };
  const Json good{{"username", "binh"}, {"full_name", "Lê Văn Bình"}, {"role", "officer"}, {"password", "password-binh"}};
  struct Case {
    const char* what;
    std::function<httplib::Result()> call;
    int status;
    const char* code;
    const char* field;
  };
  std::vector<Case> cases = {
      {"no full name", [&] { Json j = good; j.erase("full_name"); return add(j); }, 400, "missing_field", "full_name"},
      {"unknown role", [&] { Json j = good; j["role"] = "boss"; return add(j); }, 400, "invalid_value", "role"},
      {"short password", [&] { Json j = good; j["password"] = "short"; return add(j); }, 400, "invalid_value", "password"},
      {"bad username", [&] { Json j = good; j["username"] = "bình"; return add(j); }, 400, "invalid_value", "username"},
      {"control character in the name", [&] { Json j = good; j["full_name"] = "Lê\nBình"; return add(j); }, 400,
       "invalid_value", "full_name"},
      {"name too long", [&] { Json j = good; j["full_name"] = std::string(101, 'a'); return add(j); }, 400,
       "invalid_value", "full_name"},
      {"unknown field", [&] { Json j = good; j["admin"] = true; return add(j); }, 400, "unknown_field", "admin"},
      {"existing user", [&] { Json j = good; j["username"] = "clerk1"; return add(j); }, 409, "already_exists",
       "username"},
      {"patch an unknown user", [&] { return c->Patch("/api/v1/users/nobody", h, "{\"role\":\"clerk\"}", "application/json"); },
       404, "not_found", "username"},
      {"patch a bad role", [&] { return c->Patch("/api/v1/users/clerk1", h, "{\"role\":\"root\"}", "application/json"); },
       400, "invalid_value", "role"},
      {"patch the role with a number", [&] { return c->Patch("/api/v1/users/clerk1", h, "{\"role\":1}", "application/json"); },
       400, "wrong_type", "role"},
      {"patch an unknown field", [&] { return c->Patch("/api/v1/users/clerk1", h, "{\"password\":\"x\"}", "application/json"); },
       400, "unknown_field", "password"},
      {"demote the last admin", [&] { return c->Patch("/api/v1/users/admin1", h, "{\"role\":\"clerk\"}", "application/json"); },
       409, "conflict", "role"},
      {"reset to a short password",
       [&] { return c->Post("/api/v1/users/clerk1/password", h, "{\"password\":\"1234567\"}", "application/json"); }, 400,
       "invalid_value", "password"},
      {"reset without a password", [&] { return c->Post("/api/v1/users/clerk1/password", h, "{}", "application/json"); },
       400, "missing_field", "password"},
      {"reset an unknown user",
       [&] { return c->Post("/api/v1/users/nobody/password", h, "{\"password\":\"password-x\"}", "application/json"); },
       404, "not_found", "username"},
      {"disable yourself", [&] { return c->Post("/api/v1/users/admin1/disable", h, "", "application/json"); }, 409,
       "conflict", "username"},
      {"disable an unknown user", [&] { return c->Post("/api/v1/users/nobody/disable", h, "", "application/json"); },
       404, "not_found", "username"},
      {"disable with a body", [&] { return c->Post("/api/v1/users/clerk1/disable", h, "{\"why\":1}", "application/json"); },
       400, "unknown_field", "why"},
      {"unlock an unknown user", [&] { return c->Post("/api/v1/users/nobody/unlock", h, "", "application/json"); }, 404,
       "not_found", "username"},
  };
  for (const auto& k : cases) {
    INFO(k.what);
    auto r = k.call();
    REQUIRE(r);
    CHECK(r->status == k.status);
    CHECK(error_code(r) == k.code);
    CHECK(error_field(r) == k.field);
  }
  CHECK(test::snapshot(*f.node) == before);
  CHECK(test::body_json(c->Get("/api/v1/users", h)) == users_before);

  // Only an admin may use them.
  auto clerk = DaemonFixture::bearer(f.login("clerk1"));
  CHECK(c->Get("/api/v1/users", clerk)->status == 403);
  CHECK(add(good)->status == 201);
  CHECK(c->Post("/api/v1/users/binh/unlock", clerk, "", "application/json")->status == 403);
  CHECK(c->Post("/api/v1/users/binh/disable", clerk, "", "application/json")->status == 403);
}

TEST_CASE("the last enabled admin cannot be disabled, another admin can be", "[http][auth][admin-users]") {
  DaemonFixture f;
  auto c = f.client();
  auto h = DaemonFixture::bearer(f.login("admin1"));
  REQUIRE(c->Post("/api/v1/users", h,
                  Json{{"username", "admin2"}, {"full_name", "Quản trị 2"}, {"role", "admin"}, {"password", "admin2-password"}}
                      .dump(),
                  "application/json")
              ->status == 201);
  auto h2 = DaemonFixture::bearer(f.login("admin2"));
  // admin2 disables admin1; then admin2 is the last enabled admin and must stay one.
  CHECK(c->Post("/api/v1/users/admin1/disable", h2, "", "application/json")->status == 204);
  CHECK(c->Get("/api/v1/users", h)->status == 401);  // admin1's session ended
  auto last = c->Patch("/api/v1/users/admin2", h2, "{\"role\":\"officer\"}", "application/json");
  CHECK(last->status == 409);
  CHECK(c->Post("/api/v1/users/admin1/enable", h2, "", "application/json")->status == 204);
  CHECK(c->Patch("/api/v1/users/admin2", h2, "{\"role\":\"officer\"}", "application/json")->status == 200);
}

TEST_CASE("the receipt names the clerk by the full name the admin gave", "[http][auth][cookie][receipt]") {
  DaemonFixture f;
  auto c = f.client();
  auto admin = DaemonFixture::bearer(f.login("admin1"));
  REQUIRE(c->Post("/api/v1/users", admin,
                  Json{{"username", "lan"}, {"full_name", "Nguyễn Thị Lan"}, {"role", "clerk"}, {"password", "lan-password"}}
                      .dump(),
                  "application/json")
              ->status == 201);
  Browser lan = sign_in(f, "lan");
  auto made = c->Post("/api/v1/dossiers", cookie_csrf(lan, lan.csrf), test::intake_request().dump(), "application/json");
  REQUIRE(made->status == 201);
  std::string code = test::body_json(made)["code"];
  auto receipt = c->Get("/api/v1/dossiers/" + code + "/receipt", cookie(lan));
  REQUIRE(receipt->status == 200);
  CHECK(receipt->body.find("Nguyễn Thị Lan") != std::string::npos);
}
