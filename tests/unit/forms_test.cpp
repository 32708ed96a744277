// The printable forms: Mẫu 01 corrected (place name, clerk's full name, the
// documents handed in, fees, book and number), Mẫu 02-05 from the journal,
// and the HTTP routes of the forms and reports (CSP, 4xx naming the field).
#include <catch2/catch.hpp>

#include "dossier_fixture.hpp"
#include "http_test_util.hpp"
#include "motcua/http/forms.hpp"
#include "motcua/node/forms.hpp"

using namespace motcua;
using test::vn_ms;

namespace {

std::string receipt_html(node::DossierService& svc, const std::string& code) {
  auto d = svc.receipt(code);
  if (!d.ok()) throw std::runtime_error(d.error().message);
  return http::render_receipt(d.value());
}

std::string form_html(node::Node& n, const std::string& code, const std::string& form) {
  auto d = node::form_data(n, code, form);
  if (!d.ok()) throw std::runtime_error(d.error().code + ": " + d.error().message);
  return http::render_form(d.value());
}

bool has(const std::string& h, const std::string& s) { return h.find(s) != std::string::npos; }

}  // namespace

TEST_CASE("Mẫu 01 names the place, the clerk by full name, the book and number", "[forms][receipt]") {
  test::DossierFixture f;
  node::Actor hoa{"hoa", node::UserRole::Clerk, "Trần Thị Hoa"};
  auto r = f.svc->intake(hoa, test::DossierFixture::intake_request());
  REQUIRE(r.ok());
  CHECK(r.value()["receipt_book"] == 2025);
  CHECK(r.value()["receipt_seq"] == 1);
  const std::string code = r.value()["code"];
  std::string h = receipt_html(*f.svc, code);
  CHECK(has(h, "Trần Thị Hoa"));  // the receiving clerk's full name, not the login
  CHECK(has(h, "Quyển số: <b>2025</b> Số thứ tự: <b>1</b>"));
  CHECK(has(h, "xa-an-thi"));  // no place name configured: the node's name
  REQUIRE(f.node->config().set("agency_name", "UBND xã Ân Thi").ok());
  h = receipt_html(*f.svc, code);
  CHECK(has(h, "UBND xã Ân Thi tiếp nhận hồ sơ của:"));
  REQUIRE(f.node->config().set("place_name", "Bộ phận một cửa xã <Ân Thi>").ok());
  h = receipt_html(*f.svc, code);
  CHECK(has(h, "Bộ phận một cửa xã &lt;Ân Thi&gt; tiếp nhận hồ sơ của:"));
  CHECK(has(h, "6. Đăng ký nhận kết quả tại: <b>Bộ phận một cửa xã &lt;Ân Thi&gt;</b>"));
  CHECK_FALSE(has(h, "<b>xa-an-thi</b>"));
  // No inline script or style: the page links the shared files.
  CHECK(has(h, "<link rel=\"stylesheet\" href=\"/ui/print.css\">"));
  CHECK(has(h, "<script src=\"/ui/print.js\" defer></script>"));
  CHECK(has(h, "<button id=\"print\" type=\"button\">In</button>"));
  CHECK_FALSE(has(h, "onclick"));
  CHECK_FALSE(has(h, "<style"));
  CHECK(has(h, "class=\"form a5\""));
  // A clerk without a full name on record: the login name.
  std::string code2 = f.take_in();
  CHECK(has(receipt_html(*f.svc, code2), "Số thứ tự: <b>2</b>"));
  CHECK(f.state(code2)["received_by_name"] == "lan");
  // The numbers are recorded in the intake event: a view of the journal.
  auto hist = f.svc->history(code2).value();
  CHECK(hist["events"][0]["body"]["receipt_seq"] == 2);
  CHECK(hist["events"][0]["body"]["received_by_name"] == "lan");
}

TEST_CASE("receipt numbers count per point and start again each year", "[forms][receipt]") {
  test::DossierFixture a("xa-an-thi", 7, vn_ms(2025, 12, 30, 9));
  test::DossierFixture b("buu-dien-an-thi", 8, vn_ms(2025, 12, 30, 9));
  auto seq = [](test::DossierFixture& f) {
    auto s = f.state(f.take_in());
    return std::to_string(s["receipt_book"].get<int>()) + "/" + std::to_string(s["receipt_seq"].get<int>());
  };
  CHECK(seq(a) == "2025/1");
  CHECK(seq(a) == "2025/2");
  CHECK(seq(b) == "2025/1");
  a.clock.set(vn_ms(2025, 12, 31, 23, 59));
  CHECK(seq(a) == "2025/3");
  // 00:30 on 1 January in Vietnam is still 31 December in UTC: the book is Vietnam's year.
  a.clock.set(vn_ms(2026, 1, 1, 0, 30));
  b.clock.set(vn_ms(2026, 1, 2, 9));
  CHECK(seq(a) == "2026/1");
  CHECK(seq(a) == "2026/2");
  CHECK(seq(b) == "2026/1");
  CHECK(seq(b) == "2026/2");
  // A number, once printed, never changes: later acts leave it alone.
  std::string code = a.take_in();
  a.must(a.officer, code, "accept");
  CHECK(a.state(code)["receipt_seq"] == 3);
}

TEST_CASE("Mẫu 01 lists only the documents handed in, with counts, and the fees", "[forms][receipt]") {
  Json state{{"code", "000.00.01.H22-250701-0001"},
             {"applicant", {{"full_name", "Lê Văn A"}}},
             {"procedure_name", "Đăng ký khai sinh"},
             {"documents", Json::array({Json{{"name", "Tờ khai <đăng ký>"}, {"originals", 1}, {"copies", 0}},
                                        Json{{"name", "Giấy chứng sinh"}, {"originals", 1}, {"copies", 2}},
                                        Json{{"name", "Văn bản ủy quyền"}, {"originals", 0}, {"copies", 0}}})},
             {"fees_collected", Json::array({Json{{"amount_vnd", 30000}, {"receipt_no", "BL-0042"}}})},
             {"received_at", "2025-07-01T02:00:00Z"},
             {"origin_point", "xa-an-thi"},
             {"return_point", "xa-an-thi"},
             {"received_by_name", "Trần Thị Hoa"},
             {"receipt_book", 2025},
             {"receipt_seq", 17}};
  std::string h = http::render_receipt(Json{{"dossier", state}, {"agency_name", "UBND xã Ân Thi"}, {"place_name", "Bộ phận một cửa xã Ân Thi"}});
  CHECK(has(h, "<td>Tờ khai &lt;đăng ký&gt;</td><td>Bản chính: 1</td><td class=\"c\">1</td>"));
  CHECK(has(h, "<td>Giấy chứng sinh</td><td>Bản chính: 1; Bản sao: 2</td><td class=\"c\">3</td>"));
  CHECK_FALSE(has(h, "Văn bản ủy quyền"));  // listed by the procedure, not handed in
  CHECK(has(h, "30.000 đồng"));
  CHECK(has(h, "biên lai số BL-0042"));
  CHECK(has(h, "Số thứ tự: <b>17</b>"));
  CHECK(has(h, "Bộ phận một cửa xã Ân Thi, ngày 01 tháng 07 năm 2025"));
  CHECK(has(h, "01/07/2025 09:00"));
  // The older shape: a list of names.
  state["documents"] = Json::array({"Tờ khai", "Giấy chứng sinh"});
  h = http::render_receipt(state, "UBND xã Ân Thi");
  CHECK(has(h, "<td>Tờ khai</td>"));
  CHECK(has(h, "<td>Giấy chứng sinh</td>"));
}

TEST_CASE("Mẫu 02-05 show what the journal says, escaped, forms not yet due are refused", "[forms]") {
  test::DossierFixture f;
  REQUIRE(f.node->config().set("place_name", "Bộ phận một cửa xã Ân Thi").ok());
  node::Actor hoa{"hoa", node::UserRole::Clerk, "Trần Thị Hoa"};
  auto made = f.svc->intake(hoa, test::DossierFixture::intake_request());  // due 04/07/2025 17:00
  REQUIRE(made.ok());
  const std::string code = made.value()["code"];
  for (const char* form : {"02", "03", "04"}) {
    auto r = node::form_data(*f.node, code, form);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "form_not_applicable");
    CHECK(r.error().field == "form");
  }
  CHECK(node::form_data(*f.node, code, "07").error().field == "form");
  CHECK(node::form_data(*f.node, code, "07").error().code == "invalid_value");
  CHECK(node::form_data(*f.node, "000-nope", "05").error().code == "not_found");

  f.clock.set(vn_ms(2025, 7, 1, 10));
  f.must(f.officer, code, "accept");
  f.clock.set(vn_ms(2025, 7, 2, 9));
  f.must(f.officer, code, "request-supplement",
         Json{{"missing", {"Bản sao <CCCD>", "Giấy xác nhận cư trú"}}, {"reason", "Thiếu giấy tờ & chữ ký"}});
  std::string h = form_html(*f.node, code, "02");
  CHECK(has(h, "Mẫu số 02"));
  CHECK(has(h, "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"));
  CHECK(has(h, "<li>Bản sao &lt;CCCD&gt;</li>"));
  CHECK(has(h, "<li>Giấy xác nhận cư trú</li>"));
  CHECK(has(h, "Lý do: Thiếu giấy tờ &amp; chữ ký"));
  CHECK(has(h, "Nguyễn Thị Lan"));
  CHECK(has(h, "02/07/2025 09:00"));
  CHECK(has(h, "class=\"form a4\""));

  f.clock.set(vn_ms(2025, 7, 3, 9));
  f.must(f.clerk, code, "supplement");  // waited 1 working day: due 07/07 17:00
  f.clock.set(vn_ms(2025, 7, 8, 9));
  f.must(f.officer, code, "apologize", Json{{"reason", "Chờ \"xác minh\""}, {"new_due_at", "2025-07-10T10:00:00Z"}});
  h = form_html(*f.node, code, "04");
  CHECK(has(h, "Phiếu xin lỗi và hẹn lại ngày trả kết quả"));
  CHECK(has(h, "Thời hẹn trả kết quả giải quyết hồ sơ: <b>07/07/2025 17:00</b>"));
  CHECK(has(h, "vào: <b>10/07/2025 17:00</b>"));
  CHECK(has(h, "Lý do: Chờ &quot;xác minh&quot;"));

  f.clock.set(vn_ms(2025, 7, 9, 9));
  f.must(f.officer, code, "result-ready");
  f.clock.set(vn_ms(2025, 7, 9, 15));
  f.must(f.clerk, code, "handover",
         Json{{"recipient", {{"full_name", "Nguyễn Thị Lan"}, {"cccd", "033190001234"}}}, {"place", "counter"}});
  auto d5 = node::form_data(*f.node, code, "05");
  REQUIRE(d5.ok());
  const Json& legs = d5.value()["legs"];
  REQUIRE(legs.size() == 6);  // intake, accept, supplement asked, supplied, result ready, handed over
  CHECK(legs[0]["giver"] == "Nguyễn Thị Lan");
  CHECK(legs[0]["receiver"] == "Trần Thị Hoa");
  CHECK(legs[0]["received_at"] == test::vn_iso(2025, 7, 1, 9));
  CHECK(legs[0]["done_at"] == test::vn_iso(2025, 7, 1, 10));
  CHECK(legs[0]["due_at"] == test::vn_iso(2025, 7, 4, 17));
  CHECK(legs[0]["timing"] == "early");
  CHECK(legs[1]["giver"] == "Trần Thị Hoa");
  CHECK(legs[1]["receiver"] == "minh");
  CHECK(legs[4]["act"] == "Chuyển kết quả về Bộ phận tiếp nhận và trả kết quả");
  CHECK(legs[4]["due_at"] == test::vn_iso(2025, 7, 7, 17));  // moved by the wait, not by the apology
  CHECK(legs[4]["timing"] == "late");
  CHECK(legs[5]["giver"] == "lan");
  CHECK(legs[5]["receiver"] == "Nguyễn Thị Lan");
  CHECK(legs[5]["done_at"] == test::vn_iso(2025, 7, 9, 15));
  h = http::render_form(d5.value());
  CHECK(has(h, "Phiếu kiểm soát quá trình giải quyết hồ sơ"));
  CHECK(has(h, "Trước hạn"));
  CHECK(has(h, "Quá hạn"));
  CHECK(has(h, "09/07/2025 15:00"));
  // The agency by its code when this node has no agency name, by name (and
  // code) when the code is this node's and it has one.
  const std::string agency = d5.value()["dossier"]["agency_code"];
  REQUIRE_FALSE(agency.empty());
  CHECK(has(h, "Cơ quan (bộ phận) giải quyết hồ sơ: " + agency + "</p>"));
  REQUIRE(f.node->config().set("agency_name", "UBND xã Ân Thi").ok());
  h = form_html(*f.node, code, "05");
  CHECK(has(h, "Cơ quan (bộ phận) giải quyết hồ sơ: UBND xã Ân Thi (" + agency + ")</p>"));
  CHECK(node::form_data(*f.node, code, "03").error().code == "form_not_applicable");

  // Mẫu 03: a refusal at reception, its reason escaped.
  f.clock.set(vn_ms(2025, 7, 10, 9));
  std::string refused = f.take_in();
  f.must(f.officer, refused, "reject", Json{{"reason", "Không thuộc <thẩm quyền>"}});
  h = form_html(*f.node, refused, "03");
  CHECK(has(h, "Phiếu từ chối tiếp nhận giải quyết hồ sơ"));
  CHECK(has(h, "<b>Không thuộc &lt;thẩm quyền&gt;</b>"));
  CHECK(has(h, "từ chối tiếp nhận, giải quyết"));
  CHECK(has(h, "Bộ phận một cửa xã Ân Thi, ngày 10 tháng 07 năm 2025"));
}

TEST_CASE("forms and reports over HTTP: pages with CSP, CSV, and 4xx naming the field", "[forms][http]") {
  test::DaemonFixture d;
  auto c = d.client();
  auto clerk = test::DaemonFixture::bearer(d.login("clerk1"));
  auto made = c->Post("/api/v1/dossiers", clerk, test::intake_request().dump(), "application/json");
  REQUIRE(made->status == 201);
  const std::string code = test::body_json(made)["code"];
  const std::string base = "/api/v1/dossiers/" + code;

  auto receipt = c->Get(base + "/receipt", clerk);
  REQUIRE(receipt->status == 200);
  CHECK(receipt->get_header_value("Content-Security-Policy") == http::kPrintCsp);
  CHECK(has(receipt->body, "Số thứ tự: <b>1</b>"));

  auto f05 = c->Get(base + "/forms/05", clerk);
  REQUIRE(f05->status == 200);
  CHECK(f05->get_header_value("Content-Security-Policy") == http::kPrintCsp);
  CHECK(has(f05->body, "Phiếu kiểm soát quá trình giải quyết hồ sơ"));
  auto f02 = c->Get(base + "/forms/02", clerk);
  CHECK(f02->status == 409);
  CHECK(test::body_json(f02)["error"]["code"] == "form_not_applicable");
  CHECK(test::body_json(f02)["error"]["field"] == "form");
  CHECK(c->Get(base + "/forms/09", clerk)->status == 400);
  auto unknown = c->Get("/api/v1/dossiers/nope/forms/05", clerk);
  CHECK(unknown->status == 404);
  CHECK(test::body_json(unknown)["error"]["field"] == "code");
  CHECK(c->Get(base + "/forms/05")->status == 401);

  auto json = c->Get("/api/v1/reports/bieu-06?from=2025-07-01&to=2025-07-31", clerk);
  REQUIRE(json->status == 200);
  Json rep = test::body_json(json);
  CHECK(rep["total"]["received_total"] == 1);
  CHECK(rep["total"]["new_counter"] == 1);
  CHECK(rep["total"]["pending_within"] == 1);
  auto csv = c->Get("/api/v1/reports/bieu-06?from=2025-07-01&to=2025-07-31&format=csv", clerk);
  REQUIRE(csv->status == 200);
  CHECK(csv->get_header_value("Content-Type").rfind("text/csv", 0) == 0);
  CHECK(csv->body.rfind("\xEF\xBB\xBFSTT,Lĩnh vực,", 0) == 0);
  CHECK(has(csv->body, "\r\n1,Hộ tịch,1,0,0,1,0,0,0,0,0,1,1,0,0,0,0\r\n"));
  auto html = c->Get("/api/v1/reports/bieu-06?from=2025-07-01&to=2025-07-31&format=html", clerk);
  REQUIRE(html->status == 200);
  CHECK(html->get_header_value("Content-Security-Policy") == http::kPrintCsp);
  auto book = c->Get("/api/v1/reports/tracking-book?from=2025-07-01&to=2025-07-31", clerk);
  REQUIRE(book->status == 200);
  CHECK(has(book->body, code));

  struct Bad {
    std::string query, field;
  };
  for (const auto& [query, field] : std::vector<Bad>{{"from=2025-07-01", "to"},
                                                    {"to=2025-07-31", "from"},
                                                    {"from=01/07/2025&to=2025-07-31", "from"},
                                                    {"from=2025-07-01&to=2025-13-01", "to"},
                                                    {"from=2025-08-01&to=2025-07-31", "from"},
                                                    {"from=2025-07-01&to=2025-07-31&format=xlsx", "format"}}) {
    auto r = c->Get("/api/v1/reports/bieu-06?" + query, clerk);
    INFO(query);
    CHECK(r->status == 400);
    CHECK(test::body_json(r)["error"]["field"] == field);
  }
  auto bad_book = c->Get("/api/v1/reports/tracking-book?from=2025-07-32&to=2025-07-31", clerk);
  CHECK(bad_book->status == 400);
  CHECK(test::body_json(bad_book)["error"]["field"] == "from");
}
