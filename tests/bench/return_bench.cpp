// return_bench: a point comes back after a long absence (its area's work of
// those months, ENTRIES entries newer than its cursor, default 20,000) and
// pulls from the real `motcua serve` on loopback, in pages, while a point of
// another area keeps running small sessions (5 new entries pushed, then
// hello/pull). Prints the returning point's pull time and the other point's
// session times (p50/p99/max), alone before and during the catch-up
// (docs/scaling.md, "Delta, not history"; docs/design/0115).
//
//   return_bench [WORKDIR [ENTRIES]]   (default: a fresh directory under the temp dir)
#include <signal.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "motcua/node/node.hpp"
#include "motcua/sync/client.hpp"
#include "motcua/sync/hub.hpp"
#include "motcua/sync/hub_store.hpp"
#include "motcua/sync/transport.hpp"
#include "bench_data.hpp"
#include "bench_workdir.hpp"

using namespace motcua;
using namespace motcua::bench;
namespace fs = std::filesystem;

namespace {

constexpr const char* kAgency = "000.00.01.H22";

// Dossier `i`'s five events at `point` of `area`, its code on day 25MMDD.
std::vector<node::EntryDraft> dossier(Gen& g, int i, const std::string& point, const std::string& area, int month) {
  char code[64];
  std::snprintf(code, sizeof code, "%s-25%02d%02d-%04d", kAgency, month, 1 + i % 28, 1 + i / 28 % 9999);
  std::vector<node::EntryDraft> out;
  static const char* types[] = {"dossier.submitted", "dossier.updated", "dossier.accepted", "dossier.processing_started",
                                "dossier.result_ready"};
  for (int ev = 0; ev < 5; ++ev) {
    node::EntryDraft d;
    d.subject = code;
    d.user = ev == 0 ? "lan" : "minh";
    d.type = types[ev];
    if (ev == 0)
      d.body = Json{{"procedure_code", g.of(kProcs)},
                    {"applicant", {{"full_name", std::string(g.of(kFamily)) + " " + g.of(kMiddle) + " " + g.of(kGiven)},
                                   {"cccd", "033" + g.digits(9)}, {"phone", "09" + g.digits(8)},
                                   {"address", std::string(g.of(kVillage)) + ", " + g.of(kCommune)}}},
                    {"channel", "counter"}, {"area", area}, {"origin_point", point}, {"return_point", point},
                    {"agency_code", kAgency}, {"form", {{"purpose", g.of(kNotes)}}}};
    else
      d.body = Json{{"note", std::string(g.of(kNotes)) + " (" + g.digits(4) + ")"},
                    {"officer", std::string(g.of(kFamily)) + " " + g.of(kGiven)}, {"ref", "VB-" + g.digits(6) + "/UBND"}};
    out.push_back(std::move(d));
  }
  return out;
}

std::unique_ptr<node::Node> open(const std::string& dir) {
  node::OpenOptions o;
  o.data_dir = dir;
  auto n = node::Node::open(o);
  if (!n.ok()) throw std::runtime_error(n.error().message);
  return std::move(n.value());
}

int64_t us_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
}

// Runs `fn` in a child process and returns the line it printed.
std::string in_child(const std::function<std::string()>& fn) {
  int p[2];
  if (pipe(p) != 0) throw std::runtime_error("pipe");
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    std::string out;
    try {
      out = fn();
    } catch (const std::exception& e) {
      out = std::string("ERROR ") + e.what();
    }
    out += "\n";
    (void)!write(p[1], out.data(), out.size());
    _exit(0);
  }
  close(p[1]);
  std::string got;
  char buf[4096];
  ssize_t n;
  while ((n = read(p[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
  close(p[0]);
  waitpid(pid, nullptr, 0);
  if (!got.empty() && got.back() == '\n') got.pop_back();
  if (got.rfind("ERROR", 0) == 0) throw std::runtime_error(got);
  return got;
}

bool port_open(int port) {
  return std::system(("ss -ltn 2>/dev/null | grep -q ':" + std::to_string(port) + " '").c_str()) == 0;
}

std::unique_ptr<sync::Transport> transport(const std::string& url) {
  sync::HttpOptions ho;
  ho.url = url;
  return std::move(sync::make_http_transport(ho).value());
}

// "us entries_down requests" of one session of the point in `dir`.
std::string session(const std::string& dir, const std::string& url) {
  auto n = open(dir);
  auto t = transport(url);
  auto t0 = std::chrono::steady_clock::now();
  auto r = sync::sync_once(*n, *t);
  if (!r.ok()) return "ERROR " + r.error().code + ": " + r.error().message;
  std::ostringstream o;
  o << us_since(t0) << " " << r.value()["entries_down"] << " " << r.value()["requests"];
  return o.str();
}

// The other point's sessions, each after 5 new entries, until `stop_file`
// exists (or `count` sessions when there is none); their times in us.
std::string sessions(const std::string& dir, const std::string& url, int first, int count, const std::string& stop_file) {
  auto n = open(dir);
  auto t = transport(url);
  Gen g{static_cast<uint64_t>(first)};
  std::ostringstream o;
  for (int i = first; i < first + count; ++i) {
    if (!stop_file.empty() && fs::exists(stop_file)) break;
    auto r = n->journal().append_batch(dossier(g, i, "p4", "khac", 12));
    if (!r.ok()) return "ERROR " + r.error().message;
    auto t0 = std::chrono::steady_clock::now();
    auto s = sync::sync_once(*n, *t);
    if (!s.ok()) return "ERROR " + s.error().code + ": " + s.error().message;
    o << us_since(t0) << " ";
  }
  return o.str();
}

std::vector<int64_t> numbers(const std::string& s) {
  std::vector<int64_t> v;
  std::istringstream in(s);
  for (int64_t x; in >> x;) v.push_back(x);
  return v;
}

double pct(std::vector<int64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return static_cast<double>(v[std::min(i, v.size() - 1)]) / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  crypto_init();
  std::string work = argc > 1 ? argv[1] : (fs::temp_directory_path() / ("motcua-return-bench-" + std::to_string(getpid()))).string();
  const int entries = argc > 2 ? std::max(5, std::atoi(argv[2])) : 20000;
  const bool keep = argc > 1;
  if (auto why = bench::claim_workdir(work)) {
    std::cerr << "return_bench: " << *why << "\n";
    return 2;
  }
  const std::string hub_dir = work + "/hub", p1 = work + "/p1", p3 = work + "/p3", p4 = work + "/p4";
  int port = 29000 + static_cast<int>(getpid() % 1000);
  while (port_open(port)) ++port;
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  std::string c1, c3, c4;
  {
    for (auto [dir, role, name] : {std::tuple{hub_dir, node::Role::Hub, "hub"}, std::tuple{p1, node::Role::Point, "p1"},
                                   std::tuple{p3, node::Role::Point, "p3"}, std::tuple{p4, node::Role::Point, "p4"}}) {
      node::InitOptions io;
      io.data_dir = dir;
      io.role = role;
      io.name = name;
      io.agency_code = kAgency;
      Status s = node::Node::init(io, system_random());
      if (!s.ok()) throw std::runtime_error(s.error().message);
    }
    auto hub = open(hub_dir);
    (void)hub->config().set("listen", "127.0.0.1:" + std::to_string(port));
    sync::Hub h(*hub, sync::make_sqlite_hub_store(*hub));
    sync::PointAddOptions a1{"p1", "bench", 500, 30, 3600 * 1000};
    a1.acts = {"all"};
    sync::PointAddOptions a4{"p4", "khac", 500, 30, 3600 * 1000};
    a4.acts = {"all"};
    c1 = h.add_point(a1).value().code;
    c3 = h.add_point({"p3", "bench", 500, 30, 3600 * 1000}).value().code;
    c4 = h.add_point(a4).value().code;
    auto store = sync::make_sqlite_hub_store(*hub);
    for (int day = 1; day <= 28; ++day)  // the numbers the dossiers' codes use
      for (auto [point, month] : {std::pair{"p1", 7}, std::pair{"p4", 12}}) {
        char d[8];
        std::snprintf(d, sizeof d, "25%02d%02d", month, day);
        if (!store->lease(kAgency, d, point, 9999).ok()) throw std::runtime_error("lease");
      }
  }
  std::cerr << "generating " << entries << " entries at p1 ...\n";
  in_child([&] {
    auto n = open(p1);
    Gen g{42};
    std::vector<node::EntryDraft> drafts;
    for (int i = 0; i < entries / 5; ++i) {
      auto d = dossier(g, i, "p1", "bench", 7);
      drafts.insert(drafts.end(), d.begin(), d.end());
      if (drafts.size() >= 500 || i + 1 == entries / 5) {
        auto r = n->journal().append_batch(drafts);
        if (!r.ok()) return "ERROR " + r.error().message;
        drafts.clear();
      }
    }
    return std::string("ok");
  });

  pid_t hub_pid = fork();
  if (hub_pid == 0) {
    int devnull = ::open("/dev/null", O_WRONLY);
    dup2(devnull, 2);
    dup2(devnull, 1);
    execl(MOTCUA_BINARY, MOTCUA_BINARY, "serve", "--data-dir", hub_dir.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 100 && !port_open(port); ++i) usleep(100 * 1000);
  int rc = 0;
  try {
    for (auto [dir, code] : {std::pair{p1, c1}, std::pair{p3, c3}, std::pair{p4, c4}})
      in_child([&, dir = dir, code = code] {
        auto n = open(dir);
        auto r = sync::join(*n, *transport(url), url, code);
        return r.ok() ? std::string("ok") : "ERROR " + r.error().message;
      });
    in_child([&] { return session(p3, url); });  // the point's last sync before it went away
    std::cerr << "p1 pushes its " << entries << " entries ...\n";
    auto push = numbers(in_child([&] { return session(p1, url); }));
    in_child([&] { return session(p4, url); });
    std::cerr << "the other point alone ...\n";
    auto alone = numbers(in_child([&] { return sessions(p4, url, 0, 40, ""); }));
    std::cerr << "the returning point catches up while the other point syncs ...\n";
    const std::string done = work + "/p3.done";
    pid_t other = -1;
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe");
    other = fork();
    if (other == 0) {
      close(fds[0]);
      std::string out;
      try {
        out = sessions(p4, url, 1000, 100000, done);
      } catch (const std::exception& e) {
        out = std::string("ERROR ") + e.what();
      }
      out += "\n";
      (void)!write(fds[1], out.data(), out.size());
      _exit(0);
    }
    close(fds[1]);
    auto back = numbers(in_child([&] {
      std::string r = session(p3, url);
      FILE* f = std::fopen(done.c_str(), "w");
      if (f) std::fclose(f);
      return r;
    }));
    std::string got;
    char buf[4096];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
    close(fds[0]);
    waitpid(other, nullptr, 0);
    if (got.rfind("ERROR", 0) == 0) throw std::runtime_error("other point: " + got);
    auto during = numbers(got);
    if (back.size() < 3) throw std::runtime_error("the returning point's session gave no numbers");

    std::printf("\n%-52s %10s %10s %9s\n", "phase", "wall ms", "entries", "requests");
    std::printf("%-52s %10.1f %10s %9lld\n", "p1 pushes the area's months of work", push.at(0) / 1000.0, "",
                static_cast<long long>(push.at(2)));
    std::printf("%-52s %10.1f %10lld %9lld\n", "returning point pulls them (pages)", back[0] / 1000.0,
                static_cast<long long>(back[1]), static_cast<long long>(back[2]));
    std::printf("\n%-52s %8s %8s %8s %8s\n", "other point's sessions (5 up, hello, pull)", "n", "p50 ms", "p99 ms",
                "max ms");
    std::printf("%-52s %8zu %8.1f %8.1f %8.1f\n", "alone", alone.size(), pct(alone, 0.5), pct(alone, 0.99),
                pct(alone, 1.0));
    std::printf("%-52s %8zu %8.1f %8.1f %8.1f\n", "during the returning point's pull", during.size(), pct(during, 0.5),
                pct(during, 0.99), pct(during, 1.0));
    double load[3] = {0, 0, 0};
    if (getloadavg(load, 3) > 0) std::printf("machine load average during the run: %.1f\n", load[0]);
  } catch (const std::exception& e) {
    std::cerr << "return_bench: " << e.what() << "\n";
    rc = 1;
  }
  kill(hub_pid, SIGTERM);
  waitpid(hub_pid, nullptr, 0);
  if (!keep) fs::remove_all(work);
  return rc;
}
