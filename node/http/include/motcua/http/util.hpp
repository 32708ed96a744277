// Small helpers of the daemon's HTTP layer: JSON replies in API.md's error
// shape, request-body parsing, ISO-8601 times, route patterns. Shared by node/http and sync/.
#pragma once
#include <httplib.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "motcua/canonical.hpp"
#include "motcua/result.hpp"

namespace motcua::http {

// What the access log and the metrics know about the request being handled
// on this thread (httplib runs one request at a time per worker thread).
struct RequestState {
  std::chrono::steady_clock::time_point start{};
  std::string route;  // the route pattern, e.g. /api/v1/dossiers/{code}
  std::string user;   // login name once authenticated
  std::string error_code;  // code of the error answer sent, if any (storage faults feed /healthz)
  std::string error_message;
};
RequestState& current_request();

void send_json(httplib::Response& res, int status, const Json& body);
// Status from http::http_status(), body {"error": {code, message, field?}}.
void send_error(httplib::Response& res, const Error& e);
// Same, with extra members in the error object (e.g. "current_status").
void send_error(httplib::Response& res, const Error& e, const Json& extra);

// The request body as a JSON object: invalid_json when it does not parse,
// wrong_type when it is not an object. An empty body is {} when `empty_ok`.
Result<Json> parse_object(const std::string& body, bool empty_ok = false);

// Checks that `obj` has only `allowed` keys (unknown_field naming the first
// other one) and that each of `required` is a non-empty string (missing_field /
// wrong_type).
Status expect_string_fields(const Json& obj, std::initializer_list<const char*> required,
                            std::initializer_list<const char*> allowed);

// A query parameter as an integer in [lo, hi], or `dflt` when absent.
Result<int> int_param(const httplib::Request& req, const char* name, int dflt, int lo, int hi);
std::string str_param(const httplib::Request& req, const char* name);

// "2025-07-01T08:30:00.000Z" for milliseconds since the epoch (UTC).
std::string iso8601_utc(int64_t ms);

// "/api/v1/dossiers/{code}/accept" -> "/api/v1/dossiers/([^/]+)/accept".
std::string pattern_regex(const std::string& pattern);

// True for 127.0.0.0/8, ::1 and their IPv4-mapped forms.
bool is_loopback(const std::string& addr);

}  // namespace motcua::http
