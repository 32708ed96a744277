// Real processes: a hub and two points, each `motcua serve`, syncing over
// loopback while one side or the other is killed mid-session. Afterwards
// nothing is lost or duplicated and `motcua verify` passes everywhere.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <SQLiteCpp/Database.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "serve_process.hpp"
#include "sync_test_util.hpp"
#include "sync_util.hpp"

extern char** environ;

using namespace motcua;
using namespace motcua::test;

namespace {

const std::string kBin = MOTCUA_BINARY;


// Each start logs to its own file (log + a counter).
struct Serve : test::ServeProcess {
  static std::string next_log(const std::string& base) {
    static int started = 0;
    return base + "." + std::to_string(++started);
  }
  Serve(const std::string& dir, const std::string& listen, const std::string& log_base)
      : ServeProcess(kBin, dir, next_log(log_base), listen) {}
};

std::unique_ptr<node::Node> open_node(const std::string& dir) { return test::open_existing(dir, system_clock()); }

// `dossiers` intakes with real codes of the point's leased blocks (the hub
// admits only those): `per_day` numbers a day from `first` on, today onwards.
void fill(const std::string& dir, const std::string& point, int dossiers, int first = 1, int per_day = 300) {
  auto n = open_node(dir);
  n->db()->exec("PRAGMA synchronous = NORMAL");
  std::vector<node::EntryDraft> drafts;
  const int64_t now = system_clock().now_ms();
  for (int i = 0; i < dossiers; ++i) {
    char number[8];
    std::snprintf(number, sizeof number, "%04d", first + i % per_day);
    std::string subject = "000.00.01.H22-" + sync::util::vn_day(now, i / per_day) + "-" + number;
    drafts.push_back(intake_draft(subject, point, "an-thi"));
    drafts.push_back(event_draft(subject, "dossier.fees_collected", {{"amount_vnd", 50000}, {"receipt_no", "BL-" + std::to_string(i)}}));
    if (drafts.size() >= 1000) {
      REQUIRE(n->journal().append_batch(drafts).ok());
      drafts.clear();
    }
  }
  if (!drafts.empty()) REQUIRE(n->journal().append_batch(drafts).ok());
}

}  // namespace

TEST_CASE("hub and points as real processes resume after being killed mid-session, losing and duplicating nothing",
          "[sync][process]") {
  TempDir dir("syncproc");
  const std::string hub = dir.sub("hub"), a = dir.sub("a"), b = dir.sub("b"), log = dir.sub("log.txt");
  int st = 0;
  run_motcua("init --role hub --name tinh --data-dir '" + hub + "'", &st);
  REQUIRE(st == 0);
  std::string out_a = run_motcua("point add a --area an-thi --agency 000.00.01.H22 --daily-capacity 300 --data-dir '" + hub + "'", &st);
  REQUIRE(st == 0);
  std::string out_b = run_motcua("point add b --area an-thi --agency 000.00.01.H22 --daily-capacity 300 --data-dir '" + hub + "'", &st);
  REQUIRE(st == 0);
  std::smatch m;
  std::regex code_re(R"(enrolment code: (\S+))");
  REQUIRE(std::regex_search(out_a, m, code_re));
  std::string code_a = m[1];
  REQUIRE(std::regex_search(out_b, m, code_re));
  std::string code_b = m[1];

  auto hub_proc = std::make_unique<Serve>(hub, "127.0.0.1:0", log);
  const std::string listen = "127.0.0.1:" + std::to_string(hub_proc->port);
  const std::string url = "http://" + listen;
  for (auto [d, code] : {std::pair{a, code_a}, std::pair{b, code_b}}) {
    std::string name = d == a ? "a" : "b";
    run_motcua("init --role point --name " + name + " --agency-code 000.00.01.H22 --data-dir '" + d + "'", &st);
    REQUIRE(st == 0);
    std::string j = run_motcua("join --hub " + url + " --code " + code + " --data-dir '" + d + "'", &st);
    INFO(j);
    REQUIRE(st == 0);
    run_motcua("config set sync_interval_s 1 --data-dir '" + d + "'", &st);
    REQUIRE(st == 0);
  }
  // 3,000 dossiers (6,000 entries) a point by default; MOTCUA_PROCESS_DOSSIERS
  // sets another number, at least 1,000 (CI's ASan build runs 1,000: it is
  // slower, so the kills below still fall in the middle of the pushes).
  int kDossiers = 3000;
  if (const char* env = std::getenv("MOTCUA_PROCESS_DOSSIERS")) kDossiers = std::clamp(std::atoi(env), 1000, 3000);
  fill(a, "a", kDossiers, 1);    // a enrolled first: numbers 1-300 of each day
  fill(b, "b", kDossiers, 301);  // b: 301-600

  {
    auto pa = std::make_unique<Serve>(a, "127.0.0.1:0", log);
    auto pb = std::make_unique<Serve>(b, "127.0.0.1:0", log);
    // Kill the point a few times while it pushes, then the hub while both sync.
    for (int round = 0; round < 3; ++round) {
      std::this_thread::sleep_for(std::chrono::milliseconds(400 + 300 * round));
      pa->kill_now();
      pa = std::make_unique<Serve>(a, "127.0.0.1:0", log);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    hub_proc->kill_now();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // points fail, back off
    hub_proc = std::make_unique<Serve>(hub, listen, log);
    // Wait until the hub holds both chains and each point has the other's
    // dossiers (counted in the journals themselves: a killed session's audit
    // row may miss its last batch), and the newest session of each point is ok.
    auto count = [](const std::string& d) -> int64_t {
      try {
        SQLite::Database db(d + "/motcua.db", SQLite::OPEN_READONLY);
        db.setBusyTimeout(2000);
        return db.execAndGet("SELECT count(*) FROM journal").getInt64();
      } catch (const std::exception&) {
        return -1;
      }
    };
    bool done = false;
    std::string last_a, last_b;
    int64_t ca = 0, cb = 0, ch = 0;
    for (int i = 0; i < 240 && !done; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      ca = count(a), cb = count(b), ch = count(hub);
      if (ca < 4 * kDossiers || cb < 4 * kDossiers || ch < 4 * kDossiers) continue;
      last_a = run_motcua("audit --json --data-dir '" + a + "'"), last_b = run_motcua("audit --json --data-dir '" + b + "'");
      auto ja = Json::parse(last_a, nullptr, false), jb = Json::parse(last_b, nullptr, false);
      if (ja.is_discarded() || jb.is_discarded() || ja["sessions"].empty() || jb["sessions"].empty()) continue;
      done = ja["sessions"][0]["result"] == "ok" && jb["sessions"][0]["result"] == "ok";
    }
    INFO("journal entries: hub " << ch << ", a " << ca << ", b " << cb << " (want " << 4 * kDossiers << ")");
    INFO("audit a: " << last_a.substr(0, 2000));
    INFO("audit b: " << last_b.substr(0, 2000));
    if (!done) {
      for (int k = 1; k <= 7; ++k) {  // the daemons' logs, for whoever reads the failure
        std::ifstream in(log + "." + std::to_string(k));
        std::stringstream ss;
        ss << in.rdbuf();
        std::string t = ss.str();
        if (t.size() > 3000) t = "..." + t.substr(t.size() - 3000);
        UNSCOPED_INFO("log " << k << ":\n" << t);
      }
    }
    CHECK(done);
    pa->kill_now(SIGTERM);
    pb->kill_now(SIGTERM);
    hub_proc->kill_now(SIGTERM);
  }
  auto h = open_node(hub);
  auto na = open_node(a);
  auto nb = open_node(b);
  CHECK(h->journal().count() == 4 * kDossiers);
  CHECK(h->journal().heads()[na->keys().pk] == 2 * kDossiers);
  CHECK(h->journal().heads()[nb->keys().pk] == 2 * kDossiers);
  CHECK(na->journal().count() == 4 * kDossiers);
  CHECK(nb->journal().count() == 4 * kDossiers);
  CHECK(na->journal().state_hash() == h->journal().state_hash());
  CHECK(nb->journal().state_hash() == h->journal().state_hash());
  for (const auto& d : {hub, a, b}) {
    std::string v = run_motcua("verify --data-dir '" + d + "'", &st);
    INFO(v);
    CHECK(st == 0);
  }
  // The interruptions are on record at the points (a killed session stays
  // "running"/"interrupted", one cut by the hub's death is "failed").
  int not_ok = 0;
  for (const auto& d : {a, b}) {
    auto j = Json::parse(run_motcua("audit --json --data-dir '" + d + "'", &st), nullptr, false);
    REQUIRE(!j.is_discarded());
    for (const auto& s : j["sessions"]) not_ok += s["result"] != "ok";
  }
  CHECK(not_ok > 0);
  std::string audit = run_motcua("audit --data-dir '" + hub + "'", &st);
  CHECK(st == 0);
  CHECK(audit.find(" ok ") != std::string::npos);
}

namespace {

// A loopback TCP proxy that forwards to `port` and cuts every connection
// after `budget` bytes have passed (both directions together).
class CuttingProxy {
 public:
  CuttingProxy(int upstream, int64_t budget) : upstream_(upstream), budget_(budget) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 8) != 0)
      throw std::runtime_error("proxy: cannot listen");
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~CuttingProxy() {
    stop_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    thread_.join();
  }
  int port() const { return port_; }
  void set_budget(int64_t b) { budget_ = b; }
  int cuts() const { return cuts_; }

 private:
  void serve() {
    while (!stop_) {
      int c = ::accept(listen_fd_, nullptr, nullptr);
      if (c < 0) return;
      int u = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(static_cast<uint16_t>(upstream_));
      if (::connect(u, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(c);
        ::close(u);
        continue;
      }
      pump(c, u);
      ::close(c);
      ::close(u);
    }
  }
  void pump(int c, int u) {
    int64_t passed = 0;
    char buf[16384];
    for (;;) {
      pollfd p[2] = {{c, POLLIN, 0}, {u, POLLIN, 0}};
      if (::poll(p, 2, 200) < 0 || stop_) return;
      for (int i = 0; i < 2; ++i) {
        if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        ssize_t n = ::read(p[i].fd, buf, sizeof buf);
        if (n <= 0) return;
        int64_t allowed = std::min<int64_t>(n, budget_ - passed);
        if (allowed > 0) (void)!::write(i == 0 ? u : c, buf, static_cast<size_t>(allowed));
        passed += n;
        if (passed >= budget_) {
          ++cuts_;
          return;
        }
      }
    }
  }
  int upstream_;
  std::atomic<int64_t> budget_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> cuts_{0};
  std::thread thread_;
};

}  // namespace

TEST_CASE("a link cut after N bytes, again and again, still ends with everything synced once", "[sync][process]") {
  TempDir dir("synccut");
  const std::string hub = dir.sub("hub"), a = dir.sub("a"), log = dir.sub("log.txt");
  int st = 0;
  run_motcua("init --role hub --name tinh --data-dir '" + hub + "'", &st);
  REQUIRE(st == 0);
  std::string out = run_motcua("point add a --area an-thi --agency 000.00.01.H22 --data-dir '" + hub + "'", &st);
  std::smatch m;
  REQUIRE(std::regex_search(out, m, std::regex(R"(enrolment code: (\S+))")));
  std::string code = m[1];
  Serve hub_proc(hub, "127.0.0.1:0", log);
  CuttingProxy proxy(hub_proc.port, int64_t{1} << 40);
  const std::string url = "http://127.0.0.1:" + std::to_string(proxy.port());
  run_motcua("init --role point --name a --agency-code 000.00.01.H22 --data-dir '" + a + "'", &st);
  REQUIRE(st == 0);
  REQUIRE(run_motcua("join --hub " + url + " --code " + code + " --data-dir '" + a + "'", &st).find("joined") != std::string::npos);
  fill(a, "a", 2500);  // 5,000 entries, a few push batches
  {
    auto n = open_node(a);
    sync::HttpOptions ho;
    ho.url = url;
    ho.read_timeout_s = 5;
    auto t = sync::make_http_transport(ho);
    REQUIRE(t.ok());
    sync::ClientOptions small;
    small.batch_entries = 700;
    int failures = 0;
    for (int64_t budget : {3000, 40000, 90000, 150000, 250000, 400000}) {
      proxy.set_budget(budget);
      auto r = sync::sync_once(*n, *t.value(), small);
      if (!r.ok()) ++failures;
    }
    CHECK(failures >= 3);
    CHECK(proxy.cuts() >= 3);
    proxy.set_budget(int64_t{1} << 40);
    auto r = sync::sync_once(*n, *t.value(), small);
    INFO((r.ok() ? "" : r.error().message));
    REQUIRE(r.ok());
  }
  hub_proc.kill_now(SIGTERM);
  auto h = open_node(hub);
  auto na = open_node(a);
  CHECK(h->journal().count() == 5000);
  CHECK(h->journal().heads()[na->keys().pk] == 5000);
  run_motcua("verify --data-dir '" + hub + "'", &st);
  CHECK(st == 0);
}
