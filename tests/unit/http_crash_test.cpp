// The real binary: `motcua serve` killed with SIGKILL while clients post
// intakes loses no acknowledged dossier, and SIGTERM stops it with exit 0.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <sstream>

#include "http_test_util.hpp"
#include "serve_process.hpp"

extern char** environ;

using namespace motcua;

namespace {

const std::string kBin = MOTCUA_BINARY;

int run_cmd(const std::string& cmd, const std::string& stdin_text = "") {
  FILE* p = ::popen((cmd + " >/dev/null 2>&1").c_str(), "w");
  if (!p) return -1;
  std::fputs(stdin_text.c_str(), p);
  int st = ::pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

using test::ServeProcess;

std::string login(int port, const std::string& user, const std::string& pw) {
  httplib::Client c("127.0.0.1", port);
  auto r = c.Post("/api/v1/sessions", Json{{"username", user}, {"password", pw}}.dump(), "application/json");
  if (!r || r->status != 200) throw std::runtime_error("login failed");
  return Json::parse(r->body)["token"].get<std::string>();
}

}  // namespace

TEST_CASE("every intake acknowledged before a SIGKILL is there after restart", "[http][crash]") {
  test::TempDir dir("serve-crash");
  const std::string data = dir.sub("node");
  const std::string dd = " --data-dir '" + data + "'";
  REQUIRE(run_cmd(kBin + " init --role point --name xa-an-thi --agency-code 000.00.01.H22" + dd) == 0);
  REQUIRE(run_cmd(kBin + " user add clerk1 --role clerk" + dd, "clerk1-password\n") == 0);

  std::vector<std::string> acknowledged;
  {
    ServeProcess serve(kBin, data, dir.sub("serve1.log"));
    const std::string token = login(serve.port, "clerk1", "clerk1-password");
    std::mutex mu;
    std::atomic<bool> stop{false};
    std::atomic<int> ok_count{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < 4; ++t) {
      clients.emplace_back([&, t] {
        httplib::Client c("127.0.0.1", serve.port);
        c.set_read_timeout(10);
        for (int i = 0; !stop; ++i) {
          const std::string cccd = "0010" + std::to_string(10 + t) + std::to_string(1000000 + i % 1000000).substr(1);
          auto r = c.Post("/api/v1/dossiers", {{"Authorization", "Bearer " + token}},
                          test::intake_request(cccd).dump(), "application/json");
          if (!r) continue;  // the server is gone; keep trying until told to stop
          if (r->status == 201) {
            std::lock_guard<std::mutex> g(mu);
            acknowledged.push_back(Json::parse(r->body)["code"].get<std::string>());
            ++ok_count;
          }
        }
      });
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (ok_count < 60 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    int rc = serve.signal_and_wait(SIGKILL);  // mid-stream: clients are still posting
    CHECK(rc == 128 + SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    stop = true;
    for (auto& c : clients) c.join();
  }
  REQUIRE(acknowledged.size() >= 60);

  ServeProcess again(kBin, data, dir.sub("serve2.log"));
  const std::string token = login(again.port, "clerk1", "clerk1-password");
  httplib::Client c("127.0.0.1", again.port);
  size_t found = 0;
  for (const auto& code : acknowledged) {
    auto r = c.Get("/api/v1/dossiers/" + code, {{"Authorization", "Bearer " + token}});
    if (r && r->status == 200) ++found;
  }
  CHECK(found == acknowledged.size());
  CHECK(again.signal_and_wait(SIGTERM) == 0);
  CHECK(run_cmd(kBin + " verify" + dd) == 0);
}

TEST_CASE("SIGTERM and SIGINT stop the daemon cleanly with exit 0", "[http][crash]") {
  test::TempDir dir("serve-stop");
  const std::string data = dir.sub("node");
  REQUIRE(run_cmd(kBin + " init --role point --name p --agency-code 000.00.01.H22 --data-dir '" + data + "'") == 0);
  for (int sig : {SIGTERM, SIGINT}) {
    ServeProcess serve(kBin, data, dir.sub("serve.log"));
    httplib::Client c("127.0.0.1", serve.port);
    REQUIRE(c.Get("/healthz")->status == 200);
    CHECK(serve.signal_and_wait(sig) == 0);
    std::ifstream in(dir.sub("serve.log"));
    std::stringstream ss;
    ss << in.rdbuf();
    CHECK(ss.str().find("event=stopped") != std::string::npos);
  }
  // The database was closed cleanly: no WAL left to replay.
  std::error_code ec;
  auto wal = std::filesystem::file_size(data + "/motcua.db-wal", ec);
  CHECK((ec || wal == 0));
}

TEST_CASE("user add reads the password from stdin and refuses short ones", "[http][crash]") {
  test::TempDir dir("user-cli");
  const std::string dd = " --data-dir '" + dir.sub("node") + "'";
  REQUIRE(run_cmd(kBin + " init --role point --name p --agency-code X" + dd) == 0);
  CHECK(run_cmd(kBin + " user add anna --role clerk" + dd, "") == 2);
  CHECK(run_cmd(kBin + " user add anna --role clerk" + dd, "short\n") == 2);
  CHECK(run_cmd(kBin + " user add anna --role chief" + dd, "long enough pw\n") == 2);
  CHECK(run_cmd(kBin + " user add anna --role clerk" + dd, "long enough pw\n") == 0);
  CHECK(run_cmd(kBin + " user add anna --role admin" + dd, "long enough pw\n") == 1);
}
