#include "motcua/http/router.hpp"

#include <algorithm>

#include "motcua/crypto.hpp"
#include "motcua/http/guarded_server.hpp"
#include "motcua/http/ui.hpp"
#include "motcua/http/util.hpp"

namespace motcua::http {

namespace {

std::string bearer_token(const httplib::Request& req) {
  std::string h = req.get_header_value("Authorization");
  if (h.size() < 7) return {};
  std::string scheme = h.substr(0, 7);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
  if (scheme != "bearer ") return {};
  size_t i = h.find_first_not_of(' ', 7);
  return i == std::string::npos ? std::string() : h.substr(i);
}

// The value of cookie `name` in the Cookie header(s), or empty.
std::string cookie_value(const httplib::Request& req, const std::string& name) {
  const size_t n = req.get_header_value_count("Cookie");
  for (size_t k = 0; k < n; ++k) {
    const std::string h = req.get_header_value("Cookie", k);
    size_t i = 0;
    while (i < h.size()) {
      size_t end = h.find(';', i);
      if (end == std::string::npos) end = h.size();
      size_t b = h.find_first_not_of(' ', i);
      if (b != std::string::npos && b < end) {
        size_t eq = h.find('=', b);
        if (eq != std::string::npos && eq < end && h.compare(b, eq - b, name) == 0 && eq - b == name.size()) {
          std::string v = h.substr(eq + 1, end - eq - 1);
          while (!v.empty() && v.back() == ' ') v.pop_back();
          return v;
        }
      }
      i = end + 1;
    }
  }
  return {};
}

bool state_changing(const httplib::Request& req) {
  return req.method != "GET" && req.method != "HEAD" && req.method != "OPTIONS";
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// An Origin header that names another origin than this daemon's own
// (scheme and the Host the request was sent to). Browsers send Origin on
// every cross-site POST/PATCH/DELETE; scripts and points usually send none.
bool foreign_origin(const HttpContext& ctx, const httplib::Request& req) {
  if (!req.has_header("Origin")) return false;
  const std::string host = req.get_header_value("Host");
  if (host.empty()) return true;
  return lower(req.get_header_value("Origin")) != lower(std::string(ctx.https ? "https://" : "http://") + host);
}

Error csrf_failed(const std::string& why, const char* field) {
  return make_error("csrf_failed", why, field);
}

std::string roles_text(const Roles& roles) {
  std::string out;
  for (size_t i = 0; i < roles.size(); ++i) {
    if (i) out += i + 1 == roles.size() ? " or " : ", ";
    out += node::user_role_name(roles[i]);
  }
  return out;
}

Error too_large(int64_t limit) {
  return make_error("too_large", "the request body is larger than the limit of " + std::to_string(limit) +
                                     " bytes (max_body_bytes)",
                    "body");
}

}  // namespace

bool read_body(const httplib::Request& req, const httplib::ContentReader& reader,
               const std::function<void(const char*, size_t)>& sink, bool& multipart) {
  multipart = req.is_multipart_form_data();
  if (multipart)
    return reader([](const httplib::MultipartFormData&) { return true; }, [](const char*, size_t) { return true; });
  return reader([&](const char* p, size_t n) {
    sink(p, n);
    return true;
  });
}

std::string request_session_token(const httplib::Request& req, bool* from_cookie) {
  if (from_cookie) *from_cookie = false;
  if (req.has_header("Authorization")) return bearer_token(req);
  std::string c = cookie_value(req, kSessionCookie);
  if (from_cookie) *from_cookie = !c.empty();
  return c;
}

std::string session_cookie(const HttpContext& ctx, const std::string& token) {
  return std::string(kSessionCookie) + "=" + token + "; HttpOnly; SameSite=Strict; Path=/" + (ctx.https ? "; Secure" : "");
}

std::string cleared_session_cookie(const HttpContext& ctx) {
  return std::string(kSessionCookie) + "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0" + (ctx.https ? "; Secure" : "");
}

// Runs access checks; false when a refusal was sent.
static bool admit(HttpContext& ctx, Call& call, Access access, const Roles& roles) {
  const bool changing = state_changing(call.req);
  if (changing && foreign_origin(ctx, call.req)) {
    send_error(call.res, csrf_failed("a state-changing request from another origin is refused", "Origin"));
    return false;
  }
  if (access == Access::Public) return true;
  if (access == Access::Loopback) {
    if (is_loopback(call.req.remote_addr)) return true;
    send_error(call.res, make_error("forbidden", "this endpoint answers only on the node itself (loopback)"));
    return false;
  }
  bool from_cookie = false;
  const std::string token = request_session_token(call.req, &from_cookie);
  auto who = ctx.users.authenticate(token);
  if (!who.ok()) {
    call.res.set_header("WWW-Authenticate", "Bearer realm=\"motcua\"");
    if (from_cookie && who.error().code == "unauthorized") call.res.set_header("Set-Cookie", cleared_session_cookie(ctx));
    send_error(call.res, who.error());
    return false;
  }
  // A cookie is sent by the browser whoever made the page: a state-changing
  // call must also prove it comes from our own page (docs/design/0050).
  if (from_cookie && changing) {
    const std::string sent = call.req.get_header_value("X-CSRF-Token");
    const std::string want = node::csrf_token_for(token);
    if (sent.size() != want.size() ||
        !equal_ct(reinterpret_cast<const uint8_t*>(sent.data()), reinterpret_cast<const uint8_t*>(want.data()),
                  want.size())) {
      send_error(call.res, csrf_failed(sent.empty() ? "the X-CSRF-Token header is missing"
                                                    : "the X-CSRF-Token header does not match this session",
                                       "X-CSRF-Token"));
      return false;
    }
  }
  current_request().user = who->username;
  if (!roles.empty() && std::find(roles.begin(), roles.end(), who->role) == roles.end()) {
    send_error(call.res, make_error("forbidden", "this needs the role " + roles_text(roles) + "; you are signed in as " +
                                                     node::user_role_name(who->role)));
    return false;
  }
  call.actor = who.value();
  return true;
}

void Router::get(const std::string& pattern, Access access, Roles roles, CallHandler h) {
  record("GET", pattern, access, roles, h);
  server_.Get(pattern_regex(pattern), [&ctx = ctx_, pattern, access, roles, h](const httplib::Request& req,
                                                                        httplib::Response& res) {
    current_request().route = pattern;
    Call call{req, res, {}, std::nullopt};
    if (admit(ctx, call, access, roles)) h(call);
  });
}

void Router::del(const std::string& pattern, Access access, Roles roles, CallHandler h) {
  record("DELETE", pattern, access, roles, h);
  auto plain = [&ctx = ctx_, pattern, access, roles, h](const httplib::Request& req, httplib::Response& res) {
    current_request().route = pattern;
    Call call{req, res, {}, std::nullopt};
    if (admit(ctx, call, access, roles)) h(call);
  };
  server_.Delete(pattern_regex(pattern), plain);
  // A DELETE with a body (unusual) is drained and ignored.
  server_.Delete(pattern_regex(pattern), [plain](const httplib::Request& req, httplib::Response& res,
                                                 const httplib::ContentReader& reader) {
    bool multipart = false;
    read_body(req, reader, [](const char*, size_t) {}, multipart);
    plain(req, res);
  });
}

void Router::with_body(const std::string& pattern, bool is_patch, Access access, Roles roles, CallHandler h) {
  const std::string re = pattern_regex(pattern);
  // Bodies httplib has already read (no content reader was involved).
  auto buffered = [&ctx = ctx_, pattern, access, roles, h](const httplib::Request& req, httplib::Response& res) {
    current_request().route = pattern;
    Call call{req, res, req.body, std::nullopt};
    if (!admit(ctx, call, access, roles)) return;
    if (static_cast<int64_t>(call.body.size()) > ctx.max_body_bytes) return send_error(res, too_large(ctx.max_body_bytes));
    h(call);
  };
  auto streamed = [&ctx = ctx_, pattern, access, roles, h](const httplib::Request& req, httplib::Response& res,
                                                    const httplib::ContentReader& reader) {
    current_request().route = pattern;
    Call call{req, res, {}, std::nullopt};
    bool over = false, multipart = false;
    const size_t limit = static_cast<size_t>(ctx.max_body_bytes);
    bool read = read_body(req, reader, [&](const char* p, size_t n) {
      if (over) return;
      if (call.body.size() + n > limit) {
        over = true;
        std::string().swap(call.body);
      } else {
        call.body.append(p, n);
      }
    }, multipart);
    if (!read && (res.status == 413 || connection_body_over_budget())) {
      over = true;
      connection_close_after_response();
      res.set_header("Connection", "close");
    }
    if (!read && !over) return send_error(res, make_error("bad_request", "the request body could not be read"));
    if (!admit(ctx, call, access, roles)) return;
    if (over) return send_error(res, too_large(ctx.max_body_bytes));
    if (multipart) return send_error(res, make_error("invalid_json", "send a JSON object, not a multipart form"));
    h(call);
  };
  if (is_patch) {
    server_.Patch(re, buffered);
    server_.Patch(re, streamed);
  } else {
    server_.Post(re, buffered);
    server_.Post(re, streamed);
  }
}

void Router::post(const std::string& pattern, Access access, Roles roles, CallHandler h) {
  record("POST", pattern, access, roles, h);
  with_body(pattern, false, access, std::move(roles), std::move(h));
}

void Router::patch(const std::string& pattern, Access access, Roles roles, CallHandler h) {
  record("PATCH", pattern, access, roles, h);
  with_body(pattern, true, access, std::move(roles), std::move(h));
}

void Router::post_stream(const std::string& pattern, Roles roles, StreamHandler h) {
  record("POST", pattern, Access::User, roles, {}, h);
  const std::string re = pattern_regex(pattern);
  server_.Post(re, [&ctx = ctx_, pattern, roles, h](const httplib::Request& req, httplib::Response& res,
                                             const httplib::ContentReader& reader) {
    current_request().route = pattern;
    Call call{req, res, {}, std::nullopt};
    if (!admit(ctx, call, Access::User, roles)) {
      bool multipart = false;
      read_body(req, reader, [](const char*, size_t) {}, multipart);
      return;
    }
    h(call, reader);
  });
  // An empty POST (no body at all) reaches the plain handler.
  server_.Post(re, [&ctx = ctx_, pattern, roles, h](const httplib::Request& req, httplib::Response& res) {
    current_request().route = pattern;
    Call call{req, res, {}, std::nullopt};
    if (!admit(ctx, call, Access::User, roles)) return;
    httplib::ContentReader empty([](httplib::ContentReceiver) { return true; },
                                 [](httplib::MultipartContentHeader, httplib::ContentReceiver) { return true; });
    h(call, empty);
  });
}

void Router::record(const char* method, const std::string& pattern, Access access, const Roles& roles,
                    const CallHandler& h, const StreamHandler& streamed) {
  if (recorded_) recorded_->push_back(MountedRoute{method, pattern, access, roles, h, streamed});
}

// The printable forms Mẫu 02-06 and Biểu 06 (reports.cpp).
void mount_report_routes(Router& r);

void mount_counter_routes(Router& r) {
  mount_session_routes(r);
  mount_reference_routes(r);  // before the dossier routes: /procedures/facets is not a {code}
  mount_dossier_routes(r);
  mount_blob_routes(r);
  mount_report_routes(r);
  mount_ui_routes(r);
}

}  // namespace motcua::http
