// intake_bench: the counter's hot path end to end. `motcua serve` runs as a
// child process; N client threads post intakes over HTTP on loopback with
// kept-alive connections (every 201 is a durable commit: WAL,
// synchronous=FULL). Then the idle memory of `motcua serve` on a journal
// already holding many dossiers. Run by hand, never by ctest:
//
//   intake_bench [--clients 8] [--dossiers 5000] [--fill 50000] [--dir DIR]
//
// Targets (issue 4): p99 <= 5 ms at 8 clients, >= 1,000 intakes/s on 2 cores,
// idle RSS <= 20 MB with 50,000 dossiers in the journal.
#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include "motcua/node/dossiers.hpp"
#include "motcua/node/node.hpp"
#include "motcua/node/users.hpp"
#include "motcua/schema/database.hpp"
#include "../unit/serve_process.hpp"
#include "../unit/sample_intake.hpp"

extern char** environ;

using namespace motcua;
namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

namespace {

const char* kPassword = "bench-password";

Json intake_body(int client, int i) {
  std::string seq = std::to_string(1000000 + i % 1000000).substr(1);
  return Json{{"procedure_code", "1.001193"},
              {"applicant",
               {{"full_name", "Nguyễn Văn Bình"},
                {"cccd", "0010" + std::to_string(10 + client % 90) + seq},
                {"phone", "0912345678"},
                {"email", "binh@example.vn"},
                {"address", "Thôn Đông, xã Ân Thi, tỉnh Hưng Yên"}}},
              {"channel", "counter"},
              {"form", {{"child_name", "Nguyễn Thị Cúc"}, {"birth_date", "2025-06-28"}}},
              {"attachments", Json::array()},
              {"documents", motcua::test::birth_registration_documents()}};
}

void make_node(const std::string& dir) {
  node::InitOptions io;
  io.data_dir = dir;
  io.role = node::Role::Point;
  io.name = "bench-point";
  io.agency_code = "000.00.01.H22";
  auto s = node::Node::init(io, system_random());
  if (!s.ok()) throw std::runtime_error(s.error().message);
  node::OpenOptions oo;
  oo.data_dir = dir;
  auto n = node::Node::open(oo);
  if (!n.ok()) throw std::runtime_error(n.error().message);
  node::UserStore users(n.value()->db(), system_clock(), system_random());
  auto u = users.add_user("clerk1", node::UserRole::Clerk, kPassword);
  if (!u.ok()) throw std::runtime_error(u.error().message);
}

// `motcua serve` as a child; its stderr (the access log) goes to a file.
struct Server : test::ServeProcess {
  Server(const std::string& dir, const std::string& log)
      : ServeProcess(MOTCUA_BINARY, dir, log, "127.0.0.1:0", {"--threads", "8"}, 60000) {}
  int stop() { return signal_and_wait(SIGTERM); }
};

std::string login(int port) {
  httplib::Client c("127.0.0.1", port);
  auto r = c.Post("/api/v1/sessions", Json{{"username", "clerk1"}, {"password", kPassword}}.dump(), "application/json");
  if (!r || r->status != 200) throw std::runtime_error("login failed");
  return Json::parse(r->body)["token"];
}

struct LoadResult {
  double seconds = 0;
  int ok = 0, failed = 0;
  std::vector<double> lat_ms;
};

LoadResult post_intakes(int port, const std::string& token, int clients, int total) {
  LoadResult out;
  std::vector<std::vector<double>> lat(static_cast<size_t>(clients));
  std::atomic<int> next{0}, ok{0}, failed{0};
  auto t0 = Steady::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      httplib::Client cli("127.0.0.1", port);
      cli.set_keep_alive(true);
      cli.set_tcp_nodelay(true);
      httplib::Headers h = {{"Authorization", "Bearer " + token}};
      for (int i = next++; i < total; i = next++) {
        std::string body = intake_body(c, i).dump();
        auto s = Steady::now();
        auto r = cli.Post("/api/v1/dossiers", h, body, "application/json");
        double ms = std::chrono::duration<double, std::milli>(Steady::now() - s).count();
        if (r && r->status == 201) {
          ++ok;
          lat[static_cast<size_t>(c)].push_back(ms);
        } else {
          if (failed++ < 3) std::cerr << "intake failed: " << (r ? r->body : httplib::to_string(r.error())) << "\n";
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  out.seconds = std::chrono::duration<double>(Steady::now() - t0).count();
  out.ok = ok;
  out.failed = failed;
  for (auto& l : lat) out.lat_ms.insert(out.lat_ms.end(), l.begin(), l.end());
  std::sort(out.lat_ms.begin(), out.lat_ms.end());
  return out;
}

double pct(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

// Fills the journal with `count` intakes in-process (no HTTP), a fresh day
// of numbers every 9,000 dossiers. Setup only: commits are not fsynced here.
void fill(const std::string& dir, int count) {
  ManualClock clock(1751335200000);  // 2025-07-01 09:00 in Hà Nội
  node::OpenOptions oo;
  oo.data_dir = dir;
  oo.clock = &clock;
  auto n = node::Node::open(oo);
  if (!n.ok()) throw std::runtime_error(n.error().message);
  n.value()->db()->exec("PRAGMA synchronous=OFF");
  node::DossierService svc(*n.value());
  node::Actor clerk{"clerk1", node::UserRole::Clerk};
  for (int i = 0; i < count; ++i) {
    if (i > 0 && i % 9000 == 0) clock.advance(24LL * 3600 * 1000);
    auto r = svc.intake(clerk, intake_body(i % 64, i));
    if (!r.ok()) throw std::runtime_error("fill: " + r.error().message);
    if ((i + 1) % 10000 == 0) std::cerr << "  filled " << (i + 1) << "\n";
  }
}

// The value of an unlabelled sample in Prometheus text, 0 if absent.
double metric(const std::string& text, const std::string& name) {
  size_t at = text.find("\n" + name + " ");
  return at == std::string::npos ? 0 : std::atof(text.c_str() + at + name.size() + 2);
}

void row(const std::string& what, const std::string& value, const std::string& target) {
  std::printf("| %-44s | %14s | %-10s |\n", what.c_str(), value.c_str(), target.c_str());
}

std::string fmt(double v, const char* f = "%.2f") {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  int clients = 8, dossiers = 5000, filled = 50000;
  std::string base;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--clients") clients = std::atoi(argv[i + 1]);
    else if (k == "--dossiers") dossiers = std::atoi(argv[i + 1]);
    else if (k == "--fill") filled = std::atoi(argv[i + 1]);
    else if (k == "--dir") base = argv[i + 1];
  }
  if (base.empty()) {
    std::string t = (fs::temp_directory_path() / "motcua-intake-bench-XXXXXX").string();
    base = ::mkdtemp(t.data());
  }
  crypto_init();
  std::cerr << "intake_bench in " << base << "\n";

  // 1. Throughput and latency of POST /api/v1/dossiers on a fresh node.
  const std::string hot = base + "/hot";
  make_node(hot);
  LoadResult load;
  long rss_after_load = 0;
  double commits = 0, flushes = 0;  // group commit, whole run incl. warm-up
  {
    Server s(hot, base + "/hot-serve.log");
    std::string token = login(s.port);
    post_intakes(s.port, token, clients, 200);  // warm-up (not counted)
    load = post_intakes(s.port, token, clients, dossiers);
    rss_after_load = s.rss_kb();
    httplib::Client mc("127.0.0.1", s.port);
    if (auto m = mc.Get("/metrics")) {
      commits = metric(m->body, "motcua_journal_group_commits_total");
      flushes = metric(m->body, "motcua_journal_group_flushes_total");
    }
    if (s.stop() != 0) std::cerr << "serve did not exit 0\n";
  }

  // 2. Idle memory with a large journal.
  const std::string big = base + "/big";
  make_node(big);
  std::cerr << "filling " << filled << " dossiers...\n";
  auto f0 = Steady::now();
  fill(big, filled);
  double fill_s = std::chrono::duration<double>(Steady::now() - f0).count();
  long rss_start = 0, rss_idle = 0;
  LoadResult big_load;
  {
    Server s(big, base + "/big-serve.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    rss_start = s.rss_kb();
    std::string token = login(s.port);
    httplib::Client c("127.0.0.1", s.port);
    httplib::Headers h = {{"Authorization", "Bearer " + token}};
    c.Get("/api/v1/dossiers?limit=50", h);
    c.Get("/api/v1/procedures?q=dang%20ky", h);
    c.Get("/metrics");
    big_load = post_intakes(s.port, token, clients, 1000);
    std::this_thread::sleep_for(std::chrono::seconds(2));
    rss_idle = s.rss_kb();
    if (s.stop() != 0) std::cerr << "serve did not exit 0\n";
  }

  std::printf("\nintake_bench: %d clients, %d intakes over HTTP on loopback (keep-alive), durable commits\n\n",
              clients, dossiers);
  std::printf("| %-44s | %14s | %-10s |\n", "measure", "value", "target");
  std::printf("|%s|%s|%s|\n", std::string(46, '-').c_str(), std::string(16, '-').c_str(),
              std::string(12, '-').c_str());
  row("intakes acknowledged (201) / failed", std::to_string(load.ok) + " / " + std::to_string(load.failed), "all 201");
  row("throughput (intakes/s)", fmt(load.ok / load.seconds, "%.0f"), ">= 1000");
  row("latency p50 (ms)", fmt(pct(load.lat_ms, 0.50)), "");
  row("latency p90 (ms)", fmt(pct(load.lat_ms, 0.90)), "");
  row("latency p99 (ms)", fmt(pct(load.lat_ms, 0.99)), "<= 5");
  row("latency max (ms)", fmt(load.lat_ms.empty() ? 0 : load.lat_ms.back()), "");
  row("group commit: intakes per disk flush", fmt(flushes > 0 ? commits / flushes : 0), "");
  row("RSS of serve after the load (MB)", fmt(rss_after_load / 1024.0, "%.1f"), "");
  row("journal filled in-process (dossiers)", std::to_string(filled) + " in " + fmt(fill_s, "%.0f") + " s", "");
  row("RSS of serve, started on it (MB)", fmt(rss_start / 1024.0, "%.1f"), "");
  row("RSS of serve, idle after requests (MB)", fmt(rss_idle / 1024.0, "%.1f"), "<= 20");
  row("on that journal: intakes/s (1000, 8 clients)", fmt(big_load.ok / big_load.seconds, "%.0f"), "");
  row("on that journal: p99 (ms)", fmt(pct(big_load.lat_ms, 0.99)), "");
  std::printf("\n(data left in %s)\n", base.c_str());
  return 0;
}
