// motcua hub copy-store: a hub's SQLite state moved to PostgreSQL, verified
// entry by entry (docs/postgres.md "Moving a hub to PostgreSQL").
#include "motcua/sync/hub_log.hpp"
#include "motcua/sync/hub_store.hpp"

namespace motcua::sync {

Result<int64_t> check_log_matches(node::Node& node, node::SharedLog& log) {
  int64_t checked = 0;
  int64_t after = 0;
  const int64_t local_last = node.journal().last_pos();
  for (;;) {
    auto page = log.read(after, 1000);
    if (!page.ok()) return page.error();
    auto mine = node.journal().entries_after_pos(after, 1000);
    for (size_t i = 0; i < page->rows.size(); ++i) {
      const node::LogRow& r = page->rows[i];
      const std::string where = "position " + std::to_string(r.pos);
      // Each entry as the log holds it: its signature and id checked from its bytes.
      auto e = node::parse_entry(r.canonical, r.sig);
      if (!e.ok()) return make_error("journal_broken", "the shared log's entry at " + where + " does not verify: " +
                                                           e.error().message, "journal");
      if (e->id != r.id || e->author != r.author || e->seq != r.seq || e->prev != r.prev || e->subject != r.subject ||
          e->type != r.type || e->hlc.ms != r.hlc_ms || e->hlc.c != r.hlc_c)
        return make_error("journal_broken", "the shared log's columns at " + where + " do not match its signed bytes",
                          "journal");
      if (i >= mine.size() || mine[i].first != r.pos || mine[i].second.id != r.id)
        return make_error("diverged", "the shared log holds another entry than this journal at " + where, "journal");
      ++checked;
    }
    if (page->rows.empty() || !page->more) break;
    after = page->rows.back().pos;
  }
  if (checked != local_last)
    return make_error("diverged", "the shared log holds " + std::to_string(checked) + " entries, this journal " +
                                      std::to_string(local_last), "journal");
  return checked;
}

}  // namespace motcua::sync

namespace motcua::sync {

Result<CopyStoreReport> copy_store_to_postgres(node::Node& node, const std::string& conninfo) {
  if (node.role() != node::Role::Hub)
    return make_error("not_a_hub", "copy-store moves a hub's state; this node is a " + node::role_name(node.role()));
  if (node.config().get("hub_store") == "postgres")
    return make_error("conflict", "this hub's state is already on PostgreSQL (" +
                                      describe_conninfo(node.config().get("hub_postgres")) + ")", "hub_store");
  if (conninfo.empty())
    return make_error("invalid_value",
                      "no PostgreSQL database named: motcua config set hub_postgres 'host=... port=... dbname=... "
                      "user=...' first (or --postgres)", "hub_postgres");
  // The target first: a wrong connection string or a database holding
  // another hub's points changes nothing here.
  auto target = open_postgres_hub_store(conninfo);
  if (!target.ok()) return target.error();
  std::vector<PointRecord> there;
  try {
    there = target.value()->points();
  } catch (const HubStoreFailure& e) {
    return e.error;
  }
  if (!there.empty())
    return make_error("conflict", "the PostgreSQL database (" + describe_conninfo(conninfo) + ") already holds " +
                                      std::to_string(there.size()) + " registered points: copy-store needs an empty one",
                      "hub_postgres");
  auto log = open_postgres_log(conninfo);
  if (!log.ok()) return log.error();
  CopyStoreReport rep;
  rep.where = describe_conninfo(conninfo);
  // The journal: verified, sent (set_shared_log), then read back entry by entry.
  if (Status s = node.journal().set_shared_log(log.value()); !s.ok()) return s.error();
  auto checked = check_log_matches(node, *log.value());
  if (!checked.ok()) return checked.error();
  rep.entries = checked.value();
  // The bookkeeping: points, codes, leases, sessions, receipts, the sync log,
  // alerts, fork evidence, successions, counters.
  auto from = make_sqlite_hub_store(node);
  if (Status s = copy_hub_bookkeeping(*from, *target.value()); !s.ok()) return s.error();
  try {
    rep.points = static_cast<int64_t>(target.value()->points().size());
  } catch (const HubStoreFailure& e) {
    return e.error;
  }
  // From now on the hub runs on PostgreSQL.
  if (Status s = node.config().set("hub_postgres", conninfo); !s.ok()) return s.error();
  if (Status s = node.config().set("hub_store", "postgres"); !s.ok()) return s.error();
  return rep;
}

}  // namespace motcua::sync
