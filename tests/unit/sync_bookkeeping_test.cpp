// Honest sync bookkeeping: /metrics counters that only grow, `point list` lag
// right after a sync, retention of the sync log, receipts, alerts and sessions,
// and refused enrolments throttled per address and folded into one alert.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "../../sync/src/sync_codec.hpp"
#include "http_test_util.hpp"
#include "motcua/schema/database.hpp"
#include "motcua/sync/agent.hpp"
#include "motcua/sync/hub_store.hpp"
#include "motcua/sync/retention.hpp"
#include "sync_test_util.hpp"

using namespace motcua;
using namespace motcua::test;

namespace {

sync::Alert alert(int64_t at_ms, const std::string& point, const std::string& kind, const std::string& source = "") {
  sync::Alert a;
  a.at_ms = at_ms;
  a.point = point;
  a.kind = kind;
  a.detail = "test";
  a.source = source;
  return a;
}

struct Totals {
  int64_t bytes_up = 0, bytes_down = 0, entries_up = 0, entries_down = 0, ok = 0, failed = 0, alerts = 0;
};

void check_metrics(const std::string& m, const Totals& t) {
  CHECK(metric(m, "motcua_sync_bytes_total{direction=\"up\"}") == t.bytes_up);
  CHECK(metric(m, "motcua_sync_bytes_total{direction=\"down\"}") == t.bytes_down);
  CHECK(metric(m, "motcua_sync_entries_total{direction=\"up\"}") == t.entries_up);
  CHECK(metric(m, "motcua_sync_entries_total{direction=\"down\"}") == t.entries_down);
  CHECK(metric(m, "motcua_sync_sessions_total{result=\"ok\"}") == t.ok);
  CHECK(metric(m, "motcua_sync_sessions_total{result=\"failed\"}") == t.failed);
  CHECK(metric(m, "motcua_sync_alerts_total") == t.alerts);
}

}  // namespace

TEST_CASE("sync counters in /metrics equal the true totals past 1000 sessions and never go down, pruning included",
          "[sync][metrics]") {
  SyncWorld w(1, scope_projector, false);
  sync::HubStore& store = w.hub->store();
  Totals t;
  const int64_t day = 24 * 3600 * 1000LL;
  const int64_t t0 = w.clock.now_ms();
  std::string before = w.hub->metrics();
  for (int i = 0; i < 1200; ++i) {
    sync::SyncLogRow row;
    row.id = "s" + std::to_string(i);
    row.point = i % 2 ? "a" : "b";
    row.started_ms = t0 + i * 1000LL;
    row.ended_ms = row.started_ms;
    row.result = "running";
    row.bytes_up = 10;
    store.put_session(row);  // written at hello, then again with the session's end
    store.put_session(row);  // the same numbers again count nothing twice
    row.bytes_up = 100 + i;
    row.bytes_down = 50;
    row.entries_up = 2;
    row.entries_down = i % 7;
    row.result = i % 5 ? "ok" : "failed";
    store.put_session(row);
    t.bytes_up += row.bytes_up;
    t.bytes_down += row.bytes_down;
    t.entries_up += row.entries_up;
    t.entries_down += row.entries_down;
    (i % 5 ? t.ok : t.failed)++;
    if (i % 100 == 99) {
      store.add_alert(alert(row.started_ms, "a", "equivocation"));
      ++t.alerts;
      std::string now = w.hub->metrics();
      check_metrics(now, t);
      CHECK(metric(now, "motcua_sync_bytes_total{direction=\"up\"}") >=
            std::max<int64_t>(0, metric(before, "motcua_sync_bytes_total{direction=\"up\"}")));
      before = now;
    }
  }
  for (int i = 0; i < 1100; ++i) store.add_alert(alert(t0 + i, "", "sequence_exhausted"));
  t.alerts += 1100;
  check_metrics(w.hub->metrics(), t);
  CHECK(store.sessions("", 0, 100000).size() == 1200);

  // A year later, retention drops almost everything; the counters stay.
  w.clock.advance(365 * day);
  sync::RetentionPolicy p;
  p.now_ms = w.clock.now_ms();
  p.sync_log_before_ms = t0 + 1100 * 1000LL;  // keeps the last 100 sessions
  p.alerts_before_ms = p.now_ms;
  auto rep = store.apply_retention(p);
  CHECK(rep.sessions == 1100);
  CHECK(rep.alerts == 12 + 1100);
  CHECK(store.sessions("", 0, 100000).size() == 100);
  CHECK(store.alerts("", 0).empty());
  check_metrics(w.hub->metrics(), t);

  // A row written again after its neighbours were pruned still counts only its growth.
  auto kept = store.session("s1199");
  REQUIRE(kept);
  kept->bytes_up += 5;
  store.put_session(*kept);
  t.bytes_up += 5;
  check_metrics(w.hub->metrics(), t);
}

TEST_CASE("sync counters survive a real session, and a point's /metrics counts its own sessions", "[sync][metrics]") {
  SyncWorld w;
  size_t a = w.add_point("a", "area-x");
  w.take_in(a);
  REQUIRE(w.sync(a).ok());
  auto hub_log = w.hub->sync_log("a", 0)["sessions"];
  REQUIRE(hub_log.size() == 1);
  const std::string m = w.hub->metrics();
  CHECK(metric(m, "motcua_sync_entries_total{direction=\"up\"}") == 1);
  CHECK(metric(m, "motcua_sync_bytes_total{direction=\"up\"}") == hub_log[0]["bytes_up"].get<int64_t>());
  CHECK(metric(m, "motcua_sync_bytes_total{direction=\"down\"}") == hub_log[0]["bytes_down"].get<int64_t>());
  CHECK(metric(m, "motcua_sync_sessions_total{result=\"ok\"}") == 1);
  CHECK(metric(m, "motcua_sync_receipts_total") == 1);
  // The one push went through the hub's gate (docs/design/0120) and left it.
  CHECK(metric(m, "motcua_sync_pushes_total") == 1);
  CHECK(metric(m, "motcua_sync_pushes_inside") == 0);
  CHECK(metric(m, "motcua_sync_pushes_waiting") == 0);
  CHECK(metric(m, "motcua_sync_pushes_waited_total") == 0);

  auto point_counters = sync::make_sqlite_hub_store(*w.points[a])->counters();
  auto point_log = sync::point_sync_log(*w.points[a], "", 0)["sessions"];
  REQUIRE(point_log.size() == 1);
  CHECK(point_counters.entries_up == 1);
  CHECK(point_counters.bytes_up == point_log[0]["bytes_up"].get<int64_t>());
  CHECK(point_counters.bytes_down == point_log[0]["bytes_down"].get<int64_t>());
  CHECK(point_counters.sessions["ok"] == 1);
  CHECK(point_counters.receipts == 1);
}

namespace {

int64_t since(const std::string& s) {
  auto r = sync::parse_audit_since(s);
  if (!r.ok()) FAIL("refused " << s << ": " << r.error().message);
  return r.value();
}

std::string refused(const std::string& s) {
  auto r = sync::parse_audit_since(s);
  if (r.ok()) return "";
  CHECK(r.error().field == "since");
  return r.error().code;
}

// Four sessions of point "a", 30 minutes apart from 2026-12-05T00:30:00Z.
void four_sessions(node::Node& n) {
  auto store = sync::make_sqlite_hub_store(n);
  const int64_t first = since("2026-12-05T00:30:00Z");
  for (int i = 0; i < 4; ++i) {
    sync::SyncLogRow r;
    r.id = "s" + std::to_string(i);
    r.point = "a";
    r.started_ms = r.ended_ms = first + i * 30 * 60 * 1000LL;
    r.result = "ok";
    store->put_session(r);
  }
}

}  // namespace

TEST_CASE("audit since: UTC offsets are honoured and impossible dates refused", "[sync][audit]") {
  const int64_t utc = since("2026-12-05T01:00:00Z");
  CHECK(since("2026-12-05T08:00:00+07:00") == utc);
  CHECK(since("2026-12-05T08:00+07:00") == utc);
  CHECK(since("2026-12-05T08:00:00+0700") == utc);
  CHECK(since("2026-12-04T20:00:00-05:00") == utc);
  CHECK(since("2026-12-05t01:00:00z") == utc);
  CHECK(since("2026-12-05 01:00:00Z") == utc);
  CHECK(since("2026-12-05T01:00:00.250Z") == utc + 250);
  CHECK(since("2026-12-05") == since("2026-12-05T00:00:00Z"));
  CHECK(since("2026-12-05T00:00:00Z") == 1796428800000);
  CHECK(since("2028-02-29") - since("2028-02-28") == 24 * 3600 * 1000LL);  // a leap day
  for (const char* bad : {"2026-02-30", "2027-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "2026-12-05T25:00:00Z",
                          "2026-12-05T24:00:00Z", "2026-12-05T08:60:00Z", "2026-12-05T08:00:61Z",
                          "2026-12-05T08:00:00", "2026-12-05T08:00:00+24:00", "2026-12-05T08:00:00+07:60",
                          "2026-12-05T08:00:00+7", "2026-12-05T08:00:00Zjunk", "2026-12-5", "26-12-05", "yesterday",
                          "2026-12-05T08Z", "2026-12-05T08:00.5Z", "1969-12-31"}) {
    INFO(bad);
    CHECK(refused(bad) == "invalid_value");
  }
}

TEST_CASE("audit since over HTTP: an offset selects the right sessions, a bad date is 400 invalid_value since",
          "[sync][audit][http]") {
  DaemonFixture f;
  four_sessions(*f.node);
  auto c = f.client();
  auto admin = DaemonFixture::bearer(f.login("admin1"));
  // 08:00 in Vietnam is 01:00Z: the sessions of 01:00, 01:30 and 02:00.
  auto r = c->Get("/api/v1/audit/sync-log?since=2026-12-05T08:00:00%2B07:00", admin);
  REQUIRE(r);
  REQUIRE(r->status == 200);
  CHECK(body_json(r)["sessions"].size() == 3);
  r = c->Get("/api/v1/audit/sync-log?since=2026-12-05T01:30:00Z", admin);
  CHECK(body_json(r)["sessions"].size() == 2);
  for (const char* bad : {"2026-02-30", "2026-12-05T25:00:00Z", "2026-13-01", "2026-12-05T08:00:00"}) {
    INFO(bad);
    r = c->Get(std::string("/api/v1/audit/sync-log?since=") + bad, admin);
    REQUIRE(r);
    CHECK(r->status == 400);
    Json e = body_json(r)["error"];
    CHECK(e["code"] == "invalid_value");
    CHECK(e["field"] == "since");
  }
}

TEST_CASE("motcua audit --since honours offsets and refuses impossible dates with exit status 2", "[sync][audit][cli]") {
  TempDir dir("audit");
  ManualClock clock(test::kTuesdayMorningMs);
  SeededRandom rng(3);
  {
    auto n = make_node(dir.path(), clock, rng);
    four_sessions(*n);
    auto store = sync::make_sqlite_hub_store(*n);
    for (int i = 0; i < 3; ++i)
      store->fold_alert(alert(since("2026-12-05T02:00:00Z") + i * 1000, "", "enrolment_refused", "192.0.2.9"),
                        since("2026-12-05T02:00:00Z"));
  }
  int st = -1;
  std::string out = run_motcua("audit --json --since 2026-12-05T08:00:00+07:00 --data-dir '" + dir.path() + "'", &st);
  CHECK(st == 0);
  Json j = Json::parse(out, nullptr, false);
  REQUIRE(j.is_object());
  CHECK(j["sessions"].size() == 3);
  out = run_motcua("audit --json --since 2026-12-05T07:30:00+07:00 --data-dir '" + dir.path() + "'", &st);
  CHECK(Json::parse(out, nullptr, false)["sessions"].size() == 4);
  out = run_motcua("audit --since 2026-12-05T09:00:00+07:00 --data-dir '" + dir.path() + "'", &st);
  CHECK(st == 0);
  CHECK(out.find("2026-12-05T02:00:00Z  enrolment_refused    test  from 192.0.2.9  (3 times, last 2026-12-05T02:00:02Z)") !=
        std::string::npos);
  for (const char* bad : {"2026-02-30", "2026-12-05T25:00:00Z", "2026-13-01"}) {
    INFO(bad);
    out = run_motcua(std::string("audit --since ") + bad + " --data-dir '" + dir.path() + "'", &st);
    CHECK(st == 2);
    CHECK(out.find("[since] (invalid_value)") != std::string::npos);
    CHECK(out.find("not a") != std::string::npos);
  }
}

namespace {

Json hub_point(sync::Hub& hub, const std::string& name) {
  for (const auto& p : hub.points())
    if (p["name"] == name) return p;
  return Json();
}

}  // namespace

TEST_CASE("point list shows the lag right after a sync, not only after the next one", "[sync][lag]") {
  SyncWorld w;
  size_t a = w.add_point("a", "area-x");
  size_t b = w.add_point("b", "area-y");
  std::vector<std::string> x;
  for (int i = 0; i < 3; ++i) x.push_back(w.take_in(a).subject);
  REQUIRE(w.sync(a).ok());
  REQUIRE(w.sync(b).ok());
  CHECK(hub_point(*w.hub, "a")["lag_entries"] == 0);

  // The hub's officer acts on two dossiers of area X: point a lags by 2, b by 0.
  w.clock.advance(60 * 1000);
  w.act(SyncWorld::kHub, x[0], "dossier.accepted");
  w.act(SyncWorld::kHub, x[1], "dossier.accepted");
  CHECK(hub_point(*w.hub, "a")["lag_entries"] == 2);
  CHECK(hub_point(*w.hub, "a")["lag_seconds"] == 60);
  CHECK(hub_point(*w.hub, "b")["lag_entries"] == 0);
  CHECK(w.hub->metrics().find("motcua_sync_point_lag_entries{point=\"a\"} 2\n") != std::string::npos);

  auto r = w.sync(a);
  REQUIRE(r.ok());
  CHECK(r.value()["entries_down"] == 2);
  Json p = hub_point(*w.hub, "a");
  CHECK(p["lag_entries"] == 0);  // was 2 until a's next hello
  CHECK(p["lag_seconds"] == 0);
  CHECK(w.hub->metrics().find("motcua_sync_point_lag_entries{point=\"a\"} 0\n") != std::string::npos);
  // The point list of the command line says the same.
  std::string list = run_motcua("point list --data-dir '" + w.hub_node->data_dir() + "'");
  INFO(list);
  CHECK(list.find("LAG ENTRIES") != std::string::npos);
  bool found = false;
  std::istringstream lines(list);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("a ", 0) == 0) {
      found = true;
      std::istringstream cols(line);
      std::string name, area, status, capacity, last_success, lag;
      cols >> name >> area >> status >> capacity >> last_success >> lag;
      CHECK(lag == "0");
    }
  CHECK(found);

  // The answer to the last pull is lost: the hub's count is put right at the
  // point's next hello, and the point gets the entry then.
  w.clock.advance(1000);
  w.act(SyncWorld::kHub, x[2], "dossier.accepted");
  w.transports[a]->tamper = nullptr;
  bool dropped = false;
  struct Lossy final : sync::Transport {
    sync::Hub& hub;
    bool& dropped;
    Lossy(sync::Hub& h, bool& d) : hub(h), dropped(d) {}
    Result<sync::WireResponse> exchange(const sync::WireRequest& req) override {
      auto res = hub.handle(req);
      if (req.path == "/sync/v2/pull" && !dropped) {
        dropped = true;
        return make_error("link_down", "answer lost");
      }
      return res;
    }
  } lossy(*w.hub, dropped);
  CHECK(!sync::sync_once(*w.points[a], lossy).ok());
  CHECK(hub_point(*w.hub, "a")["lag_entries"] == 0);  // sent, as far as the hub knows
  w.clock.advance(1000);
  auto again = sync::sync_once(*w.points[a], lossy);
  REQUIRE(again.ok());
  CHECK(again.value()["entries_down"] == 1);
  CHECK(hub_point(*w.hub, "a")["lag_entries"] == 0);
  CHECK(w.points[a]->journal().subject_state(x[2]) == w.hub_node->journal().subject_state(x[2]));
}

TEST_CASE("Retry-After of a throttled login is the real wait, rounded up to whole seconds", "[http][auth][retry]") {
  DaemonFixture f;
  auto c = f.client();
  auto login = [&](const std::string& password) {
    return c->Post("/api/v1/sessions", Json{{"username", "officer1"}, {"password", password}}.dump(), "application/json");
  };
  // Three free failures; then 1 s, 2 s, 4 s ... after the latest failure.
  for (int i = 0; i < 3; ++i) REQUIRE(login("guess-" + std::to_string(i))->status == 401);
  f.clock.advance(1000);
  REQUIRE(login("guess-3")->status == 401);
  f.clock.advance(2000);
  REQUIRE(login("guess-4")->status == 401);  // the next try waits 4 s
  f.clock.advance(500);
  auto r = login("officer1-password");
  REQUIRE(r->status == 429);
  CHECK(r->get_header_value("Retry-After") == "4");  // 3.5 s, rounded up
  f.clock.advance(3000);
  r = login("officer1-password");
  REQUIRE(r->status == 429);
  CHECK(r->get_header_value("Retry-After") == "1");  // 0.5 s
  f.clock.advance(500);
  CHECK(login("officer1-password")->status == 200);  // exactly when Retry-After said
}

namespace {

// The hub as seen from one client address; keeps the last response.
struct AddrTransport final : sync::Transport {
  AddrTransport(sync::Hub& h, std::string a) : hub(h), addr(std::move(a)) {}
  Result<sync::WireResponse> exchange(const sync::WireRequest& req) override {
    sync::WireRequest r = req;
    r.remote_addr = addr;
    last = hub.handle(r);
    return last;
  }
  sync::Hub& hub;
  std::string addr;
  sync::WireResponse last;
};

std::vector<Json> alerts_from(sync::Hub& hub, const std::string& source) {
  std::vector<Json> out;
  const Json log = hub.sync_log("", 0);  // named: a temporary's member would dangle in the loop
  for (const auto& a : log["alerts"])
    if (a["source"] == source && a["kind"] == "enrolment_refused") out.push_back(a);
  return out;
}

}  // namespace

TEST_CASE("refused enrolments are slowed per address and folded into one alert per address and hour",
          "[sync][security][strangers]") {
  SyncWorld w;
  auto code = w.hub->add_point({"real", "area-x", 100, 3, 3600 * 1000});
  REQUIRE(code.ok());
  // Strangers with a few different keys: the address is what is slowed.
  std::vector<std::unique_ptr<node::Node>> strangers;
  for (int i = 0; i < 3; ++i)
    strangers.push_back(make_node(w.dir.sub("stranger" + std::to_string(i)), w.clock, w.rng, node::Role::Point, "s"));
  AddrTransport from_a(*w.hub, "192.0.2.1"), from_b(*w.hub, "198.51.100.7"), from_c(*w.hub, "203.0.113.5");

  // 50 random codes from one address, back to back: the first 5 are tried
  // (and refused), the other 45 are answered 429 without being tried.
  int refused = 0, throttled = 0;
  for (int i = 0; i < 50; ++i) {
    auto r = sync::join(*strangers[i % 3], from_a, "http://hub.test", "RAND-" + std::to_string(i * 7919));
    REQUIRE(!r.ok());
    if (r.error().code == "enrolment_refused") ++refused;
    if (r.error().code == "too_many_attempts") {
      ++throttled;
      CHECK(from_a.last.status == 429);
      CHECK(from_a.last.headers["Retry-After"] == "1");
    }
  }
  CHECK(refused == 5);
  CHECK(throttled == 45);
  auto a_alerts = alerts_from(*w.hub, "192.0.2.1");
  REQUIRE(a_alerts.size() == 1);
  CHECK(a_alerts[0]["count"] == 5);  // the attempts tried; the 45 throttled ones are counted in /metrics

  // Retry-After is the real wait: still refused 1 ms before, tried at the second.
  w.clock.advance(999);
  CHECK(sync::join(*strangers[0], from_a, "http://hub.test", "RAND-X").error().code == "too_many_attempts");
  CHECK(from_a.last.headers["Retry-After"] == "1");
  w.clock.advance(1);
  CHECK(sync::join(*strangers[0], from_a, "http://hub.test", "RAND-Y").error().code == "enrolment_refused");
  CHECK(sync::join(*strangers[0], from_a, "http://hub.test", "RAND-Z").error().code == "too_many_attempts");
  CHECK(from_a.last.headers["Retry-After"] == "2");  // the delay doubles
  CHECK(alerts_from(*w.hub, "192.0.2.1").at(0)["count"] == 6);

  // Another address has its own alert and is not slowed by the first one.
  CHECK(sync::join(*strangers[1], from_b, "http://hub.test", "RAND-B").error().code == "enrolment_refused");
  REQUIRE(alerts_from(*w.hub, "198.51.100.7").size() == 1);
  CHECK(alerts_from(*w.hub, "198.51.100.7")[0]["count"] == 1);

  // The real point, from the slowed address, must wait (its code is not used up) ...
  auto real = make_node(w.dir.sub("real"), w.clock, w.rng, node::Role::Point, "real");
  CHECK(sync::join(*real, from_a, "http://hub.test", code->code).error().code == "too_many_attempts");
  // ... and from its own address it joins at once.
  auto joined = sync::join(*real, from_c, "http://hub.test", code->code);
  REQUIRE(joined.ok());
  CHECK(w.hub->store().point("real")->status == "active");

  // Attempts in the next hour make a new alert for the address.
  w.clock.advance(3600 * 1000);
  CHECK(sync::join(*strangers[2], from_a, "http://hub.test", "RAND-LATER").error().code == "enrolment_refused");
  a_alerts = alerts_from(*w.hub, "192.0.2.1");
  REQUIRE(a_alerts.size() == 2);
  CHECK(a_alerts[0]["count"] == 1);  // newest first
  CHECK(a_alerts[1]["count"] == 6);
  const std::string m = w.hub->metrics();
  CHECK(metric(m, "motcua_sync_enrolments_throttled_total") == 45 + 2 + 1);
  CHECK(metric(m, "motcua_sync_alerts_total") == 6 + 1 + 1);
  CHECK(w.hub->sync_log("", 0)["alerts"].size() == 3);
}

TEST_CASE("over HTTP the hub slows refused enrolments by the client's address, with Retry-After",
          "[sync][security][strangers][http]") {
  TempDir dir("strangers");
  ManualClock clock(test::kTuesdayMorningMs);
  SeededRandom rng(11);
  auto hub = make_node(dir.sub("hub"), clock, rng, node::Role::Hub, "hub");
  sync::DaemonOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  o.background_sync = false;
  o.threads = 2;
  o.log = [](const std::string&) {};
  sync::Daemon d(*hub, o);
  REQUIRE(d.bind().ok());
  std::thread runner([&] { (void)d.run(); });
  auto stranger = make_node(dir.sub("stranger"), clock, rng, node::Role::Point, "s");
  sync::HttpOptions ho;
  ho.url = "http://127.0.0.1:" + std::to_string(d.port());
  auto t = sync::make_http_transport(ho);
  REQUIRE(t.ok());
  std::vector<std::string> codes;
  for (int i = 0; i < 7; ++i) {
    auto r = sync::join(*stranger, *t.value(), ho.url, "WRONG-" + std::to_string(i));
    codes.push_back(r.ok() ? "ok" : r.error().code);
  }
  // A raw request to see the header itself.
  httplib::Client raw("127.0.0.1", d.port());
  auto res = raw.Post("/sync/v2/enrol", "x", "application/x-motcua-sync");
  d.stop();
  runner.join();
  CHECK(codes == std::vector<std::string>{"enrolment_refused", "enrolment_refused", "enrolment_refused",
                                          "enrolment_refused", "enrolment_refused", "too_many_attempts",
                                          "too_many_attempts"});
  REQUIRE(res);
  CHECK(res->status == 429);
  CHECK(res->get_header_value("Retry-After") == "1");
  sync::Hub h(*hub, sync::make_sqlite_hub_store(*hub));
  auto alerts = alerts_from(h, "127.0.0.1");
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0]["count"] == 5);
}

namespace {

int64_t rows(node::Node& n, const std::string& table) {
  std::lock_guard<std::recursive_mutex> g(n.journal().mutex());
  return n.db()->execAndGet("SELECT count(*) FROM " + table).getInt64();
}

}  // namespace

TEST_CASE("retention: the hub prunes old sync bookkeeping by itself, hourly, and no counter goes down",
          "[sync][retention]") {
  SyncWorld w;
  const int64_t day = 24 * 3600 * 1000LL;
  w.lease_days = 201;  // numbers for days 0-200, so that it takes dossiers in on days 100 and 200 before syncing
  size_t a = w.add_point("a", "area-x");
  sync::HubStore& store = w.hub->store();
  store.add_alert(alert(w.clock.now_ms(), "a", "equivocation"));
  // Sessions on day 0, 100 and 200, each pushing one entry (one receipt each end).
  for (int i = 0; i < 3; ++i) {
    if (i) w.clock.advance(100 * day);
    w.take_in(a);
    REQUIRE(w.sync(a).ok());
  }
  // The hub ran retention at the first request of day 200 (180 days kept):
  // the session and receipt of day 0 are gone, the receipt of day 100 stays
  // (no longer the latest, but recent), alerts stay a year.
  auto sessions = store.sessions("a", 0, 100);
  REQUIRE(sessions.size() == 2);
  CHECK(sessions[1].started_ms == w.clock.now_ms() - 100 * day);
  CHECK(store.receipts("a", 100).size() == 2);
  CHECK(store.alerts("", 0).size() == 1);
  std::string m = w.hub->metrics();
  CHECK(metric(m, "motcua_sync_entries_total{direction=\"up\"}") == 3);
  CHECK(w.held_at_hub() == 0);  // the intakes of days 100 and 200 were admitted
  CHECK(metric(m, "motcua_sync_sessions_total{result=\"ok\"}") == 3);
  CHECK(metric(m, "motcua_sync_receipts_total") == 3);
  CHECK(metric(m, "motcua_sync_alerts_total") == 1);

  // Hourly: a row that is already too old stays until the hour has passed.
  REQUIRE(w.hub_node->config().set("retention_alert_days", "100").ok());
  sync::SyncLogRow old;
  old.id = "old";
  old.point = "a";
  old.started_ms = old.ended_ms = w.clock.now_ms() - 300 * day;
  old.result = "ok";
  store.put_session(old);
  w.clock.advance(30 * 60 * 1000);
  REQUIRE(w.sync(a).ok());
  CHECK(store.session("old"));
  CHECK(store.alerts("", 0).size() == 1);
  w.clock.advance(31 * 60 * 1000);
  REQUIRE(w.sync(a).ok());
  CHECK(!store.session("old"));
  CHECK(store.alerts("", 0).empty());
  m = w.hub->metrics();
  CHECK(metric(m, "motcua_sync_sessions_total{result=\"ok\"}") == 3 + 1 + 2);  // the old row counted when written
  CHECK(metric(m, "motcua_sync_alerts_total") == 1);

  // Sessions: within its lifetime a replay is still refused after retention
  // (its counter is kept) ...
  REQUIRE(!w.transports[a]->sent.empty());
  const sync::WireRequest last = w.transports[a]->sent.back();
  const int64_t open_sessions = rows(*w.hub_node, "hub_sessions");
  REQUIRE(sync::apply_retention(*w.hub_node).ok());
  CHECK(rows(*w.hub_node, "hub_sessions") == open_sessions);
  auto replay = w.hub->handle(last);
  CHECK(replay.status == 401);
  CHECK(sync::wire::decode(replay.body, 1 << 20).value().header["error"]["code"] == "replayed_request");
  // ... and after it the expired sessions are gone (a replay then meets a dead session).
  w.clock.advance(61 * 60 * 1000);
  auto r = sync::apply_retention(*w.hub_node);
  REQUIRE(r.ok());
  CHECK(rows(*w.hub_node, "hub_sessions") == 0);
  auto late = w.hub->handle(last);
  CHECK(sync::wire::decode(late.body, 1 << 20).value().header["error"]["code"] == "session_expired");
}

TEST_CASE("retention at a point runs when its daemon starts, 0 days keeps for ever, the keys are checked",
          "[sync][retention]") {
  SyncWorld w;
  const int64_t day = 24 * 3600 * 1000LL;
  w.lease_days = 201;  // numbers for days 0-200, so that it takes dossiers in on days 100 and 200 before syncing
  size_t a = w.add_point("a", "area-x");
  node::Node& p = *w.points[a];
  for (int i = 0; i < 3; ++i) {
    if (i) w.clock.advance(100 * day);
    w.take_in(a);
    REQUIRE(w.sync(a).ok());
  }
  auto store = sync::make_sqlite_hub_store(p);
  const auto before = store->counters();
  REQUIRE(store->sessions("", 0, 100).size() == 3);
  REQUIRE(store->receipts("", 100).size() == 3);

  CHECK(p.config().set("retention_sync_log_days", "36501").error().code == "invalid_value");
  CHECK(p.config().set("retention_alert_days", "-1").error().field == "retention_alert_days");
  REQUIRE(p.config().set("retention_sync_log_days", "0").ok());
  REQUIRE(p.config().set("retention_receipt_days", "150").ok());
  sync::make_sync_agent(p);  // what `motcua serve` does at start
  CHECK(store->sessions("", 0, 100).size() == 3);  // kept for ever
  auto receipts = store->receipts("", 100);
  REQUIRE(receipts.size() == 2);  // day 0's went; day 100's is recent
  CHECK(receipts.back().upto_seq == 2);

  REQUIRE(p.config().set("retention_sync_log_days", "150").ok());
  w.clock.advance(100 * day);
  sync::make_sync_agent(p);
  auto left = store->sessions("", 0, 100);
  REQUIRE(left.size() == 1);  // day 200's
  receipts = store->receipts("", 100);
  REQUIRE(receipts.size() == 1);  // older than 150 days, but the latest of its author: kept
  CHECK(receipts[0].upto_seq == 3);
  const auto after = store->counters();
  CHECK(after.bytes_up == before.bytes_up);
  CHECK(after.entries_up == before.entries_up);
  CHECK(after.receipts == before.receipts);
  CHECK(after.sessions == before.sessions);
}

TEST_CASE("a hub session abandoned by its point is settled as interrupted and counted once", "[sync][retention]") {
  SyncWorld w;
  size_t a = w.add_point("a", "area-x");
  w.take_in(a);
  struct CutAfterHello final : sync::Transport {
    sync::Hub& hub;
    explicit CutAfterHello(sync::Hub& h) : hub(h) {}
    Result<sync::WireResponse> exchange(const sync::WireRequest& req) override {
      if (req.path != "/sync/v2/hello") return make_error("link_down", "cut");
      return hub.handle(req);
    }
  } cut(*w.hub);
  REQUIRE(!sync::sync_once(*w.points[a], cut).ok());
  auto rows = w.hub->store().sessions("a", 0, 10);
  REQUIRE(rows.size() == 1);
  const std::string id = rows[0].id;
  CHECK(rows[0].result == "running");
  w.clock.advance(61 * 60 * 1000);
  REQUIRE(w.sync(a).ok());  // its first request runs the hourly retention
  CHECK(w.hub->store().session(id)->result == "interrupted");
  auto c = w.hub->store().counters();
  CHECK(c.sessions["interrupted"] == 1);
  CHECK(c.sessions["ok"] == 1);
  w.clock.advance(61 * 60 * 1000);
  REQUIRE(sync::apply_retention(*w.hub_node).ok());
  CHECK(w.hub->store().counters().sessions["interrupted"] == 1);
  CHECK(w.hub->sync_log("a", 0)["sessions"][1]["result"] == "interrupted");
}

namespace motcua::schema {
const std::vector<const char*>& migrations();  // schema/src/migrations.cpp
}

TEST_CASE("the counters migration starts the counters from the sync rows already kept", "[sync][metrics][schema]") {
  TempDir dir("migrate");
  const std::string p = dir.sub("v5.db");
  {
    SQLite::Database raw(p, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    for (int v = 0; v < 5; ++v) raw.exec(schema::migrations()[static_cast<size_t>(v)]);
    raw.exec("PRAGMA user_version=5");
    for (int i = 0; i < 1500; ++i)
      raw.exec("INSERT INTO sync_log (id, point, started_ms, ended_ms, entries_up, entries_down, bytes_up, bytes_down, "
               "result) VALUES ('s" + std::to_string(i) + "', 'a', " + std::to_string(i) + ", " + std::to_string(i) +
               ", 1, 2, 10, 20, '" + (i % 3 ? "ok" : i % 2 ? "failed" : "running") + "')");
    for (int i = 0; i < 1200; ++i)
      raw.exec("INSERT INTO sync_alerts (at_ms, point, kind, detail) VALUES (" + std::to_string(i) +
               ", '', 'enrolment_refused', 'x')");
  }
  auto db = schema::open_database(p, {});
  REQUIRE(db.ok());
  CHECK(schema::database_version(*db.value()) == schema::schema_version());  // migrated to the newest
  auto q = [&](const std::string& name, const std::string& label) {
    SQLite::Statement s(*db.value(), "SELECT value FROM sync_counters WHERE name = ? AND label = ?");
    s.bind(1, name);
    s.bind(2, label);
    return s.executeStep() ? s.getColumn(0).getInt64() : -1;
  };
  CHECK(q("bytes", "up") == 15000);
  CHECK(q("bytes", "down") == 30000);
  CHECK(q("entries", "up") == 1500);
  CHECK(q("entries", "down") == 3000);
  CHECK(q("sessions", "ok") == 1000);
  CHECK(q("sessions", "failed") == 250);
  CHECK(q("sessions", "running") == -1);
  CHECK(q("alerts", "enrolment_refused") == 1200);
  CHECK(db.value()->execAndGet("SELECT count(*) FROM sync_alerts WHERE last_ms = at_ms AND count = 1").getInt64() == 1200);
}
