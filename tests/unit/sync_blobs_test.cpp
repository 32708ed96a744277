// Attachments over sync (docs/sync-protocol.md section 12): they reach the
// hub and the points whose scope references them, resume after a cut, are
// checked against their id before anyone sees them, and stay within scope.
#include <catch2/catch.hpp>
#include <httplib.h>

#include <fstream>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "../../sync/src/blob_sync.hpp"
#include "../../sync/src/sync_auth.hpp"
#include "../../sync/src/sync_codec.hpp"
#include "motcua/node/blobs.hpp"
#include "motcua/node/users.hpp"
#include "motcua/sync/server.hpp"
#include "sync_test_util.hpp"

using namespace motcua;
using namespace motcua::test;
namespace wire = motcua::sync::wire;
namespace auth = motcua::sync::auth;

namespace {

constexpr size_t kChunk = 64 * 1024;  // small chunks so a test blob spans several

// A PDF by its first bytes, then `n` pseudo-random bytes in all (incompressible).
std::string pdf_bytes(size_t n, uint64_t seed) {
  std::string s = "%PDF-1.4\n";
  std::mt19937_64 g(seed);
  while (s.size() < n) s.push_back(static_cast<char>(g() & 0xff));
  return s;
}

std::unique_ptr<node::BlobStore> blob_store(node::Node& n) {
  return std::make_unique<node::BlobStore>(n.data_dir(), n.db(), n.config().get_int("max_blob_bytes"),
                                           &n.journal().mutex());
}

// Stores `bytes` as an attachment at `n` (as POST /api/v1/blobs does); returns its id.
std::string store_blob(node::Node& n, const std::string& bytes) {
  auto store = blob_store(n);  // outlives its writer
  auto w = store->begin();
  REQUIRE(w->write(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()).ok());
  auto info = w->finish();
  REQUIRE(info.ok());
  return info->id;
}

// The bytes a node serves for `id` (GET /api/v1/blobs/{id}), if it holds them.
std::optional<std::string> held_bytes(node::Node& n, const std::string& id) {
  auto p = blob_store(n)->path(id);
  if (!p) return std::nullopt;
  std::ifstream in(*p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int64_t partial_bytes(node::Node& n, const std::string& id) { return sync::blobs::Partials(n.data_dir()).held(id); }

node::EntryDraft intake_with(const std::string& subject, const std::string& point, const std::string& area,
                             const std::string& return_point, const std::vector<std::string>& attachments) {
  auto d = intake_draft(subject, point, area, return_point);
  d.body["attachments"] = attachments;
  return d;
}

sync::ClientOptions small_chunks() {
  sync::ClientOptions o;
  o.blob_chunk_bytes = kChunk;
  return o;
}

Json header_of(const sync::WireRequest& r) { return wire::decode(r.body, 1 << 24).value().header; }

bool sent_blob_request(const std::vector<sync::WireRequest>& sent) {
  for (const auto& r : sent)
    if (r.path.rfind("/sync/v2/blob_", 0) == 0) return true;
  return false;
}

// Delivers every request to the hub, but once `allow` requests to `path` have
// been answered, the link is cut: the next one still reaches the hub, its
// answer is lost, and so are those of every later request to `path`.
class CutTransport final : public sync::Transport {
 public:
  CutTransport(sync::Hub& hub, std::string path, int allow) : hub_(hub), path_(std::move(path)), allow_(allow) {}
  Result<sync::WireResponse> exchange(const sync::WireRequest& req) override {
    if (req.path == path_ && seen_++ >= allow_) {
      hub_.handle(req);
      return make_error("link_down", "the link was cut (test)");
    }
    return hub_.handle(req);
  }

 private:
  sync::Hub& hub_;
  std::string path_;
  int allow_;
  int seen_ = 0;
};

// Speaks the protocol by hand, to ask what an honest client never would.
struct RawClient {
  node::Node& n;
  sync::Hub& hub;
  std::string session = "-";

  sync::WireResponse send(const std::string& kind, Json header, std::string_view data = {}) {
    header["type"] = kind;
    return hub.handle(auth::make_request("/sync/v2/" + kind, wire::encode(header, {}, data).value(), n.keys(), session,
                                         n.clock().now_ms(), n.random()));
  }
  static Json answer(const sync::WireResponse& r) { return wire::decode(r.body, 1 << 24).value().header; }
  static std::string code(const sync::WireResponse& r) { return answer(r)["error"].value("code", std::string()); }
  static std::string field(const sync::WireResponse& r) { return answer(r)["error"].value("field", std::string()); }

  void hello() {
    auto r = send("hello", Json{{"heads", Json::object()}, {"cursor", 0}});
    REQUIRE(r.status == 200);
    session = answer(r)["session"].get<std::string>();
  }
};

// Point a (area-x) takes in dossier `code` with one attachment; its result is
// handed back at point b (area-y); point c (area-z) has nothing to do with it.
struct BlobWorld : SyncWorld {
  explicit BlobWorld(size_t blob_size = 5 * kChunk + 1234) {
    a = add_point("a", "area-x");
    b = add_point("b", "area-y");
    c = add_point("c", "area-z");
    bytes = pdf_bytes(blob_size, 7);
    id = store_blob(*points[a], bytes);
    code = take_in(a, "b", [&](node::EntryDraft& d) { d.body["attachments"] = {id}; }).subject;
  }
  Result<Json> sync_with(size_t i, sync::Transport& t) { return sync::sync_once(*points[i], t, small_chunks()); }
  Result<Json> sync_small(size_t i) { return sync_with(i, *transports[i]); }
  RawClient raw(size_t i) { return RawClient{*points[i], *hub}; }

  size_t a = 0, b = 0, c = 0;
  std::string bytes, id, code;
};

// A hub with its daemon (local API and sync endpoints) on a loopback port.
struct HubDaemon {
  explicit HubDaemon(node::Node& hub) {
    sync::DaemonOptions o;
    o.port = 0;
    o.background_sync = false;
    o.threads = 2;
    o.fast_password_hash = true;
    o.log = [](const std::string&) {};
    daemon = std::make_unique<sync::Daemon>(hub, o);
    auto b = daemon->bind();
    if (!b.ok()) throw std::runtime_error(b.error().message);
    runner = std::thread([this] { (void)daemon->run(); });
  }
  ~HubDaemon() {
    daemon->stop();
    runner.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(daemon->port()); }
  std::unique_ptr<sync::Daemon> daemon;
  std::thread runner;
};

}  // namespace

TEST_CASE("an attachment taken in at a point reaches the hub and the point that hands the result back, byte for byte",
          "[sync][blobs]") {
  BlobWorld w;
  CHECK(sync::point_status(*w.points[w.a])["blobs_waiting"] == 1);
  auto ra = w.sync_small(w.a);
  REQUIRE(ra.ok());
  CHECK(ra.value()["entries_up"] == 1);
  CHECK(ra.value()["blobs_up"] == 1);
  CHECK(ra.value()["blob_bytes_up"] == static_cast<int64_t>(w.bytes.size()));
  CHECK(ra.value()["blobs_waiting"] == 0);
  CHECK(ra.value()["blob_errors"].empty());
  CHECK(ra.value()["bytes_up"].get<int64_t>() > static_cast<int64_t>(w.bytes.size()));  // the log counts them
  REQUIRE(held_bytes(*w.hub_node, w.id));
  CHECK(*held_bytes(*w.hub_node, w.id) == w.bytes);
  CHECK(blob_store(*w.hub_node)->info(w.id)->media_type == "application/pdf");
  CHECK(partial_bytes(*w.hub_node, w.id) == 0);
  CHECK(w.hub->sync_log("a", 0)["sessions"][0]["bytes_up"].get<int64_t>() > static_cast<int64_t>(w.bytes.size()));

  w.clock.advance(1000);
  auto rb = w.sync_small(w.b);
  REQUIRE(rb.ok());
  CHECK(rb.value()["entries_down"] == 1);
  CHECK(rb.value()["blobs_down"] == 1);
  CHECK(rb.value()["blob_bytes_down"] == static_cast<int64_t>(w.bytes.size()));
  CHECK(rb.value()["bytes_down"].get<int64_t>() > static_cast<int64_t>(w.bytes.size()));
  REQUIRE(held_bytes(*w.points[w.b], w.id));
  CHECK(*held_bytes(*w.points[w.b], w.id) == w.bytes);
  CHECK(sync::point_status(*w.points[w.b])["blobs_waiting"] == 0);

  // Point c has no dossier referencing it: nothing comes down, nothing is asked.
  auto rc = w.sync_small(w.c);
  REQUIRE(rc.ok());
  CHECK(rc.value()["blobs_down"] == 0);
  CHECK_FALSE(held_bytes(*w.points[w.c], w.id));
  CHECK_FALSE(sent_blob_request(w.transports[w.c]->sent));

  // A supplement brought to point b travels to the hub and on to point a.
  std::string more = pdf_bytes(2 * kChunk + 5, 8);
  std::string more_id = store_blob(*w.points[w.b], more);
  auto sup = event_draft(w.code, "dossier.supplement_supplied", Json{{"attachments", {more_id}}});
  REQUIRE(w.points[w.b]->journal().append(sup).ok());
  w.clock.advance(1000);
  auto rb2 = w.sync_small(w.b);
  REQUIRE(rb2.ok());
  CHECK(rb2.value()["blobs_up"] == 1);
  auto ra2 = w.sync_small(w.a);
  REQUIRE(ra2.ok());
  CHECK(ra2.value()["blobs_down"] == 1);
  CHECK(held_bytes(*w.points[w.a], more_id) == more);
  CHECK(held_bytes(*w.hub_node, more_id) == more);
  CHECK(w.held_at_hub() == 0);
}

TEST_CASE("a repeated sync sends no attachment request and no attachment bytes", "[sync][blobs]") {
  BlobWorld w;
  REQUIRE(w.sync_small(w.a).ok());
  REQUIRE(w.sync_small(w.b).ok());
  for (size_t i : {w.a, w.b}) {
    w.clock.advance(1000);
    w.transports[i]->sent.clear();
    auto r = w.sync_small(i);
    REQUIRE(r.ok());
    CHECK(r.value()["blobs_up"] == 0);
    CHECK(r.value()["blobs_down"] == 0);
    CHECK(r.value()["blob_bytes_up"] == 0);
    CHECK(r.value()["blob_bytes_down"] == 0);
    CHECK(r.value()["blobs_waiting"] == 0);
    CHECK_FALSE(sent_blob_request(w.transports[i]->sent));
  }
}

TEST_CASE("an upload cut mid-attachment keeps the synced entries and resumes from the bytes the hub holds",
          "[sync][blobs]") {
  BlobWorld w;
  CutTransport cut(*w.hub, "/sync/v2/blob_put", 2);
  auto first = w.sync_with(w.a, cut);
  REQUIRE_FALSE(first.ok());
  CHECK(first.error().code == "link_down");
  // The entries are stored; the third chunk reached the hub before the cut.
  CHECK(w.hub_node->journal().count() == 1);
  CHECK(partial_bytes(*w.hub_node, w.id) == static_cast<int64_t>(3 * kChunk));
  CHECK_FALSE(held_bytes(*w.hub_node, w.id));  // not visible before it is whole and checked
  Json log = sync::point_sync_log(*w.points[w.a], "", 0);
  REQUIRE(log["sessions"].size() == 1);
  CHECK(log["sessions"][0]["result"] == "failed");
  CHECK(log["sessions"][0]["entries_up"] == 1);

  w.clock.advance(5000);
  w.transports[w.a]->sent.clear();
  auto second = w.sync_small(w.a);
  REQUIRE(second.ok());
  CHECK(second.value()["entries_up"] == 0);
  CHECK(second.value()["blobs_up"] == 1);
  CHECK(second.value()["blob_bytes_up"] == static_cast<int64_t>(w.bytes.size() - 3 * kChunk));
  std::vector<int64_t> offsets;
  for (const auto& r : w.transports[w.a]->sent)
    if (r.path == "/sync/v2/blob_put") offsets.push_back(header_of(r)["offset"].get<int64_t>());
  REQUIRE(offsets.size() == 3);  // chunks 4, 5 and the short sixth
  CHECK(offsets.front() == static_cast<int64_t>(3 * kChunk));
  CHECK(held_bytes(*w.hub_node, w.id) == w.bytes);
  CHECK(partial_bytes(*w.hub_node, w.id) == 0);
}

TEST_CASE("a download cut mid-attachment resumes from the bytes the point holds", "[sync][blobs]") {
  BlobWorld w;
  REQUIRE(w.sync_small(w.a).ok());
  CutTransport cut(*w.hub, "/sync/v2/blob_get", 2);
  auto first = w.sync_with(w.b, cut);
  REQUIRE_FALSE(first.ok());
  CHECK(first.error().code == "link_down");
  CHECK(w.points[w.b]->journal().count() == 1);  // the dossier came down
  CHECK(partial_bytes(*w.points[w.b], w.id) == static_cast<int64_t>(2 * kChunk));
  CHECK_FALSE(held_bytes(*w.points[w.b], w.id));
  CHECK(sync::point_status(*w.points[w.b])["blobs_waiting"] == 1);

  w.clock.advance(5000);
  auto second = w.sync_small(w.b);
  REQUIRE(second.ok());
  CHECK(second.value()["blobs_down"] == 1);
  CHECK(second.value()["blob_bytes_down"] == static_cast<int64_t>(w.bytes.size() - 2 * kChunk));
  std::vector<int64_t> offsets;
  for (const auto& r : w.transports[w.b]->sent)
    if (r.path == "/sync/v2/blob_get") offsets.push_back(header_of(r)["offset"].get<int64_t>());
  REQUIRE_FALSE(offsets.empty());
  CHECK(offsets.front() == static_cast<int64_t>(2 * kChunk));
  CHECK(held_bytes(*w.points[w.b], w.id) == w.bytes);
  CHECK(partial_bytes(*w.points[w.b], w.id) == 0);
}

TEST_CASE("bytes that do not hash to the attachment id are refused at the hub and nothing becomes visible",
          "[sync][blobs]") {
  BlobWorld w;
  // A dossier referencing an attachment the point does not hold: the entry
  // syncs, its attachment waits.
  std::string real = pdf_bytes(3000, 11);
  std::string real_id = to_hex(blake2b256(real));
  w.take_in(w.a, "", [&](node::EntryDraft& d) { d.body["attachments"] = {real_id}; });
  auto s = w.sync_small(w.a);
  REQUIRE(s.ok());
  CHECK(s.value()["blobs_waiting"] == 1);
  const int64_t stored_before = blob_store(*w.hub_node)->total_bytes();

  auto c = w.raw(w.a);
  c.hello();
  std::string forged = pdf_bytes(3000, 12);  // same size, other bytes
  auto first = c.send("blob_put", Json{{"id", real_id}, {"offset", 0}, {"total", 3000}}, std::string_view(forged).substr(0, 2000));
  REQUIRE(first.status == 200);
  CHECK(RawClient::answer(first)["have_bytes"] == 2000);
  CHECK(RawClient::answer(first)["done"] == false);
  auto last = c.send("blob_put", Json{{"id", real_id}, {"offset", 2000}, {"total", 3000}}, std::string_view(forged).substr(2000));
  CHECK(last.status == 422);
  CHECK(RawClient::code(last) == "blob_mismatch");
  CHECK(RawClient::field(last) == "id");
  CHECK_FALSE(held_bytes(*w.hub_node, real_id));
  CHECK_FALSE(held_bytes(*w.hub_node, to_hex(blake2b256(forged))));  // not kept under its own id either
  CHECK(blob_store(*w.hub_node)->total_bytes() == stored_before);
  CHECK(partial_bytes(*w.hub_node, real_id) == 0);
  auto check = c.send("blob_check", Json{{"ids", {real_id}}});
  REQUIRE(check.status == 200);
  CHECK(RawClient::answer(check)["missing"][real_id] == 0);

  // The honest bytes are taken afterwards.
  auto ok = c.send("blob_put", Json{{"id", real_id}, {"offset", 0}, {"total", 3000}}, real);
  REQUIRE(ok.status == 200);
  CHECK(RawClient::answer(ok)["done"] == true);
  CHECK(held_bytes(*w.hub_node, real_id) == real);
}

TEST_CASE("bytes from the hub that do not hash to the id are refused at the point and nothing becomes visible",
          "[sync][blobs]") {
  BlobWorld w;
  REQUIRE(w.sync_small(w.a).ok());
  // The hub's copy rots on disk.
  auto p = blob_store(*w.hub_node)->path(w.id);
  REQUIRE(p);
  {
    std::fstream f(*p, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(kChunk + 17));
    f.put('!');
  }
  auto r = w.sync_small(w.b);
  REQUIRE(r.ok());  // the entries are fine; the attachment is listed as refused
  CHECK(r.value()["entries_down"] == 1);
  CHECK(r.value()["blobs_down"] == 0);
  REQUIRE(r.value()["blob_errors"].size() == 1);
  CHECK(r.value()["blob_errors"][0]["code"] == "blob_mismatch");
  CHECK(r.value()["blob_errors"][0]["id"] == w.id);
  CHECK(r.value()["blobs_waiting"] == 1);
  CHECK_FALSE(held_bytes(*w.points[w.b], w.id));
  CHECK(partial_bytes(*w.points[w.b], w.id) == 0);
  CHECK(blob_store(*w.points[w.b])->total_bytes() == 0);
}

TEST_CASE("a point is refused an attachment outside its scope, whether or not the hub holds it", "[sync][blobs]") {
  BlobWorld w;
  REQUIRE(w.sync_small(w.a).ok());
  REQUIRE(held_bytes(*w.hub_node, w.id));
  std::string unknown = to_hex(blake2b256(std::string("never referenced")));
  auto c = w.raw(w.c);
  c.hello();
  for (const auto& id : {w.id, unknown}) {
    auto get = c.send("blob_get", Json{{"id", id}, {"offset", 0}, {"limit", 1000}});
    CHECK(get.status == 403);
    CHECK(RawClient::code(get) == "blob_not_in_scope");
    CHECK(RawClient::field(get) == "id");
    CHECK(wire::decode(get.body, 1 << 24).value().data.empty());
    auto put = c.send("blob_put", Json{{"id", id}, {"offset", 0}, {"total", 100}}, pdf_bytes(100, 3));
    CHECK(put.status == 403);
    CHECK(RawClient::code(put) == "blob_not_in_scope");
  }
  auto check = c.send("blob_check", Json{{"ids", {w.id, unknown}}});
  REQUIRE(check.status == 200);
  Json ans = RawClient::answer(check);
  CHECK(ans["refused"].get<std::set<std::string>>() == std::set<std::string>{w.id, unknown});
  CHECK(ans["held"].empty());
  CHECK(ans["missing"].empty());
  CHECK_FALSE(held_bytes(*w.hub_node, unknown));

  // The point whose dossier references it gets it.
  auto b = w.raw(w.b);
  w.clock.advance(1000);
  REQUIRE(w.sync_small(w.b).ok());
  b.hello();
  auto get = b.send("blob_get", Json{{"id", w.id}, {"offset", 0}, {"limit", 1000}});
  REQUIRE(get.status == 200);
  CHECK(wire::decode(get.body, 1 << 24).value().data == w.bytes.substr(0, 1000));
}

TEST_CASE("an attachment over max_blob_bytes is refused and nothing is stored", "[sync][blobs]") {
  BlobWorld w;
  REQUIRE(w.hub_node->config().set("max_blob_bytes", "100000").ok());
  auto r = w.sync_small(w.a);
  REQUIRE(r.ok());  // the entries go; the attachment does not
  CHECK(w.hub_node->journal().count() == 1);
  CHECK(r.value()["blobs_up"] == 0);
  CHECK(r.value()["blob_bytes_up"] == 0);
  REQUIRE(r.value()["blob_errors"].size() == 1);
  CHECK(r.value()["blob_errors"][0]["code"] == "blob_too_large");
  CHECK(r.value()["blobs_waiting"] == 1);
  CHECK_FALSE(held_bytes(*w.hub_node, w.id));

  // The hub refuses it itself, before writing a byte.
  auto c = w.raw(w.a);
  c.hello();
  auto put = c.send("blob_put", Json{{"id", w.id}, {"offset", 0}, {"total", static_cast<int64_t>(w.bytes.size())}},
                    std::string_view(w.bytes).substr(0, kChunk));
  CHECK(put.status == 413);
  CHECK(RawClient::code(put) == "blob_too_large");
  CHECK(RawClient::field(put) == "total");
  CHECK(partial_bytes(*w.hub_node, w.id) == 0);
  CHECK(blob_store(*w.hub_node)->total_bytes() == 0);

  // A point's own limit holds for downloads too.
  REQUIRE(w.hub_node->config().set("max_blob_bytes", "20971520").ok());
  w.clock.advance(1000);
  REQUIRE(w.sync_small(w.a).ok());
  REQUIRE(held_bytes(*w.hub_node, w.id));
  REQUIRE(w.points[w.b]->config().set("max_blob_bytes", "100000").ok());
  auto rb = w.sync_small(w.b);
  REQUIRE(rb.ok());
  CHECK(rb.value()["blobs_down"] == 0);
  REQUIRE(rb.value()["blob_errors"].size() == 1);
  CHECK(rb.value()["blob_errors"][0]["code"] == "blob_too_large");
  CHECK_FALSE(held_bytes(*w.points[w.b], w.id));
  CHECK(partial_bytes(*w.points[w.b], w.id) == 0);
}

TEST_CASE("over HTTP, an attachment taken in at a point is served to an officer at the hub", "[sync][blobs]") {
  TempDir dir{"blobs-http"};
  ManualClock clock{1751335200000};
  SeededRandom rng{5};
  auto hub = make_node(dir.sub("hub"), clock, rng, node::Role::Hub, "hub", scope_projector);
  node::UserStore users(hub->db(), clock, rng, true);
  REQUIRE(users.add_user("officer1", node::UserRole::Officer, "officer1-password").ok());
  sync::Hub admin(*hub, sync::make_sqlite_hub_store(*hub));
  auto code = admin.add_point({"a", "area-x", 100, 3, 3600 * 1000});
  REQUIRE(code.ok());
  HubDaemon d(*hub);

  auto point = make_node(dir.sub("a"), clock, rng, node::Role::Point, "a", scope_projector);
  sync::HttpOptions ho;
  ho.url = d.url();
  auto t = sync::make_http_transport(ho);
  REQUIRE(t.ok());
  REQUIRE(sync::join(*point, *t.value(), d.url(), code->code).ok());
  std::string bytes = pdf_bytes(3 * kChunk + 99, 21);
  std::string id = store_blob(*point, bytes);
  // The next code of a's leased block, as its counter mints it (the hub admits only those).
  auto dossier_code = node::codes::mint(*point, clock.now_ms());
  REQUIRE(dossier_code.ok());
  REQUIRE(point->journal().append(intake_with(dossier_code.value(), "a", "area-x", "", {id})).ok());
  auto r = sync::sync_once(*point, *t.value(), small_chunks());
  REQUIRE(r.ok());
  CHECK(r.value()["blobs_up"] == 1);
  CHECK(r.value()["blob_errors"].empty());

  httplib::Client c("127.0.0.1", d.daemon->port());
  c.set_read_timeout(20);
  auto login = c.Post("/api/v1/sessions", Json{{"username", "officer1"}, {"password", "officer1-password"}}.dump(),
                      "application/json");
  REQUIRE(login);
  REQUIRE(login->status == 200);
  std::string token = Json::parse(login->body)["token"].get<std::string>();
  auto got = c.Get("/api/v1/blobs/" + id, httplib::Headers{{"Authorization", "Bearer " + token}});
  REQUIRE(got);
  CHECK(got->status == 200);
  CHECK(got->get_header_value("Content-Type") == "application/pdf");
  CHECK(got->body == bytes);
}

TEST_CASE("a chunk travels as raw bytes after the message header, exactly header.data long", "[sync][blobs]") {
  std::string chunk = pdf_bytes(5000, 4);
  chunk[100] = '\n';  // any byte, newlines included
  auto body = wire::encode(Json{{"type", "blob_put"}, {"id", std::string(64, 'a')}}, {}, chunk);
  REQUIRE(body.ok());
  auto d = wire::decode(body.value(), 1 << 20);
  REQUIRE(d.ok());
  CHECK(d->header["data"] == 5000);
  CHECK(d->data == chunk);
  CHECK(d->entries.empty());
  // A message whose data is not header.data bytes long is refused.
  auto raw = wire::gunzip(body.value(), 1 << 20).value();
  auto shorter = wire::decode(wire::gzip(raw.substr(0, raw.size() - 1)), 1 << 20);
  REQUIRE_FALSE(shorter.ok());
  CHECK(shorter.error().code == "malformed_message");
  auto longer = wire::decode(wire::gzip(raw + "x"), 1 << 20);
  REQUIRE_FALSE(longer.ok());
  CHECK(longer.error().code == "malformed_message");
  // Without "data", bytes after the header are still refused.
  auto stray = wire::decode(wire::gzip(std::string("{\"type\":\"pull\",\"v\":2}\nxyz")), 1 << 20);
  CHECK_FALSE(stray.ok());
}

TEST_CASE("a chunk is compressed only as far as its bytes repay it", "[sync][blobs][wire]") {
  // A scan (random bytes here) gains nothing from deflate: sent stored.
  std::string scan = pdf_bytes(300000, 7);
  CHECK(wire::data_level(scan) == wire::kGzipStored);
  // Text (a form filled in, digits) shrinks: sent at the fast level.
  std::string text = "%PDF-1.4\n";
  std::mt19937_64 g(8);
  while (text.size() < 300000) text += std::to_string(g() % 1000000007) + (g() % 7 == 0 ? "\n" : " ");
  CHECK(wire::data_level(text) == wire::kGzipFast);
  CHECK(wire::data_level("%PDF") == wire::kGzipFast);  // too short to probe
  for (const auto* data : {&scan, &text}) {
    auto body = wire::encode(Json{{"type", "blob_put"}, {"id", std::string(64, 'a')}}, {}, *data);
    REQUIRE(body.ok());
    auto d = wire::decode(body.value(), 1 << 20);
    REQUIRE(d.ok());
    CHECK(d->data == *data);
    if (data == &text) CHECK(body->size() < data->size() * 3 / 5);
    if (data == &scan) CHECK(body->size() < data->size() + 1024);
  }
  // Every level is plain gzip to the receiver; stored is never smaller.
  for (int level : {wire::kGzipStored, wire::kGzipFast, wire::kGzipDefault, 9}) {
    auto z = wire::gzip(text, level);
    CHECK(wire::gunzip(z, 1 << 20).value() == text);
    if (level == wire::kGzipStored) CHECK(z.size() >= text.size());
    else CHECK(z.size() < text.size() * 3 / 5);
  }
}
