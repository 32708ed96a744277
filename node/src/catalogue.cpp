// Hub-owned reference data: catalogue, holiday calendar, code blocks.
#include "motcua/node/catalogue.hpp"

#include <set>

#include "calendar.hpp"
#include "codes.hpp"
#include "motcua/node/node.hpp"
#include "motcua/schema/database.hpp"
#include "motcua/schema/storage.hpp"
#include "motcua/text.hpp"
#include "procedures.hpp"
#include "reference_data.hpp"

namespace motcua::node {

namespace {

Status check_catalogue(const Json& procedures) {
  if (!procedures.is_array()) return make_error("wrong_type", "the catalogue must be a JSON array of procedures", "procedures");
  std::set<std::string> keys;
  for (size_t i = 0; i < procedures.size(); ++i) {
    std::string path = "procedures[" + std::to_string(i) + "]";
    Status s = procs::check_item(procedures[i], path);
    if (!s.ok()) return s;
    if (!keys.insert(procs::key_of(procedures[i])).second)
      return make_error("invalid_value", "procedure code " + procs::key_of(procedures[i]) + " appears twice", path + ".code");
  }
  return ok_status();
}

Status check_holidays(const Json& holidays) {
  if (!holidays.is_array()) return make_error("wrong_type", "the holiday calendar must be a JSON array", "holidays");
  std::set<std::string> dates;
  for (size_t i = 0; i < holidays.size(); ++i) {
    const Json& h = holidays[i];
    std::string path = "holidays[" + std::to_string(i) + "]";
    if (!h.is_object()) return make_error("wrong_type", "a holiday must be an object {date, name}", path);
    for (auto it = h.begin(); it != h.end(); ++it)
      if (it.key() != "date" && it.key() != "name" && it.key() != "kind")
        return make_error("unknown_field", "unknown field '" + it.key() + "'", path + "." + it.key());
    if (!h.contains("date")) return make_error("missing_field", "date is required", path + ".date");
    if (!h["date"].is_string() || !cal::parse_date(h["date"].get<std::string>()))
      return make_error("invalid_value", "date must be a real date YYYY-MM-DD", path + ".date");
    if (!h.contains("name")) return make_error("missing_field", "name is required", path + ".name");
    if (!h["name"].is_string() || !is_valid_utf8(h["name"].get<std::string>()) || h["name"].get<std::string>().empty())
      return make_error("invalid_value", "name must be non-empty UTF-8 text", path + ".name");
    if (h.contains("kind") && !(h["kind"] == "holiday" || h["kind"] == "working_day"))
      return make_error("invalid_value", "kind must be \"holiday\" or \"working_day\"", path + ".kind");
    if (!dates.insert(h["date"].get<std::string>()).second)
      return make_error("invalid_value", "date " + h["date"].get<std::string>() + " appears twice", path + ".date");
  }
  return ok_status();
}

void write_holidays(SQLite::Database& db, const Json& holidays) {
  db.exec("DELETE FROM holidays");
  SQLite::Statement ins(db, "INSERT INTO holidays (date, name, kind) VALUES (?,?,?)");
  for (const auto& h : holidays) {
    ins.reset();
    ins.bind(1, h["date"].get<std::string>());
    ins.bind(2, to_nfc(h["name"].get<std::string>()));
    ins.bind(3, h.value("kind", "holiday"));
    ins.exec();
  }
}

bool meta_flag(SQLite::Database& db, const char* key) {
  SQLite::Statement q(db, "SELECT 1 FROM node_meta WHERE key = ?");
  q.bind(1, key);
  return q.executeStep();
}

void set_meta_flag(SQLite::Database& db, const char* key) {
  SQLite::Statement q(db, "INSERT OR REPLACE INTO node_meta (key, value) VALUES (?, '1')");
  q.bind(1, key);
  q.exec();
}

}  // namespace

Status seed_reference_data(Node& node) try {
  auto& db = *node.db();
  std::lock_guard<std::recursive_mutex> g(node.journal().mutex());
  if (meta_flag(db, "seeded_catalogue") && meta_flag(db, "seeded_holidays")) return ok_status();
  return schema::in_transaction(db, [&]() -> Status {
    if (!meta_flag(db, "seeded_catalogue")) {
      Json items = Json::parse(data::procedures_json());
      Status s = check_catalogue(items);
      if (!s.ok()) return make_error(s.error().code, "built-in catalogue: " + s.error().message, s.error().field);
      procs::replace_all(db, items);
      set_meta_flag(db, "seeded_catalogue");
    }
    if (!meta_flag(db, "seeded_holidays")) {
      Json file = Json::parse(data::holidays_json());
      Json list = file.value("holidays", Json::array());
      Status s = check_holidays(list);
      if (!s.ok()) return make_error(s.error().code, "built-in holidays: " + s.error().message, s.error().field);
      write_holidays(db, list);
      set_meta_flag(db, "seeded_holidays");
    }
    return ok_status();
  });
} catch (const SQLite::Exception& e) {
  return schema::storage_error(e);
}

Json export_catalogue(Node& node) {
  (void)seed_reference_data(node);
  std::lock_guard<std::recursive_mutex> g(node.journal().mutex());
  return procs::all_items(*node.db());
}

Status import_catalogue(Node& node, const Json& procedures) try {
  Status s = check_catalogue(procedures);
  if (!s.ok()) return s;
  std::lock_guard<std::recursive_mutex> g(node.journal().mutex());
  auto& db = *node.db();
  return schema::in_transaction(db, [&]() -> Status {
    procs::replace_all(db, procedures);
    set_meta_flag(db, "seeded_catalogue");
    return ok_status();
  });
} catch (const SQLite::Exception& e) {
  return schema::storage_error(e);
}

Json export_holidays(Node& node) {
  (void)seed_reference_data(node);
  std::lock_guard<std::recursive_mutex> g(node.journal().mutex());
  Json out = Json::array();
  SQLite::Statement q(*node.db(), "SELECT date, name, kind FROM holidays ORDER BY date");
  while (q.executeStep()) {
    Json h{{"date", q.getColumn(0).getString()}, {"name", q.getColumn(1).getString()}};
    if (q.getColumn(2).getString() != "holiday") h["kind"] = q.getColumn(2).getString();
    out.push_back(std::move(h));
  }
  return out;
}

Status import_holidays(Node& node, const Json& holidays) try {
  Status s = check_holidays(holidays);
  if (!s.ok()) return s;
  std::lock_guard<std::recursive_mutex> g(node.journal().mutex());
  auto& db = *node.db();
  return schema::in_transaction(db, [&]() -> Status {
    write_holidays(db, holidays);
    set_meta_flag(db, "seeded_holidays");
    return ok_status();
  });
} catch (const SQLite::Exception& e) {
  return schema::storage_error(e);
}

Status add_code_block(Node& node, const std::string& day, int first, int last) try {
  if (day != "*") {
    bool ok = day.size() == 6 && day.find_first_not_of("0123456789") == std::string::npos &&
              cal::parse_date("20" + day.substr(0, 2) + "-" + day.substr(2, 2) + "-" + day.substr(4, 2));
    if (!ok) return make_error("invalid_value", "day must be YYMMDD or *", "day");
  }
  if (first < 1 || last > 9999 || first > last)
    return make_error("invalid_value", "a block is first..last within 1..9999", first < 1 || first > last ? "first" : "last");
  std::lock_guard<std::recursive_mutex> g(node.journal().mutex());
  auto& db = *node.db();
  return schema::in_transaction(db, [&]() -> Status {
    // A '*' block overlaps every day's blocks, and a day's block overlaps '*'.
    SQLite::Statement q(db,
                        "SELECT day, first, last FROM code_blocks WHERE (day = ? OR day = '*' OR ? = '*') "
                        "AND first <= ? AND last >= ? LIMIT 1");
    q.bind(1, day);
    q.bind(2, day);
    q.bind(3, last);
    q.bind(4, first);
    if (q.executeStep())
      return make_error("conflict", "block " + std::to_string(first) + "–" + std::to_string(last) + " overlaps block " +
                                        q.getColumn(1).getString() + "–" + q.getColumn(2).getString() + " (day " +
                                        q.getColumn(0).getString() + ") already held");
    SQLite::Statement ins(db, "INSERT INTO code_blocks (day, first, last) VALUES (?,?,?)");
    ins.bind(1, day);
    ins.bind(2, first);
    ins.bind(3, last);
    ins.exec();
    return ok_status();
  });
} catch (const SQLite::Exception& e) {
  return schema::storage_error(e);
}

Json code_block_status(Node& node) {
  std::lock_guard<std::recursive_mutex> g(node.journal().mutex());
  auto& db = *node.db();
  const std::string agency = node.meta("agency_code");
  const std::string pattern = node.config().get("code_pattern");
  const std::string today = cal::vn_yymmdd(node.clock().now_ms());
  Json blocks = Json::array();
  SQLite::Statement q(db, "SELECT day, first, last FROM code_blocks ORDER BY day, first");
  auto describe = [&](const codes::Block& b) {
    // For '*' blocks, "used" counts today's numbers.
    std::string day = b.day == "*" ? today : b.day;
    int high = codes::highest_used(db, pattern, agency, day, b);
    return Json{{"day", b.day}, {"first", b.first}, {"last", b.last}, {"used", high == 0 ? 0 : high - b.first + 1}};
  };
  while (q.executeStep())
    blocks.push_back(describe(codes::Block{q.getColumn(0).getString(), q.getColumn(1).getInt(), q.getColumn(2).getInt()}));
  // The configured fallback is not a held block: it is reported apart.
  Json fallback = nullptr;
  if (auto b = codes::parse_block_spec(node.config().get("code_block"))) fallback = describe(*b);
  return Json{{"blocks", blocks}, {"default_block", fallback}};
}

}  // namespace motcua::node
