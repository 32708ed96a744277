// Every API error carries a Vietnamese message chosen from one table by code
// (and field), with the module's English text in message_en; every code the
// sources emit has its row; English messages say "an admin", not "a admin".
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "dossier_fixture.hpp"
#include "http_test_util.hpp"
#include "motcua/http/api_error.hpp"
#include "motcua/text.hpp"

using namespace motcua;

namespace {

// The codes the sources under node/, sync/, schema/ and crypto/ emit, listed
// at build time by tests/scan_error_codes.cmake (nothing is read at run time).
const std::vector<std::string> kScannedCodes = {
#include "error_codes_in_source.inc"
};

// The same list kept by hand, with the codes made at run time (the storage
// faults come from constants in schema/storage.hpp). A new code in the
// sources fails the test below until it is added here and to the table.
const std::vector<std::string> kKnownCodes = {
    "already_enrolled", "already_exists", "already_initialised", "already_running", "backup_invalid",
    "backup_target_exists", "bad_ack", "bad_chunk", "data_dir_not_empty",
    "bad_cursor", "bad_receipt", "bad_request", "bad_request_signature", "bad_response_signature", "bad_signature",
    "batch_too_large", "blob_mismatch", "blob_not_held", "blob_not_in_scope", "blob_too_large", "broken_chain",
    "codes_exhausted", "conflict", "corrupt_key_file", "csrf_failed", "database_error", "enrolment_refused", "entry_too_large",
    "equivocation", "file_too_large", "forbidden", "fork_detected", "form_not_applicable", "hub_busy", "hub_error", "insecure_key_file", "internal", "internal_error",
    "insecure_hub_url", "invalid_json", "invalid_transition", "invalid_value", "io_error", "journal_broken", "key_file_exists",
    "key_mismatch", "link_down", "listen_failed", "malformed_bundle", "malformed_entry", "malformed_message",
    "managed_by_hub", "missing_document", "missing_field", "no_attempt", "no_hub", "none", "not_a_hub", "not_a_point", "not_canonical", "not_enrolled",
    "not_found", "not_initialised", "not_quarantined", "passphrase_required", "point_restoring", "point_revoked", "replayed_request", "revoked_key", "schema_too_new",
    "schema_too_old", "seq_gap", "sequence_exhausted", "session_expired", "stale_chain", "tls_failed", "too_deep",
    "too_large", "too_many_attempts", "unauthorized", "unknown_author", "unknown_field", "unknown_key",
    "unknown_parent", "unknown_procedure", "unsupported_encoding", "validation_failed", "wrong_hub",
    "wrong_passphrase", "wrong_role", "wrong_type",
    // Made at run time, not by a literal.
    "storage_full", "storage_unwritable", "storage_busy", "storage", "diverged", "busy",
};

const http::ErrorCodeText* row(const std::string& code) {
  for (const auto& r : http::error_code_table())
    if (r.code == code) return &r;
  return nullptr;
}

// Letters only Vietnamese writes (with its marks), lower and upper case.
bool has_vietnamese_letters(const std::string& s) {
  static const char* const letters[] = {"ă", "â", "đ", "ê", "ô", "ơ", "ư", "á", "à", "ả", "ã", "ạ", "é", "è", "ẻ",
                                        "ẽ", "ẹ", "í", "ì", "ỉ", "ĩ", "ị", "ó", "ò", "ỏ", "õ", "ọ", "ú", "ù", "ủ",
                                        "ũ", "ụ", "ý", "ỳ", "ỷ", "ỹ", "ỵ", "ế", "ề", "ể", "ễ", "ệ", "ố", "ồ", "ổ",
                                        "ỗ", "ộ", "ớ", "ờ", "ở", "ỡ", "ợ", "ứ", "ừ", "ử", "ữ", "ự", "ấ", "ầ", "ẩ",
                                        "ẫ", "ậ", "ắ", "ằ", "ẳ", "ẵ", "ặ", "Đ", "Ổ", "Ố", "Ở"};
  for (const char* l : letters)
    if (s.find(l) != std::string::npos) return true;
  return false;
}

std::string vi(const std::string& code, const std::string& field = "") {
  return http::vietnamese_message(make_error(code, "English text", field));
}

}  // namespace

TEST_CASE("every error code the sources emit has a row in the error table", "[http][errors]") {
  REQUIRE(kScannedCodes.size() > 50);  // the scan ran and found the codes
  for (const auto& code : kScannedCodes) {
    INFO("code " << code << " (add it to node/http/src/api_error.cpp and to kKnownCodes)");
    CHECK(row(code) != nullptr);
    CHECK(std::find(kKnownCodes.begin(), kKnownCodes.end(), code) != kKnownCodes.end());
  }
  for (const auto& code : kKnownCodes) {
    INFO(code);
    CHECK(row(code) != nullptr);
  }
}

TEST_CASE("every row of the error table speaks Vietnamese, in whole sentences", "[http][errors]") {
  std::set<std::string> seen;
  for (const auto& r : http::error_code_table()) {
    INFO(r.code);
    CHECK(seen.insert(r.code).second);  // one row per code
    for (const std::string& text : {r.message, r.message_with_field}) {
      INFO(text);
      CHECK(is_valid_utf8(text));
      CHECK(is_nfc(text));
      CHECK(has_vietnamese_letters(text));
      CHECK(text.back() == '.');
      CHECK(text.find("  ") == std::string::npos);
    }
    CHECK(http::vietnamese_message(make_error(r.code, "x")) == r.message);
  }
  // The statuses stay as API.md says.
  CHECK(http::http_status(make_error("missing_field", "")) == 400);
  CHECK(http::http_status(make_error("unauthorized", "")) == 401);
  CHECK(http::http_status(make_error("forbidden", "")) == 403);
  CHECK(http::http_status(make_error("not_found", "")) == 404);
  CHECK(http::http_status(make_error("invalid_transition", "")) == 409);
  CHECK(http::http_status(make_error("not_a_hub", "")) == 409);
  CHECK(http::http_status(make_error("too_large", "")) == 413);
  CHECK(http::http_status(make_error("too_many_attempts", "")) == 429);
  CHECK(http::http_status(make_error("storage_full", "")) == 503);
  CHECK(http::http_status(make_error("no_hub", "")) == 500);  // the sync-now route decides
  CHECK(http::http_status(make_error("never_heard_of_it", "")) == 500);
}

TEST_CASE("Vietnamese messages name the field as the forms do", "[http][errors]") {
  CHECK(vi("missing_field", "applicant.cccd") == "Thiếu trường bắt buộc: Số CCCD.");
  CHECK(vi("missing_field", "applicant.full_name") == "Thiếu trường bắt buộc: Họ và tên.");
  CHECK(vi("missing_field", "area") == "Thiếu trường bắt buộc: Địa bàn.");
  CHECK(vi("too_large", "body") == "Nội dung gửi lên quá lớn.");
  CHECK(vi("too_large") == "Nội dung gửi lên quá lớn.");
  CHECK(vi("unauthorized") == "Sai tên đăng nhập hoặc mật khẩu, hoặc phiên làm việc đã hết hạn.");
  CHECK(vi("invalid_transition", "status") == "Không thể thực hiện thao tác này ở trạng thái hiện tại của hồ sơ.");
  CHECK(vi("invalid_value", "applicant.cccd") ==
        "Số CCCD phải gồm đúng 12 chữ số, ba chữ số đầu là mã tỉnh (từ 001 đến 096).");
  CHECK(vi("invalid_value", "recipient.cccd").rfind("Số CCCD người nhận phải gồm đúng 12 chữ số", 0) == 0);
  CHECK(vi("invalid_value", "applicant.phone").rfind("Số điện thoại phải gồm 10 chữ số", 0) == 0);
  CHECK(vi("missing_field", "fees[1].receipt_no") == "Thiếu trường bắt buộc: Số biên lai (mục thứ 2).");
  CHECK(vi("missing_field", "recipient.relation").find("quan hệ với người nộp hồ sơ") != std::string::npos);
  CHECK(vi("already_exists", "username") == "Tên đăng nhập này đã tồn tại.");
  CHECK(vi("unknown_field", "colour") == "Trường không được chấp nhận: “colour”.");
  CHECK(vi("wrong_type", "form.child_name") == "Kiểu dữ liệu không đúng ở trường: Nội dung tờ khai (“form.child_name”).");
  // A code the table does not know: a generic sentence with the code.
  CHECK(vi("brand_new_code") == "Yêu cầu không thực hiện được (mã lỗi brand_new_code).");
  CHECK(vi("brand_new_code", "applicant.phone") ==
        "Yêu cầu không thực hiện được (mã lỗi brand_new_code); trường liên quan: Số điện thoại.");
  CHECK(vi("http_405") == "Yêu cầu không thực hiện được (HTTP 405).");

  // Common fields have Vietnamese names.
  const std::map<std::string, std::string> names = {
      {"applicant.full_name", "Họ và tên"}, {"applicant.cccd", "Số CCCD"},     {"applicant.phone", "Số điện thoại"},
      {"applicant.address", "Địa chỉ"},     {"applicant.date_of_birth", "Ngày sinh"},
      {"procedure_code", "Mã thủ tục"},     {"attachments[0]", "Tệp đính kèm (mục thứ 1)"},
      {"recipient.relation", "Quan hệ với người nộp hồ sơ"}, {"recipient.authorization", "Giấy ủy quyền"},
      {"reason", "Lý do"},                  {"new_due_at", "Ngày hẹn trả mới"}, {"username", "Tên đăng nhập"},
      {"password", "Mật khẩu"},             {"place_name", "Tên điểm phục vụ"}, {"since", "Thời điểm bắt đầu"}};
  for (const auto& [field, name] : names) {
    INFO(field);
    CHECK(http::field_label(field) == name);
  }
  for (const auto& f : http::known_field_names()) {
    INFO(f);
    CHECK(http::field_label(f).find("“") == std::string::npos);
  }
}

TEST_CASE("the error body carries code, field, the Vietnamese message and the English one", "[http][errors]") {
  Json j = http::error_json(make_error("missing_field", "applicant.cccd is required", "applicant.cccd"));
  CHECK(j == Json{{"error",
                   {{"code", "missing_field"},
                    {"field", "applicant.cccd"},
                    {"message", "Thiếu trường bắt buộc: Số CCCD."},
                    {"message_en", "applicant.cccd is required"}}}});
  CHECK_FALSE(http::error_json(make_error("unauthorized", "x"))["error"].contains("field"));
}

TEST_CASE("over HTTP a refusal is in Vietnamese with the English detail kept", "[http][errors]") {
  test::DaemonFixture f;
  auto clerk = test::DaemonFixture::bearer(f.login("clerk1"));
  auto c = f.client();
  Json bad = test::intake_request("12345");
  auto r = c->Post("/api/v1/dossiers", clerk, bad.dump(), "application/json");
  REQUIRE(r);
  CHECK(r->status == 400);
  Json e = test::body_json(r)["error"];
  CHECK(e["code"] == "invalid_value");
  CHECK(e["field"] == "applicant.cccd");
  CHECK(e["message"] == "Số CCCD phải gồm đúng 12 chữ số, ba chữ số đầu là mã tỉnh (từ 001 đến 096).");
  CHECK(e["message_en"] == "CCCD must be exactly 12 digits");

  auto wrong = c->Post("/api/v1/sessions", Json{{"username", "clerk1"}, {"password", "nope"}}.dump(),
                       "application/json");
  REQUIRE(wrong);
  CHECK(wrong->status == 401);
  CHECK(test::body_json(wrong)["error"]["message"] ==
        "Sai tên đăng nhập hoặc mật khẩu, hoặc phiên làm việc đã hết hạn.");

  auto nowhere = c->Get("/api/v1/no-such-thing", clerk);
  REQUIRE(nowhere);
  CHECK(nowhere->status == 404);
  CHECK(test::body_json(nowhere)["error"]["message"] == "Không tìm thấy dữ liệu được yêu cầu.");
  CHECK(test::body_json(nowhere)["error"]["message_en"].get<std::string>().find("no such endpoint") == 0);

  auto officer = test::DaemonFixture::bearer(f.login("officer1"));
  auto refused = c->Post("/api/v1/dossiers", officer, test::intake_request().dump(), "application/json");
  REQUIRE(refused);
  CHECK(refused->status == 403);
  CHECK(test::body_json(refused)["error"]["message"] == "Bạn không có quyền thực hiện thao tác này.");
}

TEST_CASE("English messages use the right article before a role", "[http][errors][dossier]") {
  test::DossierFixture f;
  const std::string code = f.take_in();
  auto r = f.svc->act(f.admin, code, "accept", Json::object());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "forbidden");
  CHECK(r.error().message == "the action 'accept' is not allowed for an admin");
  r = f.svc->act(f.postal, code, "accept", Json::object());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "the action 'accept' is not allowed for a postal worker");
  r = f.svc->act(f.officer, code, "cancel", Json{{"reason", "x"}});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "the action 'cancel' is not allowed for an officer");
  for (const auto& m : {std::string(" a admin"), std::string(" a officer"), std::string(" a unknown")})
    CHECK(r.error().message.find(m) == std::string::npos);
}
