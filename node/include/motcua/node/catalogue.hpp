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

// Blocks of the daily dossier sequence this node may mint from.
// `day` is "YYMMDD" for one day or "*" for every day; first..last within 1..9999.
// Blocks may not overlap ones already held ("conflict").
Status add_code_block(Node& node, const std::string& day, int first, int last);
// {"blocks": [{"day","first","last","used"}...], "default_block": {...}|null}
// (default_block: config code_block, used only on days no held block covers).
Json code_block_status(Node& node);

}  // namespace motcua::node
