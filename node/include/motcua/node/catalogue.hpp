// Hub-owned reference data synced down to points: the procedure catalogue,
// the holiday calendar and the point's leased blocks of dossier numbers.
#pragma once
#include "motcua/canonical.hpp"
#include "motcua/result.hpp"

namespace motcua::node {

class Node;

// Procedure catalogue as a JSON array in the shape of procedures-sample.json.
Json export_catalogue(Node& node);
// Replaces the catalogue atomically after validating every item (field path on error).
Status import_catalogue(Node& node, const Json& procedures);

// Holiday calendar: [{"date": "YYYY-MM-DD", "name": "..."}...].
Json export_holidays(Node& node);
Status import_holidays(Node& node, const Json& holidays);

// --- Admin edits of reference data (HTTP /holidays, /procedures/import) ---
// They go through the same import path as the hub's reference data at a
// point, and each accepted change is also a journal entry (subject
// "reference.holidays" / "reference.catalogue", type "*.imported") saying who
// changed what. A point enrolled with a hub refuses them ("managed_by_hub"):
// there the hub's copy is the one in force. docs/operations.md.

// {year, holidays:[{date,name}], makeup_days:[{date,name}], years:[...]}
// for one calendar year (makeup_days: Saturdays worked in exchange).
Json holidays_of_year(Node& node, int year);
// POST /holidays {year, holidays:[{date,name}], makeup_days:[{date,name}]}:
// replaces that year's rows. Returns holidays_of_year(year).
Result<Json> set_holiday_year(Node& node, const std::string& user, const Json& body);
// POST /holidays/import: a file like data/holidays-vn.json ({note?, sources?,
// holidays:[{date,name,kind?}], makeup_days?}); replaces each year it
// covers. Returns {imported_years:[...]}.
Result<Json> import_holiday_file(Node& node, const std::string& user, const Json& file);
// POST /procedures/import: the whole catalogue (an array, or {procedures:
// [...]}) checked item by item. Returns {imported, errors:[{index, code,
// field, message}]}; when errors is not empty nothing was imported.
Result<Json> import_catalogue_items(Node& node, const std::string& user, const Json& body);

// Points of this hub as this node knows them, for the return point:
// [{name, place_name}], this node first. At the hub: itself and its active
// points (from the hub's store: Node::points_source when it is not this
// database). At a point: itself and the points the hub listed in its
// reference data (sync state "known_points"). `storage` when the store
// cannot be read.
Result<Json> known_points(Node& node);
// Whether `name` is in known_points().
Result<bool> is_known_point(Node& node, const std::string& name);
// The list known_points() gives, from the other points [{name, place_name}]
// in their order: this node first, then each name once (empty names and
// items without a name skipped), place_name defaulting to the name. The
// hub's reference data uses it too.
Json point_list(Node& node, const Json& points);

// Blocks of the daily dossier sequence this node may mint from.
// `day` is "YYMMDD" for one day or "*" for every day; first..last within 1..9999.
// Blocks may not overlap ones already held ("conflict").
Status add_code_block(Node& node, const std::string& day, int first, int last);
// {"blocks": [{"day","first","last","used"}...], "default_block": {...}|null}
// (default_block: config code_block, used only on days no held block covers).
Json code_block_status(Node& node);

}  // namespace motcua::node
