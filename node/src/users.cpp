#include "motcua/node/users.hpp"

#include <algorithm>
#include <semaphore>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "motcua/crypto.hpp"
#include "motcua/schema/database.hpp"
#include "motcua/schema/storage.hpp"
#include "motcua/text.hpp"

namespace motcua::node {

namespace {

constexpr size_t kMaxUsername = 64;
constexpr size_t kMinPasswordChars = 8;
constexpr size_t kMaxPasswordBytes = 1024;

bool valid_username(const std::string& u) {
  if (u.empty() || u.size() > kMaxUsername) return false;
  for (char c : u) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-';
    if (!ok) return false;
  }
  return true;
}

size_t utf8_chars(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

Hash32 token_hash(const std::string& token) { return blake2b256(token); }

// Each Argon2id verification takes 64 MiB for a moment; at most two run at
// once, so a burst of logins cannot balloon the daemon's memory.
bool verify_bounded(const std::string& hash, const std::string& password) {
  static std::counting_semaphore<2> slots(2);
  slots.acquire();
  bool ok = password_verify(hash, password);
  slots.release();
  return ok;
}

// NFC password within the limits, or invalid_value naming "password".
Result<std::string> check_password(const std::string& password) {
  if (!is_valid_utf8(password)) return make_error("invalid_value", "the password is not valid UTF-8", "password");
  std::string pw = to_nfc(password);
  if (utf8_chars(pw) < kMinPasswordChars)
    return make_error("invalid_value", "the password must have at least 8 characters", "password");
  if (pw.size() > kMaxPasswordBytes)
    return make_error("invalid_value", "the password is longer than 1024 bytes", "password");
  return pw;
}

constexpr size_t kMaxFullNameChars = 100;

// A person's name as shown on receipts: NFC, spaces trimmed, no control characters.
Result<std::string> check_full_name(const std::string& in) {
  if (!is_valid_utf8(in))
    return make_error("invalid_value", "the full name is not valid UTF-8", "full_name");
  std::string s = to_nfc(in);
  size_t b = s.find_first_not_of(' '), e = s.find_last_not_of(' ');
  s = b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f)
      return make_error("invalid_value", "the full name has a control character",
                        "full_name");
  if (utf8_chars(s) > kMaxFullNameChars)
    return make_error("invalid_value", "the full name is longer than 100 characters",
                      "full_name");
  return s;
}

const char* kUnauthorized = "wrong username or password";

}  // namespace

std::string user_role_name(UserRole r) {
  switch (r) {
    case UserRole::Clerk: return "clerk";
    case UserRole::Postal: return "postal";
    case UserRole::Officer: return "officer";
    case UserRole::Admin: return "admin";
  }
  return "clerk";
}

std::optional<UserRole> parse_user_role(const std::string& s) {
  if (s == "clerk") return UserRole::Clerk;
  if (s == "postal") return UserRole::Postal;
  if (s == "officer") return UserRole::Officer;
  if (s == "admin") return UserRole::Admin;
  return std::nullopt;
}

UserStore::UserStore(std::shared_ptr<SQLite::Database> db, Clock& clock, Random& rng, bool fast_hash_for_tests,
                     std::recursive_mutex* db_mutex, LoginThrottle throttle)
    : db_(std::move(db)),
      clock_(clock),
      rng_(rng),
      fast_(fast_hash_for_tests),
      throttle_(throttle),
      mu_(db_mutex ? db_mutex : &own_mu_) {
  crypto_init();
}

std::string csrf_token_for(const std::string& session_token) {
  return to_hex(blake2b256("motcua/v1/csrf\n" + session_token));
}

const std::string& UserStore::dummy_hash() {
  std::call_once(dummy_once_, [this] { dummy_hash_ = password_hash("motcua-no-such-user-password", fast_); });
  return dummy_hash_;
}

Status UserStore::add_user(const std::string& username, UserRole role, const std::string& password,
                           const std::string& full_name_in) try {
  if (!valid_username(username))
    return make_error("invalid_value", "a username is 1 to 64 ASCII letters (a-z, A-Z, no diacritics), digits, '.', '_' or '-'", "username");
  auto pw = check_password(password);
  if (!pw.ok()) return pw.error();
  auto full_name = check_full_name(full_name_in);
  if (!full_name.ok()) return full_name.error();
  std::string hash = password_hash(*pw, fast_);  // slow: outside the lock
  std::lock_guard<std::recursive_mutex> g(*mu_);
  SQLite::Statement ins(*db_,
                        "INSERT INTO users (username, role, password_hash, created_ms, full_name) VALUES (?, ?, ?, ?, ?) "
                        "ON CONFLICT (username) DO NOTHING");
  ins.bind(1, username);
  ins.bind(2, user_role_name(role));
  ins.bind(3, hash);
  ins.bind(4, static_cast<int64_t>(clock_.now_ms()));
  ins.bind(5, *full_name);
  if (ins.exec() == 0) return make_error("already_exists", "user '" + username + "' already exists", "username");
  return ok_status();
} catch (const SQLite::Exception& e) {
  return schema::storage_error(e);
}

namespace {

// Under the store's lock. True when logins for `username` are being slowed
// down at `now` (from some address, or over all addresses together).
bool is_throttled(SQLite::Database& db, const LoginThrottle& t, const std::string& username, int64_t now) {
  SQLite::Statement a(db, "SELECT COUNT(*) FROM login_throttle WHERE username = ? AND failures >= ? AND last_ms > ?");
  a.bind(1, username);
  a.bind(2, t.free_failures);
  a.bind(3, static_cast<int64_t>(now - t.forget_after_ms));
  a.executeStep();
  if (a.getColumn(0).getInt64() > 0) return true;
  SQLite::Statement u(db, "SELECT COUNT(*) FROM login_failures WHERE username = ? AND at_ms > ?");
  u.bind(1, username);
  u.bind(2, static_cast<int64_t>(now - t.user_window_ms));
  u.executeStep();
  return u.getColumn(0).getInt64() >= t.max_user_failures;
}

UserInfo user_row(SQLite::Statement& q) {
  UserInfo u;
  u.username = q.getColumn(0).getString();
  u.role = parse_user_role(q.getColumn(1).getString()).value_or(UserRole::Clerk);
  u.full_name = q.getColumn(2).getString();
  u.disabled = q.getColumn(3).getInt() != 0;
  u.created_ms = q.getColumn(4).getInt64();
  return u;
}

constexpr const char* kUserColumns = "SELECT username, role, full_name, disabled, created_ms FROM users";

Error no_such_user(const std::string& username) {
  return make_error("not_found", "no user '" + username + "'", "username");
}

// Enabled admins other than `username`.
int64_t other_admins(SQLite::Database& db, const std::string& username) {
  SQLite::Statement q(db, "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0 AND username <> ?");
  q.bind(1, username);
  q.executeStep();
  return q.getColumn(0).getInt64();
}

}  // namespace

std::vector<UserInfo> UserStore::list_users() {
  std::lock_guard<std::recursive_mutex> g(*mu_);
  SQLite::Statement q(*db_, std::string(kUserColumns) + " ORDER BY username");
  std::vector<UserInfo> out;
  const int64_t now = clock_.now_ms();
  while (q.executeStep()) out.push_back(user_row(q));
  for (auto& u : out) u.throttled = is_throttled(*db_, throttle_, u.username, now);
  return out;
}

Result<UserInfo> UserStore::get_user(const std::string& username) try {
  std::lock_guard<std::recursive_mutex> g(*mu_);
  SQLite::Statement q(*db_, std::string(kUserColumns) + " WHERE username = ?");
  q.bind(1, username);
  if (!q.executeStep()) return no_such_user(username);
  UserInfo u = user_row(q);
  u.throttled = is_throttled(*db_, throttle_, username, clock_.now_ms());
  return u;
} catch (const SQLite::Exception& e) {
  return schema::storage_error(e);
}

Status UserStore::update_user(const std::string& username, const std::optional<std::string>& full_name_in,
                              std::optional<UserRole> role) try {
  std::optional<std::string> full_name;
  if (full_name_in) {
    auto f = check_full_name(*full_name_in);
    if (!f.ok()) return f.error();
    full_name = *f;
  }
  std::lock_guard<std::recursive_mutex> g(*mu_);
  auto u = get_user(username);
  if (!u.ok()) return u.error();
  if (role && *role != UserRole::Admin && u->role == UserRole::Admin && !u->disabled && other_admins(*db_, username) == 0)
    return make_error("conflict",
                      "the last enabled admin must stay an admin",
                      "role");
  return schema::in_transaction(*db_, [&]() -> Status {
    if (full_name) {
      SQLite::Statement up(*db_, "UPDATE users SET full_name = ? WHERE username = ?");
      up.bind(1, *full_name);
      up.bind(2, username);
      up.exec();
    }
    if (role) {
      SQLite::Statement up(*db_, "UPDATE users SET role = ? WHERE username = ?");
      up.bind(1, user_role_name(*role));
      up.bind(2, username);
      up.exec();
    }
    return ok_status();
  });
} catch (const SQLite::Exception& e) {
  return schema::storage_error(e);
}

// A password reset and an admin's unlock both forget the user's failed logins
// and the delays they earned (per address and across addresses).
static void clear_login_delays(SQLite::Database& db, const std::string& username) {
  SQLite::Statement t(db, "DELETE FROM login_throttle WHERE username = ?");
  t.bind(1, username);
  t.exec();
  SQLite::Statement f(db, "DELETE FROM login_failures WHERE username = ?");
  f.bind(1, username);
  f.exec();
}

Status UserStore::set_password(const std::string& username, const std::string& password) try {
  auto pw = check_password(password);
  if (!pw.ok()) return pw.error();
  {
    std::lock_guard<std::recursive_mutex> g(*mu_);
    auto u = get_user(username);
    if (!u.ok()) return u.error();
  }
  std::string hash = password_hash(*pw, fast_);  // slow: outside the lock
  std::lock_guard<std::recursive_mutex> g(*mu_);
  return schema::in_transaction(*db_, [&]() -> Status {
    SQLite::Statement up(*db_, "UPDATE users SET password_hash = ? WHERE username = ?");
    up.bind(1, hash);
    up.bind(2, username);
    if (up.exec() == 0) return no_such_user(username);  // removed meanwhile
    end_sessions(username);
    clear_login_delays(*db_, username);
    return ok_status();
  });
} catch (const SQLite::Exception& e) {
  return schema::storage_error(e);
}

Status UserStore::set_disabled(const std::string& username, bool disabled, const std::string& by) try {
  std::lock_guard<std::recursive_mutex> g(*mu_);
  auto u = get_user(username);
  if (!u.ok()) return u.error();
  if (disabled && username == by)
    return make_error("conflict", "you cannot disable your own account",
                      "username");
  if (disabled && u->role == UserRole::Admin && !u->disabled && other_admins(*db_, username) == 0)
    return make_error("conflict",
                      "you cannot disable the last enabled admin",
                      "username");
  return schema::in_transaction(*db_, [&]() -> Status {
    SQLite::Statement up(*db_, "UPDATE users SET disabled = ? WHERE username = ?");
    up.bind(1, disabled ? 1 : 0);
    up.bind(2, username);
    up.exec();
    if (disabled) end_sessions(username);
    return ok_status();
  });
} catch (const SQLite::Exception& e) {
  return schema::storage_error(e);
}

Status UserStore::unlock(const std::string& username) try {
  std::lock_guard<std::recursive_mutex> g(*mu_);
  auto u = get_user(username);
  if (!u.ok()) return u.error();
  return schema::in_transaction(*db_, [&]() -> Status {
    clear_login_delays(*db_, username);
    return ok_status();
  });
} catch (const SQLite::Exception& e) {
  return schema::storage_error(e);
}

void UserStore::end_sessions(const std::string& username) {
  SQLite::Statement del(*db_, "DELETE FROM sessions WHERE username = ?");
  del.bind(1, username);
  del.exec();
}

Result<LoginResult> UserStore::login(const std::string& username, const std::string& password, int64_t ttl_ms,
                                     const std::string& client, int64_t* retry_after_ms) try {
  // Names that could never exist are answered like unknown ones, but not
  // recorded (keeps junk out of the throttle tables).
  const bool plausible = valid_username(username);
  std::optional<std::string> stored;
  UserRole role = UserRole::Clerk;
  std::string full_name;
  bool disabled = false;
  int64_t reserved = 0;  // rowid of this attempt in login_failures
  int64_t now = clock_.now_ms();
  const LoginThrottle& t = throttle_;
  if (plausible) {
    std::lock_guard<std::recursive_mutex> g(*mu_);
    // 1. This name from this address: free failures, then growing delays.
    int64_t failures = 0, last_ms = 0;
    {
      SQLite::Statement q(*db_, "SELECT failures, last_ms FROM login_throttle WHERE username = ? AND address = ?");
      q.bind(1, username);
      q.bind(2, client);
      if (q.executeStep() && q.getColumn(1).getInt64() > now - t.forget_after_ms) {
        failures = q.getColumn(0).getInt64();
        last_ms = q.getColumn(1).getInt64();
      }
    }
    int64_t wait_ms = 0;
    if (failures >= t.free_failures) {
      const int64_t steps = std::min<int64_t>(failures - t.free_failures, 30);
      const int64_t delay = std::min<int64_t>(t.first_delay_ms << steps, t.max_delay_ms);
      wait_ms = std::max<int64_t>(0, last_ms + delay - now);
    }
    // 2. This name from all addresses together within the window.
    SQLite::Statement f(*db_, "SELECT COUNT(*) FROM login_failures WHERE username = ? AND at_ms > ?");
    f.bind(1, username);
    f.bind(2, static_cast<int64_t>(now - t.user_window_ms));
    f.executeStep();
    const int64_t user_failures = f.getColumn(0).getInt64();
    if (user_failures >= t.max_user_failures) {
      // Tried again once enough of them have left the window that fewer than
      // the cap remain: the (failures - cap + 1)-th oldest.
      SQLite::Statement k(*db_,
                          "SELECT at_ms FROM login_failures WHERE username = ? AND at_ms > ? ORDER BY at_ms "
                          "LIMIT 1 OFFSET ?");
      k.bind(1, username);
      k.bind(2, static_cast<int64_t>(now - t.user_window_ms));
      k.bind(3, static_cast<int64_t>(user_failures - t.max_user_failures));
      k.executeStep();
      wait_ms = std::max<int64_t>(wait_ms, std::max<int64_t>(1, k.getColumn(0).getInt64() + t.user_window_ms - now));
    }
    if (wait_ms > 0) {
      if (retry_after_ms) *retry_after_ms = wait_ms;
      const int64_t seconds = (wait_ms + 999) / 1000;
      return make_error("too_many_attempts",
                        "too many failed logins; try again in " + std::to_string(seconds) + " s");
    }
    // 3. Count this attempt as a failure before the password is checked, so
    // that concurrent guesses see it; taken back below if it was right.
    Status reserve = schema::in_transaction(*db_, [&]() -> Status {
      SQLite::Statement pt(*db_, "DELETE FROM login_throttle WHERE last_ms <= ?");
      pt.bind(1, static_cast<int64_t>(now - t.forget_after_ms));
      pt.exec();
      SQLite::Statement pf(*db_, "DELETE FROM login_failures WHERE at_ms <= ?");
      pf.bind(1, static_cast<int64_t>(now - t.user_window_ms));
      pf.exec();
      SQLite::Statement up(*db_,
                           "INSERT INTO login_throttle (username, address, failures, last_ms) VALUES (?, ?, ?, ?) "
                           "ON CONFLICT (username, address) DO UPDATE SET failures = excluded.failures, "
                           "last_ms = excluded.last_ms");
      up.bind(1, username);
      up.bind(2, client);
      up.bind(3, static_cast<int64_t>(failures + 1));
      up.bind(4, static_cast<int64_t>(now));
      up.exec();
      SQLite::Statement ins(*db_, "INSERT INTO login_failures (username, at_ms) VALUES (?, ?)");
      ins.bind(1, username);
      ins.bind(2, static_cast<int64_t>(now));
      ins.exec();
      reserved = db_->getLastInsertRowid();
      return ok_status();
    });
    if (!reserve.ok()) return reserve.error();
    SQLite::Statement q(*db_, "SELECT password_hash, role, full_name, disabled FROM users WHERE username = ?");
    q.bind(1, username);
    if (q.executeStep()) {
      stored = q.getColumn(0).getString();
      role = parse_user_role(q.getColumn(1).getString()).value_or(UserRole::Clerk);
      full_name = q.getColumn(2).getString();
      disabled = q.getColumn(3).getInt() != 0;
    }
  }
  // The slow part runs without the connection lock.
  std::string pw = is_valid_utf8(password) ? to_nfc(password) : password;
  bool good = stored ? verify_bounded(*stored, pw) : (verify_bounded(dummy_hash(), pw), false);
  std::lock_guard<std::recursive_mutex> g(*mu_);
  now = clock_.now_ms();
  if (!good) {
    if (plausible) {  // the failure counts from when it was known
      SQLite::Statement up(*db_,
                           "UPDATE login_throttle SET last_ms = max(last_ms, ?) WHERE username = ? AND address = ?");
      up.bind(1, static_cast<int64_t>(now));
      up.bind(2, username);
      up.bind(3, client);
      up.exec();
      SQLite::Statement f(*db_, "UPDATE login_failures SET at_ms = ? WHERE rowid = ?");
      f.bind(1, static_cast<int64_t>(now));
      f.bind(2, static_cast<int64_t>(reserved));
      f.exec();
    }
    return make_error("unauthorized", kUnauthorized);
  }
  uint8_t raw[32];
  rng_.fill(raw, sizeof raw);
  LoginResult out;
  out.token = to_hex(raw, sizeof raw);
  out.role = role;
  out.expires_at_ms = now + ttl_ms;
  out.username = username;
  out.full_name = full_name;
  out.csrf_token = csrf_token_for(out.token);
  Hash32 th = token_hash(out.token);
  Status stored_session = schema::in_transaction(*db_, [&]() -> Status {
    // The right password: this attempt was no failure, and this address starts afresh.
    SQLite::Statement clear(*db_, "DELETE FROM login_throttle WHERE username = ? AND address = ?");
    clear.bind(1, username);
    clear.bind(2, client);
    clear.exec();
    SQLite::Statement back(*db_, "DELETE FROM login_failures WHERE rowid = ?");
    back.bind(1, static_cast<int64_t>(reserved));
    back.exec();
    if (disabled) return ok_status();
    SQLite::Statement expired(*db_, "DELETE FROM sessions WHERE expires_ms <= ?");
    expired.bind(1, static_cast<int64_t>(now));
    expired.exec();
    SQLite::Statement ins(*db_,
                          "INSERT INTO sessions (token_hash, username, created_ms, expires_ms, last_used_ms) "
                          "VALUES (?, ?, ?, ?, ?)");
    ins.bind(1, th.data(), static_cast<int>(th.size()));
    ins.bind(2, username);
    ins.bind(3, static_cast<int64_t>(now));
    ins.bind(4, static_cast<int64_t>(out.expires_at_ms));
    ins.bind(5, static_cast<int64_t>(now));
    ins.exec();
    return ok_status();
  });
  if (!stored_session.ok()) return stored_session.error();
  if (disabled)
    return make_error("forbidden", "this account is disabled; ask an admin", "username");
  return out;
} catch (const SQLite::Exception& e) {
  return schema::storage_error(e);
}

struct UserStore::Row {
  SessionInfo info;
};

Result<UserStore::Row> UserStore::live_session(const std::string& token, bool touch) try {
  const Error gone = make_error("unauthorized", "missing, unknown or expired session token");
  if (token.size() != 64) return gone;
  Hash32 th = token_hash(token);
  std::lock_guard<std::recursive_mutex> g(*mu_);
  SQLite::Statement q(*db_,
                      "SELECT u.username, u.role, u.full_name, u.disabled, s.expires_ms, s.last_used_ms "
                      "FROM sessions s JOIN users u USING (username) WHERE s.token_hash = ?");
  q.bind(1, th.data(), static_cast<int>(th.size()));
  if (!q.executeStep()) return gone;
  Row r;
  r.info.username = q.getColumn(0).getString();
  r.info.role = parse_user_role(q.getColumn(1).getString()).value_or(UserRole::Clerk);
  r.info.full_name = q.getColumn(2).getString();
  const bool disabled = q.getColumn(3).getInt() != 0;
  r.info.expires_at_ms = q.getColumn(4).getInt64();
  const int64_t last_used = q.getColumn(5).getInt64();
  q.reset();
  const int64_t now = clock_.now_ms();
  const bool idle = idle_ms_ > 0 && now - last_used > idle_ms_;
  // Written at most once per `every` per session: a request is usually a read.
  const int64_t every = idle_ms_ > 0 ? std::min<int64_t>(60 * 1000, std::max<int64_t>(1, idle_ms_ / 10)) : 60 * 1000;
  try {
    if (disabled || idle || r.info.expires_at_ms <= now) {
      SQLite::Statement del(*db_, "DELETE FROM sessions WHERE token_hash = ?");
      del.bind(1, th.data(), static_cast<int>(th.size()));
      del.exec();
      return gone;
    }
    if (touch && now - last_used >= every) {
      SQLite::Statement up(*db_, "UPDATE sessions SET last_used_ms = ? WHERE token_hash = ?");
      up.bind(1, static_cast<int64_t>(now));
      up.bind(2, th.data(), static_cast<int>(th.size()));
      up.exec();
    }
  } catch (const SQLite::Exception&) {
    // Bookkeeping only: a full or read-only disk must not refuse reads.
    if (disabled || idle || r.info.expires_at_ms <= now) return gone;
  }
  return r;
} catch (const SQLite::Exception& e) {
  return schema::storage_error(e);
}

Result<Actor> UserStore::authenticate(const std::string& token) {
  auto r = live_session(token, true);
  if (!r.ok()) return r.error();
  return Actor{r->info.username, r->info.role, r->info.full_name};
}

Result<SessionInfo> UserStore::session_info(const std::string& token) {
  auto r = live_session(token, false);
  if (!r.ok()) return r.error();
  return r->info;
}

void UserStore::logout(const std::string& token) {
  Hash32 th = token_hash(token);
  std::lock_guard<std::recursive_mutex> g(*mu_);
  SQLite::Statement del(*db_, "DELETE FROM sessions WHERE token_hash = ?");
  del.bind(1, th.data(), static_cast<int>(th.size()));
  del.exec();
}

}  // namespace motcua::node
