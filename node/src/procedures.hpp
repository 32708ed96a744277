// The procedure catalogue in the node's database: validation of imported
// items, lookup by code and the clerk's search (diacritic- and
// case-insensitive, đ folded to d, ranked).
#pragma once
#include <optional>
#include <string>

#include "motcua/canonical.hpp"
#include "motcua/result.hpp"

namespace SQLite {
class Database;
}

namespace motcua::node::procs {

// Checks one item in the shape of procedures-sample.json; `path` prefixes
// the field of the Error ("procedures[3].name").
Status check_item(const Json& item, const std::string& path);
// The key a procedure is found by: its national code, or "local.<8 hex>"
// (from the name) for the few catalogue items published without one.
std::string key_of(const Json& item);
// Replaces every row with `items` (already checked). REQUIRES a transaction.
void replace_all(SQLite::Database& db, const Json& items);
// Items in catalogue order, as imported.
Json all_items(SQLite::Database& db);
// The API view of one procedure (code, name, field, level, authority,
// processing_days, fee_vnd, documents, source), or nullopt.
std::optional<Json> find(SQLite::Database& db, const std::string& code);
// {"items": [...], "total": n}: best matches first, at most `limit`.
Json search(SQLite::Database& db, const std::string& q, const std::string& field, const std::string& level,
            int limit);

}  // namespace motcua::node::procs
