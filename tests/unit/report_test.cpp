// Biểu 06 against a journal built by hand: fourteen dossiers in two fields,
// every figure counted by hand (comments), JSON and CSV.
#include <catch2/catch.hpp>

#include "dossier_fixture.hpp"
#include "motcua/http/forms.hpp"
#include "motcua/node/forms.hpp"

using namespace motcua;
using test::vn_ms;

namespace {

const char* kHoTich = "1.004873";    // Hộ tịch, 3 working days
const char* kChungThuc = "2.001035";  // Chứng thực, 2 working days

struct Journal14 {
  test::DossierFixture f{"xa-an-thi", 7, vn_ms(2025, 6, 23, 9, 0)};
  std::map<std::string, std::string> d;  // "D1" -> code

  void at(int m, int day, int h, int mi = 0) { f.clock.set(vn_ms(2025, m, day, h, mi)); }
  std::string in(const std::string& id, const char* proc, const std::string& channel) {
    Json req = test::DossierFixture::intake_request(proc);
    req["channel"] = channel;
    if (channel == "postal") req["postal"] = Json{{"result_by_post", true}, {"delivery_address", "Số 9, thôn Đông"}};
    d[id] = f.take_in(req);
    return d[id];
  }
  void officer(const std::string& id, const std::string& act, const Json& body = Json::object()) {
    f.must(f.officer, d[id], act, body);
  }
  void clerk(const std::string& id, const std::string& act, const Json& body = Json::object()) {
    f.must(f.clerk, d[id], act, body);
  }

  Journal14() {
    // June: before the period.
    at(6, 23, 9), in("D1", kHoTich, "counter");    // due 26/06 17:00
    at(6, 23, 10), officer("D1", "accept");
    at(6, 25, 9), officer("D1", "result-ready");   // settled before the period: not counted
    at(6, 26, 9), in("D2", kHoTich, "counter");    // due 01/07 17:00
    at(6, 26, 10), officer("D2", "accept");
    at(6, 27, 9), in("D3", kChungThuc, "online");  // due 01/07 17:00
    at(6, 27, 10), officer("D3", "accept");
    at(6, 30, 9), in("D4", kChungThuc, "counter"); // due 02/07 17:00, never settled
    at(6, 30, 10), officer("D4", "accept");
    // July: the period.
    at(7, 1, 9), in("D5", kHoTich, "counter");     // due 04/07 17:00
    at(7, 1, 10), in("D6", kHoTich, "online");     // due 04/07 17:00
    at(7, 1, 11), officer("D5", "accept");
    at(7, 1, 11, 5), officer("D6", "accept");
    at(7, 1, 16), officer("D2", "result-ready");   // on the due day, before 17:00: on time
    at(7, 2, 9), in("D7", kHoTich, "postal");      // due 07/07 17:00
    at(7, 2, 10), officer("D7", "accept");
    at(7, 2, 14), officer("D5", "result-ready");   // two days early
    at(7, 3, 9), officer("D7", "request-supplement", Json{{"missing", {"Bản sao giấy khai sinh"}}, {"reason", "Thiếu giấy tờ"}});
    at(7, 3, 9, 30), in("D8", kChungThuc, "counter");
    at(7, 3, 10), in("D9", kChungThuc, "counter");
    at(7, 3, 10, 30), officer("D3", "result-ready");  // due 01/07: late
    at(7, 3, 11), officer("D8", "reject", Json{{"reason", "Không thuộc thẩm quyền"}});
    at(7, 3, 14), clerk("D9", "cancel", Json{{"reason", "Công dân hủy"}});
    at(7, 4, 9), in("D10", kHoTich, "counter");
    at(7, 4, 10), officer("D10", "accept");
    at(7, 7, 9), officer("D6", "result-ready");    // due 04/07: late
    at(7, 7, 9, 30), in("D16", kChungThuc, "counter");
    at(7, 7, 10), officer("D16", "accept");
    at(7, 7, 11), clerk("D10", "withdraw-request", Json{{"reason", "Không còn nhu cầu"}});
    // Waited Fri 04, Mon 07, Tue 08: 3 working days, due 07/07 -> 10/07 17:00.
    at(7, 8, 9), clerk("D7", "supplement");
    at(7, 8, 10), officer("D10", "stop", Json{{"reason", "Công dân rút hồ sơ"}});  // withdrawn
    at(7, 8, 11), officer("D16", "stop", Json{{"reason", "Hồ sơ giả mạo"}});       // refused (no withdrawal)
    at(7, 9, 9), in("D13", kHoTich, "counter");    // due 14/07 17:00, never settled
    at(7, 9, 10), officer("D13", "accept");
    at(7, 10, 10), officer("D7", "result-ready");  // late against 07/07, on time against 10/07
    at(7, 15, 9), officer("D13", "apologize", Json{{"reason", "Chờ xác minh"}, {"new_due_at", "2025-08-20T10:00:00Z"}});
    at(7, 29, 9), in("D11", kHoTich, "counter");   // due 01/08 17:00: within at the end
    at(7, 29, 10), officer("D11", "accept");
    at(7, 30, 9), in("D12", kChungThuc, "online"); // due 01/08 17:00
    at(7, 30, 10), officer("D12", "accept");
    at(7, 30, 11), officer("D12", "request-supplement", Json{{"missing", {"Hợp đồng"}}});  // paused at the end
    at(8, 1, 9), in("D14", kChungThuc, "postal");  // after the period
    at(8, 4, 9);
  }
};

Json row_of(const Json& report, const std::string& field) {
  for (const auto& r : report["rows"])
    if (r["field"] == field) return r;
  FAIL("no row for " << field);
  return {};
}

}  // namespace

TEST_CASE("Biểu 06 counts a hand-built journal as counted by hand", "[report][bieu06]") {
  Journal14 j;
  CHECK(j.f.state(j.d["D7"])["due_at"] == test::vn_iso(2025, 7, 10, 17));
  auto p = node::parse_period("2025-07-01", "2025-07-31");
  REQUIRE(p.ok());
  auto r = node::bieu06(*j.f.node, *p, "", j.f.clock.now_ms());
  REQUIRE(r.ok());
  const Json& rep = r.value();
  REQUIRE(rep["rows"].size() == 2);

  // Hộ tịch: carried D2; new D5 D10 D11 D13 (counter), D6 (online), D7 (postal).
  Json h = row_of(rep, "Hộ tịch");
  CHECK(h["carried_over"] == 1);
  CHECK(h["new_online"] == 1);
  CHECK(h["new_counter"] == 4);
  CHECK(h["new_postal"] == 1);
  CHECK(h["received_total"] == 7);
  CHECK(h["settled_early"] == 1);    // D5
  CHECK(h["settled_on_time"] == 2);  // D2, D7 (paused time not counted)
  CHECK(h["settled_late"] == 1);     // D6
  CHECK(h["settled_total"] == 4);
  CHECK(h["pending_within"] == 1);   // D11
  CHECK(h["pending_overdue"] == 1);  // D13 (an apology does not make it on time)
  CHECK(h["pending_paused"] == 0);
  CHECK(h["pending_total"] == 2);
  CHECK(h["refused"] == 0);
  CHECK(h["withdrawn"] == 1);        // D10

  // Chứng thực: carried D3 D4; new D8 D9 D16 (counter), D12 (online); D14 after the period.
  Json c = row_of(rep, "Chứng thực");
  CHECK(c["carried_over"] == 2);
  CHECK(c["new_online"] == 1);
  CHECK(c["new_counter"] == 3);
  CHECK(c["new_postal"] == 0);
  CHECK(c["received_total"] == 6);
  CHECK(c["settled_early"] == 0);
  CHECK(c["settled_on_time"] == 0);
  CHECK(c["settled_late"] == 1);     // D3
  CHECK(c["pending_within"] == 0);
  CHECK(c["pending_overdue"] == 1);  // D4
  CHECK(c["pending_paused"] == 1);   // D12
  CHECK(c["refused"] == 2);          // D8 at reception, D16 stopped
  CHECK(c["withdrawn"] == 1);        // D9 cancelled

  const Json& t = rep["total"];
  CHECK(t["field"] == "Tổng cộng");
  CHECK(t["received_total"] == 13);
  CHECK(t["settled_total"] == 5);
  CHECK(t["pending_total"] == 4);
  CHECK(t["refused"] == 2);
  CHECK(t["withdrawn"] == 2);

  // June alone: D1 settled early (25/06 against 26/06); D2 D3 D4 pending at 30/06 24:00.
  auto june = node::bieu06(*j.f.node, node::parse_period("2025-06-01", "2025-06-30").value(), "", j.f.clock.now_ms());
  REQUIRE(june.ok());
  const Json& jt = june.value()["total"];
  CHECK(jt["carried_over"] == 0);
  CHECK(jt["received_total"] == 4);
  CHECK(jt["settled_early"] == 1);
  CHECK(jt["pending_within"] == 3);  // D2, D3 due 01/07; D4 due 02/07
  CHECK(jt["pending_overdue"] == 0);

  // An agency nobody has: nothing.
  auto none = node::bieu06(*j.f.node, *p, "000.00.99.H99", j.f.clock.now_ms());
  REQUIRE(none.ok());
  CHECK(none.value()["rows"].empty());
  CHECK(none.value()["total"]["received_total"] == 0);
  auto by_point = node::bieu06(*j.f.node, *p, "xa-an-thi", j.f.clock.now_ms());
  CHECK(by_point.value()["total"]["received_total"] == 13);

  // CSV: BOM, Vietnamese header, one line per field in field order, total last.
  const std::string csv = http::render_bieu06_csv(rep);
  CHECK(csv.rfind("\xEF\xBB\xBFSTT,Lĩnh vực,Tổng số hồ sơ nhận giải quyết,Từ kỳ trước chuyển sang,", 0) == 0);
  CHECK_THAT(csv, Catch::Contains("\r\n1,Chứng thực,6,2,1,3,0,1,0,0,1,2,0,1,1,2,1\r\n"
                                  "2,Hộ tịch,7,1,1,4,1,4,1,2,1,2,1,1,0,0,1\r\n"
                                  ",Tổng cộng,13,3,2,7,1,5,1,2,2,4,1,2,1,2,2\r\n"));
  const std::string html = http::render_bieu06_html(rep);
  CHECK_THAT(html, Catch::Contains("<th scope=\"row\">Hộ tịch</th>"));
  CHECK_THAT(html, Catch::Contains("<button id=\"print\" type=\"button\">In</button>"));
  CHECK_THAT(html, Catch::Contains("01/07/2025"));
  CHECK(html.find("onclick") == std::string::npos);
  CHECK(html.find("<style") == std::string::npos);
}

TEST_CASE("a report period is refused naming the field", "[report][bieu06]") {
  CHECK(node::parse_period("2025-7-01", "2025-07-31").error().field == "from");
  CHECK(node::parse_period("2025-07-01", "2025-02-30").error().field == "to");
  CHECK(node::parse_period("2025-07-01", "yesterday").error().field == "to");
  auto reversed = node::parse_period("2025-08-01", "2025-07-31");
  CHECK(reversed.error().field == "from");
  CHECK(reversed.error().code == "invalid_value");
  CHECK(node::parse_period("2015-01-01", "2025-07-31").error().field == "to");
  auto one_day = node::parse_period("2025-07-01", "2025-07-01");
  REQUIRE(one_day.ok());
  CHECK(one_day->end_ms - one_day->start_ms == 86'400'000);
  CHECK(one_day->start_ms == vn_ms(2025, 7, 1, 0, 0));
}

TEST_CASE("the tracking book (Mẫu 06) lists the period's dossiers in order", "[report][forms]") {
  Journal14 j;
  auto book = node::tracking_book(*j.f.node, node::parse_period("2025-07-01", "2025-07-31").value(), "");
  REQUIRE(book.ok());
  const Json& rows = book.value()["rows"];
  REQUIRE(rows.size() == 10);  // D5 D6 D7 D8 D9 D10 D16 D13 D11 D12
  CHECK(rows[0]["code"] == j.d["D5"]);
  CHECK(rows[0]["no"] == 1);
  CHECK(rows[0]["receipt_book"] == 2025);
  CHECK(rows[0]["receipt_seq"] == 5);  // the fifth dossier this point took in in 2025
  CHECK(rows[9]["code"] == j.d["D12"]);
  CHECK(rows[2]["transferred_at"] == test::vn_iso(2025, 7, 2, 10));
  CHECK(rows[2]["result_received_at"] == test::vn_iso(2025, 7, 10, 10));
  CHECK_THAT(rows[3]["note"].get<std::string>(), Catch::Contains("Không thuộc thẩm quyền"));
  CHECK_THAT(rows[7]["note"].get<std::string>(), Catch::Contains("Hẹn lại: 20/08/2025 17:00"));
  const std::string html = http::render_tracking_book(book.value());
  CHECK_THAT(html, Catch::Contains("Sổ theo dõi hồ sơ"));
  CHECK_THAT(html, Catch::Contains("Chuyển hồ sơ đến cơ quan giải quyết"));
  CHECK_THAT(html, Catch::Contains("2025 / 5"));
  CHECK_THAT(html, Catch::Contains("02/07/2025 10:00"));
  // Cơ quan chủ trì giải quyết: the code while this node has no agency name,
  // then its name (and code) for the dossiers of its own agency code.
  const std::string agency = rows[0]["agency_code"];
  REQUIRE_FALSE(agency.empty());
  CHECK(rows[0]["agency_label"] == agency);
  REQUIRE(j.f.node->config().set("agency_name", "UBND xã Ân Thi").ok());
  auto named = node::tracking_book(*j.f.node, node::parse_period("2025-07-01", "2025-07-31").value(), "");
  REQUIRE(named.ok());
  CHECK(named.value()["rows"][0]["agency_label"] == "UBND xã Ân Thi (" + agency + ")");
  CHECK_THAT(http::render_tracking_book(named.value()), Catch::Contains("<td>UBND xã Ân Thi (" + agency + ")</td>"));
  auto empty = node::tracking_book(*j.f.node, node::parse_period("2024-01-01", "2024-01-31").value(), "");
  CHECK(empty.value()["rows"].empty());
  CHECK_THAT(http::render_tracking_book(empty.value()), Catch::Contains("Không có hồ sơ trong kỳ."));
}
