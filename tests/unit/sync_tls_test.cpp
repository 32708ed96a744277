// HTTPS between a point and its hub: the hub's daemon serves TLS from the
// certificate in its config, a point checks it against hub-ca.pem (joined
// with `motcua join --ca`), and a certificate it does not trust, or a hub
// whose certificate does not load, stops the exchange before anything moves.
// The certificates in tests/data/tls are self-signed for 127.0.0.1 and exist
// only for these tests.
#include <catch2/catch.hpp>
#include <filesystem>
#include <mutex>
#include <thread>

#include "motcua/durable_file.hpp"
#include "motcua/sync/server.hpp"
#include "sync_test_util.hpp"

using namespace motcua;
using namespace motcua::test;

namespace {

const std::string kTls = std::string(MOTCUA_SOURCE_DIR) + "/tests/data/tls/";


// A hub node with its daemon on an ephemeral loopback port, serving HTTPS
// with the test certificate. Real clock: the CLI processes below use theirs.
struct HttpsHub {
  TempDir dir{"tls"};
  std::unique_ptr<node::Node> node;
  std::unique_ptr<sync::Hub> admin;
  std::unique_ptr<sync::Daemon> daemon;
  std::thread runner;
  std::mutex log_mu;
  std::vector<std::string> lines;
  int port = 0;

  HttpsHub() {
    node = make_node(dir.sub("hub"), system_clock(), system_random(), node::Role::Hub, "tinh");
    REQUIRE(node->config().set("tls_cert", kTls + "hub-cert.pem").ok());
    REQUIRE(node->config().set("tls_key", kTls + "hub-key.pem").ok());
    admin = std::make_unique<sync::Hub>(*node, sync::make_sqlite_hub_store(*node));
    sync::DaemonOptions o;
    o.port = 0;
    o.background_sync = false;
    o.threads = 2;
    o.log = [this](const std::string& l) {
      std::lock_guard<std::mutex> g(log_mu);
      lines.push_back(l);
    };
    daemon = std::make_unique<sync::Daemon>(*node, o);
    auto b = daemon->bind();
    if (!b.ok()) FAIL(b.error().message);
    port = daemon->port();
    runner = std::thread([this] { (void)daemon->run(); });
  }
  ~HttpsHub() {
    daemon->stop();
    runner.join();
  }
  std::string url(const std::string& scheme = "https") const {
    return scheme + "://127.0.0.1:" + std::to_string(port);
  }
  std::string code(const std::string& point) {
    auto c = admin->add_point({point, "an-thi", 100, 3, 3600 * 1000});
    REQUIRE(c.ok());
    return c->code;
  }
  bool logged(const std::string& needle) {
    std::lock_guard<std::mutex> g(log_mu);
    for (const auto& l : lines)
      if (l.find(needle) != std::string::npos) return true;
    return false;
  }
};

}  // namespace

TEST_CASE("a hub serving HTTPS enrols and syncs only points that trust its certificate", "[sync][tls]") {
  HttpsHub hub;
  for (int i = 0; i < 200 && !hub.logged("event=listening"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(hub.logged("scheme=https"));
  const std::string code = hub.code("p1");
  auto point = make_node(hub.dir.sub("p1"), system_clock(), system_random(), node::Role::Point, "p1");
  const std::string ca = point->data_dir() + "/" + sync::kHubCaFile;

  auto try_join = [&](const std::string& url) {
    auto t = sync::hub_transport(*point, url);
    REQUIRE(t.ok());
    return sync::join(*point, *t.value(), url, code);
  };
  SECTION("no CA of its own: the self-signed certificate is not trusted") {
    auto j = try_join(hub.url());
    REQUIRE_FALSE(j.ok());
    CHECK(j.error().code == "link_down");
  }
  SECTION("a CA file naming another certificate is not trusted either") {
    REQUIRE(write_file_durably(ca, read_small_file(kTls + "other-cert.pem").value()).ok());
    auto j = try_join(hub.url());
    REQUIRE_FALSE(j.ok());
    CHECK(j.error().code == "link_down");
  }
  SECTION("plain HTTP to the HTTPS port gets no answer") {
    auto j = try_join(hub.url("http"));
    REQUIRE_FALSE(j.ok());
    CHECK(j.error().code == "link_down");
  }
  // Whatever failed, the point holds no hub and the code is still unused.
  CHECK(point->config().get("hub_url").empty());

  // Trusting the hub's certificate, the same code enrols and syncs.
  REQUIRE(write_file_durably(ca, read_small_file(kTls + "hub-cert.pem").value()).ok());
  auto j = try_join(hub.url());
  INFO((j.ok() ? std::string() : j.error().message));
  REQUIRE(j.ok());
  CHECK(point->config().get("hub_url") == hub.url());
  auto dossier_code = node::codes::mint(*point, point->clock().now_ms());  // from the block the hub leased it
  REQUIRE(dossier_code.ok());
  REQUIRE(point->journal().append(intake_draft(dossier_code.value(), "p1", "an-thi")).ok());
  auto t = sync::hub_transport(*point);
  REQUIRE(t.ok());
  auto s = sync::sync_once(*point, *t.value());
  INFO((s.ok() ? std::string() : s.error().message));
  REQUIRE(s.ok());
  CHECK(s.value()["entries_up"] == 1);
  CHECK(hub.node->journal().heads()[point->keys().pk] == 1);
  CHECK(hub.node->journal().quarantine("held").empty());  // admitted
}

TEST_CASE("motcua join --ca keeps the hub's certificate and motcua sync uses it", "[sync][tls][cli]") {
  HttpsHub hub;
  const std::string code = hub.code("p2");
  const std::string d = hub.dir.sub("p2");
  int st = -1;
  run_motcua("init --role point --name p2 --agency-code 000.00.01.H22 --data-dir '" + d + "'", &st);
  REQUIRE(st == 0);

  SECTION("a --ca that is not a certificate is refused, nothing kept") {
    std::string out = run_motcua("join --hub " + hub.url() + " --code " + code + " --ca '" + kTls + "hub-key.pem' --data-dir '" +
                              d + "'",
                          &st);
    CHECK(st == 2);
    CHECK(out.find("ca") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(d + "/hub-ca.pem"));
  }
  SECTION("without --ca the join fails and leaves nothing behind") {
    std::string out = run_motcua("join --hub " + hub.url() + " --code " + code + " --data-dir '" + d + "'", &st);
    CHECK(st == 1);
    CHECK_FALSE(std::filesystem::exists(d + "/hub-ca.pem"));
  }
  SECTION("with --ca the join and a sync succeed") {
    std::string out = run_motcua("join --hub " + hub.url() + " --code " + code + " --ca '" + kTls + "hub-cert.pem' --data-dir '" +
                              d + "'",
                          &st);
    INFO(out);
    REQUIRE(st == 0);
    CHECK(std::filesystem::exists(d + "/hub-ca.pem"));
    out = run_motcua("sync --once --data-dir '" + d + "'", &st);
    INFO(out);
    CHECK(st == 0);
    // A second join is refused and leaves the kept certificate alone.
    out = run_motcua("join --hub " + hub.url() + " --code " + code + " --ca '" + kTls + "other-cert.pem' --data-dir '" + d + "'",
              &st);
    CHECK(st == 1);
    CHECK(out.find("already_enrolled") != std::string::npos);
    CHECK(read_small_file(d + "/hub-ca.pem").value() == read_small_file(kTls + "hub-cert.pem").value());
    out = run_motcua("sync --once --data-dir '" + d + "'", &st);
    CHECK(st == 0);
  }
  SECTION("a malformed hub URL with --ca is refused and keeps nothing") {
    run_motcua("join --hub ftp://nowhere --code " + code + " --ca '" + kTls + "hub-cert.pem' --data-dir '" + d + "'", &st);
    CHECK(st == 2);
    CHECK_FALSE(std::filesystem::exists(d + "/hub-ca.pem"));
  }
}

TEST_CASE("a daemon whose certificate does not load refuses to start instead of serving plain HTTP", "[sync][tls]") {
  TempDir dir("tlsbad");
  ManualClock clock(1751335200000);
  SeededRandom rng(7);
  auto n = make_node(dir.sub("hub"), clock, rng, node::Role::Hub, "tinh");
  sync::DaemonOptions o;
  o.port = 0;
  o.background_sync = false;
  o.log = [](const std::string&) {};
  SECTION("missing certificate file") {
    o.tls_cert = dir.sub("nope.pem");
    o.tls_key = kTls + "hub-key.pem";
    sync::Daemon d(*n, o);
    auto b = d.bind();
    REQUIRE_FALSE(b.ok());
    CHECK(b.error().code == "tls_failed");
    CHECK(b.error().field == "tls_cert");
  }
  SECTION("key of another certificate") {
    o.tls_cert = kTls + "hub-cert.pem";
    o.tls_key = kTls + "other-key.pem";
    sync::Daemon d(*n, o);
    auto b = d.bind();
    REQUIRE_FALSE(b.ok());
    CHECK(b.error().code == "tls_failed");
  }
  SECTION("a certificate without its key") {
    REQUIRE(n->config().set("tls_cert", kTls + "hub-cert.pem").ok());
    sync::Daemon d(*n, o);
    auto b = d.bind();
    REQUIRE_FALSE(b.ok());
    CHECK(b.error().code == "invalid_value");
    CHECK(b.error().field == "tls_key");
  }
}
