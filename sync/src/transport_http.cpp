// The HTTP(S) transport of sync requests, over cpp-httplib.
#include <httplib.h>

#include "motcua/sync/transport.hpp"

namespace motcua::sync {

namespace {

class HttpTransport final : public Transport {
 public:
  explicit HttpTransport(const HttpOptions& o) : client_(o.url) {
    client_.set_connection_timeout(o.connect_timeout_s, 0);
    client_.set_read_timeout(o.read_timeout_s, 0);
    client_.set_write_timeout(o.read_timeout_s, 0);
    client_.set_keep_alive(true);
    client_.set_tcp_nodelay(true);
    if (!o.ca_file.empty()) client_.set_ca_cert_path(o.ca_file.c_str());
    client_.enable_server_certificate_verification(o.verify_tls);
  }

  Result<WireResponse> exchange(const WireRequest& request) override {
    httplib::Headers headers;
    for (const auto& [k, v] : request.headers) headers.emplace(k, v);
    auto res = client_.Post(request.path.c_str(), headers, request.body, "application/x-motcua-sync");
    if (!res) {
      client_.stop();  // drop a half-open connection; the next call reconnects
      return make_error("link_down", "cannot reach the hub: " + httplib::to_string(res.error()));
    }
    WireResponse out;
    out.status = res->status;
    for (const auto& [k, v] : res->headers)
      if (k.rfind("X-Motcua-", 0) == 0 || k.rfind("x-motcua-", 0) == 0) out.headers[k] = v;
    out.body = std::move(res->body);
    return out;
  }

 private:
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
