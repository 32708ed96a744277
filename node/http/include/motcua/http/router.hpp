// How the daemon's endpoints are declared: a route pattern, who may call it,
// and a handler that gets the parsed request. The router does the common
// work in one place: request bodies within the size limit, bearer-token
// authentication by Bearer token or session cookie (401), protection of
// cookie-authenticated calls against cross-site requests (403 csrf_failed),
// role checks (403), and naming the route for the access log and the metrics. Used by the counter's routes here and by the
// sync, hub and operations routes of sync/.
#pragma once
#include <httplib.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "motcua/http/guarded_server.hpp"
#include "motcua/http/metrics.hpp"
#include "motcua/node/blobs.hpp"
#include "motcua/node/dossiers.hpp"
#include "motcua/node/users.hpp"

namespace motcua::node {
class Node;
}

namespace motcua::http {

// Everything the handlers share; lives as long as the daemon.
struct HttpContext {
  node::Node& node;
  node::UserStore& users;
  node::BlobStore& blobs;
  node::DossierService& dossiers;
  HttpMetrics& metrics;
  int64_t max_body_bytes = 0;
  int64_t session_ttl_ms = 0;
  ConnectionCounters* connections = nullptr;  // the guarded server's, for /metrics
  std::function<void(const std::string& fields)> log{};  // the daemon's log (one line of key=value fields)
  bool https{};  // served over TLS: the session cookie is Secure, the own origin https://Host
};

enum class Access {
  Public,    // anyone (healthz, login)
  Loopback,  // anyone connecting from this machine (metrics)
  User,      // a signed-in user whose role is among `roles` (any role if empty)
};

struct Call {
  const httplib::Request& req;
  httplib::Response& res;
  std::string body;                   // JSON routes: the raw request body
  std::optional<node::Actor> actor;   // Access::User routes: who is calling
  std::string param(size_t i) const { return req.matches[i]; }  // {placeholders}, from 1
};

using Roles = std::vector<node::UserRole>;
using CallHandler = std::function<void(Call&)>;
using StreamHandler = std::function<void(Call&, const httplib::ContentReader&)>;

// A route as declared, for the HTTP fuzz target (tests/fuzz/fuzz_http_bodies.cpp),
// which calls the handlers in-process without sockets. Not used by the daemon.
struct MountedRoute {
  std::string method;  // GET, DELETE, POST or PATCH
  std::string pattern;
  Access access = Access::Public;
  Roles roles;
  CallHandler handler;     // every route but streamed uploads
  StreamHandler streamed;  // post_stream routes
};

// Handlers capture the context, never the router: the router only declares
// routes and may be gone while they run.
class Router {
 public:
  Router(httplib::Server& server, HttpContext& ctx) : server_(server), ctx_(ctx) {}

  void get(const std::string& pattern, Access access, Roles roles, CallHandler h);
  void del(const std::string& pattern, Access access, Roles roles, CallHandler h);
  // The JSON body is read (up to max_body_bytes; more is drained and answered
  // with 413) before the caller is checked, so a refused request never leaves
  // unread bytes on a kept-alive connection.
  void post(const std::string& pattern, Access access, Roles roles, CallHandler h);
  void patch(const std::string& pattern, Access access, Roles roles, CallHandler h);
  // The handler reads the body itself (uploads streamed to disk). The caller
  // is checked first from the headers; a refused upload is drained unread.
  void post_stream(const std::string& pattern, Roles roles, StreamHandler h);

  HttpContext& ctx() { return ctx_; }
  // Test only: every route mounted from now on is also appended to `list`.
  void record_into(std::vector<MountedRoute>* list) { recorded_ = list; }

 private:
  void with_body(const std::string& pattern, bool is_patch, Access access, Roles roles, CallHandler h);
  void record(const char* method, const std::string& pattern, Access access, const Roles& roles,
              const CallHandler& h, const StreamHandler& streamed = {});

  httplib::Server& server_;
  HttpContext& ctx_;
  std::vector<MountedRoute>* recorded_ = nullptr;
};

// Reads the whole body through `reader`, handing each chunk to `sink`.
// Multipart bodies are drained and reported through `multipart`.
bool read_body(const httplib::Request& req, const httplib::ContentReader& reader,
               const std::function<void(const char*, size_t)>& sink, bool& multipart);

// Browser sessions (docs/design/0050): the session token travels in this
// HttpOnly cookie as well as in the login's body (for Bearer use).
inline constexpr const char* kSessionCookie = "motcua_session";
// The session token of a request: the Bearer token when an Authorization
// header is sent, otherwise the session cookie's value (empty: none).
std::string request_session_token(const httplib::Request& req, bool* from_cookie = nullptr);
// Set-Cookie values that set and clear the session cookie.
std::string session_cookie(const HttpContext& ctx, const std::string& token);
std::string cleared_session_cookie(const HttpContext& ctx);

// The counter's routes (node/http/src/*.cpp): sign-in, dossiers and
// procedures, attachments. sync/ mounts the operations and sync routes.
void mount_session_routes(Router& r);  // and mount_user_routes
void mount_user_routes(Router& r);     // the admin's /api/v1/users
void mount_dossier_routes(Router& r);
void mount_blob_routes(Router& r);
// Procedure facets and import, known points, CCCD QR parse, holidays.
void mount_reference_routes(Router& r);
void mount_counter_routes(Router& r);  // the four above

}  // namespace motcua::http
