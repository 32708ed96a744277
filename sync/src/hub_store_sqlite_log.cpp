// The SQLite HubStore (hub_store_sqlite.hpp): receipts, the sync log,
// alerts, counters and retention.
#include "hub_store_sqlite.hpp"

namespace motcua::sync {

using namespace sqlite_store;

void SqliteHubStore::add_receipt(const ReceiptRecord& r) {
  Lock g(mu_);
  atomically(*db_, [&] {
    SQLite::Statement q(*db_,
                        "INSERT INTO sync_receipts (point, author, upto_seq, entry, hub_time_ms, body, sig) "
                        "VALUES (?,?,?,?,?,?,?)");
    q.bind(1, r.point);
    bind_array(q, 2, r.author);
    q.bind(3, static_cast<int64_t>(r.upto_seq));
    bind_array(q, 4, r.entry);
    q.bind(5, static_cast<int64_t>(r.hub_time_ms));
    q.bind(6, r.body);
    bind_array(q, 7, r.sig);
    q.exec();
    bump(*db_, "receipts", "", 1);
  });
}

std::vector<ReceiptRecord> SqliteHubStore::receipts(const std::string& point, size_t limit) {
  Lock g(mu_);
  // `point = ?` only when a point is asked for, so sync_receipts_point
  // serves it (the `sessions` note below says why not `(? = '' OR ...)`).
  SQLite::Statement q(*db_, std::string("SELECT point, author, upto_seq, entry, hub_time_ms, body, sig FROM "
                                        "sync_receipts ") +
                                (point.empty() ? "" : "WHERE point = ? ") + "ORDER BY n DESC LIMIT ?");
  int i = 1;
  if (!point.empty()) q.bind(i++, point);
  q.bind(i++, static_cast<int64_t>(limit));
  std::vector<ReceiptRecord> out;
  while (q.executeStep()) {
    ReceiptRecord r;
    r.point = q.getColumn(0).getString();
    r.author = blob_array<32>(q.getColumn(1));
    r.upto_seq = q.getColumn(2).getInt64();
    r.entry = blob_array<32>(q.getColumn(3));
    r.hub_time_ms = q.getColumn(4).getInt64();
    r.body = q.getColumn(5).getString();
    r.sig = blob_array<64>(q.getColumn(6));
    out.push_back(std::move(r));
  }
  return out;
}

// The counters move by what changed since the stored row: a row written
// again with the same numbers counts nothing twice.
// Without a disk sync (util::without_sync): a lost row or its last counts
// are what the hub's own cache of live rows already risks (flushed every 5 s).
void SqliteHubStore::put_session(const SyncLogRow& given) {
  Lock g(mu_);
  util::without_sync(*db_, [&] { atomically(*db_, [&] {
    SyncLogRow r = given;
    SQLite::Statement old(*db_, std::string("SELECT ") + kLogCols + " FROM sync_log WHERE id = ?");
    old.bind(1, r.id);
    std::optional<SyncLogRow> before;
    if (old.executeStep()) before = read_log(old);
    // A session settled as interrupted stays so if a late write of its
    // last request arrives (it is counted once).
    if (before && before->result == "interrupted" && r.result == "running") r.result = "interrupted";
    SyncLogRow base = before.value_or(SyncLogRow{});
    bump(*db_, "bytes", "up", r.bytes_up - base.bytes_up);
    bump(*db_, "bytes", "down", r.bytes_down - base.bytes_down);
    bump(*db_, "entries", "up", r.entries_up - base.entries_up);
    bump(*db_, "entries", "down", r.entries_down - base.entries_down);
    if (r.result != "running" && (!before || before->result != r.result)) bump(*db_, "sessions", r.result, 1);
    SQLite::Statement q(*db_,
                        "INSERT OR REPLACE INTO sync_log (id, point, started_ms, ended_ms, entries_up, entries_down, "
                        "bytes_up, bytes_down, receipts, result, error, skew_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
    q.bind(1, r.id);
    q.bind(2, r.point);
    q.bind(3, static_cast<int64_t>(r.started_ms));
    q.bind(4, static_cast<int64_t>(r.ended_ms));
    q.bind(5, static_cast<int64_t>(r.entries_up));
    q.bind(6, static_cast<int64_t>(r.entries_down));
    q.bind(7, static_cast<int64_t>(r.bytes_up));
    q.bind(8, static_cast<int64_t>(r.bytes_down));
    q.bind(9, static_cast<int64_t>(r.receipts));
    q.bind(10, r.result);
    q.bind(11, r.error);
    q.bind(12, static_cast<int64_t>(r.skew_ms));
    q.exec();
  }); });
}

// One point's rows are asked for with `point = ?` and every point's without
// a point term: SQLite plans a statement before its parameters are known, so
// `(? = '' OR point = ?)` could never use sync_log_point / sync_alerts_point
// (migration 19) and walked every row since `since` (docs/design/0115).
std::vector<SyncLogRow> SqliteHubStore::sessions(const std::string& point, int64_t since_ms, size_t limit) {
  Lock g(mu_);
  SQLite::Statement q(*db_, std::string("SELECT ") + kLogCols + " FROM sync_log WHERE " +
                                (point.empty() ? "" : "point = ? AND ") +
                                "started_ms >= ? ORDER BY started_ms DESC, id LIMIT ?");
  int i = 1;
  if (!point.empty()) q.bind(i++, point);
  q.bind(i++, static_cast<int64_t>(since_ms));
  q.bind(i++, static_cast<int64_t>(limit));
  std::vector<SyncLogRow> out;
  while (q.executeStep()) out.push_back(read_log(q));
  return out;
}

std::vector<SyncLogRow> SqliteHubStore::sessions_where(const SyncLogQuery& f) {
  Lock g(mu_);
  // "failed" takes every session that ended badly, including a running
  // one abandoned longer than stale_before_ms (shown as "interrupted").
  std::string where = f.point.empty() ? "started_ms >= ?" : "point = ? AND started_ms >= ?";
  if (f.result == "ok") where += " AND result = 'ok'";
  else if (f.result == "failed")
    where += " AND (result IN ('failed', 'refused', 'interrupted') OR (result = 'running' AND max(started_ms, "
             "ended_ms) < ?))";
  else if (f.result == "running") where += " AND result = 'running' AND max(started_ms, ended_ms) >= ?";
  SQLite::Statement q(*db_, std::string("SELECT ") + kLogCols + " FROM sync_log WHERE " + where +
                                " ORDER BY started_ms DESC, id LIMIT ?");
  int i = 1;
  if (!f.point.empty()) q.bind(i++, f.point);
  q.bind(i++, static_cast<int64_t>(f.since_ms));
  if (f.result == "failed" || f.result == "running") q.bind(i++, static_cast<int64_t>(f.stale_before_ms));
  q.bind(i++, static_cast<int64_t>(f.limit));
  std::vector<SyncLogRow> out;
  while (q.executeStep()) out.push_back(read_log(q));
  return out;
}

std::optional<SyncLogRow> SqliteHubStore::session(const std::string& id) {
  return read_committed([&](SQLite::Database& db) -> std::optional<SyncLogRow> {
    SQLite::Statement q(db, std::string("SELECT ") + kLogCols + " FROM sync_log WHERE id = ?");
    q.bind(1, id);
    if (!q.executeStep()) return std::nullopt;
    return read_log(q);
  });
}

void SqliteHubStore::add_alert(const Alert& a) {
  Lock g(mu_);
  atomically(*db_, [&] { insert_alert(*db_, a); });
}

int64_t SqliteHubStore::fold_alert(const Alert& a, int64_t since_ms) {
  Lock g(mu_);
  int64_t count = 1;
  atomically(*db_, [&] {
    SQLite::Statement f(*db_,
                        "SELECT n, count FROM sync_alerts WHERE kind = ? AND source = ? AND point = ? AND at_ms >= ? "
                        "ORDER BY at_ms DESC LIMIT 1");
    f.bind(1, a.kind);
    f.bind(2, a.source);
    f.bind(3, a.point);
    f.bind(4, static_cast<int64_t>(since_ms));
    if (!f.executeStep()) {
      Alert one = a;
      one.count = 1;
      insert_alert(*db_, one);
      return;
    }
    const int64_t n = f.getColumn(0).getInt64();
    count = f.getColumn(1).getInt64() + 1;
    SQLite::Statement up(*db_, "UPDATE sync_alerts SET count = count + 1, last_ms = max(last_ms, ?) WHERE n = ?");
    up.bind(1, static_cast<int64_t>(a.at_ms));
    up.bind(2, n);
    up.exec();
    bump(*db_, "alerts", a.kind, 1);
  });
  return count;
}

std::vector<Alert> SqliteHubStore::alerts(const std::string& point, int64_t since_ms) {
  Lock g(mu_);
  // Every point since ever: the newest 1000 by n (a walk that the LIMIT
  // stops). Since a time: the rows of sync_alerts_last, then sorted; `+n`
  // keeps SQLite from walking every row by n instead.
  std::string where;
  if (!point.empty()) where = "WHERE point = ? AND last_ms >= ? ORDER BY n DESC";
  else if (since_ms > 0) where = "WHERE last_ms >= ? ORDER BY +n DESC";
  else where = "ORDER BY n DESC";
  SQLite::Statement q(*db_, std::string("SELECT ") + kAlertCols + " FROM sync_alerts " + where + " LIMIT 1000");
  int i = 1;
  if (!point.empty()) q.bind(i++, point);
  if (!point.empty() || since_ms > 0) q.bind(i++, static_cast<int64_t>(since_ms));
  std::vector<Alert> out;
  while (q.executeStep()) out.push_back(read_alert(q));
  return out;
}

SyncCounters SqliteHubStore::counters() {
  Lock g(mu_);
  SyncCounters c;
  SQLite::Statement q(*db_, "SELECT name, label, value FROM sync_counters");
  while (q.executeStep()) {
    const std::string name = q.getColumn(0).getString(), label = q.getColumn(1).getString();
    const int64_t v = q.getColumn(2).getInt64();
    if (name == "bytes" && label == "up") c.bytes_up = v;
    else if (name == "bytes" && label == "down") c.bytes_down = v;
    else if (name == "entries" && label == "up") c.entries_up = v;
    else if (name == "entries" && label == "down") c.entries_down = v;
    else if (name == "receipts") c.receipts = v;
    else if (name == "sessions") c.sessions[label] = v;
    else if (name == "alerts") c.alerts[label] = v;
    else if (name == "enrolments_throttled") c.enrolments_throttled = v;
  }
  return c;
}

void SqliteHubStore::add_to_counter(const std::string& name, int64_t by) {
  Lock g(mu_);
  bump(*db_, name, "", by);
}

RetentionReport SqliteHubStore::apply_retention(const RetentionPolicy& p) {
  Lock g(mu_);
  RetentionReport rep;
  atomically(*db_, [&] {
    auto run = [&](const char* sql, int64_t cutoff) -> int64_t {
      if (cutoff <= 0) return 0;
      SQLite::Statement q(*db_, sql);
      q.bind(1, static_cast<int64_t>(cutoff));
      return q.exec();
    };
    if (p.interrupted_before_ms > 0) {
      SQLite::Statement q(*db_,
                          "UPDATE sync_log SET result = 'interrupted' "
                          "WHERE result = 'running' AND max(started_ms, ended_ms) < ?");
      q.bind(1, static_cast<int64_t>(p.interrupted_before_ms));
      rep.interrupted = q.exec();
      bump(*db_, "sessions", "interrupted", rep.interrupted);
    }
    rep.sessions = run("DELETE FROM sync_log WHERE started_ms < ? AND result <> 'running'", p.sync_log_before_ms);
    rep.receipts = run(
        "DELETE FROM sync_receipts WHERE hub_time_ms < ? AND n <> (SELECT max(l.n) FROM sync_receipts l "
        "WHERE l.point = sync_receipts.point AND l.author = sync_receipts.author)",
        p.receipts_before_ms);
    rep.alerts = run("DELETE FROM sync_alerts WHERE last_ms < ?", p.alerts_before_ms);
    run("DELETE FROM hub_sessions WHERE expires_ms < ?", p.now_ms);
  });
  return rep;
}

// Kept by the triggers of migration 17 on hub_points and hub_successions.
int64_t SqliteHubStore::registry_generation() {
  Lock g(mu_);
  SQLite::Statement q(*db_, "SELECT value FROM sync_counters WHERE name = 'generation' AND label = 'registry'");
  return q.executeStep() ? q.getColumn(0).getInt64() : -1;
}

}  // namespace motcua::sync
