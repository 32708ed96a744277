// Sync protocol v2, messages: receipts with the hub's positions checked in
// full by the point, enrolment by MAC (never the code), over HTTPS or
// loopback only, idempotent and written in one transaction at the point,
// per-session request counters, and the strict Ed25519 edge vectors.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <fstream>
#include <thread>

#include "../../sync/src/sync_auth.hpp"
#include "../../sync/src/sync_codec.hpp"
#include "../../sync/src/sync_util.hpp"
#include "motcua/node/catalogue.hpp"
#include "motcua/sync/client.hpp"
#include "motcua/sync/server.hpp"
#include "sync_test_util.hpp"

using namespace motcua;
using namespace motcua::test;
namespace wire = motcua::sync::wire;
namespace auth = motcua::sync::auth;

namespace {

Json answer(const sync::WireResponse& r) { return wire::decode(r.body, 1 << 24).value().header; }
std::string code_of(const sync::WireResponse& r) { return answer(r)["error"].value("code", std::string()); }

// Rewrites the receipts of the hub's push answers with `edit`, then signs
// the receipts and the whole answer again with the hub's own key: what a
// hub (or a thief of its key) could send. Everything still verifies; only
// the content is wrong.
class ForgingTransport final : public sync::Transport {
 public:
  ForgingTransport(sync::Hub& hub, const KeyPair& hub_keys) : hub_(hub), keys_(hub_keys) {}
  Result<sync::WireResponse> exchange(const sync::WireRequest& req) override {
    sync::WireResponse res = hub_.handle(req);
    if (!edit || req.path != "/sync/v2/push" || res.status != 200) return res;
    Json h = answer(res);
    for (auto& item : h["receipts"]) {
      edit(item["r"]);
      if (resign_receipt)
        item["sig"] = to_hex(sign(keys_.sk, SignDomain::Receipt, canonical_bytes(item["r"])));
    }
    h.erase("v");
    res.body = wire::encode(h, {}).value();
    auth::sign_response(res, auth::binding_of(req), keys_, std::stoll(auth::header(res.headers, auth::kHubTime)));
    return res;
  }
  std::function<void(Json&)> edit;
  bool resign_receipt = true;

 private:
  sync::Hub& hub_;
  KeyPair keys_;
};

// Delivers every request; loses the first `drops` answers on the way back.
class LosingTransport final : public sync::Transport {
 public:
  explicit LosingTransport(sync::Hub& hub, int drops) : hub_(hub), drops_(drops) {}
  Result<sync::WireResponse> exchange(const sync::WireRequest& req) override {
    sent.push_back(req);
    auto res = hub_.handle(req);
    if (drops_-- > 0) return make_error("link_down", "the answer was lost on the way");
    return res;
  }
  std::vector<sync::WireRequest> sent;

 private:
  sync::Hub& hub_;
  int drops_;
};

// As the HTTP route hands a request over from a plain-HTTP listener.
class PlainHttpTransport final : public sync::Transport {
 public:
  PlainHttpTransport(sync::Hub& hub, std::string from) : hub_(hub), from_(std::move(from)) {}
  Result<sync::WireResponse> exchange(const sync::WireRequest& req) override {
    sync::WireRequest r = req;
    r.plain_http = true;
    r.remote_addr = from_;
    return hub_.handle(r);
  }

 private:
  sync::Hub& hub_;
  std::string from_;
};

int64_t count_rows(node::Node& n, const std::string& sql) { return n.db()->execAndGet(sql).getInt64(); }

// What a point writes when it joins, all of it.
struct JoinTrace {
  std::string hub_key, hub_url, area, known_points, reference_hash;
  size_t blocks = 0;
  int64_t procedures = 0;
  bool operator==(const JoinTrace& o) const {
    return hub_key == o.hub_key && hub_url == o.hub_url && area == o.area && known_points == o.known_points &&
           reference_hash == o.reference_hash && blocks == o.blocks && procedures == o.procedures;
  }
};
JoinTrace trace(node::Node& n) {
  auto state = [&](const char* key) {
    SQLite::Statement q(*n.db(), "SELECT value FROM sync_state WHERE key = ?");
    q.bind(1, key);
    return q.executeStep() ? q.getColumn(0).getString() : std::string();
  };
  JoinTrace t;
  t.hub_key = state("hub_key");
  t.hub_url = n.config().get("hub_url");
  t.area = n.meta("area");
  t.known_points = state("known_points");
  t.reference_hash = state("reference_hash");
  t.blocks = node::code_block_status(n).value("blocks", Json::array()).size();
  t.procedures = count_rows(n, "SELECT count(*) FROM procedures");
  return t;
}

}  // namespace

TEST_CASE("receipts carry the hub's journal positions of the batch", "[v2][v2-msg]") {
  SyncWorld w;
  size_t a = w.add_point("a", "area-x");
  size_t b = w.add_point("b", "area-x");
  w.take_in(b);
  REQUIRE(w.sync(b).ok());  // the hub's journal does not start with a's entries
  for (int i = 0; i < 3; ++i) w.take_in(a);
  REQUIRE(w.sync(a).ok());
  std::map<int64_t, int64_t> pos_of_seq;  // a's entries at the hub
  for (const auto& [pos, e] : w.hub_node->journal().entries_after_pos(0, 100))
    if (e.author == w.points[a]->keys().pk) pos_of_seq[e.seq] = pos;
  REQUIRE(pos_of_seq.size() == 3);
  {
    auto rs = w.hub->store().receipts("a", 10);
    REQUIRE(rs.size() == 1);
    Json r = Json::parse(rs[0].body);
    CHECK(r["from_pos"] == pos_of_seq[1]);
    CHECK(r["to_pos"] == pos_of_seq[3]);
    CHECK(r["upto_seq"] == 3);
    CHECK(r["point"] == "a");
    CHECK(r["hub"] == to_hex(w.hub_node->keys().pk));
    CHECK(r["entry"] == to_hex(w.points[a]->journal().get(w.points[a]->keys().pk, 3)->id));
  }
  // The point kept the same signed receipt.
  auto kept = sync::make_sqlite_hub_store(*w.points[a])->receipts("a", 10);
  REQUIRE(kept.size() == 1);
  CHECK(Json::parse(kept[0].body)["to_pos"] == pos_of_seq[3]);
  // The next batch gets the positions of its own entries only.
  w.take_in(a);
  REQUIRE(w.sync(a).ok());
  auto later = Json::parse(w.hub->store().receipts("a", 10)[0].body);
  CHECK(later["upto_seq"] == 4);
  CHECK(later["from_pos"] == later["to_pos"]);
  CHECK(later["from_pos"].get<int64_t>() > pos_of_seq[3]);
}

TEST_CASE("a forged receipt, even one signed with the hub key, fails the point's session and is not kept",
          "[v2][v2-msg]") {
  struct Case {
    const char* what;
    std::function<void(Json&)> edit;
    bool resign;
    const char* says;
  };
  const std::vector<Case> cases = {
      {"another entry at upto_seq", [](Json& r) { r["entry"] = std::string(64, 'a'); }, true, "not this node's entry"},
      {"another point's receipt", [](Json& r) { r["point"] = "b"; }, true, "for point 'b'"},
      {"another hub named", [](Json& r) { r["hub"] = std::string(64, 'b'); }, true, "another hub"},
      {"covers less than the batch", [](Json& r) { r["upto_seq"] = 1; }, true, "covers seq 1 of 2"},
      {"positions backwards", [](Json& r) { r["from_pos"] = r["to_pos"].get<int64_t>() + 1; }, true, "position range"},
      {"positions missing", [](Json& r) { r.erase("from_pos"); }, true, "from_pos"},
      {"another author", [](Json& r) { r["author"] = std::string(64, 'c'); }, true, "another author"},
      {"not signed by the hub", [](Json& r) { r["hub_time_ms"] = 1; }, false, "does not verify"},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.what) {
      SyncWorld w;
      size_t a = w.add_point("a", "area-x");
      for (int i = 0; i < 2; ++i) w.take_in(a);
      ForgingTransport forger(*w.hub, w.hub_node->keys());
      forger.edit = c.edit;
      forger.resign_receipt = c.resign;
      auto r = sync::sync_once(*w.points[a], forger);
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().code == "bad_receipt");
      CHECK(r.error().message.find(c.says) != std::string::npos);
      auto store = sync::make_sqlite_hub_store(*w.points[a]);
      CHECK(store->receipts("a", 10).empty());
      Json st = sync::point_status(*w.points[a]);
      CHECK(st["last_error"].get<std::string>().rfind("bad_receipt", 0) == 0);
      // The honest hub's receipts are taken afterwards.
      w.take_in(a);
      REQUIRE(w.sync(a).ok());
      CHECK(store->receipts("a", 10).size() == 1);
    }
  }
}

TEST_CASE("an enrolment code sniffed over HTTP is not in the message and cannot enrol another key", "[v2][v2-msg]") {
  SyncWorld w;
  auto code = w.hub->add_point({"a", "area-x", 100, 3, 3600 * 1000});
  REQUIRE(code.ok());
  auto honest = make_node(w.dir.sub("honest"), w.clock, w.rng, node::Role::Point, "a", scope_projector);
  DirectTransport wire_tap(*w.hub);  // records every request as a listener on the link would
  REQUIRE(sync::join(*honest, wire_tap, "http://127.0.0.1:8080", code->code).ok());
  REQUIRE(wire_tap.sent.size() == 1);
  const sync::WireRequest sniffed = wire_tap.sent[0];
  std::string plain = wire::gunzip(sniffed.body, 1 << 20).value();
  std::string undashed = code->code;
  undashed.erase(std::remove(undashed.begin(), undashed.end(), '-'), undashed.end());
  CHECK(plain.find(code->code) == std::string::npos);
  CHECK(plain.find(undashed) == std::string::npos);
  for (const auto& [k, v] : sniffed.headers) CHECK(v.find(code->code) == std::string::npos);
  Json h = Json::parse(plain.substr(0, plain.find('\n')));
  CHECK(h["code_id"] == auth::code_id(code->code));
  CHECK(h["mac"].get<std::string>().size() == 64);
  CHECK(!h.contains("code"));
  const size_t alerts = w.hub->sync_log("", 0)["alerts"].size();

  // The eavesdropper signs the very same header (code id and MAC) with its own key.
  auto thief = make_node(w.dir.sub("thief"), w.clock, w.rng, node::Role::Point, "thief", scope_projector);
  sync::WireRequest stolen =
      auth::make_request("/sync/v2/enrol", sniffed.body, thief->keys(), "-", int64_t{0}, w.clock.now_ms());
  auto r = w.hub->handle(stolen);
  CHECK(r.status == 403);
  CHECK(code_of(r) == "enrolment_refused");
  // A MAC recomputed without the code cannot be right either.
  Json forged = h;
  forged.erase("mac");
  forged["mac"] = auth::enrol_mac(blake2b256("guess"), thief->keys().pk, canonical_bytes(forged));
  auto r2 = w.hub->handle(auth::make_request("/sync/v2/enrol", wire::encode(forged, {}).value(), thief->keys(), "-",
                                             int64_t{0}, w.clock.now_ms()));
  CHECK(code_of(r2) == "enrolment_refused");
  // The point stays bound to the honest key; each refusal is an alert.
  auto p = w.hub->store().point("a");
  REQUIRE(p);
  CHECK(*p->key == honest->keys().pk);
  CHECK(!w.hub->store().point_by_key(thief->keys().pk));
  CHECK(w.hub->sync_log("", 0)["alerts"].size() > alerts);
  // Replayed verbatim, the request is the honest key's own: the hub answers
  // it again (idempotent) and binds nothing new; the listener cannot use
  // the answer without that key.
  auto replay = w.hub->handle(sniffed);
  CHECK(replay.status == 200);
  CHECK(*w.hub->store().point("a")->key == honest->keys().pk);
}

TEST_CASE("enrolment over plain HTTP is refused except on loopback, at the hub and in the client", "[v2][v2-msg]") {
  SyncWorld w;
  auto code = w.hub->add_point({"a", "area-x", 100, 3, 3600 * 1000});
  REQUIRE(code.ok());
  auto p = make_node(w.dir.sub("p"), w.clock, w.rng, node::Role::Point, "a", scope_projector);
  const JoinTrace fresh = trace(*p);
  PlainHttpTransport remote(*w.hub, "192.0.2.7");
  auto r = sync::join(*p, remote, "https://hub.example", code->code);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "enrolment_refused");
  CHECK(r.error().message.find("plain HTTP") != std::string::npos);
  CHECK(trace(*p) == fresh);
  CHECK(w.hub->store().point("a")->status == "pending");  // the code is not spent
  PlainHttpTransport local(*w.hub, "127.0.0.1");
  REQUIRE(sync::join(*p, local, "http://127.0.0.1:8080", code->code).ok());

  // The client refuses to send it at all.
  for (const char* bad : {"http://hub.example:8080", "http://10.0.0.5", "http://192.168.1.10:8080/", "ftp://hub"})
    CHECK_FALSE(sync::enrolment_url_allowed(bad).ok());
  CHECK(sync::enrolment_url_allowed("http://hub.example:8080").error().code == "insecure_hub_url");
  for (const char* good : {"https://hub.example:8443", "http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080",
                           "http://127.8.9.10"})
    CHECK(sync::enrolment_url_allowed(good).ok());
  CHECK(auth::is_loopback("::ffff:127.0.0.1"));
  CHECK_FALSE(auth::is_loopback("128.0.0.1"));
  CHECK_FALSE(auth::is_loopback(""));
}

TEST_CASE("a join whose answer was lost is run again, another key cannot take the used code", "[v2][v2-msg]") {
  SyncWorld w;
  auto code = w.hub->add_point({"a", "area-x", 100, 3, 3600 * 1000});
  REQUIRE(code.ok());
  auto p = make_node(w.dir.sub("p"), w.clock, w.rng, node::Role::Point, "a", scope_projector);
  const JoinTrace fresh = trace(*p);
  LosingTransport lossy(*w.hub, 1);
  auto first = sync::join(*p, lossy, "http://127.0.0.1:8080", code->code);
  REQUIRE_FALSE(first.ok());
  CHECK(first.error().code == "link_down");
  CHECK(w.hub->store().point("a")->status == "active");  // the hub bound the key
  CHECK(trace(*p) == fresh);                             // the point wrote nothing
  const size_t alerts = w.hub->sync_log("", 0)["alerts"].size();
  w.clock.advance(3 * 3600 * 1000);  // even after the code's lifetime
  auto again = sync::join(*p, lossy, "http://127.0.0.1:8080", code->code);
  REQUIRE(again.ok());
  CHECK(again.value()["point"] == "a");
  CHECK(again.value()["leases"].get<size_t>() > 0);
  CHECK(w.hub->sync_log("", 0)["alerts"].size() == alerts);
  CHECK(*w.hub->store().point("a")->key == p->keys().pk);
  JoinTrace t = trace(*p);
  CHECK(t.hub_key == to_hex(w.hub_node->keys().pk));
  CHECK(t.area == "area-x");
  CHECK(t.blocks > 0);
  REQUIRE(sync::sync_once(*p, lossy).ok());

  auto other = make_node(w.dir.sub("other"), w.clock, w.rng, node::Role::Point, "a", scope_projector);
  DirectTransport t2(*w.hub);
  auto taken = sync::join(*other, t2, "http://127.0.0.1:8080", code->code);
  REQUIRE_FALSE(taken.ok());
  CHECK(taken.error().code == "enrolment_refused");
  CHECK(trace(*other) == fresh);
  CHECK(*w.hub->store().point("a")->key == p->keys().pk);
}

TEST_CASE("a fault in the point's side of join leaves nothing half-written, and join runs again", "[v2][v2-msg]") {
  SyncWorld w;
  auto code = w.hub->add_point({"a", "area-x", 100, 3, 3600 * 1000});
  REQUIRE(code.ok());
  auto p = make_node(w.dir.sub("p"), w.clock, w.rng, node::Role::Point, "a", scope_projector);
  const JoinTrace before = trace(*p);
  // The very last write of join fails (as a full disk would).
  p->db()->exec(
      "CREATE TEMP TRIGGER fail_join BEFORE INSERT ON sync_state WHEN NEW.key = 'hub_key' "
      "BEGIN SELECT RAISE(ABORT, 'disk I/O error (test)'); END");
  DirectTransport t(*w.hub);
  auto r = sync::join(*p, t, "http://127.0.0.1:8080", code->code);
  REQUIRE_FALSE(r.ok());
  CHECK(trace(*p) == before);  // no blocks, no catalogue, no area, no hub_url
  p->db()->exec("DROP TRIGGER fail_join");
  REQUIRE(sync::join(*p, t, "http://127.0.0.1:8080", code->code).ok());
  JoinTrace after = trace(*p);
  CHECK(after.hub_key == to_hex(w.hub_node->keys().pk));
  CHECK(after.hub_url == "http://127.0.0.1:8080");
  CHECK(after.area == "area-x");
  CHECK(after.blocks > 0);
}

TEST_CASE("request counters: the hub keeps the last per session, across a restart, no nonce table", "[v2][v2-msg]") {
  SyncWorld w;
  size_t a = w.add_point("a", "area-x");
  node::Node& pn = *w.points[a];
  CHECK(count_rows(*w.hub_node, "SELECT count(*) FROM sqlite_master WHERE name = 'hub_nonces'") == 0);
  auto send = [&](sync::Hub& hub, const std::string& kind, Json header, const std::string& session, int64_t counter) {
    header["type"] = kind;
    return hub.handle(auth::make_request("/sync/v2/" + kind, wire::encode(header, {}).value(), pn.keys(), session,
                                         counter, w.clock.now_ms()));
  };
  const Json hello{{"heads", Json::object()}, {"cursor", 0}};
  auto welcome = send(*w.hub, "hello", hello, "-", 0);
  REQUIRE(welcome.status == 200);
  const std::string session = answer(welcome)["session"];
  const Json pull{{"after", 0}, {"limit", 10}};
  REQUIRE(send(*w.hub, "pull", pull, session, 1).status == 200);
  REQUIRE(send(*w.hub, "pull", pull, session, 2).status == 200);
  CHECK(code_of(send(*w.hub, "pull", pull, session, 2)) == "replayed_request");
  CHECK(w.hub->store().session_counter(session) == 2);
  // hello and enrol carry counter 0 and no session; anything else is refused.
  CHECK(code_of(send(*w.hub, "hello", hello, session, 3)) == "malformed_message");
  CHECK(code_of(send(*w.hub, "pull", pull, "-", 0)) == "session_expired");
  // A hub restarted on the same database still refuses the old counters.
  sync::Hub restarted(*w.hub_node, sync::make_sqlite_hub_store(*w.hub_node));
  CHECK(code_of(send(restarted, "pull", pull, session, 2)) == "replayed_request");
  CHECK(code_of(send(restarted, "pull", pull, session, 1)) == "replayed_request");
  CHECK(send(restarted, "pull", pull, session, 3).status == 200);
  // A hello sent twice is answered twice (a new session each time): it is idempotent.
  sync::WireRequest h1 = auth::make_request("/sync/v2/hello", wire::encode(Json{{"type", "hello"}, {"heads", Json::object()}, {"cursor", 0}}, {}).value(),
                                            pn.keys(), "-", int64_t{0}, w.clock.now_ms());
  auto w1 = w.hub->handle(h1);
  auto w2 = w.hub->handle(h1);
  REQUIRE(w1.status == 200);
  REQUIRE(w2.status == 200);
  CHECK(answer(w1)["session"] != answer(w2)["session"]);
  // Each answer is bound to the request it answers: an old welcome does not
  // pass as the answer to another hello.
  w.clock.advance(1);
  sync::WireRequest h2 = auth::make_request("/sync/v2/hello", h1.body, pn.keys(), "-", int64_t{0}, w.clock.now_ms());
  CHECK(auth::check_response(w1, w.hub_node->keys().pk, auth::binding_of(h1)).ok());
  CHECK_FALSE(auth::check_response(w1, w.hub_node->keys().pk, auth::binding_of(h2)).ok());
  // The honest client numbers its requests itself.
  REQUIRE(w.sync(a).ok());
  std::string last_session;
  int64_t expect = 0;
  for (const auto& req : w.transports[a]->sent) {
    const std::string s = auth::header(req.headers, auth::kSession);
    const int64_t c = std::stoll(auth::header(req.headers, auth::kCounter));
    if (s == "-") {
      CHECK(c == 0);
    } else {
      if (s != last_session) expect = 0;
      CHECK(c == ++expect);
    }
    last_session = s;
  }
}

TEST_CASE("the Ed25519 edge vectors get libsodium's verdict from motcua's verify", "[v2][v2-msg][vectors]") {
  std::ifstream in(std::string(MOTCUA_SOURCE_DIR) + "/tests/vectors/ed25519-edge.json");
  REQUIRE(in);
  Json v = Json::parse(in);
  REQUIRE(v["signing_prefix"] == std::string(sign_domain_prefix(SignDomain::JournalEntry)));
  size_t refused_but_lax = 0;
  for (const auto& x : v["vectors"]) {
    INFO(x["name"].get<std::string>());
    PublicKey pk{};
    Signature sig{};
    REQUIRE(from_hex(x["public_key_hex"].get<std::string>(), pk));
    REQUIRE(from_hex(x["sig_hex"].get<std::string>(), sig));
    CHECK(verify(pk, SignDomain::JournalEntry, x["message"].get<std::string>(), sig) == x["valid"].get<bool>());
    if (!x["valid"].get<bool>() && x["lax_valid"].get<bool>()) ++refused_but_lax;
  }
  CHECK(v["vectors"].size() >= 8);
  CHECK(refused_but_lax >= 5);
}

TEST_CASE("motcua join refuses a plain http:// hub on another machine before sending anything", "[v2][v2-msg][cli]") {
  TempDir dir("join-http");
  const std::string d = dir.sub("p");
  int st = -1;
  run_motcua("init --role point --name p --agency-code 000.00.01.H22 --data-dir '" + d + "'", &st);
  REQUIRE(st == 0);
  // 192.0.2.1 (TEST-NET-1) is never reached: the refusal comes first.
  std::string out = run_motcua("join --hub http://192.0.2.1:8080 --code ABCD-EFGH-JKLM --data-dir '" + d + "'", &st);
  INFO(out);
  CHECK(st == 2);
  CHECK(out.find("insecure_hub_url") != std::string::npos);
  CHECK(out.find("https://") != std::string::npos);
  CHECK(out.find("ABCD") == std::string::npos);
  // Nothing was configured.
  out = run_motcua("config list --data-dir '" + d + "'", &st);
  CHECK(st == 0);
  CHECK(out.find("192.0.2.1") == std::string::npos);
  // --insecure-http is not an option.
  out = run_motcua("join --hub http://192.0.2.1:8080 --code ABCD-EFGH-JKLM --insecure-http --data-dir '" + d + "'", &st);
  CHECK(st == 2);
}

namespace {
// A non-loopback IPv4 address of this machine ("" when it has none).
std::string own_address() {
  ifaddrs* all = nullptr;
  if (::getifaddrs(&all) != 0) return {};
  std::string found;
  for (ifaddrs* i = all; i && found.empty(); i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
    char buf[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, buf, sizeof buf);
    if (!auth::is_loopback(buf)) found = buf;
  }
  ::freeifaddrs(all);
  return found;
}
}  // namespace

TEST_CASE("a hub daemon without TLS takes an enrolment from loopback only", "[v2][v2-msg]") {
  const std::string ip = own_address();
  if (ip.empty()) {
    WARN("this machine has no non-loopback IPv4 address: only the loopback half is checked");
  }
  TempDir dir{"enrol-http"};
  ManualClock clock{1751335200000};
  SeededRandom rng{9};
  auto hub = make_node(dir.sub("hub"), clock, rng, node::Role::Hub, "hub", scope_projector);
  sync::Hub admin(*hub, sync::make_sqlite_hub_store(*hub));
  auto code = admin.add_point({"a", "area-x", 100, 3, 3600 * 1000});
  REQUIRE(code.ok());
  sync::DaemonOptions o;
  o.host = "0.0.0.0";
  o.port = 0;
  o.background_sync = false;
  o.threads = 2;
  o.fast_password_hash = true;
  o.log = [](const std::string&) {};
  sync::Daemon daemon(*hub, o);
  REQUIRE(daemon.bind().ok());
  std::thread runner([&] { (void)daemon.run(); });
  auto point = make_node(dir.sub("a"), clock, rng, node::Role::Point, "a", scope_projector);
  const JoinTrace fresh = trace(*point);
  auto join_via = [&](const std::string& host) {
    sync::HttpOptions ho;
    ho.url = "http://" + host + ":" + std::to_string(daemon.port());
    auto t = sync::make_http_transport(ho);
    REQUIRE(t.ok());
    return sync::join(*point, *t.value(), ho.url, code->code);
  };
  if (!ip.empty()) {
    auto r = join_via(ip);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "enrolment_refused");
    CHECK(r.error().message.find("plain HTTP") != std::string::npos);
    CHECK(trace(*point) == fresh);
    CHECK(admin.store().point("a")->status == "pending");
  }
  auto ok = join_via("127.0.0.1");
  CHECK(ok.ok());
  daemon.stop();
  runner.join();
}

namespace {
// Delivers every request and counts the pulls; the `fail_pull`-th pull
// (1-based) is lost on the way (link_down) without reaching the hub.
class PullCountingTransport final : public sync::Transport {
 public:
  explicit PullCountingTransport(sync::Hub& hub) : hub_(hub) {}
  Result<sync::WireResponse> exchange(const sync::WireRequest& req) override {
    if (req.path == "/sync/v2/pull" && ++pulls == fail_pull) return make_error("link_down", "the link dropped");
    ++delivered;
    return hub_.handle(req);
  }
  int pulls = 0, fail_pull = 0, delivered = 0;

 private:
  sync::Hub& hub_;
};
}  // namespace

TEST_CASE("a pull asks for its next page while it stores this one, and a lost page keeps what was stored",
          "[v2][v2-msg][pull]") {
  SyncWorld w;
  size_t a = w.add_point("a", "area-x");
  size_t b = w.add_point("b", "area-x");
  std::vector<Hash32> ids;
  for (int i = 0; i < 9; ++i) ids.push_back(w.take_in(a).id);
  REQUIRE(w.sync(a).ok());
  sync::ClientOptions o = w.client_options();
  o.batch_entries = 2;  // five pages

  SECTION("every page arrives: each entry once, every request counted") {
    PullCountingTransport t(*w.hub);
    auto r = sync::sync_once(*w.points[b], t, o);
    REQUIRE(r.ok());
    CHECK(t.pulls == 5);
    CHECK((*r)["entries_down"] == 9);
    CHECK((*r)["requests"] == t.delivered);
    for (const auto& id : ids) CHECK(w.points[b]->journal().get(id));
  }
  SECTION("the third page is lost: the first two stay, with their cursor, and the next session brings the rest") {
    PullCountingTransport t(*w.hub);
    t.fail_pull = 3;
    auto r = sync::sync_once(*w.points[b], t, o);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "link_down");
    // The third pull was sent while the second page was stored, so the
    // second page's entries are held and its cursor kept.
    size_t held = 0;
    for (const auto& id : ids) held += w.points[b]->journal().get(id) ? 1 : 0;
    CHECK(held == 4);
    CHECK(std::stoll(sync::util::state_get(*w.points[b], "pull_cursor")) > 0);
    PullCountingTransport again(*w.hub);
    auto r2 = sync::sync_once(*w.points[b], again, o);
    REQUIRE(r2.ok());
    CHECK((*r2)["entries_down"] == 5);
    CHECK(again.pulls == 3);
    for (const auto& id : ids) CHECK(w.points[b]->journal().get(id));
    CHECK(w.points[b]->journal().verify().ok());
  }
}
