// The state machine of DOMAIN.md "Life of a dossier", by role: every act from
// every status with every role is either applied or refused with the right
// error, and a refusal writes nothing.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "dossier_fixture.hpp"

using namespace motcua;
using motcua::node::UserRole;

namespace {

// The paths that bring a new dossier to each status ("5a": supplement asked
// before acceptance, "5b": after it; "x": cancelled).
const std::vector<std::pair<std::string, std::vector<std::string>>> kStates = {
    {"1", {}},
    {"5a", {"request-supplement"}},
    {"x", {"cancel"}},
    {"2", {"accept"}},
    {"3", {"reject"}},
    {"4", {"accept", "start-processing"}},
    {"5b", {"accept", "request-supplement"}},
    {"6", {"accept", "request-fees"}},
    {"7", {"accept", "withdraw-request"}},
    {"8", {"accept", "withdraw-request", "stop"}},
    {"9", {"accept", "result-ready"}},
    {"10", {"accept", "result-ready", "handover"}},
};

int status_of(const std::string& state) {
  if (state == "5a" || state == "5b") return 5;
  if (state == "x") return 1;
  return std::stoi(state);
}

// Written out from DOMAIN.md independently of the implementation's table.
struct Expect {
  std::set<UserRole> roles;
  std::set<std::string> from;
};
const std::map<std::string, Expect>& expectations() {
  const std::set<UserRole> counter = {UserRole::Clerk, UserRole::Postal};
  const std::set<UserRole> officer = {UserRole::Officer};
  static const std::map<std::string, Expect> m = {
      {"update", {counter, {"1", "5a"}}},
      {"cancel", {counter, {"1", "5a"}}},
      {"accept", {officer, {"1"}}},
      {"reject", {officer, {"1", "5a"}}},
      {"request-supplement", {officer, {"1", "2", "4"}}},
      {"supplement", {counter, {"5a", "5b"}}},
      {"start-processing", {officer, {"2", "7"}}},
      {"request-fees", {officer, {"2", "4"}}},
      {"fees", {counter, {"1", "2", "4", "6", "9"}}},
      {"withdraw-request", {counter, {"2", "4", "5b", "6"}}},
      {"stop", {officer, {"2", "4", "5b", "6", "7"}}},
      {"result-ready", {officer, {"2", "4"}}},
      {"apologize", {officer, {"1", "2", "4", "5a", "5b", "6", "7"}}},
      {"handover", {counter, {"9"}}},
      {"delivery-failed", {{UserRole::Postal}, {"9"}}},
  };
  return m;
}

// Status after an allowed act from a state.
int expected_after(const std::string& action, const std::string& state) {
  static const std::map<std::string, int> to = {{"accept", 2}, {"reject", 3}, {"request-supplement", 5},
                                                {"start-processing", 4}, {"request-fees", 6},
                                                {"withdraw-request", 7}, {"stop", 8}, {"result-ready", 9},
                                                {"handover", 10}};
  if (to.count(action)) return to.at(action);
  if (action == "supplement") return state == "5a" ? 1 : 2;
  if (action == "fees" && state == "6") return 2;
  return status_of(state);
}

Json body_for(const std::string& action) {
  if (action == "update") return Json{{"applicant", {{"phone", "0987654321"}}}};
  if (action == "cancel") return Json{{"reason", "Công dân đổi ý"}};
  if (action == "reject") return Json{{"reason", "Không thuộc thẩm quyền"}};
  if (action == "request-supplement") return Json{{"missing", {"Bản sao giấy khai sinh"}}};
  if (action == "request-fees") return Json{{"amount_vnd", 8000}};
  if (action == "fees") return Json{{"amount_vnd", 8000}, {"receipt_no", "BL-0001"}};
  if (action == "withdraw-request") return Json{{"reason", "Không cần nữa"}};
  if (action == "stop") return Json{{"reason", "Công dân rút hồ sơ"}};
  if (action == "apologize") return Json{{"reason", "Cần xác minh thêm"}, {"new_due_at", "2025-12-31T10:00:00Z"}};
  if (action == "handover")
    return Json{{"recipient", {{"full_name", "Nguyễn Thị Lan"}, {"cccd", "033190001234"}}}, {"place", "counter"}};
  if (action == "delivery-failed") return Json{{"reason", "Không có người nhận"}};
  return Json::object();
}

const node::Actor& actor_for(test::DossierFixture& f, UserRole r) {
  switch (r) {
    case UserRole::Clerk: return f.clerk;
    case UserRole::Postal: return f.postal;
    case UserRole::Officer: return f.officer;
    default: return f.admin;
  }
}

node::Actor allowed_actor(test::DossierFixture& f, const std::string& action) {
  const auto& roles = expectations().at(action).roles;
  return actor_for(f, *roles.begin());
}

std::string bring_to(test::DossierFixture& f, const std::string& state) {
  std::string code = f.take_in();
  for (const auto& [name, path] : kStates)
    if (name == state)
      for (const auto& a : path) f.must(allowed_actor(f, a), code, a, body_for(a));
  return code;
}

Result<Json> run(test::DossierFixture& f, const node::Actor& who, const std::string& code, const std::string& action) {
  return action == "update" ? f.svc->update(who, code, body_for(action)) : f.svc->act(who, code, action, body_for(action));
}

}  // namespace

TEST_CASE("every act is applied or refused exactly as DOMAIN.md's table says, by role and status", "[dossier][transitions]") {
  test::DossierFixture f;
  const std::vector<UserRole> roles = {UserRole::Clerk, UserRole::Postal, UserRole::Officer, UserRole::Admin};
  int applied = 0, forbidden = 0, invalid = 0;
  for (const auto& [state, path] : kStates) {
    const std::string base = bring_to(f, state);
    REQUIRE(f.state(base)["status"] == status_of(state));
    for (const auto& [action, expect] : expectations()) {
      for (UserRole role : roles) {
        CAPTURE(state, action, node::user_role_name(role));
        const bool role_ok = expect.roles.count(role) > 0;
        const bool status_ok = expect.from.count(state) > 0;
        if (role_ok && status_ok) {
          std::string code = bring_to(f, state);
          int64_t before = f.node->journal().count();
          auto r = run(f, actor_for(f, role), code, action);
          REQUIRE(r.ok());
          CHECK(f.node->journal().count() == before + 1);
          CHECK(r.value()["status"] == expected_after(action, state));
          if (action == "cancel") CHECK(r.value()["cancelled"].is_object());
          ++applied;
        } else {
          int64_t before = f.node->journal().count();
          Json state_before = f.state(base);
          auto r = run(f, actor_for(f, role), base, action);
          REQUIRE_FALSE(r.ok());
          if (!role_ok) {
            CHECK(r.error().code == "forbidden");
            ++forbidden;
          } else {
            CHECK(r.error().code == "invalid_transition");
            std::string st = std::to_string(status_of(state));
            CHECK_THAT(r.error().message, Catch::Contains("dossier is in status " + st + " ("));
            ++invalid;
          }
          CHECK(f.node->journal().count() == before);
          CHECK(f.state(base) == state_before);
        }
      }
    }
  }
  // The table was really walked.
  CHECK(applied > 50);
  CHECK(forbidden > 300);
  CHECK(invalid > 60);
}

TEST_CASE("update and cancel after acceptance are refused as invalid transitions naming the status", "[dossier][transitions]") {
  test::DossierFixture f;
  std::string code = f.take_in();
  f.must(f.officer, code, "accept");
  int64_t before = f.node->journal().count();
  auto u = f.svc->update(f.clerk, code, Json{{"applicant", {{"full_name", "Trần Văn B"}}}});
  REQUIRE_FALSE(u.ok());
  CHECK(u.error().code == "invalid_transition");
  CHECK_THAT(u.error().message, Catch::Contains("dossier is in status 2 (Được tiếp nhận)"));
  auto c = f.svc->act(f.postal, code, "cancel", Json{{"reason", "đổi ý"}});
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().code == "invalid_transition");
  CHECK_THAT(c.error().message, Catch::Contains("withdraw"));
  CHECK(f.node->journal().count() == before);
  CHECK(f.state(code)["applicant"]["full_name"] == "Nguyễn Thị Lan");
}

TEST_CASE("only clerks and postal workers take dossiers in", "[dossier][transitions]") {
  test::DossierFixture f;
  for (const auto* who : {&f.officer, &f.admin}) {
    auto r = f.svc->intake(*who, test::DossierFixture::intake_request());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "forbidden");
  }
  CHECK(f.node->journal().count() == 0);
  auto r = f.svc->intake(f.postal, test::DossierFixture::intake_request());
  REQUIRE(r.ok());
  CHECK(r.value()["status"] == 1);
}

TEST_CASE("acts on an unknown dossier or with an unknown action are refused", "[dossier][transitions]") {
  test::DossierFixture f;
  auto r = f.svc->act(f.officer, "000.00.01.H22-250701-9999", "accept", Json::object());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "not_found");
  std::string code = f.take_in();
  auto u = f.svc->act(f.officer, code, "approve", Json::object());
  REQUIRE_FALSE(u.ok());
  CHECK(u.error().code == "not_found");
}

TEST_CASE("required reasons, missing lists and new due dates are checked", "[dossier][transitions]") {
  test::DossierFixture f;
  std::string code = f.take_in();
  int64_t before = f.node->journal().count();
  struct Case {
    std::string action;
    Json body;
    std::string code, field;
  };
  const std::vector<Case> cases = {
      {"reject", Json::object(), "missing_field", "reason"},
      {"reject", Json{{"reason", "   "}}, "missing_field", "reason"},
      {"reject", Json{{"reason", 5}}, "wrong_type", "reason"},
      {"request-supplement", Json::object(), "missing_field", "missing"},
      {"request-supplement", Json{{"missing", "CCCD"}}, "wrong_type", "missing"},
      {"request-supplement", Json{{"missing", Json::array()}}, "invalid_value", "missing"},
      {"request-supplement", Json{{"missing", {"CCCD", 3}}}, "wrong_type", "missing[1]"},
      {"apologize", Json{{"reason", "trễ"}}, "missing_field", "new_due_at"},
      {"apologize", Json{{"reason", "trễ"}, {"new_due_at", "next week"}}, "invalid_value", "new_due_at"},
      {"apologize", Json{{"reason", "trễ"}, {"new_due_at", "2025-07-02T10:00:00Z"}}, "invalid_value", "new_due_at"},
      {"apologize", Json{{"new_due_at", "2025-08-01T10:00:00Z"}}, "missing_field", "reason"},
      {"accept", Json{{"reson", "typo"}}, "unknown_field", "reson"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.action, c.body.dump());
    auto r = f.svc->act(f.officer, code, c.action, c.body);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == c.code);
    CHECK(r.error().field == c.field);
  }
  auto cancel = f.svc->act(f.clerk, code, "cancel", Json::object());
  REQUIRE_FALSE(cancel.ok());
  CHECK(cancel.error().field == "reason");
  CHECK(f.node->journal().count() == before);
}
