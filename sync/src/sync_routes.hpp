// Node-to-node sync endpoints (/sync/v2/...) mounted on the daemon's HTTP
// server. Requests there are authenticated by node keys, not user tokens.
#pragma once
#include <httplib.h>

namespace motcua::node {
class Node;
}

namespace motcua::sync {

// Called once by the daemon before it starts listening. On a hub it mounts
// the hub's sync endpoints; on a point it mounts nothing.
void mount_sync_routes(httplib::Server& server, node::Node& node);

}  // namespace motcua::sync
