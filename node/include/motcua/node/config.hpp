// Node settings, kept in the node's own database (table `config`).
#pragma once
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "motcua/result.hpp"

namespace SQLite {
class Database;
}

namespace motcua::node {

struct ConfigKey {
  std::string key;
  std::string default_value;
  std::string help;
};

// Every known key with its default and a one-line description.
const std::vector<ConfigKey>& config_keys();

class Config {
 public:
  // `db_mutex`: the lock that serialises use of the shared connection `db`
  // (Journal::mutex()); null: the store's own lock.
  explicit Config(std::shared_ptr<SQLite::Database> db, std::recursive_mutex* db_mutex = nullptr)
      : db_(std::move(db)), mu_(db_mutex ? db_mutex : &own_mu_) {}
  // Value set by `config set`, else the default. Unknown keys: empty string.
  std::string get(const std::string& key) const;
  int64_t get_int(const std::string& key) const;
  // Validates key and value (unknown key, wrong type, out of range -> Error
  // with field=key); a storage fault comes back as its Error.
  Status set(const std::string& key, const std::string& value);
  // Every key with its effective value.
  std::map<std::string, std::string> all() const;

 private:
  std::shared_ptr<SQLite::Database> db_;
  mutable std::recursive_mutex own_mu_;
  std::recursive_mutex* mu_;
};

}  // namespace motcua::node
