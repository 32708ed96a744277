// The web UI: the files of node/http/ui/ compiled into the binary
// (node/http/embed_ui.cmake) and served at `/` and `/ui/<file>` by
// mount_ui_routes (docs/design/0062-web-ui-without-framework.md).
#pragma once
#include <string_view>
#include <vector>

namespace motcua::http {

class Router;

struct UiFile {
  std::string_view name;   // file name inside node/http/ui/, e.g. "app.js"
  std::string_view bytes;  // its content
  std::string_view etag;   // quoted content hash, e.g. "\"3f2a…\""
};

// Every embedded file, sorted by name.
const std::vector<UiFile>& ui_files();

// The Content-Security-Policy of every UI answer: nothing from another
// origin, no inline script or style, no eval.
inline constexpr const char* kUiCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

// Everything one screen loads may weigh at most this much (the budget).
inline constexpr size_t kUiPageBudgetBytes = 300 * 1024;

// Content type for a UI file name by its extension.
std::string_view ui_content_type(std::string_view name);

// GET / (index.html) and GET /ui/{file}; unknown files are 404.
void mount_ui_routes(Router& r);

}  // namespace motcua::http
