// sync_bench: a point with 10,000 dossiers x 5 events (50,000 entries of
// ~340-byte bodies) catches up to an empty hub over HTTP on loopback, with
// full verification at the hub; then a fresh point pulls all 50,000; then 500
// new entries go across incrementally, and then 500 acts on old dossiers. The hub is the real `motcua serve`;
// each point runs in its own process so peak RSS is measured per side.
//
//   sync_bench [WORKDIR]      (default: a fresh directory under the temp dir;
//                              a given one must be absent, empty, or an
//                              earlier bench run's: it is emptied first)
//
// To profile one phase of the hub: MOTCUA_BENCH_HOLD=FILE makes the bench
// write "<phase> <hub pid>" to FILE before each phase and wait until FILE is
// removed; attach a profiler to the pid, then remove FILE.
// MOTCUA_BENCH_ROUNDS=N (1-19) repeats the four small phases N times and
// prints each one's median too.
#include <signal.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "motcua/node/node.hpp"
#include "motcua/sync/client.hpp"
#include "motcua/sync/hub.hpp"
#include "motcua/sync/hub_store.hpp"
#include "motcua/sync/server.hpp"
#include "motcua/sync/transport.hpp"
#include "bench_data.hpp"
#include "bench_workdir.hpp"

using namespace motcua;
using namespace motcua::bench;
namespace fs = std::filesystem;

namespace {

// The five events of one dossier, bodies of about 340 bytes.
std::vector<node::EntryDraft> dossier_events(Gen& g, int i, int event, const std::string& point, int64_t now) {
  char code[64];
  std::snprintf(code, sizeof code, "000.00.01.H22-25%02d%02d-%04d", 7 + (i / 9999) % 5, 1 + (i / 400) % 28, 1 + i % 9999);
  std::string name = std::string(g.of(kFamily)) + " " + g.of(kMiddle) + " " + g.of(kGiven);
  std::string address = std::string(g.of(kVillage)) + ", " + g.of(kCommune) + ", tỉnh Hưng Yên";
  node::EntryDraft d;
  d.subject = code;
  d.user = event == 0 ? "lan" : "minh";
  static const char* types[] = {"dossier.submitted", "dossier.updated", "dossier.accepted", "dossier.processing_started",
                                "dossier.result_ready"};
  d.type = types[event];
  if (event == 0) {
    d.body = Json{{"procedure_code", g.of(kProcs)},
                  {"applicant", {{"full_name", name}, {"cccd", "033" + g.digits(9)}, {"phone", "09" + g.digits(8)},
                                 {"address", address}, {"date_of_birth", "19" + g.digits(2) + "-05-1" + g.digits(1)}}},
                  {"channel", "counter"},
                  {"area", "bench"},
                  {"origin_point", point},
                  {"return_point", point},
                  {"agency_code", "000.00.01.H22"},
                  {"received_at", iso(now)},
                  {"form", {{"purpose", g.of(kNotes)}}}};
  } else {
    d.body = Json{{"note", std::string(g.of(kNotes)) + " (" + g.digits(4) + ")"},
                  {"officer", std::string(g.of(kFamily)) + " " + g.of(kGiven)},
                  {"at", iso(now + event * 3600 * 1000)},
                  {"ref", "VB-" + g.digits(6) + "/UBND"},
                  {"applicant", {{"address", address}, {"phone", "09" + g.digits(8)}}},
                  {"reason", g.of(kNotes)}};
  }
  return {d};
}

int64_t ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
}

std::unique_ptr<node::Node> open(const std::string& dir) {
  node::OpenOptions o;
  o.data_dir = dir;
  auto n = node::Node::open(o);
  if (!n.ok()) throw std::runtime_error(n.error().message);
  return std::move(n.value());
}

int64_t g_last_child_cpu_us = 0;  // user + system time of the last in_child()

// CPU time (user + system, microseconds) a process has used so far.
int64_t proc_cpu_us(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  size_t close = s.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream in(s.substr(close + 2));
  std::string field;
  int64_t utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  return (utime + stime) * 1000000 / sysconf(_SC_CLK_TCK);
}

// Runs `fn` in a child process; returns its stdout line and peak RSS (KB).
std::pair<std::string, long> in_child(const std::function<std::string()>& fn) {
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
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  g_last_child_cpu_us = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
  if (!got.empty() && got.back() == '\n') got.pop_back();
  return {got, ru.ru_maxrss};
}

long vm_hwm_kb(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

int free_port() {
  for (int port = 28000 + static_cast<int>(getpid() % 1000);; ++port) {
    std::string cmd = "ss -ltn 2>/dev/null | grep -q ':" + std::to_string(port) + " '";
    if (std::system(cmd.c_str()) != 0) return port;
  }
}

// One timed sync at the point in `dir`; result line "ms entries_up entries_down bytes requests".
std::string timed_sync(const std::string& dir, const std::string& url) {
  auto n = open(dir);
  sync::HttpOptions ho;
  ho.url = url;
  auto t = sync::make_http_transport(ho);
  // Where the session's time goes: the time from the previous step to each
  // request's end, by phase (printed to stderr with the table).
  std::vector<std::pair<std::string, int64_t>> steps;
  sync::ClientOptions co;
  auto t0 = std::chrono::steady_clock::now();
  int64_t last = 0;
  co.progress = [&](const sync::SyncProgress& p) {
    int64_t at = ms_since(t0);
    if (!steps.empty() && steps.back().first == p.phase) steps.back().second += at - last;
    else steps.emplace_back(p.phase, at - last);
    last = at;
  };
  auto r = sync::sync_once(*n, *t.value(), co);
  int64_t us = ms_since(t0);
  std::ostringstream split;
  for (const auto& [phase, t] : steps) split << " " << phase << " " << t / 1000 << " ms;";
  split << " (end " << (us - last) / 1000 << " ms)";
  std::fprintf(stderr, "  %s:%s\n", dir.c_str(), split.str().c_str());
  if (!r.ok()) return "ERROR " + r.error().code + ": " + r.error().message;
  std::ostringstream o;
  o << us << " " << r.value()["entries_up"] << " " << r.value()["entries_down"] << " "
    << (r.value()["bytes_up"].get<int64_t>() + r.value()["bytes_down"].get<int64_t>()) << " " << r.value()["requests"];
  return o.str();
}

struct Row {
  std::string what;
  int64_t us = 0, entries = 0, bytes = 0, requests = 0;
  long point_rss_kb = 0;
  int64_t point_cpu_us = 0, hub_cpu_us = 0;
};

Row parse_row(const std::string& what, const std::pair<std::string, long>& res) {
  if (res.first.rfind("ERROR", 0) == 0) throw std::runtime_error(what + ": " + res.first);
  Row r;
  r.what = what;
  std::istringstream in(res.first);
  int64_t up = 0, down = 0;
  in >> r.us >> up >> down >> r.bytes >> r.requests;
  r.entries = up + down;
  r.point_rss_kb = res.second;
  r.point_cpu_us = g_last_child_cpu_us;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const char* usage = "usage: sync_bench [WORKDIR]   (WORKDIR: absent, empty, or an earlier bench run's; default: a "
                      "fresh directory under the temp dir)\n";
  if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
    const bool help = argc == 2 && (std::string(argv[1]) == "-h" || std::string(argv[1]) == "--help");
    (help ? std::cout : std::cerr) << usage;
    return help ? 0 : 2;
  }
  std::string work = argc > 1 ? argv[1] : (fs::temp_directory_path() / ("motcua-sync-bench-" + std::to_string(getpid()))).string();
  if (auto why = bench::claim_workdir(work)) {
    std::cerr << "sync_bench: " << *why << "\n" << usage;
    return 2;
  }
  crypto_init();
  sync::tune_allocator();  // as motcua does: the points here stand in for it
  const std::string hub_dir = work + "/hub", p1 = work + "/p1", p2 = work + "/p2";
  const int port = free_port();
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  std::string code1, code2;
  {
    auto make = [&](const std::string& dir, node::Role role, const std::string& name) {
      node::InitOptions io;
      io.data_dir = dir;
      io.role = role;
      io.name = name;
      io.agency_code = "000.00.01.H22";
      Status s = node::Node::init(io, system_random());
      if (!s.ok()) throw std::runtime_error(s.error().message);
    };
    make(hub_dir, node::Role::Hub, "hub");
    make(p1, node::Role::Point, "p1");
    make(p2, node::Role::Point, "p2");
    auto hub = open(hub_dir);
    (void)hub->config().set("listen", "127.0.0.1:" + std::to_string(port));
    sync::Hub h(*hub, sync::make_sqlite_hub_store(*hub));
    // p1 may sign every act (admission rule 3) and holds the numbers of every
    // day its dossier codes use (rule 2), so the hub admits all it pushes and
    // p2 pulls all of it: the bench measures the admitted path, not quarantine.
    sync::PointAddOptions a1{"p1", "bench", 500, 30, 3600 * 1000};
    a1.acts = {"all"};
    code1 = h.add_point(a1).value().code;
    code2 = h.add_point({"p2", "bench", 500, 30, 3600 * 1000}).value().code;
    auto store = sync::make_sqlite_hub_store(*hub);
    for (int month = 7; month <= 11; ++month)
      for (int day = 1; day <= 28; ++day) {
        char d[8];
        std::snprintf(d, sizeof d, "25%02d%02d", month, day);
        auto l = store->lease("000.00.01.H22", d, "p1", 9999);
        if (!l.ok()) throw std::runtime_error(l.error().message);
      }
  }
  std::cerr << "generating 10,000 dossiers x 5 events at p1 ...\n";
  auto gen = in_child([&] {
    auto n = open(p1);
    Gen g{42};
    int64_t now = 1751335200000;
    // Dossiers go through their five events in groups of 100, as a busy day would.
    for (int block = 0; block < 100; ++block)
      for (int ev = 0; ev < 5; ++ev) {
        std::vector<node::EntryDraft> drafts;
        for (int i = block * 100; i < block * 100 + 100; ++i) {
          auto d = dossier_events(g, i, ev, "p1", now);
          drafts.insert(drafts.end(), d.begin(), d.end());
        }
        auto r = n->journal().append_batch(drafts);
        if (!r.ok()) return "ERROR " + r.error().message;
      }
    int64_t body = 0;
    for (const auto& e : n->journal().author_entries(n->keys().pk, 0, 1000)) body += static_cast<int64_t>(canonical_bytes(e.body).size());
    return std::to_string(n->journal().count()) + " " + std::to_string(body / 1000);
  });
  std::cerr << "generated: " << gen.first << " (entries, mean body bytes)\n";

  pid_t hub_pid = fork();
  if (hub_pid == 0) {
    int devnull = ::open("/dev/null", O_WRONLY);
    dup2(devnull, 2);
    dup2(devnull, 1);
    execl(MOTCUA_BINARY, MOTCUA_BINARY, "serve", "--data-dir", hub_dir.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 100; ++i) {  // wait for the listener
    if (std::system(("ss -ltn 2>/dev/null | grep -q ':" + std::to_string(port) + " '").c_str()) == 0) break;
    usleep(100 * 1000);
  }
  auto join = [&](const std::string& dir, const std::string& code) {
    return in_child([&] {
      auto n = open(dir);
      sync::HttpOptions ho;
      ho.url = url;
      auto t = sync::make_http_transport(ho);
      auto r = sync::join(*n, *t.value(), url, code);
      return r.ok() ? std::string("ok") : "ERROR " + r.error().message;
    });
  };
  if (join(p1, code1).first != "ok" || join(p2, code2).first != "ok") {
    std::cerr << "join failed\n";
    kill(hub_pid, SIGTERM);
    return 1;
  }
  std::vector<Row> rows;
  const char* hold = std::getenv("MOTCUA_BENCH_HOLD");
  auto phase = [&](const std::string& what, const std::string& dir) {
    if (hold && *hold) {
      std::ofstream(hold) << what << " " << hub_pid << "\n";
      while (fs::exists(hold)) usleep(20 * 1000);
    }
    int64_t hub0 = proc_cpu_us(hub_pid);
    Row r = parse_row(what, in_child([&] { return timed_sync(dir, url); }));
    r.hub_cpu_us = proc_cpu_us(hub_pid) - hub0;
    rows.push_back(r);
  };
  phase("push 50,000 (p1 -> empty hub)", p1);
  phase("fresh pull 50,000 (hub -> p2)", p2);
  // The small phases last a tenth of a second: MOTCUA_BENCH_ROUNDS=N runs
  // them N times (new entries and other old dossiers each round) and adds a
  // row with each phase's median.
  const char* rounds_env = std::getenv("MOTCUA_BENCH_ROUNDS");
  const int rounds = std::clamp(rounds_env ? std::atoi(rounds_env) : 1, 1, 19);
  const size_t first_small = rows.size();
  for (int round = 0; round < rounds; ++round) {
    const std::string tag = rounds > 1 ? " #" + std::to_string(round + 1) : "";
    auto add = in_child([&] {
      auto n = open(p1);
      Gen g{static_cast<uint64_t>(7 + round)};
      std::vector<node::EntryDraft> drafts;
      for (int i = 20000 + 100 * round; i < 20100 + 100 * round; ++i)
        for (int ev = 0; ev < 5; ++ev) {
          auto d = dossier_events(g, i, ev, "p1", 1751335200000);
          drafts.insert(drafts.end(), d.begin(), d.end());
        }
      auto r = n->journal().append_batch(drafts);
      return r.ok() ? std::string("ok") : "ERROR " + r.error().message;
    });
    if (add.first != "ok") std::cerr << add.first << "\n";
    phase("incremental push 500 (p1)" + tag, p1);
    phase("incremental pull 500 (p2)" + tag, p2);
    // A day's traffic is mostly acts on dossiers taken in before: 500 edits,
    // one each on 500 dossiers that already hold 5 entries (each side loads
    // and projects the dossier's history, not only the new entry).
    auto acts = in_child([&] {
      auto n = open(p1);
      Gen g{static_cast<uint64_t>(11 + round)};
      std::vector<node::EntryDraft> drafts;
      for (int i = 0; i < 500; ++i) {
        auto d = dossier_events(g, i * 19 + round, 1, "p1", 1751335200000);
        drafts.insert(drafts.end(), d.begin(), d.end());
      }
      auto r = n->journal().append_batch(drafts);
      return r.ok() ? std::string("ok") : "ERROR " + r.error().message;
    });
    if (acts.first != "ok") std::cerr << acts.first << "\n";
    phase("acts on 500 old dossiers: push" + tag, p1);
    phase("acts on 500 old dossiers: pull" + tag, p2);
  }
  if (rounds > 1) {
    for (size_t k = 0; k < 4; ++k) {
      std::vector<Row> same;
      for (size_t i = first_small + k; i < rows.size(); i += 4) same.push_back(rows[i]);
      auto median = [&](auto field) {
        std::vector<int64_t> v;
        for (const auto& r : same) v.push_back(r.*field);
        std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
        return v[v.size() / 2];
      };
      Row m = same.front();
      m.what = m.what.substr(0, m.what.rfind(" #")) + " median";
      m.us = median(&Row::us);
      m.point_cpu_us = median(&Row::point_cpu_us);
      m.hub_cpu_us = median(&Row::hub_cpu_us);
      rows.push_back(m);
    }
  }
  long hub_rss = vm_hwm_kb(hub_pid);
  kill(hub_pid, SIGTERM);
  waitpid(hub_pid, nullptr, 0);

  std::printf("\n%-38s %9s %10s %12s %8s %9s %12s %12s %13s\n", "phase", "wall ms", "entries/s", "wire bytes",
              "B/entry", "requests", "point CPU ms", "hub CPU ms", "point RSS MB");
  for (const auto& r : rows)
    std::printf("%-38s %9.1f %10.0f %12lld %8.1f %9lld %12.0f %12.0f %13.1f\n", r.what.c_str(), r.us / 1000.0,
                r.entries * 1e6 / std::max<int64_t>(1, r.us), static_cast<long long>(r.bytes),
                static_cast<double>(r.bytes) / std::max<int64_t>(1, r.entries), static_cast<long long>(r.requests),
                r.point_cpu_us / 1000.0, r.hub_cpu_us / 1000.0, r.point_rss_kb / 1024.0);
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) > 0) std::printf("machine load average during the run: %.1f\n", load[0]);
  std::printf("hub (motcua serve) peak RSS: %.1f MB\n", hub_rss / 1024.0);
  std::printf("targets: push <= 1500 ms, fresh pull <= 1500 ms, <= 160 B/entry, incremental 500 <= 50 ms, RSS <= 64 MB\n");
  if (argc <= 1) fs::remove_all(work);
  return 0;
}
