// copy_hub_bookkeeping (hub_store.hpp) and the shared writer of
// import_bookkeeping (hub_store_copy.hpp).
#include "hub_store_copy.hpp"

#include <limits>

#include "sync_util.hpp"

namespace motcua::sync {

namespace copy {

std::string with_schema(const std::string& sql, const std::string& schema) {
  std::string out;
  for (size_t i = 0; i < sql.size(); ++i) {
    if (sql.compare(i, 3, "{s}") == 0) {
      out += schema;
      i += 2;
    } else {
      out.push_back(sql[i]);
    }
  }
  return out;
}

std::string numbered(const std::string& sql) {
  std::string out;
  int n = 0;
  for (char c : sql) {
    if (c == '?') out += "$" + std::to_string(++n);
    else out.push_back(c);
  }
  return out;
}

void write_bookkeeping(const Exec& exec, const HubBookkeeping& b) {
  for (const auto& p : b.points) {
    const bool quarantined = p.status == "quarantined";
    exec(
        "INSERT INTO {s}hub_points (name, area, daily_capacity, lease_days, status, public_key, agency_code, "
        "created_ms, enrolled_ms, revoked_ms, pull_cursor, last_seen_ms, last_success_ms, skew_ms, sent_cursor, "
        "place_name, epoch, quarantined_ms, acts, revoked_seq, revoked_id) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        {text(p.name), text(p.area), integer(p.daily_capacity), integer(p.lease_days),
         text(quarantined ? "active" : p.status), p.key ? blob(*p.key) : null(), text(p.agency_code),
         integer(p.created_ms), integer(p.enrolled_ms), integer(p.revoked_ms), integer(p.pull_cursor),
         integer(p.last_seen_ms), integer(p.last_success_ms), integer(p.skew_ms), integer(p.sent_cursor),
         text(p.place_name), text(p.epoch), integer(quarantined ? 1 : 0), text(util::join_acts(p.acts)),
         integer(p.revoked_seq), p.revoked_seq || p.status == "revoked" ? blob(p.revoked_id) : null()});
  }
  for (const auto& e : b.epochs)
    exec("INSERT INTO {s}hub_point_epochs (point, epoch, first_ms) VALUES (?,?,?)",
         {text(e.point), text(e.epoch), integer(e.first_ms)});
  for (const auto& c : b.codes)
    exec(
        "INSERT INTO {s}hub_enrolment_codes (code_hash, point, expires_ms, used_ms, code_id, enrol_key, used_by, "
        "replaces) VALUES (?,?,?,?,?,?,?,?)",
        {blob(c.code_hash), text(c.point), integer(c.expires_ms), integer(c.used_ms), text(c.code_id),
         blob(c.enrol_key), c.used_by ? blob(*c.used_by) : null(), c.replaces ? blob(*c.replaces) : null()});
  for (const auto& l : b.leases)
    exec("INSERT INTO {s}hub_leases (agency, day, first, last, point, retired_ms) VALUES (?,?,?,?,?,?)",
         {text(l.lease.agency), text(l.lease.day), integer(l.lease.first), integer(l.lease.last),
          text(l.lease.point), integer(l.retired_ms)});
  for (const auto& s : b.successions)
    exec(
        "INSERT INTO {s}hub_successions (point, old_key, new_key, revoked_seq, revoked_id, at_ms, body, sig) "
        "VALUES (?,?,?,?,?,?,?,?)",
        {text(s.point), blob(s.old_key), blob(s.new_key), integer(s.revoked_seq), blob(s.revoked_id),
         integer(s.at_ms), text(s.body), blob(s.sig)});
  for (const auto& r : b.receipts)
    exec(
        "INSERT INTO {s}sync_receipts (point, author, upto_seq, entry, hub_time_ms, body, sig) "
        "VALUES (?,?,?,?,?,?,?)",
        {text(r.point), blob(r.author), integer(r.upto_seq), blob(r.entry), integer(r.hub_time_ms), text(r.body),
         blob(r.sig)});
  for (const auto& r : b.sync_log)
    exec(
        "INSERT INTO {s}sync_log (id, point, started_ms, ended_ms, entries_up, entries_down, bytes_up, bytes_down, "
        "receipts, result, error, skew_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        {text(r.id), text(r.point), integer(r.started_ms), integer(r.ended_ms), integer(r.entries_up),
         integer(r.entries_down), integer(r.bytes_up), integer(r.bytes_down), integer(r.receipts), text(r.result),
         text(r.error), integer(r.skew_ms)});
  for (const auto& a : b.alerts)
    exec("INSERT INTO {s}sync_alerts (at_ms, point, kind, detail, source, count, last_ms) VALUES (?,?,?,?,?,?,?)",
         {integer(a.at_ms), text(a.point), text(a.kind), text(a.detail), text(a.source), integer(a.count),
          integer(a.last_ms ? a.last_ms : a.at_ms)});
  for (const auto& f : b.forks) {
    const bool bytes = !f.other_canonical.empty() && f.other_sig;
    exec(
        "INSERT INTO {s}fork_evidence (author, seq, reporter, at_ms, held_seq, held_id, other_id, other_canonical, "
        "other_sig) VALUES (?,?,?,?,?,?,?,?,?)",
        {blob(f.author), integer(f.seq), text(f.reporter), integer(f.at_ms), integer(f.held_seq), blob(f.held_id),
         blob(f.other_id), bytes ? blob(f.other_canonical) : null(), bytes ? blob(*f.other_sig) : null()});
  }
  const SyncCounters& c = b.counters;
  std::vector<std::tuple<std::string, std::string, int64_t>> rows = {
      {"bytes", "up", c.bytes_up},       {"bytes", "down", c.bytes_down}, {"entries", "up", c.entries_up},
      {"entries", "down", c.entries_down}, {"receipts", "", c.receipts},  {"enrolments_throttled", "", c.enrolments_throttled}};
  for (const auto& [k, v] : c.sessions) rows.emplace_back("sessions", k, v);
  for (const auto& [k, v] : c.alerts) rows.emplace_back("alerts", k, v);
  for (const auto& [name, label, value] : rows)
    exec(
        "INSERT INTO {s}sync_counters (name, label, value) VALUES (?,?,?) "
        "ON CONFLICT (name, label) DO UPDATE SET value = excluded.value",
        {text(name), text(label), integer(value)});
}

}  // namespace copy

Result<HubBookkeeping> export_hub_bookkeeping(HubStore& from) try {
  constexpr size_t kAll = static_cast<size_t>(std::numeric_limits<int64_t>::max());
  HubBookkeeping b;
  b.points = from.points();
  b.epochs = from.point_epochs();
  b.codes = from.all_enrolment_codes();
  b.leases = from.all_leases();
  b.successions = from.successions("");
  b.receipts = from.receipts("", kAll);
  std::reverse(b.receipts.begin(), b.receipts.end());  // oldest first, as they were stored
  b.sync_log = from.sessions("", 0, kAll);
  std::reverse(b.sync_log.begin(), b.sync_log.end());
  b.alerts = from.all_alerts();
  b.forks = from.fork_evidence(std::nullopt, kAll);
  std::reverse(b.forks.begin(), b.forks.end());
  b.counters = from.counters();
  return b;
} catch (const std::exception&) {
  return util::current_error();
}

Status copy_hub_bookkeeping(HubStore& from, HubStore& to) {
  auto b = export_hub_bookkeeping(from);
  if (!b.ok()) return b.error();
  Status s = to.import_bookkeeping(*b);
  if (!s.ok()) return s;
  // Read back: every row arrived (values are compared by the tests).
  auto got = export_hub_bookkeeping(to);
  if (!got.ok()) return got.error();
  const auto& x = *b;
  const auto& y = *got;
  if (x.points.size() != y.points.size() || x.epochs.size() != y.epochs.size() || x.codes.size() != y.codes.size() ||
      x.leases.size() != y.leases.size() || x.successions.size() != y.successions.size() ||
      x.receipts.size() != y.receipts.size() || x.sync_log.size() != y.sync_log.size() ||
      x.alerts.size() != y.alerts.size() || x.forks.size() != y.forks.size())
    return make_error("storage", "the copy of the hub's bookkeeping does not read back as written");
  return ok_status();
}

}  // namespace motcua::sync
