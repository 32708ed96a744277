// DOMAIN.md "Conflicts": the same dossier changed at two nodes while apart.
// Each rule gives the same state on both nodes whatever the order entries
// arrive in, lists the conflict with the entries involved, and an admin's
// resolution is a signed event.
#include <catch2/catch.hpp>

#include "dossier_fixture.hpp"

using namespace motcua;

namespace {

// Gives `to` every entry `from` holds (any author), in chain order.
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

struct TwoNodes {
  test::DossierFixture a{"xa-an-thi", 11};
  test::DossierFixture b{"tinh-hung-yen", 12};
  std::string code;
  TwoNodes() {
    code = a.take_in();
    push_all(*a.node, *b.node);
  }
  void exchange() {
    push_all(*a.node, *b.node);
    push_all(*b.node, *a.node);
  }
  std::string last_entry(test::DossierFixture& f) {
    const node::Entry* latest = nullptr;
    auto es = f.node->journal().subject_entries(code);
    for (const auto& e : es)
      if (e.author == f.node->keys().pk && (!latest || e.seq > latest->seq)) latest = &e;
    if (!latest) throw std::runtime_error("no own entry");
    return to_hex(latest->id);
  }
  void check_same_state() {
    CHECK(a.state(code) == b.state(code));
    CHECK(a.node->journal().state_hash() == b.node->journal().state_hash());
  }
};

Json find_conflict(const Json& state, const std::string& kind) {
  for (const auto& c : state["conflicts"])
    if (c["kind"] == kind) return c;
  return nullptr;
}

bool has_entry(const Json& conflict, const std::string& id) {
  for (const auto& e : conflict["entries"])
    if (e == id) return true;
  return false;
}

}  // namespace

TEST_CASE("acceptance beats a concurrent update whichever has the later clock", "[dossier][conflicts]") {
  for (bool update_later : {false, true}) {
    CAPTURE(update_later);
    TwoNodes t;
    t.a.clock.advance(update_later ? 60'000 : 600'000);
    t.b.clock.advance(update_later ? 600'000 : 60'000);
    t.b.must(t.b.officer, t.code, "accept");
    t.a.must(t.a.clerk, t.code, "update", Json{{"applicant", {{"full_name", "Nguyễn Thị Lan Anh"}}}});
    const std::string accept_id = t.last_entry(t.b), update_id = t.last_entry(t.a);
    t.exchange();
    t.check_same_state();
    Json s = t.a.state(t.code);
    CHECK(s["status"] == 2);
    CHECK(s["applicant"]["full_name"] == "Nguyễn Thị Lan");
    REQUIRE(s["superseded"].size() == 1);
    CHECK(s["superseded"][0]["entry"] == update_id);
    Json c = find_conflict(s, "agency_act_vs_edit");
    REQUIRE(c.is_object());
    CHECK(c["winner"] == accept_id);
    CHECK(has_entry(c, accept_id));
    CHECK(has_entry(c, update_id));
    CHECK(c["resolved"] == false);
    CHECK(s["open_conflicts"] == 1);
    // The superseded update stays in the history.
    auto h = t.a.svc->history(t.code);
    REQUIRE(h.ok());
    bool found = false;
    for (const auto& e : h.value()["events"])
      if (e["entry_hash"] == update_id) {
        found = true;
        CHECK(e["superseded"] == true);
        CHECK(e["body"]["changes"]["applicant"]["full_name"] == "Nguyễn Thị Lan Anh");
      }
    CHECK(found);
  }
}

TEST_CASE("a refusal beats a concurrent cancellation", "[dossier][conflicts]") {
  TwoNodes t;
  t.a.clock.advance(900'000);  // the cancellation has the later clock
  t.b.must(t.b.officer, t.code, "reject", Json{{"reason", "Sai thẩm quyền"}});
  t.a.must(t.a.postal, t.code, "cancel", Json{{"reason", "Đổi ý"}});
  t.exchange();
  t.check_same_state();
  Json s = t.b.state(t.code);
  CHECK(s["status"] == 3);
  CHECK(s["cancelled"].is_null());
  CHECK(s["refusal"]["reason"] == "Sai thẩm quyền");
  CHECK(find_conflict(s, "agency_act_vs_edit").is_object());
}

TEST_CASE("concurrent edits of the same field: the later clock wins and the loser stays in the history", "[dossier][conflicts]") {
  TwoNodes t;
  t.a.clock.advance(60'000);
  t.b.clock.advance(300'000);  // b's edit is later
  t.a.must(t.a.clerk, t.code, "update", Json{{"applicant", {{"phone", "0911111111"}, {"address", "Xóm Đông"}}}});
  t.b.must(t.b.clerk, t.code, "update", Json{{"applicant", {{"phone", "0922222222"}}}});
  const std::string a_id = t.last_entry(t.a), b_id = t.last_entry(t.b);
  t.exchange();
  t.check_same_state();
  Json s = t.a.state(t.code);
  CHECK(s["applicant"]["phone"] == "0922222222");
  CHECK(s["applicant"]["address"] == "Xóm Đông");  // a field only one side changed is kept
  Json c = find_conflict(s, "concurrent_edit");
  REQUIRE(c.is_object());
  CHECK(c["winner"] == b_id);
  REQUIRE(c["details"].size() == 1);
  CHECK(c["details"][0]["field"] == "applicant.phone");
  CHECK(c["details"][0]["kept"] == "0922222222");
  CHECK(c["details"][0]["lost"] == "0911111111");
  CHECK(c["details"][0]["lost_entry"] == a_id);
  // A later edit that has seen both is no conflict.
  t.a.clock.advance(600'000);
  t.a.must(t.a.clerk, t.code, "update", Json{{"applicant", {{"phone", "0933333333"}}}});
  t.exchange();
  t.check_same_state();
  s = t.b.state(t.code);
  CHECK(s["applicant"]["phone"] == "0933333333");
  CHECK(s["conflicts"].size() == 1);
}

TEST_CASE("edits at the same clock are settled by node key", "[dossier][conflicts]") {
  TwoNodes t;
  // Same wall clock on both sides: HLC ties only if both observed the same
  // history, so force it by setting both clocks far ahead equally.
  t.a.clock.set(test::vn_ms(2025, 7, 1, 10));
  t.b.clock.set(test::vn_ms(2025, 7, 1, 10));
  t.a.must(t.a.clerk, t.code, "update", Json{{"form", {{"purpose", "A"}}}});
  t.b.must(t.b.clerk, t.code, "update", Json{{"form", {{"purpose", "B"}}}});
  t.exchange();
  t.check_same_state();
  Json s = t.a.state(t.code);
  bool a_bigger = t.a.node->keys().pk > t.b.node->keys().pk;
  CHECK(s["form"]["purpose"] == (a_bigger ? "A" : "B"));
  CHECK(find_conflict(s, "concurrent_edit").is_object());
}

TEST_CASE("two concurrent handovers both stand and are listed", "[dossier][conflicts]") {
  TwoNodes t;
  t.a.must(t.a.officer, t.code, "accept");
  t.a.must(t.a.officer, t.code, "result-ready");
  push_all(*t.a.node, *t.b.node);
  Json rec{{"recipient", {{"full_name", "Nguyễn Thị Lan"}, {"cccd", "033190001234"}}}, {"place", "counter"}};
  t.a.clock.advance(60'000);
  t.b.clock.advance(120'000);
  t.a.must(t.a.clerk, t.code, "handover", rec);
  t.b.must(t.b.postal, t.code, "handover", Json{{"recipient", {{"full_name", "Trần Văn Bình"}, {"cccd", "033190009999"}, {"relation", "chồng"}, {"authorization", "Giấy ủy quyền số 12/UQ ngày 01/07/2025"}}}, {"place", "postal"}});
  t.exchange();
  t.check_same_state();
  Json s = t.a.state(t.code);
  CHECK(s["status"] == 10);
  CHECK(s["handovers"].size() == 2);
  Json c = find_conflict(s, "double_handover");
  REQUIRE(c.is_object());
  CHECK(c["winner"].is_null());
  CHECK(c["entries"].size() == 2);
}

TEST_CASE("a handover beats a concurrent failed delivery even with an earlier clock", "[dossier][conflicts]") {
  TwoNodes t;
  t.a.must(t.a.officer, t.code, "accept");
  t.a.must(t.a.officer, t.code, "result-ready");
  push_all(*t.a.node, *t.b.node);
  t.a.clock.advance(60'000);
  t.b.clock.advance(3'600'000);  // the failed delivery is recorded later
  t.a.must(t.a.clerk, t.code, "handover", Json{{"recipient", {{"full_name", "Nguyễn Thị Lan"}, {"cccd", "033190001234"}}}, {"place", "counter"}});
  t.b.must(t.b.postal, t.code, "delivery-failed", Json{{"reason", "Không có người ở nhà"}});
  const std::string handover_id = t.last_entry(t.a);
  t.exchange();
  t.check_same_state();
  Json s = t.b.state(t.code);
  CHECK(s["status"] == 10);
  CHECK(s["delivery_attempts"].empty());
  REQUIRE(s["superseded"].size() == 1);
  CHECK(s["superseded"][0]["type"] == "dossier.delivery_failed");
  Json c = find_conflict(s, "handover_vs_delivery_failed");
  REQUIRE(c.is_object());
  CHECK(c["winner"] == handover_id);
}

TEST_CASE("concurrent status acts: the first in causal and clock order applies, the other is listed", "[dossier][conflicts]") {
  TwoNodes t;
  t.a.clock.advance(60'000);
  t.b.clock.advance(120'000);
  t.a.must(t.a.officer, t.code, "accept");
  t.b.must(t.b.officer, t.code, "reject", Json{{"reason", "Thiếu giấy tờ"}});
  t.exchange();
  t.check_same_state();
  Json s = t.a.state(t.code);
  CHECK(s["status"] == 2);
  REQUIRE(s["not_applied"].size() == 1);
  CHECK(s["not_applied"][0]["type"] == "dossier.rejected");
  CHECK(find_conflict(s, "concurrent_transition").is_object());
}

TEST_CASE("an admin resolves a conflict with a signed event that every node sees", "[dossier][conflicts]") {
  TwoNodes t;
  t.b.must(t.b.officer, t.code, "accept");
  t.a.must(t.a.clerk, t.code, "update", Json{{"applicant", {{"full_name", "Nguyễn Thị Lan Anh"}}}});
  t.exchange();
  auto listed = t.a.svc->list_conflicts();
  REQUIRE(listed.ok());
  REQUIRE(listed.value()["items"].size() == 1);
  Json item = listed.value()["items"][0];
  CHECK(item["dossier"] == t.code);
  const std::string id = item["id"];
  // The id is the same on both nodes.
  CHECK(t.b.svc->list_conflicts().value()["items"][0]["id"] == id);

  int64_t before = t.a.node->journal().count();
  auto clerk_try = t.a.svc->resolve_conflict(t.a.clerk, id, Json{{"decision", "x"}});
  REQUIRE_FALSE(clerk_try.ok());
  CHECK(clerk_try.error().code == "forbidden");
  auto no_decision = t.a.svc->resolve_conflict(t.a.admin, id, Json::object());
  REQUIRE_FALSE(no_decision.ok());
  CHECK(no_decision.error().field == "decision");
  auto unknown = t.a.svc->resolve_conflict(t.a.admin, "00000000000000000000000000000000", Json{{"decision", "x"}});
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code == "not_found");
  CHECK(t.a.node->journal().count() == before);

  auto r = t.a.svc->resolve_conflict(t.a.admin, id, Json{{"decision", "Giữ tên theo CCCD"}, {"note", "đã gọi điện"}});
  REQUIRE(r.ok());
  CHECK(r.value()["resolved"] == true);
  CHECK(r.value()["resolutions"][0]["by"] == "root");
  CHECK(t.a.node->journal().count() == before + 1);
  auto again = t.a.svc->resolve_conflict(t.a.admin, id, Json{{"decision", "lại"}});
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == "conflict");

  t.exchange();
  t.check_same_state();
  Json s = t.b.state(t.code);
  CHECK(s["open_conflicts"] == 0);
  CHECK(s["conflicts"][0]["resolved"] == true);
  CHECK(s["conflicts"][0]["resolutions"][0]["decision"] == "Giữ tên theo CCCD");
  // Old events are untouched: the superseded update is still there, still superseded.
  CHECK(s["superseded"].size() == 1);
  CHECK(s["applicant"]["full_name"] == "Nguyễn Thị Lan");
}
