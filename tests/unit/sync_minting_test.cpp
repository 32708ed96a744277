// Dossier numbers minted offline at two points of the same agency, from the
// blocks the hub leases them, never collide.
#include <catch2/catch.hpp>

#include <set>

#include "dossier_fixture.hpp"
#include "motcua/node/catalogue.hpp"
#include "motcua/node/dossiers.hpp"
#include "sync_test_util.hpp"

using namespace motcua;
using namespace motcua::test;

TEST_CASE("two points of one agency mint dossier codes offline without ever colliding", "[sync][codes]") {
  SyncWorld w(3, {});  // the real dossier projection
  w.clock.set(vn_ms(2025, 7, 1, 8));
  std::vector<std::unique_ptr<node::DossierService>> svc;
  for (const char* name : {"buu-dien-an-thi", "xa-an-thi"}) {
    auto code = w.hub->add_point({name, "an-thi", 3, 5, 3600 * 1000});
    REQUIRE(code.ok());
    w.points.push_back(make_node(w.dir.sub(name), w.clock, w.rng, node::Role::Point, name));
    w.transports.push_back(std::make_unique<DirectTransport>(*w.hub));
    REQUIRE(sync::join(*w.points.back(), *w.transports.back(), "http://hub.test", code->code).ok());
    svc.push_back(std::make_unique<node::DossierService>(*w.points.back()));
  }
  REQUIRE(w.points[0]->meta("agency_code") == w.points[1]->meta("agency_code"));
  node::Actor clerk{"lan", node::UserRole::Clerk};
  std::set<std::string> codes;
  int minted = 0;
  for (int day = 0; day < 14; ++day) {
    w.clock.set(vn_ms(2025, 7, 1 + day, 8));
    for (size_t p = 0; p < 2; ++p) {
      for (int k = 0; k < 3; ++k) {
        auto r = svc[p]->intake(clerk, DossierFixture::intake_request());
        INFO("day " << day << " point " << p << ": " << (r.ok() ? "" : r.error().message));
        REQUIRE(r.ok());
        CHECK(codes.insert(r.value()["code"].get<std::string>()).second);
        ++minted;
      }
      // The day's share is used up: the point says so instead of inventing a number.
      auto over = svc[p]->intake(clerk, DossierFixture::intake_request());
      REQUIRE(!over.ok());
      CHECK(over.error().code == "codes_exhausted");
    }
    if (day % 4 == 3)  // every fourth day both points get through to the hub and are topped up
      for (size_t p = 0; p < 2; ++p) REQUIRE(w.sync(p).ok());
  }
  CHECK(minted == 84);
  // Past the leased horizon without a sync, a point refuses rather than collide.
  w.clock.set(vn_ms(2025, 7, 1 + 14 + 5, 8));
  auto beyond = svc[0]->intake(clerk, DossierFixture::intake_request());
  REQUIRE(!beyond.ok());
  CHECK(beyond.error().code == "codes_exhausted");
  for (size_t p : {0, 1, 0}) REQUIRE(w.sync(p).ok());
  CHECK(static_cast<int>(w.hub_node->journal().subjects().size()) == 84);
  // Each saw the other's dossiers (same area) and nothing clashed on the way.
  for (auto& p : w.points) {
    CHECK(p->journal().subjects().size() == 84);
    CHECK(p->journal().verify().ok());
  }
}
