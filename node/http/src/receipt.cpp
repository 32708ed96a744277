#include "motcua/http/forms.hpp"

#include "motcua/node/vn_time.hpp"

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

std::string str(const Json& j, const char* k) {
  auto it = j.find(k);
  if (it == j.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

// "01/07/2025 08:30" in Vietnam time.
std::string vn_time(const Json& iso) {
  if (!iso.is_string()) return "";
  std::string shown = node::vn_datetime(iso.get<std::string>());
  return shown.empty() ? iso.get<std::string>() : shown;
}

std::string row(const std::string& label, const std::string& value) {
  return "<tr><th>" + html_escape(label) + "</th><td>" + html_escape(value) + "</td></tr>\n";
}

}  // namespace

std::string render_receipt(const Json& s, const std::string& agency_name) {
  const Json applicant = s.value("applicant", Json::object());
  const std::string code = str(s, "code");
  std::string processing = s.contains("processing_days") && s["processing_days"].is_number_integer()
                               ? (s["processing_days"].get<int>() == 0
                                      ? std::string("Giải quyết trong ngày")
                                      : std::to_string(s["processing_days"].get<int>()) + " ngày làm việc")
                               : std::string("Theo quy định của thủ tục");
  std::string returned = str(s, "return_point");
  const Json postal = s.value("postal", Json(nullptr));
  if (postal.is_object() && postal.value("result_by_post", false))
    returned = "Qua dịch vụ bưu chính công ích đến: " + str(postal, "delivery_address");
  int sets = s.contains("sets") && s["sets"].is_number_integer() ? s["sets"].get<int>() : 1;

  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n";
  h += "<title>Giấy tiếp nhận hồ sơ và hẹn trả kết quả " + html_escape(code) + "</title>\n";
  h += "<style>@page{size:A5;margin:12mm}body{font-family:'Times New Roman',serif;font-size:13pt;max-width:148mm;"
       "margin:auto}h1{font-size:14pt;text-align:center;text-transform:uppercase;margin:8px 0}"
       ".hdr{display:flex;justify-content:space-between;font-size:11pt}.c{text-align:center}"
       "table{width:100%;border-collapse:collapse}th{text-align:left;font-weight:normal;width:42%;vertical-align:top;"
       "padding:2px 4px}td{font-weight:bold;padding:2px 4px}ol{margin:2px 0 2px 18px}"
       ".sig{display:flex;justify-content:space-between;margin-top:18px}.sig div{text-align:center;width:45%}"
       "@media print{.noprint{display:none}}</style>\n</head>\n<body>\n";
  h += "<div class=\"hdr\"><div class=\"c\">" + html_escape(agency_name) + "<br><b>BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ</b>";
  if (!str(s, "agency_code").empty()) h += "<br>Mã cơ quan: " + html_escape(str(s, "agency_code"));
  h += "</div><div class=\"c\"><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br><b>Độc lập - Tự do - Hạnh phúc</b></div></div>\n";
  h += "<p class=\"c\">Mẫu số 01</p>\n<h1>Giấy tiếp nhận hồ sơ và hẹn trả kết quả</h1>\n";
  h += "<p class=\"c\">Mã hồ sơ: <b>" + html_escape(code) + "</b></p>\n";
  h += "<p>" + html_escape(agency_name) + " tiếp nhận hồ sơ của:</p>\n<table>\n";
  h += row("Ông/Bà:", str(applicant, "full_name"));
  h += row("Số CCCD:", str(applicant, "cccd"));
  h += row("Địa chỉ:", str(applicant, "address"));
  h += row("Số điện thoại:", str(applicant, "phone"));
  h += row("Thư điện tử:", str(applicant, "email"));
  h += row("Nội dung yêu cầu giải quyết:", str(s, "procedure_name"));
  h += "</table>\n<p>1. Thành phần hồ sơ nộp gồm:</p>\n<ol>\n";
  for (const auto& d : s.value("documents", Json::array()))
    if (d.is_string()) h += "<li>" + html_escape(d.get<std::string>()) + "</li>\n";
  h += "</ol>\n<p>2. Số lượng hồ sơ: <b>" + std::to_string(sets) + "</b> (bộ)</p>\n";
  h += "<p>3. Thời gian giải quyết hồ sơ theo quy định: <b>" + html_escape(processing) + "</b></p>\n";
  h += "<p>4. Thời gian nhận hồ sơ: <b>" + html_escape(vn_time(s.value("received_at", Json(nullptr)))) + "</b></p>\n";
  std::string due = vn_time(s.value("due_at", Json(nullptr)));
  h += "<p>5. Thời gian trả kết quả giải quyết hồ sơ: <b>" + html_escape(due.empty() ? "Theo thông báo của cơ quan giải quyết" : due) + "</b></p>\n";
  h += "<p>6. Đăng ký nhận kết quả tại: <b>" + html_escape(returned) + "</b></p>\n";
  h += "<p>Vào Sổ theo dõi hồ sơ, Quyển số: …… Số thứ tự: ……</p>\n";
  h += "<div class=\"sig\"><div>NGƯỜI NỘP HỒ SƠ<br><i>(Ký và ghi rõ họ tên)</i><br><br><br>" +
       html_escape(str(applicant, "full_name")) + "</div><div>NGƯỜI TIẾP NHẬN HỒ SƠ<br><i>(Ký và ghi rõ họ tên)</i><br><br><br>" +
       html_escape(str(s, "created_by")) + "</div></div>\n";
  h += "<p class=\"noprint c\"><button onclick=\"window.print()\">In giấy tiếp nhận</button></p>\n";
  h += "</body>\n</html>\n";
  return h;
}

}  // namespace motcua::http
