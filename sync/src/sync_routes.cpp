#include "sync_routes.hpp"

#include <memory>

#include "motcua/http/guarded_server.hpp"
#include "motcua/http/api_error.hpp"
#include "motcua/node/node.hpp"
#include "motcua/sync/hub.hpp"

namespace motcua::sync {

void mount_sync_routes(httplib::Server& server, node::Node& node, Hub* given, bool tls) {
  if (node.role() != node::Role::Hub) return;
  std::shared_ptr<Hub> hub = given ? std::shared_ptr<Hub>(given, [](Hub*) {})  // not owned
                                   : std::make_shared<Hub>(node, open_hub_store(node));
  // The body is read by a content reader, capped at the largest message the
  // hub accepts: httplib's own reading would buffer any length first.
  const size_t limit = hub->options().max_batch_bytes + (2 << 20);
  server.Post(R"(/sync/v2/([a-z_]+))", [hub, limit, tls](const httplib::Request& req, httplib::Response& res,
                                                    const httplib::ContentReader& reader) {
    WireRequest w;
    w.path = req.path;
    w.remote_addr = req.remote_addr;
    w.plain_http = !tls;
    for (const auto& [k, v] : req.headers)
      if (k.size() > 9 && (k.rfind("X-Motcua-", 0) == 0 || k.rfind("x-motcua-", 0) == 0)) w.headers[k] = v;
    bool over = false;
    bool read = reader([&](const char* p, size_t n) {
      if (w.body.size() + n > limit) {
        over = true;
        return false;
      }
      w.body.append(p, n);
      return true;
    });
    if (!read || over) {
      http::connection_close_after_response();
      res.set_header("Connection", "close");
      Error e = over || http::connection_body_over_budget()
                    ? make_error("batch_too_large", "the sync message is larger than " + std::to_string(limit) + " bytes",
                                 "body")
                    : make_error("bad_request", "the sync message could not be read", "body");
      res.status = over ? 413 : 400;
      res.set_content(http::error_json(e).dump(), "application/json; charset=utf-8");
      return;
    }
    WireResponse out = hub->handle(w);
    res.status = out.status;
    for (const auto& [k, v] : out.headers) res.set_header(k, v);
    res.set_content(std::move(out.body), "application/x-motcua-sync");
  });
}

}  // namespace motcua::sync
