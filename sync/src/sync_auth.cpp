#include "sync_auth.hpp"

#include <charconv>
#include <strings.h>

namespace motcua::sync::auth {

namespace {
std::string body_hash(const std::string& body) { return to_hex(blake2b256(body)); }

std::string request_string(const std::string& path, const std::string& body, const std::string& time,
                           const std::string& nonce, const std::string& session, const std::string& node) {
  return "POST\n" + path + "\n" + body_hash(body) + "\n" + time + "\n" + nonce + "\n" + session + "\n" + node;
}

std::string response_string(int status, const std::string& nonce, const std::string& body, const std::string& time) {
  return "response\n" + std::to_string(status) + "\n" + nonce + "\n" + body_hash(body) + "\n" + time;
}

bool is_lower_hex(const std::string& s, size_t n) {
  if (s.size() != n) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
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
                         int64_t time_ms, Random& rng) {
  WireRequest r;
  r.path = path;
  r.body = std::move(body);
  std::string node = to_hex(keys.pk);
  std::string time = std::to_string(time_ms);
  std::string nonce = random_hex(rng, 16);
  Signature sig = sign(keys.sk, SignDomain::SyncRequest, request_string(path, r.body, time, nonce, session, node));
  r.headers[kNode] = node;
  r.headers[kTime] = time;
  r.headers[kNonce] = nonce;
  r.headers[kSession] = session;
  r.headers[kSignature] = to_hex(sig);
  return r;
}

Result<RequestAuth> check_request(const WireRequest& req) {
  RequestAuth a;
  std::string node = header(req.headers, kNode), time = header(req.headers, kTime);
  a.nonce = header(req.headers, kNonce);
  a.session = header(req.headers, kSession);
  std::string sig_hex = header(req.headers, kSignature);
  if (!is_lower_hex(node, 64) || !from_hex(node, a.node)) return refuse("missing or malformed node key", kNode);
  auto [p, ec] = std::from_chars(time.data(), time.data() + time.size(), a.time_ms);
  if (time.empty() || ec != std::errc() || p != time.data() + time.size()) return refuse("malformed time", kTime);
  if (!is_lower_hex(a.nonce, 32)) return refuse("nonce must be 32 lowercase hex digits", kNonce);
  if (a.session != "-" && !is_lower_hex(a.session, 32)) return refuse("malformed session id", kSession);
  Signature sig;
  if (!is_lower_hex(sig_hex, 128) || !from_hex(sig_hex, sig)) return refuse("malformed signature", kSignature);
  if (!verify(a.node, SignDomain::SyncRequest, request_string(req.path, req.body, time, a.nonce, a.session, node), sig))
    return refuse("request signature does not verify (altered body or wrong key)", kSignature);
  return a;
}

void sign_response(WireResponse& res, const std::string& nonce, const KeyPair& hub, int64_t hub_time_ms) {
  std::string time = std::to_string(hub_time_ms);
  res.headers[kHubTime] = time;
  res.headers[kSignature] =
      to_hex(sign(hub.sk, SignDomain::SyncRequest, response_string(res.status, nonce, res.body, time)));
}

Status check_response(const WireResponse& res, const PublicKey& hub, const std::string& nonce) {
  std::string time = header(res.headers, kHubTime), sig_hex = header(res.headers, kSignature);
  Signature sig;
  if (!is_lower_hex(sig_hex, 128) || !from_hex(sig_hex, sig))
    return make_error("bad_response_signature", "the hub's response is not signed (HTTP " + std::to_string(res.status) + ")");
  if (!verify(hub, SignDomain::SyncRequest, response_string(res.status, nonce, res.body, time), sig))
    return make_error("bad_response_signature", "the hub's response signature does not verify (wrong hub or altered reply)");
  return ok_status();
}

std::string code_mac(const std::string& code, const std::string& body) {
  return to_hex(blake2b256("motcua/v1/enrolment\n" + code + "\n" + body_hash(body)));
}

}  // namespace motcua::sync::auth
