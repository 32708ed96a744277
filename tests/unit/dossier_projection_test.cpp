// The dossier projection is a pure function of the SET of a dossier's
// entries: any order (and repeats) give byte-identical state, so every node
// that holds the same entries reports the same state hash.
#include <catch2/catch.hpp>
#include <set>

#include "../../node/src/dossier_fold.hpp"
#include "dossier_fixture.hpp"
#include "motcua/crypto.hpp"

using namespace motcua;

namespace {

void push_all(node::Node& from, node::Node& to) {
  std::vector<node::Entry> all;
  for (const auto& [author, head] : from.journal().heads()) {
    (void)head;
    auto es = from.journal().author_entries(author, 0, 1'000'000);
    all.insert(all.end(), es.begin(), es.end());
  }
  auto r = to.journal().ingest(all);
  if (!r.ok()) throw std::runtime_error("ingest: " + r.error().message);
}

// A dossier with a long life and concurrent acts at two nodes.
std::string busy_dossier(test::DossierFixture& a, test::DossierFixture& b) {
  std::string code = a.take_in();
  push_all(*a.node, *b.node);
  a.clock.advance(60'000);
  b.clock.advance(90'000);
  a.must(a.clerk, code, "update", Json{{"applicant", {{"phone", "0911111111"}}}});
  b.must(b.clerk, code, "update", Json{{"applicant", {{"phone", "0922222222"}, {"address", "Xóm Bắc"}}}});
  a.must(a.clerk, code, "fees", Json{{"amount_vnd", 2000}, {"receipt_no", "BL-1"}});
  push_all(*a.node, *b.node);
  push_all(*b.node, *a.node);
  b.clock.advance(3'600'000);
  b.must(b.officer, code, "accept");
  a.must(a.clerk, code, "cancel", Json{{"reason", "đổi ý"}});  // concurrent with the acceptance
  push_all(*a.node, *b.node);
  push_all(*b.node, *a.node);
  b.clock.advance(86'400'000);
  b.must(b.officer, code, "request-supplement", Json{{"missing", {"Bản sao sổ hộ khẩu"}}});
  push_all(*b.node, *a.node);
  a.clock.advance(2 * 86'400'000);
  a.must(a.clerk, code, "supplement", Json{{"note", "đã nộp bản sao"}});
  push_all(*a.node, *b.node);
  b.clock.advance(86'400'000);
  b.must(b.officer, code, "start-processing");
  b.must(b.officer, code, "result-ready");
  push_all(*b.node, *a.node);
  a.clock.advance(3'600'000);
  b.clock.advance(7'200'000);
  a.must(a.clerk, code, "handover", Json{{"recipient", {{"full_name", "Nguyễn Thị Lan"}, {"cccd", "033190001234"}}}, {"place", "counter"}});
  b.must(b.postal, code, "delivery-failed", Json{{"reason", "Vắng nhà"}});
  push_all(*a.node, *b.node);
  push_all(*b.node, *a.node);
  return code;
}

}  // namespace

TEST_CASE("any order of a dossier's entries gives the same state bytes and hash", "[dossier][projection]") {
  test::DossierFixture a{"xa-an-thi", 21};
  test::DossierFixture b{"tinh-hung-yen", 22};
  const std::string code = busy_dossier(a, b);
  std::vector<node::Entry> entries = a.node->journal().subject_entries(code);
  REQUIRE(entries.size() >= 12);
  const std::string reference = canonical_bytes(node::dossier_projector(code, entries));
  // The reference is what both nodes stored.
  CHECK(canonical_bytes(*a.node->journal().subject_state(code)) == reference);
  CHECK(canonical_bytes(*b.node->journal().subject_state(code)) == reference);
  CHECK(a.node->journal().state_hash() == b.node->journal().state_hash());

  SeededRandom rng(20250701);
  for (int round = 0; round < 300; ++round) {
    std::vector<node::Entry> perm = entries;
    for (size_t i = perm.size() - 1; i > 0; --i) std::swap(perm[i], perm[rng.next_u64() % (i + 1)]);
    if (round % 3 == 0) perm.push_back(perm[rng.next_u64() % perm.size()]);  // a repeat changes nothing
    std::string got = canonical_bytes(node::dossier_projector(code, perm));
    REQUIRE(got == reference);
    REQUIRE(blake2b256(got) == blake2b256(reference));
  }
  // The busy dossier exercised the rules it is meant to.
  Json s = Json::parse(reference);
  CHECK(s["status"] == 10);
  CHECK(s["conflicts"].size() == 3);  // concurrent phone edits, accept vs cancel, handover vs delivery failure
}

namespace {

// A random order of `entries` in which every entry comes after its parents.
std::vector<node::Entry> random_causal_order(const std::vector<node::Entry>& entries, SeededRandom& rng) {
  std::set<Hash32> ids, placed;
  for (const auto& e : entries) ids.insert(e.id);
  std::vector<node::Entry> left = entries, out;
  while (!left.empty()) {
    std::vector<size_t> ready;
    for (size_t i = 0; i < left.size(); ++i) {
      bool ok = true;
      for (const auto& p : left[i].parents) ok = ok && (!ids.count(p) || placed.count(p));
      if (ok) ready.push_back(i);
    }
    REQUIRE(!ready.empty());
    size_t pick = ready[rng.next_u64() % ready.size()];
    placed.insert(left[pick].id);
    out.push_back(left[pick]);
    left.erase(left.begin() + static_cast<long>(pick));
  }
  return out;
}

}  // namespace

TEST_CASE("the projection fold gives the projector's answer for every causal order and starting set",
          "[dossier][projection][fold]") {
  test::DossierFixture a{"xa-an-thi", 23};
  test::DossierFixture b{"tinh-hung-yen", 24};
  const std::string code = busy_dossier(a, b);
  const std::vector<node::Entry> entries = a.node->journal().subject_entries(code);
  REQUIRE(entries.size() >= 12);

  SeededRandom rng(20261207);
  int extended = 0, not_after = 0;
  for (int round = 0; round < 200; ++round) {
    const std::vector<node::Entry> order = random_causal_order(entries, rng);
    // Start from the first k entries of the order (k >= 1: the intake may
    // come later than an entry in a concurrent branch, then no fold starts).
    const size_t k = 1 + rng.next_u64() % order.size();
    std::vector<node::Entry> held(order.begin(), order.begin() + static_cast<long>(k));
    auto fold = node::DossierFold::start(code, held);
    auto check = [&] {
      const Json want = node::dossier_projector(code, held);
      REQUIRE(fold);
      auto got = fold->output();
      REQUIRE(got);
      REQUIRE(canonical_bytes(*got) == canonical_bytes(want));
      REQUIRE(fold->scope() == node::scope_fields(want));
      REQUIRE(fold->size() == held.size());
    };
    if (!fold) {
      // Only a set without a dossier.* entry has no fold: the summary answers.
      for (const auto& e : held) REQUIRE(e.type.rfind("dossier.", 0) != 0);
      continue;
    }
    check();
    for (size_t i = k; i < order.size(); ++i) {
      const node::Entry& e = order[i];
      held.push_back(e);  // the list may move: the fold follows it
      fold->rebind(held);
      auto step = fold->extend(held.back());
      REQUIRE(step != node::DossierFold::Step::Broken);
      if (step == node::DossierFold::Step::Extended) {
        ++extended;
      } else {
        ++not_after;  // concurrent with an entry held: the journal starts a new fold
        fold = node::DossierFold::start(code, held);
      }
      check();
    }
    // An entry held already is never added twice.
    CHECK(fold->extend(held.back()) == node::DossierFold::Step::NotAfter);
    CHECK(fold->size() == entries.size());
  }
  // The busy dossier has both shapes: entries after all others, and concurrent ones.
  CHECK(extended > 200);
  CHECK(not_after > 50);

  // Subjects that are not dossiers get no fold.
  auto e = a.node->journal().append(node::EntryDraft{"system", "catalogue.published", "catalogue", Json{{"n", 1}}});
  REQUIRE(e.ok());
  CHECK(node::DossierFold::start("catalogue", {e.value()}) == nullptr);
}

TEST_CASE("admission's scope is the projected state's scope fields for every entry an ingest admits",
          "[dossier][projection][fold]") {
  test::DossierFixture a{"xa-an-thi", 25};
  test::DossierFixture b{"tinh-hung-yen", 26};
  const std::string code = busy_dossier(a, b);
  for (int i = 0; i < 3; ++i) a.take_in();  // more dossiers in the same batches
  std::vector<node::Entry> all;
  for (const auto& [author, head] : a.node->journal().heads()) {
    (void)head;
    auto es = a.node->journal().author_entries(author, 0, 1'000'000);
    all.insert(all.end(), es.begin(), es.end());
  }
  // Into a fresh node in three batches, with an admitter that compares the
  // two views of every dossier act (the fold answers scope() inside ingest).
  test::DossierFixture c{"xa-an-thi", 27};
  int compared = 0, with_state = 0;
  node::IngestOptions o;
  o.admit = [&](const node::AdmitContext& ctx) -> std::optional<node::Admission> {
    if (ctx.entry.subject.rfind("reference.", 0) == 0 || ctx.entry.type.rfind("dossier.", 0) != 0) return std::nullopt;
    const Json state = ctx.state();
    const Json scope = ctx.scope();
    CHECK(scope == node::scope_fields(state));
    ++compared;
    if (state.is_object()) ++with_state;
    return std::nullopt;
  };
  const size_t third = all.size() / 3;
  std::vector<std::vector<node::Entry>> batches{{all.begin(), all.begin() + static_cast<long>(third)},
                                                {all.begin() + static_cast<long>(third), all.begin() + static_cast<long>(2 * third)},
                                                {all.begin() + static_cast<long>(2 * third), all.end()}};
  for (const auto& batch : batches) {
    auto r = c.node->journal().ingest(batch, o);
    REQUIRE(r.ok());
  }
  CHECK(compared >= 15);
  CHECK(with_state > 10);
  // And what was stored is the projector's answer over the whole set.
  CHECK(canonical_bytes(*c.node->journal().subject_state(code)) ==
        canonical_bytes(node::dossier_projector(code, c.node->journal().subject_entries(code))));
  CHECK(c.node->journal().state_hash() == a.node->journal().state_hash());
  CHECK(c.node->journal().verify().ok());
}

TEST_CASE("the stored projection and list index are rebuilt from the journal alone", "[dossier][projection]") {
  test::DossierFixture a{"xa-an-thi", 31};
  test::DossierFixture b{"tinh-hung-yen", 32};
  const std::string code = busy_dossier(a, b);
  const Hash32 before = a.node->journal().state_hash();
  const Json listed = a.svc->list({}).value();
  REQUIRE(a.node->journal().rebuild_projection().ok());
  CHECK(a.node->journal().state_hash() == before);
  CHECK(a.svc->list({}).value() == listed);
  CHECK(a.svc->list_conflicts().value()["items"].size() == 3);
  CHECK(a.node->journal().verify().ok());
}

TEST_CASE("subjects that are not dossiers keep the summary projection", "[dossier][projection]") {
  test::DossierFixture f;
  auto e = f.node->journal().append(node::EntryDraft{"system", "catalogue.published", "catalogue", Json{{"n", 1}}});
  REQUIRE(e.ok());
  auto s = f.node->journal().subject_state("catalogue");
  REQUIRE(s);
  CHECK(*s == node::summary_projector("catalogue", {e.value()}));
  CHECK(f.svc->get("catalogue").error().code == "not_found");
}

TEST_CASE("the paused clock moves the due date by the working days spent waiting", "[dossier][projection]") {
  // Received Tuesday 1 July 2025 09:00, 3 working days: due Friday 4 July 17:00.
  test::DossierFixture f;
  std::string code = f.take_in();
  CHECK(f.state(code)["due_at"] == test::vn_iso(2025, 7, 4, 17));
  f.must(f.officer, code, "accept");
  f.clock.set(test::vn_ms(2025, 7, 2, 10));  // Wednesday: supplement asked
  f.must(f.officer, code, "request-supplement", Json{{"missing", {"Tờ khai"}}});
  Json s = f.state(code);
  CHECK(s["status"] == 5);
  CHECK(s["paused"]["kind"] == "supplement");
  f.clock.set(test::vn_ms(2025, 7, 7, 8));  // Monday: the citizen brings it (Thu, Fri, Mon = 3 working days)
  s = f.must(f.clerk, code, "supplement", Json{{"note", "đủ"}});
  CHECK(s["status"] == 2);
  CHECK(s["paused"].is_null());
  CHECK(s["pauses"][0]["working_days"] == 3);
  CHECK(s["due_at"] == test::vn_iso(2025, 7, 9, 17));  // Fri 4 + 3 working days = Wed 9
  // Fees: asked Wednesday 9, paid the same day: no working day lost.
  f.clock.set(test::vn_ms(2025, 7, 9, 9));
  f.must(f.officer, code, "request-fees", Json{{"amount_vnd", 8000}});
  f.clock.set(test::vn_ms(2025, 7, 9, 11));
  s = f.must(f.clerk, code, "fees", Json{{"amount_vnd", 8000}, {"receipt_no", "BL-2"}});
  CHECK(s["status"] == 2);
  CHECK(s["due_at"] == test::vn_iso(2025, 7, 9, 17));
  // Overdue: an apology sets a new date; every date stays in the history.
  f.clock.set(test::vn_ms(2025, 7, 10, 9));
  CHECK(f.state(code)["overdue"] == true);
  s = f.must(f.officer, code, "apologize", Json{{"reason", "Cần xác minh"}, {"new_due_at", test::vn_iso(2025, 7, 15, 17)}});
  CHECK(s["due_at"] == test::vn_iso(2025, 7, 15, 17));
  CHECK(s["overdue"] == false);
  REQUIRE(s["due_history"].size() == 4);
  CHECK(s["due_history"][0]["kind"] == "intake");
  CHECK(s["due_history"][1]["kind"] == "resumed");
  CHECK(s["due_history"][3]["kind"] == "apology");
  CHECK(s["due_history"][3]["reason"] == "Cần xác minh");
}

TEST_CASE("malformed bodies from another node never break the projection", "[dossier][projection]") {
  test::DossierFixture a{"xa-an-thi", 41};
  test::DossierFixture b{"tinh-hung-yen", 42};
  std::string code = a.take_in();
  push_all(*a.node, *b.node);
  // Written straight to b's journal, bypassing the service's validation.
  for (const auto& [type, body] : std::vector<std::pair<std::string, Json>>{
           {"dossier.updated", Json{{"changes", {{"applicant", "x"}, {"attachments", 7}, {"form", {{"k", 1}}}}}}},
           {"dossier.apologized", Json{{"new_due_at", 12}, {"reason", Json::array()}}},
           {"dossier.fees_collected", Json{{"amount_vnd", "nhiều"}}},
           {"conflict.resolved", Json{{"conflict_id", 5}}},
           {"dossier.something_new", Json{{"x", 1}}}}) {
    REQUIRE(b.node->journal().append(node::EntryDraft{"odd", type, code, body}).ok());
  }
  push_all(*b.node, *a.node);
  Json s = a.state(code);
  CHECK(s["status"] == 1);
  CHECK(s["form"]["k"] == 1);
  CHECK(s["applicant"]["full_name"] == "Nguyễn Thị Lan");
  CHECK(s["other_events"].size() == 1);
  CHECK(a.node->journal().state_hash() == b.node->journal().state_hash());
  CHECK(a.node->journal().verify().ok());
}
