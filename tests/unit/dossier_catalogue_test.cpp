// The procedure catalogue and holiday calendar: built-in data, the clerk's
// search (no diacritics, any case, đ = d), filters, import and export.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "dossier_fixture.hpp"
#include "motcua/node/catalogue.hpp"

using namespace motcua;

namespace {

Json search(test::DossierFixture& f, const std::string& q, const std::string& field = "", const std::string& level = "",
            int limit = 50) {
  auto r = f.svc->search_procedures(q, field, level, limit);
  REQUIRE(r.ok());
  return r.value();
}

bool finds(const Json& res, const std::string& code) {
  for (const auto& p : res["items"])
    if (p["code"] == code) return true;
  return false;
}

Json read_json(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return Json::parse(ss.str());
}

}  // namespace

TEST_CASE("a clerk's typing finds Đăng ký khai sinh with or without marks and case", "[dossier][catalogue]") {
  test::DossierFixture f;
  for (const std::string q : {"dang ky khai sinh", "ĐĂNG KÝ", "đăng ký", "dang", "Đăng Ký Khai Sinh", "DANG KY KHAI SINH"}) {
    CAPTURE(q);
    Json res = search(f, q);
    CHECK(finds(res, "1.001193"));
  }
  // The whole phrase ranks the procedure named by it first.
  Json res = search(f, "dang ky khai sinh");
  REQUIRE(!res["items"].empty());
  CHECK(res["items"][0]["name"] == "Thủ tục đăng ký khai sinh");
  // Every word must appear.
  CHECK_FALSE(finds(search(f, "dang ky ket hon"), "1.001193"));
  CHECK(finds(search(f, "ket hon"), "1.000894"));
  CHECK(search(f, "khong co thu tuc nay xyz")["items"].empty());
  // By national code too.
  CHECK(search(f, "1.004873")["items"][0]["code"] == "1.004873");
}

TEST_CASE("search filters by field and level and honours the limit", "[dossier][catalogue]") {
  test::DossierFixture f;
  Json chung_thuc = search(f, "", "Chứng thực");
  REQUIRE(chung_thuc["total"] == 5);
  for (const auto& p : chung_thuc["items"]) CHECK(p["field"] == "Chứng thực");
  CHECK(search(f, "", "chung thuc")["total"] == 5);  // the filter folds like the query
  Json toan_trinh = search(f, "", "", "toàn trình");
  REQUIRE(toan_trinh["total"].get<int>() >= 5);
  for (const auto& p : toan_trinh["items"]) CHECK(p["level"] == "toàn trình");
  CHECK(search(f, "", "", "4")["total"] == toan_trinh["total"]);  // old "mức độ 4"
  Json both = search(f, "dang ky", "Hộ tịch", "toàn trình");
  REQUIRE(both["total"].get<int>() >= 1);
  for (const auto& p : both["items"]) {
    CHECK(p["field"] == "Hộ tịch");
    CHECK(p["level"] == "toàn trình");
  }
  // "Hộ tịch" also matches a procedure listed under several fields.
  CHECK(finds(search(f, "", "Hộ tịch"), "1.010915"));
  CHECK(search(f, "", "", "", 3)["items"].size() == 3);
  CHECK(search(f, "", "", "", 3)["total"] == 31);
  CHECK(f.svc->search_procedures("", "", "", 500).error().field == "limit");
}

TEST_CASE("one procedure comes with its documents list", "[dossier][catalogue]") {
  test::DossierFixture f;
  auto p = f.svc->get_procedure("1.001193");
  REQUIRE(p.ok());
  CHECK(p.value()["name"] == "Thủ tục đăng ký khai sinh");
  CHECK(p.value()["processing_days"] == 0);
  REQUIRE(p.value()["documents"].size() == 4);
  CHECK(p.value()["documents"][0]["name"] == "Tờ khai đăng ký khai sinh theo mẫu");
  CHECK(f.svc->get_procedure("9.999").error().code == "not_found");
  // Items published without a national code get a stable local key.
  Json dat_dai = search(f, "hoa giai tranh chap dat dai");
  REQUIRE(dat_dai["items"].size() == 1);
  std::string key = dat_dai["items"][0]["code"];
  CHECK(key.rfind("local.", 0) == 0);
  CHECK(dat_dai["items"][0]["national_code"].is_null());
  CHECK(f.svc->get_procedure(key).ok());
}

TEST_CASE("the built-in catalogue and holidays are the repository's data files", "[dossier][catalogue]") {
  test::DossierFixture f;
  Json shared = read_json(MOTCUA_SOURCE_DIR "/data/procedures.json");
  Json exported = node::export_catalogue(*f.node);
  REQUIRE(exported.size() == shared.size());
  CHECK(exported[0]["code"] == shared[0]["code"]);
  CHECK(exported[30]["name"] == shared[30]["name"]);
  Json holidays = node::export_holidays(*f.node);
  Json file = read_json(MOTCUA_SOURCE_DIR "/data/holidays-vn.json");
  CHECK(holidays.size() == file["holidays"].size());
  bool tet = false;
  for (const auto& h : holidays)
    if (h["date"] == "2026-02-17") tet = true;
  CHECK(tet);
}

TEST_CASE("importing a catalogue replaces it atomically and bad items are named", "[dossier][catalogue]") {
  test::DossierFixture f;
  Json bad = Json::array({Json{{"code", "1.1"}, {"name", "A"}, {"field", "F"}, {"documents", Json::array()}},
                          Json{{"code", "1.2"}, {"field", "F"}, {"documents", Json::array()}}});
  Status s = node::import_catalogue(*f.node, bad);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().field == "procedures[1].name");
  CHECK(node::export_catalogue(*f.node).size() == 31);  // unchanged
  Json dup = Json::array({Json{{"code", "1.1"}, {"name", "A"}, {"field", "F"}, {"documents", Json::array()}},
                          Json{{"code", "1.1"}, {"name", "B"}, {"field", "F"}, {"documents", Json::array()}}});
  CHECK(node::import_catalogue(*f.node, dup).error().field == "procedures[1].code");
  Json good = Json::array({Json{{"code", "9.000001"}, {"name", "Thủ tục thử nghiệm"}, {"field", "Thử"}, {"level", nullptr},
                                {"processing_days", 2}, {"fee_vnd", 0}, {"documents", {"Đơn"}}}});
  REQUIRE(node::import_catalogue(*f.node, good).ok());
  CHECK(node::export_catalogue(*f.node) == good);
  CHECK(search(f, "thu nghiem")["items"][0]["code"] == "9.000001");
  CHECK(f.svc->get_procedure("1.001193").error().code == "not_found");
  // Reopening the service does not bring the built-in catalogue back.
  node::DossierService again(*f.node);
  CHECK(again.search_procedures("", "", "", 50).value()["total"] == 1);
}

TEST_CASE("importing holidays validates dates and kinds", "[dossier][catalogue]") {
  test::DossierFixture f;
  CHECK(node::import_holidays(*f.node, Json::array({Json{{"date", "2025-02-30"}, {"name", "x"}}})).error().field ==
        "holidays[0].date");
  CHECK(node::import_holidays(*f.node, Json::array({Json{{"date", "2025-02-03"}, {"name", "x"}, {"kind", "party"}}}))
            .error().field == "holidays[0].kind");
  CHECK(node::import_holidays(*f.node, Json::array({Json{{"date", "2025-02-03"}}})).error().field == "holidays[0].name");
  Json cal = Json::array({Json{{"date", "2027-01-01"}, {"name", "Tết Dương lịch"}},
                          Json{{"date", "2027-01-09"}, {"name", "Làm bù"}, {"kind", "working_day"}}});
  REQUIRE(node::import_holidays(*f.node, cal).ok());
  CHECK(node::export_holidays(*f.node) == cal);
}
