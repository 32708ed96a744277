#include "motcua/http/guarded_server.hpp"

#include "motcua/http/api_error.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <limits>
#include <thread>

namespace motcua::http {

namespace {

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string numeric_host(const sockaddr_storage& ss, socklen_t len) {
  char host[NI_MAXHOST] = {};
  if (::getnameinfo(reinterpret_cast<const sockaddr*>(&ss), len, host, sizeof host, nullptr, 0, NI_NUMERICHOST) != 0)
    return {};
  return host;
}

int numeric_port(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(ss).sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(ss).sin6_port);
  return 0;
}

// Waits until `fd` is ready for `events` or `timeout_ms` passes.
// 1 ready, 0 timed out, -1 error or hang-up without data.
int wait_fd(int fd, short events, int64_t timeout_ms) {
  if (timeout_ms < 0) timeout_ms = 0;
  pollfd p{fd, events, 0};
  for (;;) {
    int r = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(timeout_ms, 60000)));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) return 0;
    if (p.revents & (events | POLLHUP)) return 1;  // a hang-up is read as end of stream
    return -1;
  }
}

// One connection's byte stream, plain or TLS, on a non-blocking socket.
// Enforces the head deadline and byte cap, and the body budget.
class GuardedStream final : public httplib::Stream {
 public:
  // `listening`: the server's socket; once it is closed (stop()), waits for
  // a request head end at once, while a request already read is finished.
  GuardedStream(int fd, SSL* ssl, const ConnectionLimits& lim, ConnectionCounters& counters,
                const std::atomic<socket_t>& listening)
      : fd_(fd), ssl_(ssl), lim_(lim), counters_(counters), listening_(listening) {}

  void begin_head(int64_t deadline_ms) {
    head_ = true;
    head_deadline_ = deadline_ms;
    head_bytes_ = 0;
    body_budget_ = std::numeric_limits<uint64_t>::max();
    body_read_ = 0;
    over_budget_ = false;
  }
  void head_done(uint64_t budget) {
    head_ = false;
    body_budget_ = budget;
    body_read_ = 0;
  }
  void close_after() { close_after_ = true; }
  bool must_close() const { return close_after_ || broken_; }
  bool over_budget() const { return over_budget_; }

  // For the next request on a kept-alive connection.
  bool wait_next_request(int64_t timeout_ms) {
    if (off_ < len_ || (ssl_ && SSL_pending(ssl_) > 0)) return true;
    const int64_t until = now_ms() + timeout_ms;
    for (;;) {
      if (listening_ == INVALID_SOCKET) return false;
      int64_t left = until - now_ms();
      if (left <= 0) return false;
      int w = wait_fd(fd_, POLLIN, std::min<int64_t>(left, kStopCheckMs));
      if (w != 0) return w == 1;
    }
  }

  bool is_readable() const override {
    if (off_ < len_ || (ssl_ && SSL_pending(ssl_) > 0)) return true;
    return wait_fd(fd_, POLLIN, head_ ? head_deadline_ - now_ms() : lim_.read_timeout_ms) == 1;
  }
  bool is_writable() const override { return wait_fd(fd_, POLLOUT, lim_.write_timeout_ms) == 1; }

  ssize_t read(char* ptr, size_t size) override {
    if (size == 0) return 0;
    if (head_) {
      if (head_bytes_ >= lim_.max_head_bytes) {
        counters_.head_too_large++;
        broken_ = true;
        return -1;
      }
      size = std::min(size, lim_.max_head_bytes - head_bytes_);
    } else {
      if (body_read_ >= body_budget_) {
        if (body_budget_ == 0) return 0;  // no body: its end at once
        over_budget_ = true;
        broken_ = true;
        counters_.body_over_budget++;
        return -1;
      }
      size = static_cast<size_t>(std::min<uint64_t>(size, body_budget_ - body_read_));
    }
    if (off_ == len_) {
      ssize_t n = fill();
      if (n <= 0) return n;
    }
    size_t n = std::min(size, len_ - off_);
    std::memcpy(ptr, buf_ + off_, n);
    off_ += n;
    if (head_) head_bytes_ += n;
    else body_read_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    size_t done = 0;
    while (done < size) {
      ssize_t n;
      short want = POLLOUT;
      if (ssl_) {
        ERR_clear_error();
        int r = SSL_write(ssl_, ptr + done, static_cast<int>(std::min<size_t>(size - done, 1 << 20)));
        if (r > 0) {
          n = r;
        } else {
          int err = SSL_get_error(ssl_, r);
          if (err == SSL_ERROR_WANT_READ) want = POLLIN;
          else if (err != SSL_ERROR_WANT_WRITE) return fail_write(done);
          n = -1;
        }
      } else {
        n = ::send(fd_, ptr + done, size - done, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return fail_write(done);
      }
      if (n > 0) {
        done += static_cast<size_t>(n);
        continue;
      }
      if (wait_fd(fd_, want, lim_.write_timeout_ms) != 1) return fail_write(done);
    }
    return static_cast<ssize_t>(size);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return;
    ip = numeric_host(ss, len);
    port = numeric_port(ss);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return;
    ip = numeric_host(ss, len);
    port = numeric_port(ss);
  }
  socket_t socket() const override { return fd_; }

 private:
  ssize_t fail_write(size_t done) {
    broken_ = true;
    return done > 0 ? static_cast<ssize_t>(done) : -1;
  }

  // Reads what is there into the buffer, waiting within the phase's time.
  ssize_t fill() {
    off_ = len_ = 0;
    for (;;) {
      ssize_t n;
      short want = POLLIN;
      if (ssl_) {
        ERR_clear_error();
        int r = SSL_read(ssl_, buf_, sizeof buf_);
        if (r > 0) {
          n = r;
        } else {
          int err = SSL_get_error(ssl_, r);
          if (err == SSL_ERROR_ZERO_RETURN) return 0;
          if (err == SSL_ERROR_WANT_WRITE) want = POLLOUT;
          else if (err != SSL_ERROR_WANT_READ) return fail_read();
          n = -1;
        }
      } else {
        n = ::recv(fd_, buf_, sizeof buf_, 0);
        if (n == 0) return 0;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return fail_read();
      }
      if (n > 0) {
        len_ = static_cast<size_t>(n);
        return n;
      }
      const int64_t left = head_ ? head_deadline_ - now_ms() : lim_.read_timeout_ms;
      if (left <= 0) {
        if (head_) counters_.head_timeouts++;
        return fail_read();
      }
      if (head_ && listening_ == INVALID_SOCKET) return fail_read();  // stopping: no new request
      int w = wait_fd(fd_, want, head_ ? std::min<int64_t>(left, kStopCheckMs) : left);
      if (w < 0) return fail_read();
      if (w == 0 && !head_) return fail_read();  // body: one read_timeout without a byte
    }
  }
  ssize_t fail_read() {
    broken_ = true;
    return -1;
  }

  int fd_;
  SSL* ssl_;
  static constexpr int64_t kStopCheckMs = 200;
  const ConnectionLimits& lim_;
  ConnectionCounters& counters_;
  const std::atomic<socket_t>& listening_;
  char buf_[16384];
  size_t off_ = 0, len_ = 0;
  bool head_ = true;
  int64_t head_deadline_ = 0;
  size_t head_bytes_ = 0;
  uint64_t body_budget_ = std::numeric_limits<uint64_t>::max();
  uint64_t body_read_ = 0;
  bool over_budget_ = false;
  bool close_after_ = false;
  bool broken_ = false;
};

thread_local GuardedStream* t_stream = nullptr;

void send_refusal(int fd, const char* why) {
  const std::string body = error_json(make_error("busy", why, "connection")).dump();
  std::string out = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\n"
                    "Retry-After: 1\r\nConnection: close\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body;
  // Best effort: a refused client gets what fits in the socket buffer.
  (void)::send(fd, out.data(), out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

void close_socket(int fd) {
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
}

std::string peer_address(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
  return numeric_host(ss, len);
}

// TLS handshake on a non-blocking socket, within the head deadline.
SSL* tls_accept(SSL_CTX* ctx, int fd, int64_t deadline) {
  SSL* ssl = SSL_new(ctx);
  if (!ssl) return nullptr;
  SSL_set_fd(ssl, fd);
  for (;;) {
    ERR_clear_error();
    int r = SSL_accept(ssl);
    if (r == 1) return ssl;
    int err = SSL_get_error(ssl, r);
    short want = err == SSL_ERROR_WANT_READ ? POLLIN : err == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
    if (want == 0 || wait_fd(fd, want, deadline - now_ms()) != 1) {
      SSL_free(ssl);
      return nullptr;
    }
  }
}

// Workers: at least `min`, one more for each connection being served up to
// `max`, so a slow client occupies its own thread, never another's.
class ElasticPool final : public httplib::TaskQueue {
 public:
  ElasticPool(int min, int max) : min_(std::max(1, min)), max_(std::max(min_, max)) {
    std::lock_guard<std::mutex> g(mu_);
    for (int i = 0; i < min_; ++i) spawn();
  }
  ~ElasticPool() override { shutdown(); }

  void enqueue(std::function<void()> fn) override {
    std::lock_guard<std::mutex> g(mu_);
    jobs_.push_back(std::move(fn));
    if (idle_ < static_cast<int>(jobs_.size()) && alive_ < max_) spawn();
    cv_.notify_one();
  }

  void shutdown() override {
    std::unique_lock<std::mutex> l(mu_);
    stopping_ = true;
    cv_.notify_all();
    done_.wait(l, [&] { return alive_ == 0; });
  }

 private:
  void spawn() {  // REQUIRES: mu_ held
    ++alive_;
    std::thread([this] { work(); }).detach();
  }

  void work() {
    std::unique_lock<std::mutex> l(mu_);
    for (;;) {
      ++idle_;
      bool got = cv_.wait_for(l, std::chrono::seconds(60), [&] { return stopping_ || !jobs_.empty(); });
      --idle_;
      if (jobs_.empty() && (stopping_ || (!got && alive_ > min_))) break;
      if (jobs_.empty()) continue;
      auto fn = std::move(jobs_.front());
      jobs_.pop_front();
      l.unlock();
      fn();
      l.lock();
    }
    --alive_;
    done_.notify_all();  // under the lock: the pool may be gone once it is released
  }

  const int min_, max_;
  std::mutex mu_;
  std::condition_variable cv_, done_;
  std::deque<std::function<void()>> jobs_;
  int alive_ = 0, idle_ = 0;
  bool stopping_ = false;
};

template <class Base>
class Guarded final : public Base {
 public:
  template <class... A>
  explicit Guarded(std::shared_ptr<ConnectionGuard> guard, A&&... args)
      : Base(std::forward<A>(args)...), guard_(std::move(guard)) {
    const auto& lim = guard_->limits();
    this->new_task_queue = [this, lim] {
      // httplib listens with a backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG, fixed
      // when Debian built the library): a burst of connections (64 slow
      // clients opened at once) overflows it, and the kernel then makes
      // whoever connects next, an honest client too, wait for a SYN
      // retransmission (1 s, then 3 s...). httplib asks for the task queue
      // once the socket is listening, so the backlog is raised here: calling
      // listen() again on a listening socket only changes its backlog.
      const socket_t s = this->svr_sock_;
      if (s != INVALID_SOCKET) (void)::listen(s, std::max(SOMAXCONN, lim.max_connections));
      return new ElasticPool(lim.min_workers, lim.max_connections + 4);
    };
  }

  bool process_and_close_socket(socket_t sock) override {
    const auto& lim = guard_->limits();
    ::fcntl(sock, F_SETFL, ::fcntl(sock, F_GETFL) | O_NONBLOCK);
    const std::string addr = peer_address(sock);
    if (!guard_->admit(addr)) {
      send_refusal(sock, "too many connections, try again shortly");
      close_socket(sock);
      return false;
    }
    int64_t deadline = now_ms() + lim.head_timeout_ms;
    SSL* ssl = nullptr;
    if constexpr (std::is_base_of_v<httplib::SSLServer, Base>) {
      ssl = tls_accept(this->ssl_context(), sock, deadline);
      if (!ssl) {
        guard_->counters().head_timeouts++;
        close_socket(sock);
        guard_->release(addr);
        return false;
      }
    }
    bool ret = false;
    {
      GuardedStream strm(sock, ssl, lim, guard_->counters(), this->svr_sock_);
      t_stream = &strm;
      std::function<void(httplib::Request&)> setup;
      if (ssl) setup = [ssl](httplib::Request& req) { req.ssl = ssl; };
      for (int left = 1000; left > 0 && this->svr_sock_ != INVALID_SOCKET; --left) {
        strm.begin_head(deadline);
        bool closed = false;
        ret = this->process_request(strm, left == 1, closed, setup);
        if (!ret || closed || strm.must_close()) break;
        if (!strm.wait_next_request(lim.keep_alive_ms)) break;
        deadline = now_ms() + lim.head_timeout_ms;
      }
      t_stream = nullptr;
    }
    if (ssl) {
      if (ret) SSL_shutdown(ssl);
      SSL_free(ssl);
    }
    close_socket(sock);
    guard_->release(addr);
    return ret;
  }

 private:
  std::shared_ptr<ConnectionGuard> guard_;
};

}  // namespace

std::string connection_metrics(const ConnectionCounters& c) {
  std::string o;
  auto counter = [&](const char* name, const char* help, const std::string& labels, uint64_t v, bool first) {
    if (first)
      o += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n";
    o += std::string(name) + labels + " " + std::to_string(v) + "\n";
  };
  o += "# HELP motcua_http_connections_open Open HTTP connections.\n# TYPE motcua_http_connections_open gauge\n";
  o += "motcua_http_connections_open " + std::to_string(c.open.load()) + "\n";
  counter("motcua_http_connections_total", "HTTP connections accepted and served.", "", c.accepted, true);
  counter("motcua_http_connections_refused_total", "Connections refused with 503 busy, by cap.", "{cap=\"total\"}",
          c.refused_busy, true);
  counter("motcua_http_connections_refused_total", "", "{cap=\"client\"}", c.refused_client, false);
  counter("motcua_http_requests_cut_total", "Requests cut off by the connection guard, by reason.",
          "{reason=\"head_timeout\"}", c.head_timeouts, true);
  counter("motcua_http_requests_cut_total", "", "{reason=\"head_too_large\"}", c.head_too_large, false);
  counter("motcua_http_requests_cut_total", "", "{reason=\"body_over_budget\"}", c.body_over_budget, false);
  return o;
}

bool ConnectionGuard::admit(const std::string& addr) {
  std::lock_guard<std::mutex> g(mu_);
  if (total_ >= limits_.max_connections) {
    counters_.refused_busy++;
    return false;
  }
  int& n = per_addr_[addr];
  if (n >= limits_.max_per_client) {
    counters_.refused_client++;
    if (n == 0) per_addr_.erase(addr);
    return false;
  }
  ++n;
  ++total_;
  counters_.accepted++;
  counters_.open = total_;
  return true;
}

void ConnectionGuard::release(const std::string& addr) {
  std::lock_guard<std::mutex> g(mu_);
  auto it = per_addr_.find(addr);
  if (it != per_addr_.end() && --it->second <= 0) per_addr_.erase(it);
  --total_;
  counters_.open = total_;
}

void connection_head_done(uint64_t body_budget) {
  if (t_stream) t_stream->head_done(body_budget);
}

void connection_close_after_response() {
  if (t_stream) t_stream->close_after();
}

bool connection_drain_body(uint64_t n) {
  if (!t_stream) return false;
  char buf[4096];
  while (n > 0) {
    ssize_t got = t_stream->read(buf, static_cast<size_t>(std::min<uint64_t>(n, sizeof buf)));
    if (got <= 0) return false;
    n -= static_cast<uint64_t>(got);
  }
  return true;
}

bool connection_body_over_budget() { return t_stream && t_stream->over_budget(); }

std::unique_ptr<httplib::Server> make_guarded_server(std::shared_ptr<ConnectionGuard> guard) {
  return std::make_unique<Guarded<httplib::Server>>(std::move(guard));
}

std::unique_ptr<httplib::Server> make_guarded_tls_server(std::shared_ptr<ConnectionGuard> guard,
                                                         const std::string& cert, const std::string& key) {
  return std::make_unique<Guarded<httplib::SSLServer>>(std::move(guard), cert.c_str(), key.c_str());
}

}  // namespace motcua::http
