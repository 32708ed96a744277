#include "hub_scope.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include <map>
#include <set>
#include <mutex>

#include "motcua/node/node.hpp"
#include "motcua/schema/database.hpp"
#include "sync_util.hpp"
#include "motcua/schema/columns.hpp"

namespace motcua::sync::scope {

namespace {
using schema::blob_array;
using schema::bind_array;
using schema::blob_string;

constexpr int64_t kScanWindow = 100000;  // journal positions examined per pull at most


wire::WireEntry read_raw(SQLite::Statement& q, int first_col) {
  wire::WireEntry e;
  e.id = blob_array<32>(q.getColumn(first_col));
  e.author = blob_array<32>(q.getColumn(first_col + 1));
  e.prev = blob_array<32>(q.getColumn(first_col + 2));
  const SQLite::Column c = q.getColumn(first_col + 3);
  e.canonical.assign(static_cast<const char*>(c.getBlob()), static_cast<size_t>(c.getBytes()));
  e.sig = blob_array<64>(q.getColumn(first_col + 4));
  return e;
}

std::string str_field(const Json& s, const char* k) {
  auto it = s.find(k);
  return it != s.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The scope condition on alias s with parameters area (?A) and point (?P).
// Queries over journal positions join it with CROSS JOIN, which keeps the
// journal's position range as the outer loop: otherwise SQLite prefers the
// OR over the scope indexes and walks every in-scope dossier's entries on
// each request (35 ms per hello/pull on a 10,000-dossier hub instead of
// well under 1 ms for an incremental sync).
const char* kInScope = "((s.area <> '' AND s.area = :area) OR s.return_point = :point OR s.origin_point = :point)";

}  // namespace

Scope scope_of(const Json& state) {
  if (!state.is_object()) return {};
  return Scope{str_field(state, "area"), str_field(state, "return_point"), str_field(state, "origin_point")};
}

void catch_up(node::Node& n) {
  std::lock_guard<std::recursive_mutex> g(n.journal().mutex());
  auto& db = *n.db();
  int64_t indexed = util::state_get_int(n, "scope_indexed_pos");
  int64_t top = db.execAndGet("SELECT ifnull(max(pos), 0) FROM journal").getInt64();
  if (top <= indexed) return;
  Status s = schema::in_transaction(db, [&]() -> Status {
    SQLite::Statement touched(db,
                              "SELECT subject, min(pos) FROM journal WHERE pos > ? AND pos <= ? GROUP BY subject");
    touched.bind(1, static_cast<int64_t>(indexed));
    touched.bind(2, static_cast<int64_t>(top));
    SQLite::Statement get(db, "SELECT area, return_point, origin_point FROM hub_subject_scope WHERE subject = ?");
    SQLite::Statement ins(db,
                          "INSERT INTO hub_subject_scope (subject, area, return_point, origin_point, first_pos, changed_pos) "
                          "VALUES (?,?,?,?,?,?)");
    SQLite::Statement upd(db,
                          "UPDATE hub_subject_scope SET area = ?, return_point = ?, origin_point = ?, changed_pos = ? "
                          "WHERE subject = ?");
    // The scope fields straight from the stored projection (no JSON parse here).
    SQLite::Statement fields(db,
                             "SELECT CASE WHEN json_type(state, '$.area') = 'text' THEN json_extract(state, '$.area') ELSE '' END, "
                             "CASE WHEN json_type(state, '$.return_point') = 'text' THEN json_extract(state, '$.return_point') ELSE '' END, "
                             "CASE WHEN json_type(state, '$.origin_point') = 'text' THEN json_extract(state, '$.origin_point') ELSE '' END "
                             "FROM projection WHERE subject = ?");
    while (touched.executeStep()) {
      std::string subject = touched.getColumn(0).getString();
      int64_t first = touched.getColumn(1).getInt64();
      Scope sc;
      fields.reset();
      fields.bind(1, subject);
      if (fields.executeStep())
        sc = Scope{fields.getColumn(0).getString(), fields.getColumn(1).getString(), fields.getColumn(2).getString()};
      get.reset();
      get.bind(1, subject);
      if (!get.executeStep()) {
        ins.reset();
        ins.bind(1, subject);
        ins.bind(2, sc.area);
        ins.bind(3, sc.return_point);
        ins.bind(4, sc.origin_point);
        ins.bind(5, static_cast<int64_t>(first));
        ins.bind(6, static_cast<int64_t>(first));  // a new subject has no earlier history to resend
        ins.exec();
      } else {
        Scope old{get.getColumn(0).getString(), get.getColumn(1).getString(), get.getColumn(2).getString()};
        if (!(old == sc)) {
          upd.reset();
          upd.bind(1, sc.area);
          upd.bind(2, sc.return_point);
          upd.bind(3, sc.origin_point);
          upd.bind(4, static_cast<int64_t>(first));  // entries before this were indexed with the old scope
          upd.bind(5, subject);
          upd.exec();
        }
      }
    }
    util::state_set(n, "scope_indexed_pos", std::to_string(top));
    return ok_status();
  });
  if (!s.ok()) throw std::runtime_error("scope index: " + s.error().message);
}

Batch read(node::Node& n, const PointRecord& p, int64_t after, size_t limit, size_t max_bytes) {
  std::lock_guard<std::recursive_mutex> g(n.journal().mutex());
  auto& db = *n.db();
  Batch b;
  int64_t indexed = util::state_get_int(n, "scope_indexed_pos");
  int64_t upto = std::min(indexed, after + kScanWindow);
  b.next = std::max(after, upto);
  std::vector<wire::WireEntry> newer;
  std::vector<std::string> newer_subjects;
  size_t bytes = 0;
  {
    SQLite::Statement q(db, std::string("SELECT j.pos, j.id, j.author, j.prev, j.canonical, j.sig, j.subject FROM journal j "
                                        "CROSS JOIN hub_subject_scope s ON s.subject = j.subject "
                                        "WHERE j.pos > :after AND j.pos <= :upto AND j.author <> :self AND ") +
                                kInScope + " ORDER BY j.pos LIMIT :limit");
    q.bind(":after", static_cast<int64_t>(after));
    q.bind(":upto", static_cast<int64_t>(upto));
    q.bind(":area", p.area);
    q.bind(":point", p.name);
    q.bind(":limit", static_cast<int64_t>(limit));
    q.bind(":self", (p.key ? *p.key : PublicKey{}).data(), 32);
    while (q.executeStep()) {
      newer.push_back(read_raw(q, 1));
      newer_subjects.push_back(q.getColumn(6).getString());
      bytes += newer.back().canonical.size();
      if (newer.size() >= limit || bytes >= max_bytes) {
        b.next = q.getColumn(0).getInt64();
        break;
      }
    }
  }
  b.more = b.next < db.execAndGet("SELECT ifnull(max(pos), 0) FROM journal").getInt64();
  // Dossiers that came into scope after `after` but began before it: their
  // older entries go first, oldest first, when the scope change falls in this
  // batch or this batch carries newer entries of them (their parents).
  std::vector<std::pair<int64_t, wire::WireEntry>> older;
  if (after > 0) {
    std::set<std::string> in_batch;
    for (const auto& s : newer_subjects) in_batch.insert(s);
    SQLite::Statement subj(db, std::string("SELECT s.subject, s.changed_pos FROM hub_subject_scope s WHERE "
                                           "s.changed_pos > :after AND s.first_pos <= :after AND ") +
                                   kInScope);
    subj.bind(":after", static_cast<int64_t>(after));
    subj.bind(":area", p.area);
    subj.bind(":point", p.name);
    SQLite::Statement old(db,
                          "SELECT pos, id, author, prev, canonical, sig FROM journal WHERE subject = ? AND pos <= ? "
                          "AND author <> ? ORDER BY pos");
    while (subj.executeStep()) {
      std::string subject = subj.getColumn(0).getString();
      if (subj.getColumn(1).getInt64() > b.next && !in_batch.count(subject)) continue;
      old.reset();
      old.bind(1, subject);
      old.bind(2, static_cast<int64_t>(after));
      old.bind(3, (p.key ? *p.key : PublicKey{}).data(), 32);
      while (old.executeStep()) older.emplace_back(old.getColumn(0).getInt64(), read_raw(old, 1));
    }
  }
  if (older.empty()) {
    b.entries = std::move(newer);
    return b;
  }
  std::stable_sort(older.begin(), older.end(), [](const auto& a, const auto& c) { return a.first < c.first; });
  b.entries.reserve(older.size() + newer.size());
  for (auto& [_, e] : older) b.entries.push_back(std::move(e));
  for (auto& e : newer) b.entries.push_back(std::move(e));
  return b;
}

int64_t pending(node::Node& n, const PointRecord& p, int64_t after) {
  std::lock_guard<std::recursive_mutex> g(n.journal().mutex());
  SQLite::Statement q(*n.db(), std::string("SELECT count(*) FROM journal j CROSS JOIN hub_subject_scope s ON s.subject = j.subject "
                                           "WHERE j.pos > :after AND j.author <> :self AND ") +
                                   kInScope);
  q.bind(":after", static_cast<int64_t>(after));
  q.bind(":area", p.area);
  q.bind(":point", p.name);
  q.bind(":self", (p.key ? *p.key : PublicKey{}).data(), 32);
  q.executeStep();
  return q.getColumn(0).getInt64();
}

bool blob_in_scope(node::Node& n, const PointRecord& p, const std::string& blob_id) {
  std::lock_guard<std::recursive_mutex> g(n.journal().mutex());
  static const std::string sql = [] {
    std::string q = "SELECT 1 FROM blob_refs r CROSS JOIN hub_subject_scope s ON s.subject = r.subject "
                    "WHERE r.blob = :blob AND ";  // the id's few references first, then each one's scope
    q.append(kInScope);
    q.append(" LIMIT 1");
    return q;
  }();
  SQLite::Statement q(*n.db(), sql);
  q.bind(":blob", blob_id);
  q.bind(":area", p.area);
  q.bind(":point", p.name);
  return q.executeStep();
}

}  // namespace motcua::sync::scope
