// The daemon: wires the stores, the dossier service and the sync agent to an
// httplib server, with one access-log line and one metrics sample per request.
#include "motcua/sync/server.hpp"

#include <httplib.h>
#include <fcntl.h>
#include <malloc.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <strings.h>
#include <filesystem>
#include <algorithm>
#include <mutex>
#include <thread>

#include "motcua/http/guarded_server.hpp"
#include "motcua/http/router.hpp"
#include "motcua/http/util.hpp"
#include "motcua/http/api_error.hpp"
#include "motcua/node/node.hpp"
#include "motcua/schema/storage.hpp"
#include "motcua/sync/agent.hpp"
#include "motcua/sync/hub.hpp"
#include "motcua/sync/hub_log.hpp"
#include "motcua/sync/hub_store.hpp"
#include "admin_routes.hpp"
#include "ops_routes.hpp"
#include "sync_routes.hpp"
#include "sync_util.hpp"

namespace motcua::sync {

using namespace std::chrono;

void tune_allocator() {
  const unsigned cores = std::thread::hardware_concurrency();
  mallopt(M_ARENA_MAX, static_cast<int>(std::clamp(cores, 2u, 8u)));
}

Status parse_listen(const std::string& listen, DaemonOptions& opt) {
  auto bad = [&] {
    return make_error("invalid_value", "listen address must be HOST:PORT (e.g. 127.0.0.1:8080), got '" + listen + "'",
                      "listen");
  };
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return bad();
  std::string host = listen.substr(0, colon);
  if (host.front() == '[') {
    if (host.back() != ']' || host.size() < 3) return bad();
    host = host.substr(1, host.size() - 2);
  }
  std::string port_s = listen.substr(colon + 1);
  int port = -1;
  auto [p, ec] = std::from_chars(port_s.data(), port_s.data() + port_s.size(), port);
  if (ec != std::errc() || p != port_s.data() + port_s.size() || port < 0 || port > 65535) return bad();
  opt.host = host;
  opt.port = port;
  return ok_status();
}

namespace {

// httplib compresses text answers (HTML, scripts, JSON) itself, with the best
// encoding the client accepts; browsers accept brotli, which httplib runs at
// quality 11: 150-400 ms of CPU for each of the UI's 30 KB scripts on an office
// PC (docs/design/0062). Browsers get gzip instead: the "br" token is dropped
// from Accept-Encoding before routing. httplib's Request is its own non-const
// object; the pre-routing hook only sees it as const.
void no_brotli(const httplib::Request& req) {
  auto& headers = const_cast<httplib::Request&>(req).headers;
  for (auto [it, end] = headers.equal_range("Accept-Encoding"); it != end; ++it) {
    std::string kept;
    size_t pos = 0;
    const std::string& v = it->second;
    while (pos <= v.size()) {
      size_t comma = v.find(',', pos);
      if (comma == std::string::npos) comma = v.size();
      std::string token = v.substr(pos, comma - pos);
      size_t b = token.find_first_not_of(" \t"), e = token.find_first_of(" \t;", b == std::string::npos ? 0 : b);
      std::string name = b == std::string::npos ? "" : token.substr(b, e == std::string::npos ? std::string::npos : e - b);
      if (!name.empty() && name != "br") kept += (kept.empty() ? "" : ", ") + token.substr(b);
      pos = comma + 1;
    }
    it->second = kept;
  }
}


// A coarse, bounded label for requests no route of ours named (e.g. the
// sync endpoints): the first three path segments, never the query string.
std::string coarse_route(const std::string& path) {
  size_t slashes = 0, i = 0;
  for (; i < path.size(); ++i)
    if (path[i] == '/' && ++slashes == 4) break;
  return path.substr(0, i);
}

void stderr_log(const std::string& line) {
  static std::mutex m;
  std::string out = line + "\n";
  std::lock_guard<std::mutex> g(m);
  std::fwrite(out.data(), 1, out.size(), stderr);
  std::fflush(stderr);
}

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '"') c = ' ';
  return s;
}

}  // namespace

struct Daemon::Impl {
  node::Node& node;
  DaemonOptions opt;
  std::unique_ptr<node::UserStore> users;
  std::unique_ptr<node::BlobStore> blobs;
  std::unique_ptr<node::DossierService> dossiers;
  std::unique_ptr<SyncAgent> agent;
  http::HttpMetrics metrics;
  std::unique_ptr<http::HttpContext> ctx;
  std::string tls_cert, tls_key;  // both set: HTTPS
  std::shared_ptr<http::ConnectionGuard> guard;
  int64_t sync_body_limit = 0;  // a sync message on the wire (hub)
  std::unique_ptr<httplib::Server> server_ptr;
  httplib::Server& server;

  std::mutex run_mu;
  int lock_fd = -1;  // flock on <data-dir>/serve.lock while bound
  std::atomic<bool> bound{false};
  std::atomic<int> port{0};
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> listening{false};

  Impl(node::Node& n, DaemonOptions o)
      : node(n), opt(std::move(o)), guard(make_guard()), server_ptr(make_server()), server(*server_ptr) {
    if (!opt.log) opt.log = stderr_log;
    auto& cfg = node.config();
    if (opt.max_body_bytes <= 0) opt.max_body_bytes = cfg.get_int("max_body_bytes");
    if (opt.max_blob_bytes <= 0) opt.max_blob_bytes = cfg.get_int("max_blob_bytes");
    if (opt.session_ttl_s <= 0) opt.session_ttl_s = cfg.get_int("session_ttl_s");
    if (opt.session_idle_s <= 0) opt.session_idle_s = cfg.get_int("session_idle_s");
    sync_body_limit = static_cast<int64_t>(HubOptions{}.max_batch_bytes) + (2 << 20);
    auto* conn = &node.journal().mutex();
    users = std::make_unique<node::UserStore>(node.db(), node.clock(), node.random(), opt.fast_password_hash, conn);
    users->set_idle_timeout_ms(opt.session_idle_s * 1000);
    blobs = std::make_unique<node::BlobStore>(node.data_dir(), node.db(), opt.max_blob_bytes, conn);
    check_journal();
    dossiers = std::make_unique<node::DossierService>(node);
    AgentOptions ao;
    ao.log = [this](const std::string& fields) { log(fields); };
    agent = make_sync_agent(node, std::move(ao));
    ctx = std::make_unique<http::HttpContext>(http::HttpContext{
        node, *users, *blobs, *dossiers, metrics, opt.max_body_bytes, opt.session_ttl_s * 1000,
        &guard->counters(), [this](const std::string& fields) { log(fields); }, !tls_cert.empty() && !tls_key.empty()});
    configure();
  }

  std::shared_ptr<http::ConnectionGuard> make_guard() {
    auto& cfg = node.config();
    http::ConnectionLimits lim;
    auto positive = [&](const char* key, int dflt) {
      int64_t v = cfg.get_int(key);
      return v > 0 ? static_cast<int>(std::min<int64_t>(v, 1 << 20)) : dflt;
    };
    lim.max_connections = opt.max_connections > 0 ? opt.max_connections : positive("max_connections", 256);
    lim.max_per_client =
        opt.max_connections_per_client > 0 ? opt.max_connections_per_client : positive("max_connections_per_client", 32);
    lim.head_timeout_ms = opt.head_timeout_ms > 0 ? opt.head_timeout_ms : positive("request_head_timeout_s", 10) * 1000;
    lim.min_workers = std::max(1, opt.threads);
    return std::make_shared<http::ConnectionGuard>(lim);
  }

  // The start-up check of the journal's tail (not a full verify). A broken
  // journal is served read-only: the journal itself refuses every write
  // (journal_broken, 503), /healthz answers 503, and the admin finds a log
  // line and an alert (docs/operations.md).
  void check_journal() {
    Status t = node.journal().check_tail();
    if (t.ok()) return;
    if (t.error().code != "journal_broken") {  // the check itself could not read: a storage fault, not damage
      log("event=journal_check_failed code=" + t.error().code + " message=\"" + one_line(t.error().message) + "\"");
      return;
    }
    node.journal().set_broken(t.error());
    log("event=journal_broken mode=read_only detail=\"" + one_line(t.error().message) +
        "\" action=\"run motcua verify; restore the data directory from a backup or from the hub\"");
    try {  // the sync log's alerts (motcua audit, GET /api/v1/audit/sync-log)
      Alert a;
      a.at_ms = node.clock().now_ms();
      a.point = node.name();
      a.kind = "journal_broken";
      a.detail = t.error().message;
      open_hub_store(node)->add_alert(a);
    } catch (const std::exception& e) {
      log("event=alert_not_stored kind=journal_broken what=\"" + one_line(e.what()) + "\"");
    }
  }

  // HTTPS when tls_cert and tls_key are configured (paths relative to the
  // data directory unless absolute); a certificate that does not load is
  // reported by bind(), so the daemon never falls back to plain HTTP.
  std::unique_ptr<httplib::Server> make_server() {
    auto& cfg = node.config();
    tls_cert = opt.tls_cert.empty() ? cfg.get("tls_cert") : opt.tls_cert;
    tls_key = opt.tls_key.empty() ? cfg.get("tls_key") : opt.tls_key;
    if (tls_cert.empty() && tls_key.empty()) return http::make_guarded_server(guard);
    auto resolve = [&](std::string& p) {
      if (!p.empty() && p.front() != '/') p = node.data_dir() + "/" + p;
    };
    resolve(tls_cert);
    resolve(tls_key);
    if (tls_cert.empty() || tls_key.empty()) return http::make_guarded_server(guard);
    return http::make_guarded_tls_server(guard, tls_cert, tls_key);
  }

  // One daemon per data directory: a second `motcua serve` on the same node
  // would keep its own sessions and sync agent over the same journal.
  Status lock_data_dir() {
    const std::string path = node.data_dir() + "/serve.lock";
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return make_error("io_error", "cannot create " + path + ": " + std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      char buf[32] = {};
      ssize_t got = ::pread(fd, buf, sizeof buf - 1, 0);
      ::close(fd);
      std::string pid = got > 0 ? std::string(buf, static_cast<size_t>(got)) : "?";
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
      return make_error("already_running",
                        "another motcua serve (pid " + pid + ") is already running on " + node.data_dir() +
                            "; stop it first",
                        "data_dir");
    }
    std::string me = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, me.data(), me.size(), 0) < 0) {
      // The lock is what matters; the pid is only for the message above.
    }
    lock_fd = fd;
    return ok_status();
  }

  ~Impl() {
    if (lock_fd >= 0) ::close(lock_fd);
  }

  Status check_tls() {
    if (tls_cert.empty() != tls_key.empty())
      return make_error("invalid_value", "HTTPS needs both tls_cert and tls_key (motcua config set ...)",
                        tls_cert.empty() ? "tls_cert" : "tls_key");
    if (!server.is_valid())
      return make_error("tls_failed",
                        "cannot load the HTTPS certificate '" + tls_cert + "' with key '" + tls_key +
                            "' (PEM files, readable, key matching the certificate)",
                        "tls_cert");
    return ok_status();
  }

  void log(const std::string& fields) { opt.log("ts=" + http::iso8601_utc(node.clock().now_ms()) + " " + fields); }

  // At start, on a hub: which store holds its state (hub_store; never a
  // password) and, for PostgreSQL, whether the server answers. A server
  // down is logged, not fatal: sync requests get 503 until it is back.
  // The journal on PostgreSQL (design 0112) is attached here: a data
  // directory that is not a copy of the shared journal ("diverged") stops
  // the daemon; a server down does not (writes wait for it).
  Status log_hub_store() {
    const HubStoreChoice c = hub_store_choice(node);
    std::string line = "event=hub_store store=" + c.kind + " where=\"" + one_line(c.where) + "\"";
    if (c.kind == "postgres") {
      try {
        (void)open_hub_store(node)->counters();
        line += " reachable=yes";
      } catch (const std::exception& e) {
        line += " reachable=no detail=\"" + one_line(e.what()) + "\"";
      }
    }
    Status journal = attach_hub_journal(node);
    if (c.kind == "postgres")
      line += journal.ok() ? " journal=shared last_pos=" + std::to_string(node.journal().last_pos())
                           : " journal=waiting detail=\"" + one_line(journal.error().message) + "\"";
    log(line);
    if (!journal.ok() && journal.error().code == "diverged") return journal;
    return ok_status();
  }

  // Decides, from the head alone, how much body this request may send: its
  // route's limit. Refuses what no route accepts (any Content-Encoding, odd
  // Transfer-Encoding, a declared length over the limit) before one byte of
  // the body is read, and closes the connection when the body stays unread.
  httplib::Server::HandlerResponse admit_body(const httplib::Request& req, httplib::Response& res) {
    using HR = httplib::Server::HandlerResponse;
    const bool has_length = req.has_header("Content-Length");
    const std::string te = req.get_header_value("Transfer-Encoding");
    const bool chunked = strcasecmp(te.c_str(), "chunked") == 0;
    uint64_t length = 0;
    if (has_length) {
      const std::string v = req.get_header_value("Content-Length");
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), length);
      if (ec != std::errc() || p != v.data() + v.size() || req.get_header_value_count("Content-Length") != 1)
        return refuse(res, make_error("bad_request", "Content-Length must be one whole number", "Content-Length"));
    }
    int64_t limit = opt.max_body_bytes;
    if (req.path == "/api/v1/blobs") limit = opt.max_blob_bytes;
    else if (req.path.rfind("/sync/v2/", 0) == 0 && node.role() == node::Role::Hub) limit = sync_body_limit;
    constexpr uint64_t kDrain = 1 << 20;  // over-limit bodies up to this much more are read and dropped
    const uint64_t budget_cap = static_cast<uint64_t>(limit) + kDrain;
    if (!te.empty() && !chunked)
      return refuse(res, make_error("bad_request", "Transfer-Encoding '" + te + "' is not accepted (only chunked)",
                                    "Transfer-Encoding"));
    if (chunked && has_length)
      return refuse(res, make_error("bad_request", "send Content-Length or chunked Transfer-Encoding, not both",
                                    "Transfer-Encoding"));
    const std::string enc = req.get_header_value("Content-Encoding");
    if (!enc.empty() && strcasecmp(enc.c_str(), "identity") != 0)
      return refuse(res, make_error("unsupported_encoding",
                                    "Content-Encoding '" + one_line(enc).substr(0, 40) +
                                        "' is not accepted: send the body uncompressed",
                                    "Content-Encoding"),
                    has_length ? length : UINT64_MAX);
    if (has_length && length > budget_cap)
      return refuse(res, make_error("too_large", "the request body of " + std::to_string(length) +
                                                     " bytes is larger than the limit of " + std::to_string(limit) +
                                                     " bytes for " + req.path,
                                    "body"));
    http::connection_head_done(has_length ? length : chunked ? budget_cap : 0);
    (void)res;
    return HR::Unhandled;
  }

  // Answers `e` without reading the body; a small declared body is read and
  // dropped so the connection stays usable, anything else closes it.
  httplib::Server::HandlerResponse refuse(httplib::Response& res, const Error& e, uint64_t drain = UINT64_MAX) {
    if (drain <= (64u << 10)) {
      http::connection_head_done(drain);
      if (!http::connection_drain_body(drain)) http::connection_close_after_response();
    } else {
      http::connection_head_done(0);
      http::connection_close_after_response();
      res.set_header("Connection", "close");
    }
    http::send_error(res, e);
    return httplib::Server::HandlerResponse::Handled;
  }

  void configure() {
    // Workers, timeouts and connection caps: the guarded server (guarded_server.hpp).
    server.set_payload_max_length(static_cast<size_t>(std::max(opt.max_body_bytes, opt.max_blob_bytes)));
    server.set_tcp_nodelay(true);
    // SO_REUSEADDR (a restart may take the port back at once) but not
    // httplib's default SO_REUSEPORT, with which a second daemon could
    // listen on the same port and silently share its connections.
    server.set_socket_options([](socket_t sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    server.set_keep_alive_max_count(1000);
    server.set_keep_alive_timeout(2);  // bounds how long stop() waits for idle connections
    server.set_read_timeout(30);
    server.set_write_timeout(30);

    server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      auto& st = http::current_request();
      st.start = steady_clock::now();
      st.route.clear();
      st.user.clear();
      st.error_code.clear();
      st.error_message.clear();
      no_brotli(req);
      return admit_body(req, res);
    });

    server.set_error_handler(httplib::Server::HandlerWithResponse(
        [](const httplib::Request& req, httplib::Response& res) {
          if (!res.body.empty() || res.content_length_ > 0) return httplib::Server::HandlerResponse::Unhandled;
          int status = res.status;
          Error e;
          if (status == 404) e = make_error("not_found", "no such endpoint: " + req.method + " (see docs/api.md)");
          else if (status == 413) e = make_error("too_large", "the request body is larger than this server accepts");
          else if (status == 400) e = make_error("bad_request", "the request could not be understood");
          else e = make_error("http_" + std::to_string(status), "the request failed with HTTP status " + std::to_string(status));
          res.set_content(http::error_json(e).dump(), "application/json; charset=utf-8");
          return httplib::Server::HandlerResponse::Handled;
        }));

    server.set_exception_handler([this](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
      // A storage fault or a damaged journal row that escaped a handler is
      // still answered for what it is (503), never as a bug.
      Error e;
      try {
        std::rethrow_exception(ep);
      } catch (...) {
        e = util::current_error();
      }
      if (e.code == "internal_error") {
        log("event=internal_error route=" + http::current_request().route + " what=\"" + one_line(e.message) + "\"");
        e = make_error("internal_error", "internal error; the daemon's log has the details");
      }
      http::send_error(res, e);
    });

    // Logged and counted just before the response is written, so a client
    // that has its answer always finds its request in the log and metrics.
    server.set_post_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      auto& st = http::current_request();
      double secs = st.start == steady_clock::time_point{}
                        ? 0.0
                        : duration_cast<duration<double>>(steady_clock::now() - st.start).count();
      std::string route = !st.route.empty() ? st.route : res.status == 404 ? "unmatched" : coarse_route(req.path);
      // A write refused by a full or unwritable disk: /healthz says so until
      // its probe write succeeds again.
      if (schema::is_storage_fault(Error{st.error_code, st.error_message, {}}) &&
          node.storage_health().note(Error{st.error_code, st.error_message, {}}))
        log("event=storage_fault code=" + st.error_code + " route=" + route + " message=\"" +
            one_line(st.error_message) + "\"");
      metrics.observe(req.method, route, res.status, secs);
      char dur[32];
      std::snprintf(dur, sizeof dur, "%.3f", secs * 1000.0);
      log("method=" + req.method + " route=" + route + " status=" + std::to_string(res.status) + " dur_ms=" + dur +
          " user=" + (st.user.empty() ? "-" : st.user));
      st = http::RequestState{};
    });

    http::Router router(server, *ctx);
    http::mount_counter_routes(router);
    mount_ops_routes(router, *agent);
    mount_admin_routes(router, *agent);
    mount_sync_routes(server, node, agent->hub(), !tls_cert.empty() && !tls_key.empty());
  }
};

Daemon::Daemon(node::Node& node, DaemonOptions opt) : impl_(std::make_unique<Impl>(node, std::move(opt))) {}

Daemon::~Daemon() {
  stop();
  std::lock_guard<std::mutex> g(impl_->run_mu);  // waits for run() to return
  impl_->agent->stop();
}

Status Daemon::bind() {
  auto& d = *impl_;
  if (d.bound) return ok_status();
  Status tls = d.check_tls();
  if (!tls.ok()) return tls;
  if (d.lock_fd < 0) {
    Status locked = d.lock_data_dir();
    if (!locked.ok()) return locked;
  }
  int port = d.opt.port;
  bool ok = false;
  if (port == 0) {
    port = d.server.bind_to_any_port(d.opt.host);
    ok = port > 0;
  } else {
    ok = d.server.bind_to_port(d.opt.host, port);
  }
  if (!ok)
    return make_error("listen_failed", "cannot listen on " + d.opt.host + ":" + std::to_string(d.opt.port) +
                                           " (address in use or not on this machine)",
                      "listen");
  d.port = port;
  d.bound = true;
  return ok_status();
}

int Daemon::port() const { return impl_->port; }

Status Daemon::run() {
  auto& d = *impl_;
  std::lock_guard<std::mutex> g(d.run_mu);
  Status b = bind();
  if (!b.ok()) return b;
  d.listening = true;
  if (d.stop_requested) {
    d.listening = false;
    return ok_status();
  }
  // On a point the agent runs even before `motcua join`: it skips its turns
  // until hub_url is set, so a daemon already running starts syncing by
  // itself once the point has joined.
  bool syncing = d.node.role() == node::Role::Point && d.opt.background_sync;
  {
    // Leftovers of uploads cut by a crash (a day old) and of sync transfers
    // of attachments that never finished (30 days without progress).
    const auto now = std::filesystem::file_time_type::clock::now();
    const int64_t swept = d.blobs->sweep_stale(now - std::chrono::hours(24), now - std::chrono::hours(24 * 30));
    if (swept > 0) d.log("event=swept_stale_files count=" + std::to_string(swept));
  }
  if (syncing) d.agent->start();
  if (d.node.role() == node::Role::Hub)
    if (Status h = d.log_hub_store(); !h.ok()) {
      d.listening = false;
      return h;
    }
  d.log("event=listening addr=" + d.opt.host + ":" + std::to_string(d.port.load()) +
        " scheme=" + (d.tls_cert.empty() ? "http" : "https") + " role=" +
        node::role_name(d.node.role()) + " background_sync=" + (syncing ? "on" : "off"));
  d.server.listen_after_bind();  // returns after stop(), once every worker has finished
  d.listening = false;
  d.agent->stop();
  d.log("event=stopped");
  return ok_status();
}

void Daemon::stop() {
  auto& d = *impl_;
  d.stop_requested = true;
  // run() may be between its check of stop_requested and the server's
  // accept loop; httplib only stops a running server, so wait for it.
  while (d.listening && !d.server.is_running()) std::this_thread::sleep_for(milliseconds(1));
  d.server.stop();
}

}  // namespace motcua::sync
