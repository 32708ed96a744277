// Costs that follow the delta, not the history (issue 12; docs/design/0115):
// the SQL run at daemon start, per hello, per /metrics scrape and per status
// is recorded on the connection (sqlite3_trace_v2) and each statement's
// EXPLAIN QUERY PLAN is checked: no full scan of a table that grows with
// history.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <set>

#include "motcua/node/blobs.hpp"
#include "motcua/sync/agent.hpp"
#include "../../sync/src/blob_sync.hpp"
#include "../../sync/src/hub_scope.hpp"
#include "sync_test_util.hpp"

using namespace motcua;
using namespace motcua::test;

namespace {

// Records the text of every statement run on a connection while alive.
class SqlRecorder {
 public:
  explicit SqlRecorder(SQLite::Database& db) : db_(db.getHandle()) {
    sqlite3_trace_v2(db_, SQLITE_TRACE_STMT, &SqlRecorder::on_stmt, this);
  }
  ~SqlRecorder() { sqlite3_trace_v2(db_, 0, nullptr, nullptr); }
  SqlRecorder(const SqlRecorder&) = delete;
  SqlRecorder& operator=(const SqlRecorder&) = delete;

  std::set<std::string> take() {
    std::lock_guard<std::mutex> g(mu_);
    return std::move(seen_);
  }

 private:
  static int on_stmt(unsigned, void* self, void* stmt, void* text) {
    auto* r = static_cast<SqlRecorder*>(self);
    const char* t = static_cast<const char*>(text);
    if (t && t[0] == '-' && t[1] == '-') return 0;  // a trigger's statement
    const char* sql = sqlite3_sql(static_cast<sqlite3_stmt*>(stmt));
    if (!sql) return 0;
    std::lock_guard<std::mutex> g(r->mu_);
    r->seen_.insert(sql);
    return 0;
  }
  sqlite3* db_;
  std::mutex mu_;
  std::set<std::string> seen_;
};

// Tables whose size follows the history (every entry, attachment, session...).
// Not listed: journal_gaps (open gaps only), hub_points, procedures, holidays.
const std::set<std::string>& big_tables() {
  static const std::set<std::string> t = {"journal",      "hub_feed",    "hub_subject_scope", "quarantine",
                                          "projection",   "blob_refs",   "blob_confirmed",    "blobs",
                                          "dossier_index", "dossier_words", "sync_receipts",  "sync_log",
                                          "sync_alerts"};
  return t;
}

// The plan lines of `sql` that read a whole history-sized table: "SCAN t"
// without an index ("SCAN t USING INDEX ..." walks an index in order, still
// a scan unless a LIMIT stops it; reported too unless "COVERING"/"PRIMARY" with
// a LIMIT, which the caller judges from the SQL).
std::vector<std::string> full_scans(SQLite::Database& db, const std::string& sql) {
  std::vector<std::string> out;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db.getHandle(), ("EXPLAIN QUERY PLAN " + sql).c_str(), -1, &st, nullptr) != SQLITE_OK) {
    sqlite3_finalize(st);
    return out;  // e.g. PRAGMA or a statement EXPLAIN cannot take
  }
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char* d = reinterpret_cast<const char*>(sqlite3_column_text(st, 3));
    std::string detail = d ? d : "";
    if (detail.rfind("SCAN ", 0) != 0) continue;
    std::string table = detail.substr(5, detail.find(' ', 5) == std::string::npos ? std::string::npos : detail.find(' ', 5) - 5);
    if (!big_tables().count(table)) continue;
    out.push_back(detail);
  }
  sqlite3_finalize(st);
  return out;
}

// The plan lines of `sql` that walk a range of a history-sized table bounded
// on one side only ("SEARCH t USING INDEX i (col>?)", no equality): the whole
// table when the bound is "since ever", as in one point's audit view.
std::vector<std::string> range_walks(SQLite::Database& db, const std::string& sql) {
  std::vector<std::string> out;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db.getHandle(), ("EXPLAIN QUERY PLAN " + sql).c_str(), -1, &st, nullptr) != SQLITE_OK) {
    sqlite3_finalize(st);
    return out;
  }
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char* d = reinterpret_cast<const char*>(sqlite3_column_text(st, 3));
    std::string detail = d ? d : "";
    if (detail.rfind("SEARCH ", 0) != 0) continue;
    const size_t sp = detail.find(' ', 7);
    if (!big_tables().count(detail.substr(7, sp == std::string::npos ? std::string::npos : sp - 7))) continue;
    const size_t open = detail.find('(');
    if (open != std::string::npos && detail.find('=', open) == std::string::npos) out.push_back(detail);
  }
  sqlite3_finalize(st);
  return out;
}

std::string report(SQLite::Database& db, const std::set<std::string>& sqls, const std::set<std::string>& allowed = {}) {
  std::string bad;
  for (const auto& s : sqls) {
    if (allowed.count(s)) continue;
    auto scans = full_scans(db, s);
    if (scans.empty()) continue;
    bad += "\n  " + s + "\n    ->";
    for (const auto& x : scans) bad += " [" + x + "]";
  }
  return bad;
}

}  // namespace

TEST_CASE("delta: the SQL of start, hello, /metrics and status scans no history-sized table", "[delta][sync]") {
  SyncWorld w(7, scope_projector, false);
  auto a = w.add_point("xa-a", "an-thi");
  auto b = w.add_point("xa-b", "kim-dong");
  for (int i = 0; i < 30; ++i) {
    auto e = w.take_in(i % 2 ? a : b);
    w.act(i % 2 ? a : b, e.subject, "dossier.updated", Json{{"note", "x"}});
  }
  REQUIRE(w.sync(a).ok());
  REQUIRE(w.sync(b).ok());
  REQUIRE(w.sync(a).ok());
  auto& hdb = *w.hub_node->db();

  SECTION("daemon start: journal, tail check, hub and agent") {
    SqlRecorder rec(hdb);
    node::Journal j(w.hub_node->db(), w.hub_node->keys(), w.clock, scope_projector);
    REQUIRE(j.check_tail().ok());
    auto agent = sync::make_sync_agent(*w.hub_node);
    (void)agent;
    std::string bad = report(hdb, rec.take());
    INFO("full scans:" << bad);
    CHECK(bad.empty());
  }
  SECTION("hello (a session with nothing to move)") {
    SqlRecorder rec(hdb);
    REQUIRE(w.sync(b).ok());
    auto sqls = rec.take();
    std::string bad = report(hdb, sqls);
    INFO("full scans:" << bad);
    CHECK(bad.empty());
  }
  SECTION("/metrics and status on the hub") {
    auto agent = sync::make_sync_agent(*w.hub_node);
    node::BlobStore blobs(w.hub_node->data_dir(), w.hub_node->db(), 1 << 20, &w.hub_node->journal().mutex());
    SqlRecorder rec(hdb);
    (void)agent->metrics();
    (void)agent->status();
    (void)w.hub_node->journal().count();
    (void)blobs.total_bytes();
    std::string bad = report(hdb, rec.take());
    INFO("full scans:" << bad);
    CHECK(bad.empty());
  }
  SECTION("/metrics and status on a point") {
    auto& pdb = *w.points[a]->db();
    auto agent = sync::make_sync_agent(*w.points[a]);
    SqlRecorder rec(pdb);
    (void)agent->metrics();
    (void)agent->status();
    std::string bad = report(pdb, rec.take());
    INFO("full scans:" << bad);
    CHECK(bad.empty());
  }
}

TEST_CASE("delta: the audit views (one point since ever, every point, each filter) scan no history-sized table",
          "[delta][sync]") {
  SyncWorld w(29, scope_projector, false);
  auto a = w.add_point("xa-a", "an-thi");
  auto b = w.add_point("xa-b", "kim-dong");
  REQUIRE(w.sync(a).ok());
  REQUIRE(w.sync(b).ok());
  auto& hdb = *w.hub_node->db();
  constexpr int64_t kDay = 86'400'000;
  const int64_t now = w.clock.now_ms();
  // 90 days of history: 40 points' sessions and alerts (xa-a among them).
  hdb.exec(R"SQL(
WITH RECURSIVE i(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM i WHERE k < 3599)
INSERT INTO sync_log (id, point, started_ms, ended_ms, result)
  SELECT 'h' || k, CASE WHEN k % 40 = 0 THEN 'xa-a' ELSE 'p' || (k % 40) END,
         )SQL" + std::to_string(now - 90 * kDay) + R"SQL( + k * 2160000, )SQL" +
           std::to_string(now - 90 * kDay) + R"SQL( + k * 2160000 + 5000,
         CASE WHEN k % 7 = 0 THEN 'failed' ELSE 'ok' END FROM i;
WITH RECURSIVE i(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM i WHERE k < 1799)
INSERT INTO sync_alerts (at_ms, last_ms, point, kind, detail)
  SELECT )SQL" + std::to_string(now - 90 * kDay) + R"SQL( + k * 4320000, )SQL" +
           std::to_string(now - 90 * kDay) + R"SQL( + k * 4320000,
         CASE WHEN k % 30 = 0 THEN 'xa-a' ELSE 'p' || (k % 30) END, 'bad_signature', '' FROM i;
)SQL");
  auto agent = sync::make_sync_agent(*w.hub_node);
  auto& store = w.hub->store();
  const int64_t week = now - 7 * kDay;
  auto count = [&](const std::string& sql) { return hdb.execAndGet(sql).getInt64(); };

  SECTION("one point since ever: motcua audit --point, GET /api/v1/alerts?point=") {
    SqlRecorder rec(hdb);
    const Json log = agent->sync_log("xa-a", "");
    const auto alerts = store.alerts("xa-a", 0);
    const auto sqls = rec.take();
    // The answers: that point's rows only, all of them.
    REQUIRE(log["sessions"].size() == static_cast<size_t>(count("SELECT count(*) FROM sync_log WHERE point = 'xa-a'")));
    for (const auto& r : log["sessions"]) CHECK(r["point"] == "xa-a");
    CHECK(alerts.size() == static_cast<size_t>(count("SELECT count(*) FROM sync_alerts WHERE point = 'xa-a'")));
    CHECK(log["alerts"].size() == alerts.size());
    for (const auto& al : alerts) CHECK(al.point == "xa-a");
    // Since ever, a range on time alone is the whole table.
    std::string bad = report(hdb, sqls);
    for (const auto& sql : sqls)
      for (const auto& x : range_walks(hdb, sql)) bad += "\n  " + sql + "\n    -> [" + x + "]";
    bool saw_log = false, saw_alerts = false;
    for (const auto& sql : sqls) {
      saw_log = saw_log || sql.find("FROM sync_log WHERE point = ?") != std::string::npos;
      saw_alerts = saw_alerts || sql.find("FROM sync_alerts WHERE point = ?") != std::string::npos;
    }
    CHECK(saw_log);
    CHECK(saw_alerts);
    INFO("whole-table walks:" << bad);
    CHECK(bad.empty());
  }
  SECTION("one point's receipts (motcua hub copy-store reads them point by point)") {
    hdb.exec(R"SQL(
WITH RECURSIVE i(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM i WHERE k < 3599)
INSERT INTO sync_receipts (point, author, upto_seq, entry, hub_time_ms, body, sig)
  SELECT CASE WHEN k % 40 = 0 THEN 'xa-a' ELSE 'p' || (k % 40) END, zeroblob(32), k, zeroblob(32), k, '{}',
         zeroblob(64) FROM i;
)SQL");
    SqlRecorder rec(hdb);
    const auto mine = store.receipts("xa-a", 1'000'000);
    const auto sqls = rec.take();
    CHECK(mine.size() == static_cast<size_t>(count("SELECT count(*) FROM sync_receipts WHERE point = 'xa-a'")));
    CHECK(mine.size() >= 90);
    for (const auto& r : mine) CHECK(r.point == "xa-a");
    bool saw = false;
    for (const auto& sql : sqls) saw = saw || sql.find("FROM sync_receipts WHERE point = ?") != std::string::npos;
    CHECK(saw);
    std::string bad = report(hdb, sqls);
    for (const auto& sql : sqls)
      for (const auto& x : range_walks(hdb, sql)) bad += "\n  " + sql + "\n    -> [" + x + "]";
    INFO("whole-table walks:" << bad);
    CHECK(bad.empty());
  }
  SECTION("every point: the sync log page since ever and for a week, each result filter, the alerts") {
    SqlRecorder rec(hdb);
    sync::SyncLogQuery page;
    page.limit = 100;
    const Json all = agent->sync_log(page);
    CHECK(all["sessions"].size() == 100);
    CHECK(all["alerts"].size() == 1000);  // the newest 1000
    for (const char* result : {"", "ok", "failed", "running"}) {
      sync::SyncLogQuery q;
      q.result = result;
      q.since_ms = week;
      q.limit = 100;
      (void)agent->sync_log(q);
    }
    const auto recent = store.alerts("", week);
    const auto sqls = rec.take();
    CHECK(recent.size() == static_cast<size_t>(count("SELECT count(*) FROM sync_alerts WHERE last_ms >= " +
                                                     std::to_string(week))));
    // The newest 1000 alerts of every point: a walk by n that the LIMIT stops.
    std::set<std::string> allowed;
    for (const auto& sql : sqls)
      if (sql.find("FROM sync_alerts ORDER BY n DESC LIMIT 1000") != std::string::npos) allowed.insert(sql);
    CHECK(allowed.size() == 1);
    std::string bad = report(hdb, sqls, allowed);
    INFO("full scans:" << bad);
    CHECK(bad.empty());
  }
}

TEST_CASE("delta: after a restart the clock never stamps below the largest stored HLC, found by a seek",
          "[delta][journal][hlc]") {
  constexpr int64_t kT0 = 1'751'328'000'000;  // 2025-07-01 00:00 UTC
  TempDir dir("delta-hlc");
  ManualClock clock_a(kT0 + 60'000), clock_b(kT0);  // a's clock a minute ahead (within the bound)
  SeededRandom rng_a(1), rng_b(2);
  auto a = make_node(dir.sub("a"), clock_a, rng_a, node::Role::Point, "a", node::summary_projector);
  auto b = make_node(dir.sub("b"), clock_b, rng_b, node::Role::Point, "b", node::summary_projector);
  // b's own entries, then a's (ahead), then more of b's own: the largest HLC
  // is neither b's chain head nor the last position.
  std::vector<node::Entry> from_a;
  for (int i = 0; i < 5; ++i) {
    REQUIRE(b->journal().append(node::EntryDraft{"clerk", "dossier.note", "s-b", Json::object()}).ok());
    auto e = a->journal().append(node::EntryDraft{"clerk", "dossier.note", "s-a", Json::object()});
    REQUIRE(e.ok());
    from_a.push_back(e.value());
    clock_a.advance(1000);
  }
  REQUIRE(b->journal().ingest(from_a).ok());
  node::Hlc top = from_a.back().hlc;
  for (int i = 0; i < 3; ++i) REQUIRE(b->journal().append(node::EntryDraft{"clerk", "dossier.note", "s-b2", Json::object()}).ok());
  b.reset();

  // The journal's constructor reads the high-water mark through the index.
  {
    auto db = std::make_shared<SQLite::Database>(dir.sub("b") + "/motcua.db", SQLite::OPEN_READWRITE);
    SqlRecorder rec(*db);
    auto kp = generate_keypair(rng_b);
    node::Journal j(db, kp, clock_b, node::summary_projector);
    auto sqls = rec.take();
    bool saw_hlc_query = false;
    for (const auto& s : sqls) {
      if (s.find("ORDER BY hlc_ms DESC") == std::string::npos) continue;
      saw_hlc_query = true;
      CHECK(full_scans(*db, s).empty());
      SQLite::Statement plan(*db, "EXPLAIN QUERY PLAN " + s);
      std::string details;
      while (plan.executeStep()) details += plan.getColumn(3).getString() + "; ";
      INFO(details);
      CHECK(details.find("journal_hlc") != std::string::npos);
    }
    CHECK(saw_hlc_query);
  }

  auto reopened = open_existing(dir.sub("b"), clock_b, node::summary_projector);
  auto e = reopened->journal().append(node::EntryDraft{"clerk", "dossier.note", "s-new", Json::object()});
  REQUIRE(e.ok());
  CHECK(top < e.value().hlc);
  CHECK(e.value().hlc.ms >= top.ms);
}

TEST_CASE("delta: the hub computes its reference data again only when a source changed, in any process",
          "[delta][sync]") {
  SyncWorld w(11, scope_projector, false);
  auto a = w.add_point("xa-a", "an-thi");
  REQUIRE(w.sync(a).ok());
  auto state = [&](const char* k) {
    SQLite::Statement q(*w.points[a]->db(), "SELECT value FROM sync_state WHERE key = ?");
    q.bind(1, k);
    return q.executeStep() ? q.getColumn(0).getString() : std::string();
  };
  auto& hdb = *w.hub_node->db();
  // Whether a session of point a made the hub read its catalogue and holidays.
  auto session_builds = [&]() {
    SqlRecorder rec(hdb);
    auto r = w.sync(a);
    if (!r.ok()) FAIL(r.error().message);
    for (const auto& q : rec.take())
      if (q.find("FROM holidays") != std::string::npos || q.find("FROM procedures") != std::string::npos) return true;
    return false;
  };
  // Changes made behind the Hub object's back, as another process would.
  SQLite::Database other(w.hub_node->data_dir() + "/motcua.db", SQLite::OPEN_READWRITE);
  other.exec("PRAGMA busy_timeout = 5000");
  std::string ref = state("reference_hash"), reg = state("registry_hash");
  REQUIRE(!ref.empty());
  REQUIRE(!reg.empty());
  // `built_already`: the change itself went through this hub (an enrolment
  // answers with the reference data), so the session finds it computed.
  auto changed = [&](const char* what, bool ref_moves, bool reg_moves, bool built_already = false) {
    INFO(what);
    CHECK(session_builds() != built_already);
    CHECK((state("reference_hash") != ref) == ref_moves);
    CHECK((state("registry_hash") != reg) == reg_moves);
    ref = state("reference_hash");
    reg = state("registry_hash");
    CHECK_FALSE(session_builds());  // and then kept again
  };

  SECTION("no change: nothing computed, the same hashes") {
    CHECK_FALSE(session_builds());
    CHECK_FALSE(session_builds());
    CHECK(state("reference_hash") == ref);
  }
  SECTION("each source changes the hash on the next hello") {
    other.exec("UPDATE procedures SET item = json_set(item, '$.name', 'Thủ tục sửa đổi') "
               "WHERE key = (SELECT min(key) FROM procedures)");
    changed("catalogue", true, false);
    other.exec("INSERT INTO holidays (date, name) VALUES ('2031-01-02', 'Nghỉ bù')");
    changed("holidays", true, false);
    other.exec("INSERT OR REPLACE INTO config (key, value) VALUES ('agency_name', 'UBND huyện Ân Thi')");
    changed("the hub's place name", true, false);
    other.exec("INSERT OR REPLACE INTO config (key, value) VALUES ('place_name', 'Bộ phận một cửa huyện Ân Thi')");
    changed("the hub's place name as its forms print it (config place_name, before agency_name)", true, false);
    other.exec("UPDATE hub_points SET place_name = 'UBND xã A' WHERE name = 'xa-a'");
    changed("a point's place name", true, false);
    w.add_point("xa-b", "an-thi");
    changed("a new point", true, true, true);
    other.exec("UPDATE hub_points SET acts = 'dossier.submitted' WHERE name = 'xa-b'");
    changed("a point's acts (registry only)", false, true);
    REQUIRE(w.hub->revoke_point("xa-b").ok());
    changed("a revocation", true, true);
  }
  SECTION("what each session writes (contact, cursors) does not count as a change") {
    other.exec("UPDATE hub_points SET last_seen_ms = last_seen_ms + 1, pull_cursor = pull_cursor WHERE name = 'xa-a'");
    CHECK_FALSE(session_builds());
  }
}

TEST_CASE("delta: the reference data's points come from the hub's store, also when it is not the node's database",
          "[delta][sync]") {
  // A store on another database, as the PostgreSQL store is: the hub node's
  // own hub_points table stays empty.
  SyncWorld w(19, scope_projector, false);
  SeededRandom rng(23);
  auto elsewhere = make_node(w.dir.sub("store"), w.clock, rng, node::Role::Hub, "store-db");
  w.hub = std::make_unique<sync::Hub>(*w.hub_node, sync::make_sqlite_hub_store(*elsewhere));
  auto a = w.add_point("xa-a", "an-thi");
  w.add_point("xa-b", "an-thi");
  REQUIRE(w.sync(a).ok());
  CHECK(w.hub_node->db()->execAndGet("SELECT count(*) FROM hub_points").getInt64() == 0);
  SQLite::Statement q(*w.points[a]->db(), "SELECT value FROM sync_state WHERE key = 'known_points'");
  REQUIRE(q.executeStep());
  const Json known = Json::parse(q.getColumn(0).getString());
  std::vector<std::string> names;
  for (const auto& p : known) names.push_back(p["name"].get<std::string>());
  CHECK(names == std::vector<std::string>{"hub", "xa-a", "xa-b"});
}

TEST_CASE("delta: attachment totals of /metrics and the status are kept with the rows, equal to a full count",
          "[delta][blobs]") {
  TempDir dir("delta-blobs");
  ManualClock clock(1'751'328'000'000);
  SeededRandom rng(3);
  auto n = make_node(dir.sub("p"), clock, rng, node::Role::Point, "p");
  auto& db = *n->db();
  node::BlobStore store(n->data_dir(), n->db(), 1 << 20, &n->journal().mutex());
  auto id = [](int i) { return to_hex(blake2b256("blob" + std::to_string(i))); };
  auto full_bytes = [&] { return db.execAndGet("SELECT ifnull(sum(size), 0) FROM blobs").getInt64(); };
  auto full_waiting = [&] {
    return db.execAndGet("SELECT count(DISTINCT r.blob) FROM blob_refs r WHERE NOT EXISTS "
                         "(SELECT 1 FROM blob_confirmed c WHERE c.blob = r.blob)").getInt64();
  };
  auto same = [&](const char* what) {
    INFO(what);
    CHECK(store.total_bytes() == full_bytes());
    CHECK(sync::blobs::waiting(*n) == full_waiting());
  };
  same("empty");
  for (int i = 0; i < 6; ++i)
    db.exec("INSERT OR IGNORE INTO blobs (id, size, media_type) VALUES ('" + id(i) + "', " + std::to_string(1000 + i) +
            ", 'application/pdf')");
  db.exec("INSERT OR IGNORE INTO blobs (id, size, media_type) VALUES ('" + id(0) + "', 99, 'application/pdf')");
  same("stored, one twice");
  CHECK(store.total_bytes() == 6 * 1000 + 15);
  for (int i = 0; i < 5; ++i) {
    db.exec("INSERT OR IGNORE INTO blob_refs (blob, subject) VALUES ('" + id(i) + "', 'd1')");
    db.exec("INSERT OR IGNORE INTO blob_refs (blob, subject) VALUES ('" + id(i) + "', 'd" + std::to_string(i) + "')");
  }
  db.exec("INSERT OR IGNORE INTO blob_refs (blob, subject) VALUES ('" + id(1) + "', 'd1')");
  same("referenced by one or two dossiers");
  CHECK(sync::blobs::waiting(*n) == 5);
  db.exec("INSERT OR IGNORE INTO blob_confirmed (blob, at_ms) VALUES ('" + id(2) + "', 1)");
  db.exec("INSERT OR IGNORE INTO blob_confirmed (blob, at_ms) VALUES ('" + id(2) + "', 2)");
  db.exec("INSERT OR IGNORE INTO blob_confirmed (blob, at_ms) VALUES ('" + id(5) + "', 2)");  // no reference
  same("confirmed");
  CHECK(sync::blobs::waiting(*n) == 4);
  db.exec("INSERT OR IGNORE INTO blob_refs (blob, subject) VALUES ('" + id(2) + "', 'd9')");
  same("a confirmed one referenced again");
  db.exec("DELETE FROM blob_confirmed");  // a new hub epoch: nothing is known to be there
  same("confirmations dropped");
  CHECK(sync::blobs::waiting(*n) == 5);
  db.exec("DELETE FROM blob_refs WHERE blob = '" + id(3) + "'");
  same("references removed");
  db.exec("DELETE FROM blobs WHERE id = '" + id(4) + "'");
  same("an attachment removed");
}

TEST_CASE("delta: a point's lag for /metrics and status moves by what changed since the last scrape",
          "[delta][sync]") {
  SyncWorld w(13, scope_projector, false);
  w.add_point("xa-a", "an-thi");
  auto b = w.add_point("xa-b", "an-thi");
  std::vector<std::string> codes;
  for (int i = 0; i < 40; ++i) codes.push_back(w.take_in(b).subject);
  REQUIRE(w.sync(b).ok());
  node::Node& hub = *w.hub_node;
  sync::scope::catch_up(hub);
  const sync::PointRecord pa = *w.hub->store().point("xa-a");
  sync::scope::PendingMemo m;
  auto check = [&](int64_t after, int64_t counted, const char* what) {
    INFO(what);
    const int64_t v = sync::scope::pending(hub, pa, after, m);
    CHECK(v == sync::scope::pending(hub, pa, after));
    CHECK(m.counted == counted);
    return v;
  };
  const int64_t all = check(0, 40, "first scrape: the whole lag counted");
  CHECK(all == 40);
  check(0, 0, "nothing changed: nothing counted");
  for (int i = 0; i < 5; ++i) w.take_in(b);
  REQUIRE(w.sync(b).ok());
  sync::scope::catch_up(hub);
  CHECK(check(0, 5, "five new entries: five counted") == 45);
  // The point pulled some: what its cursor passed is counted once.
  const int64_t cursor = 10;
  const int64_t left = sync::scope::pending(hub, pa, cursor);
  CHECK(check(cursor, 45 - left, "the cursor moved: what it passed counted") == left);
  check(cursor, 0, "again nothing");
  // A dossier moved to other keys (its return point changed): counted in full.
  w.act(b, codes[20], "dossier.updated", Json{{"return_point", "xa-a"}});
  REQUIRE(w.sync(b).ok());
  sync::scope::catch_up(hub);
  const int64_t now = sync::scope::pending(hub, pa, cursor);
  check(cursor, now, "after a move: a full count");
  // A cursor that went back: a full count.
  check(0, sync::scope::pending(hub, pa, 0), "cursor back");
}

TEST_CASE("delta: a point back after 90 days pulls in pages while another point's sessions go on between them",
          "[delta][sync][slow]") {
  SyncWorld w(17, scope_projector, false);
  sync::HubOptions o;
  o.max_batch_entries = 100;  // pages of 100 entries (the hub caps what a point asks for)
  w.hub = std::make_unique<sync::Hub>(*w.hub_node, sync::make_sqlite_hub_store(*w.hub_node), o);
  auto back = w.add_point("xa-ve", "an-thi");           // the point that was away
  auto busy = w.add_point("buu-dien", "an-thi", 1000);  // its area's busy office
  auto other = w.add_point("xa-khac", "kim-dong");      // a point of another area, syncing meanwhile
  REQUIRE(w.sync(back).ok());
  // While the point is away: 1,000 dossiers x 3 entries in its area.
  std::vector<Hash32> ids;
  for (int i = 0; i < 1000; ++i) {
    auto e = w.take_in(busy);
    ids.push_back(e.id);
    ids.push_back(w.act(busy, e.subject, "dossier.updated", Json{{"note", "bổ sung"}}).id);
    ids.push_back(w.act(busy, e.subject, "dossier.updated", Json{{"note", "đã xử lý"}}).id);
  }
  REQUIRE(w.sync(busy).ok());
  for (int i = 0; i < 3; ++i) w.take_in(other);  // the other point's new work, pushed during the catch-up
  w.clock.advance(90LL * 24 * 3600 * 1000);

  // The returning point's pulls are counted as they reach the hub; at the
  // 3rd and the 15th page the other point runs a whole session (hello, push,
  // pull) on its own thread, and the returning point waits for it to end:
  // it would wait forever (bounded here) if a page held the hub past its answer.
  int pulls = 0;
  std::vector<int> other_done_at;
  std::vector<std::string> other_errors;
  std::vector<std::future<Result<Json>>> stuck;  // joined at the end, after the returning point let go
  auto other_session = [&]() {
    auto f = std::async(std::launch::async, [&] { return w.sync(other); });
    if (f.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
      other_errors.push_back("stuck behind the returning point's pull");
      stuck.push_back(std::move(f));
      return;
    }
    auto r = f.get();
    if (!r.ok()) other_errors.push_back(r.error().message);
    other_done_at.push_back(pulls);
  };
  w.transports[back]->tamper = [&](sync::WireRequest& r) {
    if (r.path != "/sync/v2/pull") return;
    ++pulls;
    if (pulls == 3 || pulls == 15) other_session();
  };
  auto r = w.sync(back);
  w.transports[back]->tamper = nullptr;
  for (auto& f : stuck) f.wait();
  {
    std::string why;
    for (const auto& e : other_errors) why += e + "; ";
    INFO("the other point: " << why);
    CHECK(other_errors.empty());
  }
  REQUIRE(r.ok());
  CHECK(r.value()["entries_down"].get<int64_t>() >= 3000);
  CHECK(pulls >= 30);  // 3,000 entries in pages of at most 100
  REQUIRE(other_done_at.size() == 2);
  CHECK(other_done_at[1] < pulls);  // both ended while pages were still to come
  // The returning point ends with everything; the other point's work reached the hub.
  size_t missing = 0;
  for (const auto& id : ids) missing += w.points[back]->journal().get(id) ? 0 : 1;
  CHECK(missing == 0);
  CHECK(w.hub_node->journal().author_entries(w.points[other]->keys().pk, 0, 100).size() == 3);
  CHECK(w.held_at_hub() == 0);
}
