#include "sync_util.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <charconv>
#include <cstdio>
#include <ctime>

#include "motcua/node/node.hpp"
#include "motcua/schema/columns.hpp"
#include "motcua/schema/storage.hpp"
#include "motcua/sync/hub_store.hpp"

namespace motcua::sync::util {

namespace {
using schema::blob_array;
using schema::bind_array;
using schema::blob_string;
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}
void civil_from_days(int64_t z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(yy + (m <= 2));
}
int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
}  // namespace

std::string iso_utc(int64_t ms) {
  if (ms == 0) return "";
  int64_t secs = floor_div(ms, 1000);
  int64_t days = floor_div(secs, 86400);
  int64_t rem = secs - days * 86400;
  int y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", y, m, d, static_cast<int>(rem / 3600),
                static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60));
  return buf;
}

int64_t parse_iso(const std::string& s) {
  int y = 0, hh = 0, mm = 0, ss = 0;
  unsigned mo = 0, d = 0;
  if (s.size() == 10) {
    if (std::sscanf(s.c_str(), "%4d-%2u-%2u", &y, &mo, &d) != 3) return -1;
  } else if (s.size() >= 19) {
    if (std::sscanf(s.c_str(), "%4d-%2u-%2uT%2d:%2d:%2d", &y, &mo, &d, &hh, &mm, &ss) != 6) return -1;
  } else {
    return -1;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60) return -1;
  return (days_from_civil(y, mo, d) * 86400 + hh * 3600 + mm * 60 + ss) * 1000;
}

std::string vn_day(int64_t ms, int days) {
  int64_t local_days = floor_div(ms + 7 * 3600 * 1000LL, 86400 * 1000LL) + days;
  int y;
  unsigned m, d;
  civil_from_days(local_days, y, m, d);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d%02u%02u", y % 100, m, d);
  return buf;
}

Error current_error() {
  try {
    throw;
  } catch (const SQLite::Exception& e) {
    return schema::storage_error(e);
  } catch (const node::JournalDamaged& e) {
    return node::journal_broken_error(e.what());
  } catch (const HubStoreFailure& e) {
    return e.error;
  } catch (const std::exception& e) {
    return make_error("internal_error", std::string("internal error: ") + e.what());
  } catch (...) {
    return make_error("internal_error", "internal error: an unknown exception");
  }
}

std::string state_get(node::Node& n, const std::string& key) {
  std::lock_guard<std::recursive_mutex> g(n.journal().mutex());
  SQLite::Statement q(*n.db(), "SELECT value FROM sync_state WHERE key = ?");
  q.bind(1, key);
  return q.executeStep() ? q.getColumn(0).getString() : std::string();
}

int64_t state_get_int(node::Node& n, const std::string& key) {
  std::string v = state_get(n, key);
  if (v.empty()) return 0;
  int64_t out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size())
    throw std::runtime_error("the stored sync state '" + key + "' is not a whole number (a damaged value: '" +
                             v.substr(0, 32) + "')");
  return out;
}

void state_set(node::Node& n, const std::string& key, const std::string& value) {
  std::lock_guard<std::recursive_mutex> g(n.journal().mutex());
  SQLite::Statement q(*n.db(), "INSERT OR REPLACE INTO sync_state (key, value) VALUES (?, ?)");
  q.bind(1, key);
  q.bind(2, value);
  q.exec();
}

void without_sync(SQLite::Database& db, const std::function<void()>& fn) {
  const bool own = sqlite3_get_autocommit(db.getHandle()) != 0;
  const int prev = own ? db.execAndGet("PRAGMA synchronous").getInt() : 0;
  if (prev > 1) db.exec("PRAGMA synchronous=NORMAL");
  try {
    fn();
  } catch (...) {
    if (prev > 1) db.exec("PRAGMA synchronous=" + std::to_string(prev));
    throw;
  }
  if (prev > 1) db.exec("PRAGMA synchronous=" + std::to_string(prev));
}

void state_note(node::Node& n, const std::string& key, const std::string& value) {
  std::lock_guard<std::recursive_mutex> g(n.journal().mutex());
  without_sync(*n.db(), [&] { state_set(n, key, value); });
}

std::vector<wire::WireEntry> author_entries(node::Node& n, const PublicKey& author, int64_t after_seq, size_t limit,
                                            size_t max_bytes) {
  std::lock_guard<std::recursive_mutex> g(n.journal().mutex());
  SQLite::Statement q(*n.db(),
                      "SELECT id, seq, prev, canonical, sig FROM journal WHERE author = ? AND seq > ? ORDER BY seq LIMIT ?");
  q.bind(1, author.data(), 32);
  q.bind(2, static_cast<int64_t>(after_seq));
  q.bind(3, static_cast<int64_t>(limit));
  std::vector<wire::WireEntry> out;
  size_t bytes = 0;
  int64_t expect = after_seq + 1;
  while (q.executeStep()) {
    if (q.getColumn(1).getInt64() != expect++) break;
    wire::WireEntry e;
    e.id = blob_array<32>(q.getColumn(0));
    e.author = author;
    e.prev = blob_array<32>(q.getColumn(2));
    const SQLite::Column c = q.getColumn(3);
    e.canonical.assign(static_cast<const char*>(c.getBlob()), static_cast<size_t>(c.getBytes()));
    e.sig = blob_array<64>(q.getColumn(4));
    bytes += e.canonical.size();
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(std::move(e));
  }
  return out;
}

std::map<PublicKey, std::pair<int64_t, Hash32>> heads_with_ids(node::Node& n) {
  std::lock_guard<std::recursive_mutex> g(n.journal().mutex());
  SQLite::Statement q(*n.db(), "SELECT author, head_seq, head_id FROM authors");
  std::map<PublicKey, std::pair<int64_t, Hash32>> out;
  while (q.executeStep())
    out[blob_array<32>(q.getColumn(0))] = {q.getColumn(1).getInt64(), blob_array<32>(q.getColumn(2))};
  return out;
}

Json head_json(int64_t seq, const Hash32& id) { return Json::array({seq, seq > 0 ? to_hex(id) : std::string()}); }

std::optional<std::pair<int64_t, Hash32>> parse_head(const Json& v) {
  if (!v.is_array() || v.size() != 2 || !v[0].is_number_integer() || !v[1].is_string()) return std::nullopt;
  const int64_t seq = v[0].get<int64_t>();
  Hash32 id{};
  if (seq < 0) return std::nullopt;
  if (seq > 0 && !from_hex(v[1].get<std::string>(), id)) return std::nullopt;
  if (seq == 0 && !v[1].get<std::string>().empty()) return std::nullopt;
  return std::make_pair(seq, id);
}

Json hello_header(node::Node& n) {
  Json heads = Json::object();
  for (const auto& [a, h] : heads_with_ids(n)) heads[to_hex(a)] = head_json(h.first, h.second);
  return Json{{"heads", heads},
              {"cursor", state_get_int(n, "pull_cursor")},
              {"epoch", epoch(n)},
              {"hub_epoch", state_get(n, "hub_epoch")}};
}

std::string epoch(node::Node& n) {
  std::string e = n.meta("epoch");
  return e.empty() ? new_epoch(n) : e;
}

std::string new_epoch(node::Node& n) {
  uint8_t b[16];
  n.random().fill(b, sizeof b);
  std::string e = to_hex(b, sizeof b);
  n.set_meta("epoch", e);
  return e;
}

std::pair<int64_t, int64_t> author_backlog(node::Node& n, const PublicKey& author, int64_t after_seq) {
  std::lock_guard<std::recursive_mutex> g(n.journal().mutex());
  SQLite::Statement q(*n.db(), "SELECT count(*), ifnull(sum(length(canonical)), 0) FROM journal WHERE author = ? AND seq > ?");
  q.bind(1, author.data(), 32);
  q.bind(2, static_cast<int64_t>(after_seq));
  q.executeStep();
  return {q.getColumn(0).getInt64(), q.getColumn(1).getInt64()};
}

std::string join_acts(const std::vector<std::string>& acts) {
  std::string out;
  for (const auto& a : acts) out += (out.empty() ? "" : ",") + a;
  return out;
}

std::vector<std::string> split_acts(const std::string& s) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < s.size()) {
    size_t comma = s.find(',', at);
    if (comma == std::string::npos) comma = s.size();
    if (comma > at) out.push_back(s.substr(at, comma - at));
    at = comma + 1;
  }
  return out;
}

}  // namespace motcua::sync::util
