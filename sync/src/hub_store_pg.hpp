// HubStore on PostgreSQL 15 through libpq (docs/design/0100-postgres-hub-store.md).
//
// Every method is one transaction on one connection of a small pool: no
// process mutex makes anything atomic, so several hub processes may share
// one database. Where two callers could race (leases, enrolment codes,
// folded alerts, sync log rows, epochs) the database serialises them: row
// locks (SELECT ... FOR UPDATE), INSERT ... ON CONFLICT, conditional
// UPDATEs whose row count is checked, and transaction-scoped advisory locks
// for rows that may not exist yet. Tables live in the schema "motcua",
// versioned in motcua.motcua_schema (migrations in hub_store_pg_conn.cpp,
// one transaction each).
//
// Private to sync/src, like hub_store_sqlite.hpp: this header holds the
// class and the libpq plumbing; hub_store_pg_conn.cpp the connection pool,
// migrations and connection strings; hub_store_pg.cpp points, enrolment,
// sessions, leases and successions; hub_store_pg_log.cpp receipts, the sync
// log, alerts, fork evidence, counters and retention.
#pragma once
#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <functional>
#include <mutex>

#include "motcua/sync/hub_store.hpp"
#include "sync_util.hpp"

namespace motcua::sync::pg_store {

// Migration i (1-based) brings the schema from version i-1 to i.
const std::vector<const char*>& migrations();

// ---------------------------------------------------------------- libpq

// A failed statement inside a unit of work; caught at its boundary (run()),
// never thrown out of the store except as HubStoreFailure.
struct PgFailure {
  std::string sqlstate;  // "" when the connection itself failed
  std::string message;
};

struct Arg {
  std::string v;
  bool binary = false;
  bool null = false;
};
inline Arg txt(std::string s) { return Arg{std::move(s), false, false}; }
inline Arg num(int64_t n) { return Arg{std::to_string(n), false, false}; }
inline Arg raw(const std::string& s) { return Arg{s, true, false}; }
template <size_t N>
inline Arg raw(const std::array<uint8_t, N>& a) {
  return Arg{std::string(reinterpret_cast<const char*>(a.data()), N), true, false};
}
inline Arg null_arg() { return Arg{{}, false, true}; }

inline std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  // libpq messages may span lines ("FATAL: ...\nDETAIL: ..."): one line for logs.
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

class Rows {
 public:
  explicit Rows(PGresult* r) : r_(r, &PQclear) {}
  int size() const { return PQntuples(r_.get()); }
  bool null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string str(int row, int col) const {
    return std::string(PQgetvalue(r_.get(), row, col), static_cast<size_t>(PQgetlength(r_.get(), row, col)));
  }
  int64_t i64(int row, int col) const {
    int64_t v = 0;
    const char* p = PQgetvalue(r_.get(), row, col);
    std::from_chars(p, p + PQgetlength(r_.get(), row, col), v);
    return v;
  }
  // A bytea column in text form ("\x0a1b..."), decoded.
  std::string bytes(int row, int col) const {
    const char* p = PQgetvalue(r_.get(), row, col);
    const size_t n = static_cast<size_t>(PQgetlength(r_.get(), row, col));
    std::string out;
    if (n < 2 || p[0] != '\\' || p[1] != 'x') return out;
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return 0;
    };
    out.reserve((n - 2) / 2);
    for (size_t i = 2; i + 1 < n; i += 2) out.push_back(static_cast<char>(hex(p[i]) * 16 + hex(p[i + 1])));
    return out;
  }
  template <size_t N>
  std::optional<std::array<uint8_t, N>> arr(int row, int col) const {
    if (null(row, col)) return std::nullopt;
    const std::string b = bytes(row, col);
    if (b.size() != N) return std::nullopt;
    std::array<uint8_t, N> a{};
    std::memcpy(a.data(), b.data(), N);
    return a;
  }
  template <size_t N>
  std::array<uint8_t, N> arr0(int row, int col) const {
    return arr<N>(row, col).value_or(std::array<uint8_t, N>{});
  }
  int64_t affected() const {
    const char* t = PQcmdTuples(r_.get());
    int64_t v = 0;
    std::from_chars(t, t + std::strlen(t), v);
    return v;
  }

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> r_;
};

// One connection inside a unit of work.
class Tx {
 public:
  explicit Tx(PGconn* c) : c_(c) {}
  Rows exec(const char* sql, const std::vector<Arg>& args = {}) {
    if (pg_statement_recorder_on()) record(sql, args);
    std::vector<const char*> values(args.size());
    std::vector<int> lengths(args.size()), formats(args.size());
    for (size_t i = 0; i < args.size(); ++i) {
      values[i] = args[i].null ? nullptr : args[i].v.data();
      lengths[i] = static_cast<int>(args[i].v.size());
      formats[i] = args[i].binary ? 1 : 0;
    }
    PGresult* r = PQexecParams(c_, sql, static_cast<int>(args.size()), nullptr, values.data(), lengths.data(),
                               formats.data(), 0);
    Rows rows(r);
    const ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
      throw PgFailure{state ? state : "", trim(r ? PQresultErrorMessage(r) : PQerrorMessage(c_))};
    }
    return rows;
  }
  Rows exec(const std::string& sql, const std::vector<Arg>& args = {}) { return exec(sql.c_str(), args); }
  // Several statements without parameters (a migration).
  void script(const char* sql) {
    PGresult* r = PQexec(c_, sql);
    Rows rows(r);
    if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
      const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
      throw PgFailure{state ? state : "", trim(r ? PQresultErrorMessage(r) : PQerrorMessage(c_))};
    }
  }
  PGconn* conn() const { return c_; }

 private:
  static void record(const char* sql, const std::vector<Arg>& args) {
    PgStatement s;
    s.sql = sql;
    for (const auto& a : args) {
      s.params.push_back(a.null ? std::nullopt : std::optional<std::string>(a.v));
      s.binary.push_back(a.binary);
    }
    record_pg_statement(s);
  }
  PGconn* c_;
};

inline bool is_unique_violation(const PgFailure& f) { return f.sqlstate == "23505"; }

// ---------------------------------------------------------------- rows

inline const char* kPointCols =
    "name, area, daily_capacity, lease_days, status, public_key, agency_code, created_ms, enrolled_ms, revoked_ms, "
    "pull_cursor, last_seen_ms, last_success_ms, skew_ms, sent_cursor, place_name, epoch, quarantined_ms, acts, "
    "revoked_seq, revoked_id";
inline const char* kLogCols =
    "id, point, started_ms, ended_ms, entries_up, entries_down, bytes_up, bytes_down, receipts, result, error, skew_ms";
inline const char* kAlertCols = "at_ms, point, kind, detail, source, count, last_ms";
inline const char* kSuccessionCols = "point, old_key, new_key, revoked_seq, revoked_id, at_ms, body, sig";

using util::join_acts;
using util::split_acts;

inline PointRecord read_point(const Rows& q, int i) {
  PointRecord p;
  p.name = q.str(i, 0);
  p.area = q.str(i, 1);
  p.daily_capacity = q.i64(i, 2);
  p.lease_days = q.i64(i, 3);
  p.status = q.str(i, 4);
  p.key = q.arr<32>(i, 5);
  p.agency_code = q.str(i, 6);
  p.created_ms = q.i64(i, 7);
  p.enrolled_ms = q.i64(i, 8);
  p.revoked_ms = q.i64(i, 9);
  p.pull_cursor = q.i64(i, 10);
  p.last_seen_ms = q.i64(i, 11);
  p.last_success_ms = q.i64(i, 12);
  p.skew_ms = q.i64(i, 13);
  p.sent_cursor = q.i64(i, 14);
  p.place_name = q.str(i, 15);
  p.epoch = q.str(i, 16);
  if (p.status == "active" && q.i64(i, 17) > 0) p.status = "quarantined";  // after a fork
  p.acts = split_acts(q.str(i, 18));
  p.revoked_seq = q.i64(i, 19);
  p.revoked_id = q.arr0<32>(i, 20);
  return p;
}

inline SyncLogRow read_log(const Rows& q, int i) {
  SyncLogRow r;
  r.id = q.str(i, 0);
  r.point = q.str(i, 1);
  r.started_ms = q.i64(i, 2);
  r.ended_ms = q.i64(i, 3);
  r.entries_up = q.i64(i, 4);
  r.entries_down = q.i64(i, 5);
  r.bytes_up = q.i64(i, 6);
  r.bytes_down = q.i64(i, 7);
  r.receipts = q.i64(i, 8);
  r.result = q.str(i, 9);
  r.error = q.str(i, 10);
  r.skew_ms = q.i64(i, 11);
  return r;
}

inline Alert read_alert(const Rows& q, int i) {
  Alert a;
  a.at_ms = q.i64(i, 0);
  a.point = q.str(i, 1);
  a.kind = q.str(i, 2);
  a.detail = q.str(i, 3);
  a.source = q.str(i, 4);
  a.count = q.i64(i, 5);
  a.last_ms = q.i64(i, 6);
  return a;
}

inline Succession read_succession(const Rows& q, int i) {
  Succession s;
  s.point = q.str(i, 0);
  s.old_key = q.arr0<32>(i, 1);
  s.new_key = q.arr0<32>(i, 2);
  s.revoked_seq = q.i64(i, 3);
  s.revoked_id = q.arr0<32>(i, 4);
  s.at_ms = q.i64(i, 5);
  s.body = q.str(i, 6);
  s.sig = q.arr0<64>(i, 7);
  return s;
}

inline std::optional<PointRecord> point_where(Tx& tx, const char* where, const Arg& a) {
  Rows q = tx.exec(std::string("SELECT ") + kPointCols + " FROM motcua.hub_points WHERE " + where, {a});
  if (q.size() == 0) return std::nullopt;
  return read_point(q, 0);
}

inline void bump(Tx& tx, const std::string& name, const std::string& label, int64_t by) {
  if (by <= 0) return;  // counters never go down
  tx.exec(
      "INSERT INTO motcua.sync_counters (name, label, value) VALUES ($1, $2, $3) "
      "ON CONFLICT (name, label) DO UPDATE SET value = motcua.sync_counters.value + excluded.value",
      {txt(name), txt(label), num(by)});
}

inline void insert_alert(Tx& tx, const Alert& a) {
  const int64_t count = std::max<int64_t>(1, a.count);
  tx.exec(
      "INSERT INTO motcua.sync_alerts (at_ms, point, kind, detail, source, count, last_ms) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7)",
      {num(a.at_ms), txt(a.point), txt(a.kind), txt(a.detail), txt(a.source), num(count),
       num(a.last_ms ? a.last_ms : a.at_ms)});
  bump(tx, "alerts", a.kind, count);
}

// Serialises the callers that name the same `key` until the end of their
// transactions, across processes (for rows that may not exist yet).
inline void lock_key(Tx& tx, const std::string& key) {
  tx.exec("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", {txt(key)});
}

// ---------------------------------------------------------------- conninfo

struct ConnOptions {
  std::unique_ptr<PQconninfoOption, void (*)(PQconninfoOption*)> opts{nullptr, &PQconninfoFree};
  std::string get(const char* key) const {
    for (PQconninfoOption* o = opts.get(); o && o->keyword; ++o)
      if (std::strcmp(o->keyword, key) == 0 && o->val) return o->val;
    return "";
  }
};

// Parses `conninfo`; "invalid_value" when it does not parse or names a password.
Result<ConnOptions> parse_conninfo(const std::string& conninfo);

class PgHubStore final : public HubStore {
 public:
  explicit PgHubStore(std::string conninfo);
  // A store every call of which fails with `unusable` (a configuration
  // that names no database: open_hub_store).
  PgHubStore(std::string conninfo, Error unusable);
  ~PgHubStore() override;
  PgHubStore(const PgHubStore&) = delete;
  PgHubStore& operator=(const PgHubStore&) = delete;

  Status check();

  Status add_point(const PointRecord& p) override;
  std::optional<PointRecord> point(const std::string& name) override;
  std::optional<PointRecord> point_by_key(const PublicKey& key) override;
  std::vector<PointRecord> points() override;
  Status revoke_point(const std::string& name, int64_t now_ms, int64_t seq, const Hash32& id) override;
  Status set_point_status(const std::string& name, const std::string& status) override;
  void note_contact(const std::string& name, int64_t now_ms, int64_t skew_ms) override;
  void note_success(const std::string& name, int64_t now_ms) override;
  void set_pull_cursor(const std::string& name, int64_t pos) override;
  void reset_pull_cursor(const std::string& name, int64_t pos) override;
  std::string note_point_epoch(const std::string& name, const std::string& epoch, int64_t now_ms) override;
  void set_sent_cursor(const std::string& name, int64_t pos) override;
  Status add_enrolment_code(const Hash32& code_hash, const std::string& code_id, const Hash32& enrol_key,
                            const std::string& point, int64_t expires_ms,
                            const std::optional<PublicKey>& replaces) override;
  std::vector<EnrolmentCodeRecord> enrolment_codes(const std::string& code_id) override;
  Result<PointRecord> enrol(const Hash32& code_hash, const PublicKey& key, int64_t now_ms) override;
  Result<PointRecord> succeed(const Hash32& code_hash, const Succession& sc) override;
  std::vector<Succession> successions(const std::string& point) override;
  std::optional<Succession> succession_of(const PublicKey& old_key) override;
  void open_session(const std::string& id, const PublicKey& key, int64_t expires_ms) override;
  bool session_valid(const std::string& id, const PublicKey& key, int64_t now_ms) override;
  int64_t session_counter(const std::string& id) override;
  void set_session_counter(const std::string& id, int64_t counter) override;
  bool advance_session_counter(const std::string& id, int64_t counter) override;
  // Kept by the triggers of migration 2 on hub_points and hub_successions.
  int64_t registry_generation() override;
  void prune(int64_t now_ms) override;
  Result<Lease> lease(const std::string& agency, const std::string& day, const std::string& point,
                      int count) override;
  std::vector<Lease> leases_of(const std::string& point, const std::string& from_day) override;
  void add_receipt(const ReceiptRecord& r) override;
  std::vector<ReceiptRecord> receipts(const std::string& point, size_t limit) override;
  void put_session(const SyncLogRow& given) override;
  std::vector<SyncLogRow> sessions(const std::string& point, int64_t since_ms, size_t limit) override;
  std::vector<SyncLogRow> sessions_where(const SyncLogQuery& f) override;
  std::optional<SyncLogRow> session(const std::string& id) override;
  void add_alert(const Alert& a) override;
  int64_t fold_alert(const Alert& a, int64_t since_ms) override;
  std::vector<Alert> alerts(const std::string& point, int64_t since_ms) override;
  bool add_fork_evidence(const ForkEvidence& f) override;
  std::vector<ForkEvidence> fork_evidence(const std::optional<PublicKey>& author, size_t limit) override;
  SyncCounters counters() override;
  void add_to_counter(const std::string& name, int64_t by) override;
  RetentionReport apply_retention(const RetentionPolicy& p) override;
  std::vector<EnrolmentCodeRecord> all_enrolment_codes() override;
  std::vector<LeaseRecord> all_leases() override;
  std::vector<PointEpoch> point_epochs() override;
  std::vector<Alert> all_alerts() override;
  Status import_bookkeeping(const HubBookkeeping& b) override;

 private:
  void write(const char* sql, std::vector<Arg> args);
  template <class T>
  static T must(Result<T> r) {
    if (!r.ok()) throw HubStoreFailure(r.error());
    return std::move(r).value();
  }
  Error failure_error(const PgFailure& f, PGconn* c) const;
  Result<PGconn*> connect();
  Status migrate(PGconn* c);
  Result<PGconn*> acquire();
  void drop_idle();
  void release(PGconn* c);
  // Runs `fn` in one transaction on one pooled connection and returns what
  // it returns; an Error from `fn` rolls back. A serialisation failure or
  // deadlock is retried; so is a pooled connection found dead before
  // anything was sent in it (a restarted server).
  template <class T>
  Result<T> run(const std::function<Result<T>(Tx&)>& fn) {
    if (!config_error_.code.empty()) return config_error_;
    for (int attempt = 0;; ++attempt) {
      auto got = acquire();
      if (!got.ok()) return got.error();
      PGconn* c = *got;
      Tx tx(c);
      bool began = false;
      try {
        tx.exec("BEGIN");
        began = true;
        Result<T> r = fn(tx);
        tx.exec(r.ok() ? "COMMIT" : "ROLLBACK");
        release(c);
        return r;
      } catch (const PgFailure& f) {
        if (PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) != PQTRANS_IDLE) PQclear(PQexec(c, "ROLLBACK"));
        Error e = failure_error(f, c);
        const bool retry_tx = f.sqlstate == "40001" || f.sqlstate == "40P01";
        const bool stale = !began && PQstatus(c) != CONNECTION_OK;
        release(c);
        if (stale) drop_idle();  // the others are likely as dead (a restarted server)
        if ((retry_tx && attempt < 3) || (stale && attempt == 0)) continue;
        return e;
      }
    }
  }

  static constexpr size_t kMaxIdle = 8;
  std::string conninfo_;
  std::string where_;
  Error config_error_;
  std::mutex mu_;
  std::vector<PGconn*> idle_;
  bool migrated_ = false;
};

}  // namespace motcua::sync::pg_store
