// Sync protocol v2, the point's side of hub answers (found by the fuzz target
// fuzz_sync_client, docs/design/0082-fuzzing-the-point-side.md): a welcome,
// receipt, entries or error answer with a field of another JSON type than
// docs/sync-protocol.md gives it is refused as malformed_message naming the
// field (before: an exception inside the session, reported as
// internal_error), nothing of that answer is kept, and the next honest
// session syncs as usual.
#include <catch2/catch.hpp>

#include <functional>
#include <limits>

#include "../../sync/src/sync_auth.hpp"
#include "../../sync/src/sync_codec.hpp"
#include "sync_test_util.hpp"

using namespace motcua;
using namespace motcua::test;
namespace wire = motcua::sync::wire;
namespace auth = motcua::sync::auth;

namespace {

// The real hub, whose answer to `kind` is changed by `edit` and signed again
// with the hub's key for the request (as a hub with a bug would sign it).
class RewritingHub final : public sync::Transport {
 public:
  RewritingHub(SyncWorld& w, std::string kind, std::function<void(Json&)> edit, int status = 0)
      : w_(w), kind_(std::move(kind)), edit_(std::move(edit)), status_(status) {}
  Result<sync::WireResponse> exchange(const sync::WireRequest& req) override {
    sync::WireResponse res = w_.hub->handle(req);
    if (req.path != "/sync/v2/" + kind_) return res;
    auto d = wire::decode(res.body, 1 << 24);
    REQUIRE(d.ok());
    edit_(d->header);
    if (status_) res.status = status_;
    res.body = wire::encode(d->header, d->entries, d->data).value();
    res.headers.clear();
    auth::sign_response(res, auth::binding_of(req), w_.hub_node->keys(), w_.clock.now_ms());
    return res;
  }

 private:
  SyncWorld& w_;
  std::string kind_;
  std::function<void(Json&)> edit_;
  int status_;
};

}  // namespace

TEST_CASE("a hub answer with a field of another type is malformed_message naming it, and the next session syncs",
          "[v2][v2-fuzz][sync]") {
  struct Case {
    const char* kind;
    const char* field;
    std::function<void(Json&)> edit;
  };
  const std::vector<Case> cases = {
      {"hello", "skew_ms", [](Json& h) { h["skew_ms"] = "x"; }},
      {"hello", "hub_epoch", [](Json& h) { h["hub_epoch"] = 5; }},
      {"hello", "point_status", [](Json& h) { h["point_status"] = 1; }},
      {"hello", "registry_hash", [](Json& h) { h["registry_hash"] = Json::array(); }},
      {"hello", "max_batch_entries", [](Json& h) { h["limits"]["max_batch_entries"] = "x"; }},
      {"hello", "author", [](Json& h) { h["fork"] = Json{{"author", 5}, {"seq", 1}, {"hub_id", ""}}; }},
      {"hello", "hub_seq", [](Json& h) { h["behind"] = Json{{"seq", 0}, {"hub_seq", "2"}}; }},
      {"push", "stored", [](Json& h) { h["stored"] = "1"; }},
      {"pull", "more", [](Json& h) { h["more"] = 1; }},
      {"pull", "next", [](Json& h) { h["next"] = "9"; }},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.kind << " answer with a wrong " << c.field) {
      SyncWorld w;
      const size_t p = w.add_point("p1", "area-1");
      node::Node& point = *w.points[p];
      REQUIRE(point.journal().append(intake_draft("X-1", "p1", "area-1")).ok());
      const int64_t cursor_before = 0;
      RewritingHub bad(w, c.kind, c.edit);
      auto r = sync::sync_once(point, bad, w.client_options());
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().code == "malformed_message");
      CHECK(r.error().field == c.field);
      // Nothing of the refused answer was kept: the pull cursor did not move.
      auto status = sync::point_status(point);
      CHECK(status.value("pull_cursor", int64_t{-1}) == cursor_before);
      // An honest session afterwards pushes the entry and ends ok.
      auto good = w.sync(p);
      REQUIRE(good.ok());
      CHECK(w.hub_node->journal().get(point.keys().pk, 1).has_value());
    }
  }
}

TEST_CASE("a hub error answer whose code is not text is hub_error, not internal_error", "[v2][v2-fuzz][sync]") {
  SyncWorld w;
  const size_t p = w.add_point("p1", "area-1");
  RewritingHub bad(
      w, "hello",
      [](Json& h) { h = Json{{"type", "error"}, {"error", Json{{"code", 403}, {"message", 7}, {"field", Json::array()}}}}; },
      403);
  auto r = sync::sync_once(*w.points[p], bad, w.client_options());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "hub_error");
}

TEST_CASE("a signed request whose X-Motcua-Time is negative is refused before the hub computes a skew from it",
          "[v2][v2-fuzz][sync]") {
  // The hub's skew is its time minus the request's: from INT64_MIN that
  // overflowed (undefined behaviour) for any enrolled point's hello.
  SyncWorld w;
  const size_t p = w.add_point("p1", "area-1");
  node::Node& point = *w.points[p];
  const std::string body =
      wire::encode(Json{{"type", "hello"}, {"heads", Json::object()}, {"cursor", 0}}, {}).value();
  for (int64_t t : {std::numeric_limits<int64_t>::min(), int64_t{-1}}) {
    auto res = w.hub->handle(auth::make_request("/sync/v2/hello", body, point.keys(), "-", 0, t));
    auto d = wire::decode(res.body, 1 << 20);
    REQUIRE(d.ok());
    CHECK(res.status != 200);
    CHECK(d->header.value("error", Json::object()).value("field", std::string()) == "X-Motcua-Time");
  }
  // Nothing was recorded for the point: no contact, no skew.
  const Json points = w.hub->points();
  REQUIRE(points.size() == 1);
  CHECK(points[0]["last_seen"].is_null());
  CHECK(points[0]["skew_ms"] == 0);
  // Its honest session still syncs.
  REQUIRE(w.sync(p).ok());
}
