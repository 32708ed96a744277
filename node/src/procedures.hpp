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
// {"items": [...], "total": n}: best matches first, at most `limit`. Every
// word of `q` must match a word of the name or code (the last word typed may
// be the start of one), after search_fold().
Json search(SQLite::Database& db, const std::string& q, const std::string& field, const std::string& level,
            int limit);

// {"fields": [...], "levels": [...]}: the distinct fields (a procedure listed
// under "A; B" counts for A and for B) and levels of the catalogue, sorted.
Json facets(SQLite::Database& db);

// The documents of a catalogue item as [{name, mandatory}]: a string is
// mandatory unless it contains "(nếu" (an "if ..." document); an object
// {name, mandatory} is taken as it is.
Json documents_of(const Json& item);

// fold_for_search() and then, in each word, a final "y" after a consonant
// becomes "i" ("ký" and "kí" both give "ki"; "thủy" stays "thuy"), so the
// two spellings the national portal accepts find each other.
std::string search_fold(const std::string& text);

}  // namespace motcua::node::procs
