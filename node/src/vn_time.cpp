#include "motcua/node/vn_time.hpp"

#include <chrono>
#include <cstdio>

#include "calendar.hpp"

namespace motcua::node {

std::optional<int64_t> parse_instant(std::string_view iso) { return cal::parse_iso(iso); }

VnTime vn_time(int64_t ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> local{milliseconds{ms + cal::kVietnamOffsetMs}};
  const auto day = floor<days>(local);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> hms{local - day};
  return VnTime{static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
                static_cast<int>(static_cast<unsigned>(ymd.day())), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count())};
}

std::string vn_datetime(int64_t ms) {
  VnTime t = vn_time(ms);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%02d/%02d/%04d %02d:%02d", t.day, t.month, t.year, t.hour, t.minute);
  return buf;
}

std::string vn_date(int64_t ms) {
  VnTime t = vn_time(ms);
  char buf[24];
  std::snprintf(buf, sizeof buf, "%02d/%02d/%04d", t.day, t.month, t.year);
  return buf;
}

std::string vn_datetime(std::string_view iso) {
  auto ms = parse_instant(iso);
  return ms ? vn_datetime(*ms) : std::string();
}

std::string vn_date(std::string_view iso) {
  auto ms = parse_instant(iso);
  return ms ? vn_date(*ms) : std::string();
}

}  // namespace motcua::node
