// Quarantine in the journal (docs/sync-protocol.md, "Quarantine"): entries
// that may not be admitted are stored but kept out of the projection and the
// state hash; ingest goes entry by entry at points; signed decisions release
// or reject held entries.
#include <catch2/catch.hpp>

#include "motcua/node/journal.hpp"
#include "test_util.hpp"

using namespace motcua;
using node::Entry;
using node::EntryDraft;
using node::IngestOptions;

namespace {
constexpr int64_t kT0 = 1'751'328'000'000;  // 2025-07-01 00:00 UTC
const std::string kS1 = "000.00.01.H22-250701-0001";
const std::string kS2 = "000.00.01.H22-250701-0002";

EntryDraft draft(const std::string& subject, const std::string& type = "dossier.submitted", Json body = Json::object()) {
  return EntryDraft{"clerk.an", type, subject, std::move(body)};
}

std::vector<Entry> batch_ok(node::Journal& j, const std::vector<EntryDraft>& ds) {
  auto r = j.append_batch(ds);
  if (!r.ok()) throw std::runtime_error(r.error().code + ": " + r.error().message);
  return r.value();
}

Entry resealed(Entry e, const SecretKey& sk) {
  Status s = node::seal_entry(e, sk);
  if (!s.ok()) throw std::runtime_error(s.error().message);
  return e;
}

node::IngestReport ingest_ok(node::Journal& j, const std::vector<Entry>& es, const IngestOptions& o) {
  auto r = j.ingest(es, o);
  if (!r.ok()) throw std::runtime_error(r.error().code + ": " + r.error().message);
  return r.value();
}

// A writer (a), a hub-like receiver (h) and a second receiver (p).
struct Nodes {
  test::TempDir dir{"quarantine"};
  ManualClock clock_a{kT0}, clock_h{kT0}, clock_p{kT0};
  SeededRandom rng_a{1}, rng_h{2}, rng_p{3};
  std::unique_ptr<node::Node> a = test::make_node(dir.sub("a"), clock_a, rng_a, node::Role::Point, "a", node::summary_projector);
  std::unique_ptr<node::Node> h = test::make_node(dir.sub("h"), clock_h, rng_h, node::Role::Hub, "h", node::summary_projector);
  std::unique_ptr<node::Node> p = test::make_node(dir.sub("p"), clock_p, rng_p, node::Role::Point, "p", node::summary_projector);
};

// An admitter that quarantines every entry of `type`.
node::Admitter refuse_type(const std::string& type) {
  return [type](const node::AdmitContext& c) -> std::optional<node::Admission> {
    if (c.entry.type == type) return node::Admission{"act_not_allowed", "test: " + type + " is not allowed"};
    return std::nullopt;
  };
}

bool holds_admitted(node::Journal& j, const std::string& subject, const Hash32& id) {
  for (const auto& e : j.subject_entries(subject))
    if (e.id == id) return true;
  return false;
}
}  // namespace

TEST_CASE("a quarantined entry is stored but left out of the projection and the state hash", "[journal][quarantine]") {
  Nodes n;
  auto es = batch_ok(n.a->journal(), {draft(kS1), draft(kS1, "dossier.accepted"), draft(kS2)});
  auto& h = n.h->journal();
  auto& p = n.p->journal();
  IngestOptions o;
  o.admit = refuse_type("dossier.accepted");
  auto rep = ingest_ok(h, es, o);
  CHECK(rep.stored == 3);
  REQUIRE(rep.quarantined.size() == 1);
  CHECK(rep.quarantined[0].id == es[1].id);
  CHECK(rep.quarantined[0].code == "act_not_allowed");
  CHECK(rep.quarantined[0].state == "held");
  CHECK(rep.quarantined[0].seq == 2);
  CHECK(rep.quarantined[0].subject == kS1);
  // Stored: the author's chain goes through it.
  CHECK(h.count() == 3);
  CHECK(h.heads().at(n.a->keys().pk) == 3);
  CHECK(h.get(es[1].id));
  CHECK(h.quarantined(es[1].id));
  CHECK_FALSE(holds_admitted(h, kS1, es[1].id));
  // The projection and the state hash are those of a node without it.
  REQUIRE(p.ingest({es[0]}).ok());
  auto only_second = es[2];
  IngestOptions sparse;
  sparse.sparse = true;
  ingest_ok(p, {only_second}, sparse);
  CHECK(h.subject_state(kS1) == p.subject_state(kS1));
  CHECK(h.state_hash() == p.state_hash());
  auto rows = h.quarantine("held");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].id == es[1].id);
  CHECK(h.quarantine("released").empty());
  CHECK(h.verify().ok());
  // A rebuild keeps it out too.
  REQUIRE(h.rebuild_projection().ok());
  CHECK(h.state_hash() == p.state_hash());
  // Ingesting the same batch again changes nothing.
  auto again = ingest_ok(h, es, o);
  CHECK(again.stored == 0);
  CHECK(again.quarantined.empty());
}

TEST_CASE("the admitter sees the subject's entries and state, earlier batch entries included",
          "[journal][quarantine]") {
  Nodes n;
  auto es = batch_ok(n.a->journal(), {draft(kS1), draft(kS1, "dossier.accepted"), draft(kS1, "dossier.processing")});
  std::vector<size_t> seen;
  std::vector<bool> had_state;
  IngestOptions o;
  o.admit = [&](const node::AdmitContext& c) -> std::optional<node::Admission> {
    seen.push_back(c.admitted().size());
    had_state.push_back(!c.state().is_null());
    return std::nullopt;
  };
  ingest_ok(n.h->journal(), es, o);
  CHECK(seen == std::vector<size_t>{0, 1, 2});
  CHECK(had_state == std::vector<bool>{false, true, true});
}

TEST_CASE("an entry whose parent is unknown waits, and is released when the parent arrives", "[journal][quarantine]") {
  Nodes n;
  auto es = batch_ok(n.a->journal(), {draft(kS1), draft(kS1, "dossier.accepted")});
  auto& p = n.p->journal();
  IngestOptions o;
  o.sparse = true;
  o.per_entry = true;
  // The second alone: its parent (the first) is not held.
  auto rep = ingest_ok(p, {es[1]}, o);
  CHECK(rep.stored == 1);
  REQUIRE(rep.quarantined.size() == 1);
  CHECK(rep.quarantined[0].code == "unknown_parent");
  CHECK_FALSE(p.subject_state(kS1));
  CHECK(p.verify().ok());
  // The parent arrives: both admitted, the waiting one released automatically.
  auto rep2 = ingest_ok(p, {es[0]}, o);
  CHECK(rep2.stored == 1);
  CHECK(rep2.quarantined.empty());
  REQUIRE(rep2.released.size() == 1);
  CHECK(rep2.released[0].id == es[1].id);
  CHECK(rep2.released[0].decided_by.empty());
  CHECK(holds_admitted(p, kS1, es[1].id));
  CHECK(p.subject_state(kS1) == n.a->journal().subject_state(kS1));
  CHECK(p.quarantine_row(es[1].id)->state == "released");
  CHECK(p.verify().ok());
}

TEST_CASE("the old ingest wrappers still refuse an unknown parent", "[journal][quarantine]") {
  Nodes n;
  auto es = batch_ok(n.a->journal(), {draft(kS1), draft(kS1, "dossier.accepted")});
  CHECK(n.p->journal().ingest_sparse({es[1]}).error().code == "unknown_parent");
  CHECK(n.p->journal().ingest_batch({es[1]}, true).error().code == "unknown_parent");
  CHECK(n.p->journal().count() == 0);
}

TEST_CASE("clock checks: an hlc not after the author's previous entry or a parent, or beyond max_hlc_ms",
          "[journal][quarantine]") {
  Nodes n;
  const SecretKey& sk = n.a->keys().sk;
  auto es = batch_ok(n.a->journal(), {draft(kS1), draft(kS2)});
  auto& h = n.h->journal();
  IngestOptions o;
  SECTION("not after the author's previous entry") {
    Entry back = es[1];
    back.hlc = node::Hlc{es[0].hlc.ms - 1000, 0};
    auto rep = ingest_ok(h, {es[0], resealed(back, sk)}, o);
    REQUIRE(rep.quarantined.size() == 1);
    CHECK(rep.quarantined[0].code == "hlc_not_monotonic");
  }
  SECTION("not after a parent") {
    Entry child = es[1];
    child.subject = kS1;
    child.type = "dossier.accepted";
    child.parents = {es[0].id};
    child.hlc = es[0].hlc;
    auto rep = ingest_ok(h, {es[0], resealed(child, sk)}, o);
    REQUIRE(rep.quarantined.size() == 1);
    CHECK(rep.quarantined[0].code == "hlc_not_monotonic");
  }
  SECTION("far in the future: held, and the receiver's clock is not dragged, even after reopening") {
    Entry future = es[1];
    future.hlc = node::Hlc{kT0 + 10LL * 365 * 86'400'000, 0};
    o.max_hlc_ms = kT0 + 300'000;
    auto rep = ingest_ok(h, {es[0], resealed(future, sk)}, o);
    REQUIRE(rep.quarantined.size() == 1);
    CHECK(rep.quarantined[0].code == "hlc_future");
    CHECK(rep.quarantined[0].subject == kS2);
    auto mine = h.append(draft("local"));
    REQUIRE(mine.ok());
    CHECK(mine->hlc.ms < kT0 + 300'000);
    n.h.reset();
    n.h = test::open_existing(n.dir.sub("h"), n.clock_h, node::summary_projector);
    auto again = n.h->journal().append(draft("local"));
    REQUIRE(again.ok());
    CHECK(again->hlc.ms < kT0 + 300'000);
  }
  CHECK(n.h->journal().verify().ok());
}

TEST_CASE("per entry: one bad entry is skipped and the rest of the batch is stored", "[journal][quarantine]") {
  Nodes n;
  auto es = batch_ok(n.a->journal(), {draft(kS1), draft(kS2), draft(kS1, "dossier.accepted")});
  auto bs = batch_ok(n.p->journal(), {draft("other")});
  Entry bad = es[1];
  bad.sig[3] ^= 0x10;
  std::vector<Entry> batch{es[0], bad, es[2], bs[0]};
  auto& h = n.h->journal();
  SECTION("the hub's mode refuses the batch") {
    auto r = h.ingest(batch, IngestOptions{});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "bad_signature");
    CHECK(h.count() == 0);
  }
  SECTION("a point's mode skips it") {
    IngestOptions o;
    o.sparse = true;
    o.per_entry = true;
    auto rep = ingest_ok(h, batch, o);
    CHECK(rep.stored == 3);
    REQUIRE(rep.skipped.size() == 1);
    CHECK(rep.skipped[0].seq == 2);
    CHECK(rep.skipped[0].error.code == "bad_signature");
    CHECK(rep.skipped[0].author_hex == to_hex(n.a->keys().pk));
    CHECK(h.get(es[2].id));
    CHECK(h.get(bs[0].id));
    CHECK_FALSE(h.get(es[1].id));
    CHECK(h.verify().ok());  // the skipped seq is a recorded gap
  }
  SECTION("a point's mode skips an equivocation") {
    Entry twin = es[0];
    twin.body = Json{{"twin", true}};
    twin = resealed(twin, n.a->keys().sk);
    IngestOptions o;
    o.sparse = true;
    o.per_entry = true;
    auto rep = ingest_ok(h, {es[0], twin, bs[0]}, o);
    CHECK(rep.stored == 2);
    REQUIRE(rep.skipped.size() == 1);
    CHECK(rep.skipped[0].error.code == "equivocation");
  }
}

TEST_CASE("decide: release projects the entry and cascades, reject keeps it out, both are signed entries",
          "[journal][quarantine]") {
  Nodes n;
  auto es = batch_ok(n.a->journal(),
                     {draft(kS1), draft(kS1, "dossier.accepted"), draft(kS1, "dossier.processing")});
  auto& h = n.h->journal();
  IngestOptions o;
  o.admit = refuse_type("dossier.accepted");
  o.sign_releases = true;
  auto rep = ingest_ok(h, es, o);
  REQUIRE(rep.quarantined.size() == 2);
  CHECK(rep.quarantined[1].code == "parent_quarantined");
  CHECK(h.decide(es[1].id, node::Journal::Decision::Release, "", "admin").error().code == "validation_failed");
  CHECK(h.decide(es[0].id, node::Journal::Decision::Release, "ok", "admin").error().code == "not_quarantined");
  CHECK(h.decide(blake2b256("nothing"), node::Journal::Decision::Release, "ok", "admin").error().code == "not_found");

  SECTION("release") {
    auto d = h.decide(es[1].id, node::Journal::Decision::Release, "checked by phone", "admin.tinh");
    REQUIRE(d.ok());
    CHECK(d->type == node::kQuarantineReleased);
    CHECK(d->author == n.h->keys().pk);
    CHECK(d->subject == kS1);
    CHECK(d->body == Json{{"entry", to_hex(es[1].id)}, {"reason", "checked by phone"}, {"by", "admin.tinh"}});
    auto row = h.quarantine_row(es[1].id);
    CHECK(row->state == "released");
    CHECK(row->decided_by == to_hex(d->id));
    // The child waiting on it was released by the cascade, with its own decision.
    auto child = h.quarantine_row(es[2].id);
    CHECK(child->state == "released");
    REQUIRE(child->decided_by.size() == 64);
    Hash32 cid{};
    REQUIRE(from_hex(child->decided_by, cid));
    auto cd = h.get(cid);
    REQUIRE(cd);
    CHECK(cd->type == node::kQuarantineReleased);
    CHECK(cd->body["by"] == "auto");
    CHECK(holds_admitted(h, kS1, es[1].id));
    CHECK(holds_admitted(h, kS1, es[2].id));
    CHECK(h.subject_state(kS1)->at("types").at("dossier.processing") == 1);
    CHECK(h.decide(es[1].id, node::Journal::Decision::Reject, "again", "admin").error().code == "not_quarantined");
    CHECK(h.verify().ok());

    // A point that holds the same entries in quarantine applies the hub's decisions.
    auto& p = n.p->journal();
    IngestOptions po;
    po.sparse = true;
    po.per_entry = true;
    po.admit = refuse_type("dossier.accepted");
    po.decider = n.h->keys().pk;
    auto prep = ingest_ok(p, es, po);
    CHECK(prep.quarantined.size() == 2);
    auto decisions = ingest_ok(p, {*d, *cd}, po);
    CHECK(decisions.quarantined.empty());
    CHECK(p.quarantine_row(es[1].id)->state == "released");
    CHECK(p.quarantine_row(es[2].id)->state == "released");
    CHECK(p.state_hash() == h.state_hash());
    CHECK(p.verify().ok());
  }
  SECTION("a signed decision applied directly") {
    auto d = h.decide(es[1].id, node::Journal::Decision::Release, "checked", "admin");
    REQUIRE(d.ok());
    auto& p = n.p->journal();
    IngestOptions po;
    po.sparse = true;
    po.per_entry = true;
    po.admit = refuse_type("dossier.accepted");
    ingest_ok(p, es, po);
    CHECK(p.decide(es[1].id, node::Journal::Decision::Reject, *d).error().code == "validation_failed");
    CHECK(p.decide(es[2].id, node::Journal::Decision::Release, *d).error().code == "validation_failed");
    auto applied = p.decide(es[1].id, node::Journal::Decision::Release, *d);
    REQUIRE(applied.ok());
    CHECK(applied->released.size() >= 1);
    CHECK(p.quarantine_row(es[1].id)->state == "released");
    CHECK(p.quarantine_row(es[1].id)->decided_by == to_hex(d->id));
    CHECK(p.verify().ok());
  }
  SECTION("reject") {
    const Hash32 before = h.state_hash();
    auto d = h.decide(es[1].id, node::Journal::Decision::Reject, "forged", "admin.tinh");
    REQUIRE(d.ok());
    CHECK(d->type == node::kQuarantineRejected);
    CHECK(h.quarantine_row(es[1].id)->state == "rejected");
    CHECK(h.quarantine_row(es[2].id)->state == "held");
    CHECK_FALSE(holds_admitted(h, kS1, es[1].id));
    CHECK(h.quarantine("rejected").size() == 1);
    // The decision joins the subject's history, not its dossier state.
    CHECK(h.state_hash() != before);
    CHECK(h.verify().ok());
    // Decisions from a key other than the decider are not applied.
    auto& p = n.p->journal();
    IngestOptions po;
    po.sparse = true;
    po.per_entry = true;
    po.admit = refuse_type("dossier.accepted");
    ingest_ok(p, es, po);
    ingest_ok(p, {*d}, po);
    CHECK(p.quarantine_row(es[1].id)->state == "held");
  }
}

TEST_CASE("a subject whose only entries are held has no state, even with a decision on it", "[journal][quarantine]") {
  Nodes n;
  auto es = batch_ok(n.a->journal(), {draft(kS1)});
  auto& h = n.h->journal();
  IngestOptions o;
  o.admit = refuse_type("dossier.submitted");
  auto empty_hash = h.state_hash();
  ingest_ok(h, es, o);
  CHECK_FALSE(h.subject_state(kS1));
  CHECK(h.subjects().empty());
  CHECK(h.state_hash() == empty_hash);
  REQUIRE(h.decide(es[0].id, node::Journal::Decision::Reject, "forged intake", "admin").ok());
  CHECK_FALSE(h.subject_state(kS1));
  CHECK(h.state_hash() == empty_hash);
  CHECK(h.verify().ok());
  REQUIRE(h.rebuild_projection().ok());
  CHECK(h.verify().ok());
}
