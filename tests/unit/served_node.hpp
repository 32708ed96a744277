// A node prepared on disk first (users of each role, then whatever a test
// does to its files), then opened and served by an in-process daemon on an
// ephemeral port: for the tests of what the daemon does at start and under
// storage faults. Optionally on another SQLite VFS (fault_vfs.hpp).
#pragma once
#include <httplib.h>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "motcua/node/users.hpp"
#include "motcua/sync/server.hpp"
#include "test_util.hpp"

namespace motcua::test {

// Creates a point in `dir` with users clerk1, officer1 and admin1 (password
// "<name>-password"); the returned node is open for more setup.
inline std::unique_ptr<node::Node> prepare_node(const std::string& dir, Clock& clock, Random& rng) {
  auto n = make_node(dir, clock, rng);
  node::UserStore users(n->db(), clock, rng, true);
  for (auto [name, role] : {std::pair{"clerk1", node::UserRole::Clerk}, std::pair{"officer1", node::UserRole::Officer},
                            std::pair{"admin1", node::UserRole::Admin}})
    if (!users.add_user(name, role, std::string(name) + "-password").ok()) throw std::runtime_error("add_user");
  return n;
}

struct ServedNode {
  // Opens the node in `dir` (on `sqlite_vfs` if not empty) and serves it.
  ServedNode(const std::string& dir, Clock& clock, Random& rng, const std::string& sqlite_vfs = {}) {
    node::OpenOptions oo;
    oo.data_dir = dir;
    oo.clock = &clock;
    oo.random = &rng;
    oo.sqlite_vfs = sqlite_vfs;
    auto n = node::Node::open(oo);
    if (!n.ok()) throw std::runtime_error(n.error().message);
    node = std::move(n.value());
    sync::DaemonOptions opt;
    opt.port = 0;
    opt.fast_password_hash = true;
    opt.background_sync = false;
    opt.threads = 4;
    opt.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> g(log_mu);
      log_lines.push_back(line);
    };
    daemon = std::make_unique<sync::Daemon>(*node, opt);
    if (!daemon->bind().ok()) throw std::runtime_error("bind");
    port = daemon->port();
    runner = std::thread([this] { (void)daemon->run(); });
  }
  ~ServedNode() {
    daemon->stop();
    runner.join();
    daemon.reset();
  }
  ServedNode(const ServedNode&) = delete;
  ServedNode& operator=(const ServedNode&) = delete;

  std::unique_ptr<httplib::Client> client() {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port);
    c->set_read_timeout(20);
    return c;
  }
  httplib::Result login(const std::string& user) {
    return client()->Post("/api/v1/sessions", Json{{"username", user}, {"password", user + "-password"}}.dump(),
                          "application/json");
  }
  // Bearer headers of a fresh session of `user` (throws if login fails).
  httplib::Headers as(const std::string& user) {
    auto r = login(user);
    if (!r || r->status != 200) throw std::runtime_error("login failed for " + user);
    return {{"Authorization", "Bearer " + Json::parse(r->body)["token"].get<std::string>()}};
  }
  bool logged(const std::string& part) {
    std::lock_guard<std::mutex> g(log_mu);
    for (const auto& l : log_lines)
      if (l.find(part) != std::string::npos) return true;
    return false;
  }

  std::unique_ptr<node::Node> node;
  std::unique_ptr<sync::Daemon> daemon;
  std::thread runner;
  std::mutex log_mu;
  std::vector<std::string> log_lines;
  int port = 0;
};

}  // namespace motcua::test
