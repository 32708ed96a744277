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

}  // namespace motcua::sync
