// DOMAIN.md "Validation": each bad intake names the field and the reason and
// writes nothing; good input is stored normalised (NFC, phone 0xxxxxxxxx).
#include <catch2/catch.hpp>

#include <functional>

#include "dossier_fixture.hpp"
#include "motcua/node/blobs.hpp"

using namespace motcua;

namespace {

struct Bad {
  std::string what;
  std::function<void(Json&)> change;
  std::string code;
  std::string field;
};

std::string stored_blob(test::DossierFixture& f, const std::string& bytes) {
  node::BlobStore store(f.node->data_dir(), f.node->db(), 1 << 20);
  auto w = store.begin();
  REQUIRE(w->write(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()).ok());
  auto info = w->finish();
  REQUIRE(info.ok());
  return info.value().id;
}

}  // namespace

TEST_CASE("every bad intake is refused naming the field, and nothing is written", "[dossier][validation]") {
  test::DossierFixture f;
  const std::vector<Bad> cases = {
      {"CCCD of 11 digits", [](Json& r) { r["applicant"]["cccd"] = "03319000123"; }, "invalid_value", "applicant.cccd"},
      {"CCCD with letters", [](Json& r) { r["applicant"]["cccd"] = "0331900012ab"; }, "invalid_value", "applicant.cccd"},
      {"CCCD province 097", [](Json& r) { r["applicant"]["cccd"] = "097190001234"; }, "invalid_value", "applicant.cccd"},
      {"CCCD province 000", [](Json& r) { r["applicant"]["cccd"] = "000190001234"; }, "invalid_value", "applicant.cccd"},
      {"CCCD as a number", [](Json& r) { r["applicant"]["cccd"] = 33190001234LL; }, "wrong_type", "applicant.cccd"},
      {"phone starting 02", [](Json& r) { r["applicant"]["phone"] = "0212345678"; }, "invalid_value", "applicant.phone"},
      {"phone of 9 digits", [](Json& r) { r["applicant"]["phone"] = "091234567"; }, "invalid_value", "applicant.phone"},
      {"+84 phone too short", [](Json& r) { r["applicant"]["phone"] = "+8491234567"; }, "invalid_value", "applicant.phone"},
      {"phone as a number", [](Json& r) { r["applicant"]["phone"] = 912345678; }, "wrong_type", "applicant.phone"},
      {"email without domain", [](Json& r) { r["applicant"]["email"] = "lan@"; }, "invalid_value", "applicant.email"},
      {"email without @", [](Json& r) { r["applicant"]["email"] = "lan.example.vn"; }, "invalid_value", "applicant.email"},
      {"email with a space", [](Json& r) { r["applicant"]["email"] = "lan anh@example.vn"; }, "invalid_value", "applicant.email"},
      {"missing full name", [](Json& r) { r["applicant"].erase("full_name"); }, "missing_field", "applicant.full_name"},
      {"blank address", [](Json& r) { r["applicant"]["address"] = "  "; }, "missing_field", "applicant.address"},
      {"missing CCCD", [](Json& r) { r["applicant"].erase("cccd"); }, "missing_field", "applicant.cccd"},
      {"missing applicant", [](Json& r) { r.erase("applicant"); }, "missing_field", "applicant"},
      {"missing procedure", [](Json& r) { r.erase("procedure_code"); }, "missing_field", "procedure_code"},
      {"missing channel", [](Json& r) { r.erase("channel"); }, "missing_field", "channel"},
      {"unknown channel", [](Json& r) { r["channel"] = "fax"; }, "invalid_value", "channel"},
      {"postal channel without postal", [](Json& r) { r["channel"] = "postal"; }, "missing_field", "postal"},
      {"result by post without address", [](Json& r) { r["postal"] = Json{{"result_by_post", true}}; }, "missing_field",
       "postal.delivery_address"},
      {"unknown procedure", [](Json& r) { r["procedure_code"] = "9.999999"; }, "unknown_procedure", "procedure_code"},
      {"applicant as text", [](Json& r) { r["applicant"] = "Lan"; }, "wrong_type", "applicant"},
      {"form as array", [](Json& r) { r["form"] = Json::array(); }, "wrong_type", "form"},
      {"decimal in form", [](Json& r) { r["form"]["weight"] = 3.5; }, "wrong_type", "form.weight"},
      {"attachments as text", [](Json& r) { r["attachments"] = "scan.pdf"; }, "wrong_type", "attachments"},
      {"flag as text", [](Json& r) { r["postal"] = Json{{"result_by_post", "yes"}}; }, "wrong_type", "postal.result_by_post"},
      {"procedure code as number", [](Json& r) { r["procedure_code"] = 1001193; }, "wrong_type", "procedure_code"},
      {"unknown top-level field", [](Json& r) { r["nickname"] = "Lan"; }, "unknown_field", "nickname"},
      {"unknown applicant field", [](Json& r) { r["applicant"]["gender"] = "nữ"; }, "unknown_field", "applicant.gender"},
      {"unknown postal field", [](Json& r) { r["postal"] = Json{{"zip", "160000"}}; }, "unknown_field", "postal.zip"},
      {"attachment id not hex", [](Json& r) { r["attachments"] = {"abc"}; }, "invalid_value", "attachments[0]"},
      {"attachment not stored", [](Json& r) { r["attachments"] = {std::string(64, 'a')}; }, "invalid_value", "attachments[0]"},
      {"negative fee", [](Json& r) { r["fees"] = {{{"amount_vnd", -1}, {"receipt_no", "BL"}}}; }, "invalid_value",
       "fees[0].amount_vnd"},
      {"fee without receipt", [](Json& r) { r["fees"] = {{{"amount_vnd", 2000}}}; }, "missing_field", "fees[0].receipt_no"},
      {"invalid UTF-8 name", [](Json& r) { r["applicant"]["full_name"] = std::string("Lan\xC3\x28"); }, "invalid_value",
       "applicant.full_name"},
      {"date of birth not ISO", [](Json& r) { r["applicant"]["date_of_birth"] = "12/05/1990"; }, "invalid_value",
       "applicant.date_of_birth"},
      {"sets out of range", [](Json& r) { r["sets"] = 0; }, "invalid_value", "sets"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    Json req = test::DossierFixture::intake_request();
    c.change(req);
    auto r = f.svc->intake(f.clerk, req);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == c.code);
    CHECK(r.error().field == c.field);
    CHECK_FALSE(r.error().message.empty());
    CHECK(f.node->journal().count() == 0);
  }
  // No number was used up by the refusals.
  auto ok = f.svc->intake(f.clerk, test::DossierFixture::intake_request());
  REQUIRE(ok.ok());
  CHECK(ok.value()["code"] == "000.00.01.H22-250701-0001");
}

TEST_CASE("accepted input is stored normalised", "[dossier][validation]") {
  test::DossierFixture f;
  Json req = test::DossierFixture::intake_request();
  req["applicant"]["phone"] = "+84 912.345-678";
  req["applicant"]["full_name"] = "Nguye\xCC\x82\xCC\x83n Thi\xCC\xA3 Lan";  // decomposed (NFD) marks
  req["applicant"]["email"] = nullptr;
  req["channel"] = "postal";
  req["postal"] = Json{{"dossier_by_post", true}, {"result_by_post", true}, {"delivery_address", "Số 5, thôn Trung"}};
  std::string code = f.take_in(req);
  Json s = f.state(code);
  CHECK(s["applicant"]["phone"] == "0912345678");
  CHECK(s["applicant"]["full_name"] == "Nguyễn Thị Lan");
  CHECK(s["applicant"]["email"].is_null());
  CHECK(s["postal"]["result_by_post"] == true);
  CHECK(s["channel"] == "postal");
}

TEST_CASE("attachments must be stored blobs", "[dossier][validation]") {
  test::DossierFixture f;
  std::string pdf = stored_blob(f, "%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n");
  Json req = test::DossierFixture::intake_request();
  req["attachments"] = {pdf};
  std::string code = f.take_in(req);
  CHECK(f.state(code)["attachments"] == Json::array({pdf}));
}

TEST_CASE("bad updates name the field and change nothing", "[dossier][validation]") {
  test::DossierFixture f;
  std::string code = f.take_in();
  const Json before = f.state(code);
  const std::vector<std::tuple<Json, std::string, std::string>> cases = {
      {Json{{"applicant", {{"phone", "12345"}}}}, "invalid_value", "applicant.phone"},
      {Json{{"applicant", {{"cccd", "999999999999"}}}}, "invalid_value", "applicant.cccd"},
      {Json{{"applicant", {{"shoe_size", 40}}}}, "unknown_field", "applicant.shoe_size"},
      {Json{{"procedure_code", "1.001193"}}, "invalid_value", "procedure_code"},
      {Json{{"colour", "red"}}, "unknown_field", "colour"},
      {Json::object(), "missing_field", ""},
      {Json{{"applicant", {{"email", "not-an-email"}}}}, "invalid_value", "applicant.email"},
  };
  for (const auto& [patch, code_want, field] : cases) {
    CAPTURE(patch.dump());
    auto r = f.svc->update(f.clerk, code, patch);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == code_want);
    CHECK(r.error().field == field);
  }
  CHECK(f.node->journal().count() == 1);
  CHECK(f.state(code) == before);
  Json ok = f.must(f.clerk, code, "update", Json{{"applicant", {{"phone", "0381234567"}}}, {"form", {{"note", "thêm"}}}});
  CHECK(ok["applicant"]["phone"] == "0381234567");
  CHECK(ok["applicant"]["full_name"] == "Nguyễn Thị Lan");
  CHECK(ok["form"]["purpose"] == "Kết hôn");
  CHECK(ok["form"]["note"] == "thêm");
}

TEST_CASE("a scanned CCCD QR text prefills the applicant", "[dossier][validation]") {
  auto r = node::parse_cccd_qr("033190001234|123456789|Nguyễn Thị Lan|12051990|Nữ|Thôn Trung, Ân Thi, Hưng Yên|01072021\r\n");
  REQUIRE(r.ok());
  CHECK(r.value()["cccd"] == "033190001234");
  CHECK(r.value()["old_id"] == "123456789");
  CHECK(r.value()["full_name"] == "Nguyễn Thị Lan");
  CHECK(r.value()["date_of_birth"] == "1990-05-12");
  CHECK(r.value()["sex"] == "Nữ");
  CHECK(r.value()["address"] == "Thôn Trung, Ân Thi, Hưng Yên");
  CHECK(r.value()["issued_on"] == "2021-07-01");
  // The prefill is valid intake input as it is.
  test::DossierFixture f;
  Json req = test::DossierFixture::intake_request();
  for (const char* k : {"cccd", "full_name", "date_of_birth", "address"}) req["applicant"][k] = r.value()[k];
  CHECK(f.svc->intake(f.clerk, req).ok());
  for (const std::string bad : {"", "033190001234|x|Lan", "12345|x|Lan|12051990|Nữ|addr|01072021",
                                "033190001234|x|Lan|31021990|Nữ|addr|01072021", "033190001234||  |12051990|Nữ|a|"}) {
    CAPTURE(bad);
    auto b = node::parse_cccd_qr(bad);
    REQUIRE_FALSE(b.ok());
    CHECK(b.error().field == "qr");
  }
}
