#include <SQLiteCpp/Database.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <thread>

#include "motcua/node/users.hpp"
#include "motcua/schema/database.hpp"
#include "test_util.hpp"

using namespace motcua;
using node::UserRole;

namespace motcua::schema {
const std::vector<const char*>& migrations();  // schema/src/migrations.cpp
}

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

TEST_CASE("failed logins from one address wait longer and longer, never refusing the right password after the wait",
          "[users][throttle]") {
  Fixture f;
  REQUIRE(f.users.add_user("postal.chi", UserRole::Postal, "correct horse").ok());
  const std::string a = "10.0.0.1";
  for (int i = 0; i < 3; ++i)
    REQUIRE(f.users.login("postal.chi", "guess" + std::to_string(i), kTtl, a).error().code == "unauthorized");
  // Each further attempt waits 2^(n-3) s after the previous failure; refused
  // without checking the password, and nothing is recorded.
  int64_t expected_wait = 1000;
  for (int n = 3; n < 14; ++n) {
    int64_t before = f.failures();
    int64_t wait = 0;
    auto early = f.users.login("postal.chi", "correct horse", kTtl, a, &wait);
    REQUIRE(early.error().code == "too_many_attempts");
    CHECK(wait == expected_wait);
    CHECK(f.failures() == before);
    f.clock.advance(wait);
    REQUIRE(f.users.login("postal.chi", "guess" + std::to_string(n), kTtl, a).error().code == "unauthorized");
    expected_wait = std::min<int64_t>(expected_wait * 2, 5 * 60 * 1000);  // capped at 5 minutes
  }
  CHECK(expected_wait == 5 * 60 * 1000);
  f.clock.advance(5 * 60 * 1000 - 1);
  CHECK(f.users.login("postal.chi", "correct horse", kTtl, a).error().code == "too_many_attempts");
  f.clock.advance(1);
  REQUIRE(f.users.login("postal.chi", "correct horse", kTtl, a).ok());
  // Success clears this address: three free failures again.
  SQLite::Statement q(*f.n->db(), "SELECT COUNT(*) FROM login_throttle WHERE username = 'postal.chi'");
  q.executeStep();
  CHECK(q.getColumn(0).getInt64() == 0);
  for (int i = 0; i < 3; ++i) CHECK(f.users.login("postal.chi", "x" + std::to_string(i), kTtl, a).error().code == "unauthorized");
  CHECK(f.users.login("postal.chi", "correct horse", kTtl, a).error().code == "too_many_attempts");
}

TEST_CASE("another address is not slowed by one address's failures", "[users][throttle]") {
  Fixture f;
  REQUIRE(f.users.add_user("postal.chi", UserRole::Postal, "correct horse").ok());
  for (int i = 0; i < 5; ++i) (void)f.users.login("postal.chi", "guess" + std::to_string(i), kTtl, "203.0.113.9");
  CHECK(f.users.login("postal.chi", "correct horse", kTtl, "203.0.113.9").error().code == "too_many_attempts");
  // The clerk's own PC: the right password at once, and its own free failures.
  CHECK(f.users.login("postal.chi", "typo", kTtl, "192.168.1.20").error().code == "unauthorized");
  CHECK(f.users.login("postal.chi", "correct horse", kTtl, "192.168.1.20").ok());
  // Another username from the slowed address is not affected either.
  CHECK(f.users.login("someone.else", "x", kTtl, "203.0.113.9").error().code == "unauthorized");
  // An hour without failures and the address starts afresh.
  f.clock.advance(60 * 60 * 1000);
  CHECK(f.users.login("postal.chi", "correct horse", kTtl, "203.0.113.9").ok());
}

TEST_CASE("guesses spread over many addresses meet a per-username cap", "[users][throttle]") {
  test::TempDir dir{"users-cap"};
  ManualClock clock{1764200000000};
  SeededRandom rng{7};
  auto n = test::make_node(dir.path(), clock, rng);
  node::LoginThrottle t;
  t.max_user_failures = 6;
  t.user_window_ms = 60 * 60 * 1000;
  node::UserStore users{n->db(), clock, rng, true, &n->journal().mutex(), t};
  REQUIRE(users.add_user("lan", UserRole::Clerk, "lan-password").ok());
  for (int i = 0; i < 6; ++i) {
    REQUIRE(users.login("lan", "guess", kTtl, "198.51.100." + std::to_string(i)).error().code == "unauthorized");
    clock.advance(60 * 1000);
  }
  int64_t wait = 0;
  auto capped = users.login("lan", "lan-password", kTtl, "192.168.1.20", &wait);
  CHECK(capped.error().code == "too_many_attempts");
  CHECK(wait == 60 * 60 * 1000 - 6 * 60 * 1000);  // until the oldest failure is an hour old
  CHECK(users.list_users()[0].throttled);
  clock.advance(wait);
  CHECK(users.login("lan", "lan-password", kTtl, "192.168.1.20").ok());
  // unlock forgets them all at once.
  for (int i = 0; i < 6; ++i) (void)users.login("lan", "guess", kTtl, "198.51.100." + std::to_string(i));
  CHECK(users.login("lan", "lan-password", kTtl, "192.168.1.20").error().code == "too_many_attempts");
  REQUIRE(users.unlock("lan").ok());
  CHECK_FALSE(users.list_users()[0].throttled);
  CHECK(users.login("lan", "lan-password", kTtl, "192.168.1.20").ok());
  CHECK(users.unlock("nobody").error().code == "not_found");
}

TEST_CASE("concurrent wrong guesses cannot get more tries than the throttle allows", "[users][throttle]") {
  Fixture f;
  REQUIRE(f.users.add_user("officer.binh", UserRole::Officer, "right-password").ok());
  constexpr int kThreads = 12;
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::string> codes(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      ++ready;
      while (!go) std::this_thread::yield();
      auto r = f.users.login("officer.binh", "guess-" + std::to_string(i), kTtl, "10.9.8.7");
      codes[i] = r.ok() ? "ok" : r.error().code;
    });
  while (ready < kThreads) std::this_thread::yield();
  go = true;
  for (auto& t : threads) t.join();
  // The clock stands still: exactly the three free failures were tried.
  CHECK(std::count(codes.begin(), codes.end(), "unauthorized") == 3);
  CHECK(std::count(codes.begin(), codes.end(), "too_many_attempts") == kThreads - 3);
  SQLite::Statement q(*f.n->db(), "SELECT failures FROM login_throttle WHERE username = 'officer.binh'");
  REQUIRE(q.executeStep());
  CHECK(q.getColumn(0).getInt64() == 3);
  CHECK(f.failures() == 3);
}

TEST_CASE("users have a full name that the session and the actor carry", "[users]") {
  Fixture f;
  REQUIRE(f.users.add_user("lan", UserRole::Clerk, "lan-password", "  Nguye\xcc\x82\xcc\x83n Thị Lan ").ok());
  auto u = f.users.get_user("lan");
  REQUIRE(u.ok());
  CHECK(u->full_name == "Nguyễn Thị Lan");  // NFC, trimmed
  auto r = f.users.login("lan", "lan-password", kTtl);
  REQUIRE(r.ok());
  CHECK(r->full_name == "Nguyễn Thị Lan");
  CHECK(r->username == "lan");
  CHECK(r->csrf_token == node::csrf_token_for(r->token));
  auto a = f.users.authenticate(r->token);
  REQUIRE(a.ok());
  CHECK(a->full_name == "Nguyễn Thị Lan");
  REQUIRE(f.users.update_user("lan", std::string("Trần Thị Lan"), std::nullopt).ok());
  CHECK(f.users.authenticate(r->token)->full_name == "Trần Thị Lan");
  CHECK(f.users.add_user("x1", UserRole::Clerk, "password1", "a\tb").error().field == "full_name");
  CHECK(f.users.add_user("x1", UserRole::Clerk, "password1", "\xff").error().field == "full_name");
  CHECK(f.users.add_user("x1", UserRole::Clerk, "password1", std::string(101, 'a')).error().field == "full_name");
  CHECK(f.users.add_user("x1", UserRole::Clerk, "password1", std::string(100, 'a')).ok());
  CHECK(f.users.add_user("x2", UserRole::Clerk, "password1").ok());  // a full name is optional here
}

TEST_CASE("a session unused longer than the idle timeout ends", "[users][idle]") {
  Fixture f;
  f.users.set_idle_timeout_ms(10 * 60 * 1000);
  REQUIRE(f.users.add_user("clerk1", UserRole::Clerk, "password-one").ok());
  auto r = f.users.login("clerk1", "password-one", kTtl);
  REQUIRE(r.ok());
  for (int i = 0; i < 5; ++i) {
    f.clock.advance(10 * 60 * 1000);  // exactly the timeout: still alive
    REQUIRE(f.users.authenticate(r->token).ok());
  }
  f.clock.advance(10 * 60 * 1000 + 1);
  CHECK(f.users.authenticate(r->token).error().code == "unauthorized");
  CHECK(f.n->db()->execAndGet("SELECT COUNT(*) FROM sessions").getInt64() == 0);  // and removed
}

TEST_CASE("a disabled user cannot sign in and its sessions end", "[users]") {
  Fixture f;
  REQUIRE(f.users.add_user("boss", UserRole::Admin, "boss-password").ok());
  REQUIRE(f.users.add_user("lan", UserRole::Clerk, "lan-password").ok());
  auto r = f.users.login("lan", "lan-password", kTtl);
  REQUIRE(r.ok());
  REQUIRE(f.users.set_disabled("lan", true, "boss").ok());
  CHECK(f.users.authenticate(r->token).error().code == "unauthorized");
  CHECK(f.users.login("lan", "lan-password", kTtl).error().code == "forbidden");
  CHECK(f.users.login("lan", "wrong-password", kTtl).error().code == "unauthorized");
  CHECK(f.users.set_disabled("boss", true, "boss").error().code == "conflict");  // yourself
  CHECK(f.users.set_disabled("boss", true, "lan").error().code == "conflict");   // the last admin
  REQUIRE(f.users.set_disabled("lan", false).ok());
  CHECK(f.users.login("lan", "lan-password", kTtl).ok());
  // A new password ends the sessions too.
  auto s = f.users.login("lan", "lan-password", kTtl);
  REQUIRE(f.users.set_password("lan", "new-password").ok());
  CHECK(f.users.authenticate(s->token).error().code == "unauthorized");
  CHECK(f.users.login("lan", "new-password", kTtl).ok());
  CHECK(f.users.set_password("lan", "short").error().field == "password");
  CHECK(f.users.set_password("nobody", "long-enough").error().code == "not_found");
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

TEST_CASE("migration 8 keeps existing users and sessions: no full name, enabled, last used when created",
          "[users][schema]") {
  test::TempDir dir("migrate-users");
  const std::string p = dir.sub("v6.db");
  {
    SQLite::Database raw(p, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    for (int v = 0; v < 6; ++v) raw.exec(schema::migrations()[static_cast<size_t>(v)]);
    raw.exec("PRAGMA user_version=6");
    raw.exec("INSERT INTO users (username, role, password_hash, created_ms) VALUES ('lan', 'clerk', 'x', 5)");
    raw.exec("INSERT INTO sessions (token_hash, username, created_ms, expires_ms) VALUES (x'00', 'lan', 7, 9)");
    raw.exec("INSERT INTO login_failures (username, at_ms) VALUES ('lan', 8)");
  }
  auto db = schema::open_database(p, {});
  REQUIRE(db.ok());
  CHECK(schema::database_version(*db.value()) >= 8);
  SQLite::Statement u(*db.value(), "SELECT full_name, disabled FROM users WHERE username = 'lan'");
  REQUIRE(u.executeStep());
  CHECK(u.getColumn(0).getString().empty());
  CHECK(u.getColumn(1).getInt() == 0);
  CHECK(db.value()->execAndGet("SELECT last_used_ms FROM sessions").getInt64() == 7);
  CHECK(db.value()->execAndGet("SELECT count(*) FROM login_throttle").getInt64() == 0);
  CHECK(db.value()->execAndGet("SELECT count(*) FROM login_failures").getInt64() == 1);
}
