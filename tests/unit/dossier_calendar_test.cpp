// Due dates in working days (DOMAIN.md "Due date"): weekends and holidays do
// not count, a dossier received at or after the cut-off counts from the next
// working day, all in Asia/Ho_Chi_Minh time.
#include <catch2/catch.hpp>

#include "dossier_fixture.hpp"
#include "motcua/node/catalogue.hpp"

using namespace motcua;

namespace {

// Takes a dossier in at a Vietnam local time and returns its due_at.
std::string due_for(test::DossierFixture& f, int64_t at, const std::string& procedure) {
  f.clock.set(at);
  auto r = f.svc->intake(f.clerk, test::DossierFixture::intake_request(procedure));
  REQUIRE(r.ok());
  return r.value()["due_at"];
}

const std::string kThreeDays = "1.004873";  // Giấy xác nhận tình trạng hôn nhân: 3 working days
const std::string kSameDay = "1.001193";    // Đăng ký khai sinh: same day

}  // namespace

TEST_CASE("working days skip the weekend", "[dossier][calendar]") {
  test::DossierFixture f;
  // Friday 4 July 2025, 3 working days: Mon 7, Tue 8, Wed 9.
  CHECK(due_for(f, test::vn_ms(2025, 7, 4, 9), kThreeDays) == test::vn_iso(2025, 7, 9, 17));
  // Received on a Saturday: counting starts Monday.
  CHECK(due_for(f, test::vn_ms(2025, 7, 5, 9), kSameDay) == test::vn_iso(2025, 7, 7, 17));
}

TEST_CASE("working days skip Tết 2026", "[dossier][calendar]") {
  test::DossierFixture f;
  // Friday 13 February 2026; Tết Bính Ngọ 16-20 Feb, weekends around it:
  // Mon 23, Tue 24, Wed 25.
  CHECK(due_for(f, test::vn_ms(2026, 2, 13, 9), kThreeDays) == test::vn_iso(2026, 2, 25, 17));
  // Tết Ất Tỵ 2025 (27-31 Jan) with the make-up Saturday 15 Feb counted as a working day.
  CHECK(due_for(f, test::vn_ms(2025, 1, 24, 9), kThreeDays) == test::vn_iso(2025, 2, 5, 17));
  CHECK(due_for(f, test::vn_ms(2025, 2, 14, 9), "1.003677") == test::vn_iso(2025, 2, 15, 17));  // 1 working day
}

TEST_CASE("a dossier received at or after the cut-off counts from the next working day", "[dossier][calendar]") {
  test::DossierFixture f;
  CHECK(due_for(f, test::vn_ms(2025, 7, 1, 14, 59), kSameDay) == test::vn_iso(2025, 7, 1, 17));
  CHECK(due_for(f, test::vn_ms(2025, 7, 1, 15, 0), kSameDay) == test::vn_iso(2025, 7, 2, 17));
  CHECK(due_for(f, test::vn_ms(2025, 7, 1, 15, 30), kThreeDays) == test::vn_iso(2025, 7, 7, 17));
  // Friday after the cut-off: Monday.
  CHECK(due_for(f, test::vn_ms(2025, 7, 4, 16), kSameDay) == test::vn_iso(2025, 7, 7, 17));
  // The cut-off is a setting.
  REQUIRE(f.node->config().set("cutoff_hour", "16").ok());
  CHECK(due_for(f, test::vn_ms(2025, 7, 1, 15, 30), kSameDay) == test::vn_iso(2025, 7, 1, 17));
}

TEST_CASE("a dossier received on a public holiday counts from the next working day", "[dossier][calendar]") {
  test::DossierFixture f;
  // Tuesday 2 September 2025, Quốc khánh.
  CHECK(due_for(f, test::vn_ms(2025, 9, 2, 9), kSameDay) == test::vn_iso(2025, 9, 3, 17));
  CHECK(due_for(f, test::vn_ms(2025, 9, 2, 9), kThreeDays) == test::vn_iso(2025, 9, 8, 17));
  // Giỗ Tổ 2026 falls on Sunday 26 April: Monday 27 is off in lieu, 30/4 and 1/5 too.
  // Fri 24: Tue 28, Wed 29, then Mon 4 May.
  CHECK(due_for(f, test::vn_ms(2026, 4, 24, 9), kThreeDays) == test::vn_iso(2026, 5, 4, 17));
}

TEST_CASE("an admin's holiday calendar is used for new due dates", "[dossier][calendar]") {
  test::DossierFixture f;
  REQUIRE(node::import_holidays(*f.node, Json::array({Json{{"date", "2025-07-02"}, {"name", "Ngày nghỉ thử"}}})).ok());
  CHECK(due_for(f, test::vn_ms(2025, 7, 1, 9), kThreeDays) == test::vn_iso(2025, 7, 7, 17));
}

TEST_CASE("the date in the code and the receipt time are Vietnam's", "[dossier][calendar]") {
  test::DossierFixture f;
  // 18:30 UTC on 30 June is 01:30 on 1 July in Vietnam.
  f.clock.set(test::vn_ms(2025, 7, 1, 1, 30));
  auto r = f.svc->intake(f.postal, test::DossierFixture::intake_request());
  REQUIRE(r.ok());
  CHECK(r.value()["code"] == "000.00.01.H22-250701-0001");
  CHECK(r.value()["received_at"] == "2025-06-30T18:30:00Z");
  // Before the cut-off on a working day: counts from that day.
  CHECK(r.value()["due_at"] == test::vn_iso(2025, 7, 4, 17));
}
