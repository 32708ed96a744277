#include <string>

#include "motcua/http/router.hpp"
#include "motcua/http/ui.hpp"
#include "motcua/http/util.hpp"

namespace motcua::http {

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

const UiFile* find_file(std::string_view name) {
  for (const auto& f : ui_files())
    if (f.name == name) return &f;
  return nullptr;
}

void security_headers(httplib::Response& res) {
  res.set_header("Content-Security-Policy", kUiCsp);
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("X-Frame-Options", "DENY");
}

// Files keep their names across versions, so the browser revalidates each
// time (no-cache) and gets 304 while the ETag still matches.
void send_file(const Call& c, const UiFile& f) {
  security_headers(c.res);
  c.res.set_header("Cache-Control", "no-cache");
  c.res.set_header("ETag", std::string(f.etag));
  std::string inm = c.req.get_header_value("If-None-Match");
  if (!inm.empty() && inm.find(f.etag) != std::string::npos) {
    c.res.status = 304;
    return;
  }
  c.res.status = 200;
  c.res.set_content(std::string(f.bytes), std::string(ui_content_type(f.name)));
}

}  // namespace

std::string_view ui_content_type(std::string_view name) {
  if (ends_with(name, ".html")) return "text/html; charset=utf-8";
  if (ends_with(name, ".js") || ends_with(name, ".mjs")) return "text/javascript; charset=utf-8";
  if (ends_with(name, ".css")) return "text/css; charset=utf-8";
  if (ends_with(name, ".svg")) return "image/svg+xml";
  if (ends_with(name, ".png")) return "image/png";
  if (ends_with(name, ".ico")) return "image/x-icon";
  if (ends_with(name, ".json")) return "application/json; charset=utf-8";
  return "application/octet-stream";
}

void mount_ui_routes(Router& r) {
  r.get("/", Access::Public, {}, [](Call& c) {
    const UiFile* f = find_file("index.html");
    if (!f) return send_error(c.res, make_error("not_found", "the web UI is not part of this build"));
    send_file(c, *f);
  });
  r.get("/ui/{file}", Access::Public, {}, [](Call& c) {
    const UiFile* f = find_file(c.param(1));
    if (!f || f->name == "index.html") {
      security_headers(c.res);
      return send_error(c.res, make_error("not_found", "no such file of the web UI: " + c.param(1)));
    }
    send_file(c, *f);
  });
}

}  // namespace motcua::http
