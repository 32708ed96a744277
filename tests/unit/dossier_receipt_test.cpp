// The printable receipt (Mẫu 01) right after intake, and the dossier list.
#include <catch2/catch.hpp>

#include <set>

#include "dossier_fixture.hpp"
#include "motcua/http/forms.hpp"

using namespace motcua;

namespace {
Result<std::string> receipt_html(node::DossierService& svc, const std::string& code) {
  auto d = svc.receipt(code);
  if (!d.ok()) return d.error();
  return http::render_receipt((*d)["dossier"], (*d)["agency_name"].get<std::string>());
}
}  // namespace

TEST_CASE("the receipt carries the Mẫu 01 fields, escaped", "[dossier][receipt]") {
  test::DossierFixture f;
  Json req = test::DossierFixture::intake_request();
  req["applicant"]["address"] = "Số 5 <ngõ 3> & \"Trung\"";
  req["sets"] = 2;
  std::string code = f.take_in(req);
  auto html = receipt_html(*f.svc, code);
  REQUIRE(html.ok());
  const std::string& h = html.value();
  CHECK_THAT(h, Catch::Contains(code));
  CHECK_THAT(h, Catch::Contains("Nguyễn Thị Lan"));
  CHECK_THAT(h, Catch::Contains("033190001234"));
  CHECK_THAT(h, Catch::Contains("0912345678"));
  CHECK_THAT(h, Catch::Contains("lan@example.vn"));
  CHECK_THAT(h, Catch::Contains("Số 5 &lt;ngõ 3&gt; &amp; &quot;Trung&quot;"));
  CHECK_FALSE(h.find("<ngõ 3>") != std::string::npos);
  CHECK_THAT(h, Catch::Contains("Thủ tục cấp Giấy xác nhận tình trạng hôn nhân"));
  CHECK_THAT(h, Catch::Contains("Tờ khai cấp Giấy xác nhận tình trạng hôn nhân theo mẫu"));
  CHECK_THAT(h, Catch::Contains("<b>2</b> (bộ)"));
  CHECK_THAT(h, Catch::Contains("3 ngày làm việc"));
  CHECK_THAT(h, Catch::Contains("01/07/2025 09:00"));  // received
  CHECK_THAT(h, Catch::Contains("04/07/2025 17:00"));  // due
  CHECK_THAT(h, Catch::Contains("xa-an-thi"));                       // where the result is returned
  CHECK_THAT(h, Catch::Contains("Mẫu số 01"));
  CHECK(receipt_html(*f.svc, "nope").error().code == "not_found");
}

TEST_CASE("the receipt names postal delivery when the result goes by post", "[dossier][receipt]") {
  test::DossierFixture f;
  REQUIRE(f.node->config().set("agency_name", "UBND xã Ân Thi").ok());
  Json req = test::DossierFixture::intake_request("1.001193");
  req["channel"] = "postal";
  req["postal"] = Json{{"result_by_post", true}, {"delivery_address", "Số 9, thôn Đông"}};
  std::string code = f.take_in(req);
  std::string h = receipt_html(*f.svc, code).value();
  CHECK_THAT(h, Catch::Contains("bưu chính công ích đến: Số 9, thôn Đông"));
  CHECK_THAT(h, Catch::Contains("UBND xã Ân Thi"));
  CHECK_THAT(h, Catch::Contains("Giải quyết trong ngày"));
}

TEST_CASE("the list pages in a stable order and filters by status, text and time", "[dossier][list]") {
  test::DossierFixture f;
  std::vector<std::string> codes;
  for (int i = 0; i < 5; ++i) {
    Json req = test::DossierFixture::intake_request();
    if (i == 3) req["applicant"]["full_name"] = "Đỗ Văn Đức";
    codes.push_back(f.take_in(req));
    f.clock.advance(60'000);
  }
  f.must(f.officer, codes[1], "accept");
  std::set<std::string> seen;
  std::string cursor;
  std::vector<std::string> order;
  for (int page = 0; page < 5; ++page) {
    node::DossierListQuery q;
    q.limit = 2;
    q.cursor = cursor;
    auto r = f.svc->list(q);
    REQUIRE(r.ok());
    for (const auto& it : r.value()["items"]) {
      CHECK(seen.insert(it["code"].get<std::string>()).second);
      order.push_back(it["code"]);
    }
    if (r.value()["next_cursor"].is_null()) break;
    cursor = r.value()["next_cursor"];
  }
  CHECK(seen.size() == 5);
  CHECK(order.front() == codes[4]);  // newest first
  CHECK(order.back() == codes[0]);

  node::DossierListQuery by_status;
  by_status.status = "2";
  auto accepted = f.svc->list(by_status).value()["items"];
  REQUIRE(accepted.size() == 1);
  CHECK(accepted[0]["code"] == codes[1]);
  CHECK(accepted[0]["status_name"] == "Được tiếp nhận");

  node::DossierListQuery by_text;
  by_text.q = "do van duc";
  auto found = f.svc->list(by_text).value()["items"];
  REQUIRE(found.size() == 1);
  CHECK(found[0]["code"] == codes[3]);
  by_text.q = codes[2];
  CHECK(f.svc->list(by_text).value()["items"].size() == 1);

  node::DossierListQuery since;
  since.updated_since = test::vn_iso(2025, 7, 1, 9, 3);
  auto recent = f.svc->list(since).value()["items"];
  CHECK(recent.size() == 3);  // codes[3], codes[4], and codes[1] (accepted later)

  node::DossierListQuery bad;
  bad.status = "11";
  CHECK(f.svc->list(bad).error().field == "status");
  bad = {};
  bad.limit = 0;
  CHECK(f.svc->list(bad).error().field == "limit");
  bad = {};
  bad.cursor = "zz";
  CHECK(f.svc->list(bad).error().field == "cursor");
  bad = {};
  bad.updated_since = "yesterday";
  CHECK(f.svc->list(bad).error().field == "updated_since");
}

TEST_CASE("history lists every event with node, user, time, clock and hash", "[dossier][list]") {
  test::DossierFixture f;
  std::string code = f.take_in();
  f.clock.advance(3'600'000);
  f.must(f.officer, code, "accept", Json{{"note", "đủ hồ sơ"}});
  auto h = f.svc->history(code);
  REQUIRE(h.ok());
  const Json& ev = h.value()["events"];
  REQUIRE(ev.size() == 2);
  CHECK(ev[0]["type"] == "dossier.submitted");
  CHECK(ev[0]["user"] == "lan");
  CHECK(ev[0]["time"] == "2025-07-01T02:00:00Z");
  CHECK(ev[1]["type"] == "dossier.accepted");
  CHECK(ev[1]["user"] == "minh");
  CHECK(ev[1]["time"] == "2025-07-01T03:00:00Z");
  CHECK(ev[1]["body"]["note"] == "đủ hồ sơ");
  CHECK(ev[1]["node"] == to_hex(f.node->keys().pk));
  CHECK(ev[1]["entry_hash"].get<std::string>().size() == 64);
  CHECK(ev[1]["hlc"]["ms"].get<int64_t>() > ev[0]["hlc"]["ms"].get<int64_t>());
  CHECK(f.svc->history("none").error().code == "not_found");
}
