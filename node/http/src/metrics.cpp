#include "motcua/http/metrics.hpp"

#include <sstream>

namespace motcua::http {

std::string prom_escape(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void HttpMetrics::observe(const std::string& method, const std::string& route, int status, double seconds) {
  std::lock_guard<std::mutex> g(mu_);
  Series& s = series_[Key{method, route, status}];
  ++s.count;
  s.sum += seconds;
  for (size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++s.buckets[i];
}

std::string HttpMetrics::render() const {
  std::ostringstream o;
  o.precision(9);
  std::lock_guard<std::mutex> g(mu_);
  o << "# HELP motcua_http_requests_total HTTP requests answered, by method, route pattern and status.\n"
    << "# TYPE motcua_http_requests_total counter\n";
  auto labels = [](const Key& k) {
    return "method=\"" + prom_escape(std::get<0>(k)) + "\",route=\"" + prom_escape(std::get<1>(k)) +
           "\",status=\"" + std::to_string(std::get<2>(k)) + "\"";
  };
  for (const auto& [k, s] : series_) o << "motcua_http_requests_total{" << labels(k) << "} " << s.count << "\n";
  o << "# HELP motcua_http_request_duration_seconds Time from routing to the response, by method, route pattern "
       "and status.\n"
    << "# TYPE motcua_http_request_duration_seconds histogram\n";
  for (const auto& [k, s] : series_) {
    std::string l = labels(k);
    for (size_t i = 0; i < kBuckets.size(); ++i)
      o << "motcua_http_request_duration_seconds_bucket{" << l << ",le=\"" << kBuckets[i] << "\"} " << s.buckets[i]
        << "\n";
    o << "motcua_http_request_duration_seconds_bucket{" << l << ",le=\"+Inf\"} " << s.count << "\n";
    o << "motcua_http_request_duration_seconds_sum{" << l << "} " << s.sum << "\n";
    o << "motcua_http_request_duration_seconds_count{" << l << "} " << s.count << "\n";
  }
  return o.str();
}

}  // namespace motcua::http
