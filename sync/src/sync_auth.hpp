// Request and response signatures of docs/sync-protocol.md sections 3.2-3.3.
#pragma once
#include <string>

#include "motcua/crypto.hpp"
#include "motcua/sync/transport.hpp"

namespace motcua::sync::auth {

inline constexpr const char* kNode = "X-Motcua-Node";
inline constexpr const char* kTime = "X-Motcua-Time";
inline constexpr const char* kNonce = "X-Motcua-Nonce";
inline constexpr const char* kSession = "X-Motcua-Session";
inline constexpr const char* kSignature = "X-Motcua-Signature";
inline constexpr const char* kHubTime = "X-Motcua-Hub-Time";
inline constexpr const char* kCodeMac = "X-Motcua-Code-Mac";

// A request to `path` carrying `body`, signed by `keys` at `time_ms` with a
// fresh nonce from `rng`. `session` is "-" before a welcome.
WireRequest make_request(const std::string& path, std::string body, const KeyPair& keys, const std::string& session,
                         int64_t time_ms, Random& rng);

struct RequestAuth {
  PublicKey node{};
  int64_t time_ms = 0;
  std::string nonce;    // 32 hex
  std::string session;  // "-" or 32 hex
};

// Checks the headers' shape, the body hash and the signature (not the nonce
// or session: the hub checks those against its store).
Result<RequestAuth> check_request(const WireRequest& req);

// Signs `res` for the request whose nonce is `nonce` (hub side).
void sign_response(WireResponse& res, const std::string& nonce, const KeyPair& hub, int64_t hub_time_ms);
// Checks a response's signature against the hub key and the request nonce.
Status check_response(const WireResponse& res, const PublicKey& hub, const std::string& nonce);

// The enrolment MAC: proves the responder knows the one-time code.
std::string code_mac(const std::string& code, const std::string& body);

std::string random_hex(Random& rng, size_t bytes);
std::string header(const std::map<std::string, std::string>& h, const std::string& name);

}  // namespace motcua::sync::auth
