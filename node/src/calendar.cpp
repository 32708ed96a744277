#include "calendar.hpp"

#include <cstdio>

#include "motcua/schema/database.hpp"

namespace motcua::node::cal {

// Howard Hinnant's civil-date algorithms (public domain).
int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void civil_from_days(int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(yoe + era * 400 + (m <= 2));
}

int weekday(int64_t days) {
  // 1970-01-01 was a Thursday (3 when Monday = 0).
  int64_t w = (days + 3) % 7;
  return static_cast<int>(w < 0 ? w + 7 : w);
}

static int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

std::string iso_utc(int64_t ms) {
  int64_t days = floor_div(ms, kDayMs);
  int64_t rest = ms - days * kDayMs;
  int y, m, d;
  civil_from_days(days, y, m, d);
  int64_t s = rest / 1000;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, static_cast<int>(s / 3600),
                static_cast<int>(s / 60 % 60), static_cast<int>(s % 60));
  return buf;
}

static bool digits(std::string_view s, size_t at, size_t n, int& out) {
  if (at + n > s.size()) return false;
  out = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

static int days_in_month(int y, int m) {
  static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : dm[m - 1];
}

std::optional<int64_t> parse_date(std::string_view s) {
  int y, m, d;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 0, 4, y) || !digits(s, 5, 2, m) ||
      !digits(s, 8, 2, d))
    return std::nullopt;
  if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return std::nullopt;
  return days_from_civil(y, m, d);
}

std::string format_date(int64_t days) {
  int y, m, d;
  civil_from_days(days, y, m, d);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
  return buf;
}

std::optional<int64_t> parse_iso(std::string_view s) {
  if (s.size() < 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':') return std::nullopt;
  auto day = parse_date(s.substr(0, 10));
  int hh, mm, ss;
  if (!day || !digits(s, 11, 2, hh) || !digits(s, 14, 2, mm) || !digits(s, 17, 2, ss)) return std::nullopt;
  if (hh > 23 || mm > 59 || ss > 59) return std::nullopt;
  size_t i = 19;
  int64_t frac_ms = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t start = i;
    int scale = 100;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      frac_ms += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
    if (i == start || i - start > 9) return std::nullopt;
  }
  int64_t offset_ms = 0;
  if (i < s.size() && s[i] == 'Z') {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    if (!digits(s, i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' || !digits(s, i + 4, 2, om) || oh > 23 ||
        om > 59)
      return std::nullopt;
    offset_ms = (oh * 60 + om) * 60'000LL * (s[i] == '+' ? 1 : -1);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  const int64_t ms = *day * kDayMs + ((hh * 60 + mm) * 60 + ss) * 1000LL + frac_ms - offset_ms;
  // An offset may move the instant out of years 0000..9999 (e.g.
  // 0000-01-01T00:00:00+01:00), where iso_utc could not print it back.
  static const int64_t lo = days_from_civil(0, 1, 1) * kDayMs, hi = days_from_civil(10000, 1, 1) * kDayMs;
  if (ms < lo || ms >= hi) return std::nullopt;
  return ms;
}

int64_t vn_day(int64_t ms) { return floor_div(ms + kVietnamOffsetMs, kDayMs); }

std::string vn_yymmdd(int64_t ms) {
  int y, m, d;
  civil_from_days(vn_day(ms), y, m, d);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d%02d%02d", y % 100, m, d);
  return buf;
}

int vn_hour(int64_t ms) {
  int64_t local = ms + kVietnamOffsetMs;
  return static_cast<int>((local - floor_div(local, kDayMs) * kDayMs) / 3'600'000);
}

int64_t vn_instant(int64_t day, int hour) { return day * kDayMs + hour * 3'600'000LL - kVietnamOffsetMs; }

bool WorkCalendar::is_working(int64_t day) const {
  auto it = days_.find(day);
  if (it != days_.end()) return it->second == Kind::WorkingDay;
  return weekday(day) < 5;
}

int64_t WorkCalendar::next_working(int64_t day) const {
  // A calendar always has working days; the bound only guards a corrupt table.
  for (int i = 0; i < 3660; ++i)
    if (is_working(++day)) return day;
  return day;
}

int64_t WorkCalendar::start_day(int64_t received_ms, const DueRule& rule) const {
  int64_t day = vn_day(received_ms);
  if (is_working(day) && vn_hour(received_ms) < rule.cutoff_hour) return day;
  return next_working(day);
}

int64_t WorkCalendar::due(int64_t received_ms, int processing_days, const DueRule& rule) const {
  int64_t day = start_day(received_ms, rule);
  for (int i = 0; i < processing_days; ++i) day = next_working(day);
  return vn_instant(day, rule.due_hour);
}

int WorkCalendar::working_days_between(int64_t from_ms, int64_t to_ms) const {
  int n = 0;
  for (int64_t d = vn_day(from_ms) + 1, end = vn_day(to_ms); d <= end; ++d)
    if (is_working(d)) ++n;
  return n;
}

int64_t WorkCalendar::add_working_days(int64_t ms, int n) const {
  int64_t day = vn_day(ms);
  int64_t time_of_day = ms - vn_instant(day, 0);
  for (int i = 0; i < n; ++i) day = next_working(day);
  return vn_instant(day, 0) + time_of_day;
}

WorkCalendar load_calendar(SQLite::Database& db) {
  std::map<int64_t, WorkCalendar::Kind> days;
  SQLite::Statement q(db, "SELECT date, kind FROM holidays");
  while (q.executeStep()) {
    auto d = parse_date(q.getColumn(0).getString());
    if (!d) continue;
    days[*d] = q.getColumn(1).getString() == "working_day" ? WorkCalendar::Kind::WorkingDay : WorkCalendar::Kind::Holiday;
  }
  return WorkCalendar(std::move(days));
}

}  // namespace motcua::node::cal
