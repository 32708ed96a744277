#include "sync_auth.hpp"

#include "motcua/mac.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>

#include <charconv>
#include <mutex>
#include <strings.h>
#include <unordered_map>

namespace motcua::sync::auth {

namespace {
std::string body_hash(const std::string& body) { return to_hex(blake2b256(body)); }

std::string request_string(const std::string& path, const std::string& body, const std::string& time,
                           const std::string& counter, const std::string& session, const std::string& node) {
  return "POST\n" + path + "\n" + body_hash(body) + "\n" + time + "\n" + counter + "\n" + session + "\n" + node;
}

std::string response_string(int status, const Binding& to, const std::string& body, const std::string& time) {
  return "response\n" + std::to_string(status) + "\n" + to.session + "\n" + to.counter + "\n" + to.request + "\n" +
         body_hash(body) + "\n" + time;
}

bool is_lower_hex(const std::string& s, size_t n) {
  if (s.size() != n) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// A decimal integer >= 0 written the one way std::to_string writes it.
bool parse_count(const std::string& s, int64_t& out) {
  if (s.empty() || s.size() > 18 || (s.size() > 1 && s[0] == '0')) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && out >= 0;
}

Error refuse(const std::string& why, const std::string& field = {}) {
  return make_error("bad_request_signature", why, field);
}
}  // namespace

std::string random_hex(Random& rng, size_t bytes) {
  Bytes b(bytes);
  rng.fill(b.data(), b.size());
  return to_hex(b);
}

std::string header(const std::map<std::string, std::string>& h, const std::string& name) {
  for (const auto& [k, v] : h)
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  return {};
}

WireRequest make_request(const std::string& path, std::string body, const KeyPair& keys, const std::string& session,
                         int64_t counter, int64_t time_ms) {
  WireRequest r;
  r.path = path;
  r.body = std::move(body);
  std::string node = to_hex(keys.pk);
  std::string time = std::to_string(time_ms);
  std::string count = std::to_string(counter);
  Signature sig = sign(keys.sk, SignDomain::SyncRequest, request_string(path, r.body, time, count, session, node));
  r.headers[kNode] = node;
  r.headers[kTime] = time;
  r.headers[kCounter] = count;
  r.headers[kSession] = session;
  r.headers[kSignature] = to_hex(sig);
  return r;
}

WireRequest make_request(const std::string& path, std::string body, const KeyPair& keys, const std::string& session,
                         int64_t time_ms, Random&) {
  static std::mutex mu;
  static std::unordered_map<std::string, int64_t> last;  // session -> last counter signed
  int64_t counter = 0;
  if (session != "-") {
    std::lock_guard<std::mutex> g(mu);
    if (last.size() > 100000) last.clear();
    counter = ++last[session];
  }
  return make_request(path, std::move(body), keys, session, counter, time_ms);
}

Result<RequestAuth> check_request(const WireRequest& req) {
  RequestAuth a;
  std::string node = header(req.headers, kNode), time = header(req.headers, kTime);
  std::string counter = header(req.headers, kCounter);
  a.session = header(req.headers, kSession);
  std::string sig_hex = header(req.headers, kSignature);
  if (!is_lower_hex(node, 64) || !from_hex(node, a.node)) return refuse("missing or malformed node key", kNode);
  auto [p, ec] = std::from_chars(time.data(), time.data() + time.size(), a.time_ms);
  if (time.empty() || ec != std::errc() || p != time.data() + time.size()) return refuse("malformed time", kTime);
  // Milliseconds since 1970: never negative, so the hub's skew (its time
  // minus this one) cannot overflow.
  if (a.time_ms < 0) return refuse("the time must be milliseconds since 1970 (>= 0)", kTime);
  if (!parse_count(counter, a.counter)) return refuse("the request counter must be a whole number >= 0", kCounter);
  if (a.session != "-" && !is_lower_hex(a.session, 32)) return refuse("malformed session id", kSession);
  if ((a.session == "-") != (a.counter == 0))
    return refuse("the counter is 0 exactly when there is no session (hello, enrol, bundles)", kCounter);
  Signature sig;
  if (!is_lower_hex(sig_hex, 128) || !from_hex(sig_hex, sig)) return refuse("malformed signature", kSignature);
  if (!verify(a.node, SignDomain::SyncRequest, request_string(req.path, req.body, time, counter, a.session, node), sig))
    return refuse("request signature does not verify (altered body or wrong key)", kSignature);
  return a;
}

Binding binding_of(const WireRequest& req) {
  return Binding{header(req.headers, kSession), header(req.headers, kCounter), header(req.headers, kSignature)};
}

void sign_response(WireResponse& res, const Binding& to, const KeyPair& hub, int64_t hub_time_ms) {
  std::string time = std::to_string(hub_time_ms);
  res.headers[kHubTime] = time;
  res.headers[kSignature] = to_hex(sign(hub.sk, SignDomain::SyncRequest, response_string(res.status, to, res.body, time)));
}

Status check_response(const WireResponse& res, const PublicKey& hub, const Binding& to) {
  std::string time = header(res.headers, kHubTime), sig_hex = header(res.headers, kSignature);
  Signature sig;
  if (!is_lower_hex(sig_hex, 128) || !from_hex(sig_hex, sig))
    return make_error("bad_response_signature", "the hub's response is not signed (HTTP " + std::to_string(res.status) + ")");
  if (!verify(hub, SignDomain::SyncRequest, response_string(res.status, to, res.body, time), sig))
    return make_error("bad_response_signature",
                      "the hub's response signature does not verify (wrong hub, altered reply, or the answer to "
                      "another request)");
  return ok_status();
}

std::string code_id(const std::string& code) { return to_hex(blake2b256(code)).substr(0, 8); }

Hash32 enrol_key(const std::string& code) { return blake2b256("motcua/v2/enrol-key\n" + code); }

std::string enrol_mac(const Hash32& key, const PublicKey& point, const std::string& header_without_mac) {
  std::string msg(reinterpret_cast<const char*>(point.data()), point.size());
  msg += header_without_mac;
  return to_hex(blake2b256_keyed(key, msg));
}

std::string enrolled_mac(const Hash32& key, const std::string& body) {
  return to_hex(blake2b256_keyed(key, "motcua/v2/enrolled\n" + body_hash(body)));
}

bool mac_equal(const std::string& a, const std::string& b) {
  Hash32 x{}, y{};
  if (!is_lower_hex(a, 64) || !is_lower_hex(b, 64) || !from_hex(a, x) || !from_hex(b, y)) return false;
  return equal_ct(x.data(), y.data(), x.size());
}

bool is_loopback(const std::string& given) {
  std::string h = given;
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (strcasecmp(h.c_str(), "localhost") == 0) return true;
  if (h.rfind("::ffff:", 0) == 0 || h.rfind("::FFFF:", 0) == 0) h = h.substr(7);
  in_addr v4{};
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, h.c_str(), &v6) == 1) {
    static const in6_addr one = IN6ADDR_LOOPBACK_INIT;
    return std::equal(std::begin(v6.s6_addr), std::end(v6.s6_addr), std::begin(one.s6_addr));
  }
  return false;
}

Status enrolment_url_allowed(const std::string& url) {
  if (url.rfind("https://", 0) == 0) return ok_status();
  if (url.rfind("http://", 0) != 0)
    return make_error("invalid_value", "hub URL must start with https:// (or http:// to this machine)", "hub");
  std::string rest = url.substr(7);
  rest = rest.substr(0, rest.find('/'));
  std::string host = rest;
  if (!rest.empty() && rest[0] == '[') {
    host = rest.substr(0, rest.find(']') == std::string::npos ? rest.size() : rest.find(']') + 1);
  } else if (rest.find(':') != std::string::npos) {
    host = rest.substr(0, rest.rfind(':'));
  }
  if (is_loopback(host)) return ok_status();
  return make_error("insecure_hub_url",
                    "ghi danh qua http:// chỉ được trên chính máy này; hãy dùng https:// / enrolment over plain "
                    "http:// is refused except to this machine (loopback): use the hub's https:// URL (--ca FILE "
                    "for a hub with its own certificate)",
                    "hub");
}

}  // namespace motcua::sync::auth
