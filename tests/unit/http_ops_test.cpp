// /healthz, /metrics, the access log, sync endpoints and graceful stop.
#include <catch2/catch.hpp>
#include <regex>

#include "motcua/http/util.hpp"
#include "http_test_util.hpp"

using namespace motcua;
using test::DaemonFixture;

TEST_CASE("healthz answers ok while the database is writable", "[http][ops]") {
  DaemonFixture f;
  auto r = f.client()->Get("/healthz");
  REQUIRE(r->status == 200);
  CHECK(test::body_json(r) == Json{{"status", "ok"}});
  // The probe leaves nothing behind.
  std::lock_guard<std::recursive_mutex> g(f.node->journal().mutex());
  CHECK(f.node->meta("healthz_probe").empty());
}

TEST_CASE("healthz answers 503 when the database cannot be written", "[http][ops]") {
  DaemonFixture f;
  // Another connection holds the write lock; the probe gives up after the busy timeout.
  SQLite::Database other(node::db_path(f.dir.path()), SQLite::OPEN_READWRITE);
  other.exec("BEGIN IMMEDIATE");
  f.node->db()->exec("PRAGMA busy_timeout = 50");
  auto r = f.client()->Get("/healthz");
  other.exec("ROLLBACK");
  REQUIRE(r->status == 503);
  CHECK(test::body_json(r)["status"] == "unavailable");
}

TEST_CASE("metrics are Prometheus text with requests by route and status", "[http][ops]") {
  DaemonFixture f;
  auto clerk = DaemonFixture::bearer(f.login("clerk1"));
  auto c = f.client();
  REQUIRE(c->Post("/api/v1/dossiers", clerk, test::intake_request().dump(), "application/json")->status == 201);
  REQUIRE(c->Get("/api/v1/dossiers/000.00.01.H22-250701-0777", clerk)->status == 404);
  auto r = c->Get("/metrics");
  REQUIRE(r->status == 200);
  CHECK(r->get_header_value("Content-Type").find("text/plain; version=0.0.4") == 0);
  const std::string& m = r->body;
  CHECK(m.find("# TYPE motcua_http_requests_total counter") != std::string::npos);
  CHECK(m.find("# TYPE motcua_http_request_duration_seconds histogram") != std::string::npos);
  CHECK(m.find("motcua_http_requests_total{method=\"POST\",route=\"/api/v1/dossiers\",status=\"201\"} 1") !=
        std::string::npos);
  CHECK(m.find("motcua_http_requests_total{method=\"GET\",route=\"/api/v1/dossiers/{code}\",status=\"404\"} 1") !=
        std::string::npos);
  CHECK(m.find("route=\"/api/v1/dossiers\",status=\"201\",le=\"+Inf\"} 1") != std::string::npos);
  CHECK(m.find("motcua_journal_entries 1") != std::string::npos);
  // The intake went through group commit and was flushed before its 201.
  CHECK(m.find("motcua_journal_group_commits_total 1") != std::string::npos);
  CHECK(m.find("motcua_journal_group_flushes_total 1") != std::string::npos);
  CHECK(m.find("motcua_blob_bytes 0") != std::string::npos);
  CHECK(m.find("0777") == std::string::npos);  // route patterns, never raw paths
  // Every line is a comment or "name{labels} value".
  std::regex sample(R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_]+="([^"\\]|\\.)*",?)*\})? -?([0-9.e+\-]+|\+Inf)$)");
  std::istringstream lines(m);
  std::string line;
  int samples = 0;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    ++samples;
    INFO(line);
    CHECK(std::regex_match(line, sample));
  }
  CHECK(samples > 10);
}

TEST_CASE("metrics are only for clients on this machine", "[http][ops]") {
  CHECK(http::is_loopback("127.0.0.1"));
  CHECK(http::is_loopback("127.3.4.5"));
  CHECK(http::is_loopback("::1"));
  CHECK(http::is_loopback("::ffff:127.0.0.1"));
  CHECK_FALSE(http::is_loopback("10.0.0.7"));
  CHECK_FALSE(http::is_loopback("::ffff:192.168.1.2"));
  CHECK_FALSE(http::is_loopback("fe80::1"));
}

TEST_CASE("one log line per request names the route pattern, not the personal data", "[http][ops]") {
  DaemonFixture f;
  auto clerk = DaemonFixture::bearer(f.login("clerk1"));
  auto c = f.client();
  auto made = c->Post("/api/v1/dossiers", clerk, test::intake_request("001099054321").dump(), "application/json");
  REQUIRE(made->status == 201);
  std::string code = test::body_json(made)["code"];
  REQUIRE(c->Get("/api/v1/dossiers?q=Nguy%E1%BB%85n&status=1", clerk)->status == 200);
  REQUIRE(c->Get("/api/v1/dossiers/" + code, clerk)->status == 200);
  REQUIRE(c->Get("/api/v1/no-such-thing/001099054321?q=Nguy", clerk)->status == 404);
  auto logs = f.logs();
  std::vector<std::string> requests;
  for (const auto& l : logs)
    if (l.find(" method=") != std::string::npos) requests.push_back(l);
  for (const auto& l : requests) UNSCOPED_INFO(l);
  REQUIRE(requests.size() == 5);  // login, intake, list, get, unknown path
  std::regex shape(R"(^ts=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z method=[A-Z]+ route=\S+ status=\d{3} dur_ms=\d+\.\d{3} user=\S+$)");
  for (const auto& l : requests) CHECK(std::regex_match(l, shape));
  CHECK(requests[1].find("method=POST route=/api/v1/dossiers status=201") != std::string::npos);
  CHECK(requests[1].find("user=clerk1") != std::string::npos);
  CHECK(requests[2].find("route=/api/v1/dossiers status=200") != std::string::npos);
  CHECK(requests[3].find("route=/api/v1/dossiers/{code} status=200") != std::string::npos);
  CHECK(requests[4].find("method=GET route=unmatched status=404 dur_ms=") != std::string::npos);
  for (const auto& l : logs) {
    CHECK(l.find("001099054321") == std::string::npos);
    CHECK(l.find("0912345678") == std::string::npos);
    CHECK(l.find("Nguy") == std::string::npos);
    CHECK(l.find("q=") == std::string::npos);
    CHECK(l.find(code) == std::string::npos);
    CHECK(l.find("password") == std::string::npos);
  }
}

TEST_CASE("sync status answers any user and sync now reports why it cannot run", "[http][ops]") {
  DaemonFixture f;
  auto clerk = DaemonFixture::bearer(f.login("clerk1"));
  auto c = f.client();
  auto st = c->Get("/api/v1/sync/status", clerk);
  REQUIRE(st->status == 200);
  CHECK(test::body_json(st).is_object());
  auto now = c->Post("/api/v1/sync", clerk, "", "application/json");
  REQUIRE(now);
  CHECK(now->status == 409);  // no hub configured on this point
  CHECK(test::body_json(now)["error"]["code"].is_string());
  CHECK(c->Post("/api/v1/sync", clerk, R"({"force":true})", "application/json")->status == 400);
}

TEST_CASE("stop lets an in-flight request finish before run returns", "[http][ops]") {
  auto f = std::make_unique<DaemonFixture>();
  auto clerk = DaemonFixture::bearer(f->login("clerk1"));
  std::string pdf = "%PDF-1.4\n" + std::string(64 * 1024, 'q');
  std::atomic<bool> first_chunk_sent{false};
  std::optional<int> status;
  std::thread uploader([&] {
    auto c = f->client();
    auto r = c->Post(
        "/api/v1/blobs", clerk,
        [&](size_t offset, httplib::DataSink& sink) {
          if (offset >= pdf.size()) {
            sink.done();
            return true;
          }
          if (offset > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
          bool ok = sink.write(pdf.data() + offset, std::min<size_t>(8192, pdf.size() - offset));
          first_chunk_sent = true;
          return ok;
        },
        "application/pdf");
    if (r) status = r->status;
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!first_chunk_sent && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  CHECK(first_chunk_sent);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  f->daemon->stop();
  f->runner.join();  // run() has returned...
  uploader.join();
  REQUIRE(status.has_value());  // ...and the upload had its answer
  CHECK(*status == 201);
  // New connections are refused once stopped.
  httplib::Client late("127.0.0.1", f->port);
  late.set_connection_timeout(1);
  CHECK_FALSE(late.Get("/healthz"));
  f->runner = std::thread([] {});
}

TEST_CASE("one daemon per data directory, and none on a port another daemon holds", "[http][ops]") {
  DaemonFixture f;
  sync::DaemonOptions o;
  o.port = 0;
  o.background_sync = false;
  o.log = [](const std::string&) {};
  {
    sync::Daemon second(*f.node, o);
    auto b = second.bind();
    REQUIRE_FALSE(b.ok());
    CHECK(b.error().code == "already_running");
    CHECK(b.error().field == "data_dir");
    CHECK(b.error().message.find(std::to_string(::getpid())) != std::string::npos);
  }
  ManualClock clock(test::kTuesdayMorningMs);
  SeededRandom rng(9);
  auto other = test::make_node(f.dir.sub("other"), clock, rng);
  o.port = f.port;
  {
    sync::Daemon same_port(*other, o);
    auto b = same_port.bind();
    REQUIRE_FALSE(b.ok());
    CHECK(b.error().code == "listen_failed");
    CHECK(b.error().field == "listen");
  }
  // The first daemon still answers, and its lock outlived the refusals.
  auto r = f.client()->Get("/healthz");
  REQUIRE(r);
  CHECK(r->status == 200);
  sync::Daemon again(*f.node, o);
  CHECK(again.bind().error().code == "already_running");
}
