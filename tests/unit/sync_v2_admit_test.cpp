// Admission (docs/sync-protocol.md, "Admission"): who may write what. The
// rules directly, the registry, point add --agency/--acts, revocation, and
// the attacks of issue 10 through a real hub and points.
#include <catch2/catch.hpp>

#include "admission.hpp"
#include "motcua/node/dossiers.hpp"
#include "sync_auth.hpp"
#include "sync_codec.hpp"
#include "motcua/node/dossiers.hpp"
#include "motcua/sync/hub_store.hpp"
#include "sync_test_util.hpp"

using namespace motcua;
using namespace motcua::test;

namespace {

PublicKey key_of(uint8_t b) {
  PublicKey k{};
  k.fill(b);
  return k;
}

Hash32 id_of(uint8_t b) {
  Hash32 h{};
  h.fill(b);
  return h;
}

sync::RegisteredPoint reg_point(const std::string& name, uint8_t k, const std::string& area,
                                std::vector<std::string> acts = sync::counter_acts()) {
  sync::RegisteredPoint p;
  p.name = name;
  p.key = key_of(k);
  p.area = area;
  p.agency_code = "000.00.01.H22";
  p.acts = std::move(acts);
  p.status = "active";
  return p;
}

// A hub (key 0xEE), point "a" (0xA1, area an-thi, numbers 1-100 of 250701),
// post office "po" (0xB1, area an-thi, counter acts) and point "c" (0xC1, area kim-dong).
sync::Rules rules_for_tests(node::Role role = node::Role::Hub) {
  sync::Rules r;
  r.registry.hub = key_of(0xEE);
  for (auto p : {reg_point("a", 0xA1, "an-thi", sync::parse_acts("all").value()), reg_point("po", 0xB1, "an-thi"),
                 reg_point("c", 0xC1, "kim-dong")})
    r.registry.points[p.key] = p;
  r.role = role;
  r.self = key_of(0x55);
  if (role == node::Role::Hub)
    r.leases = [](const std::string& point, const std::string& day) {
      std::vector<std::pair<int, int>> out;
      if (day == "250701" && point == "a") out.push_back({1, 100});
      if (day == "250701" && point == "c") out.push_back({101, 200});
      return out;
    };
  return r;
}

node::Entry entry(uint8_t author, int64_t seq, const std::string& type, const std::string& subject, Json body = Json::object(),
                  std::vector<Hash32> parents = {}) {
  node::Entry e;
  e.author = key_of(author);
  e.seq = seq;
  e.type = type;
  e.subject = subject;
  e.body = std::move(body);
  e.parents = std::move(parents);
  e.id = id_of(static_cast<uint8_t>(author + seq));
  return e;
}

Json intake_body(const std::string& origin, const std::string& area) {
  return Json{{"origin_point", origin}, {"area", area}, {"return_point", origin}};
}

// judge() over `history` (the subject's admitted entries) with the scope projector's state.
std::optional<sync::Refusal> judge(const sync::Rules& r, const node::Entry& e, const std::vector<node::Entry>& history = {}) {
  return sync::judge(
      r, e, [&]() -> const std::vector<node::Entry>& { return history; },
      [&]() { return history.empty() ? Json() : scope_projector(e.subject, history); });
}

std::string code_of(const std::optional<sync::Refusal>& r) { return r ? r->code : std::string("admitted"); }

const std::string kCode = "000.00.01.H22-250701-0007";  // in a's block

}  // namespace

TEST_CASE("admission: dossier codes and acts are parsed strictly", "[v2][v2-admit]") {
  const std::string pat = "{agency}-{yymmdd}-{seq4}";
  auto c = sync::parse_code(pat, "000.00.01.H22", kCode);
  REQUIRE(c);
  CHECK(c->first == "250701");
  CHECK(c->second == 7);
  CHECK(!sync::parse_code(pat, "000.00.02.H22", kCode));                      // another agency
  CHECK(!sync::parse_code(pat, "000.00.01.H22", kCode + "x"));                // trailing text
  CHECK(!sync::parse_code(pat, "000.00.01.H22", "000.00.01.H22-25070-00007"));  // wrong widths
  CHECK(!sync::parse_code(pat, "000.00.01.H22", "000.00.01.H22-250701-0000"));  // number 0
  CHECK(!sync::parse_code(pat, "000.00.01.H22", "X-1"));

  CHECK(sync::parse_acts("").value() == sync::counter_acts());
  CHECK(sync::parse_acts("counter").value() == sync::counter_acts());
  auto all = sync::parse_acts("all").value();
  CHECK(all.size() == sync::counter_acts().size() + sync::officer_acts().size());
  CHECK(sync::parse_acts("officer").value() == all);
  auto list = sync::parse_acts("dossier.submitted, handed_over").value();
  CHECK(list == std::vector<std::string>{"dossier.submitted", "dossier.handed_over"});
  auto bad = sync::parse_acts("dossier.submitted,dossier.sign_anything");
  REQUIRE(!bad.ok());
  CHECK(bad.error().code == "invalid_value");
  CHECK(bad.error().field == "acts");
}

TEST_CASE("admission rule 1: the author is a registered point, not quarantined, not past its revocation",
          "[v2][v2-admit]") {
  auto r = rules_for_tests();
  const auto intake = entry(0xA1, 1, node::events::kSubmitted, kCode, intake_body("a", "an-thi"));
  CHECK(code_of(judge(r, intake)) == "admitted");
  // The hub's own entries and the node's own are admitted whatever they are.
  CHECK(code_of(judge(r, entry(0xEE, 9, "anything.at_all", "x"))) == "admitted");
  CHECK(code_of(judge(r, entry(0x55, 9, "anything.at_all", "x"))) == "admitted");
  CHECK(code_of(judge(r, entry(0x77, 1, node::events::kSubmitted, kCode, intake_body("a", "an-thi")))) ==
        "unknown_author");

  r.registry.points[key_of(0xA1)].status = "quarantined";
  CHECK(code_of(judge(r, intake)) == "author_quarantined");

  auto& a = r.registry.points[key_of(0xA1)];
  a.status = "revoked";
  a.revoked_seq = 4;
  a.revoked_id = id_of(0xA1 + 4);
  CHECK(code_of(judge(r, entry(0xA1, 3, node::events::kSubmitted, kCode, intake_body("a", "an-thi")))) == "admitted");
  CHECK(code_of(judge(r, entry(0xA1, 4, node::events::kSubmitted, kCode, intake_body("a", "an-thi")))) == "admitted");
  auto later = judge(r, entry(0xA1, 5, node::events::kSubmitted, kCode, intake_body("a", "an-thi")));
  CHECK(code_of(later) == "revoked_author");
  CHECK(later->reason.find("point 'a'") != std::string::npos);
  // Another entry at the revoked seq (a fork made after the revocation) is not the one recorded.
  auto forked = entry(0xA1, 4, node::events::kSubmitted, kCode, intake_body("a", "an-thi"));
  forked.id = id_of(0x01);
  CHECK(code_of(judge(r, forked)) == "revoked_author");
}

TEST_CASE("admission rule 2: an intake only for a leased code of the author's agency, origin and area",
          "[v2][v2-admit]") {
  auto r = rules_for_tests();
  auto intake = [](const std::string& code, const std::string& origin, const std::string& area) {
    return entry(0xA1, 1, node::events::kSubmitted, code, intake_body(origin, area));
  };
  CHECK(code_of(judge(r, intake(kCode, "a", "an-thi"))) == "admitted");
  // Another point's number (c holds 101-200), another day, another agency.
  CHECK(code_of(judge(r, intake("000.00.01.H22-250701-0150", "a", "an-thi"))) == "code_not_leased");
  CHECK(code_of(judge(r, intake("000.00.01.H22-250601-0007", "a", "an-thi"))) == "code_not_leased");
  CHECK(code_of(judge(r, intake("000.00.09.H22-250701-0007", "a", "an-thi"))) == "code_not_leased");
  CHECK(code_of(judge(r, intake("HS-1", "a", "an-thi"))) == "code_not_leased");
  CHECK(code_of(judge(r, intake(kCode, "c", "an-thi"))) == "origin_mismatch");
  CHECK(code_of(judge(r, intake(kCode, "a", "kim-dong"))) == "area_mismatch");
  // A second intake of the same dossier.
  const auto first = entry(0xA1, 1, node::events::kSubmitted, kCode, intake_body("a", "an-thi"));
  CHECK(code_of(judge(r, entry(0xA1, 2, node::events::kSubmitted, kCode, intake_body("a", "an-thi")), {first})) ==
        "duplicate_intake");
  // A point cannot see other points' leases: it checks agency, origin and area only.
  auto at_point = rules_for_tests(node::Role::Point);
  CHECK(code_of(judge(at_point, intake("000.00.01.H22-250701-0150", "a", "an-thi"))) == "admitted");
  CHECK(code_of(judge(at_point, intake("000.00.09.H22-250701-0150", "a", "an-thi"))) == "code_not_leased");
  CHECK(code_of(judge(at_point, intake(kCode, "a", "kim-dong"))) == "area_mismatch");
}

TEST_CASE("admission rule 3: other acts need a parent of the same dossier, scope and the act", "[v2][v2-admit]") {
  auto r = rules_for_tests();
  const auto intake = entry(0xA1, 1, node::events::kSubmitted, kCode, intake_body("a", "an-thi"));
  const std::vector<node::Entry> history{intake};
  auto act = [&](uint8_t author, const std::string& type, std::vector<Hash32> parents) {
    return entry(author, 2, type, kCode, Json::object(), std::move(parents));
  };
  CHECK(code_of(judge(r, act(0xA1, node::events::kAccepted, {intake.id}), history)) == "admitted");
  CHECK(code_of(judge(r, act(0xA1, node::events::kAccepted, {}), history)) == "no_parent");
  CHECK(code_of(judge(r, act(0xA1, node::events::kAccepted, {intake.id, id_of(0x42)}), history)) == "foreign_parent");
  // The post office of the same area may hand over, not accept.
  CHECK(code_of(judge(r, act(0xB1, node::events::kHandedOver, {intake.id}), history)) == "admitted");
  auto officer = judge(r, act(0xB1, node::events::kAccepted, {intake.id}), history);
  CHECK(code_of(officer) == "act_not_allowed");
  CHECK(officer->reason.find("dossier.accepted") != std::string::npos);
  // Point c serves another area.
  CHECK(code_of(judge(r, act(0xC1, node::events::kUpdated, {intake.id}), history)) == "not_in_scope");
  // ... unless the dossier's result is to be returned at c.
  auto to_c = entry(0xA1, 2, node::events::kUpdated, kCode, Json{{"return_point", "c"}}, {intake.id});
  CHECK(code_of(judge(r, act(0xC1, node::events::kHandedOver, {to_c.id}), {intake, to_c})) == "admitted");
  // No admitted history at all: nothing is in anyone's scope.
  CHECK(code_of(judge(r, act(0xA1, node::events::kUpdated, {intake.id}), {})) == "foreign_parent");
}

TEST_CASE("admission rule 4: reference data passes, anything else is refused", "[v2][v2-admit]") {
  auto r = rules_for_tests();
  CHECK(code_of(judge(r, entry(0xA1, 1, "reference.catalogue_imported", "reference.catalogue"))) == "admitted");
  CHECK(code_of(judge(r, entry(0xA1, 1, "reference.catalogue_imported", kCode))) == "type_not_allowed");
  CHECK(code_of(judge(r, entry(0xA1, 1, "user.created", "user.admin"))) == "type_not_allowed");
  CHECK(code_of(judge(r, entry(0xA1, 1, "quarantine.released", kCode))) == "type_not_allowed");
}

TEST_CASE("admission: the registry travels as JSON and its hash moves with a revocation", "[v2][v2-admit]") {
  auto r = rules_for_tests().registry;
  const std::string h0 = r.hash();
  auto back = sync::Registry::from_json(r.hub, r.points_json());
  REQUIRE(back.ok());
  CHECK(back->hash() == h0);
  CHECK(back->find(key_of(0xB1))->acts == sync::counter_acts());
  CHECK(r.revocations_json().empty());
  auto& a = r.points[key_of(0xA1)];
  a.status = "revoked";
  a.revoked_seq = 3;
  a.revoked_id = id_of(9);
  CHECK(r.hash() != h0);
  REQUIRE(r.revocations_json().size() == 1);
  CHECK(r.revocations_json()[0]["revoked_seq"] == 3);
  back = sync::Registry::from_json(r.hub, r.points_json());
  REQUIRE(back.ok());
  CHECK(back->find(key_of(0xA1))->revoked_id == id_of(9));
  CHECK(!sync::Registry::from_json(r.hub, Json{{{"name", "x"}}}).ok());
  CHECK(!sync::Registry::from_json(r.hub, Json::object()).ok());
}

// ---------------------------------------------------------------------------
// The attacks of issue 10, through a real hub and points.


namespace {

// A world with the rules on: points a (an-thi, every act), po (an-thi, a post
// office with the counter's acts) and c (kim-dong). Leases of 250701: a 1-100,
// po 101-200, c 201-300.
struct AdmitWorld {
  SyncWorld w{7};
  size_t a = 0, po = 0, c = 0;
  AdmitWorld() {
    a = add("a", "an-thi", {"all"});
    po = add("po", "an-thi", {});
    c = add("c", "kim-dong", {});
  }
  size_t add(const std::string& name, const std::string& area, std::vector<std::string> acts) {
    return w.add_point(name, area, 100, nullptr, std::move(acts));  // empty acts: the counter's
  }
  node::Node& hub() { return *w.hub_node; }
  node::Node& p(size_t i) { return *w.points[i]; }
  void sync_ok(size_t i) {
    auto r = w.sync(i);
    INFO((r.ok() ? r->dump() : r.error().message));
    REQUIRE(r.ok());
  }
  // The hub's held quarantine rows with `code`.
  std::vector<node::QuarantineRow> held(const std::string& code) {
    std::vector<node::QuarantineRow> out;
    for (const auto& q : hub().journal().quarantine("held"))
      if (q.code == code) out.push_back(q);
    return out;
  }
  // A push as a bundle carries it (no session), signed by point `i`.
  sync::WireResponse offline_push(size_t i, const std::vector<node::Entry>& entries) {
    std::vector<sync::wire::WireEntry> wire;
    for (const auto& e : entries) wire.push_back(sync::wire::from_entry(e));
    auto body = sync::wire::encode(Json{{"type", "push"}, {"v", 2}}, wire);
    REQUIRE(body.ok());
    auto req = sync::auth::make_request("/sync/v2/push", body.value(), p(i).keys(), "-", w.clock.now_ms(), w.rng);
    return w.hub->handle_offline(req);
  }
  // The hub's alerts of kind `kind` whose detail mentions `needle`.
  int alerts(const std::string& kind, const std::string& needle) {
    int n = 0;
    const Json log = w.hub->sync_log("", 0);
    for (const auto& al : log["alerts"])
      if (al["kind"] == kind && al["detail"].get<std::string>().find(needle) != std::string::npos) ++n;
    return n;
  }
};

std::string code_no(int n, const std::string& day = "250701") {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04d", n);
  return "000.00.01.H22-" + day + "-" + buf;
}

// A copy of `from`'s entries of `subject` into `to`'s journal (what modified
// software holding them could sign on top of).
void copy_subject(node::Node& from, node::Node& to, const std::string& subject) {
  REQUIRE(to.journal().ingest_sparse(from.journal().subject_entries(subject)).ok());
}

}  // namespace

TEST_CASE("attack: a backdated intake with another point's code and area is quarantined, others keep syncing",
          "[v2][v2-admit][attack]") {
  AdmitWorld t;
  // a takes a real dossier in; c (kim-dong) forges one of a's numbers, backdated, in a's area.
  REQUIRE(t.p(t.a).journal().append(intake_draft(code_no(1), "a", "an-thi")).ok());
  t.sync_ok(t.a);
  auto forged = intake_draft(code_no(5, "250630"), "a", "an-thi");
  REQUIRE(t.p(t.c).journal().append(forged).ok());
  auto own_area = intake_draft(code_no(205), "c", "an-thi");  // c's own number, another area
  REQUIRE(t.p(t.c).journal().append(own_area).ok());
  REQUIRE(t.p(t.c).journal().append(intake_draft(code_no(206), "c", "kim-dong")).ok());  // legitimate
  t.sync_ok(t.c);
  CHECK(t.held("code_not_leased").size() == 1);
  CHECK(t.held("area_mismatch").size() == 1);
  CHECK(t.alerts("quarantined", "code_not_leased") >= 1);
  CHECK(t.alerts("quarantined", "area_mismatch") >= 1);
  // Out of the projection; the legitimate one is in.
  CHECK(!t.hub().journal().subject_state(code_no(5, "250630")));
  CHECK(!t.hub().journal().subject_state(code_no(205)));
  CHECK(t.hub().journal().subject_state(code_no(206)));
  // a and po (an-thi) keep syncing and never see the forged dossiers.
  t.sync_ok(t.a);
  t.sync_ok(t.po);
  CHECK(t.p(t.po).journal().subject_state(code_no(1)));
  for (size_t i : {t.a, t.po}) {
    CHECK(t.p(i).journal().subject_entries(code_no(5, "250630")).empty());
    CHECK(t.p(i).journal().subject_entries(code_no(205)).empty());
  }
  // c goes on: its next intake is admitted.
  REQUIRE(t.p(t.c).journal().append(intake_draft(code_no(207), "c", "kim-dong")).ok());
  t.sync_ok(t.c);
  CHECK(t.hub().journal().subject_state(code_no(207)));
}

TEST_CASE("attack: a post office signs an officer's acceptance on another area's dossier: quarantined, never reaches "
          "the owner",
          "[v2][v2-admit][attack]") {
  AdmitWorld t;
  const std::string mine = code_no(201), theirs = code_no(2);
  REQUIRE(t.p(t.c).journal().append(intake_draft(mine, "c", "kim-dong")).ok());
  REQUIRE(t.p(t.a).journal().append(intake_draft(theirs, "a", "an-thi")).ok());
  t.sync_ok(t.c);
  t.sync_ok(t.a);
  t.sync_ok(t.po);  // po holds a's dossier (same area)
  const auto hub_before = t.hub().journal().subject_state(mine);
  const auto a_dossier_before = t.hub().journal().subject_state(theirs);
  // The post office's modified software holds c's intake and signs on top of it under a made-up user.
  copy_subject(t.p(t.c), t.p(t.po), mine);
  auto accept = event_draft(mine, node::events::kAccepted, {{"note", "tiếp nhận"}});
  accept.user = "made-up-officer";
  REQUIRE(t.p(t.po).journal().append(accept).ok());
  // And an acceptance of a dossier of its own area: an act it may not sign.
  REQUIRE(t.p(t.po).journal().append(event_draft(theirs, node::events::kAccepted)).ok());
  // A handover of its own area's dossier is its job.
  REQUIRE(t.p(t.po).journal().append(event_draft(theirs, node::events::kHandedOver)).ok());
  t.sync_ok(t.po);
  CHECK(t.held("not_in_scope").size() == 1);
  CHECK(t.held("act_not_allowed").size() == 1);
  CHECK(t.alerts("quarantined", "not_in_scope") >= 1);
  CHECK(t.alerts("quarantined", "act_not_allowed") >= 1);
  CHECK(t.hub().journal().subject_state(mine) == hub_before);
  // The handover is admitted; it names the acceptance as its parent, which is held,
  // so it waits with it (parent_quarantined) — the dossier is unchanged either way.
  CHECK(t.hub().journal().subject_state(theirs) == a_dossier_before);
  // The owner syncs on and never sees the acceptance.
  t.sync_ok(t.c);
  for (const auto& e : t.p(t.c).journal().subject_entries(mine)) CHECK(e.type != node::events::kAccepted);
  t.sync_ok(t.a);
  for (const auto& e : t.p(t.a).journal().subject_entries(theirs)) CHECK(e.type != node::events::kAccepted);
}

TEST_CASE("attack: an act naming a parent of another dossier is quarantined foreign_parent", "[v2][v2-admit][attack]") {
  AdmitWorld t;
  const std::string d1 = code_no(3), d2 = code_no(4);
  REQUIRE(t.p(t.a).journal().append(intake_draft(d1, "a", "an-thi")).ok());
  auto other = t.p(t.a).journal().append(intake_draft(d2, "a", "an-thi"));
  REQUIRE(other.ok());
  t.sync_ok(t.a);
  // a's modified software signs an update of d1 naming d2's intake as a parent too.
  node::Node& a = t.p(t.a);
  auto last = a.journal().get(a.keys().pk, a.journal().heads()[a.keys().pk]);
  REQUIRE(last);
  node::Entry e;
  e.author = a.keys().pk;
  e.seq = last->seq + 1;
  e.prev = last->id;
  e.hlc = a.journal().hlc().now();
  e.wall_ms = t.w.clock.now_ms();
  e.user = "clerk";
  e.type = node::events::kUpdated;
  e.subject = d1;
  e.parents = {a.journal().subject_entries(d1).front().id, other->id};
  std::sort(e.parents.begin(), e.parents.end());
  e.body = Json{{"applicant", {{"phone", "0900000000"}}}};
  REQUIRE(node::seal_entry(e, a.keys().sk).ok());
  auto res = t.offline_push(t.a, {e});
  INFO(res.body.size());
  REQUIRE(res.status == 200);
  auto held = t.held("foreign_parent");
  REQUIRE(held.size() == 1);
  CHECK(held[0].id == e.id);
  CHECK(t.alerts("quarantined", "foreign_parent") >= 1);
  for (const auto& x : t.hub().journal().subject_entries(d1)) CHECK(x.id != e.id);  // out of the projection's input
  // po (same area) keeps syncing and never gets the entry.
  t.sync_ok(t.po);
  CHECK(!t.p(t.po).journal().get(e.id));
  CHECK(t.p(t.po).journal().subject_state(d1));
}

TEST_CASE("attack: a revoked key's later entries relayed by another point, by push and by bundle, are quarantined",
          "[v2][v2-admit][attack][revoke]") {
  AdmitWorld t;
  REQUIRE(t.p(t.a).journal().append(intake_draft(code_no(1), "a", "an-thi")).ok());
  REQUIRE(t.p(t.a).journal().append(intake_draft(code_no(2), "a", "an-thi")).ok());
  t.sync_ok(t.a);
  t.sync_ok(t.po);
  REQUIRE(t.w.hub->revoke_point("a").ok());
  auto rec = t.w.hub->store().point("a");
  REQUIRE(rec);
  CHECK(rec->status == "revoked");
  CHECK(rec->revoked_seq == 2);
  CHECK(rec->revoked_id == t.p(t.a).journal().get(t.p(t.a).keys().pk, 2)->id);
  CHECK(t.alerts("revoked", "#2") == 1);
  // a, not knowing yet, takes two more in; the post office copies them and pushes them.
  REQUIRE(t.p(t.a).journal().append(intake_draft(code_no(3), "a", "an-thi")).ok());
  REQUIRE(t.p(t.a).journal().append(intake_draft(code_no(4), "a", "an-thi")).ok());
  const PublicKey ak = t.p(t.a).keys().pk;
  auto later = t.p(t.a).journal().author_entries(ak, 2, 10);
  REQUIRE(later.size() == 2);
  REQUIRE(t.p(t.po).journal().ingest_sparse({later[0]}).ok());
  t.sync_ok(t.po);
  auto held = t.held("revoked_author");
  REQUIRE(held.size() == 1);
  CHECK(held[0].seq == 3);
  CHECK(t.alerts("quarantined", "revoked_author") >= 1);
  CHECK(!t.hub().journal().subject_state(code_no(3)));
  // By bundle: the post office's file carries a's fourth entry.
  auto res = t.offline_push(t.po, {later[1]});
  REQUIRE(res.status == 200);
  CHECK(t.held("revoked_author").size() == 2);
  CHECK(!t.hub().journal().subject_state(code_no(4)));
  // The welcome told po about the revocation; c keeps syncing.
  t.sync_ok(t.c);
  t.sync_ok(t.po);
  auto reg = sync::stored_registry(t.p(t.po));
  REQUIRE(reg.find(ak));
  CHECK(reg.find(ak)->status == "revoked");
  CHECK(reg.find(ak)->revoked_seq == 2);

  // a learns it at its next sync: refused, and it stops taking dossiers in.
  auto r = t.w.sync(t.a);
  REQUIRE(!r.ok());
  CHECK(r.error().code == "revoked_key");
  CHECK(sync::point_status(t.p(t.a))["revoked"] == true);
  node::Actor clerk{"clerk", node::UserRole::Clerk, "Nguyễn Thị Thu"};
  auto intake = node::DossierService(t.p(t.a)).intake(clerk, Json::object());
  REQUIRE(!intake.ok());
  CHECK(intake.error().code == "point_revoked");
}

TEST_CASE("attack: a point that takes another area's dossier over pulls nothing of it", "[v2][v2-admit][attack]") {
  AdmitWorld t;
  const std::string theirs = code_no(202);
  REQUIRE(t.p(t.c).journal().append(intake_draft(theirs, "c", "kim-dong")).ok());
  t.sync_ok(t.c);
  // po forges a return-point change to itself on c's dossier (it learned the intake somehow).
  copy_subject(t.p(t.c), t.p(t.po), theirs);
  REQUIRE(t.p(t.po).journal().append(event_draft(theirs, node::events::kUpdated, {{"return_point", "po"}})).ok());
  t.sync_ok(t.po);
  CHECK(t.held("not_in_scope").size() == 1);
  // c adds the citizen's data afterwards; po pulls and gets none of it.
  REQUIRE(t.p(t.c).journal().append(event_draft(theirs, node::events::kUpdated,
                                                   {{"applicant", {{"phone", "0987654321"}}}}))
              .ok());
  t.sync_ok(t.c);
  t.sync_ok(t.po);
  CHECK(t.p(t.po).journal().subject_entries(theirs).size() == 2);  // the copied intake and its own forged entry
  CHECK(t.hub().journal().subject_entries(theirs).size() >= 2);
  auto st = t.hub().journal().subject_state(theirs);
  REQUIRE(st);
  CHECK((*st)["return_point"] == "c");
}

