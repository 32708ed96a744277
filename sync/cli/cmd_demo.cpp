// demo: a hub and two service points on loopback, one dossier's whole life
// across them (intake while the hub is down, sync, processing at the hub,
// handover at the point) and a concurrent edit that becomes a listed conflict.
#include <httplib.h>

#include <filesystem>
#include <thread>

#include "cli.hpp"
#include "motcua/crypto.hpp"
#include "motcua/node/users.hpp"
#include "motcua/sync/client.hpp"
#include "motcua/sync/hub.hpp"
#include "motcua/sync/hub_store.hpp"
#include "motcua/sync/server.hpp"
#include "motcua/sync/transport.hpp"

namespace motcua::cli {

namespace {

namespace fs = std::filesystem;

struct DemoError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void step(const std::string& s) { std::cout << "\n== " << s << "\n" << std::flush; }
void say(const std::string& s) { std::cout << "   " << s << "\n" << std::flush; }

// One node with its daemon running on an ephemeral loopback port.
struct Site {
  Site(std::string n, std::string d) : name(std::move(n)), dir(std::move(d)) {}
  std::string name;
  std::string dir;
  std::unique_ptr<node::Node> node;
  std::unique_ptr<sync::Daemon> daemon;
  std::thread thread;
  int port = 0;

  void start(int wanted_port = 0) {
    sync::DaemonOptions o;
    o.host = "127.0.0.1";
    o.port = wanted_port;
    o.background_sync = false;  // the demo syncs by hand so each step is visible
    o.log = [](const std::string&) {};
    daemon = std::make_unique<sync::Daemon>(*node, o);
    Status b = daemon->bind();
    if (!b.ok()) throw DemoError(name + ": " + b.error().message);
    port = daemon->port();
    thread = std::thread([this] { (void)daemon->run(); });
  }
  void stop() {
    if (!daemon) return;
    daemon->stop();
    if (thread.joinable()) thread.join();
    daemon.reset();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
};

Json call(Site& s, const std::string& method, const std::string& path, const std::string& token,
          const Json& body = Json::object(), int expect = 200) {
  httplib::Client c("127.0.0.1", s.port);
  c.set_read_timeout(60, 0);
  httplib::Headers h;
  if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
  httplib::Result r = method == "GET"     ? c.Get(path.c_str(), h)
                      : method == "PATCH" ? c.Patch(path.c_str(), h, body.dump(), "application/json")
                                          : c.Post(path.c_str(), h, body.dump(), "application/json");
  if (!r) throw DemoError(s.name + ": no answer to " + method + " " + path);
  if (r->status != expect)
    throw DemoError(s.name + ": " + method + " " + path + " answered " + std::to_string(r->status) + ": " + r->body);
  Json j = Json::parse(r->body, nullptr, false);
  return j.is_discarded() ? Json(r->body) : j;
}

std::string login(Site& s, const std::string& user) {
  return call(s, "POST", "/api/v1/sessions", "", Json{{"username", user}, {"password", "demo-password"}})["token"];
}

std::unique_ptr<node::Node> make_site_node(const std::string& dir, node::Role role, const std::string& name,
                                           const std::vector<std::pair<std::string, node::UserRole>>& users) {
  node::InitOptions io;
  io.data_dir = dir;
  io.role = role;
  io.name = name;
  io.agency_code = role == node::Role::Hub ? "000.00.00.H33" : "000.00.01.H33";
  Status s = node::Node::init(io, system_random());
  if (!s.ok()) throw DemoError(s.error().message);
  node::OpenOptions oo;
  oo.data_dir = dir;
  auto n = node::Node::open(oo);
  if (!n.ok()) throw DemoError(n.error().message);
  node::UserStore us(n.value()->db(), n.value()->clock(), n.value()->random());
  for (const auto& [u, r] : users) {
    Status a = us.add_user(u, r, "demo-password");
    if (!a.ok()) throw DemoError(a.error().message);
  }
  return std::move(n.value());
}

void join(Site& point, Site& hub, const std::string& code) {
  sync::HttpOptions ho;
  ho.url = hub.url();
  auto t = sync::make_http_transport(ho);
  if (!t.ok()) throw DemoError(t.error().message);
  auto r = sync::join(*point.node, *t.value(), hub.url(), code);
  if (!r.ok()) throw DemoError(point.name + ": join failed: " + r.error().message);
  say(point.name + " joined hub '" + r->value("hub_name", std::string()) + "', area '" +
      r->value("area", std::string()) + "'");
}

void show_sync(const std::string& who, const Json& r) {
  say(who + " synced: " + std::to_string(r.value("entries_up", 0)) + " entries up, " +
      std::to_string(r.value("entries_down", 0)) + " down, " + std::to_string(r.value("bytes_up", 0)) + "+" +
      std::to_string(r.value("bytes_down", 0)) + " bytes, result " + r.value("result", std::string("?")));
}

int run_demo(const std::string& dir) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  Site hub{"hub tinh-hung-yen", (fs::path(dir) / "hub").string()};
  Site a{"point xa-an-thi", (fs::path(dir) / "point-xa-an-thi").string()};
  Site b{"point buu-dien-an-thi", (fs::path(dir) / "point-buu-dien-an-thi").string()};
  struct StopAll {
    Site *h, *a, *b;
    ~StopAll() {
      a->stop();
      b->stop();
      h->stop();
    }
  } stop_all{&hub, &a, &b};

  step("1. Create a hub and two service points (keys, databases, users)");
  using R = node::UserRole;
  hub.node = make_site_node(hub.dir, node::Role::Hub, "tinh-hung-yen", {{"admin", R::Admin}, {"officer", R::Officer}});
  a.node = make_site_node(a.dir, node::Role::Point, "xa-an-thi", {{"clerk", R::Clerk}, {"admin", R::Admin}});
  b.node = make_site_node(b.dir, node::Role::Point, "buu-dien-an-thi", {{"postal", R::Postal}, {"admin", R::Admin}});
  // How people name each place, on its receipts and forms (config place_name).
  for (const auto& [n, place] : {std::pair{hub.node.get(), "Trung tâm Phục vụ hành chính công tỉnh Hưng Yên"},
                                 std::pair{a.node.get(), "UBND xã Ân Thi"}, std::pair{b.node.get(), "Bưu điện huyện Ân Thi"}})
    if (Status s = n->config().set("place_name", place); !s.ok()) throw DemoError(s.error().message);
  say("hub   " + hub.dir + "  users: admin, officer");
  say("point " + a.dir + "  users: clerk, admin");
  say("point " + b.dir + "  users: postal, admin   (password of every demo user: demo-password)");

  step("2. Enrol both points at the hub (one-time codes), then join");
  std::string code_a, code_b;
  {
    sync::Hub h(*hub.node, sync::open_hub_store(*hub.node));
    auto ca = h.add_point({.name = "xa-an-thi", .area = "an-thi", .daily_capacity = 300, .place_name = "UBND xã Ân Thi"});
    auto cb = h.add_point(
        {.name = "buu-dien-an-thi", .area = "an-thi", .daily_capacity = 200, .place_name = "Bưu điện huyện Ân Thi"});
    if (!ca.ok() || !cb.ok()) throw DemoError("point add failed");
    code_a = ca->code;
    code_b = cb->code;
  }
  const std::string agency = hub.node->meta("agency_code");
  say("motcua point add xa-an-thi --area an-thi --agency " + agency + " --place-name 'UBND xã Ân Thi'  -> code " + code_a);
  say("motcua point add buu-dien-an-thi --area an-thi --agency " + agency +
      " --place-name 'Bưu điện huyện Ân Thi'  -> code " + code_b);
  hub.start();
  int hub_port = hub.port;
  say("hub listening on " + hub.url());
  join(a, hub, code_a);
  join(b, hub, code_b);
  a.start();
  b.start();
  say("points listening on " + a.url() + " and " + b.url());

  step("3. The hub goes down; the clerk at xa-an-thi takes a dossier in anyway");
  hub.stop();
  std::string clerk = login(a, "clerk");
  Json intake{{"procedure_code", "1.001193"},
              {"applicant",
               {{"full_name", "Nguyễn Văn An"},
                {"cccd", "033099012345"},
                {"phone", "+84912345678"},
                {"address", "Thôn Đông, xã Ân Thi, Hưng Yên"}}},
              {"channel", "counter"},
              {"form", {{"child_name", "Nguyễn Văn Bình"}}},
              {"attachments", Json::array()},
              {"documents", Json::array({Json{{"name", "Tờ khai đăng ký khai sinh theo mẫu"}, {"originals", 1}, {"copies", 0}},
                                          Json{{"name", "Bản chính Giấy chứng sinh (không có thì văn bản của người làm chứng hoặc "
                                                        "giấy cam đoan về việc sinh)"}, {"originals", 1}, {"copies", 0}},
                                          Json{{"name", "Giấy tờ tùy thân của người đi đăng ký (xuất trình)"}, {"originals", 1},
                                               {"copies", 0}}})}};
  Json d1 = call(a, "POST", "/api/v1/dossiers", clerk, intake, 201);
  std::string code1 = d1["code"];
  say("dossier " + code1 + " received " + d1.value("received_at", "") + ", due " + d1.value("due_at", ""));
  say("receipt (Mẫu 01): " + a.url() + d1.value("receipt_url", ""));
  std::string a_admin = login(a, "admin");
  {
    httplib::Client c("127.0.0.1", a.port);
    auto r = c.Post("/api/v1/sync", {{"Authorization", "Bearer " + a_admin}}, "{}", "application/json");
    say(std::string("sync attempt while the hub is down: ") +
        (r ? std::to_string(r->status) + " " + r->body.substr(0, 120) : std::string("no answer")));
  }

  step("4. The hub comes back; the point syncs its journal up");
  hub.start(hub_port);
  show_sync("xa-an-thi", call(a, "POST", "/api/v1/sync", a_admin));

  step("5. An officer at the hub accepts and processes the dossier");
  std::string officer = login(hub, "officer");
  std::string base = "/api/v1/dossiers/" + code1;
  call(hub, "POST", base + "/accept", officer);
  call(hub, "POST", base + "/start-processing", officer);
  Json ready = call(hub, "POST", base + "/result-ready", officer);
  say("status at the hub: " + std::to_string(ready.value("status", 0)) + " (" + ready.value("status_name", "") + ")");

  step("6. The point syncs down and the clerk hands the result over");
  show_sync("xa-an-thi", call(a, "POST", "/api/v1/sync", a_admin));
  Json handed = call(a, "POST", base + "/handover", clerk,
                     Json{{"recipient", {{"full_name", "Nguyễn Văn An"}, {"cccd", "033099012345"}}},
                          {"place", "counter"}});
  say("status at the point: " + std::to_string(handed.value("status", 0)) + " (" + handed.value("status_name", "") + ")");
  show_sync("xa-an-thi", call(a, "POST", "/api/v1/sync", a_admin));

  step("7. A concurrent edit: the clerk corrects a phone number while the hub accepts");
  Json intake2 = intake;
  intake2["applicant"]["full_name"] = "Trần Thị Đào";
  intake2["applicant"]["cccd"] = "033199054321";
  Json d2 = call(a, "POST", "/api/v1/dossiers", clerk, intake2, 201);
  std::string code2 = d2["code"];
  say("dossier " + code2 + " taken in at xa-an-thi");
  show_sync("xa-an-thi", call(a, "POST", "/api/v1/sync", a_admin));
  call(hub, "POST", "/api/v1/dossiers/" + code2 + "/accept", officer);
  say("hub: officer accepted " + code2 + " (the point does not know yet)");
  call(a, "PATCH", "/api/v1/dossiers/" + code2, clerk, Json{{"applicant", {{"phone", "0987654321"}}}});
  say("point: clerk updated the applicant's phone of " + code2);
  show_sync("xa-an-thi", call(a, "POST", "/api/v1/sync", a_admin));
  show_sync("xa-an-thi", call(a, "POST", "/api/v1/sync", a_admin));
  std::string hub_admin = login(hub, "admin");
  Json conflicts = call(hub, "GET", "/api/v1/conflicts", hub_admin);
  say("conflicts listed at the hub: " + conflicts.dump().substr(0, 400));

  step("8. The post office syncs too; every node verifies its journal");
  std::string b_admin = login(b, "admin");
  show_sync("buu-dien-an-thi", call(b, "POST", "/api/v1/sync", b_admin));
  for (Site* s : {&hub, &a, &b}) {
    auto rep = s->node->journal().verify();
    say(s->name + ": " + (rep.ok() ? "verify OK, " : "verify FAILED, ") + std::to_string(rep.entries_checked) +
        " entries");
    if (!rep.ok()) throw DemoError("verify failed at " + s->name);
  }
  Json st_hub = call(hub, "GET", "/api/v1/dossiers/" + code1, officer);
  Json st_b = call(b, "GET", "/api/v1/dossiers/" + code1, login(b, "postal"));
  say(code1 + " at the hub: status " + std::to_string(st_hub.value("status", 0)) + "; at buu-dien-an-thi: status " +
      std::to_string(st_b.value("status", 0)));

  step("Where to look");
  say("motcua audit  --data-dir " + hub.dir + "      # the hub's sync log");
  say("motcua audit  --data-dir " + a.dir);
  say("motcua verify --data-dir " + a.dir);
  say("motcua serve  --data-dir " + hub.dir + " --listen 127.0.0.1:8080   # then log in as admin/officer");
  say("stopping the hub and both points");
  return kExitOk;
}

}  // namespace

int cmd_demo(const std::vector<std::string>& args) {
  po::options_description desc("options");
  desc.add_options()("help,h", "show this help")("dir", po::value<std::string>()->default_value("./motcua-demo"),
                                                   "where the demo nodes live (wiped first)");
  po::variables_map vm;
  if (!parse("demo", "[--dir DIR]", desc, args, vm)) return kExitOk;
  try {
    return run_demo(vm["dir"].as<std::string>());
  } catch (const DemoError& e) {
    std::cerr << "motcua: demo failed: " << e.what() << "\n";
    return kExitFailed;
  }
}

}  // namespace motcua::cli
