// hub_load: a province's day against one hub. N points (300 by default), each
// with a day's intake (200 dossiers x 5 events, every entry signed by the
// point's own key) plus a 100 KB PDF attached to one dossier in ten, sync at
// the same moment with the real `motcua serve` over HTTP on loopback. The
// points are lightweight: each is a real data directory (its own SQLite journal
// and key) driven in this process by the real sync client (sync_once), one
// thread per point. Prints throughput, p50/p99 session time, errors, the hub's
// peak RSS and database size.
//
//   hub_load [--points N] [--dossiers D] [--areas-of K] [--workdir DIR] [--keep]
//            [--postgres CONNINFO [--hubs H]] [--read-timeout S] [--max-sessions M]
//
// A hub syncs at most hub_max_sessions points at once (docs/design/0121; its
// default, or M; 0 here means the hub's own default, four per core, and a
// large M no cap): the others are answered hub_busy and come back when told,
// as a point's agent does. Session times are those of the sessions that went
// through; the time to done counts the waits too.
//
// Each point waits for an answer as long as a real point does (the sync
// client's read timeout, 120 s) unless --read-timeout says otherwise: a push
// that waits longer for its turn at the hub is an error here as it would be
// at a post office.
//
// With --postgres the hub keeps its state in that (empty) PostgreSQL database
// (hub_store postgres, docs/postgres.md) and --hubs H processes of it serve
// the points, point i through process i mod H (copies of one data directory,
// one shared attachments folder; docs/design/0112).
//
// Points share areas K at a time (default 3): each pulls its neighbours'
// dossiers too, as a commune hall sees dossiers returned to it. Run by hand in
// a Release tree (cmake --build build --target hub_load); never a timed test.
#include <fcntl.h>
#include <libpq-fe.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "motcua/node/blobs.hpp"
#include "motcua/node/node.hpp"
#include "motcua/sync/client.hpp"
#include "motcua/sync/hub.hpp"
#include "motcua/sync/server.hpp"
#include "motcua/sync/transport.hpp"
#include "../../node/src/codes.hpp"
#include "bench_data.hpp"
#include "bench_workdir.hpp"

using namespace motcua;
using namespace motcua::bench;
namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

namespace {

struct Args {
  int points = 300;
  int dossiers = 200;
  int areas_of = 3;
  std::string work;
  bool keep = false;
  std::string postgres;  // libpq connection string: the hub on PostgreSQL
  int hubs = 1;          // hub processes (with --postgres)
  int read_timeout_s = sync::HttpOptions{}.read_timeout_s;  // the client's own default
  int max_sessions = -1;  // config hub_max_sessions of the hub; -1: its default
};

std::string point_name(int i) {
  char b[32];
  std::snprintf(b, sizeof b, "bc-%03d", i);
  return b;
}
std::string area_of(int i, int k) { return "area-" + std::to_string(i / k); }
// Each point is its own receiving agency (a commune's people's committee), so
// each mints from its own daily sequence of 9,999 numbers.
std::string agency_of(int i) {
  char b[32];
  std::snprintf(b, sizeof b, "000.%02d.%02d.H22", i / 100, i % 100);
  return b;
}

// The point's dossier codes for today, from the blocks the hub leased it at
// join (the hub quarantines a code outside them), as the counter mints them.
std::vector<std::string> todays_codes(node::Node& n, int count) {
  auto first = node::codes::mint(n, n.clock().now_ms());
  if (!first.ok()) throw std::runtime_error("mint: " + first.error().message);
  const std::string& c = first.value();  // <agency>-<yymmdd>-<nnnn>
  const std::string prefix = c.substr(0, c.size() - 4), day = c.substr(c.size() - 11, 6);
  std::vector<std::string> out;
  for (const auto& b : node::codes::blocks_for_day(n, day))
    for (int k = b.first; k <= b.last && static_cast<int>(out.size()) < count; ++k) {
      char seq[8];
      std::snprintf(seq, sizeof seq, "%04d", k);
      out.push_back(prefix + seq);
    }
  if (static_cast<int>(out.size()) < count) throw std::runtime_error("the leased blocks hold fewer numbers than --dossiers");
  return out;
}

std::unique_ptr<node::Node> open_node(const std::string& dir) {
  node::OpenOptions o;
  o.data_dir = dir;
  auto n = node::Node::open(o);
  if (!n.ok()) throw std::runtime_error(dir + ": " + n.error().message);
  return std::move(n.value());
}

// A 100 KB PDF (the kind of scan a citizen's paper becomes), different per dossier.
std::string pdf_of(Gen& g) {
  std::string s = "%PDF-1.4\n% bản scan giấy tờ kèm hồ sơ\n";
  while (s.size() < 100 * 1024 - 6) s += g.digits(60) + "\n";
  s.resize(100 * 1024 - 6);
  return s + "\n%%EOF";
}

// The day's intake of point i: D dossiers, each through five events, in one batch per event round.
void generate(const std::string& dir, int i, const Args& a) {
  auto n = open_node(dir);
  Gen g{static_cast<uint64_t>(i) * 7919 + 1};
  const std::string name = point_name(i);
  const int64_t now = n->clock().now_ms();
  const std::vector<std::string> codes = todays_codes(*n, a.dossiers);
  node::BlobStore blobs(dir, n->db(), 1 << 24, &n->journal().mutex());
  static const char* types[] = {"dossier.submitted", "dossier.updated", "dossier.accepted",
                                "dossier.processing_started", "dossier.result_ready"};
  for (int ev = 0; ev < 5; ++ev) {
    std::vector<node::EntryDraft> drafts;
    for (int k = 0; k < a.dossiers; ++k) {
      node::EntryDraft d;
      d.subject = codes[static_cast<size_t>(k)];
      d.user = ev == 0 ? "lan" : "minh";
      d.type = types[ev];
      if (ev == 0) {
        d.body = Json{{"procedure_code", g.of(kProcs)},
                      {"applicant",
                       {{"full_name", std::string(g.of(kFamily)) + " Văn " + g.of(kGiven)},
                        {"cccd", "033" + g.digits(9)},
                        {"phone", "09" + g.digits(8)},
                        {"address", "Thôn Trung, xã Ân Thi, tỉnh Hưng Yên"}}},
                      {"channel", "counter"},
                      {"area", area_of(i, a.areas_of)},
                      {"origin_point", name},
                      {"return_point", name},
                      {"agency_code", agency_of(i)},
                      {"received_at", iso(now)},
                      {"form", {{"purpose", g.of(kNotes)}}}};
        if (k % 10 == 0) {
          const std::string pdf = pdf_of(g);
          auto w = blobs.begin();
          Status s = w->write(reinterpret_cast<const uint8_t*>(pdf.data()), pdf.size());
          if (!s.ok()) throw std::runtime_error(s.error().message);
          auto info = w->finish();
          if (!info.ok()) throw std::runtime_error(info.error().message);
          d.body["attachments"] = Json::array({info->id});
        }
      } else {
        d.body = Json{{"note", std::string(g.of(kNotes)) + " (" + g.digits(4) + ")"},
                      {"officer", std::string(g.of(kFamily)) + " " + g.of(kGiven)},
                      {"at", iso(now + ev * 3600 * 1000)},
                      {"ref", "VB-" + g.digits(6) + "/UBND"}};
      }
      drafts.push_back(std::move(d));
    }
    auto r = n->journal().append_batch(drafts);
    if (!r.ok()) throw std::runtime_error(name + ": " + r.error().message);
  }
}

std::string fmt1(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}

long vm_hwm_kb(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

// User + system CPU seconds of a process so far (/proc/PID/stat fields 14, 15).
double cpu_s(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  size_t close = stat.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return 0;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// CPU seconds of every PostgreSQL server process now running (the test
// cluster's backends serve only this bench while it runs).
double postgres_cpu_s() {
  double sum = 0;
  for (const auto& d : fs::directory_iterator("/proc")) {
    const std::string name = d.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream c(d.path() / "comm");
    std::string comm;
    if (std::getline(c, comm) && comm == "postgres") sum += cpu_s(static_cast<pid_t>(std::stol(name)));
  }
  return sum;
}

// This process's CPU seconds: every simulated point's thread.
double self_cpu_s() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

bool listening(int port) {
  return std::system(("ss -ltn 2>/dev/null | grep -q ':" + std::to_string(port) + " '").c_str()) == 0;
}

// A port nothing listens on, at or after `from`.
int free_port(int from = 0) {
  for (int port = std::max(from, 29000 + static_cast<int>(getpid() % 1000));; ++port)
    if (!listening(port)) return port;
}

uint64_t size_of(const fs::path& p) {
  uint64_t total = 0;
  std::error_code ec;
  if (fs::is_regular_file(p, ec)) return fs::file_size(p, ec);
  for (const auto& e : fs::recursive_directory_iterator(p, ec))
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  return total;
}

// Runs fn(i) for i in [0, n) on `threads` threads.
void parallel(int n, int threads, const std::function<void(int)>& fn) {
  std::atomic<int> next{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&] {
      for (int i = next++; i < n; i = next++) fn(i);
    });
  for (auto& t : ts) t.join();
}

struct Session {
  double ms = 0;       // the session that went through: hello to done
  double done_ms = 0;  // from the start of the wave to done, waits after hub_busy included
  int busy = 0;        // hellos answered hub_busy first
  int64_t up = 0, down = 0, blobs_up = 0, bytes = 0;
  std::string error;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t k = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(k, v.size() - 1)];
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(s + " needs a value");
      return argv[++i];
    };
    if (s == "--points") a.points = std::stoi(val());
    else if (s == "--dossiers") a.dossiers = std::stoi(val());
    else if (s == "--areas-of") a.areas_of = std::max(1, std::stoi(val()));
    else if (s == "--workdir") a.work = val();
    else if (s == "--keep") a.keep = true;
    else if (s == "--postgres") a.postgres = val();
    else if (s == "--hubs") a.hubs = std::max(1, std::stoi(val()));
    else if (s == "--read-timeout") a.read_timeout_s = std::max(1, std::stoi(val()));
    else if (s == "--max-sessions") a.max_sessions = std::max(0, std::stoi(val()));
    else throw std::runtime_error("unknown argument " + s);
  }
  if (a.points < 1 || a.dossiers < 1 || a.dossiers > 9999) throw std::runtime_error("bad --points or --dossiers");
  if (a.hubs > 1 && a.postgres.empty()) throw std::runtime_error("--hubs needs --postgres (processes share its database)");
  return a;
}

}  // namespace

int main(int argc, char** argv) try {
  crypto_init();
  sync::tune_allocator();  // as motcua does: the points here stand in for it
  Args a = parse(argc, argv);
  if (a.work.empty()) a.work = (fs::temp_directory_path() / ("motcua-hub-load-" + std::to_string(getpid()))).string();
  if (auto why = bench::claim_workdir(a.work)) throw std::runtime_error(*why);
  const std::string hub_dir = a.work + "/hub";
  std::vector<std::string> hub_dirs{hub_dir};
  std::vector<int> ports{free_port()};
  for (int k = 1; k < a.hubs; ++k) {
    hub_dirs.push_back(a.work + "/hub-" + std::to_string(k + 1));
    ports.push_back(free_port(ports.back() + 1));
  }
  const int port = ports[0];
  auto url_of = [&](int i) { return "http://127.0.0.1:" + std::to_string(ports[static_cast<size_t>(i % a.hubs)]); };
  const std::string url = url_of(0);
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());

  auto init = [](const std::string& dir, node::Role role, const std::string& name, const std::string& agency) {
    node::InitOptions io;
    io.data_dir = dir;
    io.role = role;
    io.name = name;
    io.agency_code = agency;
    Status s = node::Node::init(io, system_random());
    if (!s.ok()) throw std::runtime_error(s.error().message);
  };
  // 1. The hub with N registered points (as `motcua point add` would), then `motcua serve`.
  std::vector<std::string> codes(static_cast<size_t>(a.points));
  {
    init(hub_dir, node::Role::Hub, "hub", "000.00.01.H22");
    auto hub = open_node(hub_dir);
    (void)hub->config().set("listen", "127.0.0.1:" + std::to_string(port));
    // Every point comes from 127.0.0.1 here, as behind one proxy.
    (void)hub->config().set("max_connections", std::to_string(std::max(256, a.points + 16)));
    (void)hub->config().set("max_connections_per_client", std::to_string(std::max(32, a.points + 16)));
    if (a.max_sessions >= 0) (void)hub->config().set("hub_max_sessions", std::to_string(a.max_sessions));
    if (!a.postgres.empty()) {
      // The whole state on PostgreSQL: bookkeeping and journal (the hub's own
      // entries from init go to the empty log when the store is opened).
      (void)hub->config().set("hub_postgres", a.postgres);
      (void)hub->config().set("hub_store", "postgres");
    }
    sync::Hub h(*hub, sync::open_hub_store(*hub));
    if (!a.postgres.empty() && !hub->journal().shared())
      throw std::runtime_error("the hub's journal is not on PostgreSQL (is the database empty and reachable?)");
    for (int i = 0; i < a.points; ++i) {
      sync::PointAddOptions o;
      o.name = point_name(i);
      o.area = area_of(i, a.areas_of);
      o.daily_capacity = a.dossiers;
      o.lease_days = 30;
      o.code_ttl_ms = 3600 * 1000;
      o.agency_code = agency_of(i);
      o.acts = {"all"};
      auto c = h.add_point(o);
      if (!c.ok()) throw std::runtime_error(c.error().message);
      codes[static_cast<size_t>(i)] = c->code;
    }
  }
  // Further processes of the same hub: copies of its data directory, one
  // attachments folder for all (a shared mount in production).
  if (a.hubs > 1) {
    const std::string shared = a.work + "/blobs";
    fs::create_directories(hub_dir + "/blobs");
    fs::rename(hub_dir + "/blobs", shared);
    fs::create_directory_symlink(shared, hub_dir + "/blobs");
    for (int k = 1; k < a.hubs; ++k) {
      fs::copy(hub_dir, hub_dirs[static_cast<size_t>(k)], fs::copy_options::recursive | fs::copy_options::copy_symlinks);
      auto copy = open_node(hub_dirs[static_cast<size_t>(k)]);
      (void)copy->config().set("listen", "127.0.0.1:" + std::to_string(ports[static_cast<size_t>(k)]));
    }
  }
  std::vector<pid_t> hub_pids;
  for (int k = 0; k < a.hubs; ++k) {
    pid_t pid = fork();
    if (pid == 0) {
      int devnull = ::open("/dev/null", O_WRONLY);
      dup2(devnull, 1);
      dup2(devnull, 2);
      execl(MOTCUA_BINARY, MOTCUA_BINARY, "serve", "--data-dir", hub_dirs[static_cast<size_t>(k)].c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    hub_pids.push_back(pid);
    for (int i = 0; i < 200 && !listening(ports[static_cast<size_t>(k)]); ++i) usleep(50 * 1000);
  }
  const pid_t hub_pid = hub_pids[0];
  auto stop_hubs = [&] {
    for (pid_t pid : hub_pids) kill(pid, SIGTERM);
    for (pid_t pid : hub_pids) waitpid(pid, nullptr, 0);
  };

  // 2. The points: init, join over HTTP, a day's intake (not timed).
  std::cerr << "preparing " << a.points << " points x " << a.dossiers << " dossiers x 5 events ...\n";
  auto t_prep = Steady::now();
  std::atomic<int> prep_errors{0};
  parallel(a.points, static_cast<int>(cores), [&](int i) {
    try {
      const std::string dir = a.work + "/" + point_name(i);
      init(dir, node::Role::Point, point_name(i), agency_of(i));
      {
        auto n = open_node(dir);
        sync::HttpOptions ho;
        ho.url = url_of(i);
        auto t = sync::make_http_transport(ho);
        auto j = sync::join(*n, *t.value(), ho.url, codes[static_cast<size_t>(i)]);
        if (!j.ok()) throw std::runtime_error("join: " + j.error().message);
      }
      generate(dir, i, a);
    } catch (const std::exception& e) {
      if (prep_errors++ < 5) std::cerr << point_name(i) << ": " << e.what() << "\n";
    }
  });
  if (prep_errors > 0) {
    stop_hubs();
    std::cerr << prep_errors << " points failed to prepare\n";
    return 1;
  }
  std::cerr << "prepared in " << std::chrono::duration<double>(Steady::now() - t_prep).count() << " s\n";

  // 3. Every point syncs at once: one thread each, released together.
  std::vector<Session> sessions(static_cast<size_t>(a.points));
  std::mutex mu;
  std::condition_variable cv;
  bool go = false;
  // One sync session of point i; the wave's sessions wait for `go` first.
  auto sync_point = [&](int i, Session& s, bool wait_for_go) {
    try {
      auto n = open_node(a.work + "/" + point_name(i));
      sync::HttpOptions ho;
      ho.url = url_of(i);
      ho.read_timeout_s = a.read_timeout_s;
      auto t = sync::make_http_transport(ho);
      if (wait_for_go) {
        std::unique_lock<std::mutex> l(mu);
        cv.wait(l, [&] { return go; });
      }
      const auto start = Steady::now();
      auto t0 = start;
      auto r = sync::sync_once(*n, *t.value());
      // A busy hub (docs/design/0121): wait as the point's agent does (the
      // hub's time, plus up to half again at random), then try again.
      while (!r.ok() && r.error().code == "hub_busy") {
        ++s.busy;
        std::this_thread::sleep_for(std::chrono::milliseconds(sync::hub_busy_wait_ms(*n)));
        t0 = Steady::now();
        r = sync::sync_once(*n, *t.value());
      }
      s.ms = std::chrono::duration<double, std::milli>(Steady::now() - t0).count();
      s.done_ms = std::chrono::duration<double, std::milli>(Steady::now() - start).count();
      if (!r.ok()) {
        s.error = r.error().code + ": " + r.error().message;
        return;
      }
      const Json& j = r.value();
      s.up = j.value("entries_up", int64_t{0});
      s.down = j.value("entries_down", int64_t{0});
      s.blobs_up = j.value("blobs_up", int64_t{0});
      s.bytes = j.value("bytes_up", int64_t{0}) + j.value("bytes_down", int64_t{0}) +
                j.value("blob_bytes_up", int64_t{0}) + j.value("blob_bytes_down", int64_t{0});
      if (j.contains("blob_errors") && !j["blob_errors"].empty()) s.error = "attachments: " + j["blob_errors"].dump();
    } catch (const std::exception& e) {
      s.error = e.what();
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < a.points; ++i) threads.emplace_back([&, i] { sync_point(i, sessions[static_cast<size_t>(i)], true); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // every thread opened its point
  double hub_cpu0 = 0;
  for (pid_t pid : hub_pids) hub_cpu0 += cpu_s(pid);
  const double pg_cpu0 = a.postgres.empty() ? 0 : postgres_cpu_s();
  const double self_cpu0 = self_cpu_s();
  auto t0 = Steady::now();
  {
    std::lock_guard<std::mutex> l(mu);
    go = true;
  }
  cv.notify_all();
  for (auto& t : threads) t.join();
  const double wall_s = std::chrono::duration<double>(Steady::now() - t0).count();
  long hub_rss_kb = 0;  // the largest process
  double hub_cpu = -hub_cpu0;
  for (pid_t pid : hub_pids) {
    hub_rss_kb = std::max(hub_rss_kb, vm_hwm_kb(pid));
    hub_cpu += cpu_s(pid);
  }
  const double pg_cpu = a.postgres.empty() ? 0 : postgres_cpu_s() - pg_cpu0;
  const double points_cpu = self_cpu_s() - self_cpu0;
  // A point pulls what its neighbours had pushed when its pull ran: one that
  // pulled before a neighbour pushed gets the rest at its next sync. Every
  // point syncs once more, all at once, so that the work done (and compared
  // between runs) is the whole exchange however the wave interleaved.
  std::vector<Session> again(static_cast<size_t>(a.points));
  auto t1 = Steady::now();
  threads.clear();
  for (int i = 0; i < a.points; ++i) threads.emplace_back([&, i] { sync_point(i, again[static_cast<size_t>(i)], false); });
  for (auto& t : threads) t.join();
  const double again_s = std::chrono::duration<double>(Steady::now() - t1).count();
  int64_t again_down = 0;
  int again_errors = 0;
  for (const auto& s : again) {
    again_down += s.down;
    if (!s.error.empty() && again_errors++ < 5) std::cerr << "catch-up session error: " << s.error << "\n";
  }
  (void)hub_pid;
  stop_hubs();

  std::vector<double> ms, done_ms;
  int64_t up = 0, down = 0, blobs = 0, bytes = 0;
  int errors = 0, busy = 0, turned_away = 0;
  for (const auto& s : sessions) {
    busy += s.busy;
    turned_away += s.busy > 0;
    if (!s.error.empty()) {
      if (errors++ < 5) std::cerr << "session error: " << s.error << "\n";
      continue;
    }
    ms.push_back(s.ms);
    done_ms.push_back(s.done_ms);
    up += s.up;
    down += s.down;
    blobs += s.blobs_up;
    bytes += s.bytes;
  }
  uint64_t db_bytes = size_of(hub_dir + "/motcua.db") + size_of(hub_dir + "/motcua.db-wal");
  if (!a.postgres.empty()) {
    // The shared database, plus one process's replica (each process keeps one).
    PGconn* c = PQconnectdb(a.postgres.c_str());
    if (PQstatus(c) == CONNECTION_OK) {
      PGresult* r = PQexec(c, "SELECT pg_database_size(current_database())");
      if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        db_bytes += static_cast<uint64_t>(std::stoll(PQgetvalue(r, 0, 0)));
      PQclear(r);
    }
    PQfinish(c);
  }
  const uint64_t blob_bytes = size_of(hub_dir + "/blobs");
  std::printf("\n%-26s %7s %6s %9s %9s %10s %9s %9s %7s %8s %9s %10s\n", "store", "points", "errors", "entries↑",
              "entries↓", "entries/s", "p50 s", "p99 s", "max s", "attach.", "hub RSS", "hub db MB");
  const std::string label = a.postgres.empty() ? "SQLite, one hub process"
                                                : "PostgreSQL, " + std::to_string(a.hubs) + " hub process" +
                                                      (a.hubs > 1 ? "es" : "");
  std::printf("%-26s %7d %6d %9lld %9lld %10.0f %9.2f %9.2f %7.2f %8lld %6.1f MB %10.1f\n", label.c_str(),
              a.points, errors, static_cast<long long>(up), static_cast<long long>(down),
              static_cast<double>(up + down) / wall_s, percentile(ms, 0.5) / 1000, percentile(ms, 0.99) / 1000,
              percentile(ms, 1.0) / 1000, static_cast<long long>(blobs), hub_rss_kb / 1024.0, db_bytes / 1048576.0);
  std::printf("wall time of the sync wave %.2f s; %.1f MB on the wire (attachments included); hub attachments %.1f MB\n",
              wall_s, bytes / 1048576.0, blob_bytes / 1048576.0);
  std::printf("each point's read timeout: %d s (a push or pull answered later fails its session)\n", a.read_timeout_s);
  std::printf("hub_busy: %d hellos turned away (%d points waited at least once); time to done, waits included: "
              "p50 %.2f s, p99 %.2f s, max %.2f s\n",
              busy, turned_away, percentile(done_ms, 0.5) / 1000, percentile(done_ms, 0.99) / 1000,
              percentile(done_ms, 1.0) / 1000);
  std::printf("then every point once more: %lld entries down (%lld in all), %d errors, %.2f s\n",
              static_cast<long long>(again_down), static_cast<long long>(down + again_down), again_errors, again_s);
  // Every simulated point runs on this machine too: the share of the CPU
  // the hub had is what bounds the wave here, not the hub's own speed.
  std::printf("CPU during the wave: hub %.1f s%s, the %d simulated points %.1f s; the hub's work alone is at least "
              "%.1f s of wall time on %u cores\n",
              hub_cpu, a.postgres.empty() ? "" : (" + PostgreSQL " + fmt1(pg_cpu) + " s").c_str(), a.points,
              points_cpu, (hub_cpu + pg_cpu) / std::max(1u, cores), cores);
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) > 0) std::printf("machine load average during the run: %.1f (%u cores)\n", load[0], cores);
  if (!a.postgres.empty())
    std::printf("hub RSS: the largest of the %d processes; hub db: the PostgreSQL database plus one process's SQLite "
                "replica\n", a.hubs);
  std::printf("target: every point done, 0 errors, p99 session <= 5 s on SQLite\n");
  std::fflush(stdout);  // the table first: removing 300 data dirs takes a while
  if (!a.keep) fs::remove_all(a.work);
  return errors == 0 && again_errors == 0 ? 0 : 1;
} catch (const std::exception& e) {
  std::cerr << "hub_load: " << e.what() << "\n";
  return 2;
}
