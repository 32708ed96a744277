// What a point is told when the hub does not answer: the HTTP transport's
// link_down names the hub's address and the reason in words.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "motcua/sync/transport.hpp"

using namespace motcua;

TEST_CASE("a hub that does not answer: link_down names the address and the reason in words", "[sync][transport]") {
  // A port that was free a moment ago: nothing listens there.
  int port = 0;
  {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port = ntohs(a.sin_port);
    ::close(fd);  // bound, never listening, now closed
  }
  sync::HttpOptions ho;
  ho.url = "http://127.0.0.1:" + std::to_string(port);
  ho.connect_timeout_s = 2;
  auto t = sync::make_http_transport(ho);
  REQUIRE(t.ok());
  sync::WireRequest req;
  req.path = "/sync/v2/hello";
  req.body = "x";
  auto r = t.value()->exchange(req);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "link_down");
  CHECK_THAT(r.error().message, Catch::StartsWith("cannot reach the hub at " + ho.url + ": nothing answers there"));
  CHECK_THAT(r.error().message, Catch::EndsWith("(Connection)"));
}
