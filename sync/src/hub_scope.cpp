#include "hub_scope.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
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

// Entries held, rejected or released in quarantine are not read at their
// own position (a released one goes with its decision).
const char* kNotQuarantined = "NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.id = j.id)";

// The keys of hub_feed a subject of scope `sc` is listed under: its area and
// the points it names (docs/design/0110-scope-feed.md); none for an empty field.
std::vector<std::string> feed_keys(const Scope& sc) {
  std::vector<std::string> k;
  if (!sc.area.empty()) k.push_back("a:" + sc.area);
  if (!sc.return_point.empty()) k.push_back("p:" + sc.return_point);
  if (!sc.origin_point.empty() && sc.origin_point != sc.return_point) k.push_back("p:" + sc.origin_point);
  return k;
}

// The positions of a point's scope in (after, upto], in order, without
// repeats: a merge of hub_feed's ranges for the point's area and its name.
class FeedCursor {
 public:
  FeedCursor(SQLite::Database& db, const PointRecord& p, int64_t after, int64_t upto) {
    std::vector<std::string> keys;
    if (!p.area.empty()) keys.push_back("a:" + p.area);
    keys.push_back("p:" + p.name);
    for (const auto& k : keys) {
      auto st = std::make_unique<SQLite::Statement>(
          db, "SELECT pos FROM hub_feed WHERE scope = ? AND pos > ? AND pos <= ? ORDER BY pos");
      st->bind(1, k);
      st->bind(2, static_cast<int64_t>(after));
      st->bind(3, static_cast<int64_t>(upto));
      Stream s{std::move(st), 0};
      advance(s);
      streams_.push_back(std::move(s));
    }
  }
  // The next position, or 0 when there is none.
  int64_t next() {
    int64_t best = 0;
    for (const auto& s : streams_)
      if (s.head > 0 && (best == 0 || s.head < best)) best = s.head;
    for (auto& s : streams_)
      if (s.head == best && best > 0) advance(s);
    return best;
  }

 private:
  struct Stream {
    std::unique_ptr<SQLite::Statement> st;
    int64_t head;
  };
  static void advance(Stream& s) { s.head = s.st->executeStep() ? s.st->getColumn(0).getInt64() : 0; }
  std::vector<Stream> streams_;
};

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
  // Without a disk sync: the index and its position commit together, and a
  // power cut that loses them leaves the entries to index again from there.
  Status s = ok_status();
  util::without_sync(db, [&] { s = schema::in_transaction(db, [&]() -> Status {
    // Quarantined entries are not indexed; a released one counts at its
    // decision's position (visible_pos), where the pull sends it.
    SQLite::Statement touched(db,
                              "SELECT subject, min(p) FROM (SELECT subject, pos AS p FROM journal WHERE pos > :from AND "
                              "pos <= :to AND NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.id = journal.id) UNION ALL "
                              "SELECT subject, visible_pos FROM quarantine WHERE state = 'released' AND visible_pos > :from "
                              "AND visible_pos <= :to) GROUP BY subject");
    touched.bind(":from", static_cast<int64_t>(indexed));
    touched.bind(":to", static_cast<int64_t>(top));
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
    // The feed (hub_feed): the subject's visible journal positions under the keys of its scope.
    SQLite::Statement positions(db,
                                "SELECT pos FROM journal j WHERE j.subject = ? AND j.pos > ? AND j.pos <= ? AND "
                                "NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.id = j.id)");
    SQLite::Statement feed_add(db, "INSERT OR IGNORE INTO hub_feed (scope, pos) VALUES (?, ?)");
    SQLite::Statement feed_drop(db, "DELETE FROM hub_feed WHERE scope = ? AND pos = ?");
    // Lists (or, `add` false, unlists) the positions of `subject` in (from, to] under `keys`.
    auto feed = [&](const std::string& subject, const std::vector<std::string>& keys, int64_t from, int64_t to, bool add) {
      if (keys.empty()) return;
      positions.reset();
      positions.bind(1, subject);
      positions.bind(2, static_cast<int64_t>(from));
      positions.bind(3, static_cast<int64_t>(to));
      while (positions.executeStep()) {
        const int64_t pos = positions.getColumn(0).getInt64();
        SQLite::Statement& st = add ? feed_add : feed_drop;
        for (const auto& k : keys) {
          st.reset();
          st.bind(1, k);
          st.bind(2, static_cast<int64_t>(pos));
          st.exec();
        }
      }
    };
    bool moved = false;  // a subject's positions went to other keys (PendingMemo)
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
        feed(subject, feed_keys(sc), 0, top, true);
      } else {
        Scope old{get.getColumn(0).getString(), get.getColumn(1).getString(), get.getColumn(2).getString()};
        if (!(old == sc)) {
          moved = true;
          upd.reset();
          upd.bind(1, sc.area);
          upd.bind(2, sc.return_point);
          upd.bind(3, sc.origin_point);
          upd.bind(4, static_cast<int64_t>(first));  // entries before this were indexed with the old scope
          upd.bind(5, subject);
          upd.exec();
          // Every position of the subject moves to the new keys, as the scope
          // applies to all its entries (a pull reads the current scope).
          feed(subject, feed_keys(old), 0, indexed, false);
          feed(subject, feed_keys(sc), 0, top, true);
        } else {
          feed(subject, feed_keys(sc), indexed, top, true);
        }
      }
    }
    util::state_set(n, "scope_indexed_pos", std::to_string(top));
    if (moved) util::state_set(n, "scope_moves", std::to_string(util::state_get_int(n, "scope_moves") + 1));
    return ok_status();
  }); });
  if (!s.ok()) throw std::runtime_error("scope index: " + s.error().message);
}

Batch read(node::Node& n, const PointRecord& p, int64_t after, size_t limit, size_t max_bytes,
           std::optional<History> resume) {
  std::lock_guard<std::recursive_mutex> g(n.journal().mutex());
  auto& db = *n.db();
  Batch b;
  limit = std::max<size_t>(limit, 1);
  int64_t indexed = util::state_get_int(n, "scope_indexed_pos");
  // A history page names the end of the newer range it belongs to; anything
  // else than a range after `after` within what is indexed is not ours.
  if (resume && (resume->upto <= after || resume->upto > indexed || resume->pos < 0 || resume->pos > after))
    resume.reset();
  int64_t upto = std::min(indexed, after + kScanWindow);
  if (resume) upto = std::min(upto, resume->upto);
  b.next = std::max(after, upto);
  std::vector<wire::WireEntry> newer;
  Json newer_subjects = Json::array();
  size_t newer_bytes = 0;
  {
    // The point's positions from the feed (its area's key and its own), merged
    // in order; each entry then read by its position. The work follows what is
    // in scope, not the journal's length (docs/design/0110-scope-feed.md).
    FeedCursor feed(db, p, after, upto);
    SQLite::Statement q(db,
                        "SELECT j.pos, j.id, j.author, j.prev, j.canonical, j.sig, j.subject, j.type FROM journal j "
                        "WHERE j.pos = :pos AND j.author <> :self AND " + std::string(kNotQuarantined));
    // The entry a release decision names goes right before the decision.
    SQLite::Statement released(db,
                               "SELECT j.id, j.author, j.prev, j.canonical, j.sig FROM quarantine q JOIN journal j ON "
                               "j.id = q.id WHERE q.decided_by = ? AND q.state = 'released' AND j.author <> ?");
    q.bind(":self", (p.key ? *p.key : PublicKey{}).data(), 32);
    for (int64_t pos = feed.next(); pos > 0; pos = feed.next()) {
      q.reset();
      q.bind(":pos", static_cast<int64_t>(pos));
      if (!q.executeStep()) continue;  // its own entry, or one in quarantine
      if (q.getColumn(7).getString() == node::kQuarantineReleased) {
        released.reset();
        released.bind(1, to_hex(blob_array<32>(q.getColumn(1))));
        released.bind(2, (p.key ? *p.key : PublicKey{}).data(), 32);
        while (released.executeStep()) {
          newer.push_back(read_raw(released, 0));
          newer_subjects.push_back(q.getColumn(6).getString());
          newer_bytes += newer.back().canonical.size();
        }
      }
      newer.push_back(read_raw(q, 1));
      newer_subjects.push_back(q.getColumn(6).getString());
      newer_bytes += newer.back().canonical.size();
      if (newer.size() >= limit || newer_bytes >= max_bytes) {
        b.next = pos;
        break;
      }
    }
  }
  const int64_t top = db.execAndGet("SELECT ifnull(max(pos), 0) FROM journal").getInt64();
  b.more = b.next < top;
  if (after <= 0) {
    b.entries = std::move(newer);
    return b;
  }
  // Dossiers that came into scope after `after` but began before it: their
  // older entries go first, oldest first, when the scope change falls in the
  // newer range (up to `range_end`) or the range carries newer entries of them
  // (their parents). They come in pages of at most `limit` entries and
  // `max_bytes`: while more of them remain, a page carries only them, the
  // cursor stays at `after` and `history` says where to go on.
  const int64_t range_end = resume ? resume->upto : b.next;
  std::vector<wire::WireEntry> older;
  size_t older_bytes = 0;
  bool older_more = false;
  int64_t older_last = resume ? resume->pos : 0;
  {
    SQLite::Statement q(db, std::string("WITH gained AS (SELECT s.subject FROM hub_subject_scope s WHERE "
                                        "s.changed_pos > :after AND s.first_pos <= :after AND ") +
                                kInScope +
                                " AND (s.changed_pos <= :end OR s.subject IN (SELECT value FROM json_each(:batch)))) "
                                "SELECT j.pos, j.id, j.author, j.prev, j.canonical, j.sig FROM gained g "
                                "CROSS JOIN journal j ON j.subject = g.subject "
                                "WHERE j.pos <= :after AND j.pos > :from AND j.author <> :self AND (NOT EXISTS (SELECT 1 FROM "
                                "quarantine q WHERE q.id = j.id) OR EXISTS (SELECT 1 FROM quarantine q WHERE q.id = j.id "
                                "AND q.state = 'released' AND q.visible_pos <= :after)) ORDER BY j.pos LIMIT :limit");
    q.bind(":after", static_cast<int64_t>(after));
    q.bind(":area", p.area);
    q.bind(":point", p.name);
    q.bind(":end", static_cast<int64_t>(range_end));
    q.bind(":batch", newer_subjects.dump());
    q.bind(":from", static_cast<int64_t>(resume ? resume->pos : 0));
    q.bind(":self", (p.key ? *p.key : PublicKey{}).data(), 32);
    q.bind(":limit", static_cast<int64_t>(limit + 1));
    while (q.executeStep()) {
      if (older.size() >= limit || older_bytes >= max_bytes) {
        older_more = true;
        break;
      }
      older_last = q.getColumn(0).getInt64();
      older.push_back(read_raw(q, 1));
      older_bytes += older.back().canonical.size();
    }
  }
  if (older.empty() && !older_more) {
    b.entries = std::move(newer);
    return b;
  }
  const bool fits = !older_more && older.size() + newer.size() <= limit && older_bytes + newer_bytes <= max_bytes;
  if (!fits) {  // a page of older entries only
    b.entries = std::move(older);
    b.next = after;
    b.more = true;
    b.history = History{range_end, older_last};
    return b;
  }
  b.entries = std::move(older);
  b.entries.reserve(b.entries.size() + newer.size());
  for (auto& e : newer) b.entries.push_back(std::move(e));
  return b;
}

namespace {
// Entries in `p`'s scope at positions in (after, upto] (upto < 0: no bound).
int64_t count_between(node::Node& n, const PointRecord& p, int64_t after, int64_t upto) {
  SQLite::Statement q(*n.db(), std::string("SELECT count(*) FROM (SELECT pos FROM hub_feed WHERE scope = :area AND pos > :after "
                                           "AND pos <= :upto UNION SELECT pos FROM hub_feed WHERE scope = :point AND "
                                           "pos > :after AND pos <= :upto) f JOIN journal j ON j.pos = f.pos WHERE "
                                           "j.author <> :self AND ") +
                                   kNotQuarantined);
  q.bind(":after", static_cast<int64_t>(after));
  q.bind(":upto", static_cast<int64_t>(upto < 0 ? INT64_MAX : upto));
  q.bind(":area", p.area.empty() ? std::string() : "a:" + p.area);  // "" is no key
  q.bind(":point", "p:" + p.name);
  q.bind(":self", (p.key ? *p.key : PublicKey{}).data(), 32);
  q.executeStep();
  return q.getColumn(0).getInt64();
}
}  // namespace

int64_t pending(node::Node& n, const PointRecord& p, int64_t after) {
  std::lock_guard<std::recursive_mutex> g(n.journal().mutex());
  return count_between(n, p, after, -1);
}

int64_t pending(node::Node& n, const PointRecord& p, int64_t after, PendingMemo& m) {
  std::lock_guard<std::recursive_mutex> g(n.journal().mutex());
  const int64_t top = util::state_get_int(n, "scope_indexed_pos");
  const int64_t moves = util::state_get_int(n, "scope_moves");
  int64_t value = 0, counted = 0;
  const bool same = m.after >= 0 && m.area == p.area && m.name == p.name && m.key == p.key && m.moves == moves &&
                    after >= m.after && top >= m.top;
  if (!same) {
    value = count_between(n, p, after, top);
    counted = value;
  } else {
    value = m.value;
    // What the cursor passed since the last call, then what was indexed since.
    if (after > m.after && std::min(after, m.top) > m.after) {
      const int64_t passed = count_between(n, p, m.after, std::min(after, m.top));
      value -= passed;
      counted += passed;
    }
    if (top > std::max(after, m.top)) {
      const int64_t added = count_between(n, p, std::max(after, m.top), top);
      value += added;
      counted += added;
    }
  }
  m.area = p.area;
  m.name = p.name;
  m.key = p.key;
  m.after = after;
  m.top = top;
  m.moves = moves;
  m.value = value;
  m.counted = counted;
  return value;
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
