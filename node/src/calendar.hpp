// Time in the dossier domain: ISO-8601 UTC instants, calendar days in
// Asia/Ho_Chi_Minh (UTC+7 all year: Vietnam has no daylight saving time, so a
// fixed offset is exact), and working days (weekends, the holiday table,
// make-up Saturdays, the cut-off hour). docs/design/0011-working-days-and-holidays.md
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "motcua/canonical.hpp"
#include "motcua/result.hpp"

namespace SQLite {
class Database;
}

namespace motcua::node::cal {

constexpr int64_t kDayMs = 86'400'000;
constexpr int64_t kVietnamOffsetMs = 7 * 3'600'000;

// Days since 1970-01-01 for a proleptic Gregorian date, and back.
int64_t days_from_civil(int y, int m, int d);
void civil_from_days(int64_t days, int& y, int& m, int& d);
// 0 = Monday .. 6 = Sunday.
int weekday(int64_t days);

// "2025-07-01T02:30:00Z" (milliseconds dropped).
std::string iso_utc(int64_t ms);
// Accepts "YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)"; nullopt if malformed, or if the
// instant falls outside years 0000..9999 in UTC (iso_utc could not print it back).
std::optional<int64_t> parse_iso(std::string_view s);
// "YYYY-MM-DD" <-> day number; nullopt if malformed or not a real date.
std::optional<int64_t> parse_date(std::string_view s);
std::string format_date(int64_t days);

// The Vietnamese calendar day of an instant, and its "YYMMDD".
int64_t vn_day(int64_t ms);
std::string vn_yymmdd(int64_t ms);
// Local hour (0..23) in Vietnam.
int vn_hour(int64_t ms);
// The instant of `hour`:00 local time on a Vietnamese day.
int64_t vn_instant(int64_t day, int hour);

struct DueRule {
  int cutoff_hour = 15;  // received at or after this local hour counts from the next working day
  int due_hour = 17;     // local hour a result is due on its due day
};

// A working-day calendar: Monday..Friday, minus holidays, plus make-up days.
class WorkCalendar {
 public:
  enum class Kind { Holiday, WorkingDay };
  WorkCalendar() = default;
  explicit WorkCalendar(std::map<int64_t, Kind> days) : days_(std::move(days)) {}
  bool is_working(int64_t day) const;
  int64_t next_working(int64_t day) const;  // first working day strictly after `day`
  // The day counting starts from: the day of receipt if it is a working day
  // and before the cut-off, else the next working day.
  int64_t start_day(int64_t received_ms, const DueRule& rule) const;
  // Due instant for `processing_days` working days (0 = the start day itself;
  // N = the Nth working day after the start day), at rule.due_hour local.
  int64_t due(int64_t received_ms, int processing_days, const DueRule& rule) const;
  // Working days in (day(from), day(to)]: how long a paused clock waited.
  int working_days_between(int64_t from_ms, int64_t to_ms) const;
  // Moves an instant forward by n working days, keeping its local time.
  int64_t add_working_days(int64_t ms, int n) const;

 private:
  std::map<int64_t, Kind> days_;
};

// Reads the `holidays` table.
WorkCalendar load_calendar(SQLite::Database& db);

}  // namespace motcua::node::cal
