// The HTTP(S) transport of sync requests, over cpp-httplib.
#include <httplib.h>

#include "motcua/sync/transport.hpp"

namespace motcua::sync {

namespace {

// The largest sync message (8 MiB uncompressed) or attachment chunk, with room.
constexpr size_t kMaxResponseBytes = 10u << 20;

// Why a request got no answer, in words a clerk or an admin can act on;
// httplib's own name for it follows in brackets.
std::string reason(httplib::Error e, const HttpOptions& o) {
  switch (e) {
    case httplib::Error::Connection: return "nothing answers there (connection refused, host unreachable or unknown)";
    case httplib::Error::ConnectionTimeout:
      return "no answer to the connection within " + std::to_string(o.connect_timeout_s) + " s";
    case httplib::Error::Read: return "the connection broke or fell silent while the hub's answer was awaited";
    case httplib::Error::Write: return "the connection broke while the request was sent";
    case httplib::Error::SSLConnection:
      return "the TLS handshake failed (an https:// address on a port that does not speak TLS?)";
    case httplib::Error::SSLLoadingCerts: return "the certificates to check the hub against could not be loaded";
    case httplib::Error::SSLServerVerification:
      return "the hub's TLS certificate was not accepted (motcua join --ca FILE names the CA to trust)";
    default: return "the request failed";
  }
}

std::string why_no_answer(httplib::Error e, const HttpOptions& o) {
  return reason(e, o) + " (" + httplib::to_string(e) + ")";
}

class HttpTransport final : public Transport {
 public:
  explicit HttpTransport(const HttpOptions& o) : opt_(o), client_(o.url) {
    client_.set_connection_timeout(o.connect_timeout_s, 0);
    client_.set_read_timeout(o.read_timeout_s, 0);
    client_.set_write_timeout(o.read_timeout_s, 0);
    client_.set_keep_alive(true);
    // A hub's answer is a signed, already-compressed message: no HTTP-level
    // inflation (a 1 MB gzip answer could inflate to gigabytes), and the body
    // is read only up to the largest message (see exchange()).
    client_.set_decompress(false);
    client_.set_tcp_nodelay(true);
    if (!o.ca_file.empty()) client_.set_ca_cert_path(o.ca_file.c_str());
    client_.enable_server_certificate_verification(o.verify_tls);
  }

  Result<WireResponse> exchange(const WireRequest& request) override {
    httplib::Headers headers;
    for (const auto& [k, v] : request.headers) headers.emplace(k, v);
    httplib::Request req;
    req.method = "POST";
    req.path = request.path;
    req.headers = std::move(headers);
    req.headers.emplace("Content-Type", "application/x-motcua-sync");
    req.body = request.body;
    std::string body;
    bool over = false;
    req.content_receiver = [&](const char* p, size_t n, uint64_t, uint64_t) {
      if (body.size() + n > kMaxResponseBytes) {
        over = true;
        return false;
      }
      body.append(p, n);
      return true;
    };
    auto res = client_.send(req);
    if (over) {
      client_.stop();
      return make_error("malformed_message", "the hub's answer is larger than " +
                                                 std::to_string(kMaxResponseBytes) + " bytes");
    }
    if (!res) {
      client_.stop();  // drop a half-open connection; the next call reconnects
      return make_error("link_down", "cannot reach the hub at " + opt_.url + ": " + why_no_answer(res.error(), opt_));
    }
    WireResponse out;
    out.status = res->status;
    for (const auto& [k, v] : res->headers)
      if (k.rfind("X-Motcua-", 0) == 0 || k.rfind("x-motcua-", 0) == 0) out.headers[k] = v;
    out.body = std::move(body);
    return out;
  }

 private:
  const HttpOptions opt_;
  httplib::Client client_;
};

}  // namespace

Result<std::unique_ptr<Transport>> make_http_transport(const HttpOptions& options) {
  const std::string& u = options.url;
  if (u.rfind("http://", 0) != 0 && u.rfind("https://", 0) != 0)
    return make_error("invalid_value", "hub URL must start with http:// or https://", "hub_url");
  std::string rest = u.substr(u.find("://") + 3);
  if (rest.empty() || (rest.find('/') != std::string::npos && rest.find('/') != rest.size() - 1))
    return make_error("invalid_value", "hub URL must be scheme://host[:port] without a path", "hub_url");
  HttpOptions o = options;
  if (o.url.back() == '/') o.url.pop_back();
  return std::unique_ptr<Transport>(std::make_unique<HttpTransport>(o));
}

}  // namespace motcua::sync
