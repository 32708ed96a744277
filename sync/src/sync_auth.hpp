// Request and response signatures of docs/sync-protocol.md sections 3.2-3.4,
// and the enrolment MACs of section 4.1.
#pragma once
#include <string>

#include "motcua/crypto.hpp"
#include "motcua/sync/transport.hpp"

namespace motcua::sync::auth {

inline constexpr const char* kNode = "X-Motcua-Node";
inline constexpr const char* kTime = "X-Motcua-Time";
inline constexpr const char* kCounter = "X-Motcua-Counter";
inline constexpr const char* kSession = "X-Motcua-Session";
inline constexpr const char* kSignature = "X-Motcua-Signature";
inline constexpr const char* kHubTime = "X-Motcua-Hub-Time";
inline constexpr const char* kCodeMac = "X-Motcua-Code-Mac";

// A request to `path` carrying `body`, signed by `keys` at `time_ms`.
// `session` is "-" before a welcome (hello, enrol, bundles), and then
// `counter` must be 0; within a session the counter is 1, 2, 3 ...
WireRequest make_request(const std::string& path, std::string body, const KeyPair& keys, const std::string& session,
                         int64_t counter, int64_t time_ms);
// The same for requests written by hand (tests, tools): counter 0 for
// session "-", otherwise one above the last counter this process signed for
// that session. `rng` is not used (kept so hand-written callers read alike).
WireRequest make_request(const std::string& path, std::string body, const KeyPair& keys, const std::string& session,
                         int64_t time_ms, Random& rng);

struct RequestAuth {
  PublicKey node{};
  int64_t time_ms = 0;
  int64_t counter = 0;
  std::string session;  // "-" or 32 hex
};

// Checks the headers' shape, the body hash and the signature (not the
// counter against the session: the hub checks that against what it keeps).
Result<RequestAuth> check_request(const WireRequest& req);

// What a response is bound to: the request's session, counter and
// signature exactly as sent (section 3.3). A hub bundle binds its messages
// to the bundle id (session = id, counter "0", request "-").
struct Binding {
  std::string session;
  std::string counter;
  std::string request;  // the request's X-Motcua-Signature
};
Binding binding_of(const WireRequest& req);
inline Binding bundle_binding(const std::string& bundle_id) { return Binding{bundle_id, "0", "-"}; }

// Signs `res` for the request it answers (hub side).
void sign_response(WireResponse& res, const Binding& to, const KeyPair& hub, int64_t hub_time_ms);
// Checks a response's signature against the hub key and the request it answers.
Status check_response(const WireResponse& res, const PublicKey& hub, const Binding& to);

// Enrolment (section 4.1). The code itself never crosses the network:
// code_id = first 8 hex digits of hex(BLAKE2b-256(code)), a public handle;
// enrol_key = BLAKE2b-256("motcua/v2/enrol-key\n" + code), the MAC key both
// ends derive (the hub keeps it from `point add`, never the code).
std::string code_id(const std::string& code);
Hash32 enrol_key(const std::string& code);
// The point's MAC: hex BLAKE2b-256 keyed with enrol_key over point key ‖ the
// enrol header without "mac" (canonical JSON).
std::string enrol_mac(const Hash32& key, const PublicKey& point, const std::string& header_without_mac);
// The hub's answer MAC: keyed with enrol_key over "motcua/v2/enrolled\n" +
// hex(BLAKE2b-256(response body)); proves the hub knows the code.
std::string enrolled_mac(const Hash32& key, const std::string& body);
// Constant-time comparison of two lowercase hex MACs.
bool mac_equal(const std::string& a, const std::string& b);

// A plain-http URL is allowed for enrolment only to a loopback host
// (localhost, 127.0.0.0/8, [::1]); https always. Else "insecure_hub_url".
Status enrolment_url_allowed(const std::string& url);
// 127.0.0.0/8, ::1, ::ffff:127.x.y.z, "localhost".
bool is_loopback(const std::string& host_or_addr);

std::string random_hex(Random& rng, size_t bytes);
std::string header(const std::map<std::string, std::string>& h, const std::string& name);

}  // namespace motcua::sync::auth
