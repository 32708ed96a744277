#include "sync_routes.hpp"

#include <memory>

#include "motcua/node/node.hpp"
#include "motcua/sync/hub.hpp"

namespace motcua::sync {

void mount_sync_routes(httplib::Server& server, node::Node& node) {
  if (node.role() != node::Role::Hub) return;
  auto hub = std::make_shared<Hub>(node, make_sqlite_hub_store(node));
  server.Post(R"(/sync/v1/([a-z_]+))", [hub](const httplib::Request& req, httplib::Response& res) {
    WireRequest w;
    w.path = req.path;
    for (const auto& [k, v] : req.headers)
      if (k.size() > 9 && (k.rfind("X-Motcua-", 0) == 0 || k.rfind("x-motcua-", 0) == 0)) w.headers[k] = v;
    w.body = req.body;
    WireResponse out = hub->handle(w);
    res.status = out.status;
    for (const auto& [k, v] : out.headers) res.set_header(k, v);
    res.set_content(std::move(out.body), "application/x-motcua-sync");
  });
}

}  // namespace motcua::sync
