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
  std::string username{};
  std::string full_name{};
  std::string csrf_token{};  // csrf_token_for(token)
};

// A live session as GET /api/v1/session shows it.
struct SessionInfo {
  std::string username;
  UserRole role = UserRole::Clerk;
  std::string full_name{};
  int64_t expires_at_ms = 0;
};

struct UserInfo {
  std::string username;
  UserRole role = UserRole::Clerk;
  std::string full_name{};
  bool disabled = false;
  int64_t created_ms = 0;
  bool throttled = false;  // logins for this name are being slowed down now (unlock clears it)
};

// Slowing down of password guessing (docs/design/0051), never a lock that
// refuses the right password once the wait is over:
// - per (typed username, client address): the first `free_failures` failures
//   cost nothing; after n failures (n >= free_failures) the next attempt is
//   tried only `first_delay_ms` * 2^(n - free_failures) (at most `max_delay_ms`)
//   after the latest failure. Until then: "too_many_attempts" without the
//   password being checked. A success clears it; so does `forget_after_ms`
//   without a failure. Other addresses are not slowed by it.
// - per typed username over all addresses together, against guessing spread
//   over many addresses: at most `max_user_failures` failures within
//   `user_window_ms`; more wait until the oldest of them leaves the window.
// An attempt is counted as a failure before its password is checked (and the
// count taken back if it was right), so concurrent guesses cannot slip past.
struct LoginThrottle {
  int free_failures = 3;
  int64_t first_delay_ms = 1000;
  int64_t max_delay_ms = 5 * 60 * 1000;
  int64_t forget_after_ms = 60 * 60 * 1000;
  int max_user_failures = 100;
  int64_t user_window_ms = 60 * 60 * 1000;
};

// The CSRF token of a session: BLAKE2b-256 of a fixed domain string and the
// session token, in hex. Derived, never stored; only who holds the session
// token (the browser's HttpOnly cookie, never readable by scripts) can
// compute it, and it does not reveal the token.
std::string csrf_token_for(const std::string& session_token);

class UserStore {
 public:
  // `db_mutex`: the lock that serialises every use of the connection `db`
  // when it is shared (pass Journal::mutex()); null: the store's own lock.
  // The store never holds that lock while hashing a password.
  UserStore(std::shared_ptr<SQLite::Database> db, Clock& clock, Random& rng, bool fast_hash_for_tests = false,
            std::recursive_mutex* db_mutex = nullptr, LoginThrottle throttle = {});
  // A session unused for longer than this ends (default 30 minutes; <= 0: never).
  void set_idle_timeout_ms(int64_t ms) { idle_ms_ = ms; }
  int64_t idle_timeout_ms() const { return idle_ms_; }

  // Name: 1..64 of [A-Za-z0-9._-]; password: valid UTF-8, 8..1024 characters;
  // full name: valid UTF-8 (kept in NFC, spaces trimmed), at most 100
  // characters, no control characters; may be empty.
  // Errors: invalid_value (field username/password/full_name), already_exists.
  Status add_user(const std::string& username, UserRole role, const std::string& password,
                  const std::string& full_name = "");
  std::vector<UserInfo> list_users();
  // not_found (field username) for an unknown user.
  Result<UserInfo> get_user(const std::string& username);
  // Changes the full name and/or role. conflict (409) when it would leave no
  // enabled admin. Nothing given: no change.
  Status update_user(const std::string& username, const std::optional<std::string>& full_name,
                     std::optional<UserRole> role);
  // New password (same rules as add_user); ends the user's sessions and clears its login throttle.
  Status set_password(const std::string& username, const std::string& password);
  // Disabling ends the user's sessions; a disabled user cannot sign in.
  // conflict when `by` disables themselves or the last enabled admin.
  Status set_disabled(const std::string& username, bool disabled, const std::string& by = "");
  // Forgets the failed logins of this name from every address.
  Status unlock(const std::string& username);

  // Same "unauthorized" answer for unknown user and wrong password (an unknown
  // user costs one Argon2id verification too, so timing does not tell them
  // apart). "too_many_attempts" while throttled (LoginThrottle); then
  // *retry_after_ms (when given) is how long until a login would be tried.
  // A disabled user with the right password gets "forbidden".
  // `client`: the client's address (the socket's, never a forwarded header).
  Result<LoginResult> login(const std::string& username, const std::string& password, int64_t ttl_ms,
                            const std::string& client = "", int64_t* retry_after_ms = nullptr);
  // Actor for a live token; "unauthorized" if unknown, expired, idle too
  // long or its user disabled. Slides the session's last use (written at most
  // once a minute per session).
  Result<Actor> authenticate(const std::string& token);
  Result<SessionInfo> session_info(const std::string& token);
  void logout(const std::string& token);

 private:
  const std::string& dummy_hash();
  struct Row;
  Result<Row> live_session(const std::string& token, bool touch);
  void end_sessions(const std::string& username);

  std::shared_ptr<SQLite::Database> db_;
  Clock& clock_;
  Random& rng_;
  bool fast_;
  LoginThrottle throttle_;
  int64_t idle_ms_ = 30 * 60 * 1000;
  std::recursive_mutex own_mu_;
  std::recursive_mutex* mu_;
  std::once_flag dummy_once_;
  std::string dummy_hash_;
};

}  // namespace motcua::node
