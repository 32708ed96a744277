// Upgrades: data directories written by released versions of motcua
// (tests/data/datadir-VERSION/, made by tests/data/make-datadir-fixture.sh and
// never regenerated) open with this one: migrated when older, with a copy of
// the database saved first; everything in them verifies and projects as it
// did. A data directory from a newer motcua is refused, byte for byte
// untouched. docs/design/0098-upgrades.md.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <fstream>

#include "motcua/durable_file.hpp"
#include "motcua/canonical.hpp"
#include "motcua/node/node.hpp"
#include "motcua/node/users.hpp"
#include "motcua/schema/database.hpp"
#include "test_util.hpp"

using namespace motcua;
namespace fs = std::filesystem;

namespace {

const fs::path kFixtures = fs::path(MOTCUA_SOURCE_DIR) / "tests" / "data";

std::vector<fs::path> fixture_dirs() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(kFixtures))
    if (e.is_directory() && e.path().filename().string().rfind("datadir-", 0) == 0) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

Json read_json(const fs::path& p) {
  std::ifstream in(p);
  return Json::parse(in);
}

// A copy of a fixture's data directory as an installed node has it: git
// keeps no modes, and a key file others may read is refused.
void copy_data_dir(const fs::path& from, const fs::path& to) {
  fs::copy(from, to, fs::copy_options::recursive);
  fs::permissions(to, fs::perms::owner_all);
  for (const auto& e : fs::recursive_directory_iterator(to))
    if (e.is_regular_file()) fs::permissions(e.path(), fs::perms::owner_read | fs::perms::owner_write);
}

std::string bytes_of(const fs::path& p) {
  auto r = read_small_file(p.string(), 64 << 20);
  if (!r.ok()) throw std::runtime_error(r.error().message);
  return r.value();
}

}  // namespace

TEST_CASE("data directories written by every released version open, verify and project as they did", "[upgrade]") {
  const auto fixtures = fixture_dirs();
  REQUIRE_FALSE(fixtures.empty());
  for (const auto& fixture : fixtures) {
    const Json expected = read_json(fixture / "expected.json");
    for (const auto& [name, want] : expected["nodes"].items()) {
      INFO(fixture.filename().string() << " / " << name << " (written by " << expected["written_by"] << ")");
      test::TempDir tmp("upgrade");
      const fs::path dir = fs::path(tmp.path()) / name;
      copy_data_dir(fixture / name, dir);
      const int written = want["schema_version"].get<int>();
      REQUIRE(written <= schema::schema_version());

      node::OpenOptions o;
      o.data_dir = dir.string();
      auto n = node::Node::open(o);
      REQUIRE(n.ok());
      node::Node& node = *n.value();
      CHECK(schema::database_version(*node.db()) == schema::schema_version());
      for (const auto& [k, v] : want["meta"].items()) CHECK(node.meta(k) == v.get<std::string>());

      // Migrated: a copy of the database as that version left it, next to it.
      const fs::path bak = dir / ("motcua.db.schema" + std::to_string(written) + "-before-" +
                                  std::to_string(schema::schema_version()) + ".bak");
      CHECK(fs::exists(bak) == (written < schema::schema_version()));
      if (fs::exists(bak)) {
        SQLite::Database copy(bak.string(), SQLite::OPEN_READONLY);
        CHECK(copy.execAndGet("PRAGMA user_version").getInt() == written);
        CHECK(copy.execAndGet("SELECT COUNT(*) FROM journal").getInt64() == want["journal_entries"].get<int64_t>());
      }

      // Every signature and link, and the projection rebuilt by this version
      // from the journal gives the same dossiers in the same states.
      auto report = node.journal().verify();
      CHECK(report.ok());
      CHECK(report.entries_checked == want["journal_entries"].get<int64_t>());
      REQUIRE(node.journal().rebuild_projection().ok());
      Json dossiers = Json::object();
      SQLite::Statement q(*node.db(), "SELECT code, status FROM dossier_index ORDER BY code");
      while (q.executeStep()) dossiers[q.getColumn(0).getString()] = q.getColumn(1).getInt();
      CHECK(dossiers == want["dossiers"]);

      // The users can still log in with the password they had.
      node::UserStore users(node.db(), node.clock(), node.random());
      for (const auto& u : want["users"]) {
        auto login = users.login(u.get<std::string>(), expected["password"].get<std::string>(), 60 * 1000);
        CHECK(login.ok());
      }
    }
  }
}

TEST_CASE("a data directory from a newer motcua is refused and left exactly as it was", "[upgrade]") {
  const auto fixtures = fixture_dirs();
  REQUIRE_FALSE(fixtures.empty());
  test::TempDir tmp("upgrade");
  const fs::path dir = fs::path(tmp.path()) / "point";
  copy_data_dir(fixtures.back() / "point-xa-an-thi", dir);
  {
    SQLite::Database raw((dir / "motcua.db").string(), SQLite::OPEN_READWRITE);
    raw.exec("PRAGMA journal_mode=DELETE");
    raw.exec("PRAGMA user_version=" + std::to_string(schema::schema_version() + 1));
  }
  std::map<std::string, std::string> before;
  for (const auto& e : fs::directory_iterator(dir)) before[e.path().filename().string()] = bytes_of(e.path());

  node::OpenOptions o;
  o.data_dir = dir.string();
  auto n = node::Node::open(o);
  REQUIRE_FALSE(n.ok());
  CHECK(n.error().code == "schema_too_new");
  CHECK(n.error().message.find("install a newer motcua") != std::string::npos);
  CHECK(n.error().message.find("was not changed") != std::string::npos);

  std::map<std::string, std::string> after;
  for (const auto& e : fs::directory_iterator(dir)) after[e.path().filename().string()] = bytes_of(e.path());
  CHECK(after == before);  // no -wal, no copy, not a byte changed
}
