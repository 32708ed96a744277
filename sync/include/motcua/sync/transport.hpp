// How a point reaches its hub: one request, one response (docs/sync-protocol.md
// section 3). The real transport is HTTP(S); tests and the simulation pass
// fakes that drop, duplicate, delay or cut messages.
#pragma once
#include <map>
#include <memory>
#include <string>

#include "motcua/result.hpp"

namespace motcua::sync {

// Header names are kept exactly as the protocol spells them (X-Motcua-...).
struct WireRequest {
  std::string path;  // e.g. "/sync/v2/push"; the method is always POST
  std::map<std::string, std::string> headers;
  std::string body;  // gzip-compressed message
  std::string remote_addr;  // hub side: the client's address (not signed; throttling and alerts only)
  bool plain_http{};        // hub side: arrived over the network without TLS (enrolment only from loopback then)
};

struct WireResponse {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Sends one request and waits for its response. An Error (code "link_down")
  // means no response arrived: the request may or may not have been handled.
  virtual Result<WireResponse> exchange(const WireRequest& request) = 0;
};

struct HttpOptions {
  std::string url;              // http://host:port or https://host:port
  int connect_timeout_s = 10;
  int read_timeout_s = 120;
  std::string ca_file;          // https: extra CA bundle (e.g. the hub's self-signed cert)
  bool verify_tls = true;       // https: check the hub's certificate
};

// HTTP(S) transport over cpp-httplib; keeps one connection alive between calls.
Result<std::unique_ptr<Transport>> make_http_transport(const HttpOptions& options);

}  // namespace motcua::sync
