// A motcua node on disk: data directory, database, identity key, journal.
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "motcua/env.hpp"
#include "motcua/node/config.hpp"
#include "motcua/node/journal.hpp"
#include "motcua/node/storage_health.hpp"

namespace motcua::node {

enum class Role { Point, Hub };
std::string role_name(Role r);

struct InitOptions {
  std::string data_dir;
  Role role = Role::Point;
  std::string name;
  std::string agency_code;                // receiving agency code (QCVN 102:2016), may be empty for hubs
  std::optional<std::string> passphrase;  // seal the key file
  bool fast_kdf_for_tests = false;
};

struct OpenOptions {
  std::string data_dir;
  std::optional<std::string> passphrase;
  Clock* clock = nullptr;    // default: system clock
  Random* random = nullptr;  // default: system random
  SubjectProjector projector;  // default: the dossier projector
  std::string sqlite_vfs{};    // SQLite VFS of the connection; empty: the default (tests inject disk faults)
};

class Node {
 public:
  // Creates the data directory, database and key file. Refuses an existing node.
  static Status init(const InitOptions& opt, Random& rng);
  static Result<std::unique_ptr<Node>> open(const OpenOptions& opt);

  const std::string& data_dir() const { return dir_; }
  Role role() const { return role_; }
  const std::string& name() const { return name_; }
  // node_meta values, under the connection's lock (SQLite errors throw).
  std::string meta(const std::string& key) const;
  void set_meta(const std::string& key, const std::string& value);
  const KeyPair& keys() const { return keys_; }
  Journal& journal() { return *journal_; }
  Config& config() { return *config_; }
  Clock& clock() { return *clock_; }
  // Business time: the clock plus the correction a point takes from its hub
  // when its own clock is more than 2 minutes off (docs/sync-protocol.md,
  // "Clocks"). Used for received_at, due_at and the day inside a new code.
  int64_t business_now_ms() { return clock_->now_ms() + business_offset_ms_.load(); }
  int64_t business_offset_ms() const { return business_offset_ms_.load(); }
  // Sets the correction and keeps it (node meta business_offset_ms).
  void set_business_offset_ms(int64_t ms);
  Random& random() { return *random_; }
  std::shared_ptr<SQLite::Database> db() { return db_; }
  // The last storage fault a write of this process ran into (for /healthz).
  StorageHealth& storage_health() { return storage_health_; }
  // Where a hub's points are when they are not in this node's own database
  // (a hub whose store is PostgreSQL): the active points as
  // [{name, place_name}] by name. The sync layer installs it when it opens
  // the hub's store (sync::open_hub_store); unset, known_points() reads the
  // node's table hub_points.
  using PointsSource = std::function<Result<Json>()>;
  void set_points_source(PointsSource source);
  PointsSource points_source() const;

 private:
  Node() = default;
  std::string dir_;
  Role role_ = Role::Point;
  std::string name_;
  KeyPair keys_;
  Clock* clock_ = nullptr;
  Random* random_ = nullptr;
  std::shared_ptr<SQLite::Database> db_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<Config> config_;
  StorageHealth storage_health_;
  std::atomic<int64_t> business_offset_ms_{0};
  mutable std::mutex points_source_mu_;
  PointsSource points_source_;
};

std::string db_path(const std::string& data_dir);
std::string key_path(const std::string& data_dir);

}  // namespace motcua::node
