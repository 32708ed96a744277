// HubStore on PostgreSQL 15 through libpq (docs/design/0100-postgres-hub-store.md).
//
// Every method is one transaction on one connection of a small pool: no
// process mutex makes anything atomic, so several hub processes may share
// one database. Where two callers could race (leases, enrolment codes,
// folded alerts, sync log rows, epochs) the database serialises them: row
// locks (SELECT ... FOR UPDATE), INSERT ... ON CONFLICT, conditional
// UPDATEs whose row count is checked, and transaction-scoped advisory locks
// for rows that may not exist yet. Tables live in the schema "motcua",
// versioned in motcua.motcua_schema (migrations below, one transaction each).
#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <functional>
#include <mutex>

#include "motcua/sync/hub_store.hpp"
#include "sync_util.hpp"

namespace motcua::sync {

namespace {

// ---------------------------------------------------------------- schema

// Migration i (1-based) brings the schema from version i-1 to i. Append
// only; never edit one that has shipped.
const std::vector<const char*>& migrations() {
  static const std::vector<const char*> m = {
      // 1: the hub's bookkeeping as the SQLite store has it after its
      // migration "succession" (schema/src/migrations.cpp), in one go, plus
      // motcua.hub_lease_days: the last number leased per (agency, day), the
      // row lease() locks.
      R"SQL(
CREATE TABLE motcua.hub_points (
  name            TEXT COLLATE "C" PRIMARY KEY,
  area            TEXT NOT NULL,
  daily_capacity  BIGINT NOT NULL,
  lease_days      BIGINT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('pending', 'active', 'revoked')),
  public_key      BYTEA UNIQUE CHECK (octet_length(public_key) = 32),
  agency_code     TEXT NOT NULL DEFAULT '',
  created_ms      BIGINT NOT NULL,
  enrolled_ms     BIGINT NOT NULL DEFAULT 0,
  revoked_ms      BIGINT NOT NULL DEFAULT 0,
  pull_cursor     BIGINT NOT NULL DEFAULT 0,
  last_seen_ms    BIGINT NOT NULL DEFAULT 0,
  last_success_ms BIGINT NOT NULL DEFAULT 0,
  skew_ms         BIGINT NOT NULL DEFAULT 0,
  sent_cursor     BIGINT NOT NULL DEFAULT 0,
  place_name      TEXT NOT NULL DEFAULT '',
  epoch           TEXT NOT NULL DEFAULT '',
  quarantined_ms  BIGINT NOT NULL DEFAULT 0,
  acts            TEXT NOT NULL DEFAULT '',
  revoked_seq     BIGINT NOT NULL DEFAULT 0,
  revoked_id      BYTEA
);
CREATE TABLE motcua.hub_point_epochs (
  point    TEXT COLLATE "C" NOT NULL,
  epoch    TEXT NOT NULL,
  first_ms BIGINT NOT NULL,
  PRIMARY KEY (point, epoch)
);
CREATE TABLE motcua.hub_enrolment_codes (
  code_hash  BYTEA PRIMARY KEY CHECK (octet_length(code_hash) = 32),
  point      TEXT COLLATE "C" NOT NULL REFERENCES motcua.hub_points (name),
  expires_ms BIGINT NOT NULL,
  used_ms    BIGINT NOT NULL DEFAULT 0,
  code_id    TEXT NOT NULL DEFAULT '',
  enrol_key  BYTEA,
  used_by    BYTEA,
  replaces   BYTEA
);
CREATE INDEX hub_enrolment_codes_id ON motcua.hub_enrolment_codes (code_id);
CREATE TABLE motcua.hub_sessions (
  id         TEXT COLLATE "C" PRIMARY KEY,
  node       BYTEA NOT NULL,
  expires_ms BIGINT NOT NULL,
  counter    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX hub_sessions_expiry ON motcua.hub_sessions (expires_ms);
CREATE TABLE motcua.hub_lease_days (
  agency TEXT COLLATE "C" NOT NULL,
  day    TEXT COLLATE "C" NOT NULL,
  last   INTEGER NOT NULL CHECK (last BETWEEN 0 AND 9999),
  PRIMARY KEY (agency, day)
);
CREATE TABLE motcua.hub_leases (
  agency     TEXT COLLATE "C" NOT NULL,
  day        TEXT COLLATE "C" NOT NULL,
  first      INTEGER NOT NULL CHECK (first BETWEEN 1 AND 9999),
  last       INTEGER NOT NULL CHECK (last BETWEEN first AND 9999),
  point      TEXT COLLATE "C" NOT NULL,
  retired_ms BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (agency, day, first)
);
CREATE INDEX hub_leases_point ON motcua.hub_leases (point, day);
CREATE TABLE motcua.hub_successions (
  n           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  point       TEXT COLLATE "C" NOT NULL,
  old_key     BYTEA NOT NULL UNIQUE,
  new_key     BYTEA NOT NULL,
  revoked_seq BIGINT NOT NULL,
  revoked_id  BYTEA NOT NULL,
  at_ms       BIGINT NOT NULL,
  body        TEXT NOT NULL,
  sig         BYTEA NOT NULL
);
CREATE TABLE motcua.sync_log (
  id           TEXT COLLATE "C" PRIMARY KEY,
  point        TEXT COLLATE "C" NOT NULL,
  started_ms   BIGINT NOT NULL,
  ended_ms     BIGINT NOT NULL DEFAULT 0,
  entries_up   BIGINT NOT NULL DEFAULT 0,
  entries_down BIGINT NOT NULL DEFAULT 0,
  bytes_up     BIGINT NOT NULL DEFAULT 0,
  bytes_down   BIGINT NOT NULL DEFAULT 0,
  receipts     BIGINT NOT NULL DEFAULT 0,
  result       TEXT NOT NULL,
  error        TEXT NOT NULL DEFAULT '',
  skew_ms      BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX sync_log_started ON motcua.sync_log (started_ms);
CREATE INDEX sync_log_running ON motcua.sync_log (result) WHERE result = 'running';
CREATE TABLE motcua.sync_receipts (
  n           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  point       TEXT COLLATE "C" NOT NULL,
  author      BYTEA NOT NULL,
  upto_seq    BIGINT NOT NULL,
  entry       BYTEA NOT NULL,
  hub_time_ms BIGINT NOT NULL,
  body        TEXT NOT NULL,
  sig         BYTEA NOT NULL
);
CREATE INDEX sync_receipts_point ON motcua.sync_receipts (point, n);
CREATE INDEX sync_receipts_latest ON motcua.sync_receipts (point, author, n);
CREATE TABLE motcua.sync_alerts (
  n       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at_ms   BIGINT NOT NULL,
  point   TEXT COLLATE "C" NOT NULL,
  kind    TEXT COLLATE "C" NOT NULL,
  detail  TEXT NOT NULL,
  source  TEXT COLLATE "C" NOT NULL DEFAULT '',
  count   BIGINT NOT NULL DEFAULT 1,
  last_ms BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX sync_alerts_last ON motcua.sync_alerts (last_ms);
CREATE INDEX sync_alerts_fold ON motcua.sync_alerts (kind, source, point, at_ms);
CREATE TABLE motcua.sync_counters (
  name  TEXT COLLATE "C" NOT NULL,
  label TEXT COLLATE "C" NOT NULL,
  value BIGINT NOT NULL,
  PRIMARY KEY (name, label)
);
CREATE TABLE motcua.fork_evidence (
  n               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  author          BYTEA NOT NULL,
  seq             BIGINT NOT NULL,
  reporter        TEXT NOT NULL,
  at_ms           BIGINT NOT NULL,
  held_seq        BIGINT NOT NULL,
  held_id         BYTEA NOT NULL,
  other_id        BYTEA NOT NULL,
  other_canonical BYTEA,
  other_sig       BYTEA,
  UNIQUE (author, seq, other_id)
);
)SQL",
      // 2: the registry's generation (docs/design/0115), bumped by triggers
      // in the same transaction as any change to what the admission registry
      // is made of, so every hub process's cached registry and reference
      // data follow a change made by another.
      R"SQL(
INSERT INTO motcua.sync_counters (name, label, value) VALUES ('generation', 'registry', 1) ON CONFLICT DO NOTHING;
CREATE FUNCTION motcua.bump_registry_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE motcua.sync_counters SET value = value + 1 WHERE name = 'generation' AND label = 'registry';
  RETURN NULL;
END $$;
CREATE TRIGGER hub_points_generation AFTER INSERT OR DELETE OR UPDATE OF name, area, status, public_key,
  agency_code, acts, revoked_seq, revoked_id, place_name ON motcua.hub_points
  FOR EACH ROW EXECUTE FUNCTION motcua.bump_registry_generation();
CREATE TRIGGER hub_successions_generation AFTER INSERT OR DELETE OR UPDATE ON motcua.hub_successions
  FOR EACH ROW EXECUTE FUNCTION motcua.bump_registry_generation();
)SQL",
  };
  return m;
}

// pg_advisory_xact_lock key of the migrations ("motcua" in ASCII).
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(120243980121441)";

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
Arg txt(std::string s) { return Arg{std::move(s), false, false}; }
Arg num(int64_t n) { return Arg{std::to_string(n), false, false}; }
Arg raw(const std::string& s) { return Arg{s, true, false}; }
template <size_t N>
Arg raw(const std::array<uint8_t, N>& a) {
  return Arg{std::string(reinterpret_cast<const char*>(a.data()), N), true, false};
}
Arg null_arg() { return Arg{{}, false, true}; }

std::string trim(std::string s) {
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
  PGconn* c_;
};

bool is_unique_violation(const PgFailure& f) { return f.sqlstate == "23505"; }

// ---------------------------------------------------------------- rows

const char* kPointCols =
    "name, area, daily_capacity, lease_days, status, public_key, agency_code, created_ms, enrolled_ms, revoked_ms, "
    "pull_cursor, last_seen_ms, last_success_ms, skew_ms, sent_cursor, place_name, epoch, quarantined_ms, acts, "
    "revoked_seq, revoked_id";
const char* kLogCols =
    "id, point, started_ms, ended_ms, entries_up, entries_down, bytes_up, bytes_down, receipts, result, error, skew_ms";
const char* kAlertCols = "at_ms, point, kind, detail, source, count, last_ms";
const char* kSuccessionCols = "point, old_key, new_key, revoked_seq, revoked_id, at_ms, body, sig";

using util::join_acts;
using util::split_acts;

PointRecord read_point(const Rows& q, int i) {
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

SyncLogRow read_log(const Rows& q, int i) {
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

Alert read_alert(const Rows& q, int i) {
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

Succession read_succession(const Rows& q, int i) {
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

std::optional<PointRecord> point_where(Tx& tx, const char* where, const Arg& a) {
  Rows q = tx.exec(std::string("SELECT ") + kPointCols + " FROM motcua.hub_points WHERE " + where, {a});
  if (q.size() == 0) return std::nullopt;
  return read_point(q, 0);
}

void bump(Tx& tx, const std::string& name, const std::string& label, int64_t by) {
  if (by <= 0) return;  // counters never go down
  tx.exec(
      "INSERT INTO motcua.sync_counters (name, label, value) VALUES ($1, $2, $3) "
      "ON CONFLICT (name, label) DO UPDATE SET value = motcua.sync_counters.value + excluded.value",
      {txt(name), txt(label), num(by)});
}

void insert_alert(Tx& tx, const Alert& a) {
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
void lock_key(Tx& tx, const std::string& key) {
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
Result<ConnOptions> parse_conninfo(const std::string& conninfo) {
  char* err = nullptr;
  ConnOptions c;
  c.opts.reset(PQconninfoParse(conninfo.c_str(), &err));
  if (!c.opts) {
    // libpq's message quotes the offending part; it never holds a password
    // value on its own, but keep only its first line.
    std::string msg = err ? trim(err) : "out of memory";
    if (err) PQfreemem(err);
    return make_error("invalid_value", "the PostgreSQL connection string does not parse: " + msg, "conninfo");
  }
  if (!c.get("password").empty())
    return make_error("invalid_value",
                      "the PostgreSQL connection string must not carry a password: put it in PGPASSFILE or "
                      "~/.pgpass (or PGPASSWORD in the service's environment)",
                      "conninfo");
  return c;
}

}  // namespace

std::string describe_conninfo(const std::string& conninfo) {
  char* err = nullptr;
  ConnOptions c;
  c.opts.reset(PQconninfoParse(conninfo.c_str(), &err));
  if (err) PQfreemem(err);
  if (!c.opts) return "(a connection string that does not parse)";
  std::string out;
  for (const char* k : {"host", "hostaddr", "port", "dbname", "user"}) {
    const std::string v = c.get(k);
    if (!v.empty()) out += (out.empty() ? "" : " ") + std::string(k) + "=" + v;
  }
  return out.empty() ? "(libpq defaults)" : out;
}

namespace {

class PgHubStore final : public HubStore {
 public:
  explicit PgHubStore(std::string conninfo) : conninfo_(std::move(conninfo)) {
    auto parsed = parse_conninfo(conninfo_);
    if (!parsed.ok()) config_error_ = parsed.error();
    where_ = describe_conninfo(conninfo_);
  }
  ~PgHubStore() override {
    for (PGconn* c : idle_) PQfinish(c);
  }
  PgHubStore(const PgHubStore&) = delete;
  PgHubStore& operator=(const PgHubStore&) = delete;

  // Connects (and migrates) now: open_postgres_hub_store().
  Status check() {
    return run<Ok>([](Tx&) -> Result<Ok> { return Ok{}; });
  }

  Status add_point(const PointRecord& p) override {
    return run<Ok>([&](Tx& tx) -> Result<Ok> {
      Rows r = tx.exec(
          "INSERT INTO motcua.hub_points (name, area, daily_capacity, lease_days, status, created_ms, place_name, "
          "agency_code, acts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (name) DO NOTHING",
          {txt(p.name), txt(p.area), num(p.daily_capacity), num(p.lease_days),
           txt(p.status.empty() ? std::string("pending") : p.status), num(p.created_ms), txt(p.place_name),
           txt(p.agency_code), txt(join_acts(p.acts))});
      if (r.affected() == 0) return make_error("conflict", "a point named '" + p.name + "' already exists", "name");
      return Ok{};
    });
  }

  std::optional<PointRecord> point(const std::string& name) override {
    return must(run<std::optional<PointRecord>>([&](Tx& tx) -> Result<std::optional<PointRecord>> {
      return point_where(tx, "name = $1", txt(name));
    }));
  }

  std::optional<PointRecord> point_by_key(const PublicKey& key) override {
    return must(run<std::optional<PointRecord>>([&](Tx& tx) -> Result<std::optional<PointRecord>> {
      return point_where(tx, "public_key = $1", raw(key));
    }));
  }

  std::vector<PointRecord> points() override {
    return must(run<std::vector<PointRecord>>([&](Tx& tx) -> Result<std::vector<PointRecord>> {
      Rows q = tx.exec(std::string("SELECT ") + kPointCols + " FROM motcua.hub_points ORDER BY name");
      std::vector<PointRecord> out;
      for (int i = 0; i < q.size(); ++i) out.push_back(read_point(q, i));
      return out;
    }));
  }

  Status revoke_point(const std::string& name, int64_t now_ms, int64_t seq, const Hash32& id) override {
    return run<Ok>([&](Tx& tx) -> Result<Ok> {
      Rows r = tx.exec(
          "UPDATE motcua.hub_points SET revoked_ms = CASE WHEN status = 'revoked' THEN revoked_ms ELSE $1 END, "
          "revoked_seq = CASE WHEN status = 'revoked' THEN revoked_seq ELSE $2 END, "
          "revoked_id = CASE WHEN status = 'revoked' THEN revoked_id ELSE $3 END, "
          "status = 'revoked' WHERE name = $4",
          {num(now_ms), num(seq), raw(id), txt(name)});
      if (r.affected() == 0) return make_error("not_found", "no point named '" + name + "'", "name");
      return Ok{};
    });
  }

  Status set_point_status(const std::string& name, const std::string& status) override {
    if (status != "active" && status != "quarantined")
      return make_error("invalid_value", "a point's status can be set to active or quarantined", "status");
    return run<Ok>([&](Tx& tx) -> Result<Ok> {
      Rows get = tx.exec("SELECT status FROM motcua.hub_points WHERE name = $1 FOR UPDATE", {txt(name)});
      if (get.size() == 0) return make_error("not_found", "no point named '" + name + "'", "name");
      if (get.str(0, 0) == "revoked") return make_error("conflict", "point '" + name + "' is revoked", "name");
      tx.exec(
          "UPDATE motcua.hub_points SET status = 'active', "
          "quarantined_ms = CASE WHEN $1 THEN GREATEST(quarantined_ms, 1) ELSE 0 END WHERE name = $2",
          {txt(status == "quarantined" ? "true" : "false"), txt(name)});
      return Ok{};
    });
  }

  void note_contact(const std::string& name, int64_t now_ms, int64_t skew_ms) override {
    write("UPDATE motcua.hub_points SET last_seen_ms = $1, skew_ms = $2 WHERE name = $3",
          {num(now_ms), num(skew_ms), txt(name)});
  }

  void note_success(const std::string& name, int64_t now_ms) override {
    write("UPDATE motcua.hub_points SET last_success_ms = $1 WHERE name = $2", {num(now_ms), txt(name)});
  }

  void set_pull_cursor(const std::string& name, int64_t pos) override {
    write("UPDATE motcua.hub_points SET pull_cursor = $1, sent_cursor = $1 WHERE name = $2 AND pull_cursor <= $1",
          {num(pos), txt(name)});
  }

  void reset_pull_cursor(const std::string& name, int64_t pos) override {
    write("UPDATE motcua.hub_points SET pull_cursor = $1, sent_cursor = $1 WHERE name = $2", {num(pos), txt(name)});
  }

  std::string note_point_epoch(const std::string& name, const std::string& epoch, int64_t now_ms) override {
    return must(run<std::string>([&](Tx& tx) -> Result<std::string> {
      Rows cur = tx.exec("SELECT epoch FROM motcua.hub_points WHERE name = $1 FOR UPDATE", {txt(name)});
      if (cur.size() == 0) return std::string("retired");  // no such point: change nothing
      if (cur.str(0, 0) == epoch) return std::string("current");
      Rows ins = tx.exec(
          "INSERT INTO motcua.hub_point_epochs (point, epoch, first_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
          {txt(name), txt(epoch), num(now_ms)});
      if (ins.affected() == 0) return std::string("retired");
      tx.exec("UPDATE motcua.hub_points SET epoch = $1 WHERE name = $2", {txt(epoch), txt(name)});
      return std::string("new");
    }));
  }

  void set_sent_cursor(const std::string& name, int64_t pos) override {
    write("UPDATE motcua.hub_points SET sent_cursor = GREATEST(pull_cursor, $1) WHERE name = $2", {num(pos), txt(name)});
  }

  Status add_enrolment_code(const Hash32& code_hash, const std::string& code_id, const Hash32& enrol_key,
                            const std::string& point, int64_t expires_ms,
                            const std::optional<PublicKey>& replaces) override {
    return run<Ok>([&](Tx& tx) -> Result<Ok> {
      try {
        tx.exec("SAVEPOINT add_code");
        tx.exec(
            "INSERT INTO motcua.hub_enrolment_codes (code_hash, point, expires_ms, code_id, enrol_key, replaces) "
            "VALUES ($1, $2, $3, $4, $5, $6)",
            {raw(code_hash), txt(point), num(expires_ms), txt(code_id), raw(enrol_key),
             replaces ? raw(*replaces) : null_arg()});
      } catch (const PgFailure& f) {
        // 23505: the same code twice; 23503: no such point.
        if (f.sqlstate.rfind("23", 0) != 0) throw;
        return make_error("conflict", "cannot store the enrolment code: " + f.message);
      }
      return Ok{};
    });
  }

  std::vector<EnrolmentCodeRecord> enrolment_codes(const std::string& code_id) override {
    return must(run<std::vector<EnrolmentCodeRecord>>([&](Tx& tx) -> Result<std::vector<EnrolmentCodeRecord>> {
      Rows q = tx.exec(
          "SELECT code_hash, code_id, enrol_key, point, expires_ms, used_ms, used_by, replaces "
          "FROM motcua.hub_enrolment_codes WHERE code_id = $1 LIMIT 16",
          {txt(code_id)});
      std::vector<EnrolmentCodeRecord> out;
      for (int i = 0; i < q.size(); ++i) {
        EnrolmentCodeRecord c;
        c.code_hash = q.arr0<32>(i, 0);
        c.code_id = q.str(i, 1);
        c.enrol_key = q.arr0<32>(i, 2);
        c.point = q.str(i, 3);
        c.expires_ms = q.i64(i, 4);
        c.used_ms = q.i64(i, 5);
        c.used_by = q.arr<32>(i, 6);
        c.replaces = q.arr<32>(i, 7);
        out.push_back(std::move(c));
      }
      return out;
    }));
  }

  // The code's row and its point's row are locked (FOR UPDATE) before they
  // are checked: a second enrolment with the same code waits, then sees it
  // used. The UPDATE of the code is conditional on used_ms = 0 as well.
  Result<PointRecord> enrol(const Hash32& code_hash, const PublicKey& key, int64_t now_ms) override {
    return run<PointRecord>([&](Tx& tx) -> Result<PointRecord> {
      Rows q = tx.exec(
          "SELECT c.point, c.expires_ms, c.used_ms, p.status, c.replaces FROM motcua.hub_enrolment_codes c "
          "JOIN motcua.hub_points p ON p.name = c.point WHERE c.code_hash = $1 FOR UPDATE",
          {raw(code_hash)});
      if (q.size() == 0) return make_error("enrolment_refused", "unknown enrolment code", "code");
      const std::string name = q.str(0, 0);
      if (!q.null(0, 4))
        return make_error("enrolment_refused", "this code replaces a point's key (restore --from-hub)", "code");
      if (q.i64(0, 2) != 0) return make_error("enrolment_refused", "this enrolment code was already used", "code");
      if (now_ms > q.i64(0, 1)) return make_error("enrolment_refused", "this enrolment code has expired", "code");
      if (q.str(0, 3) == "revoked") return make_error("enrolment_refused", "point '" + name + "' is revoked", "code");
      Rows other = tx.exec("SELECT name FROM motcua.hub_points WHERE public_key = $1 AND name <> $2",
                           {raw(key), txt(name)});
      if (other.size() > 0)
        return make_error("enrolment_refused", "this node key is already enrolled as '" + other.str(0, 0) + "'");
      Rows use = tx.exec(
          "UPDATE motcua.hub_enrolment_codes SET used_ms = $1, used_by = $2 WHERE code_hash = $3 AND used_ms = 0",
          {num(now_ms), raw(key), raw(code_hash)});
      if (use.affected() != 1) return make_error("enrolment_refused", "this enrolment code was already used", "code");
      try {
        tx.exec("SAVEPOINT bind_key");
        tx.exec(
            "UPDATE motcua.hub_points SET public_key = $1, status = 'active', enrolled_ms = $2, "
            "pull_cursor = 0, sent_cursor = 0 WHERE name = $3",
            {raw(key), num(now_ms), txt(name)});
      } catch (const PgFailure& f) {
        // Another point enrolled the same key at the same moment.
        if (!is_unique_violation(f)) throw;
        return make_error("enrolment_refused", "this node key is already enrolled as another point");
      }
      return *point_where(tx, "name = $1", txt(name));
    });
  }

  Result<PointRecord> succeed(const Hash32& code_hash, const Succession& sc) override {
    return run<PointRecord>([&](Tx& tx) -> Result<PointRecord> {
      Rows q = tx.exec(
          "SELECT c.point, c.expires_ms, c.used_ms, p.status, c.replaces, p.public_key "
          "FROM motcua.hub_enrolment_codes c JOIN motcua.hub_points p ON p.name = c.point "
          "WHERE c.code_hash = $1 FOR UPDATE",
          {raw(code_hash)});
      if (q.size() == 0) return make_error("enrolment_refused", "unknown enrolment code", "code");
      const std::string name = q.str(0, 0);
      if (name != sc.point) return make_error("enrolment_refused", "this code is for another point", "code");
      if (q.i64(0, 2) != 0) return make_error("enrolment_refused", "this enrolment code was already used", "code");
      if (sc.at_ms > q.i64(0, 1)) return make_error("enrolment_refused", "this enrolment code has expired", "code");
      if (q.arr<32>(0, 4) != std::optional<PublicKey>(sc.old_key))
        return make_error("enrolment_refused", "this code does not replace the key given", "code");
      if (q.arr<32>(0, 5) != std::optional<PublicKey>(sc.old_key))
        return make_error("enrolment_refused",
                          "point '" + name + "' no longer has the key this code replaces (another replacement was used)",
                          "code");
      Rows other = tx.exec("SELECT name FROM motcua.hub_points WHERE public_key = $1", {raw(sc.new_key)});
      if (other.size() > 0)
        return make_error("enrolment_refused", "this node key is already enrolled as '" + other.str(0, 0) + "'");
      Rows former = tx.exec("SELECT point FROM motcua.hub_successions WHERE old_key = $1", {raw(sc.new_key)});
      if (former.size() > 0)
        return make_error("enrolment_refused", "this node key is a former key of point '" + former.str(0, 0) + "'");
      Rows use = tx.exec(
          "UPDATE motcua.hub_enrolment_codes SET used_ms = $1, used_by = $2 WHERE code_hash = $3 AND used_ms = 0",
          {num(sc.at_ms), raw(sc.new_key), raw(code_hash)});
      if (use.affected() != 1) return make_error("enrolment_refused", "this enrolment code was already used", "code");
      try {
        tx.exec("SAVEPOINT succeed");
        tx.exec(
            "INSERT INTO motcua.hub_successions (point, old_key, new_key, revoked_seq, revoked_id, at_ms, body, sig) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            {txt(sc.point), raw(sc.old_key), raw(sc.new_key), num(sc.revoked_seq), raw(sc.revoked_id), num(sc.at_ms),
             txt(sc.body), raw(sc.sig)});
        // The old key may have minted numbers of any of these blocks offline:
        // none of them is ever given to anyone again (lease() counts them).
        tx.exec("UPDATE motcua.hub_leases SET retired_ms = $1 WHERE point = $2 AND retired_ms = 0",
                {num(sc.at_ms), txt(sc.point)});
        tx.exec(
            "UPDATE motcua.hub_points SET public_key = $1, status = 'active', enrolled_ms = $2, revoked_ms = 0, "
            "revoked_seq = 0, revoked_id = NULL, quarantined_ms = 0, epoch = '', "
            "pull_cursor = 0, sent_cursor = 0 WHERE name = $3",
            {raw(sc.new_key), num(sc.at_ms), txt(sc.point)});
      } catch (const PgFailure& f) {
        if (!is_unique_violation(f)) throw;
        return make_error("enrolment_refused", "this node key is already enrolled or a former key");
      }
      return *point_where(tx, "name = $1", txt(sc.point));
    });
  }

  std::vector<Succession> successions(const std::string& point) override {
    return must(run<std::vector<Succession>>([&](Tx& tx) -> Result<std::vector<Succession>> {
      Rows q = tx.exec(std::string("SELECT ") + kSuccessionCols +
                           " FROM motcua.hub_successions WHERE $1 = '' OR point = $1 ORDER BY n",
                       {txt(point)});
      std::vector<Succession> out;
      for (int i = 0; i < q.size(); ++i) out.push_back(read_succession(q, i));
      return out;
    }));
  }

  std::optional<Succession> succession_of(const PublicKey& old_key) override {
    return must(run<std::optional<Succession>>([&](Tx& tx) -> Result<std::optional<Succession>> {
      Rows q = tx.exec(std::string("SELECT ") + kSuccessionCols + " FROM motcua.hub_successions WHERE old_key = $1",
                       {raw(old_key)});
      if (q.size() == 0) return std::optional<Succession>();
      return std::optional<Succession>(read_succession(q, 0));
    }));
  }

  void open_session(const std::string& id, const PublicKey& key, int64_t expires_ms) override {
    // As SQLite's INSERT OR REPLACE: a reopened id starts again at counter 0.
    write(
        "INSERT INTO motcua.hub_sessions (id, node, expires_ms) VALUES ($1, $2, $3) "
        "ON CONFLICT (id) DO UPDATE SET node = excluded.node, expires_ms = excluded.expires_ms, counter = 0",
        {txt(id), raw(key), num(expires_ms)});
  }

  bool session_valid(const std::string& id, const PublicKey& key, int64_t now_ms) override {
    return must(run<bool>([&](Tx& tx) -> Result<bool> {
      Rows q = tx.exec("SELECT node, expires_ms FROM motcua.hub_sessions WHERE id = $1", {txt(id)});
      if (q.size() == 0) return false;
      return q.arr<32>(0, 0) == std::optional<PublicKey>(key) && now_ms <= q.i64(0, 1);
    }));
  }

  int64_t session_counter(const std::string& id) override {
    return must(run<int64_t>([&](Tx& tx) -> Result<int64_t> {
      Rows q = tx.exec("SELECT counter FROM motcua.hub_sessions WHERE id = $1", {txt(id)});
      return q.size() ? q.i64(0, 0) : int64_t{0};
    }));
  }

  void set_session_counter(const std::string& id, int64_t counter) override {
    // Not a disk sync per request (as the SQLite store): the hub checks
    // counters in memory; this row only carries them across a restart.
    must(run<Ok>(
        [&](Tx& tx) -> Result<Ok> {
          tx.exec("SET LOCAL synchronous_commit = off");
          tx.exec("UPDATE motcua.hub_sessions SET counter = GREATEST(counter, $1) WHERE id = $2",
                  {num(counter), txt(id)});
          return Ok{};
        }));
  }

  void prune(int64_t now_ms) override {
    write("DELETE FROM motcua.hub_sessions WHERE expires_ms < $1", {num(now_ms)});
  }

  // The (agency, day) row of hub_lease_days is created if missing (ON
  // CONFLICT DO NOTHING) and locked (FOR UPDATE): a second lease of the same
  // day, from this process or another, waits for this transaction and then
  // reads the number this one leased last.
  Result<Lease> lease(const std::string& agency, const std::string& day, const std::string& point,
                      int count) override {
    return run<Lease>([&](Tx& tx) -> Result<Lease> {
      tx.exec(
          "INSERT INTO motcua.hub_lease_days (agency, day, last) "
          "SELECT $1, $2, COALESCE(max(last), 0) FROM motcua.hub_leases WHERE agency = $1 AND day = $2 "
          "ON CONFLICT (agency, day) DO NOTHING",
          {txt(agency), txt(day)});
      Rows q = tx.exec("SELECT last FROM motcua.hub_lease_days WHERE agency = $1 AND day = $2 FOR UPDATE",
                       {txt(agency), txt(day)});
      const int next = static_cast<int>(q.i64(0, 0)) + 1;
      if (next > 9999 || count <= 0)
        return make_error("sequence_exhausted", "no dossier numbers left for " + agency + " on " + day);
      Lease l{agency, day, next, std::min(9999, next + count - 1), point};
      tx.exec("UPDATE motcua.hub_lease_days SET last = $3 WHERE agency = $1 AND day = $2",
              {txt(agency), txt(day), num(l.last)});
      tx.exec("INSERT INTO motcua.hub_leases (agency, day, first, last, point) VALUES ($1, $2, $3, $4, $5)",
              {txt(agency), txt(day), num(l.first), num(l.last), txt(point)});
      return l;
    });
  }

  std::vector<Lease> leases_of(const std::string& point, const std::string& from_day) override {
    return must(run<std::vector<Lease>>([&](Tx& tx) -> Result<std::vector<Lease>> {
      Rows q = tx.exec(
          "SELECT agency, day, first, last, point FROM motcua.hub_leases WHERE point = $1 AND day >= $2 "
          "AND retired_ms = 0 ORDER BY day, first",
          {txt(point), txt(from_day)});
      std::vector<Lease> out;
      for (int i = 0; i < q.size(); ++i)
        out.push_back(Lease{q.str(i, 0), q.str(i, 1), static_cast<int>(q.i64(i, 2)), static_cast<int>(q.i64(i, 3)),
                            q.str(i, 4)});
      return out;
    }));
  }

  void add_receipt(const ReceiptRecord& r) override {
    must(run<Ok>([&](Tx& tx) -> Result<Ok> {
      tx.exec(
          "INSERT INTO motcua.sync_receipts (point, author, upto_seq, entry, hub_time_ms, body, sig) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7)",
          {txt(r.point), raw(r.author), num(r.upto_seq), raw(r.entry), num(r.hub_time_ms), txt(r.body), raw(r.sig)});
      bump(tx, "receipts", "", 1);
      return Ok{};
    }));
  }

  std::vector<ReceiptRecord> receipts(const std::string& point, size_t limit) override {
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
  void put_session(const SyncLogRow& given) override {
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

  std::vector<SyncLogRow> sessions(const std::string& point, int64_t since_ms, size_t limit) override {
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

  std::vector<SyncLogRow> sessions_where(const SyncLogQuery& f) override {
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

  std::optional<SyncLogRow> session(const std::string& id) override {
    return must(run<std::optional<SyncLogRow>>([&](Tx& tx) -> Result<std::optional<SyncLogRow>> {
      Rows q = tx.exec(std::string("SELECT ") + kLogCols + " FROM motcua.sync_log WHERE id = $1", {txt(id)});
      if (q.size() == 0) return std::optional<SyncLogRow>();
      return std::optional<SyncLogRow>(read_log(q, 0));
    }));
  }

  void add_alert(const Alert& a) override {
    must(run<Ok>([&](Tx& tx) -> Result<Ok> {
      insert_alert(tx, a);
      return Ok{};
    }));
  }

  // Folds of one (kind, source, point) are serialised by an advisory lock,
  // so two hub processes never both find no alert and insert two.
  int64_t fold_alert(const Alert& a, int64_t since_ms) override {
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

  std::vector<Alert> alerts(const std::string& point, int64_t since_ms) override {
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
  bool add_fork_evidence(const ForkEvidence& f) override {
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

  std::vector<ForkEvidence> fork_evidence(const std::optional<PublicKey>& author, size_t limit) override {
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

  SyncCounters counters() override {
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

  void add_to_counter(const std::string& name, int64_t by) override {
    must(run<Ok>([&](Tx& tx) -> Result<Ok> {
      bump(tx, name, "", by);
      return Ok{};
    }));
  }

  RetentionReport apply_retention(const RetentionPolicy& p) override {
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

 private:
  // One statement as its own unit of work, for the void methods.
  void write(const char* sql, std::vector<Arg> args) {
    must(run<Ok>([&](Tx& tx) -> Result<Ok> {
      tx.exec(sql, args);
      return Ok{};
    }));
  }

  template <class T>
  static T must(Result<T> r) {
    if (!r.ok()) throw HubStoreFailure(r.error());
    return std::move(r).value();
  }

  // The codes of a failure: the connection is gone or the server cannot
  // serve ("storage", 503), a lock or statement timed out ("storage_busy"),
  // the disk is full ("storage_full"); anything else is a bug or a damaged
  // database ("database_error", 500). Messages name the server, never a
  // password (the connection string holds none).
  Error failure_error(const PgFailure& f, PGconn* c) const {
    const std::string& s = f.sqlstate;
    const bool lost = s.empty() || c == nullptr || PQstatus(c) != CONNECTION_OK || (s.rfind("08", 0) == 0 && s != "08P01") ||
                      s.rfind("57P", 0) == 0;
    if (lost) return make_error("storage", "PostgreSQL (" + where_ + ") is not reachable: " + f.message);
    if (s == "53100") return make_error("storage_full", "PostgreSQL (" + where_ + ") has no disk space left: " + f.message);
    if (s == "55P03" || s == "57014") return make_error("storage_busy", "PostgreSQL (" + where_ + ") is busy: " + f.message);
    if (s.rfind("53", 0) == 0) return make_error("storage", "PostgreSQL (" + where_ + ") is out of resources: " + f.message);
    return make_error("database_error", "PostgreSQL (" + where_ + "): " + f.message + " [" + s + "]");
  }

  Result<PGconn*> connect() {
    // Defaults first: the connection string may override them.
    const char* keys[] = {"connect_timeout", "fallback_application_name", "options", "dbname", nullptr};
    const char* vals[] = {"10", "motcua-hub", "-c lock_timeout=10000", conninfo_.c_str(), nullptr};
    PGconn* c = PQconnectdbParams(keys, vals, 1);
    if (!c) return make_error("storage", "PostgreSQL (" + where_ + "): out of memory");
    if (PQstatus(c) != CONNECTION_OK) {
      Error e = make_error("storage", "cannot connect to PostgreSQL (" + where_ + "): " + trim(PQerrorMessage(c)));
      PQfinish(c);
      return e;
    }
    PQsetClientEncoding(c, "UTF8");
    // The server's notices ("schema motcua already exists, skipping") are
    // not for the hub's log.
    PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
    return c;
  }

  // Brings the schema up to date, each migration in its own transaction
  // under an advisory lock, so hub processes starting together migrate once.
  Status migrate(PGconn* c) {
    Tx tx(c);
    try {
      const int known = static_cast<int>(migrations().size());
      for (;;) {
        tx.exec("BEGIN");
        tx.exec(kMigrationLock);
        tx.exec("CREATE SCHEMA IF NOT EXISTS motcua");
        tx.exec("CREATE TABLE IF NOT EXISTS motcua.motcua_schema (version INTEGER NOT NULL)");
        Rows v = tx.exec("SELECT version FROM motcua.motcua_schema");
        if (v.size() == 0) tx.exec("INSERT INTO motcua.motcua_schema (version) VALUES (0)");
        const int version = v.size() ? static_cast<int>(v.i64(0, 0)) : 0;
        if (version > known) {
          tx.exec("ROLLBACK");
          return make_error("storage", "the PostgreSQL schema motcua (" + where_ + ") is at version " +
                                           std::to_string(version) + ", newer than this motcua knows (" +
                                           std::to_string(known) + "): upgrade motcua");
        }
        if (version == known) {
          tx.exec("COMMIT");
          return ok_status();
        }
        tx.script(migrations()[static_cast<size_t>(version)]);
        tx.exec("UPDATE motcua.motcua_schema SET version = $1", {num(version + 1)});
        tx.exec("COMMIT");
      }
    } catch (const PgFailure& f) {
      if (PQtransactionStatus(c) != PQTRANS_IDLE) PQclear(PQexec(c, "ROLLBACK"));
      return failure_error(f, c);
    }
  }

  Result<PGconn*> acquire() {
    {
      std::lock_guard<std::mutex> g(mu_);
      if (!idle_.empty()) {
        PGconn* c = idle_.back();
        idle_.pop_back();
        return c;
      }
    }
    auto c = connect();
    if (!c.ok()) return c.error();
    bool migrated;
    {
      std::lock_guard<std::mutex> g(mu_);
      migrated = migrated_;
    }
    if (!migrated) {
      Status s = migrate(*c);
      if (!s.ok()) {
        PQfinish(*c);
        return s.error();
      }
      std::lock_guard<std::mutex> g(mu_);
      migrated_ = true;
    }
    return c;
  }

  void drop_idle() {
    std::vector<PGconn*> all;
    {
      std::lock_guard<std::mutex> g(mu_);
      all.swap(idle_);
    }
    for (PGconn* c : all) PQfinish(c);
  }

  void release(PGconn* c) {
    if (PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) == PQTRANS_IDLE) {
      std::lock_guard<std::mutex> g(mu_);
      if (idle_.size() < kMaxIdle) {
        idle_.push_back(c);
        return;
      }
    }
    PQfinish(c);
  }

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

 public:
  // Kept by the triggers of migration 2 on hub_points and hub_successions.
  int64_t registry_generation() override {
    return must(run<int64_t>([&](Tx& tx) -> Result<int64_t> {
      Rows q = tx.exec("SELECT value FROM motcua.sync_counters WHERE name = 'generation' AND label = 'registry'");
      return q.size() ? q.i64(0, 0) : int64_t{-1};
    }));
  }
};

}  // namespace

std::unique_ptr<HubStore> make_postgres_hub_store(const std::string& conninfo) {
  return std::make_unique<PgHubStore>(conninfo);
}

Result<std::unique_ptr<HubStore>> open_postgres_hub_store(const std::string& conninfo) {
  auto s = std::make_unique<PgHubStore>(conninfo);
  Status ok = s->check();
  if (!ok.ok()) return ok.error();
  return std::unique_ptr<HubStore>(std::move(s));
}

}  // namespace motcua::sync
