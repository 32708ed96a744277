#include "procedures.hpp"

#include <algorithm>
#include <sstream>
#include <vector>

#include "motcua/crypto.hpp"
#include "motcua/schema/database.hpp"
#include "motcua/text.hpp"

namespace motcua::node::procs {

namespace {

Json nfc_all(const Json& j) {
  if (j.is_string()) return to_nfc(j.get<std::string>());
  if (j.is_array()) {
    Json out = Json::array();
    for (const auto& x : j) out.push_back(nfc_all(x));
    return out;
  }
  if (j.is_object()) {
    Json out = Json::object();
    for (auto it = j.begin(); it != j.end(); ++it) out[to_nfc(it.key())] = nfc_all(it.value());
    return out;
  }
  return j;
}

std::string str_or(const Json& j, const char* k) {
  auto it = j.find(k);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<std::string> words(const std::string& folded) {
  std::vector<std::string> out;
  std::istringstream in(folded);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// The old "mức độ 1-4" filter of the portal maps onto the two levels of
// Nghị định 42/2022/NĐ-CP: 4 = toàn trình, 1..3 = một phần.
std::string level_filter_key(const std::string& level) {
  std::string f = fold_for_search(level);
  if (f == "4" || f == "muc do 4" || f == "toan-trinh") return "toan trinh";
  if (f == "1" || f == "2" || f == "3" || f == "muc do 3" || f == "mot-phan") return "mot phan";
  return f;
}

bool field_matches(const std::string& field_key, const std::string& want) {
  // A procedure may list several fields separated by ';' (folded to spaces
  // around words), so match the filter as a whole-word phrase.
  std::string hay = " " + field_key + " ";
  return hay.find(" " + want + " ") != std::string::npos;
}

}  // namespace

Status check_item(const Json& item, const std::string& path) {
  if (!item.is_object()) return make_error("wrong_type", "a procedure must be an object", path);
  auto need_string = [&](const char* k, bool nullable) -> Status {
    auto it = item.find(k);
    if (it == item.end() || (it->is_null() && !nullable))
      return make_error("missing_field", std::string(k) + " is required", path + "." + k);
    if (it->is_null()) return ok_status();
    if (!it->is_string()) return make_error("wrong_type", std::string(k) + " must be a string", path + "." + k);
    if (!is_valid_utf8(it->get<std::string>()))
      return make_error("invalid_value", std::string(k) + " is not valid UTF-8", path + "." + k);
    if (!nullable && it->get<std::string>().empty())
      return make_error("invalid_value", std::string(k) + " must not be empty", path + "." + k);
    return ok_status();
  };
  auto opt_count = [&](const char* k) -> Status {
    auto it = item.find(k);
    if (it == item.end() || it->is_null()) return ok_status();
    if (!it->is_number_integer() || it->get<int64_t>() < 0)
      return make_error("wrong_type", std::string(k) + " must be a whole number >= 0 or null", path + "." + k);
    return ok_status();
  };
  // name and field are required; code, level, authority and source may be
  // absent or null.
  for (auto [k, nullable] : {std::pair{"code", true}, {"name", false}, {"field", false}, {"level", true},
                             {"authority", true}, {"source", true}}) {
    if (nullable && !item.contains(k)) continue;
    Status s = need_string(k, nullable);
    if (!s.ok()) return s;
  }
  for (const char* k : {"processing_days", "fee_vnd"}) {
    Status s = opt_count(k);
    if (!s.ok()) return s;
  }
  auto docs = item.find("documents");
  if (docs == item.end()) return make_error("missing_field", "documents is required", path + ".documents");
  if (!docs->is_array()) return make_error("wrong_type", "documents must be an array of strings", path + ".documents");
  for (size_t i = 0; i < docs->size(); ++i)
    if (!(*docs)[i].is_string() || !is_valid_utf8((*docs)[i].get<std::string>()))
      return make_error("wrong_type", "each document must be a UTF-8 string",
                        path + ".documents[" + std::to_string(i) + "]");
  return ok_status();
}

std::string key_of(const Json& item) {
  std::string code = str_or(item, "code");
  if (!code.empty()) return code;
  return "local." + to_hex(blake2b256(to_nfc(str_or(item, "name")))).substr(0, 8);
}

void replace_all(SQLite::Database& db, const Json& items) {
  db.exec("DELETE FROM procedures");
  SQLite::Statement ins(db,
                        "INSERT OR REPLACE INTO procedures (key, position, code, name, field, level, processing_days, "
                        "item, name_key, field_key, level_key) VALUES (?,?,?,?,?,?,?,?,?,?,?)");
  int pos = 0;
  for (const auto& raw : items) {
    Json item = nfc_all(raw);
    ins.reset();
    ins.bind(1, key_of(item));
    ins.bind(2, pos++);
    std::string code = str_or(item, "code");
    if (code.empty()) ins.bind(3); else ins.bind(3, code);
    ins.bind(4, str_or(item, "name"));
    ins.bind(5, str_or(item, "field"));
    std::string level = str_or(item, "level");
    if (level.empty()) ins.bind(6); else ins.bind(6, level);
    if (item.contains("processing_days") && item["processing_days"].is_number_integer())
      ins.bind(7, item["processing_days"].get<int64_t>());
    else
      ins.bind(7);
    ins.bind(8, canonical_bytes(item));
    ins.bind(9, fold_for_search(str_or(item, "name")));
    ins.bind(10, fold_for_search(str_or(item, "field")));
    ins.bind(11, fold_for_search(level));
    ins.exec();
  }
}

Json all_items(SQLite::Database& db) {
  Json out = Json::array();
  SQLite::Statement q(db, "SELECT item FROM procedures ORDER BY position");
  while (q.executeStep()) out.push_back(Json::parse(q.getColumn(0).getString()));
  return out;
}

static Json api_view(const std::string& key, const Json& item) {
  auto get = [&](const char* k) { return item.contains(k) ? item[k] : Json(nullptr); };
  return Json{{"code", key},
              {"national_code", get("code")},
              {"name", get("name")},
              {"field", get("field")},
              {"level", get("level")},
              {"authority", get("authority")},
              {"processing_days", get("processing_days")},
              {"fee_vnd", get("fee_vnd")},
              {"documents", item.value("documents", Json::array())},
              {"source", get("source")}};
}

std::optional<Json> find(SQLite::Database& db, const std::string& code) {
  SQLite::Statement q(db, "SELECT key, item FROM procedures WHERE key = ?");
  q.bind(1, code);
  if (!q.executeStep()) return std::nullopt;
  return api_view(q.getColumn(0).getString(), Json::parse(q.getColumn(1).getString()));
}

Json search(SQLite::Database& db, const std::string& q, const std::string& field, const std::string& level,
            int limit) {
  const std::string query = fold_for_search(q);
  const std::vector<std::string> qwords = words(query);
  const std::string field_key = fold_for_search(field);
  const std::string level_key = level_filter_key(level);
  struct Hit {
    int64_t score;
    size_t name_len;
    int position;
    Json view;
  };
  std::vector<Hit> hits;
  SQLite::Statement st(db, "SELECT key, position, item, name_key, field_key, level_key FROM procedures");
  while (st.executeStep()) {
    std::string key = st.getColumn(0).getString();
    std::string name_key = st.getColumn(3).getString();
    if (!field_key.empty() && !field_matches(st.getColumn(4).getString(), field_key)) continue;
    if (!level_key.empty() && st.getColumn(5).getString() != level_key) continue;
    // Words are matched against the folded name and the code.
    std::string hay = " " + name_key + " " + fold_for_search(key) + " ";
    int64_t score = 0;
    bool all = true;
    for (const auto& w : qwords) {
      if (hay.find(" " + w + " ") != std::string::npos) score += 10;       // whole word
      else if (hay.find(" " + w) != std::string::npos) score += 5;         // word prefix
      else if (hay.find(w) != std::string::npos) score += 1;               // inside a word
      else { all = false; break; }
    }
    if (!all) continue;
    if (!query.empty()) {
      // "Thủ tục" is a prefix of many names; a name starting with the query
      // after it ranks like one starting with it.
      std::string bare = name_key.rfind("thu tuc ", 0) == 0 ? name_key.substr(8) : name_key;
      if (bare.rfind(query, 0) == 0 || name_key.rfind(query, 0) == 0) score += 1000;
      else if ((" " + name_key + " ").find(" " + query + " ") != std::string::npos) score += 500;
      else if (name_key.find(query) != std::string::npos) score += 200;
      if (bare == query || name_key == query || key == q) score += 2000;
    }
    hits.push_back(Hit{score, name_key.size(), st.getColumn(1).getInt(),
                       api_view(key, Json::parse(st.getColumn(2).getString()))});
  }
  std::sort(hits.begin(), hits.end(), [&](const Hit& a, const Hit& b) {
    if (a.score != b.score) return a.score > b.score;
    if (!query.empty() && a.name_len != b.name_len) return a.name_len < b.name_len;
    return a.position < b.position;
  });
  Json items = Json::array();
  for (size_t i = 0; i < hits.size() && static_cast<int>(i) < limit; ++i) {
    Json v = std::move(hits[i].view);
    v.erase("source");
    items.push_back(std::move(v));
  }
  return Json{{"items", items}, {"total", hits.size()}};
}

}  // namespace motcua::node::procs
