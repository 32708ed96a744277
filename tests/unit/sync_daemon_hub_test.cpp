// The hub as `motcua serve` runs it: points sync over HTTP with the daemon,
// and what /metrics shows is what the hub's sync endpoints did (one Hub per
// process, the sync agent's).
#include <catch2/catch.hpp>

#include <httplib.h>

#include <thread>

#include "motcua/node/users.hpp"
#include "motcua/sync/server.hpp"
#include "sync_test_util.hpp"

using namespace motcua;
using namespace motcua::test;

namespace {

// A hub daemon on a free loopback port over the world's hub node, running
// until destroyed.
struct ServedHub {
  explicit ServedHub(SyncWorld& w) : daemon(*w.hub_node, options()) {
    if (!daemon.bind().ok()) throw std::runtime_error("the hub daemon cannot bind");
    runner = std::thread([this] { (void)daemon.run(); });
    url = "http://127.0.0.1:" + std::to_string(daemon.port());
  }
  ~ServedHub() {
    daemon.stop();
    runner.join();
  }
  static sync::DaemonOptions options() {
    sync::DaemonOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.background_sync = false;
    o.fast_password_hash = true;
    o.threads = 4;
    o.log = [](const std::string&) {};
    return o;
  }
  std::unique_ptr<sync::Transport> transport() {
    sync::HttpOptions ho;
    ho.url = url;
    auto t = sync::make_http_transport(ho);
    if (!t.ok()) throw std::runtime_error(t.error().message);
    return std::move(t.value());
  }
  std::string metrics() {
    httplib::Client c("127.0.0.1", daemon.port());
    auto r = c.Get("/metrics");
    return r && r->status == 200 ? r->body : std::string();
  }
  sync::Daemon daemon;
  std::thread runner;
  std::string url;
};

}  // namespace

TEST_CASE("a served hub's /metrics counts the pushes its sync endpoints took", "[sync][metrics][daemon]") {
  SyncWorld w;
  size_t a = w.add_point("a", "area-x");  // enrolled in the hub's store, which the daemon opens too
  w.take_in(a);
  w.take_in(a);
  ServedHub served(w);
  auto t = served.transport();
  auto r = sync::sync_once(*w.points[a], *t, w.client_options());
  REQUIRE(r.ok());
  CHECK(r.value()["entries_up"] == 2);
  const std::string m = served.metrics();
  REQUIRE_FALSE(m.empty());
  // The push went through this process's gate (docs/design/0120): with a
  // second Hub of the routes' own, /metrics showed 0 here.
  CHECK(metric(m, "motcua_sync_pushes_total") == 1);
  CHECK(metric(m, "motcua_sync_pushes_inside") == 0);
  CHECK(metric(m, "motcua_sync_entries_total{direction=\"up\"}") == 2);
  CHECK(metric(m, "motcua_sync_sessions_total{result=\"ok\"}") == 1);
}

TEST_CASE("a hub's sync status gives every user a summary of its points and only an admin the list",
          "[sync][daemon][http]") {
  SyncWorld w;
  size_t a = w.add_point("a", "area-x");
  w.add_point("b", "area-x");  // never syncs: a's entries wait for it
  w.take_in(a);
  sync::PointAddOptions pending;  // registered, its code not used yet
  pending.name = "c";
  pending.area = "area-x";
  pending.agency_code = "000.00.01.H22";
  REQUIRE(w.hub->add_point(pending).ok());
  node::UserStore users(w.hub_node->db(), w.clock, w.rng, true);
  REQUIRE(users.add_user("clerk1", node::UserRole::Clerk, "clerk1-password").ok());
  REQUIRE(users.add_user("admin1", node::UserRole::Admin, "admin1-password").ok());
  ServedHub served(w);
  auto t = served.transport();
  REQUIRE(sync::sync_once(*w.points[a], *t, w.client_options()).ok());

  httplib::Client c("127.0.0.1", served.daemon.port());
  auto as = [&](const std::string& user) {
    auto r = c.Post("/api/v1/sessions", Json{{"username", user}, {"password", user + "-password"}}.dump(),
                    "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    return httplib::Headers{{"Authorization", "Bearer " + Json::parse(r->body)["token"].get<std::string>()}};
  };
  auto status = [&](const std::string& query, const httplib::Headers& h, int want) {
    auto r = c.Get("/api/v1/sync/status" + query, h);
    REQUIRE(r);
    CHECK(r->status == want);
    return Json::parse(r->body, nullptr, false);
  };
  const auto clerk = as("clerk1"), admin = as("admin1");
  Json s = status("", clerk, 200);
  CHECK(s["role"] == "hub");
  CHECK_FALSE(s.contains("points"));  // each point's contact and cursors: the admin's
  CHECK(s["points_summary"]["active"] == 2);
  CHECK(s["points_summary"]["pending"] == 1);
  CHECK(s["points_summary"]["behind"] == 1);  // b has not taken a's entry
  CHECK(s["points_summary"]["last_success"].is_string());

  s = status("", admin, 200);
  REQUIRE(s["points"].is_array());
  CHECK(s["points"].size() == 3);
  CHECK(s["points_summary"]["active"] == 2);
  // The status bar polls without the list.
  s = status("?points=0", admin, 200);
  CHECK_FALSE(s.contains("points"));
  CHECK(s["points_summary"]["active"] == 2);
  s = status("?points=all", admin, 400);
  CHECK(s["error"]["field"] == "points");
}
