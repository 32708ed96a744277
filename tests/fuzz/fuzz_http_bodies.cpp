// fuzz_http_bodies: the daemon's route handlers (node/http/src/*.cpp, sync/src/ops_routes.cpp) called
// in-process, without sockets. The harness mounts every route on a router
// that records them (Router::record_into), on a point node with users of each
// role and a few dossiers in different states. Input:
//   byte 0   the route: the one whose id (first byte of the BLAKE2b of
//            "METHOD pattern") it equals, else route number byte0 % count;
//            ids keep stored inputs on their route when routes are added
//   byte 1   the caller: one of the roles the route admits
//   byte 2   the {placeholder}: a dossier made at start (< 0xf0), or the
//            text up to the first newline of the rest
//   rest     the request body (JSON routes, uploads), or the query string
//            (GET routes)
// Properties: no exception, no 5xx, and a JSON error {"error": {code,
// message}} for every 4xx. Handlers change the node's state as they would in
// the daemon (a dossier accepted by one input stays accepted for the next).
#include <SQLiteCpp/Database.h>

#include <cstdio>
#include <regex>

#include "motcua/http/metrics.hpp"
#include "motcua/http/router.hpp"
#include "motcua/http/util.hpp"
#include "../../sync/src/ops_routes.hpp"
#include "../unit/test_util.hpp"
#include "harness.hpp"
#include "motcua/node/blobs.hpp"
#include "motcua/node/dossiers.hpp"
#include "motcua/node/node.hpp"
#include "motcua/node/users.hpp"
#include "motcua/sync/agent.hpp"
#include "../unit/sample_intake.hpp"

namespace motcua::fuzz {

namespace {

using node::UserRole;

struct Route {
  http::MountedRoute r;
  std::regex re;
  uint8_t id = 0;
};

struct HttpWorld {
  std::string dir;
  ManualClock clock{1751335200000};  // 09:00 on a Tuesday in Vietnam
  SeededRandom rng{11};
  std::unique_ptr<node::Node> node;
  std::unique_ptr<node::UserStore> users;
  std::unique_ptr<node::BlobStore> blobs;
  std::unique_ptr<node::DossierService> dossiers;
  std::unique_ptr<sync::SyncAgent> agent;
  http::HttpMetrics metrics;
  std::unique_ptr<http::HttpContext> ctx;
  httplib::Server server;  // the routes are mounted on it; it never listens
  std::vector<Route> routes;
  std::map<UserRole, std::string> tokens;
  std::vector<std::string> codes;  // dossiers made at start

  HttpWorld() : dir(scratch_dir("http")) {
    node = test::make_node(dir + "/point", clock, rng, node::Role::Point, "diem-1");
    node->db()->exec("PRAGMA synchronous = OFF");
    auto* conn = &node->journal().mutex();
    users = std::make_unique<node::UserStore>(node->db(), clock, rng, true, conn);
    blobs = std::make_unique<node::BlobStore>(node->data_dir(), node->db(), node->config().get_int("max_blob_bytes"), conn);
    dossiers = std::make_unique<node::DossierService>(*node);
    agent = sync::make_sync_agent(*node);
    ctx = std::make_unique<http::HttpContext>(http::HttpContext{*node, *users, *blobs, *dossiers, metrics,
                                                                node->config().get_int("max_body_bytes"),
                                                                node->config().get_int("session_ttl_s") * 1000});
    std::vector<http::MountedRoute> mounted;
    http::Router router(server, *ctx);
    router.record_into(&mounted);
    http::mount_counter_routes(router);
    sync::mount_ops_routes(router, *agent);
    for (auto& m : mounted) {
      auto id = blake2b256(m.method + " " + m.pattern)[0];
      routes.push_back(Route{m, std::regex(http::pattern_regex(m.pattern)), id});
    }
    for (auto [name, role] : std::vector<std::pair<std::string, UserRole>>{
             {"clerk1", UserRole::Clerk}, {"postal1", UserRole::Postal},
             {"officer1", UserRole::Officer}, {"admin1", UserRole::Admin}}) {
      if (!users->add_user(name, role, name + "-password").ok()) fail("world: add_user");
      auto login = users->login(name, name + "-password", 3600 * 1000);
      if (!login.ok()) fail("world: login");
      tokens[role] = login->token;
    }
    // Dossiers at intake, accepted, and with a result ready.
    const Json intake{{"procedure_code", "1.001193"},
                      {"applicant",
                       {{"full_name", "Nguyễn Văn An"},
                        {"cccd", "001099012345"},
                        {"phone", "0912345678"},
                        {"address", "Thôn Đông, xã Ân Thi, Hưng Yên"}}},
                      {"channel", "counter"},
                      {"form", {{"child_name", "Nguyễn Văn Bình"}}},
                      {"attachments", Json::array()},
                      {"documents", motcua::test::birth_registration_documents()}};
    const node::Actor clerk{"clerk1", UserRole::Clerk}, officer{"officer1", UserRole::Officer};
    for (int i = 0; i < 3; ++i) {
      auto made = dossiers->intake(clerk, intake);
      if (!made.ok()) fail("world: intake: " + made.error().message);
      codes.push_back((*made)["code"].get<std::string>());
    }
    for (const char* step : {"accept"})
      if (!dossiers->act(officer, codes[1], step, Json::object()).ok()) fail("world: accept");
    for (const char* step : {"accept", "start-processing", "result-ready"})
      if (!dossiers->act(officer, codes[2], step, Json::object()).ok()) fail(std::string("world: ") + step);
  }
  ~HttpWorld() {
    agent->stop();
    routes.clear();
    agent.reset();
    dossiers.reset();
    blobs.reset();
    users.reset();
    node.reset();
    remove_dir(dir);
  }
  static HttpWorld& get() {
    static HttpWorld w;
    return w;
  }

  const Route& route(uint8_t b) const {
    for (const auto& r : routes)
      if (r.id == b) return r;
    return routes[b % routes.size()];
  }
};

UserRole pick_role(const http::Roles& allowed, uint8_t b) {
  static const UserRole all[] = {UserRole::Clerk, UserRole::Postal, UserRole::Officer, UserRole::Admin};
  return allowed.empty() ? all[b % 4] : allowed[b % allowed.size()];
}

std::string fill_pattern(const std::string& pattern, const std::string& value) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '{') {
      out += value;
      i = pattern.find('}', i);
    } else {
      out += pattern[i];
    }
  }
  return out;
}

}  // namespace

int http_bodies(const uint8_t* data, size_t size) {
  HttpWorld& w = HttpWorld::get();
  Input in(data, size);
  const Route& route = w.route(in.byte());
  const uint8_t role_byte = in.byte(), param_byte = in.byte();
  std::string param = param_byte < 0xf0 ? w.codes[param_byte % w.codes.size()] : in.line();
  if (param.empty() || param.find('/') != std::string::npos) param = "x";
  const std::string body = in.rest();

  httplib::Request req;
  req.method = route.r.method;
  req.path = fill_pattern(route.r.pattern, param);
  req.remote_addr = "127.0.0.1";
  if (!std::regex_match(req.path, req.matches, route.re)) return 0;  // a placeholder value the path cannot carry
  if (route.r.method == "GET") httplib::detail::parse_query_text(body, req.params);
  httplib::Response res;
  std::optional<node::Actor> actor;
  if (route.r.access == http::Access::User) {
    UserRole role = pick_role(route.r.roles, role_byte);
    actor = node::Actor{node::user_role_name(role) + "1", role};
    req.set_header("Authorization", "Bearer " + w.tokens[role]);
  }
  const std::string context = route.r.method + " " + req.path;
  http::Call call{req, res, route.r.method == "GET" ? std::string() : body, actor};
  no_throw(context.c_str(), [&] {
    if (route.r.streamed) {
      req.set_header("Content-Type", "application/octet-stream");
      httplib::ContentReader reader(
          [&](httplib::ContentReceiver receive) { return body.empty() || receive(body.data(), body.size()); },
          [](httplib::MultipartContentHeader, httplib::ContentReceiver) { return true; });
      route.r.streamed(call, reader);
    } else {
      route.r.handler(call);
    }
    return 0;
  });
  if (verbose()) std::fprintf(stderr, "%s -> %d %s\n", context.c_str(), res.status, res.body.substr(0, 160).c_str());
  if (res.status >= 500) fail(context + " answered " + std::to_string(res.status) + ": " + res.body.substr(0, 300));
  if (res.status >= 400) check_error_json(res.body, context);
  if (res.get_header_value("Content-Type").rfind("application/json", 0) == 0 && !res.body.empty() &&
      parse_lenient(res.body).is_discarded())
    fail(context + " answered a JSON content type with a body that is not JSON");
  return 0;
}

}  // namespace motcua::fuzz
