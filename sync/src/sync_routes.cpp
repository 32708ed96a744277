#include "sync_routes.hpp"

#include "motcua/node/node.hpp"

namespace motcua::sync {

void mount_sync_routes(httplib::Server& server, node::Node& node) {
  // Hub endpoints are added here by the sync protocol (docs/sync-protocol.md).
  (void)server;
  (void)node;
}

}  // namespace motcua::sync
