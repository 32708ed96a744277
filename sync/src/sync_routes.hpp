// Node-to-node sync endpoints (/sync/v2/...) mounted on the daemon's HTTP
// server. Requests there are authenticated by node keys, not user tokens.
#pragma once
#include <httplib.h>

namespace motcua::node {
class Node;
}

namespace motcua::sync {

// Called once by the daemon before it starts listening. On a hub it mounts
// the hub's sync endpoints; on a point it mounts nothing. `tls`: the server
// is HTTPS (otherwise enrolment is taken only from loopback addresses).
void mount_sync_routes(httplib::Server& server, node::Node& node, bool tls = false);

}  // namespace motcua::sync
