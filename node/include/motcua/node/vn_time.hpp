// Times as people read them: Vietnam's time (UTC+7 all year, no daylight
// saving), day first. The API and the journal keep ISO 8601 instants; only
// what is shown to a person (UI, printed forms, reports) goes through here.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace motcua::node {

// An ISO-8601 instant ("2026-12-05T02:30:00Z", "...+07:00") in milliseconds
// since the epoch; nullopt if malformed.
std::optional<int64_t> parse_instant(std::string_view iso);

struct VnTime {
  int year, month, day, hour, minute;
};
VnTime vn_time(int64_t ms);

// "05/12/2026 09:30" (dd/mm/yyyy HH:mm, Vietnam's time).
std::string vn_datetime(int64_t ms);
// "05/12/2026".
std::string vn_date(int64_t ms);
// Either of the above for an ISO string; "" for an empty or malformed one.
std::string vn_datetime(std::string_view iso);
std::string vn_date(std::string_view iso);

}  // namespace motcua::node
