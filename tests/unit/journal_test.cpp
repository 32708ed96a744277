// The signed journal: append, chain links, causal parents, HLC, ingest of
// foreign entries and what ingest refuses.
#include <catch2/catch.hpp>

#include "motcua/node/journal.hpp"
#include "test_util.hpp"

using namespace motcua;
using node::Entry;
using node::EntryDraft;

namespace {
constexpr int64_t kT0 = 1'751'328'000'000;  // 2025-07-01 00:00 UTC
constexpr int64_t kHour = 3'600'000;
const std::string kS1 = "000.00.01.H22-250701-0001";
const std::string kS2 = "000.00.01.H22-250701-0002";

EntryDraft draft(const std::string& subject, const std::string& type = "dossier.submitted", Json body = Json::object()) {
  return EntryDraft{"clerk.an", type, subject, std::move(body)};
}

Entry append_ok(node::Journal& j, const EntryDraft& d) {
  auto r = j.append(d);
  if (!r.ok()) throw std::runtime_error(r.error().code + ": " + r.error().message);
  return r.value();
}

std::vector<Entry> batch_ok(node::Journal& j, const std::vector<EntryDraft>& ds) {
  auto r = j.append_batch(ds);
  if (!r.ok()) throw std::runtime_error(r.error().code + ": " + r.error().message);
  return r.value();
}

// Two independent nodes, each with its own key, clock and database.
struct TwoNodes {
  test::TempDir dir{"journal"};
  ManualClock clock_a{kT0}, clock_b{kT0};
  SeededRandom rng_a{1}, rng_b{2};
  std::unique_ptr<node::Node> a = test::make_node(dir.sub("a"), clock_a, rng_a, node::Role::Point, "a", node::summary_projector);
  std::unique_ptr<node::Node> b = test::make_node(dir.sub("b"), clock_b, rng_b, node::Role::Point, "b", node::summary_projector);
};

// A snapshot of what a journal holds, to show a refused batch stored nothing.
struct Snapshot {
  int64_t count;
  Hash32 state;
  std::map<PublicKey, int64_t> heads;
  explicit Snapshot(node::Journal& j) : count(j.count()), state(j.state_hash()), heads(j.heads()) {}
  bool operator==(const Snapshot& o) const { return count == o.count && state == o.state && heads == o.heads; }
};

// Re-signs `e` (any fields changed) with `sk`, as a misbehaving author could.
Entry resealed(Entry e, const SecretKey& sk) {
  Status s = node::seal_entry(e, sk);
  if (!s.ok()) throw std::runtime_error(s.error().message);
  return e;
}
}  // namespace

TEST_CASE("appends number an author's entries 1..n contiguously and link each to the previous", "[journal]") {
  test::TempDir dir("journal");
  ManualClock clock(kT0);
  SeededRandom rng(1);
  auto n = test::make_node(dir.path(), clock, rng, node::Role::Point, "p", node::summary_projector);
  auto& j = n->journal();
  std::vector<Entry> all;
  all.push_back(append_ok(j, draft(kS1)));
  all.push_back(append_ok(j, draft(kS2)));
  for (auto& e : batch_ok(j, {draft(kS1, "dossier.accepted"), draft(kS2, "dossier.accepted"), draft("other"),
                              draft(kS1, "dossier.processing")}))
    all.push_back(e);
  REQUIRE(all.size() == 6);
  for (size_t i = 0; i < all.size(); ++i) {
    INFO("entry " << i);
    const Entry& e = all[i];
    CHECK(e.seq == static_cast<int64_t>(i + 1));
    CHECK(e.author == n->keys().pk);
    CHECK(e.prev == (i == 0 ? Hash32{} : all[i - 1].id));
    CHECK(e.id == blake2b256(e.canonical));
    CHECK(verify(e.author, SignDomain::JournalEntry, e.canonical, e.sig));
    auto stored = j.get(e.author, e.seq);
    REQUIRE(stored);
    CHECK(stored->id == e.id);
    CHECK(stored->canonical == e.canonical);
    auto by_id = j.get(e.id);
    REQUIRE(by_id);
    CHECK(by_id->seq == e.seq);
  }
  CHECK(j.count() == 6);
  CHECK(j.heads() == std::map<PublicKey, int64_t>{{n->keys().pk, 6}});
  CHECK(j.author_entries(n->keys().pk, 2, 3).size() == 3);
  CHECK(j.author_entries(n->keys().pk, 2, 3).front().seq == 3);
  auto after = j.entries_after_pos(0, 100);
  REQUIRE(after.size() == 6);
  CHECK(after.back().second.id == all.back().id);
  CHECK(j.subjects() == std::vector<std::string>{kS1, kS2, "other"});
  auto state = j.subject_state(kS1);
  REQUIRE(state);
  CHECK((*state)["entries"] == 3);
  CHECK(j.verify().ok());
}

TEST_CASE("an entry's causal parents are the subject's current heads", "[journal]") {
  TwoNodes t;
  auto& a = t.a->journal();
  auto& b = t.b->journal();
  Entry a1 = append_ok(a, draft(kS1));
  CHECK(a1.parents.empty());
  Entry a2 = append_ok(a, draft(kS1, "dossier.accepted"));
  CHECK(a2.parents == std::vector<Hash32>{a1.id});
  Entry other = append_ok(a, draft(kS2));
  CHECK(other.parents.empty());  // heads are per subject

  // Within one batch, each entry follows the one before it on its subject.
  auto batch = batch_ok(a, {draft(kS1, "x.one"), draft(kS2, "x.two"), draft(kS1, "x.three")});
  CHECK(batch[0].parents == std::vector<Hash32>{a2.id});
  CHECK(batch[1].parents == std::vector<Hash32>{other.id});
  CHECK(batch[2].parents == std::vector<Hash32>{batch[0].id});

  // Concurrent edits on two nodes make two heads; the next entry joins them.
  REQUIRE(b.ingest(a.author_entries(a.self(), 0, 100)).ok());
  Entry b1 = append_ok(b, draft(kS1, "dossier.note"));
  CHECK(b1.parents == std::vector<Hash32>{batch[2].id});
  Entry a_next = append_ok(a, draft(kS1, "dossier.processing"));
  REQUIRE(a.ingest({b1}).ok());
  Entry joined = append_ok(a, draft(kS1, "dossier.result_ready"));
  std::vector<Hash32> expected{a_next.id, b1.id};
  std::sort(expected.begin(), expected.end());
  CHECK(joined.parents == expected);
  CHECK(a.verify().ok());
}

TEST_CASE("HLC stamps keep increasing when the wall clock jumps back an hour", "[journal][hlc]") {
  test::TempDir dir("journal");
  ManualClock clock(kT0);
  SeededRandom rng(1);
  auto n = test::make_node(dir.path(), clock, rng, node::Role::Point, "p", node::summary_projector);
  std::vector<Entry> es;
  es.push_back(append_ok(n->journal(), draft(kS1)));
  CHECK(es.back().hlc == node::Hlc{kT0, 0});
  clock.set(kT0 - kHour);  // someone fixes the PC's clock, badly
  for (int i = 0; i < 5; ++i) {
    es.push_back(append_ok(n->journal(), draft(kS1)));
    clock.advance(1000);
  }
  for (auto& e : batch_ok(n->journal(), {draft(kS1), draft(kS2), draft(kS1)})) es.push_back(e);
  for (size_t i = 1; i < es.size(); ++i) {
    INFO("entry " << i);
    CHECK(es[i - 1].hlc < es[i].hlc);
    CHECK(node::entry_order_less(es[i - 1], es[i]));
  }
  CHECK(es[1].hlc == node::Hlc{kT0, 1});
  CHECK(es[1].wall_ms == kT0 - kHour);  // the wall clock is recorded as it was

  // After a restart with the clock still behind, stamps continue from the journal.
  node::Hlc last = es.back().hlc;
  n.reset();
  node::OpenOptions o;
  o.data_dir = dir.path();
  o.clock = &clock;
  o.projector = node::summary_projector;
  auto reopened = node::Node::open(o);
  REQUIRE(reopened.ok());
  Entry after = append_ok(reopened.value()->journal(), draft(kS1));
  CHECK(last < after.hlc);

  // Once the wall clock passes the HLC again, the HLC follows it.
  clock.set(kT0 + kHour);
  Entry later = append_ok(reopened.value()->journal(), draft(kS1));
  CHECK(later.hlc == node::Hlc{kT0 + kHour, 0});
}

TEST_CASE("the hybrid clock follows remote stamps ahead of the local clock", "[journal][hlc]") {
  ManualClock clock(kT0);
  node::HybridClock hlc(clock);
  node::Hlc a = hlc.now();
  CHECK(a == node::Hlc{kT0, 0});
  hlc.observe(node::Hlc{kT0 + 5000, 7});  // a point whose clock is ahead
  node::Hlc b = hlc.now();
  CHECK(b > node::Hlc{kT0 + 5000, 7});
  CHECK(b.ms == kT0 + 5000);
  hlc.observe(node::Hlc{kT0 - kHour, 99});  // an old stamp changes nothing backwards
  CHECK(hlc.now() > b);
  hlc.restore(node::Hlc{kT0 - kHour, 0});
  CHECK(hlc.last() > b);
}

TEST_CASE("entries with the same HLC from two authors are ordered the same everywhere", "[journal][hlc]") {
  TwoNodes t;
  Entry ea = append_ok(t.a->journal(), draft(kS1, "dossier.note"));
  Entry eb = append_ok(t.b->journal(), draft(kS1, "dossier.note"));
  REQUIRE(ea.hlc == eb.hlc);  // same clock reading, both first on their node
  REQUIRE(ea.author != eb.author);
  const bool a_first = ea.author < eb.author;
  CHECK(node::entry_order_less(ea, eb) == a_first);
  CHECK(node::entry_order_less(eb, ea) == !a_first);
  CHECK_FALSE(node::entry_order_less(ea, ea));

  REQUIRE(t.a->journal().ingest({eb}).ok());
  REQUIRE(t.b->journal().ingest({ea}).ok());
  auto order = [](std::vector<Entry> v) {
    std::vector<Hash32> ids;
    for (const auto& e : v) ids.push_back(e.id);
    return ids;
  };
  auto on_a = order(t.a->journal().subject_entries(kS1));
  auto on_b = order(t.b->journal().subject_entries(kS1));
  CHECK(on_a == on_b);
  CHECK(on_a.front() == (a_first ? ea.id : eb.id));
  CHECK(t.a->journal().state_hash() == t.b->journal().state_hash());
  CHECK(t.a->journal().subject_state(kS1) == t.b->journal().subject_state(kS1));
}

TEST_CASE("ingesting a second node's entries is idempotent", "[journal][ingest]") {
  TwoNodes t;
  auto& a = t.a->journal();
  auto& b = t.b->journal();
  append_ok(a, draft(kS1));
  batch_ok(b, {draft(kS1), draft(kS2), draft(kS2, "dossier.accepted"), draft("x"), draft("x")});
  auto from_b = b.author_entries(b.self(), 0, 100);
  REQUIRE(from_b.size() == 5);

  auto first = a.ingest({from_b.begin(), from_b.begin() + 3});
  REQUIRE(first.ok());
  CHECK(first.value() == 3);
  auto rest = a.ingest(from_b);  // overlaps the first three
  REQUIRE(rest.ok());
  CHECK(rest.value() == 2);
  Snapshot before(a);
  auto again = a.ingest(from_b);
  REQUIRE(again.ok());
  CHECK(again.value() == 0);
  CHECK(Snapshot(a) == before);
  CHECK(a.count() == 6);
  CHECK(a.heads().at(b.self()) == 5);
  CHECK(a.verify().ok());
  // Both nodes converge once each has everything.
  REQUIRE(b.ingest(a.author_entries(a.self(), 0, 100)).ok());
  CHECK(a.state_hash() == b.state_hash());
}

TEST_CASE("ingest refuses a bad entry and stores nothing of its batch", "[journal][ingest]") {
  TwoNodes t;
  auto& a = t.a->journal();
  auto& b = t.b->journal();
  const SecretKey& b_sk = t.b->keys().sk;
  append_ok(a, draft(kS1));
  auto bs = batch_ok(b, {draft(kS1), draft(kS1), draft(kS2), draft(kS2)});
  REQUIRE(a.ingest({bs[0]}).ok());  // a already holds b's seq 1
  const Snapshot before(a);

  auto refused = [&](const std::vector<Entry>& batch, const std::string& code) {
    auto r = a.ingest(batch);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == code);
    CHECK(Snapshot(a) == before);
    CHECK_FALSE(a.get(b.self(), 2));
    CHECK(a.verify().ok());
    return r.error();
  };

  SECTION("a signature that does not verify") {
    Entry bad = bs[2];
    bad.sig[5] ^= 0x40;
    Error e = refused({bs[1], bad, bs[3]}, "bad_signature");
    CHECK(e.message.find("seq 3") != std::string::npos);
  }
  SECTION("signed bytes changed after signing") {
    Entry bad = bs[1];
    bad.canonical[bad.canonical.find("clerk.an")] = 'C';
    refused({bad, bs[2]}, "bad_signature");
  }
  SECTION("fields that disagree with the signed bytes") {
    Entry bad = bs[1];
    bad.seq = 7;
    refused({bad}, "bad_signature");
  }
  SECTION("a gap in the author's seq") {
    Error e = refused({bs[2], bs[3]}, "seq_gap");
    CHECK(e.message.find("expected seq 2") != std::string::npos);
  }
  SECTION("a prev that is not the author's previous entry") {
    Entry forged = bs[1];
    forged.prev = blake2b256("not the previous entry");
    refused({resealed(forged, b_sk), bs[2]}, "broken_chain");
  }
  SECTION("equivocation: the same author and seq with other content") {
    Entry other = bs[0];
    other.body = Json{{"note", "khác"}};
    Error e = refused({bs[1], resealed(other, b_sk)}, "equivocation");
    CHECK(e.message.find("seq 1") != std::string::npos);
  }
  SECTION("equivocation inside one batch") {
    Entry twin = bs[1];
    twin.body = Json{{"twin", true}};
    refused({bs[1], resealed(twin, b_sk)}, "equivocation");
  }
  SECTION("a causal parent nobody has seen") {
    Entry orphan = bs[1];
    orphan.parents = {blake2b256("a dossier event we never received")};
    refused({resealed(orphan, b_sk)}, "unknown_parent");
  }
  SECTION("an entry signed by a key other than its author") {
    Entry impostor = bs[1];
    Signature sig = sign(t.a->keys().sk, SignDomain::JournalEntry, impostor.canonical);
    impostor.sig = sig;
    refused({impostor}, "bad_signature");
  }
  SECTION("a valid entry signed for another purpose") {
    Entry cross = bs[1];
    cross.sig = sign(b_sk, SignDomain::SyncRequest, cross.canonical);
    refused({cross}, "bad_signature");
  }
  // After any refusal, the good entries still go in.
  auto ok = a.ingest({bs[1], bs[2], bs[3]});
  REQUIRE(ok.ok());
  CHECK(ok.value() == 3);
}

TEST_CASE("ingest stores the signed content, not the caller's copy of it", "[journal][ingest]") {
  TwoNodes t;
  Entry eb = append_ok(t.b->journal(), draft(kS1, "dossier.submitted", {{"n", 1}}));
  Entry lied = eb;
  lied.subject = "somewhere-else";
  lied.type = "dossier.cancelled";
  REQUIRE(t.a->journal().ingest({lied}).ok());
  auto stored = t.a->journal().get(eb.id);
  REQUIRE(stored);
  CHECK(stored->subject == kS1);
  CHECK(stored->type == "dossier.submitted");
  CHECK(t.a->journal().subject_entries("somewhere-else").empty());
  CHECK(t.a->journal().verify().ok());
}

TEST_CASE("an append with a body that cannot be signed is refused and uses no seq", "[journal]") {
  test::TempDir dir("journal");
  ManualClock clock(kT0);
  SeededRandom rng(1);
  auto n = test::make_node(dir.path(), clock, rng, node::Role::Point, "p", node::summary_projector);
  auto& j = n->journal();
  auto r = j.append(draft(kS1, "dossier.fee", {{"fee", {{"amount", 1.5}}}}));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "not_canonical");
  CHECK(r.error().field == "body.fee.amount");
  auto b = j.append_batch({draft(kS1), draft(kS1, "x", {{"name", "Nguye\xCC\x82\xCC\x83n"}})});
  REQUIRE_FALSE(b.ok());
  CHECK(b.error().message.find("entry 1") != std::string::npos);
  auto big = j.append(draft(kS1, "x", {{"blob", std::string(node::kMaxEntryBytes, 'a')}}));
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().code == "entry_too_large");
  CHECK(j.count() == 0);
  CHECK(append_ok(j, draft(kS1)).seq == 1);
}

TEST_CASE("entries survive the wire form and parse back checked", "[journal]") {
  test::TempDir dir("journal");
  ManualClock clock(kT0);
  SeededRandom rng(1);
  auto n = test::make_node(dir.path(), clock, rng, node::Role::Point, "p", node::summary_projector);
  Entry e = append_ok(n->journal(), draft(kS1, "dossier.submitted", {{"applicant", {{"full_name", "Trần Thị Bình"}}}}));
  auto back = node::entry_from_json(Json::parse(node::entry_to_json(e).dump()));
  REQUIRE(back.ok());
  CHECK(back->id == e.id);
  CHECK(back->canonical == e.canonical);
  auto parsed = node::parse_entry(e.canonical, e.sig);
  REQUIRE(parsed.ok());
  CHECK(parsed->body == e.body);
  CHECK(parsed->parents == e.parents);

  Json w = node::entry_to_json(e);
  w["e"]["body"]["applicant"]["full_name"] = "Trần Thị Bính";
  auto changed = node::entry_from_json(w);
  REQUIRE_FALSE(changed.ok());
  CHECK(changed.error().code == "bad_signature");
  Json extra = node::entry_to_json(e);
  extra["e"]["extra"] = 1;
  REQUIRE_FALSE(node::entry_from_json(extra).ok());
  Signature wrong = e.sig;
  wrong[0] ^= 1;
  auto badsig = node::parse_entry(e.canonical, wrong);
  REQUIRE_FALSE(badsig.ok());
  CHECK(badsig.error().code == "bad_signature");
}

TEST_CASE("parse_entry accepts one spelling of an entry and refuses malformed ones", "[journal]") {
  test::TempDir dir("journal");
  ManualClock clock(kT0);
  SeededRandom rng(1);
  auto n = test::make_node(dir.path(), clock, rng, node::Role::Point, "p", node::summary_projector);
  Entry e1 = append_ok(n->journal(), draft(kS1));
  Entry e2 = append_ok(n->journal(), draft(kS1, "dossier.accepted"));
  const Json good = node::entry_signed_json(e2);
  const SecretKey& sk = n->keys().sk;
  auto upper = [](std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
  };
  const std::string ha = to_hex(blake2b256("a")), hb = to_hex(blake2b256("b"));
  const std::string lo = std::min(ha, hb), hi = std::max(ha, hb);
  // Each mutation is signed properly by the author, so only the format can refuse it.
  const std::vector<std::tuple<std::string, std::string, Json>> cases = {
      {"uppercase author hex", "author", upper(good["author"])},
      {"uppercase prev hex", "prev", upper(good["prev"])},
      {"uppercase parent hex", "parents", Json::array({upper(good["parents"][0])})},
      {"unknown format version", "v", 2},
      {"seq 0", "seq", 0},
      {"seq as text", "seq", "2"},
      {"negative hlc counter", "hlc", Json::array({kT0, -1})},
      {"hlc with three parts", "hlc", Json::array({kT0, 0, 0})},
      {"empty type", "type", ""},
      {"user not a string", "user", 5},
      {"body not an object", "body", Json::array()},
      {"parents not sorted", "parents", Json::array({hi, lo})},
      {"duplicate parents", "parents", Json::array({to_hex(e1.id), to_hex(e1.id)})},
      {"short key", "author", "abcd"},
  };
  for (const auto& [what, field, value] : cases) {
    INFO(what);
    Json j = good;
    j[field] = value;
    std::string bytes = canonical_bytes(j);
    auto r = node::parse_entry(bytes, sign(sk, SignDomain::JournalEntry, bytes));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "malformed_entry");
    CHECK(r.error().field == field);
  }
  for (const char* drop : {"body", "parents", "wall_ms"}) {
    Json j = good;
    j.erase(drop);
    std::string bytes = canonical_bytes(j);
    CHECK_FALSE(node::parse_entry(bytes, sign(sk, SignDomain::JournalEntry, bytes)).ok());
  }
  Json extra = good;
  extra["note"] = "x";
  std::string bytes = canonical_bytes(extra);
  CHECK_FALSE(node::parse_entry(bytes, sign(sk, SignDomain::JournalEntry, bytes)).ok());
  // The unmodified object parses back to the same entry.
  std::string same = canonical_bytes(good);
  REQUIRE(same == e2.canonical);
  CHECK(node::parse_entry(same, e2.sig).ok());
}

// Ingest writes each author's chain head once per batch (after its loop),
// not per entry: the heads after batches that extend, open and fill gaps of
// two chains are still each chain's highest entry, and survive a reopen.
TEST_CASE("chain heads written once per ingest batch end at each chain's last entry", "[journal][ingest]") {
  TwoNodes t;
  auto& a = t.a->journal();
  auto& b = t.b->journal();
  // Entry 3 ("x") is nobody's causal parent, so it can be missing.
  batch_ok(b, {draft(kS1), draft(kS2), draft("x"), draft(kS1, "dossier.accepted"), draft(kS2, "dossier.accepted")});
  append_ok(a, draft("y"));
  auto bs = b.author_entries(b.self(), 0, 100);
  REQUIRE(bs.size() == 5);
  // b's 1, 2, 4 and 5 with a's own chain untouched: a gap at 3 (sparse).
  auto first = a.ingest_sparse({bs[0], bs[1], bs[3], bs[4]});
  REQUIRE(first.ok());
  CHECK(a.heads().at(b.self()) == 5);
  // Filling the gap never moves the head back to 3.
  auto fill = a.ingest_sparse({bs[2]});
  REQUIRE(fill.ok());
  CHECK(fill.value() == 1);
  CHECK(a.heads().at(b.self()) == 5);
  CHECK(a.heads().at(a.self()) == 1);
  CHECK(a.verify().ok());
  // The next own entry links to the head this table holds.
  auto next = append_ok(a, draft("y", "dossier.accepted"));
  CHECK(next.seq == 2);
  // b goes on from the head a recorded: entry 6 extends it.
  append_ok(b, draft("x", "dossier.accepted"));
  auto more = a.ingest(b.author_entries(b.self(), 5, 100));
  REQUIRE(more.ok());
  CHECK(more.value() == 1);
  CHECK(a.heads().at(b.self()) == 6);
  CHECK(a.verify().ok());
}
