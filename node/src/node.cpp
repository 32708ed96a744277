#include "motcua/node/node.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <filesystem>

#include "motcua/keyfile.hpp"
#include "motcua/schema/database.hpp"
#include "motcua/schema/storage.hpp"

namespace motcua::node {

namespace fs = std::filesystem;

SubjectProjector default_projector();  // projection.cpp

std::string role_name(Role r) { return r == Role::Hub ? "hub" : "point"; }
std::string db_path(const std::string& d) { return (fs::path(d) / "motcua.db").string(); }
std::string key_path(const std::string& d) { return (fs::path(d) / "node.key").string(); }

Status Node::init(const InitOptions& opt, Random& rng) try {
  crypto_init();
  if (opt.name.empty()) return make_error("invalid_value", "a node name is required", "name");
  // The name the hub enrols a point under (`motcua point add` checks the same
  // rule) and that names it in every entry's log line: plain ASCII. A place's
  // name as people read it ("UBND xã Ân Thi") is config place_name.
  const bool plain = opt.name.size() <= 64 && std::all_of(opt.name.begin(), opt.name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
  if (!plain)
    return make_error("invalid_value",
                      "a node name is 1-64 letters a-z, digits, '-', '_' or '.', without spaces or marks (e.g. "
                      "xa-an-thi); set the place's full name with: motcua config set place_name 'UBND xã Ân Thi'",
                      "name");
  std::error_code ec;
  if (fs::exists(db_path(opt.data_dir), ec) || fs::exists(key_path(opt.data_dir), ec))
    return make_error("already_initialised", "a node already exists in " + opt.data_dir + "; nothing was changed");
  fs::create_directories(opt.data_dir, ec);
  if (ec) return make_error("io_error", "cannot create " + opt.data_dir + ": " + ec.message());
  ::chmod(opt.data_dir.c_str(), 0700);
  KeyPair kp = generate_keypair(rng);
  Status s = save_key_file(key_path(opt.data_dir), kp, opt.passphrase, rng, opt.fast_kdf_for_tests);
  if (!s.ok()) return s;
  auto db = schema::open_database(db_path(opt.data_dir), {.create = true});
  if (!db.ok()) return db.error();
  auto& d = *db.value();
  return schema::in_transaction(d, [&]() -> Status {
    SQLite::Statement ins(d, "INSERT INTO node_meta (key, value) VALUES (?, ?)");
    auto put = [&](const std::string& k, const std::string& v) {
      ins.reset();
      ins.bind(1, k);
      ins.bind(2, v);
      ins.exec();
    };
    put("role", role_name(opt.role));
    put("name", opt.name);
    put("public_key", to_hex(kp.pk));
    put("agency_code", opt.agency_code);
    // The database's epoch (docs/sync-protocol.md, "Epochs"): a restored
    // backup of a point takes a new one once it has caught up with the hub.
    uint8_t epoch[16];
    rng.fill(epoch, sizeof epoch);
    put("epoch", to_hex(epoch, sizeof epoch));
    return ok_status();
  });
} catch (const SQLite::Exception& e) {
  return schema::storage_error(e);
}

Result<std::unique_ptr<Node>> Node::open(const OpenOptions& opt) try {
  crypto_init();
  if (!fs::exists(db_path(opt.data_dir)))
    return make_error("not_initialised", "no node in " + opt.data_dir + " (run: motcua init --data-dir " + opt.data_dir + ")");
  auto kp = load_key_file(key_path(opt.data_dir), opt.passphrase);
  if (!kp.ok()) return kp.error();
  auto db = schema::open_database(db_path(opt.data_dir), {.vfs = opt.sqlite_vfs});
  if (!db.ok()) return db.error();
  std::unique_ptr<Node> n(new Node());
  n->dir_ = opt.data_dir;
  n->keys_ = kp.value();
  n->db_ = db.value();
  n->clock_ = opt.clock ? opt.clock : &system_clock();
  n->random_ = opt.random ? opt.random : &system_random();
  if (n->meta("public_key") != to_hex(n->keys_.pk))
    return make_error("key_mismatch", "node.key does not belong to this database (public keys differ)");
  n->role_ = n->meta("role") == "hub" ? Role::Hub : Role::Point;
  n->name_ = n->meta("name");
  n->journal_ = std::make_unique<Journal>(n->db_, n->keys_, *n->clock_,
                                          opt.projector ? opt.projector : default_projector());
  n->config_ = std::make_unique<Config>(n->db_, &n->journal_->mutex());
  n->journal_->hlc().set_max_offset_ms(n->config_->get_int("max_clock_offset_s") * 1000);
  {
    const std::string off = n->meta("business_offset_ms");
    int64_t v = 0;
    if (!off.empty() && std::from_chars(off.data(), off.data() + off.size(), v).ec == std::errc())
      n->business_offset_ms_ = v;
  }
  return n;
} catch (const SQLite::Exception& e) {
  return schema::storage_error(e);
}

// Before the journal exists (inside open()) nothing else uses the connection.
std::string Node::meta(const std::string& key) const {
  std::unique_lock<std::recursive_mutex> g;
  if (journal_) g = std::unique_lock<std::recursive_mutex>(journal_->mutex());
  SQLite::Statement q(*db_, "SELECT value FROM node_meta WHERE key = ?");
  q.bind(1, key);
  return q.executeStep() ? q.getColumn(0).getString() : std::string();
}

void Node::set_business_offset_ms(int64_t ms) {
  set_meta("business_offset_ms", std::to_string(ms));
  business_offset_ms_ = ms;
}

void Node::set_points_source(PointsSource source) {
  std::lock_guard<std::mutex> g(points_source_mu_);
  points_source_ = std::move(source);
}

Node::PointsSource Node::points_source() const {
  std::lock_guard<std::mutex> g(points_source_mu_);
  return points_source_;
}

void Node::set_meta(const std::string& key, const std::string& value) {
  std::unique_lock<std::recursive_mutex> g;
  if (journal_) g = std::unique_lock<std::recursive_mutex>(journal_->mutex());
  SQLite::Statement q(*db_, "INSERT OR REPLACE INTO node_meta (key, value) VALUES (?, ?)");
  q.bind(1, key);
  q.bind(2, value);
  q.exec();
}

}  // namespace motcua::node
