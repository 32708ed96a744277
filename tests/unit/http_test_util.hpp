// An in-process daemon on an ephemeral loopback port, with users of every
// role, for the HTTP tests; and helpers to compare the database before and
// after a refused request.
#pragma once
#include <httplib.h>

#include <SQLiteCpp/Database.h>

#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "motcua/node/users.hpp"
#include "motcua/sync/server.hpp"
#include "test_util.hpp"
#include "sample_intake.hpp"

namespace motcua::test {

// 2025-07-01T02:00:00Z = 09:00 on a Tuesday in Asia/Ho_Chi_Minh.
constexpr int64_t kTuesdayMorningMs = 1751335200000;

struct DbSnapshot {
  int64_t journal_count = 0;
  std::string state_hash;
  std::map<std::string, int64_t> rows;  // table -> row count
  bool operator==(const DbSnapshot&) const = default;
};

inline DbSnapshot snapshot(node::Node& n, const std::vector<std::string>& skip = {"sessions", "login_failures", "login_throttle"}) {
  std::lock_guard<std::recursive_mutex> g(n.journal().mutex());
  DbSnapshot s;
  s.journal_count = n.journal().count();
  s.state_hash = to_hex(n.journal().state_hash());
  SQLite::Statement q(*n.db(), "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
  std::vector<std::string> tables;
  while (q.executeStep()) tables.push_back(q.getColumn(0).getString());
  for (const auto& t : tables) {
    if (std::find(skip.begin(), skip.end(), t) != skip.end()) continue;
    s.rows[t] = n.db()->execAndGet("SELECT COUNT(*) FROM \"" + t + "\"").getInt64();
  }
  return s;
}

struct DaemonFixture {
  TempDir dir{"http"};
  ManualClock clock{kTuesdayMorningMs};
  SeededRandom rng{42};
  std::unique_ptr<node::Node> node;
  std::unique_ptr<sync::Daemon> daemon;
  std::thread runner;
  std::mutex log_mu;
  std::vector<std::string> log_lines;
  int port = 0;

  explicit DaemonFixture(sync::DaemonOptions opt = {}) {
    node = make_node(dir.path(), clock, rng);
    node::UserStore users(node->db(), clock, rng, true);
    for (auto [name, role] : std::vector<std::pair<std::string, node::UserRole>>{
             {"clerk1", node::UserRole::Clerk},
             {"postal1", node::UserRole::Postal},
             {"officer1", node::UserRole::Officer},
             {"admin1", node::UserRole::Admin}}) {
      auto s = users.add_user(name, role, name + "-password");
      if (!s.ok()) throw std::runtime_error(s.error().message);
    }
    opt.host = "127.0.0.1";
    opt.port = 0;
    opt.fast_password_hash = true;
    opt.background_sync = false;
    opt.threads = 4;
    opt.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> g(log_mu);
      log_lines.push_back(line);
    };
    daemon = std::make_unique<sync::Daemon>(*node, opt);
    auto b = daemon->bind();
    if (!b.ok()) throw std::runtime_error(b.error().message);
    port = daemon->port();
    runner = std::thread([this] { (void)daemon->run(); });
  }
  ~DaemonFixture() {
    daemon->stop();
    runner.join();
    daemon.reset();
  }
  DaemonFixture(const DaemonFixture&) = delete;
  DaemonFixture& operator=(const DaemonFixture&) = delete;

  std::unique_ptr<httplib::Client> client() {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port);
    c->set_read_timeout(20);
    return c;
  }
  std::string login(const std::string& user) {
    auto c = client();
    auto r = c->Post("/api/v1/sessions", Json{{"username", user}, {"password", user + "-password"}}.dump(),
                     "application/json");
    if (!r || r->status != 200) throw std::runtime_error("login failed for " + user);
    return Json::parse(r->body)["token"].get<std::string>();
  }
  static httplib::Headers bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }
  std::vector<std::string> logs() {
    std::lock_guard<std::mutex> g(log_mu);
    return log_lines;
  }
};

inline Json body_json(const httplib::Result& r) { return Json::parse(r->body, nullptr, false); }

// A valid intake request for Đăng ký khai sinh at the counter.
inline Json intake_request(const std::string& cccd = "001099012345") {
  return Json{{"procedure_code", "1.001193"},
              {"applicant",
               {{"full_name", "Nguyễn Văn An"},
                {"cccd", cccd},
                {"phone", "0912345678"},
                {"email", "an.nguyen@example.vn"},
                {"address", "Thôn Đông, xã Ân Thi, Hưng Yên"}}},
              {"channel", "counter"},
              {"form", {{"child_name", "Nguyễn Văn Bình"}}},
              {"attachments", Json::array()},
              {"documents", motcua::test::birth_registration_documents()}};
}

}  // namespace motcua::test
