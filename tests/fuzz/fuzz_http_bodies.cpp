// fuzz_http_bodies: the daemon's route handlers (node/http/src/*.cpp, sync/src/ops_routes.cpp,
// sync/src/admin_routes.cpp) called in-process, without sockets. The harness
// mounts every route on a router that records them (Router::record_into): the
// counter and operations routes on a point node with users of each role and
// a few dossiers in different states; the hub administration routes (points,
// quarantine, alerts) on a hub node to which a second point pushed entries
// the hub holds in quarantine. Input:
//   byte 0   the route: the one whose id (first byte of the BLAKE2b of
//            "METHOD pattern") it equals, else route number byte0 % count;
//            ids keep stored inputs on their route when routes are added
//   byte 1   the caller: one of the roles the route admits
//   byte 2   the {placeholder}: a value made at start (< 0xf0: a dossier
//            code; for /api/v1/quarantine/{id} the id of a held entry, for
//            /api/v1/points/{name} a point's name), or the text up to the
//            first newline of the rest
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
#include "../unit/sync_test_util.hpp"
#include "../unit/test_util.hpp"
#include "harness.hpp"
#include "motcua/node/blobs.hpp"
#include "motcua/node/dossiers.hpp"
#include "motcua/node/node.hpp"
#include "motcua/node/users.hpp"
#include "motcua/sync/agent.hpp"
#include "motcua/sync/hub.hpp"
#include "../../sync/src/admin_routes.hpp"
#include "../unit/sample_intake.hpp"

namespace motcua::fuzz {

namespace {

using node::UserRole;

struct Route {
  http::MountedRoute r;
  std::regex re;
  uint8_t id = 0;
  const std::vector<std::string>* params = nullptr;  // the placeholder values made at start
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
  // The hub (administration routes) and the point that pushed to it.
  std::unique_ptr<node::Node> hub_node, remote;
  std::unique_ptr<node::UserStore> hub_users;
  std::unique_ptr<node::BlobStore> hub_blobs;
  std::unique_ptr<node::DossierService> hub_dossiers;
  std::unique_ptr<sync::SyncAgent> hub_agent;
  std::unique_ptr<http::HttpContext> hub_ctx;
  httplib::Server hub_server;
  std::vector<std::string> held;         // ids (hex) of entries the hub holds in quarantine
  std::vector<std::string> point_names;  // points registered at the hub

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
      routes.push_back(Route{m, std::regex(http::pattern_regex(m.pattern)), id, &codes});
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
    const Json intake = intake_json();
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
    make_hub();
  }
  // A hub with the administration routes (on a point they only answer
  // not_a_hub), a point "diem-2" that joined it and pushed a dossier and two
  // entries the hub may not admit (an act without a parent: no_parent; a
  // type no point writes: type_not_allowed), and a point "diem-3" registered
  // but not enrolled.
  void make_hub() {
    hub_node = test::make_node(dir + "/hub", clock, rng, node::Role::Hub, "hub");
    hub_node->db()->exec("PRAGMA synchronous = OFF");
    auto* conn = &hub_node->journal().mutex();
    hub_users = std::make_unique<node::UserStore>(hub_node->db(), clock, rng, true, conn);
    hub_blobs = std::make_unique<node::BlobStore>(hub_node->data_dir(), hub_node->db(),
                                                  hub_node->config().get_int("max_blob_bytes"), conn);
    hub_dossiers = std::make_unique<node::DossierService>(*hub_node);
    hub_agent = sync::make_sync_agent(*hub_node);
    sync::Hub& hub = *hub_agent->hub();
    hub_ctx = std::make_unique<http::HttpContext>(http::HttpContext{*hub_node, *hub_users, *hub_blobs, *hub_dossiers,
                                                                    metrics, hub_node->config().get_int("max_body_bytes"),
                                                                    hub_node->config().get_int("session_ttl_s") * 1000});
    hub_ctx->log = [](const std::string&) {};
    std::vector<http::MountedRoute> mounted;
    http::Router router(hub_server, *hub_ctx);
    router.record_into(&mounted);
    sync::mount_admin_routes(router, *hub_agent);
    for (auto& m : mounted) {
      auto id = blake2b256(m.method + " " + m.pattern)[0];
      const bool quarantine = m.pattern.rfind("/api/v1/quarantine/", 0) == 0;
      const bool point = m.pattern.rfind("/api/v1/points/", 0) == 0;
      routes.push_back(Route{m, std::regex(http::pattern_regex(m.pattern)), id,
                             quarantine ? &held : point ? &point_names : &codes});
    }
    for (const char* name : {"diem-2", "diem-3"}) {
      sync::PointAddOptions o;
      o.name = name;
      o.area = "xa-an-thi";
      o.agency_code = "000.00.01.H22";
      auto code = hub.add_point(o);
      if (!code.ok()) fail("world: add_point: " + code.error().message);
      point_names.push_back(name);
      if (std::string(name) != "diem-2") continue;
      remote = test::make_node(dir + "/diem-2", clock, rng, node::Role::Point, name);
      remote->db()->exec("PRAGMA synchronous = OFF");
      test::DirectTransport link(hub);
      auto j = sync::join(*remote, link, "http://hub.test", code->code);
      if (!j.ok()) fail("world: join: " + j.error().message);
      node::DossierService svc(*remote);
      auto made = svc.intake(node::Actor{"clerk1", UserRole::Clerk}, intake_json());
      if (!made.ok()) fail("world: intake at diem-2: " + made.error().message);
      for (const auto& d : {node::EntryDraft{"clerk1", node::events::kUpdated, "000.00.01.H22-250701-0099", Json::object()},
                            node::EntryDraft{"clerk1", "note", "ghi-chu", Json{{"text", "x"}}}})
        if (!remote->journal().append(d).ok()) fail("world: append at diem-2");
      auto s = sync::sync_once(*remote, link);
      if (!s.ok()) fail("world: sync of diem-2: " + s.error().message);
    }
    auto q = hub.quarantine("held");
    if (!q.ok()) fail("world: quarantine list: " + q.error().message);
    for (const auto& row : q->value("items", Json::array())) held.push_back(row.value("id", std::string()));
    if (held.size() != 2) fail("world: the hub holds " + std::to_string(held.size()) + " entries, not 2");
  }

  static Json intake_json() { return motcua::test::birth_registration_intake(); }

  ~HttpWorld() {
    agent->stop();
    routes.clear();
    hub_agent.reset();
    hub_dossiers.reset();
    hub_blobs.reset();
    hub_users.reset();
    remote.reset();
    hub_node.reset();
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
  const std::vector<std::string>& made = route.params && !route.params->empty() ? *route.params : w.codes;
  std::string param = param_byte < 0xf0 ? made[param_byte % made.size()] : in.line();
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
