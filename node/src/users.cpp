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

const char* kUnauthorized = "tên đăng nhập hoặc mật khẩu không đúng / wrong username or password";

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

const std::string& UserStore::dummy_hash() {
  std::call_once(dummy_once_, [this] { dummy_hash_ = password_hash("motcua-no-such-user-password", fast_); });
  return dummy_hash_;
}

Status UserStore::add_user(const std::string& username, UserRole role, const std::string& password) try {
  if (!valid_username(username))
    return make_error("invalid_value", "a username is 1 to 64 ASCII letters (a-z, A-Z, no diacritics), digits, '.', '_' or '-'", "username");
  if (!is_valid_utf8(password)) return make_error("invalid_value", "the password is not valid UTF-8", "password");
  std::string pw = to_nfc(password);
  if (utf8_chars(pw) < kMinPasswordChars)
    return make_error("invalid_value", "the password must have at least 8 characters", "password");
  if (pw.size() > kMaxPasswordBytes)
    return make_error("invalid_value", "the password is longer than 1024 bytes", "password");
  std::string hash = password_hash(pw, fast_);  // slow: outside the lock
  std::lock_guard<std::recursive_mutex> g(*mu_);
  SQLite::Statement ins(*db_,
                        "INSERT INTO users (username, role, password_hash, created_ms) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT (username) DO NOTHING");
  ins.bind(1, username);
  ins.bind(2, user_role_name(role));
  ins.bind(3, hash);
  ins.bind(4, static_cast<int64_t>(clock_.now_ms()));
  if (ins.exec() == 0) return make_error("already_exists", "user '" + username + "' already exists", "username");
  return ok_status();
} catch (const SQLite::Exception& e) {
  return schema::storage_error(e);
}

std::vector<UserInfo> UserStore::list_users() {
  std::lock_guard<std::recursive_mutex> g(*mu_);
  SQLite::Statement q(*db_, "SELECT username, role FROM users ORDER BY username");
  std::vector<UserInfo> out;
  while (q.executeStep())
    out.push_back({q.getColumn(0).getString(), parse_user_role(q.getColumn(1).getString()).value_or(UserRole::Clerk)});
  return out;
}

Result<LoginResult> UserStore::login(const std::string& username, const std::string& password, int64_t ttl_ms,
                                     int64_t* retry_after_ms) try {
  // Names that could never exist are answered like unknown ones, but not
  // recorded (keeps junk out of the failure table).
  const bool plausible = valid_username(username);
  std::optional<std::string> stored;
  UserRole role = UserRole::Clerk;
  int64_t now = clock_.now_ms();
  if (plausible) {
    std::lock_guard<std::recursive_mutex> g(*mu_);
    SQLite::Statement f(*db_, "SELECT COUNT(*) FROM login_failures WHERE username = ? AND at_ms > ?");
    f.bind(1, username);
    f.bind(2, static_cast<int64_t>(now - throttle_.window_ms));
    f.executeStep();
    const int64_t failures = f.getColumn(0).getInt64();
    if (failures >= throttle_.max_failures) {
      // Tried again once enough of the failures in the window have left it
      // that fewer than max_failures remain: the (failures - max + 1)-th oldest.
      SQLite::Statement k(*db_,
                          "SELECT at_ms FROM login_failures WHERE username = ? AND at_ms > ? ORDER BY at_ms "
                          "LIMIT 1 OFFSET ?");
      k.bind(1, username);
      k.bind(2, static_cast<int64_t>(now - throttle_.window_ms));
      k.bind(3, static_cast<int64_t>(failures - throttle_.max_failures));
      k.executeStep();
      int64_t wait_ms = std::max<int64_t>(1, k.getColumn(0).getInt64() + throttle_.window_ms - now);
      if (retry_after_ms) *retry_after_ms = wait_ms;
      int64_t minutes = std::max<int64_t>(1, (wait_ms + 59999) / 60000);
      return make_error("too_many_attempts", "quá nhiều lần đăng nhập sai; thử lại sau " + std::to_string(minutes) +
                                                 " phút / too many failed logins; try again in " +
                                                 std::to_string(minutes) + " min");
    }
    SQLite::Statement q(*db_, "SELECT password_hash, role FROM users WHERE username = ?");
    q.bind(1, username);
    if (q.executeStep()) {
      stored = q.getColumn(0).getString();
      role = parse_user_role(q.getColumn(1).getString()).value_or(UserRole::Clerk);
    }
  }
  // The slow part runs without the connection lock.
  std::string pw = is_valid_utf8(password) ? to_nfc(password) : password;
  bool good = stored ? verify_bounded(*stored, pw) : (verify_bounded(dummy_hash(), pw), false);
  std::lock_guard<std::recursive_mutex> g(*mu_);
  now = clock_.now_ms();
  if (!good) {
    if (plausible) {
      SQLite::Statement prune(*db_, "DELETE FROM login_failures WHERE at_ms <= ?");
      prune.bind(1, static_cast<int64_t>(now - throttle_.window_ms));
      prune.exec();
      SQLite::Statement ins(*db_, "INSERT INTO login_failures (username, at_ms) VALUES (?, ?)");
      ins.bind(1, username);
      ins.bind(2, static_cast<int64_t>(now));
      ins.exec();
    }
    return make_error("unauthorized", kUnauthorized);
  }
  uint8_t raw[32];
  rng_.fill(raw, sizeof raw);
  LoginResult out;
  out.token = to_hex(raw, sizeof raw);
  out.role = role;
  out.expires_at_ms = now + ttl_ms;
  Hash32 th = token_hash(out.token);
  Status stored_session = schema::in_transaction(*db_, [&]() -> Status {
    SQLite::Statement expired(*db_, "DELETE FROM sessions WHERE expires_ms <= ?");
    expired.bind(1, static_cast<int64_t>(now));
    expired.exec();
    SQLite::Statement clear(*db_, "DELETE FROM login_failures WHERE username = ?");
    clear.bind(1, username);
    clear.exec();
    SQLite::Statement ins(*db_,
                          "INSERT INTO sessions (token_hash, username, created_ms, expires_ms) VALUES (?, ?, ?, ?)");
    ins.bind(1, th.data(), static_cast<int>(th.size()));
    ins.bind(2, username);
    ins.bind(3, static_cast<int64_t>(now));
    ins.bind(4, static_cast<int64_t>(out.expires_at_ms));
    ins.exec();
    return ok_status();
  });
  if (!stored_session.ok()) return stored_session.error();
  return out;
} catch (const SQLite::Exception& e) {
  return schema::storage_error(e);
}

Result<Actor> UserStore::authenticate(const std::string& token) try {
  if (token.size() != 64) return make_error("unauthorized", "missing, unknown or expired session token");
  Hash32 th = token_hash(token);
  std::lock_guard<std::recursive_mutex> g(*mu_);
  SQLite::Statement q(*db_,
                      "SELECT u.username, u.role, s.expires_ms FROM sessions s JOIN users u USING (username) "
                      "WHERE s.token_hash = ?");
  q.bind(1, th.data(), static_cast<int>(th.size()));
  if (!q.executeStep() || q.getColumn(2).getInt64() <= clock_.now_ms())
    return make_error("unauthorized", "missing, unknown or expired session token");
  return Actor{q.getColumn(0).getString(), parse_user_role(q.getColumn(1).getString()).value_or(UserRole::Clerk)};
} catch (const SQLite::Exception& e) {
  return schema::storage_error(e);
}

void UserStore::logout(const std::string& token) {
  Hash32 th = token_hash(token);
  std::lock_guard<std::recursive_mutex> g(*mu_);
  SQLite::Statement del(*db_, "DELETE FROM sessions WHERE token_hash = ?");
  del.bind(1, th.data(), static_cast<int>(th.size()));
  del.exec();
}

}  // namespace motcua::node
