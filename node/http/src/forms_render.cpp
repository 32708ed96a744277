// Mẫu 02-06 of TT 01/2018/TT-VPCP and Biểu 06, rendered from node/forms.hpp's data.
#include <chrono>
#include <map>

#include "motcua/http/forms.hpp"
#include "motcua/node/vn_time.hpp"
#include "print_page.hpp"

namespace motcua::http {

namespace {

using print::str;
using print::when;

const char* kDept = "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ";

std::string e(const std::string& s) { return html_escape(s); }

std::string timing_vi(const std::string& t) {
  if (t == "early") return "Trước hạn";
  if (t == "on_time") return "Đúng hạn";
  if (t == "late") return "Quá hạn";
  return "";
}

int64_t ms_or_now(const Json& iso) {
  if (iso.is_string())
    if (auto ms = node::parse_instant(iso.get<std::string>())) return *ms;
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The applicant block shared by Mẫu 02-04.
std::string applicant_block(const Json& s) {
  const Json a = s.value("applicant", Json::object());
  std::string h = "<table class=\"kv\">\n";
  h += "<tr><th>Ông/Bà:</th><td>" + e(str(a, "full_name")) + "</td></tr>\n";
  h += "<tr><th>Địa chỉ:</th><td>" + e(str(a, "address")) + "</td></tr>\n";
  h += "<tr><th>Số điện thoại:</th><td>" + e(str(a, "phone")) + "</td></tr>\n";
  h += "<tr><th>Thư điện tử:</th><td>" + e(str(a, "email")) + "</td></tr>\n";
  h += "<tr><th>Nội dung yêu cầu giải quyết:</th><td>" + e(str(s, "procedure_name")) + "</td></tr>\n";
  h += "<tr><th>Mã hồ sơ:</th><td>" + e(str(s, "code")) + "</td></tr>\n";
  return h + "</table>\n";
}

std::string signature(const std::string& role, const std::string& hint, const std::string& name) {
  return "<div class=\"sig\"><div></div><div>" + e(role) + "<br><i>" + e(hint) + "</i><br><br><br>" + e(name) +
         "</div></div>\n";
}

std::string form02(const Json& d) {
  const Json s = d.value("dossier", Json::object());
  const Json r = d.value("request", Json::object());
  std::string h = print::heading(str(d, "agency_name"), kDept, print::date_line(str(d, "place_name"), ms_or_now(r.value("requested_at", Json(nullptr)))));
  h += "<p class=\"c small\">Mẫu số 02</p>\n<h1>Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ</h1>\n";
  h += "<p>Hồ sơ của:</p>\n" + applicant_block(s);
  h += "<p>Yêu cầu hoàn thiện hồ sơ gồm những nội dung sau:</p>\n<ol>\n";
  for (const auto& m : r.value("missing", Json::array()))
    h += "<li>" + e(m.is_string() ? m.get<std::string>() : m.dump()) + "</li>\n";
  h += "</ol>\n";
  if (!str(r, "reason").empty()) h += "<p>Lý do: " + e(str(r, "reason")) + "</p>\n";
  h += "<p>Thời điểm yêu cầu: " + e(when(r.value("requested_at", Json(nullptr)))) + "</p>\n";
  h += "<p>Trong quá trình hoàn thiện hồ sơ nếu có vướng mắc, ông/bà liên hệ với " + e(str(r, "by_name")) + ", " +
       e(str(d, "place_name")) + " để được hướng dẫn.</p>\n";
  return h + signature("NGƯỜI HƯỚNG DẪN", "(Ký và ghi rõ họ tên)", str(r, "by_name"));
}

std::string form03(const Json& d) {
  const Json s = d.value("dossier", Json::object());
  const Json r = d.value("refusal", Json::object());
  std::string h = print::heading(str(d, "agency_name"), kDept, print::date_line(str(d, "place_name"), ms_or_now(r.value("at", Json(nullptr)))));
  h += "<p class=\"c small\">Mẫu số 03</p>\n<h1>Phiếu từ chối tiếp nhận giải quyết hồ sơ</h1>\n";
  h += "<p>" + e(str(d, "place_name")) + " tiếp nhận hồ sơ của:</p>\n" + applicant_block(s);
  h += "<p>Sau khi xem xét hồ sơ, đối chiếu với các quy định hiện hành, " + e(str(d, "place_name")) + " " +
       (str(r, "stage") == "processing" ? "dừng giải quyết" : "từ chối tiếp nhận, giải quyết") +
       " hồ sơ này với lý do cụ thể như sau:</p>\n";
  h += "<p class=\"reason\"><b>" + e(str(r, "reason")) + "</b></p>\n";
  h += "<p>Xin thông báo cho Ông/Bà được biết và thực hiện./.</p>\n";
  return h + signature("NGƯỜI TIẾP NHẬN HỒ SƠ", "(Ký và ghi rõ họ tên)", str(r, "by_name"));
}

std::string form04(const Json& d) {
  const Json s = d.value("dossier", Json::object());
  const Json a = d.value("apology", Json::object());
  const std::string agency = str(d, "agency_name");
  std::string h = print::heading(agency, "", print::date_line(str(d, "place_name"), ms_or_now(a.value("at", Json(nullptr)))));
  h += "<p class=\"c small\">Mẫu số 04</p>\n<h1>Phiếu xin lỗi và hẹn lại ngày trả kết quả</h1>\n";
  h += "<p>Ngày " + e(node::vn_date(str(s, "received_at"))) + ", " + e(agency) + " tiếp nhận giải quyết hồ sơ của:</p>\n";
  h += applicant_block(s);
  h += "<p>Thời hẹn trả kết quả giải quyết hồ sơ: <b>" + e(when(a.value("old_due_at", Json(nullptr)))) + "</b></p>\n";
  h += "<p>Tuy nhiên đến nay, " + e(agency) + " chưa trả kết quả giải quyết hồ sơ của Ông/Bà.</p>\n";
  h += "<p>Lý do: " + e(str(a, "reason")) + "</p>\n";
  h += "<p>Sự chậm trễ này đã gây phiền hà cho Ông/Bà. " + e(agency) +
       " xin lỗi Ông/Bà và sẽ trả kết quả giải quyết hồ sơ cho Ông/Bà vào: <b>" +
       e(when(a.value("new_due_at", Json(nullptr)))) + "</b></p>\n";
  h += "<p>Xin trân trọng cảm ơn sự hợp tác của Ông/Bà./.</p>\n";
  return h + signature("THỦ TRƯỞNG CƠ QUAN", "(Ký tên, đóng dấu)", str(a, "by_name"));
}

std::string form05(const Json& d) {
  const Json s = d.value("dossier", Json::object());
  std::string h = print::heading(str(d, "agency_name"), kDept, "");
  h += "<p class=\"c small\">Mẫu số 05</p>\n<h1>Phiếu kiểm soát quá trình giải quyết hồ sơ</h1>\n";
  h += "<p class=\"c\">Mã hồ sơ: <b>" + e(str(s, "code")) + "</b><br><i>(Liên: Lưu tại Bộ phận tiếp nhận và trả kết quả)</i></p>\n";
  h += "<p>Tên thủ tục hành chính: " + e(str(s, "procedure_name")) + "</p>\n";
  h += "<p>Cơ quan (bộ phận) giải quyết hồ sơ: " + e(str(d, "agency_label").empty() ? str(s, "agency_code") : str(d, "agency_label")) + "</p>\n";
  h += "<p>Người nộp hồ sơ: " + e(str(s.value("applicant", Json::object()), "full_name")) + "</p>\n";
  h += "<table class=\"grid\">\n<thead><tr><th>Bước</th><th>Nội dung</th><th>Người giao</th><th>Người nhận</th>"
       "<th>Thời gian nhận hồ sơ</th><th>Hạn giải quyết</th><th>Thời gian hoàn thành</th>"
       "<th>Kết quả giải quyết hồ sơ (trước hạn/đúng hạn/quá hạn)</th></tr></thead>\n<tbody>\n";
  for (const auto& l : d.value("legs", Json::array()))
    h += "<tr><td class=\"c\">" + str(l, "step") + "</td><td>" + e(str(l, "act")) + "</td><td>" + e(str(l, "giver")) +
         "</td><td>" + e(str(l, "receiver")) + "</td><td>" + e(when(l.value("received_at", Json(nullptr)))) + "</td><td>" +
         e(when(l.value("due_at", Json(nullptr)))) + "</td><td>" + e(when(l.value("done_at", Json(nullptr)))) +
         "</td><td>" + e(timing_vi(str(l, "timing"))) + "</td></tr>\n";
  h += "</tbody>\n</table>\n";
  return h;
}

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

struct Column {
  const char* key;
  const char* title;
};
// Biểu 06's columns, in the order of the CSV and the HTML table.
const Column kBieuColumns[] = {
    {"received_total", "Tổng số hồ sơ nhận giải quyết"},
    {"carried_over", "Từ kỳ trước chuyển sang"},
    {"new_online", "Mới tiếp nhận trực tuyến"},
    {"new_counter", "Mới tiếp nhận trực tiếp"},
    {"new_postal", "Mới tiếp nhận qua bưu chính công ích"},
    {"settled_total", "Tổng số đã giải quyết"},
    {"settled_early", "Trả trước hạn"},
    {"settled_on_time", "Trả đúng hạn"},
    {"settled_late", "Trả quá hạn"},
    {"pending_total", "Tổng số đang giải quyết"},
    {"pending_within", "Chưa đến hạn"},
    {"pending_overdue", "Quá hạn"},
    {"pending_paused", "Tạm dừng chờ công dân"},
    {"refused", "Từ chối, dừng giải quyết"},
    {"withdrawn", "Rút, hủy hồ sơ"},
};

std::string number(const Json& row, const char* k) {
  auto it = row.find(k);
  return it != row.end() && it->is_number_integer() ? std::to_string(it->get<int64_t>()) : "0";
}

}  // namespace

std::string render_form(const Json& d) {
  const std::string form = str(d, "form");
  static const std::map<std::string, std::string> titles = {
      {"02", "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"},
      {"03", "Phiếu từ chối tiếp nhận giải quyết hồ sơ"},
      {"04", "Phiếu xin lỗi và hẹn lại ngày trả kết quả"},
      {"05", "Phiếu kiểm soát quá trình giải quyết hồ sơ"}};
  auto t = titles.find(form);
  std::string h = print::head((t == titles.end() ? "Mẫu " + form : t->second) + " " + str(d.value("dossier", Json::object()), "code"), "a4");
  if (form == "02") h += form02(d);
  else if (form == "03") h += form03(d);
  else if (form == "04") h += form04(d);
  else h += form05(d);
  return h + print::tail();
}

std::string render_tracking_book(const Json& d) {
  std::string h = print::head("Sổ theo dõi hồ sơ " + str(d, "from") + " – " + str(d, "to"), "a4l");
  h += print::heading(str(d, "agency_name"), kDept, "");
  h += "<p class=\"c small\">Mẫu số 06</p>\n<h1>Sổ theo dõi hồ sơ</h1>\n";
  h += "<p class=\"c\">Từ ngày " + e(node::vn_date(str(d, "from") + "T00:00:00+07:00")) + " đến ngày " +
       e(node::vn_date(str(d, "to") + "T00:00:00+07:00")) + "</p>\n";
  h += "<table class=\"grid book\">\n<thead><tr><th rowspan=\"2\">TT</th><th rowspan=\"2\">Mã hồ sơ</th>"
       "<th rowspan=\"2\">Quyển số / Số thứ tự</th><th rowspan=\"2\">Tên thủ tục hành chính</th>"
       "<th rowspan=\"2\">Số lượng hồ sơ (bộ)</th><th rowspan=\"2\">Tên cá nhân, tổ chức</th>"
       "<th rowspan=\"2\">Địa chỉ, số điện thoại</th><th rowspan=\"2\">Cơ quan chủ trì giải quyết</th>"
       "<th colspan=\"5\">Ngày, tháng, năm</th><th rowspan=\"2\">Ký nhận</th><th rowspan=\"2\">Ghi chú</th></tr>\n"
       "<tr><th>Nhận hồ sơ</th><th>Hẹn trả kết quả</th><th>Chuyển hồ sơ đến cơ quan giải quyết</th>"
       "<th>Nhận kết quả từ cơ quan giải quyết</th><th>Trả kết quả cho cá nhân, tổ chức</th></tr></thead>\n<tbody>\n";
  for (const auto& r : d.value("rows", Json::array())) {
    std::string book = str(r, "receipt_book").empty() ? "" : str(r, "receipt_book") + " / " + str(r, "receipt_seq");
    std::string contact = str(r, "applicant_address");
    if (!str(r, "applicant_phone").empty()) contact += (contact.empty() ? "" : "; ") + str(r, "applicant_phone");
    h += "<tr><td class=\"c\">" + str(r, "no") + "</td><td>" + e(str(r, "code")) + "</td><td>" + e(book) + "</td><td>" +
         e(str(r, "procedure_name")) + "</td><td class=\"c\">" + str(r, "sets") + "</td><td>" +
         e(str(r, "applicant_name")) + "</td><td>" + e(contact) + "</td><td>" + e(str(r, "agency_label").empty() ? str(r, "agency_code") : str(r, "agency_label")) + "</td>";
    for (const char* k : {"received_at", "due_at", "transferred_at", "result_received_at", "returned_at"})
      h += "<td>" + e(when(r.value(k, Json(nullptr)))) + "</td>";
    h += "<td>" + e(str(r, "recipient_name")) + "</td><td>" + e(str(r, "note")) + "</td></tr>\n";
  }
  if (d.value("rows", Json::array()).empty()) h += "<tr><td colspan=\"15\" class=\"c\">Không có hồ sơ trong kỳ.</td></tr>\n";
  h += "</tbody>\n</table>\n";
  return h + print::tail();
}

std::string render_bieu06_html(const Json& r) {
  std::string h = print::head("Biểu 06 " + str(r, "from") + " – " + str(r, "to"), "a4l");
  h += print::heading(str(r, "agency_name"), kDept, "");
  h += "<p class=\"c small\">Biểu số 06</p>\n<h1>Tình hình, kết quả giải quyết thủ tục hành chính</h1>\n";
  h += "<p class=\"c\">Kỳ báo cáo: từ ngày " + e(node::vn_date(str(r, "from") + "T00:00:00+07:00")) + " đến ngày " +
       e(node::vn_date(str(r, "to") + "T00:00:00+07:00"));
  if (!str(r, "agency").empty()) h += "; cơ quan: " + e(str(r, "agency"));
  h += "</p>\n<p class=\"c small\">Lập lúc " + e(when(r.value("generated_at", Json(nullptr)))) +
       "; đơn vị tính: hồ sơ</p>\n";
  h += "<table class=\"grid report\">\n<thead><tr><th rowspan=\"2\">STT</th><th rowspan=\"2\">Lĩnh vực</th>"
       "<th colspan=\"5\">Số hồ sơ nhận giải quyết</th><th colspan=\"4\">Số hồ sơ đã giải quyết</th>"
       "<th colspan=\"4\">Số hồ sơ đang giải quyết</th><th rowspan=\"2\">Từ chối, dừng giải quyết</th>"
       "<th rowspan=\"2\">Rút, hủy hồ sơ</th></tr>\n<tr><th>Tổng số</th><th>Từ kỳ trước</th><th>Trực tuyến</th>"
       "<th>Trực tiếp</th><th>Bưu chính công ích</th><th>Tổng số</th><th>Trước hạn</th><th>Đúng hạn</th>"
       "<th>Quá hạn</th><th>Tổng số</th><th>Chưa đến hạn</th><th>Quá hạn</th><th>Tạm dừng chờ công dân</th></tr>"
       "</thead>\n<tbody>\n";
  int n = 0;
  auto line = [&](const Json& row, const std::string& no) {
    std::string t = "<tr><td class=\"c\">" + no + "</td><th scope=\"row\">" + e(str(row, "field")) + "</th>";
    for (const auto& c : kBieuColumns) t += "<td class=\"n\">" + number(row, c.key) + "</td>";
    return t + "</tr>\n";
  };
  for (const auto& row : r.value("rows", Json::array())) h += line(row, std::to_string(++n));
  h += "</tbody>\n<tfoot>\n" + line(r.value("total", Json::object()), "") + "</tfoot>\n</table>\n";
  h += "<p class=\"small\">Hồ sơ đã giải quyết: kết quả đã có trong kỳ (đúng hạn gồm trước hạn và đúng hạn); thời gian "
       "tạm dừng chờ công dân bổ sung hồ sơ hoặc thực hiện nghĩa vụ tài chính không tính vào thời hạn giải quyết.</p>\n";
  return h + print::tail();
}

std::string render_bieu06_csv(const Json& r) {
  std::string out = "\xEF\xBB\xBF";  // byte-order mark: Excel reads the file as UTF-8
  out += "STT,Lĩnh vực";
  for (const auto& c : kBieuColumns) out += std::string(",") + csv_cell(c.title);
  out += "\r\n";
  int n = 0;
  auto line = [&](const Json& row, const std::string& no) {
    std::string t = no + "," + csv_cell(str(row, "field"));
    for (const auto& c : kBieuColumns) t += "," + number(row, c.key);
    return t + "\r\n";
  };
  for (const auto& row : r.value("rows", Json::array())) out += line(row, std::to_string(++n));
  out += line(r.value("total", Json::object()), "");
  return out;
}

}  // namespace motcua::http
