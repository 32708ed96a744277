// The point's background sync thread never dies: a busy database, a full
// disk, a damaged stored value and odd hub answers are each caught, logged,
// counted and retried with backoff, and a later sync succeeds once the cause
// is gone.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "motcua/sync/agent.hpp"
#include "sync_test_util.hpp"
#include "sync_util.hpp"

using namespace motcua;
using namespace std::chrono_literals;

namespace {

// The hub over a link the test can make misbehave.
class OddTransport final : public sync::Transport {
 public:
  enum class Mode { Pass, Garbage, WrongStatus, Truncated, Throws };
  explicit OddTransport(sync::Hub& hub) : hub_(hub) {}
  Result<sync::WireResponse> exchange(const sync::WireRequest& req) override {
    const Mode m = mode.load();
    if (m == Mode::Throws) throw std::runtime_error("the link library threw");
    sync::WireResponse res = hub_.handle(req);
    if (m == Mode::Garbage) res.body = "<html>502 Bad Gateway</html>";
    if (m == Mode::WrongStatus) {
      res.status = 302;
      res.body.clear();
    }
    if (m == Mode::Truncated) res.body.resize(res.body.size() / 3);
    return res;
  }
  std::atomic<Mode> mode{Mode::Pass};

 private:
  sync::Hub& hub_;
};

// The agent's transport: forwards to the test's OddTransport.
class Forward final : public sync::Transport {
 public:
  explicit Forward(sync::Transport& t) : t_(t) {}
  Result<sync::WireResponse> exchange(const sync::WireRequest& req) override { return t_.exchange(req); }

 private:
  sync::Transport& t_;
};

struct AgentWorld {
  test::SyncWorld w;
  size_t p = w.add_point("p1", "area-a");
  size_t p2 = w.add_point("p2", "area-a");  // another point of the area, synced by the test itself
  node::Node& point = *w.points[p];
  OddTransport link{*w.hub};
  std::mutex log_mu;
  std::vector<std::string> lines;
  std::unique_ptr<sync::SyncAgent> agent;

  // `max_sessions`: the hub's cap on points synced at once (0: none).
  explicit AgentWorld(size_t max_sessions = 0) : w(17, test::scope_projector, true, true, max_sessions) {
    sync::AgentOptions o;
    o.transport = [this](const std::string&) -> Result<std::unique_ptr<sync::Transport>> {
      return std::unique_ptr<sync::Transport>(std::make_unique<Forward>(link));
    };
    o.interval = 20ms;
    o.retry_base = 5ms;
    o.log = [this](const std::string& l) {
      std::lock_guard<std::mutex> g(log_mu);
      lines.push_back(l);
    };
    agent = sync::make_sync_agent(point, std::move(o));
  }
  ~AgentWorld() { agent->stop(); }

  int64_t errors() { return agent->status()["errors_total"].get<int64_t>(); }
  // Sessions of this point that ended well (its sync log).
  int64_t ok_sessions() {
    std::lock_guard<std::recursive_mutex> g(point.journal().mutex());
    return point.db()->execAndGet("SELECT count(*) FROM sync_log WHERE result = 'ok'").getInt64();
  }
  // Waits (bounded) for `cond`.
  template <class F>
  bool eventually(F cond) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (cond()) return true;
      std::this_thread::sleep_for(2ms);
    }
    return cond();
  }
  bool logged(const std::string& part) {
    std::lock_guard<std::mutex> g(log_mu);
    for (const auto& l : lines)
      if (l.find(part) != std::string::npos) return true;
    return false;
  }
  // The cause is on: the agent fails with `code` at least twice (so it
  // retried), and its thread is still running.
  void fails_with(const std::string& code) {
    const int64_t e0 = errors();
    REQUIRE(eventually([&] { return errors() >= e0 + 2; }));
    Json st = agent->status();
    CHECK(st["background"] == true);
    CHECK(st["last_failure"]["code"] == code);
    CHECK(st["failures_in_a_row"].get<int>() >= 2);
    CHECK(logged("event=sync_failed code=" + code));
  }
  // The cause is gone: a later session succeeds, with the thread still running.
  void recovers() {
    const int64_t ok0 = ok_sessions();
    REQUIRE(eventually([&] { return ok_sessions() > ok0; }));
    CHECK(agent->status()["background"] == true);
  }
};

}  // namespace

TEST_CASE("the sync agent survives a busy database, a full disk, a damaged stored value and odd hub answers",
          "[sync][agent]") {
  AgentWorld a;
  a.agent->start();
  a.recovers();  // a first clean session

  SECTION("SQLITE_BUSY: another process holds the write lock") {
    a.point.db()->setBusyTimeout(20);
    SQLite::Database other(node::db_path(a.point.data_dir()), SQLite::OPEN_READWRITE);
    other.setBusyTimeout(10000);  // the agent's thread may be between writes of its own session
    other.exec("BEGIN IMMEDIATE");
    a.fails_with("storage_busy");
    other.exec("ROLLBACK");
    a.recovers();
    a.point.db()->setBusyTimeout(5000);
  }

  SECTION("a full disk: the database at its page limit while entries wait at the hub") {
    int64_t limit = 0;
    {
      std::lock_guard<std::recursive_mutex> g(a.point.journal().mutex());
      auto& db = *a.point.db();
      limit = db.execAndGet("PRAGMA max_page_count").getInt64();
      db.exec("PRAGMA max_page_count = " + std::to_string(db.execAndGet("PRAGMA page_count").getInt64()));
    }
    const int64_t held = a.point.journal().count();
    // Dossiers taken in at another point of the area reach the hub, about 40 KB
    // to pull. The agent waits meanwhile: p2's session shares the test's
    // clock and random source with the agent's thread.
    a.agent->stop();
    for (int i = 0; i < 40; ++i) a.w.take_in(a.p2, "", [](node::EntryDraft& d) { d.body["note"] = std::string(1000, 'n'); });
    REQUIRE(a.w.sync(a.p2).ok());
    a.agent->start();
    a.fails_with("storage_full");
    CHECK(a.point.journal().count() == held);  // nothing half-stored
    CHECK(a.point.journal().verify().ok());
    {
      std::lock_guard<std::recursive_mutex> g(a.point.journal().mutex());
      a.point.db()->exec("PRAGMA max_page_count = " + std::to_string(limit));
    }
    a.recovers();
    CHECK(a.point.journal().count() == held + 40);
    CHECK(a.w.held_at_hub() == 0);
    CHECK(a.point.journal().verify().ok());
  }

  SECTION("a damaged stored value: the pull cursor is not a number") {
    std::string cursor;
    {
      std::lock_guard<std::recursive_mutex> g(a.point.journal().mutex());
      cursor = a.point.db()->execAndGet("SELECT value FROM sync_state WHERE key = 'pull_cursor'").getString();
      a.point.db()->exec("UPDATE sync_state SET value = 'x7!' WHERE key = 'pull_cursor'");
    }
    a.fails_with("internal_error");
    CHECK(a.agent->status()["last_failure"]["message"].get<std::string>().find("pull_cursor") != std::string::npos);
    {
      std::lock_guard<std::recursive_mutex> g(a.point.journal().mutex());
      SQLite::Statement q(*a.point.db(), "UPDATE sync_state SET value = ? WHERE key = 'pull_cursor'");
      q.bind(1, cursor);
      q.exec();
    }
    a.recovers();
  }

  SECTION("odd hub answers: garbage, a wrong status, a cut body, a link that throws") {
    for (auto [mode, code] : {std::pair{OddTransport::Mode::Garbage, "bad_response_signature"},
                              std::pair{OddTransport::Mode::WrongStatus, "bad_response_signature"},
                              std::pair{OddTransport::Mode::Truncated, "bad_response_signature"},
                              std::pair{OddTransport::Mode::Throws, "internal_error"}}) {
      INFO("mode " << static_cast<int>(mode));
      a.link.mode = mode;
      const int64_t e0 = a.errors();
      REQUIRE(a.eventually([&] { return a.errors() >= e0 + 2; }));
      Json st = a.agent->status();
      CHECK(st["background"] == true);
      if (*code) CHECK(st["last_failure"]["code"] == code);
      a.link.mode = OddTransport::Mode::Pass;
      a.recovers();
    }
  }
  a.agent->stop();
  CHECK(a.agent->status()["background"] == false);
}

TEST_CASE("told hub_busy, the agent comes back when the hub said, not at its interval, and counts no error",
          "[sync][agent][busy]") {
  AgentWorld a(/*max_sessions=*/1);
  // p2 holds the hub's one place: its link drops after its hello.
  a.w.transports[a.p2]->tamper = [](sync::WireRequest& r) {
    if (r.path == "/sync/v2/pull") r.path = "/sync/v2/gone";
  };
  REQUIRE_FALSE(a.w.sync(a.p2).ok());
  auto busy_total = [&] { return test::metric(a.w.hub->metrics(), "motcua_sync_sessions_busy_total"); };

  // "Sync now" from the counter's screen: the hub's answer, nothing counted as failed.
  auto now = a.agent->sync_now();
  REQUIRE_FALSE(now.ok());
  CHECK(now.error().code == "hub_busy");
  CHECK(a.errors() == 0);
  CHECK(a.logged("event=sync_deferred code=hub_busy retry_after_ms=5000"));
  CHECK(busy_total() == 1);

  // In the background: one attempt, then a wait of 5 to 7.5 s (the hub's
  // 5 s and up to half again at random), not the 20 ms interval.
  a.agent->start();
  REQUIRE(a.eventually([&] { return busy_total() == 2; }));
  REQUIRE(a.eventually([&] { return !a.agent->status()["next_attempt"].is_null(); }));
  std::this_thread::sleep_for(300ms);
  CHECK(busy_total() == 2);
  Json st = a.agent->status();
  CHECK(st["errors_total"] == 0);
  CHECK(st["failures_in_a_row"] == 0);
  std::set<std::string> allowed;
  for (int64_t ms = 5000; ms <= 7500; ms += 1) allowed.insert(sync::util::iso_utc(a.w.clock.now_ms() + ms));
  CHECK(allowed.count(st["next_attempt"].get<std::string>()) == 1);
  CHECK(sync::util::state_get(a.point, "hub_busy_until_ms") == std::to_string(a.w.clock.now_ms() + 5000));
}
