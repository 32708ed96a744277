// A sync carried on a USB stick both ways: same checks as over the network.
#include <catch2/catch.hpp>
#include <algorithm>

#include <fstream>
#include <sstream>

#include "motcua/durable_file.hpp"
#include "motcua/sync/bundle.hpp"
#include "sync_test_util.hpp"

using namespace motcua;
using namespace motcua::test;

TEST_CASE("a bundle carries a point's entries to the hub and the hub's answer back", "[sync][bundle]") {
  SyncWorld w;
  size_t a = w.add_point("a", "area-x");
  size_t b = w.add_point("b", "area-x");
  for (int i = 0; i < 5; ++i) w.take_in(a);
  const std::string b1 = w.take_in(b).subject;
  REQUIRE(w.sync(b).ok());  // b is online; a has no link at all
  w.act(SyncWorld::kHub, b1, "dossier.accepted");

  const std::string up = w.dir.sub("a-to-hub.bundle"), down = w.dir.sub("hub-to-a.bundle");
  auto ex = sync::export_point_bundle(*w.points[a], up);
  REQUIRE(ex.ok());
  CHECK(ex.value()["entries"] == 5);
  auto im = sync::import_point_bundle(*w.hub, *w.hub_node, up);
  REQUIRE(im.ok());
  CHECK(im.value()["stored"] == 5);
  CHECK(w.hub_node->journal().heads()[w.points[a]->keys().pk] == 5);
  CHECK(w.held_at_hub() == 0);

  auto hx = sync::export_hub_bundle(*w.hub, *w.hub_node, "a", down);
  REQUIRE(hx.ok());
  CHECK(hx.value()["entries"] == 2);  // b's dossier and the hub's act on it; not a's own entries
  auto pi = sync::import_hub_bundle(*w.points[a], down);
  REQUIRE(pi.ok());
  CHECK(pi.value()["entries"] == 2);
  CHECK(w.points[a]->journal().subject_state(b1) == w.hub_node->journal().subject_state(b1));
  CHECK(w.points[a]->journal().verify().ok());
  // The hub logged the exchange, and a's next network sync has nothing left to move.
  Json log = w.hub->sync_log("a", 0);
  bool logged = false;
  for (const auto& s : log["sessions"]) logged |= s["entries_up"] == 5 && s["result"] == "ok";
  CHECK(logged);
  auto again = w.sync(a);
  REQUIRE(again.ok());
  CHECK(again.value()["entries_up"] == 0);
  CHECK(again.value()["entries_down"] == 0);
  // Importing the hub bundle twice changes nothing.
  auto twice = sync::import_hub_bundle(*w.points[a], down);
  REQUIRE(twice.ok());
  CHECK(twice.value()["entries"] == 0);
}

TEST_CASE("a tampered, replayed or misaddressed bundle is refused and stores nothing", "[sync][bundle][security]") {
  SyncWorld w;
  size_t a = w.add_point("a", "area-x");
  size_t b = w.add_point("b", "area-y");
  for (int i = 0; i < 3; ++i) w.take_in(a);
  const std::string file = w.dir.sub("a.bundle"), bad = w.dir.sub("bad.bundle");
  REQUIRE(sync::export_point_bundle(*w.points[a], file).ok());
  std::string bytes = read_small_file(file, 1 << 24).value();
  std::string altered = bytes;
  altered[altered.size() - 10] ^= 1;  // inside the last push body
  REQUIRE(write_file_durably(bad, altered).ok());
  auto r = sync::import_point_bundle(*w.hub, *w.hub_node, bad);
  REQUIRE(!r.ok());
  CHECK(r.error().code == "bad_request_signature");
  CHECK(w.hub_node->journal().count() == 0);

  // The genuine file still goes in.
  auto ok = sync::import_point_bundle(*w.hub, *w.hub_node, file);
  REQUIRE(ok.ok());
  CHECK(ok.value()["stored"] == 3);
  CHECK(w.hub_node->journal().count() == 3);
  // Importing it again is harmless: its push carries only entries the hub
  // holds, so it stores nothing and counts as skipped.
  auto replay = sync::import_point_bundle(*w.hub, *w.hub_node, file);
  REQUIRE(replay.ok());
  CHECK(replay.value()["stored"] == 0);
  CHECK(replay.value()["skipped"] == 1);
  CHECK(w.hub_node->journal().count() == 3);
  // The hub's log keeps all three imports: refused, stored 3, stored 0.
  std::vector<std::pair<std::string, int64_t>> imports;
  for (const auto& row : w.hub->store().sessions("a", 0, 100)) imports.emplace_back(row.result, row.entries_up);
  std::sort(imports.begin(), imports.end());
  REQUIRE(imports.size() == 3);
  CHECK(imports[0] == std::pair<std::string, int64_t>{"ok", 0});
  CHECK(imports[1] == std::pair<std::string, int64_t>{"ok", 3});
  CHECK(imports[2].first == "refused");

  const std::string for_b = w.dir.sub("for-b.bundle");
  REQUIRE(sync::export_hub_bundle(*w.hub, *w.hub_node, "b", for_b).ok());
  auto wrong = sync::import_hub_bundle(*w.points[a], for_b);
  REQUIRE(!wrong.ok());
  CHECK(wrong.error().code == "malformed_bundle");
  (void)b;
}
