// PostgreSQL HubStore (hub_store_pg.hpp): the schema and its migrations,
// connection strings, the connection pool and units of work.
#include <atomic>

#include "hub_store_pg.hpp"

namespace motcua::sync::pg_store {

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
      // 3: what the plans test found reading whole tables (docs/design/0115,
      // "PostgreSQL plans"): retention's receipts by hub_time_ms (the SQLite
      // store's sync_receipts_time), and one point's sync log and alerts
      // (a point's audit view: motcua audit --point, GET /api/v1/audit/sync-log).
      R"SQL(
CREATE INDEX sync_receipts_time ON motcua.sync_receipts (hub_time_ms);
CREATE INDEX sync_log_point ON motcua.sync_log (point, started_ms);
CREATE INDEX sync_alerts_point ON motcua.sync_alerts (point, last_ms);
)SQL",
  };
  return m;
}

// pg_advisory_xact_lock key of the migrations ("motcua" in ASCII).
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(120243980121441)";


// ---------------------------------------------------------------- conninfo

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

PgHubStore::PgHubStore(std::string conninfo) : conninfo_(std::move(conninfo)) {
  auto parsed = parse_conninfo(conninfo_);
  if (!parsed.ok()) config_error_ = parsed.error();
  where_ = describe_conninfo(conninfo_);
}

PgHubStore::PgHubStore(std::string conninfo, Error unusable)
    : conninfo_(std::move(conninfo)), config_error_(std::move(unusable)) {
  where_ = describe_conninfo(conninfo_);
}

PgHubStore::~PgHubStore() {
  for (PGconn* c : idle_) PQfinish(c);
}

// Connects (and migrates) now: open_postgres_hub_store().
Status PgHubStore::check() {
  return run<Ok>([](Tx&) -> Result<Ok> { return Ok{}; });
}

// One statement as its own unit of work, for the void methods.
void PgHubStore::write(const char* sql, std::vector<Arg> args) {
  must(run<Ok>([&](Tx& tx) -> Result<Ok> {
    tx.exec(sql, args);
    return Ok{};
  }));
}

// The codes of a failure: the connection is gone or the server cannot
// serve ("storage", 503), a lock or statement timed out ("storage_busy"),
// the disk is full ("storage_full"); anything else is a bug or a damaged
// database ("database_error", 500). Messages name the server, never a
// password (the connection string holds none).
Error PgHubStore::failure_error(const PgFailure& f, PGconn* c) const {
  const std::string& s = f.sqlstate;
  const bool lost = s.empty() || c == nullptr || PQstatus(c) != CONNECTION_OK || (s.rfind("08", 0) == 0 && s != "08P01") ||
                    s.rfind("57P", 0) == 0;
  if (lost) return make_error("storage", "PostgreSQL (" + where_ + ") is not reachable: " + f.message);
  if (s == "53100") return make_error("storage_full", "PostgreSQL (" + where_ + ") has no disk space left: " + f.message);
  if (s == "55P03" || s == "57014") return make_error("storage_busy", "PostgreSQL (" + where_ + ") is busy: " + f.message);
  if (s.rfind("53", 0) == 0) return make_error("storage", "PostgreSQL (" + where_ + ") is out of resources: " + f.message);
  return make_error("database_error", "PostgreSQL (" + where_ + "): " + f.message + " [" + s + "]");
}

Result<PGconn*> PgHubStore::connect() {
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
Status PgHubStore::migrate(PGconn* c) {
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

Result<PGconn*> PgHubStore::acquire() {
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

void PgHubStore::drop_idle() {
  std::vector<PGconn*> all;
  {
    std::lock_guard<std::mutex> g(mu_);
    all.swap(idle_);
  }
  for (PGconn* c : all) PQfinish(c);
}

void PgHubStore::release(PGconn* c) {
  if (PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) == PQTRANS_IDLE) {
    std::lock_guard<std::mutex> g(mu_);
    if (idle_.size() < kMaxIdle) {
      idle_.push_back(c);
      return;
    }
  }
  PQfinish(c);
}

}  // namespace motcua::sync::pg_store

namespace motcua::sync {

using pg_store::ConnOptions;
using pg_store::PgHubStore;

namespace {
struct StatementRecorder {
  std::atomic<bool> on{false};
  std::mutex mu;
  std::function<void(const PgStatement&)> f;
};
StatementRecorder& statement_recorder() {
  static StatementRecorder* r = new StatementRecorder;  // never destroyed, as pg_cache()
  return *r;
}
}  // namespace

void set_pg_statement_recorder(std::function<void(const PgStatement&)> recorder) {
  StatementRecorder& r = statement_recorder();
  std::lock_guard<std::mutex> g(r.mu);
  r.on = static_cast<bool>(recorder);
  r.f = std::move(recorder);
}

bool pg_statement_recorder_on() { return statement_recorder().on.load(std::memory_order_relaxed); }

void record_pg_statement(const PgStatement& s) {
  StatementRecorder& r = statement_recorder();
  std::function<void(const PgStatement&)> f;
  {
    std::lock_guard<std::mutex> g(r.mu);
    f = r.f;
  }
  if (f) f(s);
}

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

Status check_conninfo(const std::string& conninfo) {
  auto parsed = pg_store::parse_conninfo(conninfo);
  if (!parsed.ok()) return parsed.error();
  return ok_status();
}

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
