// Tools of the hostile-input tests and the attack benchmark: raw loopback
// connections from any 127.0.0.x address, requests written by hand (what an
// attacker sends is not what httplib::Client would), a gzip bomb, nesting
// bombs, and the daemon's memory as the kernel reports it.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace motcua::test {

using Steady = std::chrono::steady_clock;

inline double ms_since(Steady::time_point t) {
  return std::chrono::duration<double, std::milli>(Steady::now() - t).count();
}

// A TCP connection to 127.0.0.1:port from the loopback address `from`
// (127.0.0.2 and up are distinct client addresses to the daemon).
class Sock {
 public:
  Sock(int port, const std::string& from = "127.0.0.1") {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket");
    sockaddr_in src{};
    src.sin_family = AF_INET;
    ::inet_pton(AF_INET, from.c_str(), &src.sin_addr);
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(static_cast<uint16_t>(port));
    dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0 ||
        ::connect(fd_, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0) {
      ::close(fd_);
      throw std::runtime_error("cannot connect from " + from);
    }
  }
  ~Sock() {
    if (fd_ >= 0) ::close(fd_);
  }
  Sock(const Sock&) = delete;
  Sock& operator=(const Sock&) = delete;
  int fd() const { return fd_; }

  // Sends all of `data` within `timeout_ms`; false when the daemon closed or stalled.
  bool send_all(std::string_view data, int timeout_ms = 5000) {
    const auto start = Steady::now();
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
      pollfd p{fd_, POLLOUT, 0};
      const int left = timeout_ms - static_cast<int>(ms_since(start));
      if (left <= 0 || ::poll(&p, 1, left) <= 0) return false;
    }
    return true;
  }

  // True when the daemon closes the connection (end of stream or reset)
  // within `timeout_ms`; whatever it sends meanwhile is appended to `seen`.
  bool closed_within(int timeout_ms, std::string* seen = nullptr) {
    const auto start = Steady::now();
    char buf[16384];
    for (;;) {
      const int left = std::max(0, timeout_ms - static_cast<int>(ms_since(start)));
      pollfd p{fd_, POLLIN, 0};
      const int r = ::poll(&p, 1, left);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0) return true;
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        return true;  // reset
      }
      if (seen) seen->append(buf, static_cast<size_t>(n));
    }
  }

 private:
  int fd_ = -1;
};

// One request written by hand and the daemon's answer to it.
// error.code / error.field of a JSON error body, empty if there is none.
inline std::string error_member(const std::string& body, const char* member) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("error") || !j["error"].is_object()) return {};
  return j["error"].value(member, std::string());
}

struct Exchange {
  int status = 0;  // 0: no complete answer
  std::string head, body;
  bool closed = false;     // the daemon closed the connection (end of stream or reset)
  bool body_sent = false;  // all of the body went out
  double answer_ms = -1;   // from the first byte sent to the whole answer
  std::string code() const { return error_member(body, "code"); }
  std::string field() const { return error_member(body, "field"); }
  std::string describe() const {
    return "status " + std::to_string(status) + (closed ? " (closed)" : "") + " body " + body.substr(0, 300);
  }
};

// Writes `head`, waits up to `head_first_ms` for an answer to the head
// alone, then writes the body pieces `next` gives (until it returns an empty
// view) while reading whatever the daemon answers. Stops at a whole answer
// (then waits up to `close_wait_ms` to see whether the connection is closed),
// at the end of the connection, or after `timeout_ms`.
inline Exchange exchange(Sock& s, const std::string& head, const std::function<std::string_view()>& next,
                  int head_first_ms = 0, int timeout_ms = 30000, int close_wait_ms = 1000) {
  Exchange ex;
  const auto start = Steady::now();
  std::string in;
  // The length of the whole answer once it is all in `in`, else npos.
  auto whole = [&]() -> size_t {
    const size_t e = in.find("\r\n\r\n");
    if (e == std::string::npos) return std::string::npos;
    size_t len = 0;
    std::smatch m;
    const std::string h = in.substr(0, e);
    if (std::regex_search(h, m, std::regex(R"(\r\n[Cc]ontent-[Ll]ength: *(\d+))"))) len = std::stoul(m[1]);
    return in.size() >= e + 4 + len ? e + 4 + len : std::string::npos;
  };
  char buf[16384];
  // Reads what is there within `wait_ms`; marks the end of the connection.
  auto read_some = [&](int wait_ms) {
    pollfd p{s.fd(), POLLIN, 0};
    if (::poll(&p, 1, wait_ms) <= 0) return;
    ssize_t n = ::recv(s.fd(), buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) in.append(buf, static_cast<size_t>(n));
    else if (n == 0 || (errno != EAGAIN && errno != EINTR)) ex.closed = true;
  };
  bool writing = s.send_all(head);
  const auto head_sent = Steady::now();
  while (writing && whole() == std::string::npos && !ex.closed && ms_since(head_sent) < head_first_ms) read_some(20);
  std::string_view pending;
  while (whole() == std::string::npos && !ex.closed && ms_since(start) < timeout_ms) {
    if (writing && pending.empty()) {
      pending = next();
      if (pending.empty()) {
        ex.body_sent = true;
        writing = false;
      }
    }
    if (!writing) {
      read_some(50);
      continue;
    }
    pollfd p{s.fd(), static_cast<short>(POLLIN | POLLOUT), 0};
    ::poll(&p, 1, 50);
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) read_some(0);
    if (p.revents & POLLOUT) {
      ssize_t n = ::send(s.fd(), pending.data(), pending.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) pending.remove_prefix(static_cast<size_t>(n));
      else if (n < 0 && errno != EAGAIN && errno != EINTR) writing = false;  // the daemon stopped reading
    }
  }
  const size_t n = whole();
  if (n == std::string::npos) return ex;
  ex.answer_ms = ms_since(start);
  const size_t e = in.find("\r\n\r\n");
  std::smatch m;
  const std::string h = in.substr(0, e);
  if (std::regex_search(h, m, std::regex(R"(^HTTP/1\.[01] (\d{3}))"))) ex.status = std::stoi(m[1]);
  ex.head = h;
  ex.body = in.substr(e + 4, n - e - 4);
  if (!ex.closed && close_wait_ms > 0) ex.closed = s.closed_within(close_wait_ms);
  return ex;
}

inline std::function<std::string_view()> no_body() {
  return [] { return std::string_view(); };
}

// The pieces of `data` (which must outlive the exchange).
inline std::function<std::string_view()> fixed_body(const std::string& data) {
  auto off = std::make_shared<size_t>(0);
  return [&data, off]() -> std::string_view {
    if (*off >= data.size()) return {};
    std::string_view v(data.data() + *off, std::min<size_t>(64 << 10, data.size() - *off));
    *off += v.size();
    return v;
  };
}

// A chunked body of `total` bytes in 64 KiB chunks, then the last chunk.
inline std::function<std::string_view()> chunked_body(uint64_t total) {
  auto left = std::make_shared<uint64_t>(total);
  auto piece = std::make_shared<std::string>();
  auto done = std::make_shared<bool>(false);
  return [left, piece, done]() -> std::string_view {
    if (*done) return {};
    if (*left == 0) {
      *done = true;
      *piece = "0\r\n\r\n";
      return *piece;
    }
    const uint64_t n = std::min<uint64_t>(*left, 64 << 10);
    *left -= n;
    char size[32];
    std::snprintf(size, sizeof size, "%llx\r\n", static_cast<unsigned long long>(n));
    *piece = size + std::string(n, ' ') + "\r\n";
    return *piece;
  };
}

// A gzip member of about 1 MB that inflates to 1 GiB of zeros: one deflate
// block of 1 MiB of zeros, flushed so that it stands alone, repeated 1,024
// times (building it the honest way takes many seconds of CPU).
inline const std::string& gzip_bomb() {
  static const std::string bomb = [] {
    const std::string zeros(1 << 20, '\0');
    z_stream z{};
    if (deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK) throw std::runtime_error("deflateInit2");
    std::string block(64 << 10, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(zeros.data()));
    z.avail_in = static_cast<uInt>(zeros.size());
    z.next_out = reinterpret_cast<Bytef*>(block.data());
    z.avail_out = static_cast<uInt>(block.size());
    if (deflate(&z, Z_FULL_FLUSH) != Z_OK || z.avail_in != 0) throw std::runtime_error("deflate");
    block.resize(block.size() - z.avail_out);
    deflateEnd(&z);
    uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(zeros.data()), static_cast<uInt>(zeros.size()));
    z_off_t len = static_cast<z_off_t>(zeros.size());
    for (int i = 0; i < 10; ++i, len *= 2) crc = crc32_combine(crc, crc, len);  // 1 MiB -> 1 GiB
    std::string out("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
    out.reserve(10 + block.size() * 1024 + 10);
    for (int i = 0; i < 1024; ++i) out += block;
    out += std::string("\x03\x00", 2);  // an empty last block
    for (uint32_t v : {static_cast<uint32_t>(crc), uint32_t{1} << 30})
      for (int b = 0; b < 4; ++b) out.push_back(static_cast<char>((v >> (8 * b)) & 0xff));
    return out;
  }();
  return bomb;
}

inline std::string nested_arrays(int depth) { return std::string(static_cast<size_t>(depth), '[') + std::string(static_cast<size_t>(depth), ']'); }

inline std::string nested_objects(int depth) {
  std::string s;
  for (int i = 0; i < depth; ++i) s += "{\"a\":";
  s += "\"x\"";
  s += std::string(static_cast<size_t>(depth), '}');
  return s;
}

// The value of the sample `name` (with its labels, e.g.
// `motcua_http_requests_cut_total{reason="head_timeout"}`) in Prometheus
// text, -1 if absent.
inline double metric_value(const std::string& text, const std::string& name) {
  const std::string key = "\n" + name + " ";
  size_t at = text.find(key);
  if (at == std::string::npos) return -1;
  return std::atof(text.c_str() + at + key.size());
}

// A field of /proc/PID/status in kB ("VmRSS:", "VmHWM:"), -1 if unknown.
inline long proc_status_kb(pid_t pid, const char* key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) return std::stol(line.substr(std::strlen(key)));
  return -1;
}

// Sets the peak RSS (VmHWM) of `pid` back to its current RSS; false if the
// kernel does not allow it.
inline bool reset_peak_rss(pid_t pid) {
  std::ofstream clear("/proc/" + std::to_string(pid) + "/clear_refs");
  clear << "5";
  clear.flush();
  return static_cast<bool>(clear);
}

}  // namespace motcua::test
