// Local user accounts of a node, login sessions with bearer tokens, roles.
// Users are local to a node (not synced). Passwords: Argon2id.
#pragma once
#include <memory>
#include <mutex>
#include <optional>
#include <string>

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
};

struct LoginResult {
  std::string token;
  UserRole role = UserRole::Clerk;
  int64_t expires_at_ms = 0;
};

class UserStore {
 public:
  UserStore(std::shared_ptr<SQLite::Database> db, Clock& clock, Random& rng, bool fast_hash_for_tests = false);
  // Errors: invalid_value (name/password), already_exists.
  Status add_user(const std::string& username, UserRole role, const std::string& password);
  // Same "unauthorized" answer for unknown user and wrong password; after
  // repeated failures for a username, "too_many_attempts" until a delay passes.
  Result<LoginResult> login(const std::string& username, const std::string& password, int64_t ttl_ms);
  // Actor for a live token; "unauthorized" if unknown or expired.
  Result<Actor> authenticate(const std::string& token);
  void logout(const std::string& token);

 private:
  std::shared_ptr<SQLite::Database> db_;
  Clock& clock_;
  Random& rng_;
  bool fast_;
  std::mutex mu_;
};

}  // namespace motcua::node
