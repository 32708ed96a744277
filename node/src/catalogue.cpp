// Hub-owned reference data: catalogue, holiday calendar, code blocks.
#include "motcua/node/catalogue.hpp"

#include <map>
#include <set>

#include "calendar.hpp"
#include "codes.hpp"
#include "motcua/crypto.hpp"
#include "motcua/node/forms.hpp"
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

Status check_holidays(const Json& holidays, const std::string& list = "holidays") {
  if (!holidays.is_array()) return make_error("wrong_type", "the holiday calendar must be a JSON array", list);
  std::set<std::string> dates;
  for (size_t i = 0; i < holidays.size(); ++i) {
    const Json& h = holidays[i];
    std::string path = list + "[" + std::to_string(i) + "]";
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

namespace {

bool enrolled_point(Node& node) {
  if (node.role() != Role::Point) return false;
  std::lock_guard<std::recursive_mutex> g(node.journal().mutex());
  SQLite::Statement q(*node.db(), "SELECT value FROM sync_state WHERE key = 'hub_key'");
  return q.executeStep() && !q.getColumn(0).getString().empty();
}

Status refuse_at_enrolled_point(Node& node, const char* what) {
  if (!enrolled_point(node)) return ok_status();
  return make_error("managed_by_hub", std::string("this point receives its ") + what +
                                          " from the hub; change it at the hub, which sends it to every point");
}

// Records an admin's change of reference data in the journal.
Status record(Node& node, const std::string& user, const char* subject, const char* type, Json body) {
  auto e = node.journal().append(EntryDraft{user, type, subject, std::move(body)});
  if (!e.ok()) return e.error();
  return ok_status();
}

// Replaces the rows of `years` with `rows` (already checked), in one transaction.
void replace_years(SQLite::Database& db, const std::set<int>& years, const Json& rows) {
  SQLite::Statement del(db, "DELETE FROM holidays WHERE date >= ? AND date < ?");
  for (int y : years) {
    del.reset();
    del.bind(1, std::to_string(y) + "-01-01");
    del.bind(2, std::to_string(y + 1) + "-01-01");
    del.exec();
  }
  SQLite::Statement ins(db, "INSERT INTO holidays (date, name, kind) VALUES (?,?,?)");
  for (const auto& h : rows) {
    ins.reset();
    ins.bind(1, h["date"].get<std::string>());
    ins.bind(2, to_nfc(h["name"].get<std::string>()));
    ins.bind(3, h.value("kind", "holiday"));
    ins.exec();
  }
  set_meta_flag(db, "seeded_holidays");
}

int year_of(const Json& h) { return std::stoi(h["date"].get<std::string>().substr(0, 4)); }

// {date, name} entries of one list, turned into rows of `kind`.
Status flatten(const Json& list, const char* name, const char* kind, Json& rows) {
  if (!list.is_array()) return make_error("wrong_type", std::string(name) + " must be an array of {date, name}", name);
  for (size_t i = 0; i < list.size(); ++i) {
    const Json& h = list[i];
    const std::string path = std::string(name) + "[" + std::to_string(i) + "]";
    if (h.is_object() && h.contains("kind"))
      return make_error("unknown_field", "unknown field 'kind' (the list says the kind)", path + ".kind");
    Json row = h;
    if (row.is_object()) row["kind"] = kind;
    rows.push_back(std::move(row));
  }
  // Check this list alone so that a refusal names it.
  Json as_rows = Json::array();
  for (size_t i = rows.size() - list.size(); i < rows.size(); ++i) as_rows.push_back(rows[i]);
  return check_holidays(as_rows, name);
}

Json holiday_years_list(SQLite::Database& db) {
  Json years = Json::array();
  SQLite::Statement q(db, "SELECT DISTINCT substr(date, 1, 4) FROM holidays ORDER BY 1");
  while (q.executeStep()) years.push_back(std::stoi(q.getColumn(0).getString()));
  return years;
}

}  // namespace

Json holidays_of_year(Node& node, int year) {
  (void)seed_reference_data(node);
  std::lock_guard<std::recursive_mutex> g(node.journal().mutex());
  auto& db = *node.db();
  Json holidays = Json::array(), makeup = Json::array();
  SQLite::Statement q(db, "SELECT date, name, kind FROM holidays WHERE date >= ? AND date < ? ORDER BY date");
  q.bind(1, std::to_string(year) + "-01-01");
  q.bind(2, std::to_string(year + 1) + "-01-01");
  while (q.executeStep()) {
    Json h{{"date", q.getColumn(0).getString()}, {"name", q.getColumn(1).getString()}};
    (q.getColumn(2).getString() == "working_day" ? makeup : holidays).push_back(std::move(h));
  }
  return Json{{"year", year}, {"holidays", holidays}, {"makeup_days", makeup}, {"years", holiday_years_list(db)}};
}

Result<Json> set_holiday_year(Node& node, const std::string& user, const Json& body) try {
  if (!body.is_object()) return make_error("wrong_type", "the request body must be a JSON object");
  for (auto it = body.begin(); it != body.end(); ++it)
    if (it.key() != "year" && it.key() != "holidays" && it.key() != "makeup_days")
      return make_error("unknown_field", "unknown field '" + it.key() + "'", it.key());
  if (!body.contains("year")) return make_error("missing_field", "year is required", "year");
  if (!body["year"].is_number_integer()) return make_error("wrong_type", "year must be a whole number", "year");
  const int64_t year = body["year"].get<int64_t>();
  if (year < 2000 || year > 2100) return make_error("invalid_value", "year must be 2000..2100", "year");
  if (!body.contains("holidays")) return make_error("missing_field", "holidays is required", "holidays");
  Json rows = Json::array();
  Status s = flatten(body["holidays"], "holidays", "holiday", rows);
  if (!s.ok()) return s.error();
  const size_t n_holidays = rows.size();
  s = flatten(body.contains("makeup_days") ? body["makeup_days"] : Json::array(), "makeup_days", "working_day", rows);
  if (!s.ok()) return s.error();
  std::set<std::string> dates;
  for (size_t i = 0; i < rows.size(); ++i) {
    const bool holiday = i < n_holidays;
    const std::string path = holiday ? "holidays[" + std::to_string(i) + "].date"
                                     : "makeup_days[" + std::to_string(i - n_holidays) + "].date";
    if (year_of(rows[i]) != year)
      return make_error("invalid_value", "date " + rows[i]["date"].get<std::string>() + " is not in " + std::to_string(year), path);
    if (!dates.insert(rows[i]["date"].get<std::string>()).second)
      return make_error("invalid_value", "date " + rows[i]["date"].get<std::string>() + " is both a holiday and a make-up day", path);
  }
  s = refuse_at_enrolled_point(node, "holiday calendar");
  if (!s.ok()) return s.error();
  (void)seed_reference_data(node);
  std::lock_guard<std::recursive_mutex> g(node.journal().mutex());
  s = record(node, user, "reference.holidays", "reference.holidays_imported",
             Json{{"years", Json::array({year})}, {"days", rows}});
  if (!s.ok()) return s.error();
  auto& db = *node.db();
  s = schema::in_transaction(db, [&]() -> Status {
    replace_years(db, {static_cast<int>(year)}, rows);
    return ok_status();
  });
  if (!s.ok()) return s.error();
  return holidays_of_year(node, static_cast<int>(year));
} catch (const SQLite::Exception& e) {
  return schema::storage_error(e);
}

Result<Json> import_holiday_file(Node& node, const std::string& user, const Json& file) try {
  if (!file.is_object()) return make_error("wrong_type", "a holiday file is a JSON object {holidays: [...]}");
  for (auto it = file.begin(); it != file.end(); ++it)
    if (it.key() != "note" && it.key() != "sources" && it.key() != "holidays" && it.key() != "makeup_days")
      return make_error("unknown_field", "unknown field '" + it.key() + "'", it.key());
  if (!file.contains("holidays")) return make_error("missing_field", "holidays is required", "holidays");
  Status s = check_holidays(file["holidays"]);
  if (!s.ok()) return s.error();
  Json rows = file["holidays"];
  if (file.contains("makeup_days")) {
    s = flatten(file["makeup_days"], "makeup_days", "working_day", rows);
    if (!s.ok()) return s.error();
    std::set<std::string> dates;
    for (const auto& h : rows)
      if (!dates.insert(h["date"].get<std::string>()).second)
        return make_error("invalid_value", "date " + h["date"].get<std::string>() + " appears twice", "makeup_days");
  }
  if (rows.empty()) return make_error("invalid_value", "the file lists no day", "holidays");
  std::set<int> years;
  for (const auto& h : rows) years.insert(year_of(h));
  for (int y : years)
    if (y < 2000 || y > 2100) return make_error("invalid_value", "years must be 2000..2100 (got " + std::to_string(y) + ")", "holidays");
  s = refuse_at_enrolled_point(node, "holiday calendar");
  if (!s.ok()) return s.error();
  (void)seed_reference_data(node);
  std::lock_guard<std::recursive_mutex> g(node.journal().mutex());
  Json year_list(years);
  s = record(node, user, "reference.holidays", "reference.holidays_imported", Json{{"years", year_list}, {"days", rows}});
  if (!s.ok()) return s.error();
  auto& db = *node.db();
  s = schema::in_transaction(db, [&]() -> Status {
    replace_years(db, years, rows);
    return ok_status();
  });
  if (!s.ok()) return s.error();
  return Json{{"imported_years", year_list}};
} catch (const SQLite::Exception& e) {
  return schema::storage_error(e);
}

Result<Json> import_catalogue_items(Node& node, const std::string& user, const Json& body) try {
  const Json* items = &body;
  if (body.is_object()) {
    for (auto it = body.begin(); it != body.end(); ++it)
      if (it.key() != "procedures")
        return make_error("unknown_field", "unknown field '" + it.key() + "' (send the catalogue array, or {procedures: [...]})", it.key());
    if (!body.contains("procedures")) return make_error("missing_field", "procedures is required", "procedures");
    items = &body["procedures"];
  }
  if (!items->is_array()) return make_error("wrong_type", "the catalogue must be a JSON array of procedures", "procedures");
  if (items->empty()) return make_error("invalid_value", "the catalogue is empty", "procedures");
  Json errors = Json::array();
  std::map<std::string, size_t> keys;
  for (size_t i = 0; i < items->size(); ++i) {
    const std::string path = "procedures[" + std::to_string(i) + "]";
    Status c = procs::check_item((*items)[i], path);
    if (c.ok()) {
      const std::string key = procs::key_of((*items)[i]);
      auto [at, fresh] = keys.emplace(key, i);
      if (!fresh)
        c = make_error("invalid_value", "procedure code " + key + " already appears at item " + std::to_string(at->second),
                       path + ".code");
    }
    if (!c.ok())
      errors.push_back(Json{{"index", i}, {"code", c.error().code}, {"field", c.error().field}, {"message", c.error().message}});
  }
  if (!errors.empty()) return Json{{"imported", 0}, {"errors", errors}};
  Status s = refuse_at_enrolled_point(node, "procedure catalogue");
  if (!s.ok()) return s.error();
  std::lock_guard<std::recursive_mutex> g(node.journal().mutex());
  s = record(node, user, "reference.catalogue", "reference.catalogue_imported",
             Json{{"procedures", items->size()}, {"hash", to_hex(blake2b256(canonical_bytes(*items)))}});
  if (!s.ok()) return s.error();
  s = import_catalogue(node, *items);
  if (!s.ok()) return s.error();
  return Json{{"imported", items->size()}, {"errors", Json::array()}};
} catch (const SQLite::Exception& e) {
  return schema::storage_error(e);
}

Json point_list(Node& node, const Json& points) {
  // This node's place as its forms print it: place_name, else agency_name, else its name.
  Json out = Json::array({Json{{"name", node.name()}, {"place_name", place_names(node)["place_name"]}}});
  std::set<std::string> seen{node.name()};
  if (!points.is_array()) return out;
  for (const auto& p : points) {
    if (!p.is_object() || !p.contains("name") || !p["name"].is_string()) continue;
    const std::string name = p["name"].get<std::string>();
    const std::string place =
        p.contains("place_name") && p["place_name"].is_string() ? p["place_name"].get<std::string>() : "";
    if (name.empty() || !seen.insert(name).second) continue;
    out.push_back(Json{{"name", name}, {"place_name", place.empty() ? name : place}});
  }
  return out;
}

Result<Json> known_points(Node& node) try {
  if (node.role() == Role::Hub)
    if (auto source = node.points_source()) {  // the hub's store is not this database
      auto active = source();
      if (!active.ok()) return active.error();
      return point_list(node, *active);
    }
  Json others = Json::array();
  {
    std::lock_guard<std::recursive_mutex> g(node.journal().mutex());
    auto& db = *node.db();
    if (node.role() == Role::Hub) {
      SQLite::Statement cols(db, "SELECT 1 FROM pragma_table_info('hub_points') WHERE name = 'place_name'");
      const bool has_place = cols.executeStep();
      SQLite::Statement q(db, std::string("SELECT name, ") + (has_place ? "place_name" : "''") +
                                  " FROM hub_points WHERE status = 'active' ORDER BY name");
      while (q.executeStep())
        others.push_back(Json{{"name", q.getColumn(0).getString()},
                              {"place_name", q.getColumn(1).isNull() ? "" : q.getColumn(1).getString()}});
    } else {
      SQLite::Statement q(db, "SELECT value FROM sync_state WHERE key = 'known_points'");
      if (q.executeStep()) others = Json::parse(q.getColumn(0).getString(), nullptr, false);
    }
  }
  return point_list(node, others);
} catch (const SQLite::Exception& e) {
  return schema::storage_error(e);
}

Result<bool> is_known_point(Node& node, const std::string& name) {
  auto known = known_points(node);
  if (!known.ok()) return known.error();
  for (const auto& p : *known)
    if (p["name"] == name) return true;
  return false;
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
