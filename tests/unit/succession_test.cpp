// A new PC continues a lost point (issue 11; docs/sync-protocol.md 15.3,
// docs/design/0095-point-succession.md): `point add --replace NAME` at the
// hub, `restore --from-hub` (join with that code, then sync) at the new PC.
#include <catch2/catch.hpp>

#include <thread>

#include "admission.hpp"
#include "http_test_util.hpp"
#include "motcua/sync/agent.hpp"
#include "motcua/sync/server.hpp"
#include "sync_util.hpp"
#include "sync_test_util.hpp"

using namespace motcua;
using namespace motcua::test;

namespace {

// A transport that fails (link_down) the `nth` request of kind `kind`, once.
class CutTransport final : public sync::Transport {
 public:
  CutTransport(sync::Hub& hub, std::string kind, int nth) : hub_(hub), kind_(std::move(kind)), nth_(nth) {}
  Result<sync::WireResponse> exchange(const sync::WireRequest& req) override {
    if (req.path == "/sync/v2/" + kind_ && ++seen_ == nth_) return make_error("link_down", "cut by the test");
    return hub_.handle(req);
  }

 private:
  sync::Hub& hub_;
  std::string kind_;
  int nth_;
  int seen_ = 0;
};

// Delivers every request but loses the answer of the first enrol: the hub
// has bound the key, the point never heard it.
class LostAnswer final : public sync::Transport {
 public:
  explicit LostAnswer(sync::Hub& hub) : hub_(hub) {}
  Result<sync::WireResponse> exchange(const sync::WireRequest& req) override {
    auto r = hub_.handle(req);
    if (req.path == "/sync/v2/enrol" && !lost_) {
      lost_ = true;
      return make_error("link_down", "answer lost by the test");
    }
    return r;
  }

 private:
  sync::Hub& hub_;
  bool lost_ = false;
};

struct SuccessionWorld {
  SyncWorld w{11};
  size_t a = 0, b = 0;
  SuccessionWorld() {
    a = w.add_point("a", "an-thi");
    b = w.add_point("b", "an-thi");
  }
  Result<sync::EnrolmentCode> replace(const std::string& name, int64_t ttl_ms = 3600 * 1000) {
    sync::PointAddOptions o;
    o.name = name;
    o.replace = true;
    o.code_ttl_ms = ttl_ms;
    return w.hub->add_point(o);
  }
  // A new PC (empty data directory, new key) for point `name`.
  std::unique_ptr<node::Node> new_pc(const std::string& dir, const std::string& name = "a") {
    return make_node(w.dir.sub(dir), w.clock, w.rng, node::Role::Point, name, scope_projector);
  }
  void sync_ok(size_t i) {
    auto r = w.sync(i);
    INFO((r.ok() ? r->dump() : r.error().message));
    REQUIRE(r.ok());
  }
  // The (day, number) of a dossier code.
  static std::pair<std::string, int> number_of(const std::string& code) {
    auto c = sync::parse_code("{agency}-{yymmdd}-{seq4}", "000.00.01.H22", code);
    REQUIRE(c);
    return *c;
  }
};

bool in_blocks(const std::vector<sync::Lease>& blocks, const std::string& code) {
  auto c = sync::parse_code("{agency}-{yymmdd}-{seq4}", "000.00.01.H22", code);
  for (const auto& l : blocks)
    if (c && l.day == c->first && c->second >= l.first && c->second <= l.last) return true;
  return false;
}

}  // namespace

TEST_CASE("succession: a new PC continues a lost point: its chain, its dossiers, fresh code blocks",
          "[succession]") {
  SuccessionWorld t;
  node::Node& old_pc = *t.w.points[t.a];
  const PublicKey old_key = old_pc.keys().pk;
  std::vector<std::string> codes;
  for (int i = 0; i < 3; ++i) codes.push_back(t.w.take_in(t.a).subject);
  t.w.act(t.a, codes[0], "dossier.accepted");
  t.sync_ok(t.a);
  t.sync_ok(t.b);
  // Blocks the old key held (today and the days ahead), and a number it
  // minted offline that never reached the hub.
  const std::string today = sync::util::vn_day(t.w.clock.now_ms());
  const auto old_blocks = t.w.hub->store().leases_of("a", today);
  REQUIRE(old_blocks.size() == static_cast<size_t>(t.w.lease_days));
  const std::string offline = t.w.take_in(t.a).subject;
  const int64_t old_head = old_pc.journal().heads()[old_key];
  REQUIRE(old_head == 5);
  const std::string hash_before = sync::registry_from_store(t.w.hub_node->keys().pk, t.w.hub->store()).hash();

  // The admin issues a replacement code: nothing changes until it is used.
  auto code = t.replace("a");
  REQUIRE(code.ok());
  auto rec = t.w.hub->store().point("a");
  REQUIRE(rec);
  CHECK(rec->status == "active");
  CHECK(*rec->key == old_key);
  CHECK(t.w.hub->store().leases_of("a", today).size() == old_blocks.size());

  // The new PC enrols with it: restoring, no intake yet.
  auto pc = t.new_pc("a-new");
  DirectTransport tr(*t.w.hub);
  auto joined = sync::join(*pc, tr, "http://hub.test", code->code);
  REQUIRE(joined.ok());
  CHECK(pc->meta("restoring") == "1");
  auto refused = node::codes::mint(*pc, t.w.clock.now_ms());
  REQUIRE(!refused.ok());
  CHECK(refused.error().code == "point_restoring");
  Json st = sync::point_status(*pc);
  CHECK(st["restoring"] == true);
  REQUIRE(st["succession"].is_object());
  CHECK(st["succession"]["old_key"] == to_hex(old_key));
  CHECK(st["succession"]["revoked_seq"] == 4);  // the old key's last entry the hub admitted

  // The hub: the new key bound, the old one a former key up to #4, the old blocks retired.
  rec = t.w.hub->store().point("a");
  CHECK(*rec->key == pc->keys().pk);
  CHECK(rec->status == "active");
  auto sc = t.w.hub->store().succession_of(old_key);
  REQUIRE(sc);
  CHECK(sc->revoked_seq == 4);
  CHECK(sc->revoked_id == old_pc.journal().get(old_key, 4)->id);
  CHECK(verify(t.w.hub_node->keys().pk, SignDomain::Succession, sc->body, sc->sig));
  const sync::Registry reg = sync::registry_from_store(t.w.hub_node->keys().pk, t.w.hub->store());
  REQUIRE(reg.find(old_key));
  CHECK(reg.find(old_key)->former);
  CHECK(reg.find(old_key)->status == "revoked");
  CHECK(reg.find(old_key)->revoked_seq == 4);
  CHECK(reg.hash() != hash_before);
  auto back = sync::Registry::from_json(reg.hub, reg.points_json());
  REQUIRE(back.ok());
  CHECK(back->hash() == reg.hash());
  CHECK(back->find(old_key)->former);

  // The first sync fetches the old key's whole chain, then pulls the scope.
  auto r = sync::complete_restore(*pc, tr, t.w.client_options());
  INFO((r.ok() ? r->dump() : r.error().message));
  REQUIRE(r.ok());
  CHECK(pc->meta("restoring") != "1");
  for (int64_t s = 1; s <= 4; ++s) CHECK(pc->journal().get(old_key, s));
  CHECK(!pc->journal().get(old_key, 5));  // never reached the hub
  for (const auto& c : codes) CHECK(pc->journal().subject_state(c));
  CHECK(pc->journal().quarantine("held").empty());
  CHECK(pc->journal().verify().ok());
  CHECK(sync::point_status(*pc)["epoch"] != "");

  // Fresh numbers: outside every block the old key held, and no old block is handed out again.
  const auto new_blocks = t.w.hub->store().leases_of("a", today);
  REQUIRE(!new_blocks.empty());
  for (const auto& nb : new_blocks)
    for (const auto& ob : old_blocks)
      CHECK((nb.day != ob.day || nb.last < ob.first || nb.first > ob.last));
  t.w.clock.advance(60 * 1000);
  const size_t n = t.w.points.size();
  t.w.points.push_back(std::move(pc));
  t.w.transports.push_back(std::make_unique<DirectTransport>(*t.w.hub));
  t.w.names.push_back("a");
  t.w.areas.push_back("an-thi");
  const std::string fresh = t.w.take_in(n).subject;
  CHECK(!in_blocks(old_blocks, fresh));
  CHECK(fresh != offline);
  t.sync_ok(n);
  CHECK(t.w.held_at_hub() == 0);
  CHECK(t.w.hub_node->journal().subject_state(fresh));

  // The old PC comes back: refused revoked_key, and it stops minting.
  auto again = t.w.sync(t.a);
  REQUIRE(!again.ok());
  CHECK(again.error().code == "revoked_key");
  CHECK(sync::point_status(old_pc)["revoked"] == true);

  // Its late entry relayed by another point: quarantined revoked_author at the hub.
  auto late = old_pc.journal().author_entries(old_key, 4, 10);
  REQUIRE(late.size() == 1);
  REQUIRE(t.w.points[t.b]->journal().ingest_sparse(late).ok());
  t.sync_ok(t.b);
  bool held = false;
  for (const auto& q : t.w.hub_node->journal().quarantine("held"))
    held = held || (q.code == "revoked_author" && q.seq == 5);
  CHECK(held);
  CHECK(!t.w.hub_node->journal().subject_state(offline));
  // The other point admits the old key's history by the registry it fetched.
  auto breg = sync::stored_registry(*t.w.points[t.b]);
  REQUIRE(breg.find(old_key));
  CHECK(breg.find(old_key)->revoked_seq == 4);
}

TEST_CASE("succession: refusals (unknown, pending, wrong, used, expired, outdated code)", "[succession]") {
  SuccessionWorld t;
  t.w.take_in(t.a);
  t.sync_ok(t.a);
  auto unknown = t.replace("nobody");
  REQUIRE(!unknown.ok());
  CHECK(unknown.error().code == "not_found");
  sync::PointAddOptions p;
  p.name = "pending-one";
  p.area = "an-thi";
  p.agency_code = "000.00.01.H22";
  REQUIRE(t.w.hub->add_point(p).ok());
  auto pending = t.replace("pending-one");
  REQUIRE(!pending.ok());
  CHECK(pending.error().code == "conflict");

  // A wrong code.
  auto pc1 = t.new_pc("pc1");
  DirectTransport tr(*t.w.hub);
  auto wrong = sync::join(*pc1, tr, "http://hub.test", "AAAA-BBBB-CCCC");
  REQUIRE(!wrong.ok());
  CHECK(wrong.error().code == "enrolment_refused");
  // A code issued changes nothing until it is used: the old PC syncs on.
  auto first = t.replace("a", 24 * 3600 * 1000);
  REQUIRE(first.ok());
  t.w.take_in(t.a);
  t.sync_ok(t.a);
  // An expired code.
  auto short_lived = t.replace("a", 3600 * 1000);
  REQUIRE(short_lived.ok());
  t.w.clock.advance(2 * 3600 * 1000 + 1000);
  auto expired = sync::join(*pc1, tr, "http://hub.test", short_lived->code);
  REQUIRE(!expired.ok());
  CHECK(expired.error().code == "enrolment_refused");
  CHECK(expired.error().message.find("expired") != std::string::npos);
  CHECK(*t.w.hub->store().point("a")->key == t.w.points[t.a]->keys().pk);
  CHECK(t.w.hub->store().successions("a").empty());
  // A code binds pc2 ...
  auto longer = t.replace("a", 24 * 3600 * 1000);
  REQUIRE(longer.ok());
  auto pc2 = t.new_pc("pc2");
  REQUIRE(sync::join(*pc2, tr, "http://hub.test", longer->code).ok());
  CHECK(t.w.hub->store().successions("a").size() == 1);
  // ... and is refused to another key once used.
  auto pc3 = t.new_pc("pc3");
  auto used = sync::join(*pc3, tr, "http://hub.test", longer->code);
  REQUIRE(!used.ok());
  CHECK(used.error().code == "enrolment_refused");
  // The code issued earlier for the key that is now replaced is refused too.
  auto outdated = sync::join(*pc3, tr, "http://hub.test", first->code);
  REQUIRE(!outdated.ok());
  CHECK(outdated.error().code == "enrolment_refused");
  CHECK(outdated.error().message.find("no longer has the key") != std::string::npos);
  CHECK(*t.w.hub->store().point("a")->key == pc2->keys().pk);
  CHECK(pc3->meta("restoring") != "1");
}

TEST_CASE("succession: a cut while the former chain comes back resumes at the next sync", "[succession]") {
  SuccessionWorld t;
  for (int i = 0; i < 5; ++i) t.w.take_in(t.a);
  t.sync_ok(t.a);
  const PublicKey old_key = t.w.points[t.a]->keys().pk;
  auto code = t.replace("a");
  REQUIRE(code.ok());
  auto pc = t.new_pc("a-new");
  CutTransport cut(*t.w.hub, "own_chain", 2);  // the second page is lost on the way
  REQUIRE(sync::join(*pc, cut, "http://hub.test", code->code).ok());
  sync::ClientOptions o = t.w.client_options();
  o.batch_entries = 2;
  auto r = sync::sync_once(*pc, cut, o);
  REQUIRE(!r.ok());
  CHECK(r.error().code == "link_down");
  CHECK(pc->meta("restoring") == "1");  // still no intake
  CHECK(pc->journal().get(old_key, 2));
  CHECK(!pc->journal().get(old_key, 3));
  CHECK(node::codes::mint(*pc, t.w.clock.now_ms()).error().code == "point_restoring");
  auto done = sync::complete_restore(*pc, cut, o);
  INFO((done.ok() ? done->dump() : done.error().message));
  REQUIRE(done.ok());
  CHECK(pc->meta("restoring") != "1");
  for (int64_t s = 1; s <= 5; ++s) CHECK(pc->journal().get(old_key, s));
  CHECK(node::codes::mint(*pc, t.w.clock.now_ms()).ok());
}

TEST_CASE("succession: the registry of a point without a former key keeps its form", "[succession]") {
  sync::Registry r;
  r.hub = PublicKey{};
  sync::RegisteredPoint p;
  p.name = "a";
  p.key[0] = 1;
  p.area = "an-thi";
  p.agency_code = "000.00.01.H22";
  p.status = "active";
  r.points[p.key] = p;
  CHECK(!r.points_json()[0].contains("former"));
  sync::RegisteredPoint f = p;
  f.key[0] = 2;
  f.former = true;
  f.status = "revoked";
  f.revoked_seq = 7;
  f.revoked_id[0] = 9;
  f.replaced_ms = 1000;
  r.points[f.key] = f;
  const Json j = r.points_json();
  REQUIRE(j.size() == 1);
  REQUIRE(j[0]["former"].size() == 1);
  CHECK(j[0]["former"][0]["revoked_seq"] == 7);
  CHECK(r.revocations_json().size() == 1);
  // A former key naming the point's own key is refused.
  Json bad = j;
  bad[0]["former"][0]["key"] = bad[0]["key"];
  CHECK(!sync::Registry::from_json(r.hub, bad).ok());
}

TEST_CASE("succession: the hub's admin issues a replacement code over HTTP", "[succession][http]") {
  TempDir dir{"succhttp"};
  ManualClock clock{kTuesdayMorningMs};
  SeededRandom rng{47};
  auto hub_node = make_node(dir.sub("hub"), clock, rng, node::Role::Hub, "hub");
  {
    node::UserStore users(hub_node->db(), clock, rng, true);
    REQUIRE(users.add_user("admin1", node::UserRole::Admin, "admin1-password").ok());
    REQUIRE(users.add_user("clerk1", node::UserRole::Clerk, "clerk1-password").ok());
  }
  sync::Hub hub(*hub_node, sync::make_sqlite_hub_store(*hub_node));
  sync::PointAddOptions o;
  o.name = "xa-an-thi";
  o.area = "an-thi";
  o.agency_code = "000.00.01.H22";
  auto first = hub.add_point(o);
  REQUIRE(first.ok());
  DirectTransport link(hub);
  auto old_pc = make_node(dir.sub("old"), clock, rng, node::Role::Point, "xa-an-thi");
  REQUIRE(sync::join(*old_pc, link, "http://hub.test", first->code).ok());
  o.name = "not-joined";
  REQUIRE(hub.add_point(o).ok());

  sync::DaemonOptions opt;
  opt.host = "127.0.0.1";
  opt.port = 0;
  opt.fast_password_hash = true;
  opt.background_sync = false;
  opt.threads = 2;
  opt.log = [](const std::string&) {};
  sync::Daemon daemon(*hub_node, opt);
  REQUIRE(daemon.bind().ok());
  std::thread runner([&] { (void)daemon.run(); });
  struct Stop {
    sync::Daemon& d;
    std::thread& t;
    ~Stop() {
      d.stop();
      t.join();
    }
  } stop{daemon, runner};
  httplib::Client c("127.0.0.1", daemon.port());
  c.set_read_timeout(20);
  auto login = [&](const std::string& user) {
    auto r = c.Post("/api/v1/sessions", Json{{"username", user}, {"password", user + "-password"}}.dump(),
                    "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    return DaemonFixture::bearer(Json::parse(r->body)["token"].get<std::string>());
  };
  auto admin = login("admin1");
  auto refused = [&](const httplib::Result& r, int status, const std::string& code) {
    REQUIRE(r);
    INFO(r->body);
    CHECK(r->status == status);
    CHECK(Json::parse(r->body)["error"]["code"] == code);
  };
  refused(c.Post("/api/v1/points/xa-an-thi/replace", login("clerk1"), "", "application/json"), 403, "forbidden");
  refused(c.Post("/api/v1/points/nobody/replace", admin, "", "application/json"), 404, "not_found");
  refused(c.Post("/api/v1/points/not-joined/replace", admin, "", "application/json"), 409, "conflict");
  refused(c.Post("/api/v1/points/xa-an-thi/replace", admin, R"({"area":"x"})", "application/json"), 400,
          "unknown_field");
  refused(c.Post("/api/v1/points/xa-an-thi/replace", admin, R"({"expires_hours":0})", "application/json"), 400,
          "invalid_value");
  CHECK(hub.store().successions("").empty());
  auto made = c.Post("/api/v1/points/xa-an-thi/replace", admin, R"({"expires_hours":24})", "application/json");
  REQUIRE(made);
  INFO(made->body);
  REQUIRE(made->status == 201);
  const Json m = Json::parse(made->body);
  CHECK(m["name"] == "xa-an-thi");
  CHECK(m["expires_at"] == "2025-07-02T02:00:00.000Z");
  // Nothing changed yet; the new PC then continues the point with it.
  CHECK(*hub.store().point("xa-an-thi")->key == old_pc->keys().pk);
  auto new_pc = make_node(dir.sub("new"), clock, rng, node::Role::Point, "xa-an-thi");
  auto restored = sync::restore_from_hub(*new_pc, link, "http://hub.test", m["replacement_code"].get<std::string>());
  INFO((restored.ok() ? restored->dump() : restored.error().message));
  REQUIRE(restored.ok());
  CHECK(restored.value()["point"] == "xa-an-thi");
  CHECK(restored.value()["sync"]["result"] == "ok");
  CHECK(new_pc->meta("restoring") != "1");
  CHECK(*hub.store().point("xa-an-thi")->key == new_pc->keys().pk);
  CHECK(sync::point_status(*new_pc)["succession"]["old_key"] == to_hex(old_pc->keys().pk));
}

TEST_CASE("succession: a lost answer to the enrolment is asked for again, the hub lists former keys",
          "[succession]") {
  SuccessionWorld t;
  t.w.take_in(t.a);
  t.sync_ok(t.a);
  const PublicKey old_key = t.w.points[t.a]->keys().pk;
  auto code = t.replace("a");
  REQUIRE(code.ok());
  auto pc = t.new_pc("a-new");
  LostAnswer lossy(*t.w.hub);
  auto lost = sync::join(*pc, lossy, "http://hub.test", code->code);
  REQUIRE(!lost.ok());
  CHECK(lost.error().code == "link_down");
  CHECK(pc->meta("restoring") != "1");  // nothing written at the point
  REQUIRE(t.w.hub->store().successions("a").size() == 1);  // but bound at the hub
  auto again = sync::join(*pc, lossy, "http://hub.test", code->code);
  INFO((again.ok() ? again->dump() : again.error().message));
  REQUIRE(again.ok());
  CHECK(pc->meta("restoring") == "1");
  CHECK(sync::point_status(*pc)["succession"]["old_key"] == to_hex(old_key));
  CHECK(t.w.hub->store().successions("a").size() == 1);
  REQUIRE(sync::complete_restore(*pc, lossy, t.w.client_options()).ok());
  CHECK(pc->journal().get(old_key, 1));
  Json listed;
  for (const auto& p : t.w.hub->points())
    if (p["name"] == "a") listed = p;
  REQUIRE(listed["former_keys"].size() == 1);
  CHECK(listed["former_keys"][0]["key"] == to_hex(old_key));
  CHECK(listed["former_keys"][0]["revoked_seq"] == 1);
  CHECK(listed["key"] == to_hex(pc->keys().pk));
}
