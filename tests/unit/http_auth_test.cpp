// Sessions, token expiry, throttling and roles over real HTTP on loopback.
#include <catch2/catch.hpp>

#include "http_test_util.hpp"

using namespace motcua;
using test::DaemonFixture;

namespace {
httplib::Result login(DaemonFixture& f, const std::string& user, const std::string& password) {
  return f.client()->Post("/api/v1/sessions", Json{{"username", user}, {"password", password}}.dump(),
                          "application/json");
}
}  // namespace

TEST_CASE("logging in returns a token, the role and when it expires", "[http][auth]") {
  sync::DaemonOptions o;
  o.session_ttl_s = 3600;
  DaemonFixture f(o);
  auto r = login(f, "clerk1", "clerk1-password");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  Json j = test::body_json(r);
  CHECK(j["token"].get<std::string>().size() == 64);
  CHECK(j["role"] == "clerk");
  CHECK(j["expires_at"] == "2025-07-01T03:00:00.000Z");
  auto me = f.client()->Get("/api/v1/sync/status", DaemonFixture::bearer(j["token"]));
  CHECK(me->status == 200);
}

TEST_CASE("wrong password and unknown user get the same 401 body", "[http][auth]") {
  DaemonFixture f;
  auto wrong = login(f, "clerk1", "not-the-password");
  auto unknown = login(f, "nobody", "clerk1-password");
  REQUIRE(wrong);
  REQUIRE(unknown);
  CHECK(wrong->status == 401);
  CHECK(unknown->status == 401);
  CHECK(wrong->body == unknown->body);
  CHECK(test::body_json(wrong)["error"]["code"] == "unauthorized");
}

TEST_CASE("after three failures a username waits before its next try, then the right password works", "[http][auth]") {
  DaemonFixture f;
  for (int i = 0; i < 3; ++i) REQUIRE(login(f, "officer1", "guess-" + std::to_string(i))->status == 401);
  auto slowed = login(f, "officer1", "officer1-password");
  CHECK(slowed->status == 429);
  CHECK(test::body_json(slowed)["error"]["code"] == "too_many_attempts");
  CHECK(login(f, "clerk1", "clerk1-password")->status == 200);  // others unaffected
  f.clock.advance(1000);  // no 15-minute lock: a second later the right password works
  CHECK(login(f, "officer1", "officer1-password")->status == 200);
}

TEST_CASE("a token stops working when its session expires", "[http][auth]") {
  sync::DaemonOptions o;
  o.session_ttl_s = 60;
  DaemonFixture f(o);
  auto token = f.login("clerk1");
  CHECK(f.client()->Get("/api/v1/dossiers", DaemonFixture::bearer(token))->status == 200);
  f.clock.advance(60 * 1000);
  auto late = f.client()->Get("/api/v1/dossiers", DaemonFixture::bearer(token));
  CHECK(late->status == 401);
  CHECK(late->get_header_value("WWW-Authenticate").find("Bearer") == 0);
}

TEST_CASE("logging out ends the session", "[http][auth]") {
  DaemonFixture f;
  auto token = f.login("postal1");
  CHECK(f.client()->Delete("/api/v1/sessions", DaemonFixture::bearer(token))->status == 204);
  CHECK(f.client()->Get("/api/v1/dossiers", DaemonFixture::bearer(token))->status == 401);
}

TEST_CASE("requests without a valid token get 401", "[http][auth]") {
  DaemonFixture f;
  auto none = f.client()->Get("/api/v1/dossiers");
  CHECK(none->status == 401);
  CHECK(test::body_json(none)["error"]["code"] == "unauthorized");
  CHECK(f.client()->Get("/api/v1/dossiers", DaemonFixture::bearer(std::string(64, 'a')))->status == 401);
  CHECK(f.client()->Get("/api/v1/dossiers", {{"Authorization", "Basic Y2xlcmsxOng="}})->status == 401);
  CHECK(f.client()->Post("/api/v1/dossiers", test::intake_request().dump(), "application/json")->status == 401);
}

TEST_CASE("the login body is checked field by field", "[http][auth]") {
  DaemonFixture f;
  auto c = f.client();
  auto missing = c->Post("/api/v1/sessions", R"({"username":"clerk1"})", "application/json");
  CHECK(missing->status == 400);
  CHECK(test::body_json(missing)["error"]["field"] == "password");
  auto extra = c->Post("/api/v1/sessions", R"({"username":"a","password":"b","otp":1})", "application/json");
  CHECK(test::body_json(extra)["error"]["code"] == "unknown_field");
  auto type = c->Post("/api/v1/sessions", R"({"username":"a","password":12345678})", "application/json");
  CHECK(test::body_json(type)["error"]["code"] == "wrong_type");
  auto bad = c->Post("/api/v1/sessions", R"({"username":)", "application/json");
  CHECK(bad->status == 400);
  CHECK(test::body_json(bad)["error"]["code"] == "invalid_json");
}

TEST_CASE("each endpoint refuses roles API.md does not list with 403", "[http][auth]") {
  DaemonFixture f;
  auto clerk = DaemonFixture::bearer(f.login("clerk1"));
  auto officer = DaemonFixture::bearer(f.login("officer1"));
  auto postal = DaemonFixture::bearer(f.login("postal1"));
  auto admin = DaemonFixture::bearer(f.login("admin1"));
  auto c = f.client();
  const std::string json = "application/json";

  // Intake is for the counter (clerk, postal) only.
  auto off = c->Post("/api/v1/dossiers", officer, test::intake_request().dump(), json);
  CHECK(off->status == 403);
  CHECK(test::body_json(off)["error"]["code"] == "forbidden");
  CHECK(c->Post("/api/v1/dossiers", admin, test::intake_request().dump(), json)->status == 403);
  auto made = c->Post("/api/v1/dossiers", clerk, test::intake_request().dump(), json);
  REQUIRE(made->status == 201);
  std::string code = test::body_json(made)["code"];
  std::string base = "/api/v1/dossiers/" + code;

  // Officer acts are refused to the counter; counter acts to the officer.
  CHECK(c->Post(base + "/accept", clerk, "{}", json)->status == 403);
  CHECK(c->Post(base + "/cancel", officer, R"({"reason":"x"})", json)->status == 403);
  CHECK(c->Patch(base, officer, R"({"form":{}})", json)->status == 403);
  CHECK(c->Post(base + "/delivery-failed", clerk, R"({"reason":"x"})", json)->status == 403);
  CHECK(c->Post(base + "/handover", officer, "{}", json)->status == 403);
  CHECK(c->Post(base + "/fees", officer, R"({"amount_vnd":1,"receipt_no":"1"})", json)->status == 403);

  // Admin-only and review endpoints.
  CHECK(c->Get("/api/v1/audit/sync-log", clerk)->status == 403);
  CHECK(c->Get("/api/v1/audit/sync-log", admin)->status == 200);
  CHECK(c->Get("/api/v1/journal/verify", officer)->status == 403);
  CHECK(c->Get("/api/v1/conflicts", clerk)->status == 403);
  CHECK(c->Get("/api/v1/conflicts", officer)->status == 200);
  CHECK(c->Post("/api/v1/sync", postal, "", json)->status == 403);
  CHECK(c->Post("/api/v1/blobs", officer, "%PDF-1.4 x", "application/pdf")->status == 403);

  // Reading is open to every signed-in role.
  for (const auto& h : {clerk, officer, postal, admin}) {
    CHECK(c->Get(base, h)->status == 200);
    CHECK(c->Get("/api/v1/procedures?q=khai%20sinh", h)->status == 200);
  }
}

TEST_CASE("an admin can verify the journal over HTTP", "[http][auth]") {
  DaemonFixture f;
  auto admin = DaemonFixture::bearer(f.login("admin1"));
  auto r = f.client()->Get("/api/v1/journal/verify", admin);
  REQUIRE(r->status == 200);
  Json j = test::body_json(r);
  CHECK(j["ok"] == true);
  CHECK(j["problems"].empty());
}
