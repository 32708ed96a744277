// Operations: /healthz, /metrics, sync now/status, the sync audit log and
// journal verification.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Transaction.h>

#include <sstream>

#include "motcua/http/router.hpp"
#include "motcua/http/util.hpp"
#include "ops_routes.hpp"
#include "motcua/http/api_error.hpp"
#include "motcua/node/node.hpp"
#include "motcua/schema/database.hpp"
#include "motcua/schema/storage.hpp"
#include "motcua/sync/agent.hpp"
#include "motcua/sync/hub.hpp"

namespace motcua::sync {

using namespace motcua::http;

namespace {

// A write transaction can start and write (then is rolled back): the disk
// is there, the file is writable and no other process holds the lock. Cheap
// (nothing reaches the disk), so it runs on every /healthz.
Status database_writable(node::Node& n) {
  std::lock_guard<std::recursive_mutex> g(n.journal().mutex());
  return schema::guard_storage([&]() -> Status {
    SQLite::Transaction t(*n.db(), SQLite::TransactionBehavior::IMMEDIATE);
    n.db()->exec("INSERT OR REPLACE INTO node_meta (key, value) VALUES ('healthz_probe', '1')");
    return ok_status();  // ~Transaction rolls back
  });
}

// A write that needs fresh pages and reaches the disk: a 64 KiB row
// committed, then removed. Runs only while a storage fault is recorded, to
// learn whether space came back (docs/design/0030-storage-faults.md).
Status space_available(node::Node& n) {
  std::lock_guard<std::recursive_mutex> g(n.journal().mutex());
  auto& db = *n.db();
  Status s = schema::in_transaction(db, [&]() -> Status {
    db.exec("INSERT OR REPLACE INTO node_meta (key, value) VALUES ('healthz_probe', zeroblob(65536))");
    return ok_status();
  });
  if (!s.ok()) return s;
  return schema::in_transaction(db, [&]() -> Status {
    db.exec("DELETE FROM node_meta WHERE key = 'healthz_probe'");
    return ok_status();
  });
}

void unavailable(Call& c, const Error& e) {
  send_json(c.res, 503, Json{{"status", "unavailable"}, {"reason", e.code}, {"error", http::error_json(e)["error"]}});
}

Json verify_json(const node::VerifyReport& rep) {
  Json problems = Json::array();
  for (const auto& p : rep.problems)
    problems.push_back(Json{{"node", p.author_hex}, {"seq", p.seq}, {"subject", p.subject}, {"what", p.what}});
  return Json{{"ok", rep.ok()},
              {"entries_checked", rep.entries_checked},
              {"subjects_checked", rep.subjects_checked},
              {"problems", problems}};
}

}  // namespace

void mount_ops_routes(Router& r, SyncAgent& agent) {
  HttpContext& ctx = r.ctx();
  using node::UserRole;

  // 503 with the reason while the node cannot record: a broken journal
  // (read-only until repaired), a database that refuses writes now, or a
  // storage fault a write ran into that a probe write still meets. Healthy
  // again without a restart once the probe succeeds.
  r.get("/healthz", Access::Public, {}, [&ctx](Call& c) {
    if (auto broken = ctx.node.journal().broken()) return unavailable(c, *broken);
    auto& health = ctx.node.storage_health();
    Status s = database_writable(ctx.node);
    if (s.ok() && health.fault()) s = space_available(ctx.node);
    if (!s.ok()) {
      if (health.note(s.error()) && ctx.log) ctx.log("event=storage_fault code=" + s.error().code + " route=/healthz");
      return unavailable(c, s.error());
    }
    if (health.clear() && ctx.log) ctx.log("event=storage_recovered probe=ok");
    send_json(c.res, 200, Json{{"status", "ok"}});
  });

  r.get("/metrics", Access::Loopback, {}, [&ctx, &agent](Call& c) {
    std::ostringstream o;
    o << ctx.metrics.render();
    o << "# HELP motcua_journal_entries Signed entries in this node's journal (own and received).\n"
      << "# TYPE motcua_journal_entries gauge\n"
      << "motcua_journal_entries " << ctx.node.journal().count() << "\n"
      << "# HELP motcua_journal_group_commits_total Counter writes committed by group commit.\n"
      << "# TYPE motcua_journal_group_commits_total counter\n"
      << "motcua_journal_group_commits_total " << ctx.node.journal().deferred_commits() << "\n"
      << "# HELP motcua_journal_group_flushes_total Disk flushes that made those writes durable (shared).\n"
      << "# TYPE motcua_journal_group_flushes_total counter\n"
      << "motcua_journal_group_flushes_total " << ctx.node.journal().group_flushes() << "\n"
      << "# HELP motcua_blob_bytes Bytes of stored attachments.\n"
      << "# TYPE motcua_blob_bytes gauge\n"
      << "motcua_blob_bytes " << ctx.blobs.total_bytes() << "\n"
      << "# HELP motcua_storage_faults_total Writes refused by a full or unwritable disk since start.\n"
      << "# TYPE motcua_storage_faults_total counter\n"
      << "motcua_storage_faults_total " << ctx.node.storage_health().faults_total() << "\n"
      << "# HELP motcua_journal_broken 1 when the journal failed its start-up check (read-only).\n"
      << "# TYPE motcua_journal_broken gauge\n"
      << "motcua_journal_broken " << (ctx.node.journal().broken() ? 1 : 0) << "\n";
    o << agent.metrics();
    if (ctx.connections) o << connection_metrics(*ctx.connections);
    c.res.status = 200;
    c.res.set_content(o.str(), "text/plain; version=0.0.4; charset=utf-8");
  });

  r.post("/api/v1/sync", Access::User, {UserRole::Admin, UserRole::Clerk}, [&agent](Call& c) {
    auto body = parse_object(c.body, true);
    if (!body.ok()) return send_error(c.res, body.error());
    if (!body->empty())
      return send_error(c.res, make_error("unknown_field", "unknown field '" + body->begin().key() + "'",
                                          body->begin().key()));
    auto summary = agent.sync_now();
    if (!summary.ok()) {
      // Errors the shared table does not know are about this node's setup
      // (409) or about the hub and the link to it (502), not our own fault.
      const Error& e = summary.error();
      int status = http::http_status(e);
      if (status == 500)
        status = (e.code == "no_hub" || e.code == "not_a_point" || e.code == "not_enrolled") ? 409 : 502;
      return send_json(c.res, status, http::error_json(e));
    }
    send_json(c.res, 200, *summary);
  });

  // At a hub: `points` (every point's row) only for an admin, and not with
  // ?points=0 (the UI's status bar polls it and reads points_summary).
  r.get("/api/v1/sync/status", Access::User, {}, [&agent](Call& c) {
    const std::string points = str_param(c.req, "points");
    if (!points.empty() && points != "0" && points != "1")
      return send_error(c.res, make_error("invalid_value", "points must be 0 or 1", "points"));
    Json s = agent.status();
    if (s.contains("points") && (points == "0" || !c.actor || c.actor->role != node::UserRole::Admin)) s.erase("points");
    send_json(c.res, 200, s);
  });

  // Filters: point, since (ISO 8601 with a zone, or a UTC date), result
  // (ok | failed | running) and limit (1..1000 sessions, default 1000).
  r.get("/api/v1/audit/sync-log", Access::User, {UserRole::Admin}, [&agent](Call& c) {
    SyncLogQuery q;
    q.point = str_param(c.req, "point");
    const std::string since = str_param(c.req, "since");
    if (!since.empty()) {
      auto ms = parse_audit_since(since);
      if (!ms.ok()) return send_error(c.res, ms.error());
      q.since_ms = ms.value();
    }
    q.result = str_param(c.req, "result");
    if (!q.result.empty() && q.result != "ok" && q.result != "failed" && q.result != "running")
      return send_error(c.res, make_error("invalid_value", "result must be ok, failed or running", "result"));
    auto limit = int_param(c.req, "limit", 1000, 1, 1000);
    if (!limit.ok()) return send_error(c.res, limit.error());
    q.limit = static_cast<size_t>(limit.value());
    send_json(c.res, 200, agent.sync_log(q));
  });

  r.get("/api/v1/journal/verify", Access::User, {UserRole::Admin},
        [&ctx](Call& c) { send_json(c.res, 200, verify_json(ctx.node.journal().verify())); });
}

}  // namespace motcua::sync
