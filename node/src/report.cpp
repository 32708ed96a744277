// Biểu 06: the period report per field, from the dossier projections, offline.
// How each figure is counted: docs/domain.md ("Biểu 06");
// docs/design/0054-bieu-06-counting.md.
#include <climits>
#include <map>

#include "calendar.hpp"
#include "forms_impl.hpp"
#include "motcua/node/forms.hpp"
#include "motcua/node/journal.hpp"
#include "motcua/node/node.hpp"
#include "motcua/schema/database.hpp"

namespace motcua::node {

using namespace forms_impl;

namespace {

struct Counts {
  int64_t carried_over = 0, new_online = 0, new_counter = 0, new_postal = 0;
  int64_t settled_early = 0, settled_on_time = 0, settled_late = 0;
  int64_t pending_within = 0, pending_overdue = 0, pending_paused = 0;
  int64_t refused = 0, withdrawn = 0;

  void add(const Counts& o) {
    carried_over += o.carried_over, new_online += o.new_online, new_counter += o.new_counter, new_postal += o.new_postal;
    settled_early += o.settled_early, settled_on_time += o.settled_on_time, settled_late += o.settled_late;
    pending_within += o.pending_within, pending_overdue += o.pending_overdue, pending_paused += o.pending_paused;
    refused += o.refused, withdrawn += o.withdrawn;
  }
  Json json(const std::string& field) const {
    return Json{{"field", field},
                {"carried_over", carried_over},
                {"new_online", new_online},
                {"new_counter", new_counter},
                {"new_postal", new_postal},
                {"received_total", carried_over + new_online + new_counter + new_postal},
                {"settled_early", settled_early},
                {"settled_on_time", settled_on_time},
                {"settled_late", settled_late},
                {"settled_total", settled_early + settled_on_time + settled_late},
                {"pending_within", pending_within},
                {"pending_overdue", pending_overdue},
                {"pending_paused", pending_paused},
                {"pending_total", pending_within + pending_overdue + pending_paused},
                {"refused", refused},
                {"withdrawn", withdrawn}};
  }
};

std::string col(SQLite::Statement& q, int i) { return q.getColumn(i).isNull() ? std::string() : q.getColumn(i).getString(); }

}  // namespace

Result<Json> bieu06(Node& node, const Period& p, const std::string& agency, int64_t now_ms) try {
  const int64_t start = p.start_ms, end = p.end_ms;
  const int64_t judged_at = std::min(end, now_ms);  // pending within/past the due date, as of this instant
  std::map<std::string, Counts> by_field;
  {
    std::lock_guard<std::recursive_mutex> g(node.journal().mutex());
    // Only the few keys counted are read out of each state (SQLite's JSON
    // functions), so a year of a busy point stays well within a second.
    SQLite::Statement q(*node.db(),
                        "SELECT d.received_at, json_extract(p.state, '$.channel'), "
                        "json_extract(p.state, '$.procedure_field'), json_extract(p.state, '$.agency_code'), "
                        "json_extract(p.state, '$.origin_point'), json_extract(p.state, '$.result_ready_at'), "
                        "json_extract(p.state, '$.handovers[0].at'), json_extract(p.state, '$.refusal.at'), "
                        "json_extract(p.state, '$.cancelled.at'), json_extract(p.state, '$.stop.at'), "
                        "json_type(p.state, '$.withdrawal') = 'object', json_extract(p.state, '$.due_history'), "
                        "json_extract(p.state, '$.pauses'), json_extract(p.state, '$.paused.since') "
                        "FROM dossier_index d JOIN projection p ON p.subject = d.code "
                        "WHERE d.received_at <> '' AND d.received_at < ?");
    q.bind(1, cal::iso_utc(end));
    while (q.executeStep()) {
      if (!agency.empty() && col(q, 3) != agency && col(q, 4) != agency) continue;
      const std::string received = col(q, 0);
      auto received_ms = cal::parse_iso(received);
      if (!received_ms) continue;
      // Closed before the period: not in it. Decide that before parsing arrays.
      std::string ready = col(q, 5), handed = col(q, 6), refused = col(q, 7), cancelled = col(q, 8), stopped = col(q, 9);
      Json dues = Json::parse(col(q, 11), nullptr, false);
      Json pauses = Json::parse(col(q, 12), nullptr, false);
      Facts f = facts_of(received, ready, handed, refused, cancelled, stopped, q.getColumn(10).getInt() == 1, dues,
                         pauses, col(q, 13));
      const bool closed_before = f.closure != Closure::Open && f.closed_ms < start;
      if (f.received_ms < start && closed_before) continue;
      std::string field = col(q, 2);
      if (field.empty()) field = "Khác";
      Counts& c = by_field[field];
      if (f.received_ms < start) {
        ++c.carried_over;
      } else {
        const std::string channel = col(q, 1);
        if (channel == "online") ++c.new_online;
        else if (channel == "postal") ++c.new_postal;
        else ++c.new_counter;
      }
      if (f.closure != Closure::Open && f.closed_ms < end) {
        if (f.closure == Closure::Refused) {
          ++c.refused;
        } else if (f.closure == Closure::Withdrawn) {
          ++c.withdrawn;
        } else {
          auto due = f.due_at(f.closed_ms);
          std::string t = due ? timing(f.closed_ms, *due) : "on_time";
          if (t == "early") ++c.settled_early;
          else if (t == "on_time") ++c.settled_on_time;
          else ++c.settled_late;
        }
        continue;
      }
      // Still in hand at the end of the period.
      if (f.paused_at(judged_at)) {
        ++c.pending_paused;
        continue;
      }
      auto due = f.due_at(judged_at);
      if (due && judged_at > *due) ++c.pending_overdue;
      else ++c.pending_within;
    }
  }
  Json rows = Json::array();
  Counts total;
  for (const auto& [field, c] : by_field) {
    rows.push_back(c.json(field));
    total.add(c);
  }
  Json out = place_names(node);
  out["from"] = p.from;
  out["to"] = p.to;
  out["agency"] = agency;
  out["generated_at"] = cal::iso_utc(now_ms);
  out["rows"] = std::move(rows);
  out["total"] = total.json("Tổng cộng");
  return out;
} catch (const std::runtime_error&) {
  return current_exception_error();
}

}  // namespace motcua::node
