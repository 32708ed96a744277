// The frame shared by the printable pages (receipt.cpp, forms_render.cpp).
#pragma once
#include <string>

#include "motcua/canonical.hpp"

namespace motcua::http::print {

// "a5" (Mẫu 01), "a4" (Mẫu 02-05), "a4l" (landscape: Mẫu 06, Biểu 06).
std::string head(const std::string& title, const std::string& page);
// The two-column heading of every form: agency and department on the left,
// the national motto and "<place>, ngày .. tháng .. năm .." on the right.
std::string heading(const std::string& agency, const std::string& department, const std::string& date_line);
// "<b>In</b>" button and the closing tags.
std::string tail();
// "..., ngày 05 tháng 12 năm 2026" for an instant (ms) in Vietnam time.
std::string date_line(const std::string& place, int64_t ms);
std::string str(const Json& j, const char* k);
// dd/mm/yyyy HH:mm of an ISO string or "" (malformed or null).
std::string when(const Json& iso);
std::string money(int64_t vnd);  // "30.000 đồng"

}  // namespace motcua::http::print
