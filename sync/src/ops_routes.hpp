// The operations routes the daemon adds to the counter's (node/http):
// /healthz, /metrics, sync now / status / log, journal verify. Private to sync/.
#pragma once
#include "motcua/http/router.hpp"

namespace motcua::sync {

class SyncAgent;

// REQUIRES: `agent` outlives the server the routes are mounted on.
void mount_ops_routes(http::Router& r, SyncAgent& agent);

}  // namespace motcua::sync
