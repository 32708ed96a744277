#include <SQLiteCpp/Database.h>

#include <catch2/catch.hpp>

#include "motcua/node/users.hpp"
#include "test_util.hpp"

using namespace motcua;
using node::UserRole;

namespace {
struct Fixture {
  test::TempDir dir{"users"};
  ManualClock clock{1764200000000};
  SeededRandom rng{7};
  std::unique_ptr<node::Node> n = test::make_node(dir.path(), clock, rng);
  node::UserStore users{n->db(), clock, rng, true, &n->journal().mutex()};
  int64_t failures() { return n->db()->execAndGet("SELECT COUNT(*) FROM login_failures").getInt64(); }
};
constexpr int64_t kTtl = 8 * 3600 * 1000;
}  // namespace

TEST_CASE("a user added with a role can log in and its token names the user", "[users]") {
  Fixture f;
  REQUIRE(f.users.add_user("clerk.lan", UserRole::Clerk, "mật khẩu dài").ok());
  auto r = f.users.login("clerk.lan", "mật khẩu dài", kTtl);
  REQUIRE(r.ok());
  CHECK(r->token.size() == 64);
  CHECK(r->role == UserRole::Clerk);
  CHECK(r->expires_at_ms == f.clock.now_ms() + kTtl);
  auto a = f.users.authenticate(r->token);
  REQUIRE(a.ok());
  CHECK(a->username == "clerk.lan");
  CHECK(a->role == UserRole::Clerk);
}

TEST_CASE("tokens are stored only as hashes", "[users]") {
  Fixture f;
  REQUIRE(f.users.add_user("a", UserRole::Admin, "password1").ok());
  auto r = f.users.login("a", "password1", kTtl);
  REQUIRE(r.ok());
  SQLite::Statement q(*f.n->db(), "SELECT token_hash FROM sessions");
  REQUIRE(q.executeStep());
  std::string stored(static_cast<const char*>(q.getColumn(0).getBlob()), q.getColumn(0).getBytes());
  CHECK(stored.size() == 32);
  CHECK(stored.find(r->token) == std::string::npos);
  CHECK(to_hex(reinterpret_cast<const uint8_t*>(stored.data()), 32) != r->token);
}

TEST_CASE("unknown user and wrong password get the same answer", "[users]") {
  Fixture f;
  REQUIRE(f.users.add_user("officer.binh", UserRole::Officer, "right-password").ok());
  auto wrong = f.users.login("officer.binh", "wrong-password", kTtl);
  auto unknown = f.users.login("nobody", "right-password", kTtl);
  REQUIRE_FALSE(wrong.ok());
  REQUIRE_FALSE(unknown.ok());
  CHECK(wrong.error().code == "unauthorized");
  CHECK(unknown.error().code == wrong.error().code);
  CHECK(unknown.error().message == wrong.error().message);
  CHECK(unknown.error().field == wrong.error().field);
}

TEST_CASE("five failures lock a username out until the window passes", "[users]") {
  Fixture f;
  REQUIRE(f.users.add_user("postal.chi", UserRole::Postal, "correct horse").ok());
  for (int i = 0; i < 5; ++i) {
    auto r = f.users.login("postal.chi", "guess" + std::to_string(i), kTtl);
    REQUIRE(r.error().code == "unauthorized");
    f.clock.advance(60 * 1000);
  }
  // Even the right password is refused while locked, and nothing is recorded.
  int64_t before = f.failures();
  auto locked = f.users.login("postal.chi", "correct horse", kTtl);
  REQUIRE_FALSE(locked.ok());
  CHECK(locked.error().code == "too_many_attempts");
  CHECK(f.failures() == before);
  // Another username is not affected.
  CHECK(f.users.login("someone.else", "x", kTtl).error().code == "unauthorized");
  // 15 minutes after the first failure, one slot frees up.
  f.clock.advance(11 * 60 * 1000);
  auto again = f.users.login("postal.chi", "correct horse", kTtl);
  REQUIRE(again.ok());
  // Success clears the counter for that name.
  SQLite::Statement q(*f.n->db(), "SELECT COUNT(*) FROM login_failures WHERE username = 'postal.chi'");
  q.executeStep();
  CHECK(q.getColumn(0).getInt64() == 0);
}

TEST_CASE("a token stops working when it expires or after logout", "[users]") {
  Fixture f;
  REQUIRE(f.users.add_user("clerk1", UserRole::Clerk, "password-one").ok());
  auto r = f.users.login("clerk1", "password-one", 1000);
  REQUIRE(r.ok());
  f.clock.advance(999);
  CHECK(f.users.authenticate(r->token).ok());
  f.clock.advance(1);
  CHECK(f.users.authenticate(r->token).error().code == "unauthorized");
  auto r2 = f.users.login("clerk1", "password-one", kTtl);
  REQUIRE(r2.ok());
  f.users.logout(r2->token);
  CHECK(f.users.authenticate(r2->token).error().code == "unauthorized");
  CHECK(f.users.authenticate("not-a-token").error().code == "unauthorized");
}

TEST_CASE("user names and passwords are checked when a user is added", "[users]") {
  Fixture f;
  CHECK(f.users.add_user("", UserRole::Clerk, "password1").error().field == "username");
  CHECK(f.users.add_user("có dấu", UserRole::Clerk, "password1").error().field == "username");
  CHECK(f.users.add_user(std::string(65, 'a'), UserRole::Clerk, "password1").error().field == "username");
  CHECK(f.users.add_user("u1", UserRole::Clerk, "").error().field == "password");
  CHECK(f.users.add_user("u1", UserRole::Clerk, "1234567").error().field == "password");
  CHECK(f.users.add_user("u1", UserRole::Clerk, "\xff\xfe bad utf8").error().field == "password");
  // 8 characters (not bytes) is enough.
  CHECK(f.users.add_user("u1", UserRole::Clerk, "đđđđđđđđ").ok());
  auto dup = f.users.add_user("u1", UserRole::Admin, "password1");
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error().code == "already_exists");
  auto all = f.users.list_users();
  REQUIRE(all.size() == 1);
  CHECK(all[0].role == UserRole::Clerk);
}

TEST_CASE("passwords are compared after NFC normalisation", "[users]") {
  Fixture f;
  // "ế" precomposed vs e + U+0302 + U+0301.
  REQUIRE(f.users.add_user("v", UserRole::Clerk, "ti\xe1\xba\xbfng vi\xe1\xbb\x87t").ok());
  CHECK(f.users.login("v", "tie\xcc\x82\xcc\x81ng vi\xe1\xbb\x87t", kTtl).ok());
}

TEST_CASE("role names round-trip", "[users]") {
  for (auto r : {UserRole::Clerk, UserRole::Postal, UserRole::Officer, UserRole::Admin})
    CHECK(node::parse_user_role(node::user_role_name(r)) == r);
  CHECK_FALSE(node::parse_user_role("root").has_value());
}
