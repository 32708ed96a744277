#include "print_page.hpp"

#include <cstdio>

#include "motcua/http/forms.hpp"
#include "motcua/node/vn_time.hpp"

namespace motcua::http::print {

std::string head(const std::string& title, const std::string& page) {
  std::string h = "<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n";
  h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  h += "<title>" + html_escape(title) + "</title>\n";
  h += "<link rel=\"stylesheet\" href=\"/ui/print.css\">\n";
  h += "<link rel=\"icon\" href=\"/ui/icon.svg\" type=\"image/svg+xml\">\n";
  h += "<script src=\"/ui/print.js\" defer></script>\n";
  h += "</head>\n<body class=\"form " + page + "\">\n";
  return h;
}

std::string heading(const std::string& agency, const std::string& department, const std::string& date_line) {
  std::string h = "<div class=\"hdr\"><div class=\"c\">" + html_escape(agency);
  if (!department.empty()) h += "<br><b>" + html_escape(department) + "</b>";
  h += "</div><div class=\"c\"><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br><b class=\"motto\">Độc lập - Tự do - Hạnh phúc</b>";
  if (!date_line.empty()) h += "<br><i>" + html_escape(date_line) + "</i>";
  h += "</div></div>\n";
  return h;
}

std::string tail() {
  return "<p class=\"noprint c\"><button id=\"print\" type=\"button\">In</button></p>\n</body>\n</html>\n";
}

std::string date_line(const std::string& place, int64_t ms) {
  auto t = node::vn_time(ms);
  char buf[64];
  std::snprintf(buf, sizeof buf, ", ngày %02d tháng %02d năm %04d", t.day, t.month, t.year);
  return place + buf;
}

std::string str(const Json& j, const char* k) {
  if (!j.is_object()) return "";
  auto it = j.find(k);
  if (it == j.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

std::string when(const Json& iso) {
  if (!iso.is_string()) return "";
  return node::vn_datetime(iso.get<std::string>());
}

std::string money(int64_t vnd) {
  std::string digits = std::to_string(vnd < 0 ? -vnd : vnd), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += '.';
    out += digits[i];
  }
  return (vnd < 0 ? "-" : "") + out + " đồng";
}

}  // namespace motcua::http::print
