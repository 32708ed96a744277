// Intake validation, 404 and 409 over real HTTP; a refused request changes nothing.
#include <catch2/catch.hpp>

#include "http_test_util.hpp"

using namespace motcua;
using test::DaemonFixture;

namespace {

struct BadCase {
  const char* name;
  std::function<std::string()> body;  // raw request body
  int status;
  const char* code;
  const char* field;  // "" when no field is named
};

std::string with(const std::function<void(Json&)>& edit) {
  Json j = test::intake_request();
  edit(j);
  return j.dump();
}

}  // namespace

TEST_CASE("bad intakes are refused with the field at fault and change nothing", "[http][validation]") {
  sync::DaemonOptions o;
  o.max_body_bytes = 16 * 1024;
  DaemonFixture f(o);
  auto clerk = DaemonFixture::bearer(f.login("clerk1"));
  auto c = f.client();
  // One good intake first, so the comparison covers a non-empty database.
  REQUIRE(c->Post("/api/v1/dossiers", clerk, test::intake_request().dump(), "application/json")->status == 201);
  // A stored text file is not a valid attachment id either (uploads refuse it).
  std::string text_id = to_hex(blake2b256("just some text"));

  const std::vector<BadCase> cases = {
      {"CCCD too short", [] { return with([](Json& j) { j["applicant"]["cccd"] = "00109901"; }); }, 400,
       "invalid_value", "applicant.cccd"},
      {"CCCD outside the province codes", [] { return with([](Json& j) { j["applicant"]["cccd"] = "099099012345"; }); },
       400, "invalid_value", "applicant.cccd"},
      {"CCCD as a number", [] { return with([](Json& j) { j["applicant"]["cccd"] = 1099012345; }); }, 400,
       "wrong_type", "applicant.cccd"},
      {"phone with a bad prefix", [] { return with([](Json& j) { j["applicant"]["phone"] = "0123456789"; }); }, 400,
       "invalid_value", "applicant.phone"},
      {"phone too short", [] { return with([](Json& j) { j["applicant"]["phone"] = "091234"; }); }, 400,
       "invalid_value", "applicant.phone"},
      {"email without a domain", [] { return with([](Json& j) { j["applicant"]["email"] = "an@"; }); }, 400,
       "invalid_value", "applicant.email"},
      {"missing applicant name", [] { return with([](Json& j) { j["applicant"].erase("full_name"); }); }, 400,
       "missing_field", "applicant.full_name"},
      {"missing procedure", [] { return with([](Json& j) { j.erase("procedure_code"); }); }, 400, "missing_field",
       "procedure_code"},
      {"unknown procedure", [] { return with([](Json& j) { j["procedure_code"] = "9.999999"; }); }, 400,
       "unknown_procedure", "procedure_code"},
      {"channel of the wrong type", [] { return with([](Json& j) { j["channel"] = true; }); }, 400, "wrong_type",
       "channel"},
      {"unknown top-level field", [] { return with([](Json& j) { j["priority"] = "high"; }); }, 400, "unknown_field",
       "priority"},
      {"unknown applicant field", [] { return with([](Json& j) { j["applicant"]["nickname"] = "Bi"; }); }, 400,
       "unknown_field", "applicant.nickname"},
      {"attachment that is not a stored PDF/JPEG/PNG",
       [text_id] { return with([&](Json& j) { j["attachments"] = Json::array({text_id}); }); }, 400, "invalid_value",
       "attachments[0]"},
      {"malformed JSON", [] { return std::string(R"({"procedure_code": "1.001193",)"); }, 400, "invalid_json", ""},
      {"body that is not an object", [] { return std::string("[1,2,3]"); }, 400, "wrong_type", ""},
      {"body over max_body_bytes",
       [] { return with([](Json& j) { j["form"]["note"] = std::string(20 * 1024, 'x'); }); }, 413, "too_large", "body"},
  };

  for (const auto& bad : cases) {
    SECTION(bad.name) {
      auto before = test::snapshot(*f.node);
      auto r = c->Post("/api/v1/dossiers", clerk, bad.body(), "application/json");
      REQUIRE(r);
      CHECK(r->status == bad.status);
      Json err = test::body_json(r)["error"];
      CHECK(err["code"] == bad.code);
      CHECK(err.value("field", "") == bad.field);
      CHECK(!err["message"].get<std::string>().empty());
      CHECK(test::snapshot(*f.node) == before);
    }
  }
}

TEST_CASE("a text file uploaded as an attachment is refused and not stored", "[http][validation]") {
  DaemonFixture f;
  auto clerk = DaemonFixture::bearer(f.login("clerk1"));
  auto before = test::snapshot(*f.node);
  auto r = f.client()->Post("/api/v1/blobs", clerk, "this is not a scan", "application/pdf");
  CHECK(r->status == 400);
  CHECK(test::body_json(r)["error"]["field"] == "content");
  CHECK(test::snapshot(*f.node) == before);
}

TEST_CASE("an intake answers 201 with its code, dates and receipt", "[http][dossiers]") {
  DaemonFixture f;
  auto clerk = DaemonFixture::bearer(f.login("clerk1"));
  auto c = f.client();
  auto r = c->Post("/api/v1/dossiers", clerk, test::intake_request().dump(), "application/json");
  REQUIRE(r->status == 201);
  Json j = test::body_json(r);
  std::string code = j["code"];
  CHECK(code.rfind("000.00.01.H22-250701-", 0) == 0);
  CHECK(j["status"] == 1);
  CHECK(r->get_header_value("Location") == "/api/v1/dossiers/" + code);
  CHECK(j["receipt_url"] == "/api/v1/dossiers/" + code + "/receipt");
  auto receipt = c->Get(j["receipt_url"].get<std::string>(), clerk);
  REQUIRE(receipt->status == 200);
  CHECK(receipt->get_header_value("Content-Type").find("text/html") == 0);
  CHECK(receipt->body.find(code) != std::string::npos);
  auto got = c->Get("/api/v1/dossiers/" + code, clerk);
  REQUIRE(got->status == 200);
  CHECK(test::body_json(got)["code"] == code);
  auto hist = c->Get("/api/v1/dossiers/" + code + "/history", clerk);
  REQUIRE(hist->status == 200);
  CHECK(test::body_json(hist)["events"].size() == 1);
  auto list = c->Get("/api/v1/dossiers?limit=10", clerk);
  REQUIRE(list->status == 200);
  CHECK(test::body_json(list)["items"].size() == 1);
  CHECK(c->Get("/api/v1/dossiers?limit=0", clerk)->status == 400);
}

TEST_CASE("an unknown dossier is 404", "[http][dossiers]") {
  DaemonFixture f;
  auto clerk = DaemonFixture::bearer(f.login("clerk1"));
  auto officer = DaemonFixture::bearer(f.login("officer1"));
  auto c = f.client();
  const std::string missing = "/api/v1/dossiers/000.00.01.H22-250701-9999";
  auto r = c->Get(missing, clerk);
  CHECK(r->status == 404);
  CHECK(test::body_json(r)["error"]["code"] == "not_found");
  CHECK(c->Get(missing + "/history", clerk)->status == 404);
  CHECK(c->Get(missing + "/receipt", clerk)->status == 404);
  auto before = test::snapshot(*f.node);
  CHECK(c->Post(missing + "/accept", officer, "{}", "application/json")->status == 404);
  CHECK(c->Patch(missing, clerk, R"({"form":{"a":"b"}})", "application/json")->status == 404);
  CHECK(test::snapshot(*f.node) == before);
  auto nowhere = c->Get("/api/v1/nowhere", clerk);
  CHECK(nowhere->status == 404);
  CHECK(test::body_json(nowhere)["error"]["code"] == "not_found");
}

TEST_CASE("update and cancel after acceptance are 409 with the current status", "[http][dossiers]") {
  DaemonFixture f;
  auto clerk = DaemonFixture::bearer(f.login("clerk1"));
  auto officer = DaemonFixture::bearer(f.login("officer1"));
  auto c = f.client();
  auto made = c->Post("/api/v1/dossiers", clerk, test::intake_request().dump(), "application/json");
  REQUIRE(made->status == 201);
  std::string base = "/api/v1/dossiers/" + test::body_json(made)["code"].get<std::string>();
  // Before acceptance an update is fine.
  CHECK(c->Patch(base, clerk, R"({"applicant":{"phone":"+84987654321"}})", "application/json")->status == 200);
  auto acc = c->Post(base + "/accept", officer, "", "application/json");
  REQUIRE(acc->status == 200);
  CHECK(test::body_json(acc)["status"] == 2);

  auto before = test::snapshot(*f.node);
  auto upd = c->Patch(base, clerk, R"({"applicant":{"phone":"0987654321"}})", "application/json");
  CHECK(upd->status == 409);
  Json err = test::body_json(upd)["error"];
  CHECK(err["code"] == "invalid_transition");
  CHECK(err["current_status"] == 2);
  auto cancel = c->Post(base + "/cancel", clerk, R"({"reason":"đổi ý"})", "application/json");
  CHECK(cancel->status == 409);
  CHECK(test::body_json(cancel)["error"]["current_status"] == 2);
  auto again = c->Post(base + "/accept", officer, "{}", "application/json");
  CHECK(again->status == 409);
  CHECK(test::snapshot(*f.node) == before);
}

TEST_CASE("a dossier goes from intake to handover over HTTP", "[http][dossiers]") {
  DaemonFixture f;
  auto clerk = DaemonFixture::bearer(f.login("clerk1"));
  auto officer = DaemonFixture::bearer(f.login("officer1"));
  auto c = f.client();
  auto made = c->Post("/api/v1/dossiers", clerk, test::intake_request().dump(), "application/json");
  REQUIRE(made->status == 201);
  std::string base = "/api/v1/dossiers/" + test::body_json(made)["code"].get<std::string>();
  REQUIRE(c->Post(base + "/accept", officer, "{}", "application/json")->status == 200);
  REQUIRE(c->Post(base + "/start-processing", officer, "{}", "application/json")->status == 200);
  REQUIRE(c->Post(base + "/result-ready", officer, "{}", "application/json")->status == 200);
  Json recipient{{"recipient", {{"full_name", "Nguyễn Văn An"}, {"cccd", "001099012345"}}}, {"place", "counter"}};
  auto h = c->Post(base + "/handover", clerk, recipient.dump(), "application/json");
  REQUIRE(h->status == 200);
  CHECK(test::body_json(h)["status"] == 10);
  auto hist = c->Get(base + "/history", officer);
  CHECK(test::body_json(hist)["events"].size() == 5);
}
