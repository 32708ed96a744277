// The web UI's static files: embedded at build time, served at / and
// /ui/<file> with the strict CSP, content types, ETags; within the budget.
#include <catch2/catch.hpp>

#include <regex>

#include "motcua/http/ui.hpp"
#include "http_test_util.hpp"

using namespace motcua;
using test::DaemonFixture;

TEST_CASE("the UI's index page is served at / with the strict CSP", "[http][ui]") {
  DaemonFixture f;
  auto r = f.client()->Get("/");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  CHECK(r->get_header_value("Content-Type") == "text/html; charset=utf-8");
  CHECK(r->get_header_value("Content-Security-Policy") == http::kUiCsp);
  CHECK(r->get_header_value("Content-Security-Policy").find("script-src 'self';") != std::string::npos);
  CHECK(r->get_header_value("X-Content-Type-Options") == "nosniff");
  CHECK(r->get_header_value("Referrer-Policy") == "no-referrer");
  CHECK(r->get_header_value("Cache-Control") == "no-cache");
  CHECK(r->body.find("<script type=\"module\" src=\"/ui/app.js\"></script>") != std::string::npos);
  CHECK(r->body.find("lang=\"vi\"") != std::string::npos);
}

TEST_CASE("UI files are served with their content types and revalidated by ETag", "[http][ui]") {
  DaemonFixture f;
  auto c = f.client();
  auto js = c->Get("/ui/app.js");
  REQUIRE(js->status == 200);
  CHECK(js->get_header_value("Content-Type") == "text/javascript; charset=utf-8");
  CHECK(js->get_header_value("Content-Security-Policy") == http::kUiCsp);
  auto css = c->Get("/ui/app.css");
  REQUIRE(css->status == 200);
  CHECK(css->get_header_value("Content-Type") == "text/css; charset=utf-8");
  std::string etag = js->get_header_value("ETag");
  REQUIRE(etag.size() > 2);
  CHECK(etag != css->get_header_value("ETag"));
  auto again = c->Get("/ui/app.js", httplib::Headers{{"If-None-Match", etag}});
  CHECK(again->status == 304);
  CHECK(again->body.empty());
  auto changed = c->Get("/ui/app.js", httplib::Headers{{"If-None-Match", "\"0000\""}});
  CHECK(changed->status == 200);
  CHECK(changed->body == js->body);
}

TEST_CASE("browsers get gzip, never httplib's slow brotli, for the UI and the API", "[http][ui]") {
  DaemonFixture f;
  auto c = f.client();
  c->set_decompress(false);
  auto gz = c->Get("/ui/app.js", httplib::Headers{{"Accept-Encoding", "gzip, deflate, br"}});
  REQUIRE(gz->status == 200);
  CHECK(gz->get_header_value("Content-Encoding") == "gzip");
  auto only_br = c->Get("/ui/app.js", httplib::Headers{{"Accept-Encoding", "br"}});
  REQUIRE(only_br->status == 200);
  CHECK(only_br->get_header_value("Content-Encoding").empty());
  auto plain = c->Get("/ui/app.js");
  CHECK(only_br->body == plain->body);
  auto q = c->Get("/healthz", httplib::Headers{{"Accept-Encoding", "br;q=1.0, gzip;q=0.5"}});
  REQUIRE(q->status == 200);
  CHECK(q->get_header_value("Content-Encoding") != "br");
}

TEST_CASE("unknown UI files are 404 and nothing outside the UI is reachable", "[http][ui]") {
  DaemonFixture f;
  auto c = f.client();
  for (const char* path : {"/ui/nope.js", "/ui/..%2Fapi_error.cpp", "/ui/index.html", "/ui/", "/index.html"}) {
    auto r = c->Get(path);
    REQUIRE(r);
    INFO(path);
    CHECK(r->status == 404);
  }
  auto r = c->Get("/ui/nope.js");
  CHECK(r->get_header_value("Content-Security-Policy") == http::kUiCsp);
  CHECK(test::body_json(r)["error"]["code"] == "not_found");
}

TEST_CASE("the UI stays within its budget and has no inline script or style", "[http][ui]") {
  size_t total = 0;
  bool has_index = false, has_app = false;
  const std::regex inline_handler(R"(<[^>]*\son[a-z]+\s*=)", std::regex::icase);
  for (const auto& file : http::ui_files()) {
    INFO(std::string(file.name));
    total += file.bytes.size();
    has_index = has_index || file.name == "index.html";
    has_app = has_app || file.name == "app.js";
    CHECK(http::ui_content_type(file.name) != "application/octet-stream");
    std::string text(file.bytes);
    if (file.name.size() > 5 && file.name.substr(file.name.size() - 5) == ".html") {
      CHECK(text.find("style=") == std::string::npos);
      CHECK(text.find("<style") == std::string::npos);
      CHECK_FALSE(std::regex_search(text, inline_handler));
      CHECK(std::regex_search(text, std::regex("<script(?![^>]*\\ssrc=)")) == false);
    }
    if (file.name.size() > 3 && file.name.substr(file.name.size() - 3) == ".js") {
      CHECK(text.find("eval(") == std::string::npos);
      CHECK(text.find("new Function") == std::string::npos);
      CHECK(text.find("http://") == std::string::npos);
      CHECK(text.find("https://") == std::string::npos);
    }
  }
  CHECK(has_index);
  CHECK(has_app);
  // Every screen loads all of it at most (one page, modules loaded on sign-in).
  CHECK(total < http::kUiPageBudgetBytes);
}
