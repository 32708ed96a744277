// The plans of the PostgreSQL store's and shared log's statements
// (docs/design/0115, "PostgreSQL plans"): what a hub on PostgreSQL sends
// during enrolment, sessions (hello, push, pull, receipts, leases), /metrics,
// status, the audit views, retention, another process catching up on the
// journal and a fork report is recorded
// (sync::set_pg_statement_recorder), then each statement is planned again by
// EXPLAIN (FORMAT JSON) with the parameters it was sent with, on tables
// holding thousands of rows (ANALYZEd). No plan may read a history-sized
// table with a Seq Scan. Needs MOTCUA_TEST_POSTGRES (see hub_store_pg_test.cpp).
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <mutex>
#include <set>

#include "motcua/sync/agent.hpp"
#include "motcua/sync/hub.hpp"
#include "motcua/sync/hub_log.hpp"
#include "motcua/sync/hub_store.hpp"
#include "motcua/sync/retention.hpp"
#include "pg_test_db.hpp"
#include "sync_test_util.hpp"

using namespace motcua;
using namespace motcua::test;

namespace {

// A database for the test, dropped at the end.
struct PlanDb : PgScratchDb {
  PlanDb() : PgScratchDb("motcua_plans") {}
};

// Every distinct statement (SQL and parameters) sent while alive.
class Recorder {
 public:
  Recorder() {
    sync::set_pg_statement_recorder([this](const sync::PgStatement& s) {
      std::string key = s.sql;
      for (size_t i = 0; i < s.params.size(); ++i) key += "\n" + (s.params[i] ? *s.params[i] : std::string("NULL"));
      std::lock_guard<std::mutex> g(mu_);
      if (keys_.insert(key).second) seen_.push_back(s);
    });
  }
  ~Recorder() { sync::set_pg_statement_recorder(nullptr); }
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;
  std::vector<sync::PgStatement> take() {
    sync::set_pg_statement_recorder(nullptr);
    std::lock_guard<std::mutex> g(mu_);
    return std::move(seen_);
  }

 private:
  std::mutex mu_;
  std::set<std::string> keys_;
  std::vector<sync::PgStatement> seen_;
};

// Tables whose size follows the history (entries, sessions, receipts,
// leases, codes, alerts...). Not listed: hub_points, hub_point_epochs,
// hub_successions and hub_heads (one or a few rows per point or author),
// sync_counters (a row per counter) and the schema version tables.
const std::set<std::string>& history_tables() {
  static const std::set<std::string> t = {"hub_journal",   "hub_quarantine",      "sync_receipts", "sync_log",
                                          "sync_alerts",   "hub_sessions",        "hub_leases",    "hub_lease_days",
                                          "hub_enrolment_codes", "fork_evidence"};
  return t;
}

// Statements EXPLAIN plans (not BEGIN, COMMIT, SET, SAVEPOINT...).
bool plannable(const std::string& sql) {
  for (const char* verb : {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"})
    if (sql.rfind(verb, 0) == 0) return true;
  return false;
}

void seq_scans(const Json& plan, std::vector<std::string>& out) {
  if (!plan.is_object()) return;
  if (plan.value("Node Type", "") == "Seq Scan" && history_tables().count(plan.value("Relation Name", "")))
    out.push_back(plan.value("Relation Name", ""));
  if (plan.contains("Plans"))
    for (const auto& p : plan["Plans"]) seq_scans(p, out);
}

// "" when no plan reads a history-sized table in full; else each statement
// with its plan.
std::string check_plans(const std::string& conninfo, const std::vector<sync::PgStatement>& statements,
                        size_t* planned) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    std::string e = PQerrorMessage(c);
    PQfinish(c);
    return "cannot connect: " + e;
  }
  std::string bad;
  *planned = 0;
  for (const auto& s : statements) {
    if (!plannable(s.sql)) continue;
    std::vector<const char*> values(s.params.size());
    std::vector<int> lengths(s.params.size()), formats(s.params.size());
    for (size_t i = 0; i < s.params.size(); ++i) {
      values[i] = s.params[i] ? s.params[i]->data() : nullptr;
      lengths[i] = s.params[i] ? static_cast<int>(s.params[i]->size()) : 0;
      formats[i] = s.binary[i] ? 1 : 0;
    }
    const std::string sql = "EXPLAIN (FORMAT JSON) " + s.sql;
    PGresult* r = PQexecParams(c, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                               lengths.data(), formats.data(), 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
      bad += "\n  " + s.sql + "\n    -> EXPLAIN failed: " + PQresultErrorMessage(r);
      PQclear(r);
      continue;
    }
    ++*planned;
    const Json plan = Json::parse(PQgetvalue(r, 0, 0));
    PQclear(r);
    std::vector<std::string> scans;
    seq_scans(plan.at(0).at("Plan"), scans);
    if (scans.empty()) continue;
    bad += "\n  " + s.sql + "\n    -> Seq Scan on";
    for (const auto& t : scans) bad += " " + t;
    bad += "\n    " + plan.dump();
  }
  PQfinish(c);
  return bad;
}

constexpr int64_t kDay = 86'400'000;

// Bookkeeping as a province's hub has it after months: 60 points that are
// not enrolled here (pending), 90 days of receipts, sync log rows, alerts,
// leases and used enrolment codes, live sessions, fork evidence and
// quarantine rows (at the log's first position, so no replica reads them).
std::string history_sql(int64_t now) {
  const std::string n = std::to_string(now) + "::bigint", d = std::to_string(kDay) + "::bigint";
  // bytes(x): 32 bytes from a text.
  auto b32 = [](const std::string& x) { return "decode(md5(" + x + ") || md5('x' || " + x + "), 'hex')"; };
  return
      "INSERT INTO motcua.hub_points (name, area, daily_capacity, lease_days, status, created_ms) "
      "SELECT 'p' || lpad(i::text, 2, '0'), 'area-' || (i % 8), 100, 3, 'pending', " + n + " - 90 * " + d +
      " FROM generate_series(0, 59) i;"
      "INSERT INTO motcua.hub_enrolment_codes (code_hash, point, expires_ms, used_ms, code_id, enrol_key, used_by) "
      "SELECT " + b32("'c' || i") + ", 'p' || lpad((i % 60)::text, 2, '0'), " + n + " - (i % 90) * " + d + ", " +
      n + " - (i % 90) * " + d + ", 'K' || i, " + b32("'k' || i") + ", " + b32("'u' || i") +
      " FROM generate_series(1, 3000) i;"
      "INSERT INTO motcua.sync_receipts (point, author, upto_seq, entry, hub_time_ms, body, sig) "
      "SELECT 'p' || lpad((i % 60)::text, 2, '0'), " + b32("'a' || (i % 60)") + ", i, " + b32("'e' || i") + ", " +
      n + " - 90 * " + d + " + i * (90 * " + d + " / 6000), '{}', " + b32("'s' || i") + " || " + b32("'t' || i") +
      " FROM generate_series(1, 6000) i;"
      "INSERT INTO motcua.sync_log (id, point, started_ms, ended_ms, entries_up, result) "
      "SELECT 'log-' || i, 'p' || lpad((i % 60)::text, 2, '0'), " + n + " - 90 * " + d + " + i * (90 * " + d +
      " / 6000), " + n + " - 90 * " + d + " + i * (90 * " + d + " / 6000) + 5000, i % 7, "
      "CASE WHEN i % 50 = 0 THEN 'failed' ELSE 'ok' END FROM generate_series(1, 6000) i;"
      "INSERT INTO motcua.sync_alerts (at_ms, point, kind, detail, source, count, last_ms) "
      "SELECT " + n + " - 90 * " + d + " + i * (90 * " + d + " / 3000), 'p' || lpad((i % 60)::text, 2, '0'), "
      "'kind-' || (i % 5), 'x', 'src-' || (i % 30), 1, " + n + " - 90 * " + d + " + i * (90 * " + d +
      " / 3000) FROM generate_series(1, 3000) i;"
      "INSERT INTO motcua.hub_sessions (id, node, expires_ms, counter) "
      "SELECT 'sess-' || i, " + b32("'n' || i") + ", " + n + " + (i % 900) * 1000, i % 40 "
      "FROM generate_series(1, 3000) i;"
      "INSERT INTO motcua.hub_leases (agency, day, first, last, point) "
      "SELECT 'AG-' || (i % 60), to_char(timestamp '2025-04-01' + (i / 60) * interval '1 day', 'YYMMDD'), 1, 100, "
      "'p' || lpad((i % 60)::text, 2, '0') FROM generate_series(0, 5399) i;"
      "INSERT INTO motcua.hub_lease_days (agency, day, last) SELECT agency, day, last FROM motcua.hub_leases WHERE agency LIKE 'AG-%';"
      "INSERT INTO motcua.fork_evidence (author, seq, reporter, at_ms, held_seq, held_id, other_id) "
      "SELECT " + b32("'a' || (i % 60)") + ", i, 'p00', " + n + " - i * 1000, i, " + b32("'h' || i") + ", " +
      b32("'o' || i") + " FROM generate_series(1, 2000) i;"
      "INSERT INTO motcua.hub_quarantine (id, pos, ver, author, seq, subject, type, code, reason, state, at_ms, "
      "decided_ms, decided_by, visible_pos) "
      "SELECT " + b32("'q' || i") + ", 1, 1, " + b32("'a' || (i % 60)") + ", i, 'S', 't', 'c', 'r', 'rejected', 0, "
      "0, '', 0 FROM generate_series(1, 3000) i;"
      "ANALYZE;";
}

}  // namespace

TEST_CASE("PostgreSQL plans: a hub's statements of sessions, /metrics, status and retention seek, never scan history",
          "[postgres][plans]") {
  PlanDb db;
  SyncWorld w(41, scope_projector, false);
  node::Node& hub = *w.hub_node;
  REQUIRE(sync::set_node_config(hub, "hub_postgres", db.conninfo()).ok());
  REQUIRE(sync::set_node_config(hub, "hub_store", "postgres").ok());
  w.hub = std::make_unique<sync::Hub>(hub, sync::open_hub_store(hub));
  REQUIRE(hub.journal().shared());
  auto a = w.add_point("xa-a", "an-thi");
  auto b = w.add_point("xa-b", "an-thi");
  // The journal: thousands of entries (one write), then the rest of the history.
  std::vector<node::EntryDraft> drafts;
  for (int i = 0; i < 4000; ++i)
    drafts.push_back(event_draft("S-" + std::to_string(i % 700), "note.added", Json{{"n", i}}));
  REQUIRE(hub.journal().append_batch(drafts).ok());
  db.sql(history_sql(w.clock.now_ms()));
  for (const char* k : {"retention_sync_log_days", "retention_receipt_days", "retention_alert_days"})
    REQUIRE(hub.config().set(k, "89").ok());  // the oldest day goes, as each day
  for (int i = 0; i < 6; ++i) {
    w.take_in(a);
    w.take_in(b);
  }

  Recorder rec;
  // Enrolment, then sessions: hello, push, receipts, leases, pull.
  w.add_point("xa-c", "an-thi");
  REQUIRE(w.sync(a).ok());
  REQUIRE(w.sync(b).ok());
  REQUIRE(w.sync(a).ok());
  // /metrics, status (each point's lag), the audit views, retention.
  auto agent = sync::make_sync_agent(hub);
  (void)agent->metrics();
  (void)agent->status();
  (void)w.hub->points();
  (void)w.hub->metrics();
  (void)w.hub->sync_log("xa-a", 0);
  (void)w.hub->sync_log("", w.clock.now_ms() - 7 * kDay);
  for (const char* result : {"", "ok", "failed", "running"}) {
    sync::SyncLogQuery q;
    q.result = result;
    q.since_ms = w.clock.now_ms() - 7 * kDay;
    q.limit = 100;
    q.stale_before_ms = w.clock.now_ms() - sync::kSessionTtlMs;
    (void)w.hub->sync_log(q);
  }
  REQUIRE(sync::apply_retention(hub).ok());
  // Another hub process catching up: the log's rows and quarantine rows after its position.
  auto log = sync::open_postgres_log(db.conninfo());
  REQUIRE(log.ok());
  auto tail = log.value()->read(hub.journal().count() - 50, 100);
  REQUIRE(tail.ok());
  CHECK(tail->rows.size() == 50);
  // A fork reported by a point (stored once, then its bytes filled in).
  sync::ForkEvidence fork;
  fork.author = w.points[a]->keys().pk;
  fork.seq = 1;
  fork.reporter = "xa-b";
  fork.at_ms = w.clock.now_ms();
  fork.other_id[0] = 1;
  CHECK(w.hub->store().add_fork_evidence(fork));
  fork.other_canonical = "{}";
  fork.other_sig = Signature{};
  CHECK_FALSE(w.hub->store().add_fork_evidence(fork));
  const auto statements = rec.take();

  // Each history-sized table was reached by some recorded statement.
  for (const auto& table : history_tables()) {
    bool seen = false;
    for (const auto& st : statements) seen = seen || st.sql.find("motcua." + table + " ") != std::string::npos;
    INFO("no statement recorded on " << table);
    CHECK(seen);
  }
  size_t planned = 0;
  const std::string bad = check_plans(db.conninfo(), statements, &planned);
  INFO("statements planned: " << planned << " of " << statements.size() << "; Seq Scans of history:" << bad);
  CHECK(planned > 30);
  CHECK(bad.empty());
}
