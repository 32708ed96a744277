// Request counters and latency histograms of the daemon, rendered in the
// Prometheus text exposition format (version 0.0.4). Shared by node/http and sync/.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace motcua::http {

class HttpMetrics {
 public:
  // Upper bounds (seconds) of the latency buckets; +Inf is implied.
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

  // Thread-safe.
  void observe(const std::string& method, const std::string& route, int status, double seconds);
  // motcua_http_requests_total and motcua_http_request_duration_seconds.
  std::string render() const;

 private:
  struct Series {
    uint64_t count = 0;
    double sum = 0;
    std::array<uint64_t, kBuckets.size()> buckets{};  // cumulative counts per bound
  };
  using Key = std::tuple<std::string, std::string, int>;  // method, route, status
  mutable std::mutex mu_;
  std::map<Key, Series> series_;
};

// A Prometheus label value with \, " and newline escaped.
std::string prom_escape(const std::string& v);

}  // namespace motcua::http
