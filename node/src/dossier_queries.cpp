// DossierService reads: list, history, conflicts (and their resolution).
#include <algorithm>
#include <iterator>
#include <optional>
#include <set>
#include <sstream>
#include <vector>

#include "calendar.hpp"
#include "dossier_rules.hpp"
#include "dossier_service_impl.hpp"
#include "motcua/schema/database.hpp"
#include "motcua/text.hpp"
#include "validation.hpp"

namespace motcua::node {

namespace {

// The sorted codes of the dossiers with a word starting with `w`, or nullopt
// when there are more than `cap`.
std::optional<std::vector<std::string>> codes_starting(SQLite::Database& db, const std::string& w, size_t cap) {
  SQLite::Statement st(db, "SELECT code FROM dossier_words WHERE word >= ? AND word < ? LIMIT ?");
  st.bind(1, w);
  st.bind(2, w + "\xff");
  st.bind(3, static_cast<int64_t>(cap) + 1);
  std::vector<std::string> out;
  while (st.executeStep()) out.push_back(st.getColumn(0).getString());
  if (out.size() > cap) return std::nullopt;
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// The words a list search looks for. A phone number typed with its country
// code or spaced out ("+84 912 345 678", "0084912345678", "912.345.678") is
// one word in the stored form "0912345678"; other text is folded like the
// stored key.
std::vector<std::string> search_words(const std::string& q) {
  std::string digits;
  bool phone_like = !q.empty();
  for (char c : q) {
    if (c >= '0' && c <= '9') digits += c;
    else if (c != ' ' && c != '+' && c != '.' && c != '-' && c != '(' && c != ')') phone_like = false;
  }
  if (phone_like && q.find_first_of("+ .-()") != std::string::npos) {
    if (digits.rfind("0084", 0) == 0) digits = "0" + digits.substr(4);
    else if (digits.rfind("84", 0) == 0 && digits.size() == 11) digits = "0" + digits.substr(2);
    else if (digits.size() == 9 && digits[0] != '0') digits = "0" + digits;
    if (digits.size() == 10 && digits[0] == '0' && std::string("35789").find(digits[1]) != std::string::npos)
      return {digits};
  }
  std::vector<std::string> out;
  std::istringstream in(fold_for_search(q));
  for (std::string w; in >> w;) {
    // A bare number without its leading 0 ("912345678") or with the country
    // code ("84912345678") is a phone number.
    if (w.size() == 9 && w[0] != '0' && w.find_first_not_of("0123456789") == std::string::npos) w = "0" + w;
    else if (w.size() == 11 && w.rfind("84", 0) == 0 && w.find_first_not_of("0123456789") == std::string::npos)
      w = "0" + w.substr(2);
    else if (w.size() == 13 && w.rfind("0084", 0) == 0 && w.find_first_not_of("0123456789") == std::string::npos)
      w = "0" + w.substr(4);
    out.push_back(w);
  }
  return out;
}

std::string encode_cursor(const std::string& received_at, const std::string& code) {
  return to_hex(reinterpret_cast<const uint8_t*>((received_at + "|" + code).data()), received_at.size() + 1 + code.size());
}

bool decode_cursor(const std::string& c, std::string& received_at, std::string& code) {
  if (c.size() % 2 != 0 || c.size() > 1000) return false;
  std::string raw(c.size() / 2, '\0');
  if (!from_hex(c, reinterpret_cast<uint8_t*>(raw.data()), raw.size())) return false;
  auto bar = raw.find('|');
  if (bar == std::string::npos) return false;
  received_at = raw.substr(0, bar);
  code = raw.substr(bar + 1);
  return true;
}

Json summary(const Json& s) {
  return Json{{"code", s["code"]},
              {"procedure_code", s["procedure_code"]},
              {"procedure_name", s["procedure_name"]},
              {"applicant_name", s["applicant"].value("full_name", "")},
              {"channel", s["channel"]},
              {"status", s["status"]},
              {"status_name", s["status_name"]},
              {"cancelled", !s["cancelled"].is_null()},
              {"paused", !s["paused"].is_null()},
              {"overdue", s.value("overdue", false)},
              {"received_at", s["received_at"]},
              {"due_at", s["due_at"]},
              {"updated_at", s["updated_at"]},
              {"origin_point", s["origin_point"]},
              {"return_point", s["return_point"]},
              {"open_conflicts", s["open_conflicts"]}};
}

}  // namespace

Result<Json> DossierService::list(const DossierListQuery& q) try {
  if (q.limit < 1 || q.limit > 200) return make_error("invalid_value", "limit must be 1..200", "limit");
  std::string sql = "SELECT code, received_at FROM dossier_index WHERE 1";
  std::vector<std::string> binds;
  if (!q.status.empty()) {
    if (q.status == "cancelled") {
      sql += " AND cancelled = 1";
    } else {
      int st = 0;
      for (char c : q.status) st = (c >= '0' && c <= '9' && st >= 0 && st < 100) ? st * 10 + (c - '0') : -1000;
      if (st < 1 || st > 10) return make_error("invalid_value", "status must be a status code 1..10 or \"cancelled\"", "status");
      sql += " AND cancelled = 0 AND status = " + std::to_string(st);
    }
  }
  if (!q.updated_since.empty()) {
    auto ms = cal::parse_iso(q.updated_since);
    if (!ms) return make_error("invalid_value", "updated_since must be an ISO-8601 instant such as 2025-07-01T00:00:00Z", "updated_since");
    sql += " AND updated_at >= ?";
    binds.push_back(cal::iso_utc(*ms));
  }
  std::string at, after;
  if (!q.cursor.empty() && !decode_cursor(q.cursor, at, after))
    return make_error("invalid_value", "cursor is not one this node gave out", "cursor");
  // Every typed word must be the start of a word of the dossier's search key
  // (code, applicant name, CCCD, phone), in any order (design 0056).
  const std::vector<std::string> words = search_words(q.q);
  std::lock_guard<std::recursive_mutex> g(impl_->node.journal().mutex());
  auto& db = *impl_->node.db();
  // The dossiers of each typed word are listed (up to word_codes_cap; a word
  // in every code, like the agency's, is only checked per row) and
  // intersected; up to few_candidates are then looked up one by one, more are
  // found by walking the newest dossiers first.
  std::optional<std::vector<std::string>> candidates;
  std::vector<std::string> common;  // words matching too many dossiers to list
  for (const auto& w : words) {
    auto codes = codes_starting(db, w, q.word_codes_cap);
    if (!codes) {
      common.push_back(w);
    } else if (!candidates) {
      candidates = std::move(codes);
    } else {
      std::vector<std::string> both;
      std::set_intersection(candidates->begin(), candidates->end(), codes->begin(), codes->end(), std::back_inserter(both));
      candidates = std::move(both);
    }
  }
  // Many candidates are dense among the dossiers: walking the newest first
  // and checking every word then stops soon.
  if (candidates && candidates->size() > q.few_candidates) {
    candidates.reset();
    common = words;
  }
  std::string has_words;
  for (size_t i = 0; i < common.size(); ++i)
    has_words += " AND EXISTS (SELECT 1 FROM dossier_words w WHERE w.code = dossier_index.code AND w.word >= ? AND w.word < ?)";
  auto bind_words = [&](SQLite::Statement& st, int& n) {
    for (const auto& w : common) {
      st.bind(++n, w);
      st.bind(++n, w + "\xff");  // above every UTF-8 continuation of w
    }
  };
  std::vector<std::pair<std::string, std::string>> rows;  // (code, received_at), newest first
  if (candidates) {
    // Few dossiers: look each up, then order them here.
    SQLite::Statement one(db, "SELECT received_at FROM dossier_index WHERE code = ?" +
                                  sql.substr(sql.find(" WHERE 1") + 8) + has_words);
    for (const auto& code : *candidates) {
      one.reset();
      int n = 0;
      one.bind(++n, code);
      for (const auto& b : binds) one.bind(++n, b);
      bind_words(one, n);
      if (!one.executeStep()) continue;
      std::string received = one.getColumn(0).getString();
      if (!q.cursor.empty() && !(received < at || (received == at && code < after))) continue;
      rows.emplace_back(code, std::move(received));
    }
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first > b.first;
    });
    if (rows.size() > static_cast<size_t>(q.limit) + 1) rows.resize(static_cast<size_t>(q.limit) + 1);
  } else {
    // No word or only common ones: newest first by the received_at index,
    // stopping at the page's end.
    sql += has_words;
    if (!q.cursor.empty()) sql += " AND (received_at < ? OR (received_at = ? AND code < ?))";
    sql += " ORDER BY received_at DESC, code DESC LIMIT " + std::to_string(q.limit + 1);
    SQLite::Statement st(db, sql);
    int n = 0;
    for (const auto& b : binds) st.bind(++n, b);
    bind_words(st, n);
    if (!q.cursor.empty()) {
      st.bind(++n, at);
      st.bind(++n, at);
      st.bind(++n, after);
    }
    while (st.executeStep()) rows.emplace_back(st.getColumn(0).getString(), st.getColumn(1).getString());
  }
  Json items = Json::array();
  Json next = nullptr;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (static_cast<int>(i) == q.limit) {
      next = encode_cursor(rows[i - 1].second, rows[i - 1].first);
      break;
    }
    auto s = impl_->state(rows[i].first);
    if (s.ok()) items.push_back(summary(impl_->view(std::move(s.value()))));
  }
  return Json{{"items", items}, {"next_cursor", next}};
} catch (const std::runtime_error&) {
  return current_exception_error();
}

Result<Json> DossierService::history(const std::string& code) try {
  std::lock_guard<std::recursive_mutex> g(impl_->node.journal().mutex());
  auto s = impl_->state(code);
  if (!s.ok()) return s.error();
  std::set<std::string> superseded, not_applied;
  for (const auto& x : s.value()["superseded"]) superseded.insert(x["entry"].get<std::string>());
  for (const auto& x : s.value()["not_applied"]) not_applied.insert(x["entry"].get<std::string>());
  Json events = Json::array();
  for (const Entry& e : impl_->node.journal().subject_entries(code)) {
    std::string id = to_hex(e.id);
    Json parents = Json::array();
    for (const auto& p : e.parents) parents.push_back(to_hex(p));
    events.push_back(Json{{"type", e.type},
                          {"node", to_hex(e.author)},
                          {"seq", e.seq},
                          {"user", e.user},
                          {"time", cal::iso_utc(e.wall_ms)},
                          {"hlc", Json{{"ms", e.hlc.ms}, {"c", e.hlc.c}}},
                          {"parents", parents},
                          {"body", e.body},
                          {"entry_hash", id},
                          {"applied", superseded.count(id) == 0 && not_applied.count(id) == 0},
                          {"superseded", superseded.count(id) > 0}});
  }
  return Json{{"code", code}, {"events", events}};
} catch (const std::runtime_error&) {
  return current_exception_error();
}

Result<Json> DossierService::list_conflicts() try {
  std::lock_guard<std::recursive_mutex> g(impl_->node.journal().mutex());
  SQLite::Statement st(*impl_->node.db(),
                       "SELECT code FROM dossier_index WHERE conflicts > 0 ORDER BY open_conflicts > 0 DESC, "
                       "updated_at DESC, code");
  std::vector<std::string> codes;
  while (st.executeStep()) codes.push_back(st.getColumn(0).getString());
  Json items = Json::array();
  for (const auto& code : codes) {
    auto s = impl_->state(code);
    if (!s.ok()) continue;
    for (Json c : s.value()["conflicts"]) {
      c["dossier"] = code;
      c["status"] = s.value()["status"];
      items.push_back(std::move(c));
    }
  }
  return Json{{"items", items}};
} catch (const std::runtime_error&) {
  return current_exception_error();
}

Result<Json> DossierService::resolve_conflict(const Actor& who, const std::string& id, const Json& body) try {
  if (who.role != UserRole::Admin && who.role != UserRole::Officer)
    return make_error("forbidden", "only an admin or an officer resolves conflicts");
  auto r = valid::resolution(body);
  if (!r.ok()) return r.error();
  Node& node = impl_->node;
  if (node.meta("restoring") == "1")  // as DossierService::act
    return make_error("point_restoring", "this point's data was restored from an older copy and is fetching its own "
                                         "records back from the hub; nothing can be recorded until that is done");
  std::lock_guard<std::recursive_mutex> g(node.journal().mutex());
  SQLite::Statement st(*node.db(), "SELECT code FROM dossier_index WHERE conflicts > 0");
  std::vector<std::string> codes;
  while (st.executeStep()) codes.push_back(st.getColumn(0).getString());
  for (const auto& code : codes) {
    auto s = impl_->state(code);
    if (!s.ok()) continue;
    for (const auto& c : s.value()["conflicts"]) {
      if (c["id"] != id) continue;
      if (c["resolved"].get<bool>())
        return make_error("conflict", "conflict " + id + " is already resolved", "id");
      Json out = r.value();
      out["conflict_id"] = id;
      out["role"] = user_role_name(who.role);
      auto e = node.journal().append(EntryDraft{who.username, events::kConflictResolved, code, out});
      if (!e.ok()) return e.error();
      auto after = impl_->state(code);
      if (after.ok())
        for (Json x : after.value()["conflicts"])
          if (x["id"] == id) {
            x["dossier"] = code;
            return x;
          }
      return make_error("internal", "the resolution was recorded but the conflict is not visible");
    }
  }
  return make_error("not_found", "no conflict with id " + id, "id");
} catch (const std::runtime_error&) {
  return current_exception_error();
}

}  // namespace motcua::node
