// Mẫu 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả (TT 01/2018/TT-VPCP), A5.
#include "motcua/http/forms.hpp"
#include "motcua/node/vn_time.hpp"
#include "print_page.hpp"

namespace motcua::http {

std::string html_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

using print::str;

std::string row(const std::string& label, const std::string& value) {
  return "<tr><th>" + html_escape(label) + "</th><td>" + html_escape(value) + "</td></tr>\n";
}

int count_of(const Json& d, const char* k) {
  auto it = d.find(k);
  return it != d.end() && it->is_number_integer() ? it->get<int>() : 0;
}

// The documents handed in: [{name, originals, copies}] (or, from older
// intakes, the procedure's list of names).
std::string documents(const Json& docs) {
  std::string h = "<table class=\"grid\">\n<thead><tr><th>TT</th><th>Tên giấy tờ</th>"
                  "<th>Hình thức (bản chính, bản sao hoặc bản chụp)</th><th>Số lượng</th></tr></thead>\n<tbody>\n";
  int n = 0;
  if (docs.is_array())
    for (const auto& d : docs) {
      if (d.is_string()) {
        h += "<tr><td class=\"c\">" + std::to_string(++n) + "</td><td>" + html_escape(d.get<std::string>()) +
             "</td><td></td><td></td></tr>\n";
      } else if (d.is_object()) {
        const int originals = count_of(d, "originals"), copies = count_of(d, "copies");
        if (originals + copies == 0) continue;  // listed but not handed in
        std::string kind;
        if (originals > 0) kind = "Bản chính: " + std::to_string(originals);
        if (copies > 0) kind += (kind.empty() ? "" : "; ") + std::string("Bản sao: ") + std::to_string(copies);
        h += "<tr><td class=\"c\">" + std::to_string(++n) + "</td><td>" + html_escape(str(d, "name")) + "</td><td>" +
             html_escape(kind) + "</td><td class=\"c\">" + std::to_string(originals + copies) + "</td></tr>\n";
      }
    }
  return h + "</tbody>\n</table>\n";
}

}  // namespace

std::string render_receipt(const Json& r) {
  const Json& s = r.value("dossier", Json::object());
  const std::string agency = str(r, "agency_name"), place = str(r, "place_name").empty() ? agency : str(r, "place_name");
  const Json applicant = s.value("applicant", Json::object());
  const std::string code = str(s, "code");
  std::string processing = s.contains("processing_days") && s["processing_days"].is_number_integer()
                               ? (s["processing_days"].get<int>() == 0
                                      ? std::string("Giải quyết trong ngày")
                                      : std::to_string(s["processing_days"].get<int>()) + " ngày làm việc")
                               : std::string("Theo quy định của thủ tục");
  std::string returned = str(s, "return_point");
  if (returned.empty() || returned == str(s, "origin_point")) returned = place;
  const Json postal = s.value("postal", Json(nullptr));
  if (postal.is_object() && postal.value("result_by_post", false))
    returned = "Qua dịch vụ bưu chính công ích đến: " + str(postal, "delivery_address");
  int sets = s.contains("sets") && s["sets"].is_number_integer() ? s["sets"].get<int>() : 1;
  auto received_ms = s.contains("received_at") && s["received_at"].is_string()
                         ? node::parse_instant(s["received_at"].get<std::string>())
                         : std::nullopt;
  std::string clerk = str(s, "received_by_name");
  if (clerk.empty()) clerk = str(s, "created_by");

  std::string h = print::head("Giấy tiếp nhận hồ sơ và hẹn trả kết quả " + code, "a5");
  h += print::heading(agency, place == agency ? "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ" : place,
                      received_ms ? print::date_line(place, *received_ms) : "");
  h += "<p class=\"c small\">Mẫu số 01</p>\n";
  h += "<p class=\"c\">Mã hồ sơ: <b>" + html_escape(code) + "</b><br><i>(Liên: Lưu/giao khách hàng)</i></p>\n";
  h += "<h1>Giấy tiếp nhận hồ sơ và hẹn trả kết quả</h1>\n";
  h += "<p>" + html_escape(place) + " tiếp nhận hồ sơ của:</p>\n<table class=\"kv\">\n";
  h += row("Ông/Bà:", str(applicant, "full_name"));
  h += row("Số CCCD:", str(applicant, "cccd"));
  h += row("Địa chỉ:", str(applicant, "address"));
  h += row("Số điện thoại:", str(applicant, "phone"));
  h += row("Thư điện tử:", str(applicant, "email"));
  h += row("Nội dung yêu cầu giải quyết:", str(s, "procedure_name"));
  h += "</table>\n<p>1. Thành phần hồ sơ nộp gồm:</p>\n";
  h += documents(s.value("documents", Json::array()));
  h += "<p>2. Số lượng hồ sơ: <b>" + std::to_string(sets) + "</b> (bộ)</p>\n";
  h += "<p>3. Thời gian giải quyết hồ sơ theo quy định: <b>" + html_escape(processing) + "</b></p>\n";
  h += "<p>4. Thời gian nhận hồ sơ: <b>" + html_escape(print::when(s.value("received_at", Json(nullptr)))) + "</b></p>\n";
  std::string due = print::when(s.value("due_at", Json(nullptr)));
  h += "<p>5. Thời gian trả kết quả giải quyết hồ sơ: <b>" +
       html_escape(due.empty() ? "Theo thông báo của cơ quan giải quyết" : due) + "</b></p>\n";
  h += "<p>6. Đăng ký nhận kết quả tại: <b>" + html_escape(returned) + "</b></p>\n";
  const Json fees = s.value("fees_collected", Json::array());
  if (fees.is_array() && !fees.empty()) {
    h += "<p>7. Phí, lệ phí đã thu:</p>\n<ul>\n";
    for (const auto& f : fees) {
      int64_t amount = f.contains("amount_vnd") && f["amount_vnd"].is_number_integer() ? f["amount_vnd"].get<int64_t>() : 0;
      h += "<li><b>" + html_escape(print::money(amount)) + "</b>";
      if (!str(f, "receipt_no").empty()) h += " (biên lai số " + html_escape(str(f, "receipt_no")) + ")";
      h += "</li>\n";
    }
    h += "</ul>\n";
  }
  const std::string book = str(s, "receipt_book"), seq = str(s, "receipt_seq");
  h += "<p>Vào Sổ theo dõi hồ sơ, Quyển số: <b>" + html_escape(book.empty() ? "……" : book) + "</b> Số thứ tự: <b>" +
       html_escape(seq.empty() ? "……" : seq) + "</b></p>\n";
  h += "<div class=\"sig\"><div>NGƯỜI NỘP HỒ SƠ<br><i>(Ký và ghi rõ họ tên)</i><br><br><br>" +
       html_escape(str(applicant, "full_name")) +
       "</div><div>NGƯỜI TIẾP NHẬN HỒ SƠ<br><i>(Ký và ghi rõ họ tên)</i><br><br><br>" + html_escape(clerk) +
       "</div></div>\n";
  return h + print::tail();
}

std::string render_receipt(const Json& state, const std::string& agency_name) {
  return render_receipt(Json{{"dossier", state}, {"agency_name", agency_name}, {"place_name", agency_name}});
}

}  // namespace motcua::http
