// attack_bench: a point's `motcua serve` (a child process) under attack while
// one legitimate clerk takes in dossiers over HTTP on loopback. First the
// clerk alone, then the clerk while, as fast as they can:
//   - 8 attackers (one address each) post a gzip bomb (~1 MB inflating to
//     1 GiB, Content-Encoding: gzip) to the API, the sync path and an
//     unmatched path, again and again, without waiting for an answer first;
//   - 64 slow connections (16 from each of 4 addresses) send one header line
//     a second, and are opened again whenever the daemon cuts them;
//   - 2 attackers post deep JSON: a clerk's intake whose form nests 20,000
//     levels, and a login body nesting 100,000.
// Prints the clerk's intake latency (p50/p90/p99/max) with and without the
// attack, the daemon's idle RSS and its peak RSS (VmHWM) in each phase, and
// what the attackers got. Run by hand, never by ctest:
//
//   attack_bench [--seconds 20] [--think-ms 10] [--dir DIR]
//
// Targets (issue 8): p99 <= 200 ms under attack, peak RSS <= idle + 64 MB.
#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "../unit/attack_tools.hpp"
#include "../unit/serve_process.hpp"
#include "motcua/node/node.hpp"
#include "motcua/node/users.hpp"
#include "../unit/sample_intake.hpp"

using namespace motcua;
using namespace motcua::test;
namespace fs = std::filesystem;

namespace {

const char* kPassword = "bench-password";

Json intake_body(int i) {
  std::string seq = std::to_string(1000000 + i % 1000000).substr(1);
  return Json{{"procedure_code", "1.001193"},
              {"applicant",
               {{"full_name", "Nguyễn Văn Bình"},
                {"cccd", "001099" + seq},
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

std::string login(int port) {
  httplib::Client c("127.0.0.1", port);
  auto r = c.Post("/api/v1/sessions", Json{{"username", "clerk1"}, {"password", kPassword}}.dump(), "application/json");
  if (!r || r->status != 200) throw std::runtime_error("login failed");
  return Json::parse(r->body)["token"];
}

struct Phase {
  int ok = 0, failed = 0;
  std::vector<double> lat_ms;
  long peak_kb = 0;
};

// The clerk: one kept-alive connection, an intake, `think_ms`, the next.
Phase clerk(int port, const std::string& token, double seconds, int think_ms, int& next_no) {
  Phase out;
  httplib::Client c("127.0.0.1", port);
  c.set_keep_alive(true);
  c.set_tcp_nodelay(true);
  c.set_read_timeout(30);
  httplib::Headers h = {{"Authorization", "Bearer " + token}};
  const auto end = Steady::now() + std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  while (Steady::now() < end) {
    const std::string body = intake_body(next_no++).dump();
    const auto s = Steady::now();
    auto r = c.Post("/api/v1/dossiers", h, body, "application/json");
    const double ms = ms_since(s);
    if (r && r->status == 201) {
      ++out.ok;
      out.lat_ms.push_back(ms);
    } else {
      out.lat_ms.push_back(ms);  // a failure counts with its time
      if (out.failed++ < 3) std::cerr << "intake failed: " << (r ? r->body : httplib::to_string(r.error())) << "\n";
    }
    if (think_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(think_ms));
  }
  std::sort(out.lat_ms.begin(), out.lat_ms.end());
  return out;
}

double pct(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

struct Counters {
  std::mutex mu;
  std::map<std::string, long> n;
  void add(const std::string& k, long v = 1) {
    std::lock_guard<std::mutex> g(mu);
    n[k] += v;
  }
  long get(const std::string& k) {
    std::lock_guard<std::mutex> g(mu);
    return n[k];
  }
};

// The attack: starts in the constructor, stops in stop().
class Attack {
 public:
  Attack(int port, std::string token) : port_(port), token_(std::move(token)) {
    (void)gzip_bomb();  // built once, before the clock runs
    for (int i = 0; i < 8; ++i) threads_.emplace_back([this, i] { bomber(i); });
    threads_.emplace_back([this] { slow_clients(); });
    threads_.emplace_back([this] { deep_json(true); });
    threads_.emplace_back([this] { deep_json(false); });
  }
  void stop() {
    stop_ = true;
    for (auto& t : threads_) t.join();
    threads_.clear();
  }
  ~Attack() {
    if (!threads_.empty()) stop();
  }
  Counters counters;

 private:
  void bomber(int i) {
    static const char* paths[] = {"/api/v1/sessions", "/sync/v2/hello", "/no/such/path", "/api/v1/dossiers"};
    const std::string from = "127.0.0." + std::to_string(10 + i);
    const std::string& bomb = gzip_bomb();
    for (int k = i; !stop_; ++k) {
      try {
        Sock s(port_, from);
        const std::string head = std::string("POST ") + paths[k % 4] +
                                 " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                 "Content-Encoding: gzip\r\nContent-Length: " +
                                 std::to_string(bomb.size()) + "\r\n\r\n";
        Exchange ex = exchange(s, head, fixed_body(bomb), 0, 5000, 0);
        counters.add("bombs sent");
        counters.add("bomb answer " + std::to_string(ex.status));
      } catch (const std::exception&) {
        counters.add("bomb connect failed");
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
  }

  // 64 connections, 16 from each of 127.0.0.2-5, sending a header line a
  // second; a connection the daemon cuts is opened again at once.
  void slow_clients() {
    struct Slow {
      std::unique_ptr<Sock> sock;
      int lines = 0;
    };
    std::vector<Slow> slow(64);
    auto open = [&](size_t i) {
      try {
        slow[i].sock = std::make_unique<Sock>(port_, "127.0.0." + std::to_string(2 + i / 16));
        slow[i].lines = 0;
        if (!slow[i].sock->send_all("POST /api/v1/sessions HTTP/1.1\r\n", 100)) slow[i].sock.reset();
        else counters.add("slow connections opened");
      } catch (const std::exception&) {
        slow[i].sock.reset();
      }
    };
    for (size_t i = 0; i < slow.size(); ++i) open(i);
    auto next_line = Steady::now();
    while (!stop_) {
      for (size_t i = 0; i < slow.size(); ++i) {
        if (!slow[i].sock) {
          open(i);
          continue;
        }
        if (slow[i].sock->closed_within(0)) {  // cut by the daemon (head deadline)
          counters.add("slow connections cut by the daemon");
          open(i);
        }
      }
      if (Steady::now() >= next_line) {
        for (auto& s : slow)
          if (s.sock && !s.sock->send_all("X-Slow-" + std::to_string(s.lines++) + ": a\r\n", 20)) s.sock.reset();
        next_line += std::chrono::seconds(1);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  // A signed-in clerk's intake nesting 20,000 levels in `form` (40 KB), or a
  // login body nesting 100,000 (200 KB), posted in a loop.
  void deep_json(bool intake) {
    Json j = intake_body(0);
    j["form"] = "@@";
    std::string body = j.dump();
    body.replace(body.find("\"@@\""), 4, "{\"a\":" + nested_arrays(19999) + "}");
    if (!intake) body = "{\"username\":" + nested_arrays(100000) + "}";
    httplib::Client c("127.0.0.1", port_);
    c.set_keep_alive(true);
    c.set_read_timeout(30);
    httplib::Headers h = {{"Authorization", "Bearer " + token_}};
    while (!stop_) {
      auto r = intake ? c.Post("/api/v1/dossiers", h, body, "application/json")
                      : c.Post("/api/v1/sessions", body, "application/json");
      counters.add("deep JSON posts");
      if (r) counters.add("deep JSON answer " + std::to_string(r->status) + " " + error_member(r->body, "code"));
      else counters.add("deep JSON no answer");
    }
  }

  int port_;
  std::string token_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

std::string fmt(double v, const char* f = "%.1f") {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

void row(const std::string& what, const std::string& a, const std::string& b, const std::string& target) {
  std::printf("| %-52s | %12s | %14s | %-18s |\n", what.c_str(), a.c_str(), b.c_str(), target.c_str());
}

double load_average() {
  std::ifstream in("/proc/loadavg");
  double l = 0;
  in >> l;
  return l;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 20;
  int think_ms = 10;
  std::string base;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--seconds") seconds = std::atof(argv[i + 1]);
    else if (k == "--think-ms") think_ms = std::atoi(argv[i + 1]);
    else if (k == "--dir") base = argv[i + 1];
  }
  if (base.empty()) {
    std::string t = (fs::temp_directory_path() / "motcua-attack-bench-XXXXXX").string();
    base = ::mkdtemp(t.data());
  }
  crypto_init();
  ::signal(SIGPIPE, SIG_IGN);
  std::cerr << "attack_bench in " << base << "\n";
  const std::string dir = base + "/point";
  make_node(dir);

  ServeProcess s(MOTCUA_BINARY, dir, base + "/serve.log", "127.0.0.1:0", {"--threads", "8"}, 60000);
  const std::string token = login(s.port);
  int next_no = 0;
  (void)clerk(s.port, token, 1.0, think_ms, next_no);  // warm-up
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const long idle_kb = proc_status_kb(s.pid, "VmRSS:");

  std::cerr << "clerk alone for " << seconds << " s...\n";
  reset_peak_rss(s.pid);
  const double load0 = load_average();
  Phase quiet = clerk(s.port, token, seconds, think_ms, next_no);
  quiet.peak_kb = proc_status_kb(s.pid, "VmHWM:");

  std::cerr << "clerk under attack for " << seconds << " s...\n";
  (void)gzip_bomb();
  reset_peak_rss(s.pid);
  Attack attack(s.port, token);
  std::this_thread::sleep_for(std::chrono::seconds(1));  // the attack under way
  Phase loud = clerk(s.port, token, seconds, think_ms, next_no);
  const double load1 = load_average();
  attack.stop();
  loud.peak_kb = proc_status_kb(s.pid, "VmHWM:");

  httplib::Client hc("127.0.0.1", s.port);
  auto health = hc.Get("/healthz");
  auto metrics = hc.Get("/metrics");
  const std::string mtext = metrics ? metrics->body : std::string();
  const bool alive = health && health->status == 200;
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const long after_kb = proc_status_kb(s.pid, "VmRSS:");
  const int rc = s.signal_and_wait(SIGTERM);

  std::printf("\nattack_bench: one clerk posting intakes (kept-alive, %d ms between), %.0f s alone, %.0f s under attack\n\n",
              think_ms, seconds, seconds);
  std::printf("| %-52s | %12s | %14s | %-18s |\n", "measure", "no attack", "under attack", "target");
  std::printf("|%s|%s|%s|%s|\n", std::string(54, '-').c_str(), std::string(14, '-').c_str(),
              std::string(16, '-').c_str(), std::string(20, '-').c_str());
  row("clerk intakes 201 / failed", std::to_string(quiet.ok) + " / " + std::to_string(quiet.failed),
      std::to_string(loud.ok) + " / " + std::to_string(loud.failed), "all 201");
  row("clerk latency p50 (ms)", fmt(pct(quiet.lat_ms, 0.50)), fmt(pct(loud.lat_ms, 0.50)), "");
  row("clerk latency p90 (ms)", fmt(pct(quiet.lat_ms, 0.90)), fmt(pct(loud.lat_ms, 0.90)), "");
  row("clerk latency p99 (ms)", fmt(pct(quiet.lat_ms, 0.99)), fmt(pct(loud.lat_ms, 0.99)), "<= 200");
  row("clerk latency max (ms)", fmt(quiet.lat_ms.empty() ? 0 : quiet.lat_ms.back()),
      fmt(loud.lat_ms.empty() ? 0 : loud.lat_ms.back()), "");
  row("idle RSS before (MB)", fmt(idle_kb / 1024.0), "", "");
  row("peak RSS, VmHWM (MB)", fmt(quiet.peak_kb / 1024.0), fmt(loud.peak_kb / 1024.0),
      "<= " + fmt((idle_kb + 64 * 1024) / 1024.0) + " (idle+64)");
  row("RSS 2 s after the attack (MB)", "", fmt(after_kb / 1024.0), "");
  row("load average (1 min) at the end", fmt(load0, "%.2f"), fmt(load1, "%.2f"), "");
  for (const auto& [k, v] : attack.counters.n) row("attack: " + k, "", std::to_string(v), "");
  for (const char* m : {"motcua_http_connections_total", "motcua_http_connections_refused_total{cap=\"total\"}",
                        "motcua_http_connections_refused_total{cap=\"client\"}",
                        "motcua_http_requests_cut_total{reason=\"head_timeout\"}"})
    row(std::string("/metrics ") + (m + std::strlen("motcua_http_")), "",
        fmt(metric_value(mtext, m), "%.0f"), "");
  row("daemon alive after (/healthz 200)", "", alive ? "yes" : "NO", "yes");
  row("daemon exit on SIGTERM", "", std::to_string(rc), "0");
  std::printf("\n(data left in %s)\n", base.c_str());
  return 0;
}
