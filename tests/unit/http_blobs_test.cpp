// Attachments over HTTP: streamed uploads, content addressing, limits.
#include <catch2/catch.hpp>

#include "http_test_util.hpp"

using namespace motcua;
using test::DaemonFixture;

namespace {
const std::string kPdf = "%PDF-1.7\n" + std::string(3000, 'p') + "\n%%EOF\n";
const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(500, 'i');
const std::string kJpeg = std::string("\xff\xd8\xff\xe0", 4) + std::string(500, 'j');
}  // namespace

TEST_CASE("the same bytes uploaded twice get the same id", "[http][blobs]") {
  DaemonFixture f;
  auto clerk = DaemonFixture::bearer(f.login("clerk1"));
  auto c = f.client();
  auto a = c->Post("/api/v1/blobs", clerk, kPdf, "application/pdf");
  auto b = c->Post("/api/v1/blobs", clerk, kPdf, "application/octet-stream");
  REQUIRE(a->status == 201);
  REQUIRE(b->status == 201);
  Json ja = test::body_json(a), jb = test::body_json(b);
  CHECK(ja["id"] == jb["id"]);
  CHECK(ja["id"] == to_hex(blake2b256(kPdf)));
  CHECK(ja["size"] == kPdf.size());
  CHECK(ja["media_type"] == "application/pdf");
}

TEST_CASE("PNG, JPEG and PDF are accepted by their first bytes and read back", "[http][blobs]") {
  DaemonFixture f;
  auto postal = DaemonFixture::bearer(f.login("postal1"));
  auto officer = DaemonFixture::bearer(f.login("officer1"));
  auto c = f.client();
  for (auto [bytes, type] : std::vector<std::pair<std::string, std::string>>{
           {kPng, "image/png"}, {kJpeg, "image/jpeg"}, {kPdf, "application/pdf"}}) {
    auto up = c->Post("/api/v1/blobs", postal, bytes, "application/octet-stream");
    REQUIRE(up->status == 201);
    std::string id = test::body_json(up)["id"];
    CHECK(test::body_json(up)["media_type"] == type);
    auto down = c->Get("/api/v1/blobs/" + id, officer);
    REQUIRE(down->status == 200);
    CHECK(down->body == bytes);
    CHECK(down->get_header_value("Content-Type") == type);
  }
}

TEST_CASE("a chunked upload is streamed to disk and an attachment can be used in an intake", "[http][blobs]") {
  DaemonFixture f;
  auto clerk = DaemonFixture::bearer(f.login("clerk1"));
  auto c = f.client();
  std::string big = "%PDF-1.4\n" + std::string(300 * 1024, 'z');
  auto up = c->Post(
      "/api/v1/blobs", clerk,
      [&](size_t offset, httplib::DataSink& sink) {
        if (offset >= big.size()) {
          sink.done();
          return true;
        }
        return sink.write(big.data() + offset, std::min<size_t>(8192, big.size() - offset));
      },
      "application/pdf");
  REQUIRE(up->status == 201);
  std::string id = test::body_json(up)["id"];
  CHECK(id == to_hex(blake2b256(big)));
  Json req = test::intake_request();
  req["attachments"] = Json::array({id});
  auto made = c->Post("/api/v1/dossiers", clerk, req.dump(), "application/json");
  CHECK(made->status == 201);
}

TEST_CASE("an upload over max_blob_bytes is 413 and stores nothing", "[http][blobs]") {
  sync::DaemonOptions o;
  o.max_blob_bytes = 4096;
  o.max_body_bytes = 1024;
  DaemonFixture f(o);
  auto clerk = DaemonFixture::bearer(f.login("clerk1"));
  auto c = f.client();
  auto before = test::snapshot(*f.node);
  auto r = c->Post("/api/v1/blobs", clerk, "%PDF-1.4\n" + std::string(5000, 'x'), "application/pdf");
  CHECK(r->status == 413);
  CHECK(test::body_json(r)["error"]["code"] == "too_large");
  CHECK(test::snapshot(*f.node) == before);
  // The blob limit, not the JSON limit, applies to attachments.
  CHECK(c->Post("/api/v1/blobs", clerk, "%PDF-1.4\n" + std::string(3000, 'x'), "application/pdf")->status == 201);
  // And the connection stays usable after a refusal.
  CHECK(c->Get("/healthz")->status == 200);
}

TEST_CASE("unknown attachments are 404 and uploads need a counter role", "[http][blobs]") {
  DaemonFixture f;
  auto clerk = DaemonFixture::bearer(f.login("clerk1"));
  auto c = f.client();
  CHECK(c->Get("/api/v1/blobs/" + std::string(64, 'a'), clerk)->status == 404);
  CHECK(c->Get("/api/v1/blobs/not-an-id", clerk)->status == 404);
  CHECK(c->Post("/api/v1/blobs", kPdf, "application/pdf")->status == 401);
  CHECK(c->Get("/api/v1/blobs/" + to_hex(blake2b256(kPdf)))->status == 401);
}
