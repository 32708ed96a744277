// Local user accounts of a node, login sessions with bearer tokens, roles.
// Users are local to a node (not synced). Passwords: Argon2id.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "motcua/env.hpp"
#include "motcua/result.hpp"

namespace SQLite {
class Database;
}

namespace motcua::node {

enum class UserRole { Clerk, Postal, Officer, Admin };
std::string user_role_name(UserRole r);
std::optional<UserRole> parse_user_role(const std::string& s);

// Who is acting on a request.
struct Actor {
  std::string username;
  UserRole role = UserRole::Clerk;
  std::string full_name{};  // as the user store knows it; may be empty (then show username)
};

struct LoginResult {
  std::string token;  // 64 lowercase hex characters (32 random bytes)
  UserRole role = UserRole::Clerk;
  int64_t expires_at_ms = 0;
};

struct UserInfo {
  std::string username;
  UserRole role = UserRole::Clerk;
};

// Slowing down of password guessing: after `max_failures` failed logins for
// one typed username within `window_ms`, further attempts for it are refused
// with "too_many_attempts" (without checking the password) until the oldest
// failure in the window is older than `window_ms`.
struct LoginThrottle {
  int max_failures = 5;
  int64_t window_ms = 15 * 60 * 1000;
};

class UserStore {
 public:
  // `db_mutex`: the lock that serialises every use of the connection `db`
  // when it is shared (pass Journal::mutex()); null: the store's own lock.
  // The store never holds that lock while hashing a password.
  UserStore(std::shared_ptr<SQLite::Database> db, Clock& clock, Random& rng, bool fast_hash_for_tests = false,
            std::recursive_mutex* db_mutex = nullptr, LoginThrottle throttle = {});
  // Name: 1..64 of [A-Za-z0-9._-]; password: valid UTF-8, 8..1024 characters.
  // Errors: invalid_value (field username/password), already_exists.
  Status add_user(const std::string& username, UserRole role, const std::string& password);
  std::vector<UserInfo> list_users();
  // Same "unauthorized" answer for unknown user and wrong password (an unknown
  // user costs one Argon2id verification too, so timing does not tell them
  // apart); after repeated failures for a username, "too_many_attempts" until
  // the window passes. A success clears that username's failures.
  // With "too_many_attempts", *retry_after_ms (when given) is how long until
  // a login for that name would be tried again (by the store's clock).
  Result<LoginResult> login(const std::string& username, const std::string& password, int64_t ttl_ms,
                            int64_t* retry_after_ms = nullptr);
  // Actor for a live token; "unauthorized" if unknown or expired.
  Result<Actor> authenticate(const std::string& token);
  void logout(const std::string& token);

 private:
  const std::string& dummy_hash();

  std::shared_ptr<SQLite::Database> db_;
  Clock& clock_;
  Random& rng_;
  bool fast_;
  LoginThrottle throttle_;
  std::recursive_mutex own_mu_;
  std::recursive_mutex* mu_;
  std::once_flag dummy_once_;
  std::string dummy_hash_;
};

}  // namespace motcua::node
