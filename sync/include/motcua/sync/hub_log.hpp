// The hub's journal shared by several hub processes (docs/design/
// 0112-shared-hub-log.md, docs/postgres.md "Several hub processes").
#pragma once
#include <memory>
#include <string>

#include "motcua/node/node.hpp"
#include "motcua/node/shared_log.hpp"
#include "motcua/result.hpp"

namespace motcua::sync {

// The hub's journal in PostgreSQL (schema motcua, tables hub_journal,
// hub_heads, hub_quarantine; created or migrated on first use). `conninfo`
// is a libpq connection string without a password. Errors: invalid_value
// (field hub_postgres), storage (not reachable, schema newer than this
// binary).
Result<std::shared_ptr<node::SharedLog>> open_postgres_log(const std::string& conninfo);
// open_postgres_log, then node.journal().set_shared_log(): from now on the
// node's journal is a replica of the log (an empty log first receives every
// entry the node holds, verified).
Status attach_postgres_log(node::Node& node, const std::string& conninfo);
// On a hub whose hub_store is postgres and whose journal is not attached yet:
// attach_postgres_log with hub_postgres; if that fails, the journal refuses
// writes (Journal::require_shared) until a later call succeeds. A no-op
// elsewhere. open_hub_store() calls it; the hub calls it before each sync
// request while it fails.
Status attach_hub_journal(node::Node& node);
// After a copy of the hub's journal to the log: every row of the log read
// back, its signature and id checked from its bytes, and compared with this
// journal's entry at the same position. Returns the number of entries.
Result<int64_t> check_log_matches(node::Node& node, node::SharedLog& log);

// motcua hub copy-store: a hub on SQLite moved to PostgreSQL `conninfo`
// (an empty database, or one holding a part of this same copy): the
// journal verified, sent and read back entry by entry (check_log_matches),
// then the bookkeeping (copy_hub_bookkeeping), then hub_store = postgres.
// Errors: not_a_hub, conflict (already on PostgreSQL, or the database holds
// points), diverged (the database holds another hub's journal),
// journal_broken (this journal does not verify), storage.
struct CopyStoreReport {
  int64_t entries = 0;  // journal entries on PostgreSQL, each checked
  int64_t points = 0;   // registered points there
  std::string where;    // the database, without a password
};
Result<CopyStoreReport> copy_store_to_postgres(node::Node& node, const std::string& conninfo);

}  // namespace motcua::sync
