// PostgreSQL HubStore (hub_store_pg.hpp): receipts, the sync log, alerts,
// fork evidence, counters and retention.
#include "hub_store_pg.hpp"

namespace motcua::sync::pg_store {

void PgHubStore::add_receipt(const ReceiptRecord& r) {
  must(run<Ok>([&](Tx& tx) -> Result<Ok> {
    tx.exec(
        "INSERT INTO motcua.sync_receipts (point, author, upto_seq, entry, hub_time_ms, body, sig) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        {txt(r.point), raw(r.author), num(r.upto_seq), raw(r.entry), num(r.hub_time_ms), txt(r.body), raw(r.sig)});
    bump(tx, "receipts", "", 1);
    return Ok{};
  }));
}

std::vector<ReceiptRecord> PgHubStore::receipts(const std::string& point, size_t limit) {
  return must(run<std::vector<ReceiptRecord>>([&](Tx& tx) -> Result<std::vector<ReceiptRecord>> {
    Rows q = tx.exec(
        "SELECT point, author, upto_seq, entry, hub_time_ms, body, sig FROM motcua.sync_receipts "
        "WHERE ($1 = '' OR point = $1) ORDER BY n DESC LIMIT $2",
        {txt(point), num(static_cast<int64_t>(limit))});
    std::vector<ReceiptRecord> out;
    for (int i = 0; i < q.size(); ++i) {
      ReceiptRecord r;
      r.point = q.str(i, 0);
      r.author = q.arr0<32>(i, 1);
      r.upto_seq = q.i64(i, 2);
      r.entry = q.arr0<32>(i, 3);
      r.hub_time_ms = q.i64(i, 4);
      r.body = q.str(i, 5);
      r.sig = q.arr0<64>(i, 6);
      out.push_back(std::move(r));
    }
    return out;
  }));
}

// The counters move by what changed since the stored row. Two writers of
// one session id are serialised by an advisory lock on the id (the row
// may not exist yet, so there is no row to lock).
void PgHubStore::put_session(const SyncLogRow& given) {
  must(run<Ok>([&](Tx& tx) -> Result<Ok> {
    SyncLogRow r = given;
    lock_key(tx, "sync_log:" + r.id);
    Rows old = tx.exec(std::string("SELECT ") + kLogCols + " FROM motcua.sync_log WHERE id = $1", {txt(r.id)});
    std::optional<SyncLogRow> before;
    if (old.size() > 0) before = read_log(old, 0);
    // A session settled as interrupted stays so if a late write of its
    // last request arrives (it is counted once).
    if (before && before->result == "interrupted" && r.result == "running") r.result = "interrupted";
    SyncLogRow base = before.value_or(SyncLogRow{});
    bump(tx, "bytes", "up", r.bytes_up - base.bytes_up);
    bump(tx, "bytes", "down", r.bytes_down - base.bytes_down);
    bump(tx, "entries", "up", r.entries_up - base.entries_up);
    bump(tx, "entries", "down", r.entries_down - base.entries_down);
    if (r.result != "running" && (!before || before->result != r.result)) bump(tx, "sessions", r.result, 1);
    tx.exec(
        "INSERT INTO motcua.sync_log (id, point, started_ms, ended_ms, entries_up, entries_down, bytes_up, "
        "bytes_down, receipts, result, error, skew_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
        "ON CONFLICT (id) DO UPDATE SET point = excluded.point, started_ms = excluded.started_ms, "
        "ended_ms = excluded.ended_ms, entries_up = excluded.entries_up, entries_down = excluded.entries_down, "
        "bytes_up = excluded.bytes_up, bytes_down = excluded.bytes_down, receipts = excluded.receipts, "
        "result = excluded.result, error = excluded.error, skew_ms = excluded.skew_ms",
        {txt(r.id), txt(r.point), num(r.started_ms), num(r.ended_ms), num(r.entries_up), num(r.entries_down),
         num(r.bytes_up), num(r.bytes_down), num(r.receipts), txt(r.result), txt(r.error), num(r.skew_ms)});
    return Ok{};
  }));
}

std::vector<SyncLogRow> PgHubStore::sessions(const std::string& point, int64_t since_ms, size_t limit) {
  return must(run<std::vector<SyncLogRow>>([&](Tx& tx) -> Result<std::vector<SyncLogRow>> {
    Rows q = tx.exec(std::string("SELECT ") + kLogCols +
                         " FROM motcua.sync_log WHERE ($1 = '' OR point = $1) AND started_ms >= $2 "
                         "ORDER BY started_ms DESC, id LIMIT $3",
                     {txt(point), num(since_ms), num(static_cast<int64_t>(limit))});
    std::vector<SyncLogRow> out;
    for (int i = 0; i < q.size(); ++i) out.push_back(read_log(q, i));
    return out;
  }));
}

std::vector<SyncLogRow> PgHubStore::sessions_where(const SyncLogQuery& f) {
  return must(run<std::vector<SyncLogRow>>([&](Tx& tx) -> Result<std::vector<SyncLogRow>> {
    // "failed" takes every session that ended badly, including a running
    // one abandoned longer than stale_before_ms (shown as "interrupted").
    std::string where = "($1 = '' OR point = $1) AND started_ms >= $2";
    if (f.result == "ok") where += " AND result = 'ok' AND $4::bigint IS NOT NULL";
    else if (f.result == "failed")
      where += " AND (result IN ('failed', 'refused', 'interrupted') OR (result = 'running' AND "
               "GREATEST(started_ms, ended_ms) < $4))";
    else if (f.result == "running") where += " AND result = 'running' AND GREATEST(started_ms, ended_ms) >= $4";
    else where += " AND $4::bigint IS NOT NULL";  // every query takes four parameters
    Rows q = tx.exec(std::string("SELECT ") + kLogCols + " FROM motcua.sync_log WHERE " + where +
                         " ORDER BY started_ms DESC, id LIMIT $3",
                     {txt(f.point), num(f.since_ms), num(static_cast<int64_t>(f.limit)), num(f.stale_before_ms)});
    std::vector<SyncLogRow> out;
    for (int i = 0; i < q.size(); ++i) out.push_back(read_log(q, i));
    return out;
  }));
}

std::optional<SyncLogRow> PgHubStore::session(const std::string& id) {
  return must(run<std::optional<SyncLogRow>>([&](Tx& tx) -> Result<std::optional<SyncLogRow>> {
    Rows q = tx.exec(std::string("SELECT ") + kLogCols + " FROM motcua.sync_log WHERE id = $1", {txt(id)});
    if (q.size() == 0) return std::optional<SyncLogRow>();
    return std::optional<SyncLogRow>(read_log(q, 0));
  }));
}

void PgHubStore::add_alert(const Alert& a) {
  must(run<Ok>([&](Tx& tx) -> Result<Ok> {
    insert_alert(tx, a);
    return Ok{};
  }));
}

// Folds of one (kind, source, point) are serialised by an advisory lock,
// so two hub processes never both find no alert and insert two.
int64_t PgHubStore::fold_alert(const Alert& a, int64_t since_ms) {
  return must(run<int64_t>([&](Tx& tx) -> Result<int64_t> {
    lock_key(tx, "alert:" + a.kind + "\n" + a.source + "\n" + a.point);
    Rows f = tx.exec(
        "SELECT n, count FROM motcua.sync_alerts WHERE kind = $1 AND source = $2 AND point = $3 AND at_ms >= $4 "
        "ORDER BY at_ms DESC LIMIT 1",
        {txt(a.kind), txt(a.source), txt(a.point), num(since_ms)});
    if (f.size() == 0) {
      Alert one = a;
      one.count = 1;
      insert_alert(tx, one);
      return int64_t{1};
    }
    Rows up = tx.exec(
        "UPDATE motcua.sync_alerts SET count = count + 1, last_ms = GREATEST(last_ms, $1) WHERE n = $2 "
        "RETURNING count",
        {num(a.at_ms), num(f.i64(0, 0))});
    bump(tx, "alerts", a.kind, 1);
    return up.i64(0, 0);
  }));
}

std::vector<Alert> PgHubStore::alerts(const std::string& point, int64_t since_ms) {
  return must(run<std::vector<Alert>>([&](Tx& tx) -> Result<std::vector<Alert>> {
    Rows q = tx.exec(std::string("SELECT ") + kAlertCols +
                         " FROM motcua.sync_alerts WHERE ($1 = '' OR point = $1) AND last_ms >= $2 "
                         "ORDER BY n DESC LIMIT 1000",
                     {txt(point), num(since_ms)});
    std::vector<Alert> out;
    for (int i = 0; i < q.size(); ++i) out.push_back(read_alert(q, i));
    return out;
  }));
}

// INSERT ... ON CONFLICT DO NOTHING decides which caller stores a fork
// first; the other only fills in the other entry's bytes if they lack.
bool PgHubStore::add_fork_evidence(const ForkEvidence& f) {
  return must(run<bool>([&](Tx& tx) -> Result<bool> {
    const bool have_bytes = !f.other_canonical.empty() && f.other_sig;
    Rows ins = tx.exec(
        "INSERT INTO motcua.fork_evidence (author, seq, reporter, at_ms, held_seq, held_id, other_id, "
        "other_canonical, other_sig) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
        "ON CONFLICT (author, seq, other_id) DO NOTHING",
        {raw(f.author), num(f.seq), txt(f.reporter), num(f.at_ms), num(f.held_seq), raw(f.held_id), raw(f.other_id),
         have_bytes ? raw(f.other_canonical) : null_arg(), have_bytes ? raw(*f.other_sig) : null_arg()});
    if (ins.affected() == 1) return true;
    if (have_bytes)
      tx.exec(
          "UPDATE motcua.fork_evidence SET other_canonical = $4, other_sig = $5 "
          "WHERE author = $1 AND seq = $2 AND other_id = $3 AND other_canonical IS NULL",
          {raw(f.author), num(f.seq), raw(f.other_id), raw(f.other_canonical), raw(*f.other_sig)});
    return false;
  }));
}

std::vector<ForkEvidence> PgHubStore::fork_evidence(const std::optional<PublicKey>& author, size_t limit) {
  return must(run<std::vector<ForkEvidence>>([&](Tx& tx) -> Result<std::vector<ForkEvidence>> {
    Rows q = tx.exec(
        "SELECT author, seq, reporter, at_ms, held_seq, held_id, other_id, other_canonical, other_sig "
        "FROM motcua.fork_evidence WHERE $1::bytea IS NULL OR author = $1 ORDER BY n DESC LIMIT $2",
        {author ? raw(*author) : null_arg(), num(static_cast<int64_t>(limit))});
    std::vector<ForkEvidence> out;
    for (int i = 0; i < q.size(); ++i) {
      ForkEvidence e;
      e.author = q.arr0<32>(i, 0);
      e.seq = q.i64(i, 1);
      e.reporter = q.str(i, 2);
      e.at_ms = q.i64(i, 3);
      e.held_seq = q.i64(i, 4);
      e.held_id = q.arr0<32>(i, 5);
      e.other_id = q.arr0<32>(i, 6);
      if (!q.null(i, 7)) {
        e.other_canonical = q.bytes(i, 7);
        e.other_sig = q.arr0<64>(i, 8);
      }
      out.push_back(std::move(e));
    }
    return out;
  }));
}

SyncCounters PgHubStore::counters() {
  return must(run<SyncCounters>([&](Tx& tx) -> Result<SyncCounters> {
    SyncCounters c;
    Rows q = tx.exec("SELECT name, label, value FROM motcua.sync_counters");
    for (int i = 0; i < q.size(); ++i) {
      const std::string name = q.str(i, 0), label = q.str(i, 1);
      const int64_t v = q.i64(i, 2);
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
  }));
}

void PgHubStore::add_to_counter(const std::string& name, int64_t by) {
  must(run<Ok>([&](Tx& tx) -> Result<Ok> {
    bump(tx, name, "", by);
    return Ok{};
  }));
}

RetentionReport PgHubStore::apply_retention(const RetentionPolicy& p) {
  return must(run<RetentionReport>([&](Tx& tx) -> Result<RetentionReport> {
    RetentionReport rep;
    auto del = [&](const char* sql, int64_t cutoff) -> int64_t {
      if (cutoff <= 0) return 0;
      return tx.exec(sql, {num(cutoff)}).affected();
    };
    if (p.interrupted_before_ms > 0) {
      rep.interrupted = tx.exec(
                             "UPDATE motcua.sync_log SET result = 'interrupted' "
                             "WHERE result = 'running' AND GREATEST(started_ms, ended_ms) < $1",
                             {num(p.interrupted_before_ms)})
                            .affected();
      bump(tx, "sessions", "interrupted", rep.interrupted);
    }
    rep.sessions = del("DELETE FROM motcua.sync_log WHERE started_ms < $1 AND result <> 'running'",
                       p.sync_log_before_ms);
    rep.receipts = del(
        "DELETE FROM motcua.sync_receipts r WHERE hub_time_ms < $1 AND n <> (SELECT max(l.n) FROM "
        "motcua.sync_receipts l WHERE l.point = r.point AND l.author = r.author)",
        p.receipts_before_ms);
    rep.alerts = del("DELETE FROM motcua.sync_alerts WHERE last_ms < $1", p.alerts_before_ms);
    del("DELETE FROM motcua.hub_sessions WHERE expires_ms < $1", p.now_ms);
    return rep;
  }));
}

int64_t PgHubStore::registry_generation() {
  return must(run<int64_t>([&](Tx& tx) -> Result<int64_t> {
    Rows q = tx.exec("SELECT value FROM motcua.sync_counters WHERE name = 'generation' AND label = 'registry'");
    return q.size() ? q.i64(0, 0) : int64_t{-1};
  }));
}

}  // namespace motcua::sync::pg_store
