// The DATA routes over HTTP: procedure search and facets, mandatory
// documents and the return point at intake, the dossier list search, CCCD QR
// parse, known points, the admin's holidays and catalogue import. Every
// refusal names the field and changes nothing on disk.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "http_test_util.hpp"

using namespace motcua;
using test::body_json;

namespace {

struct Api {
  test::DaemonFixture d;
  std::string clerk = d.login("clerk1"), admin = d.login("admin1");
  httplib::Result get(const std::string& path, const std::string& token) {
    return d.client()->Get(path.c_str(), test::DaemonFixture::bearer(token));
  }
  httplib::Result post(const std::string& path, const std::string& token, const std::string& body) {
    return d.client()->Post(path.c_str(), test::DaemonFixture::bearer(token), body, "application/json");
  }
  httplib::Result post(const std::string& path, const std::string& token, const Json& body) {
    return post(path, token, body.dump());
  }
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void refused(const httplib::Result& r, int status, const std::string& code, const std::string& field) {
  REQUIRE(r);
  INFO(r->body);
  CHECK(r->status == status);
  Json b = body_json(r);
  CHECK(b["error"]["code"] == code);
  if (!field.empty()) CHECK(b["error"]["field"] == field);
}

}  // namespace

TEST_CASE("GET /procedures finds dang ki khai sinh and /procedures/facets lists the filters", "[http][data]") {
  Api a;
  auto r = a.get("/api/v1/procedures?q=dang%20ki%20khai%20sinh", a.clerk);
  REQUIRE(r);
  REQUIRE(r->status == 200);
  Json b = body_json(r);
  REQUIRE_FALSE(b["items"].empty());
  CHECK(b["items"][0]["code"] == "1.001193");
  CHECK(b["items"][0]["documents"][0]["mandatory"] == true);
  auto f = a.get("/api/v1/procedures/facets", a.clerk);
  REQUIRE(f);
  REQUIRE(f->status == 200);
  Json facets = body_json(f);
  CHECK(facets["levels"] == Json::array({"một phần", "toàn trình"}));
  CHECK(std::find(facets["fields"].begin(), facets["fields"].end(), Json("Hộ tịch")) != facets["fields"].end());
  auto one = a.get("/api/v1/procedures/1.001193", a.clerk);
  REQUIRE(one);
  CHECK(body_json(one)["documents"][3] == Json{{"name", "Văn bản ủy quyền (nếu ủy quyền)"}, {"mandatory", false}});
}

TEST_CASE("POST /dossiers refuses a missing mandatory document and an unknown return point", "[http][data]") {
  Api a;
  const auto before = test::snapshot(*a.d.node);
  Json req = test::intake_request();
  req["documents"].erase(0);
  auto r = a.post("/api/v1/dossiers", a.clerk, req);
  refused(r, 400, "missing_document", "documents");
  CHECK(body_json(r)["error"]["message"].get<std::string>().find("Tờ khai đăng ký khai sinh theo mẫu") != std::string::npos);
  req = test::intake_request();
  req["return_point"] = "xa-khong-co";
  refused(a.post("/api/v1/dossiers", a.clerk, req), 400, "invalid_value", "return_point");
  CHECK(test::snapshot(*a.d.node) == before);
  // The documents handed in are what the dossier keeps.
  req["return_point"] = a.d.node->name();
  auto ok = a.post("/api/v1/dossiers", a.clerk, req);
  REQUIRE(ok);
  REQUIRE(ok->status == 201);
  auto got = a.get("/api/v1/dossiers/" + body_json(ok)["code"].get<std::string>(), a.clerk);
  REQUIRE(got);
  CHECK(body_json(got)["documents"] == test::intake_request()["documents"]);
  // The combobox's list.
  auto known = a.get("/api/v1/points/known", a.clerk);
  REQUIRE(known);
  REQUIRE(known->status == 200);
  CHECK(body_json(known)[0]["name"] == a.d.node->name());
  // This node's place, named as its forms name it.
  CHECK(body_json(known)[0]["place_name"] == a.d.node->name());
  REQUIRE(a.d.node->config().set("agency_name", "UBND xã Ân Thi").ok());
  CHECK(body_json(a.get("/api/v1/points/known", a.clerk))[0]["place_name"] == "UBND xã Ân Thi");
  REQUIRE(a.d.node->config().set("place_name", "Bộ phận một cửa xã Ân Thi").ok());
  CHECK(body_json(a.get("/api/v1/points/known", a.clerk))[0]["place_name"] == "Bộ phận một cửa xã Ân Thi");
}

TEST_CASE("GET /dossiers?q= finds by code, name, CCCD and phone", "[http][data]") {
  Api a;
  Json req = test::intake_request("033190001234");
  req["applicant"]["full_name"] = "Trần Thị Bình";
  req["applicant"]["phone"] = "0987654321";
  auto made = a.post("/api/v1/dossiers", a.clerk, req);
  REQUIRE(made);
  REQUIRE(made->status == 201);
  const std::string code = body_json(made)["code"];
  REQUIRE(a.post("/api/v1/dossiers", a.clerk, test::intake_request())->status == 201);
  for (const std::string& q : {code, std::string("binh%20tran"), std::string("Tr%E1%BA%A7n"), std::string("033190001234"),
                              std::string("0987654321"), std::string("%2B84987654321")}) {
    CAPTURE(q);
    auto r = a.get("/api/v1/dossiers?q=" + q, a.clerk);
    REQUIRE(r);
    REQUIRE(r->status == 200);
    Json b = body_json(r);
    REQUIRE(b["items"].size() == 1);
    CHECK(b["items"][0]["code"] == code);
    CHECK(b.contains("next_cursor"));
  }
}

TEST_CASE("POST /cccd/parse fills the applicant from a QR text or names qr", "[http][data]") {
  Api a;
  auto r = a.post("/api/v1/cccd/parse", a.clerk,
                  Json{{"qr", "033190001234|123456789|Nguyễn Thị Lan|12051990|Nữ|Thôn Trung, Ân Thi, Hưng Yên|01072021"}});
  REQUIRE(r);
  REQUIRE(r->status == 200);
  Json b = body_json(r);
  CHECK(b["full_name"] == "Nguyễn Thị Lan");
  CHECK(b["cccd"] == "033190001234");
  CHECK(b["date_of_birth"] == "1990-05-12");
  CHECK(b["issued_on"] == "2021-07-01");
  refused(a.post("/api/v1/cccd/parse", a.clerk, Json{{"qr", "not a card"}}), 400, "invalid_value", "qr");
  refused(a.post("/api/v1/cccd/parse", a.clerk, Json{{"qr", "999190001234||Lan|12051990|Nữ|x"}}), 400, "invalid_value", "qr");
  refused(a.post("/api/v1/cccd/parse", a.clerk, Json::object()), 400, "missing_field", "qr");
  refused(a.post("/api/v1/cccd/parse", a.clerk, Json{{"qr", 12}}), 400, "wrong_type", "qr");
}

TEST_CASE("holidays: the admin views, adds a year and imports a file, bad input changes nothing", "[http][data]") {
  Api a;
  refused(a.get("/api/v1/holidays?year=2027", a.clerk), 403, "forbidden", "");
  auto y27 = a.get("/api/v1/holidays?year=2027", a.admin);
  REQUIRE(y27);
  REQUIRE(y27->status == 200);
  Json b = body_json(y27);
  CHECK(b["year"] == 2027);
  CHECK(b["holidays"].size() == 11);
  CHECK(b["holidays"][1]["date"] == "2027-02-05");
  CHECK(b["makeup_days"].empty());

  const int64_t entries = a.d.node->journal().count();
  Json year{{"year", 2028},
            {"holidays", Json::array({Json{{"date", "2028-01-01"}, {"name", "Tết Dương lịch"}}})},
            {"makeup_days", Json::array({Json{{"date", "2028-01-08"}, {"name", "Làm bù"}}})}};
  auto put = a.post("/api/v1/holidays", a.admin, year);
  REQUIRE(put);
  INFO(put->body);
  REQUIRE(put->status == 200);
  CHECK(body_json(put)["makeup_days"][0]["date"] == "2028-01-08");
  CHECK(a.d.node->journal().count() == entries + 1);  // recorded in the journal

  auto before = test::snapshot(*a.d.node);
  Json bad = year;
  bad["holidays"][0]["date"] = "2029-01-01";
  refused(a.post("/api/v1/holidays", a.admin, bad), 400, "invalid_value", "holidays[0].date");
  bad = year;
  bad["makeup_days"][0]["date"] = "2028-02-30";
  refused(a.post("/api/v1/holidays", a.admin, bad), 400, "invalid_value", "makeup_days[0].date");
  refused(a.post("/api/v1/holidays", a.admin, Json{{"holidays", Json::array()}}), 400, "missing_field", "year");
  refused(a.post("/api/v1/holidays/import", a.admin, std::string("{\"holidays\": [")), 400, "invalid_json", "");
  Json file = Json::parse(read_file(MOTCUA_SOURCE_DIR "/data/holidays-vn.json"));
  Json broken = file;
  broken["holidays"][1]["date"] = "2025-13-01";
  refused(a.post("/api/v1/holidays/import", a.admin, broken), 400, "invalid_value", "holidays[1].date");
  refused(a.post("/api/v1/holidays/import", a.clerk, file), 403, "forbidden", "");
  CHECK(test::snapshot(*a.d.node) == before);

  auto imp = a.post("/api/v1/holidays/import", a.admin, file);
  REQUIRE(imp);
  INFO(imp->body);
  REQUIRE(imp->status == 200);
  CHECK(body_json(imp)["imported_years"] == Json::array({2025, 2026, 2027}));
  // 2028 is not in the file: kept.
  CHECK(body_json(a.get("/api/v1/holidays?year=2028", a.admin))["holidays"].size() == 1);
}

TEST_CASE("POST /procedures/import lists every bad item and imports nothing, or all", "[http][data]") {
  Api a;
  Json good = Json::array({Json{{"code", "9.000001"}, {"name", "Thủ tục thử nghiệm"}, {"field", "Thử"}, {"processing_days", 2},
                                {"documents", Json::array({"Đơn", Json{{"name", "Ảnh"}, {"mandatory", false}}})}},
                           Json{{"code", "9.000002"}, {"name", "Thủ tục thứ hai"}, {"field", "Thử"}, {"documents", Json::array()}}});
  Json bad = good;
  bad.push_back(Json{{"code", "9.000003"}, {"field", "Thử"}, {"documents", Json::array()}});        // no name
  bad.push_back(Json{{"code", "9.000001"}, {"name", "Trùng"}, {"field", "Thử"}, {"documents", Json::array()}});  // dup
  bad.push_back(Json{{"code", "9.000004"}, {"name", "X"}, {"field", "Thử"}, {"documents", Json::array({7})}});
  auto before = test::snapshot(*a.d.node);
  auto r = a.post("/api/v1/procedures/import", a.admin, bad);
  REQUIRE(r);
  INFO(r->body);
  CHECK(r->status == 400);
  Json b = body_json(r);
  CHECK(b["error"]["code"] == "validation_failed");
  CHECK(b["imported"] == 0);
  REQUIRE(b["errors"].size() == 3);
  CHECK(b["errors"][0]["index"] == 2);
  CHECK(b["errors"][0]["code"] == "missing_field");
  CHECK(b["errors"][0]["field"] == "procedures[2].name");
  CHECK(b["errors"][0]["message_en"] == "name is required");
  CHECK(b["errors"][0]["message"].get<std::string>().rfind("Thiếu", 0) == 0);
  CHECK(b["errors"][1]["index"] == 3);
  CHECK(b["errors"][1]["field"] == "procedures[3].code");
  CHECK(b["errors"][2]["field"] == "procedures[4].documents[0]");
  refused(a.post("/api/v1/procedures/import", a.clerk, good), 403, "forbidden", "");
  refused(a.post("/api/v1/procedures/import", a.admin, Json{{"items", good}}), 400, "unknown_field", "items");
  CHECK(test::snapshot(*a.d.node) == before);

  auto ok = a.post("/api/v1/procedures/import", a.admin, Json{{"procedures", good}});
  REQUIRE(ok);
  REQUIRE(ok->status == 200);
  CHECK(body_json(ok) == Json{{"imported", 2}, {"errors", Json::array()}});
  auto all = a.get("/api/v1/procedures?q=thu%20nghiem", a.clerk);
  CHECK(body_json(all)["items"][0]["code"] == "9.000001");
  CHECK(body_json(a.get("/api/v1/procedures", a.clerk))["total"] == 2);
}

TEST_CASE("the Vietnamese message of missing_document names the document", "[http][data]") {
  Api a;
  Json req = test::intake_request();
  req["documents"].erase(1);
  auto r = a.post("/api/v1/dossiers", a.clerk, req);
  REQUIRE(r);
  Json e = body_json(r)["error"];
  CHECK(e["code"] == "missing_document");
  CHECK(e["message"].get<std::string>().rfind("Thiếu giấy tờ bắt buộc của thủ tục: Bản chính Giấy chứng sinh", 0) == 0);
  CHECK(e["message_en"].get<std::string>().find("Bản chính Giấy chứng sinh") != std::string::npos);
}
