// Node-to-node sync endpoints (/sync/v2/...) mounted on the daemon's HTTP
// server. Requests there are authenticated by node keys, not user tokens.
#pragma once
#include <httplib.h>

namespace motcua::node {
class Node;
}

namespace motcua::sync {

class Hub;

// Called once by the daemon before it starts listening. On a hub it mounts
// the hub's sync endpoints; on a point it mounts nothing. `hub` is the
// process's Hub (the sync agent's, which /metrics and the admin pages read:
// one Hub per process, so its push gate and counters are the ones shown);
// it must outlive the server. nullptr: a Hub of the routes' own. `tls`: the
// server is HTTPS (otherwise enrolment is taken only from loopback addresses).
void mount_sync_routes(httplib::Server& server, node::Node& node, Hub* hub, bool tls = false);

}  // namespace motcua::sync
