// Sync v2, slice "core": quarantine through the real hub and points
// (docs/sync-protocol.md, "Quarantine"). The hub stores what it may not
// admit but keeps it out of projection, scope and pulls, alerts, and an
// admin's signed decision releases or rejects it; a point ingests entry by
// entry, so one bad entry never wedges its pull.
#include <catch2/catch.hpp>

#include "../../sync/src/sync_auth.hpp"
#include "../../sync/src/sync_client_internal.hpp"
#include "../../sync/src/sync_codec.hpp"
#include "http_test_util.hpp"
#include "motcua/node/dossiers.hpp"
#include "motcua/sync/agent.hpp"
#include "motcua/sync/bundle.hpp"
#include "motcua/sync/hub_store.hpp"
#include "sync_test_util.hpp"

using namespace motcua;
using namespace motcua::test;
namespace wire = motcua::sync::wire;
namespace auth = motcua::sync::auth;

namespace {

// The hub's test rule: an entry whose body says "forged" may not be admitted.
std::optional<node::Admission> forged_rule(const node::AdmitContext& c) {
  if (c.entry.body.is_object() && c.entry.body.contains("forged"))
    return node::Admission{"not_in_scope", "test: this point may not write this dossier"};
  return std::nullopt;
}

bool state_lists(node::Node& n, const std::string& subject, const Hash32& id) {
  auto s = n.journal().subject_state(subject);
  if (!s) return false;
  for (const auto& e : (*s)["entries"])
    if (e == to_hex(id)) return true;
  return false;
}

Json alerts_of(node::Node& point) { return sync::point_sync_log(point, "", 0)["alerts"]; }

bool has_alert(const Json& alerts, const std::string& kind, const std::string& needle) {
  for (const auto& a : alerts)
    if (a.value("kind", std::string()) == kind && a.value("detail", std::string()).find(needle) != std::string::npos)
      return true;
  return false;
}

// Points a and b in area-x (a takes dossier x1 in), m in area-y, whose
// modified software holds a copy of x1's intake and signs an acceptance on
// top of it anyway; the hub's rules quarantine m's entry (not_in_scope).
struct CoreWorld : SyncWorld {
  size_t a = 0, b = 0, m = 0;
  node::Entry intake, forged;
  std::string x1;
  CoreWorld() {
    a = add_point("a", "area-x");
    b = add_point("b", "area-x");
    m = add_point("m", "area-y");
    hub->add_admission_rule(forged_rule);  // checked after the hub's own rules, which refuse m's entry first
    intake = take_in(a);
    x1 = intake.subject;
    REQUIRE(sync(a).ok());
    clock.advance(60'000);
    REQUIRE(points[m]->journal().ingest_sparse({intake}).ok());
    forged = act(m, x1, "dossier.accepted", Json{{"forged", true}});
    auto pushed = sync(m);
    REQUIRE(pushed.ok());
  }
};

// Hands requests to the hub and changes pull answers on their way back,
// re-signed with the hub's key (as a hub with a bug, or a bad relay tier, could send).
class ChangingTransport final : public sync::Transport {
 public:
  ChangingTransport(sync::Hub& hub, node::Node& hub_node) : hub_(hub), hub_node_(hub_node) {}
  Result<sync::WireResponse> exchange(const sync::WireRequest& req) override {
    auto res = hub_.handle(req);
    if (change && res.status == 200 && req.path.size() >= 5 && req.path.substr(req.path.size() - 5) == "/pull") {
      auto d = wire::decode(res.body, 1 << 24);
      if (!d.ok()) return d.error();
      change(d.value());
      res.body = wire::encode(d->header, d->entries).value();
      auth::sign_response(res, auth::binding_of(req), hub_node_.keys(), hub_node_.clock().now_ms());
    }
    return res;
  }
  std::function<void(wire::Decoded&)> change;

 private:
  sync::Hub& hub_;
  node::Node& hub_node_;
};

// Speaks the protocol by hand (a point running modified software).
struct RawPusher {
  node::Node& n;
  sync::Hub& hub;
  std::string session = "-";
  sync::WireRequest request(const std::string& kind, Json header, const std::vector<wire::WireEntry>& entries = {}) {
    header["type"] = kind;
    return auth::make_request("/sync/v2/" + kind, wire::encode(header, entries).value(), n.keys(), session,
                              n.clock().now_ms(), n.random());
  }
  sync::WireResponse push(const std::vector<node::Entry>& entries) {
    auto hello = hub.handle(request("hello", Json{{"heads", Json::object()}, {"cursor", 0}}));
    session = wire::decode(hello.body, 1 << 24).value().header.value("session", std::string("-"));
    std::vector<wire::WireEntry> w;
    for (const auto& e : entries) w.push_back(wire::from_entry(e));
    return hub.handle(request("push", Json::object(), w));
  }
};

}  // namespace

TEST_CASE("v2 core: an entry the hub may not admit is stored, not projected, not pulled, and alerted",
          "[v2][v2-core]") {
  CoreWorld w;
  auto& hub = w.hub_node->journal();
  // Stored: m's chain goes through it, and m's sync went through.
  REQUIRE(hub.get(w.forged.id));
  CHECK(hub.heads().at(w.points[w.m]->keys().pk) == w.forged.seq);
  auto row = hub.quarantine_row(w.forged.id);
  REQUIRE(row);
  CHECK(row->state == "held");
  CHECK(row->code == "not_in_scope");
  // Not projected.
  CHECK(state_lists(*w.hub_node, w.x1, w.intake.id));
  CHECK_FALSE(state_lists(*w.hub_node, w.x1, w.forged.id));
  // Alerted, naming the point, the entry, the code and the reason.
  Json alerts = w.hub->sync_log("m", 0)["alerts"];
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0]["kind"] == "quarantined");
  const std::string detail = alerts[0]["detail"].get<std::string>();
  for (const std::string& part : {std::string("'m'"), to_hex(w.forged.id), to_hex(w.forged.author), std::string("seq 1"),
                                  std::string("dossier.accepted"), w.x1, std::string("not_in_scope"),
                                  std::string("is not in the scope of")})
    CHECK(detail.find(part) != std::string::npos);
  // Listed for the admin, with the signed entry as evidence.
  auto list = w.hub->quarantine("held");
  REQUIRE(list.ok());
  REQUIRE(list.value()["items"].size() == 1);
  CHECK(list.value()["items"][0]["point"] == "m");
  auto shown = w.hub->quarantine_entry(to_hex(w.forged.id).substr(0, 12));
  REQUIRE(shown.ok());
  CHECK(shown.value()["entry"]["canonical"] == w.forged.canonical);
  CHECK(shown.value()["entry"]["sig"] == to_hex(w.forged.sig));
  CHECK(shown.value()["entry"]["signed"]["type"] == "dossier.accepted");
  CHECK(w.hub->quarantine("bogus").error().field == "state");
  CHECK(w.hub->quarantine_entry("xyz").error().field == "id");
  // Not pulled: the owning points sync and never see it.
  auto sa = w.sync(w.a);
  REQUIRE(sa.ok());
  REQUIRE(w.sync(w.b).ok());
  CHECK_FALSE(w.points[w.a]->journal().get(w.forged.id));
  CHECK_FALSE(w.points[w.b]->journal().get(w.forged.id));
  CHECK(w.points[w.b]->journal().get(w.intake.id));
  CHECK(w.points[w.a]->journal().subject_state(w.x1) == hub.subject_state(w.x1));
  CHECK(hub.verify().ok());
}

TEST_CASE("v2 core: a release takes the entry to the owning points and into every projection", "[v2][v2-core]") {
  CoreWorld w;
  REQUIRE(w.sync(w.a).ok());
  auto released = w.hub->decide_quarantine(to_hex(w.forged.id), true, "đã xác minh qua điện thoại", "admin.tinh");
  REQUIRE(released.ok());
  CHECK(released.value()["state"] == "released");
  CHECK(released.value()["decision"]["type"] == "quarantine.released");
  CHECK(w.hub->decide_quarantine(to_hex(w.forged.id), false, "again", "admin").error().code == "not_quarantined");
  CHECK(state_lists(*w.hub_node, w.x1, w.forged.id));
  // Both points of the area get it, with the hub's signed decision; the
  // admin's decision stands there (not held again by the point's own rules).
  for (size_t i : {w.a, w.b}) {
    auto s = w.sync(i);
    REQUIRE(s.ok());
    CHECK(s.value()["quarantined"] == 0);
    CHECK_FALSE(has_alert(alerts_of(*w.points[i]), "quarantined", to_hex(w.forged.id)));
  }
  for (size_t i : {w.a, w.b}) {
    INFO("point " << i);
    auto& j = w.points[i]->journal();
    REQUIRE(j.get(w.forged.id));
    CHECK(state_lists(*w.points[i], w.x1, w.forged.id));
    CHECK(j.subject_state(w.x1) == w.hub_node->journal().subject_state(w.x1));
    Hash32 did{};
    REQUIRE(from_hex(released.value()["decision"]["id"].get<std::string>(), did));
    auto d = j.get(did);
    REQUIRE(d);
    CHECK(d->author == w.hub_node->keys().pk);
    CHECK(d->body["by"] == "admin.tinh");
    CHECK(j.verify().ok());
  }
  // The point in area-y gets nothing more of it: it holds the copy of the
  // intake and its own entry it had, not the hub's decision.
  REQUIRE(w.sync(w.m).ok());
  Hash32 decision{};
  REQUIRE(from_hex(released.value()["decision"]["id"].get<std::string>(), decision));
  CHECK_FALSE(w.points[w.m]->journal().get(decision));
  CHECK(w.points[w.m]->journal().subject_entries(w.x1).size() == 2);
  CHECK(w.hub_node->journal().verify().ok());
}

TEST_CASE("v2 core: only a release decision signed by the hub spares an entry the point's rules", "[v2][v2-core]") {
  CoreWorld w;
  // m "releases" its own forged acceptance: a decision signed by m, not the hub.
  auto self_released = event_draft(w.x1, node::kQuarantineReleased,
                                   Json{{"entry", to_hex(w.forged.id)}, {"reason", "tự duyệt"}, {"by", "admin"}});
  auto fake = w.points[w.m]->journal().append(self_released);
  REQUIRE(fake.ok());
  auto rep = sync::ingest_pulled(*w.points[w.a], {w.forged, fake.value()});
  REQUIRE(rep.ok());
  auto& pa = w.points[w.a]->journal();
  REQUIRE(pa.quarantine_row(w.forged.id));
  CHECK(pa.quarantine_row(w.forged.id)->state == "held");
  CHECK(pa.quarantine_row(w.forged.id)->code == "not_in_scope");
  CHECK_FALSE(state_lists(*w.points[w.a], w.x1, w.forged.id));
  CHECK(has_alert(alerts_of(*w.points[w.a]), "quarantined", to_hex(w.forged.id)));
  // The hub's own decision, in the same batch, does (b holds the intake).
  REQUIRE(w.sync(w.b).ok());
  auto released = w.hub->decide_quarantine(to_hex(w.forged.id), true, "đã xác minh", "admin.tinh");
  REQUIRE(released.ok());
  Hash32 did{};
  REQUIRE(from_hex(released.value()["decision"]["id"].get<std::string>(), did));
  auto decision = w.hub_node->journal().get(did);
  REQUIRE(decision);
  auto rep_b = sync::ingest_pulled(*w.points[w.b], {w.forged, *decision});
  REQUIRE(rep_b.ok());
  CHECK(rep_b->quarantined.empty());
  CHECK(state_lists(*w.points[w.b], w.x1, w.forged.id));
  CHECK_FALSE(has_alert(alerts_of(*w.points[w.b]), "quarantined", to_hex(w.forged.id)));
}

TEST_CASE("v2 core: a rejection keeps the entry out everywhere", "[v2][v2-core]") {
  CoreWorld w;
  auto rejected = w.hub->decide_quarantine(to_hex(w.forged.id), false, "giả mạo", "admin.tinh");
  REQUIRE(rejected.ok());
  CHECK(rejected.value()["state"] == "rejected");
  CHECK(w.hub->quarantine("rejected").value()["items"].size() == 1);
  CHECK(w.hub->quarantine("held").value()["items"].empty());
  CHECK(w.hub->decide_quarantine(to_hex(w.forged.id), true, "changed my mind", "admin").error().code ==
        "not_quarantined");
  REQUIRE(w.sync(w.a).ok());
  auto& pa = w.points[w.a]->journal();
  CHECK_FALSE(pa.get(w.forged.id));
  CHECK_FALSE(state_lists(*w.hub_node, w.x1, w.forged.id));
  CHECK(pa.subject_state(w.x1) == w.hub_node->journal().subject_state(w.x1));
  CHECK(pa.verify().ok());
  CHECK(w.hub_node->journal().verify().ok());
}

TEST_CASE("v2 core: bundles carry quarantine too: a point's bundle is quarantined at import, a hub bundle leaves it out "
          "until released", "[v2][v2-core][bundle]") {
  SyncWorld w;
  size_t a = w.add_point("a", "area-x");
  size_t m = w.add_point("m", "area-y");
  auto x1 = w.take_in(a);
  REQUIRE(w.sync(a).ok());
  w.clock.advance(60'000);
  // m (area-y) holds a copy of a's intake and signs on top of it: not in its scope.
  REQUIRE(w.points[m]->journal().ingest_sparse({x1}).ok());
  auto forged = w.act(m, x1.subject, "dossier.accepted", Json{{"forged", true}});
  // m's entry reaches the hub on a USB stick.
  const std::string up = w.dir.sub("m-up.motcua");
  REQUIRE(sync::export_point_bundle(*w.points[m], up).ok());
  auto imported = sync::import_point_bundle(*w.hub, *w.hub_node, up);
  REQUIRE(imported.ok());
  REQUIRE(w.hub_node->journal().get(forged.id));
  CHECK(w.hub_node->journal().quarantine_row(forged.id)->state == "held");
  CHECK(has_alert(w.hub->sync_log("m", 0)["alerts"], "quarantined", to_hex(forged.id)));
  // A bundle for a leaves it out.
  const std::string down = w.dir.sub("a-down.motcua");
  REQUIRE(sync::export_hub_bundle(*w.hub, *w.hub_node, "a", down).ok());
  REQUIRE(sync::import_hub_bundle(*w.points[a], down).ok());
  CHECK_FALSE(w.points[a]->journal().get(forged.id));
  // Released: the next bundle carries it, with the decision.
  REQUIRE(w.hub->decide_quarantine(to_hex(forged.id), true, "ok", "admin").ok());
  const std::string down2 = w.dir.sub("a-down2.motcua");
  REQUIRE(sync::export_hub_bundle(*w.hub, *w.hub_node, "a", down2).ok());
  auto in2 = sync::import_hub_bundle(*w.points[a], down2);
  REQUIRE(in2.ok());
  CHECK(in2.value()["quarantined"] == 0);
  CHECK(w.points[a]->journal().get(forged.id));
  CHECK(state_lists(*w.points[a], x1.subject, forged.id));
  CHECK(state_lists(*w.points[a], x1.subject, x1.id));
  CHECK(w.points[a]->journal().subject_state(x1.subject) == w.hub_node->journal().subject_state(x1.subject));
  CHECK(w.points[a]->journal().verify().ok());
}

TEST_CASE("v2 core: an entry with a parent outside the point's scope no longer wedges the area's points",
          "[v2][v2-core]") {
  // The hub's rules off: they would hold f's entry (foreign_parent) and never
  // send it. This is about a point ingesting an entry a hub sent anyway.
  SyncWorld w(1, scope_projector, true, /*admission=*/false);
  size_t a = w.add_point("a", "area-x");
  size_t b = w.add_point("b", "area-x");
  size_t f = w.add_point("f", "area-x");
  size_t c = w.add_point("c", "area-y");
  auto y1 = w.take_in(c);
  REQUIRE(w.sync(c).ok());
  auto x1 = w.take_in(a);
  REQUIRE(w.sync(a).ok());
  REQUIRE(w.sync(f).ok());
  REQUIRE(w.points[f]->journal().get(x1.id));
  // f's modified software names a foreign dossier's entry as a causal parent.
  w.clock.advance(60'000);
  auto honest = w.act(f, x1.subject, node::events::kProcessingStarted);
  node::Entry bad = honest;
  bad.parents = {x1.id, y1.id};
  std::sort(bad.parents.begin(), bad.parents.end());
  REQUIRE(node::seal_entry(bad, w.points[f]->keys().sk).ok());
  RawPusher raw{*w.points[f], *w.hub};
  auto pushed = raw.push({bad});
  REQUIRE(pushed.status == 200);
  REQUIRE(w.hub_node->journal().get(bad.id));
  // Under v1 this pull refused the whole batch with unknown_parent, at
  // every sync, for every point of the area:
  {
    TempDir scratch("wedge");
    auto old = make_node(scratch.sub("n"), w.clock, w.rng, node::Role::Point, "old", scope_projector);
    CHECK(old->journal().ingest_sparse({x1, bad}).error().code == "unknown_parent");
  }
  auto s1 = w.sync(b);
  REQUIRE(s1.ok());
  CHECK(s1.value()["quarantined"] == 1);
  CHECK(s1.value()["skipped"] == 0);
  auto& pb = w.points[b]->journal();
  REQUIRE(pb.get(bad.id));
  CHECK(pb.quarantine_row(bad.id)->code == "unknown_parent");
  CHECK_FALSE(state_lists(*w.points[b], x1.subject, bad.id));
  CHECK(state_lists(*w.points[b], x1.subject, x1.id));
  CHECK(has_alert(alerts_of(*w.points[b]), "quarantined", to_hex(bad.id)));
  // The pull goes on: later entries of the area arrive.
  auto x2 = w.take_in(a);
  REQUIRE(w.sync(a).ok());
  auto s2 = w.sync(b);
  REQUIRE(s2.ok());
  CHECK(pb.get(x2.id));
  CHECK(s2.value()["quarantined"] == 0);
  CHECK(pb.verify().ok());
  // And the point's own work still reaches the hub.
  w.take_in(b);
  auto s3 = w.sync(b);
  REQUIRE(s3.ok());
  CHECK(s3.value()["entries_up"] == 1);
}

TEST_CASE("v2 core: a pulled batch with one badly signed entry stores the others and the pull goes on",
          "[v2][v2-core]") {
  SyncWorld w;
  size_t a = w.add_point("a", "area-x");
  size_t b = w.add_point("b", "area-x");
  std::vector<node::Entry> es;
  for (int i = 0; i < 3; ++i) es.push_back(w.take_in(a));
  REQUIRE(w.sync(a).ok());
  ChangingTransport t(*w.hub, *w.hub_node);
  t.change = [&](wire::Decoded& d) {
    for (auto& e : d.entries)
      if (e.id == es[1].id) e.sig[7] ^= 0x20;
  };
  auto r = sync::sync_once(*w.points[b], t);
  REQUIRE(r.ok());
  CHECK(r.value()["skipped"] == 1);
  CHECK(r.value()["entries_down"] == 2);
  auto& pb = w.points[b]->journal();
  CHECK(pb.get(es[0].id));
  CHECK_FALSE(pb.get(es[1].id));
  CHECK(pb.get(es[2].id));
  CHECK(pb.verify().ok());
  CHECK(has_alert(alerts_of(*w.points[b]), "skipped", "bad_signature"));
  // The cursor moved on: the next sync is clean.
  t.change = nullptr;
  auto again = sync::sync_once(*w.points[b], t);
  REQUIRE(again.ok());
  CHECK(again.value()["skipped"] == 0);
  CHECK(again.value()["entries_down"] == 0);
}

TEST_CASE("v2 core: an entry that reached a point before its parent is held, then released when the parent arrives",
          "[v2][v2-core]") {
  SyncWorld w;
  size_t a = w.add_point("a", "area-x");
  size_t b = w.add_point("b", "area-x");
  auto x1 = w.take_in(a);
  w.clock.advance(1000);
  auto x1b = w.act(a, x1.subject, node::events::kProcessingStarted);
  auto rep = sync::ingest_pulled(*w.points[b], {x1b});
  REQUIRE(rep.ok());
  REQUIRE(rep->quarantined.size() == 1);
  CHECK(rep->quarantined[0].code == "unknown_parent");
  REQUIRE(w.sync(a).ok());
  REQUIRE(w.sync(b).ok());
  auto& pb = w.points[b]->journal();
  CHECK(pb.quarantine_row(x1b.id)->state == "released");
  CHECK(state_lists(*w.points[b], x1.subject, x1b.id));
  CHECK(state_lists(*w.points[b], x1.subject, x1.id));
  CHECK(pb.subject_state(x1.subject) == w.hub_node->journal().subject_state(x1.subject));
  CHECK(pb.verify().ok());
}

namespace {
// A hub daemon for the admin routes.
struct QuarantineHubDaemon {
  TempDir dir{"qhub"};
  ManualClock clock{kTuesdayMorningMs};
  SeededRandom rng{44};
  std::unique_ptr<node::Node> node, writer;
  std::unique_ptr<sync::Daemon> daemon;
  std::thread runner;
  int port = 0;
  node::Entry held;

  QuarantineHubDaemon() {
    node = make_node(dir.sub("hub"), clock, rng, node::Role::Hub, "hub", scope_projector);
    node::UserStore users(node->db(), clock, rng, true);
    for (auto [name, role] : std::vector<std::pair<std::string, node::UserRole>>{{"clerk1", node::UserRole::Clerk},
                                                                                 {"admin1", node::UserRole::Admin}})
      if (!users.add_user(name, role, name + "-password").ok()) throw std::runtime_error("add_user");
    writer = make_node(dir.sub("w"), clock, rng, node::Role::Point, "w", scope_projector);
    auto es = writer->journal().append_batch({intake_draft("X-1", "w", "area-x"),
                                              event_draft("X-1", "dossier.accepted", Json{{"forged", true}})});
    if (!es.ok()) throw std::runtime_error("append");
    held = es.value()[1];
    node::IngestOptions o;
    o.admit = forged_rule;
    auto r = node->journal().ingest(es.value(), o);
    if (!r.ok() || r->quarantined.size() != 1) throw std::runtime_error("ingest");
    sync::DaemonOptions opt;
    opt.host = "127.0.0.1";
    opt.port = 0;
    opt.fast_password_hash = true;
    opt.background_sync = false;
    opt.threads = 4;
    opt.log = [](const std::string&) {};
    daemon = std::make_unique<sync::Daemon>(*node, opt);
    auto b = daemon->bind();
    if (!b.ok()) throw std::runtime_error(b.error().message);
    port = daemon->port();
    runner = std::thread([this] { (void)daemon->run(); });
  }
  ~QuarantineHubDaemon() {
    daemon->stop();
    runner.join();
    daemon.reset();
  }
  std::unique_ptr<httplib::Client> client() {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port);
    c->set_read_timeout(20);
    return c;
  }
  httplib::Headers login(const std::string& user) {
    auto r = client()->Post("/api/v1/sessions", Json{{"username", user}, {"password", user + "-password"}}.dump(),
                            "application/json");
    if (!r || r->status != 200) throw std::runtime_error("login failed for " + user);
    return DaemonFixture::bearer(Json::parse(r->body)["token"].get<std::string>());
  }
};

void refused(const httplib::Result& r, int status, const std::string& code, const std::string& field = "") {
  REQUIRE(r);
  INFO(r->body);
  CHECK(r->status == status);
  Json e = body_json(r)["error"];
  CHECK(e["code"] == code);
  if (!field.empty()) CHECK(e["field"] == field);
}
}  // namespace

TEST_CASE("v2 core: the quarantine admin routes list, show, release and reject, and refuse bad input",
          "[v2][v2-core][http]") {
  QuarantineHubDaemon h;
  auto admin = h.login("admin1");
  auto clerk = h.login("clerk1");
  auto c = h.client();
  const std::string id = to_hex(h.held.id);
  const std::string json = "application/json";

  auto list = c->Get("/api/v1/quarantine?state=held", admin);
  REQUIRE(list);
  REQUIRE(list->status == 200);
  Json items = body_json(list)["items"];
  REQUIRE(items.size() == 1);
  CHECK(items[0]["id"] == id);
  CHECK(items[0]["state"] == "held");
  CHECK(items[0]["code"] == "not_in_scope");
  CHECK(items[0]["subject"] == "X-1");
  auto one = c->Get("/api/v1/quarantine/" + id, admin);
  REQUIRE(one);
  REQUIRE(one->status == 200);
  CHECK(body_json(one)["entry"]["canonical"] == h.held.canonical);
  CHECK(body_json(one)["entry"]["sig"] == to_hex(h.held.sig));

  // Bad input: named field, 4xx, nothing changes.
  refused(c->Get("/api/v1/quarantine", clerk), 403, "forbidden");
  refused(c->Get("/api/v1/quarantine?state=maybe", admin), 400, "invalid_value", "state");
  refused(c->Get("/api/v1/quarantine/not-hex", admin), 400, "invalid_value", "id");
  refused(c->Get("/api/v1/quarantine/" + std::string(64, 'a'), admin), 404, "not_found");
  refused(c->Post("/api/v1/quarantine/" + id + "/release", admin, "{}", json), 400, "missing_field", "reason");
  refused(c->Post("/api/v1/quarantine/" + id + "/release", admin, R"({"reason":"   "})", json), 400, "missing_field",
          "reason");
  refused(c->Post("/api/v1/quarantine/" + id + "/release", admin, R"({"reason":5})", json), 400, "wrong_type", "reason");
  refused(c->Post("/api/v1/quarantine/" + id + "/release", admin, R"({"reason":"ok","by":"x"})", json), 400,
          "unknown_field", "by");
  refused(c->Post("/api/v1/quarantine/" + id + "/release", admin, "not json", json), 400, "invalid_json");
  refused(c->Post("/api/v1/quarantine/zz/release", admin, R"({"reason":"ok"})", json), 400, "invalid_value", "id");
  refused(c->Post("/api/v1/quarantine/" + id + "/release", clerk, R"({"reason":"ok"})", json), 403, "forbidden");
  CHECK(h.node->journal().quarantine_row(h.held.id)->state == "held");
  const int64_t before = h.node->journal().count();

  SECTION("release") {
    auto r = c->Post("/api/v1/quarantine/" + id + "/release", admin, R"({"reason":"đã xác minh"})", json);
    REQUIRE(r);
    INFO(r->body);
    REQUIRE(r->status == 200);
    CHECK(body_json(r)["state"] == "released");
    CHECK(body_json(r)["decision"]["type"] == "quarantine.released");
    CHECK(h.node->journal().count() == before + 1);
    Hash32 did{};
    REQUIRE(from_hex(body_json(r)["decision"]["id"].get<std::string>(), did));
    auto d = h.node->journal().get(did);
    REQUIRE(d);
    CHECK(d->author == h.node->keys().pk);
    CHECK(d->body["by"] == "admin1");
    CHECK(d->body["reason"] == "đã xác minh");
    refused(c->Post("/api/v1/quarantine/" + id + "/reject", admin, R"({"reason":"x"})", json), 409, "not_quarantined");
  }
  SECTION("reject") {
    auto r = c->Post("/api/v1/quarantine/" + id + "/reject", admin, R"({"reason":"giả mạo"})", json);
    REQUIRE(r);
    REQUIRE(r->status == 200);
    CHECK(body_json(r)["state"] == "rejected");
    auto rows = c->Get("/api/v1/quarantine?state=rejected", admin);
    CHECK(body_json(rows)["items"].size() == 1);
  }
  CHECK(h.node->journal().verify().ok());
}

TEST_CASE("v2 core: the quarantine routes answer not_a_hub on a point", "[v2][v2-core][http]") {
  DaemonFixture f;
  auto admin = DaemonFixture::bearer(f.login("admin1"));
  refused(f.client()->Get("/api/v1/quarantine", admin), 409, "not_a_hub");
  refused(f.client()->Post("/api/v1/quarantine/" + std::string(64, 'a') + "/release", admin, R"({"reason":"x"})",
                           "application/json"),
          409, "not_a_hub");
}

TEST_CASE("v2 core: motcua quarantine list, show, release and reject on a hub", "[v2][v2-core][cli]") {
  TempDir dir("qcli");
  ManualClock clock(kTuesdayMorningMs);
  SeededRandom rng(45);
  std::string held_hex, other_hex;
  {
    auto hub = make_node(dir.sub("hub"), clock, rng, node::Role::Hub, "hub", scope_projector);
    auto writer = make_node(dir.sub("w"), clock, rng, node::Role::Point, "w", scope_projector);
    auto es = writer->journal().append_batch({intake_draft("X-1", "w", "area-x"), intake_draft("X-2", "w", "area-x"),
                                              event_draft("X-1", "dossier.accepted", Json{{"forged", true}}),
                                              event_draft("X-2", "dossier.accepted", Json{{"forged", true}})});
    REQUIRE(es.ok());
    node::IngestOptions o;
    o.admit = forged_rule;
    REQUIRE(hub->journal().ingest(es.value(), o)->quarantined.size() == 2);
    held_hex = to_hex(es.value()[2].id);
    other_hex = to_hex(es.value()[3].id);
  }
  const std::string dd = " --data-dir '" + dir.sub("hub") + "'";
  int st = -1;
  std::string out = run_motcua("quarantine list --state held" + dd, &st);
  CHECK(st == 0);
  CHECK(out.find(held_hex.substr(0, 16)) != std::string::npos);
  CHECK(out.find("not_in_scope") != std::string::npos);
  out = run_motcua("quarantine show " + held_hex.substr(0, 10) + dd, &st);
  CHECK(st == 0);
  CHECK(out.find("\"canonical\"") != std::string::npos);
  out = run_motcua("quarantine release " + held_hex + dd, &st);
  CHECK(st == 2);  // --reason is required
  out = run_motcua("quarantine release " + held_hex + " --reason 'đã xác minh' --by admin.tinh" + dd, &st);
  CHECK(st == 0);
  CHECK(out.find("released") != std::string::npos);
  out = run_motcua("quarantine reject " + held_hex + " --reason again" + dd, &st);
  CHECK(st == 1);
  CHECK(out.find("not_quarantined") != std::string::npos);
  out = run_motcua("quarantine reject " + other_hex.substr(0, 12) + " --reason 'giả mạo'" + dd, &st);
  CHECK(st == 0);
  out = run_motcua("quarantine list --state held" + dd, &st);
  CHECK(out.find("no entry in quarantine") != std::string::npos);
  out = run_motcua("quarantine list --state maybe" + dd, &st);
  CHECK(st == 2);
  out = run_motcua("verify" + dd, &st);
  CHECK(st == 0);
}
