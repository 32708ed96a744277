#include "motcua/http/util.hpp"

#include <charconv>

#include "motcua/json_read.hpp"
#include "motcua/http/api_error.hpp"

namespace motcua::http {

RequestState& current_request() {
  thread_local RequestState state;
  return state;
}

void send_json(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_content(body.dump(-1, ' ', false, Json::error_handler_t::replace), "application/json; charset=utf-8");
}

void send_error(httplib::Response& res, const Error& e) {
  current_request().error_code = e.code;
  current_request().error_message = e.message;
  send_json(res, http::http_status(e), http::error_json(e));
}

void send_error(httplib::Response& res, const Error& e, const Json& extra) {
  current_request().error_code = e.code;
  current_request().error_message = e.message;
  Json body = http::error_json(e);
  for (auto it = extra.begin(); it != extra.end(); ++it) body["error"][it.key()] = it.value();
  send_json(res, http::http_status(e), body);
}

Result<Json> parse_object(const std::string& body, bool empty_ok) {
  if (body.empty() && empty_ok) return Json::object();
  // The router has already capped the body's size; this caps its nesting.
  auto j = read_json(body, JsonLimits{body.size(), kMaxJsonDepth});
  if (!j.ok()) {
    Error e = j.error();
    if (e.code == "invalid_json") e.message = "the request body is not valid JSON (" + e.message + ")";
    else if (e.code == "too_deep")
      e.message = "the request body nests deeper than " + std::to_string(kMaxJsonDepth) + " levels";
    return e;
  }
  if (!j->is_object()) return make_error("wrong_type", "the request body must be a JSON object");
  return std::move(j.value());
}

Status expect_string_fields(const Json& obj, std::initializer_list<const char*> required,
                            std::initializer_list<const char*> allowed) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool known = false;
    for (const char* a : allowed) known = known || it.key() == a;
    if (!known) return make_error("unknown_field", "unknown field '" + it.key() + "'", it.key());
  }
  for (const char* r : required) {
    auto it = obj.find(r);
    if (it == obj.end()) return make_error("missing_field", std::string("'") + r + "' is required", r);
    if (!it->is_string()) return make_error("wrong_type", std::string("'") + r + "' must be a string", r);
    if (it->get_ref<const std::string&>().empty())
      return make_error("missing_field", std::string("'") + r + "' must not be empty", r);
  }
  return ok_status();
}

Result<int> int_param(const httplib::Request& req, const char* name, int dflt, int lo, int hi) {
  if (!req.has_param(name)) return dflt;
  std::string v = req.get_param_value(name);
  int out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size() || out < lo || out > hi)
    return make_error("invalid_value",
                      std::string("'") + name + "' must be a whole number from " + std::to_string(lo) + " to " +
                          std::to_string(hi),
                      name);
  return out;
}

std::string str_param(const httplib::Request& req, const char* name) {
  return req.has_param(name) ? req.get_param_value(name) : std::string();
}

std::string iso8601_utc(int64_t ms) {
  int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  int64_t milli = ms - secs * 1000;
  int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  int64_t rem = secs - days * 86400;
  // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  char buf[160];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ", static_cast<long long>(y),
                static_cast<long long>(m), static_cast<long long>(d), static_cast<long long>(rem / 3600),
                static_cast<long long>(rem % 3600 / 60), static_cast<long long>(rem % 60),
                static_cast<long long>(milli));
  return buf;
}

std::string pattern_regex(const std::string& pattern) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '{') {
      size_t close = pattern.find('}', i);
      out += "([^/]+)";
      i = close;
    } else if (c == '.') {
      out += "\\.";
    } else {
      out += c;
    }
  }
  return out;
}

bool is_loopback(const std::string& addr) {
  return addr.rfind("127.", 0) == 0 || addr == "::1" || addr.rfind("::ffff:127.", 0) == 0;
}

}  // namespace motcua::http
