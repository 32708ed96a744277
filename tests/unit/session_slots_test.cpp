// A hub syncs at most max_sessions points at once (docs/design/0121): a
// hello beyond them is answered 503 hub_busy with when to come back, and
// changes nothing; a place is freed by the session's last pull, by a failed
// hello, or after 30 s without a request.
#include <catch2/catch.hpp>

#include "session_slots.hpp"
#include "sync_auth.hpp"
#include "sync_codec.hpp"
#include "sync_util.hpp"
#include "sync_test_util.hpp"

using namespace motcua;
using namespace motcua::test;
using sync::SessionSlots;

TEST_CASE("session places: a cap, places kept by the same point, freed at the end or after idling", "[busy]") {
  SessionSlots s(2);
  int64_t wait = -1;
  REQUIRE(s.admit("a", 0, &wait));
  s.end("a", 10, false);  // its hello answered; the session goes on
  REQUIRE(s.admit("b", 20, &wait));
  s.end("b", 30, false);
  CHECK_FALSE(s.admit("c", 40, &wait));
  CHECK(wait == SessionSlots::kFirstGuessMs);  // no session has ended yet
  CHECK(s.admit("a", 50, &wait));              // a new hello of a point holding a place keeps it
  s.end("a", 60, false);
  CHECK(s.stats(60).held == 2);
  CHECK(s.stats(60).busy_total == 1);

  // a's last pull: its place is free, and its length (4 s from its last
  // hello) is what the next refusal asks to wait.
  REQUIRE(s.begin("a", 4000));
  s.end("a", 4050, true);
  CHECK(s.stats(4050).typical_ms == 4000);
  REQUIRE(s.admit("c", 4100, &wait));
  s.end("c", 4100, false);
  CHECK_FALSE(s.admit("d", 4200, &wait));
  CHECK(wait == 4000);

  // A request being served keeps its place however long it takes (a push
  // waiting for its turn); one idle for more than 30 s loses it.
  REQUIRE(s.begin("b", 5000));  // b's push, in flight past the idle time
  // At 65 s c, which sent nothing since 4.1 s, has lost its place; b, being
  // served, keeps its own.
  REQUIRE(s.admit("d", 65000, &wait));
  s.end("d", 65000, false);
  CHECK_FALSE(s.admit("e", 65000, &wait));  // b and d hold the two
  s.end("b", 66000, false);
  CHECK(s.stats(66000).held == 2);
  CHECK_FALSE(s.begin("c", 66000));  // c's session goes on, without a place
  s.end("c", 66000, true);           // nothing to free
  CHECK(s.stats(66000).held == 2);
  CHECK(s.stats(66000 + 30001).held == 0);  // both idle for more than 30 s
}

TEST_CASE("session places: Retry-After follows recent sessions, between 1 s and 60 s, and cap 0 never refuses", "[busy]") {
  SessionSlots s(1);
  int64_t wait = 0;
  REQUIRE(s.admit("a", 0, &wait));
  s.end("a", 100, true);  // a 0.1 s session
  REQUIRE(s.admit("b", 200, &wait));
  CHECK_FALSE(s.admit("c", 200, &wait));
  CHECK(wait == SessionSlots::kMinRetryMs);
  s.end("b", 200 + 10 * 60 * 1000, true);  // a 10-minute session: weighs 1/8
  CHECK(s.stats(0).typical_ms == (100 * 7 + 10 * 60 * 1000) / 8);
  for (int i = 0; i < 20; ++i) {  // many long sessions
    REQUIRE(s.admit("x", 0, &wait));
    s.end("x", 10 * 60 * 1000, true);
  }
  REQUIRE(s.admit("y", 0, &wait));
  CHECK_FALSE(s.admit("z", 0, &wait));
  CHECK(wait == SessionSlots::kMaxRetryMs);

  SessionSlots open(0);
  for (int i = 0; i < 1000; ++i) REQUIRE(open.admit("p" + std::to_string(i), 0, &wait));
  CHECK(open.stats(0).held == 1000);
  CHECK(open.stats(0).busy_total == 0);
}

TEST_CASE("session places: with many points waiting, each is told to come back later, and those gone stop counting",
          "[busy]") {
  SessionSlots s(2);
  int64_t wait = 0;
  REQUIRE(s.admit("a", 0, &wait));
  REQUIRE(s.admit("b", 0, &wait));
  s.end("a", 4000, true);  // sessions of 4 s
  REQUIRE(s.admit("c", 4000, &wait));
  // Up to 16 points waiting (8 arrivals for each of the 2 places), a
  // typical session; beyond, longer in proportion.
  for (int i = 1; i <= 64; ++i) {
    CHECK_FALSE(s.admit("w" + std::to_string(i), 5000, &wait));
    if (i == 16) CHECK(wait == 4000);
    if (i == 32) CHECK(wait == 8000);
  }
  CHECK(wait == 64 * 4000 / 16);
  CHECK(s.stats(5000).waiting == 64);
  // A point asking again counts once.
  CHECK_FALSE(s.admit("w1", 6000, &wait));
  CHECK(wait == 64 * 4000 / 16);
  // One that gets a place no longer waits.
  s.end("b", 7000, true);
  REQUIRE(s.admit("w1", 7000, &wait));
  CHECK(s.stats(7000).waiting == 63);
  // Those not heard of for two minutes are gone: a typical session again
  // (b's 7 s weighs 1/8).
  CHECK_FALSE(s.admit("late", 5000 + 120001, &wait));
  CHECK(s.stats(5000 + 120001).waiting == 1);
  CHECK(wait == (4000 * 7 + 7000) / 8);
}

namespace {

// Delivers point b's requests to the hub unchanged, but runs `during` before
// the request whose path ends with `at` (once).
void before_request(DirectTransport& t, const std::string& at, std::function<void()> during) {
  auto done = std::make_shared<bool>(false);
  t.tamper = [at, during = std::move(during), done](sync::WireRequest& r) {
    if (*done || r.path.size() < at.size() || r.path.compare(r.path.size() - at.size(), at.size(), at) != 0) return;
    *done = true;
    during();
  };
}

}  // namespace

TEST_CASE("a hub at its most sessions answers a further hello 503 hub_busy with when to come back, and stores nothing",
          "[sync][busy]") {
  SyncWorld w(1, scope_projector, true, true, /*max_sessions=*/1);
  size_t a = w.add_point("a", "area-x");
  size_t b = w.add_point("b", "area-x");
  w.take_in(a);
  w.take_in(b);
  const auto b_before = *w.hub->store().point("b");
  const int64_t hub_entries = w.hub_node->journal().count();
  // b's hello arrives while a's session is between its hello and its push.
  Result<Json> refused = Json();
  sync::WireResponse raw;
  before_request(*w.transports[a], "/push", [&] {
    refused = w.sync(b);
    raw = w.transports[b]->sent.empty() ? sync::WireResponse{} : w.hub->handle(w.transports[b]->sent.back());
  });
  REQUIRE(w.sync(a).ok());
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == "hub_busy");
  CHECK(refused.error().message.find("thử lại sau 5 giây") != std::string::npos);
  CHECK(refused.error().message.find("try again in 5 s") != std::string::npos);
  // The same hello again, as the hub answered it: 503, Retry-After, and the
  // wait in the signed body.
  CHECK(raw.status == 503);
  CHECK(raw.headers["Retry-After"] == "5");
  auto body = sync::wire::decode(raw.body, 1 << 20);
  REQUIRE(body.ok());
  CHECK(body->header["error"]["code"] == "hub_busy");
  CHECK(body->header["error"]["retry_after_s"] == 5);
  // Nothing of b at the hub: no contact noted, no session, none of its entries.
  const auto b_after = *w.hub->store().point("b");
  CHECK(b_after.last_seen_ms == b_before.last_seen_ms);
  CHECK(w.hub->store().sessions("b", 0, 10).empty());
  CHECK(w.hub_node->journal().count() == hub_entries + 1);  // a's intake only
  // The point itself knows when to come back (its agent waits that long).
  CHECK(sync::util::state_get(*w.points[b], "hub_busy_until_ms") == std::to_string(w.clock.now_ms() + 5000));

  // a's last pull freed its place: b syncs now.
  auto later = w.sync(b);
  REQUIRE(later.ok());
  CHECK(later.value()["entries_up"] == 1);
  CHECK(sync::util::state_get(*w.points[b], "hub_busy_until_ms") == "0");
  const std::string m = w.hub->metrics();
  CHECK(metric(m, "motcua_sync_sessions_busy_total") == 2);  // b's hello, and the copy sent again
  CHECK(metric(m, "motcua_sync_sessions_max") == 1);
  CHECK(metric(m, "motcua_sync_sessions_active") == 0);
}

TEST_CASE("a point that goes away mid-session holds its place 30 s, and a failed hello holds none", "[sync][busy]") {
  SyncWorld w(2, scope_projector, true, true, /*max_sessions=*/1);
  size_t a = w.add_point("a", "area-x");
  size_t b = w.add_point("b", "area-x");
  w.take_in(a);
  // a's link drops after its hello: the push never arrives.
  w.transports[a]->tamper = [](sync::WireRequest& r) {
    if (r.path == "/sync/v2/push") r.path = "/sync/v2/gone";
  };
  REQUIRE_FALSE(w.sync(a).ok());
  CHECK(w.sync(b).error().code == "hub_busy");
  w.clock.advance(29 * 1000);
  CHECK(w.sync(b).error().code == "hub_busy");
  w.clock.advance(2 * 1000);  // 31 s without a request from a
  REQUIRE(w.sync(b).ok());

  // A hello the hub takes in and then refuses (well signed, but without
  // heads) frees its place at once.
  auto bad = sync::auth::make_request("/sync/v2/hello", sync::wire::encode(Json{{"type", "hello"}}, {}).value(),
                                      w.points[a]->keys(), "-", 0, w.clock.now_ms());
  CHECK(w.hub->handle(bad).status == 400);
  REQUIRE(w.sync(b).ok());
}
