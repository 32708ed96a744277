// The hub's administration over HTTP (docs/api.md, "Hub administration"):
// enrolled points, enrolment codes, revocation, security alerts. They read
// and change the hub's own records, so they live with the hub in sync/.
// Private to sync/.
#pragma once
#include "motcua/http/router.hpp"

namespace motcua::sync {

class SyncAgent;

// REQUIRES: `agent` outlives the server the routes are mounted on.
void mount_admin_routes(http::Router& r, SyncAgent& agent);

}  // namespace motcua::sync
