#include "procedures.hpp"

#include <algorithm>
#include <map>
#include <string_view>
#include <set>
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

bool is_consonant(char c) { return c >= 'a' && c <= 'z' && std::string_view("aeiouy").find(c) == std::string_view::npos; }

// Final "y" after a consonant (or "qu") -> "i", word by word, in folded text.
std::string fold_yi(std::string s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != 'y' || i == 0) continue;
    const bool word_end = i + 1 == s.size() || s[i + 1] == ' ';
    if (!word_end) continue;
    const char prev = s[i - 1];
    if (is_consonant(prev) || (prev == 'u' && i >= 2 && s[i - 2] == 'q')) s[i] = 'i';
  }
  return s;
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

std::string search_fold(const std::string& text) { return fold_yi(fold_for_search(text)); }

Json documents_of(const Json& item) {
  Json out = Json::array();
  auto it = item.find("documents");
  if (it == item.end() || !it->is_array()) return out;
  for (const auto& d : *it) {
    if (d.is_string()) {
      const std::string name = d.get<std::string>();
      out.push_back(Json{{"name", name}, {"mandatory", name.find("(nếu") == std::string::npos}});
    } else if (d.is_object() && d.contains("name") && d["name"].is_string()) {
      bool mandatory = !(d.contains("mandatory") && d["mandatory"].is_boolean()) || d["mandatory"].get<bool>();
      out.push_back(Json{{"name", d["name"]}, {"mandatory", mandatory}});
    }
  }
  return out;
}

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
  if (!docs->is_array())
    return make_error("wrong_type", "documents must be an array of names or {name, mandatory} objects", path + ".documents");
  std::set<std::string> names;
  for (size_t i = 0; i < docs->size(); ++i) {
    const Json& d = (*docs)[i];
    const std::string at = path + ".documents[" + std::to_string(i) + "]";
    std::string name;
    if (d.is_string()) {
      name = d.get<std::string>();
    } else if (d.is_object()) {
      for (auto it = d.begin(); it != d.end(); ++it)
        if (it.key() != "name" && it.key() != "mandatory")
          return make_error("unknown_field", "unknown field '" + it.key() + "' (a document is {name, mandatory})",
                            at + "." + it.key());
      if (!d.contains("name")) return make_error("missing_field", "a document needs a name", at + ".name");
      if (!d["name"].is_string()) return make_error("wrong_type", "name must be a string", at + ".name");
      if (d.contains("mandatory") && !d["mandatory"].is_boolean())
        return make_error("wrong_type", "mandatory must be true or false", at + ".mandatory");
      name = d["name"].get<std::string>();
    } else {
      return make_error("wrong_type", "each document must be a name or a {name, mandatory} object", at);
    }
    if (!is_valid_utf8(name)) return make_error("invalid_value", "the document name is not valid UTF-8", at);
    if (name.find_first_not_of(" \t\r\n") == std::string::npos)
      return make_error("invalid_value", "the document name must not be empty", at);
    if (!names.insert(fold_for_search(name)).second)
      return make_error("invalid_value", "document '" + name + "' is listed twice", at);
  }
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
              {"documents", documents_of(item)},
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
  const std::string query = search_fold(q);
  const std::vector<std::string> qwords = words(query);
  // Typing "dang ki khai s": the last word may be the start of a word.
  const bool last_is_prefix = !q.empty() && q.back() != ' ';
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
    // name_key is fold_for_search(name) (migration 3); the y/i fold is
    // applied here so catalogues imported before it need no re-keying.
    std::string name_key = fold_yi(st.getColumn(3).getString());
    if (!field_key.empty() && !field_matches(st.getColumn(4).getString(), field_key)) continue;
    if (!level_key.empty() && st.getColumn(5).getString() != level_key) continue;
    // Every word must be a word of the folded name or code, in any order.
    const std::string hay = " " + name_key + " " + search_fold(key) + " ";
    int64_t score = 0;
    bool all = true;
    for (size_t i = 0; i < qwords.size(); ++i) {
      const std::string& w = qwords[i];
      if (hay.find(" " + w + " ") != std::string::npos) {
        score += 10;
      } else if (i + 1 == qwords.size() && last_is_prefix && hay.find(" " + w) != std::string::npos) {
        score += 5;
      } else {
        all = false;
        break;
      }
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

Json facets(SQLite::Database& db) {
  // Sorted by the folded text (Vietnamese letters with marks next to their
  // base letter), the text as first imported.
  std::map<std::string, std::string> fields, levels;
  SQLite::Statement st(db, "SELECT field, level FROM procedures ORDER BY position");
  while (st.executeStep()) {
    std::string f = st.getColumn(0).getString();
    size_t start = 0;
    while (start <= f.size()) {
      size_t semi = f.find(';', start);
      std::string part = f.substr(start, semi == std::string::npos ? std::string::npos : semi - start);
      size_t b = part.find_first_not_of(' '), e = part.find_last_not_of(' ');
      if (b != std::string::npos) {
        part = part.substr(b, e - b + 1);
        // "Người có công (liên thông)": the field is "Người có công".
        if (size_t paren = part.find(" ("); paren != std::string::npos && part.back() == ')') part.resize(paren);
        fields.emplace(fold_for_search(part) + "\x01" + part, part);
      }
      if (semi == std::string::npos) break;
      start = semi + 1;
    }
    if (!st.getColumn(1).isNull()) {
      std::string l = st.getColumn(1).getString();
      if (!l.empty()) levels.emplace(fold_for_search(l) + "\x01" + l, l);
    }
  }
  auto list = [](const std::map<std::string, std::string>& m) {
    Json out = Json::array();
    std::set<std::string> seen;
    for (const auto& [k, v] : m)
      if (seen.insert(k.substr(0, k.find('\x01'))).second) out.push_back(v);
    return out;
  };
  return Json{{"fields", list(fields)}, {"levels", list(levels)}};
}

}  // namespace motcua::node::procs

namespace motcua::node {
std::string search_fold(const std::string& text) { return procs::search_fold(text); }
}  // namespace motcua::node
