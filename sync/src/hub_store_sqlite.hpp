// The SQLite HubStore on the node's own database. Every call takes the
// journal's lock, which serialises all use of the node's shared connection.
// Private to sync/src: hub_store_sqlite.cpp holds points, enrolment, sessions,
// leases, forks and successions; hub_store_sqlite_log.cpp the receipts, the
// sync log, alerts, counters and retention.
#pragma once
#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>
#include <algorithm>
#include <functional>
#include <mutex>
#include "motcua/node/node.hpp"
#include "motcua/schema/database.hpp"
#include "motcua/schema/storage.hpp"
#include "motcua/sync/hub_store.hpp"
#include "motcua/schema/columns.hpp"
#include "sync_util.hpp"

namespace motcua::sync {

namespace sqlite_store {
using schema::blob_array;
using schema::bind_array;
using schema::blob_string;


inline const char* kPointCols =
    "name, area, daily_capacity, lease_days, status, public_key, agency_code, created_ms, enrolled_ms, revoked_ms, "
    "pull_cursor, last_seen_ms, last_success_ms, skew_ms, sent_cursor, place_name, epoch, quarantined_ms, acts, revoked_seq, revoked_id";

using util::join_acts;
using util::split_acts;

inline PointRecord read_point(SQLite::Statement& q) {
  PointRecord p;
  p.name = q.getColumn(0).getString();
  p.area = q.getColumn(1).getString();
  p.daily_capacity = q.getColumn(2).getInt64();
  p.lease_days = q.getColumn(3).getInt64();
  p.status = q.getColumn(4).getString();
  if (q.getColumn(5).getBytes() == 32) p.key = blob_array<32>(q.getColumn(5));
  p.agency_code = q.getColumn(6).getString();
  p.created_ms = q.getColumn(7).getInt64();
  p.enrolled_ms = q.getColumn(8).getInt64();
  p.revoked_ms = q.getColumn(9).getInt64();
  p.pull_cursor = q.getColumn(10).getInt64();
  p.last_seen_ms = q.getColumn(11).getInt64();
  p.last_success_ms = q.getColumn(12).getInt64();
  p.skew_ms = q.getColumn(13).getInt64();
  p.sent_cursor = q.getColumn(14).getInt64();
  p.place_name = q.getColumn(15).getString();
  p.epoch = q.getColumn(16).getString();
  if (p.status == "active" && q.getColumn(17).getInt64() > 0) p.status = "quarantined";  // after a fork
  p.acts = split_acts(q.getColumn(18).getString());
  p.revoked_seq = q.getColumn(19).getInt64();
  if (q.getColumn(20).getBytes() == 32) p.revoked_id = blob_array<32>(q.getColumn(20));
  return p;
}

inline SyncLogRow read_log(SQLite::Statement& q) {
  SyncLogRow r;
  r.id = q.getColumn(0).getString();
  r.point = q.getColumn(1).getString();
  r.started_ms = q.getColumn(2).getInt64();
  r.ended_ms = q.getColumn(3).getInt64();
  r.entries_up = q.getColumn(4).getInt64();
  r.entries_down = q.getColumn(5).getInt64();
  r.bytes_up = q.getColumn(6).getInt64();
  r.bytes_down = q.getColumn(7).getInt64();
  r.receipts = q.getColumn(8).getInt64();
  r.result = q.getColumn(9).getString();
  r.error = q.getColumn(10).getString();
  r.skew_ms = q.getColumn(11).getInt64();
  return r;
}

// Runs `fn` atomically: its own IMMEDIATE transaction, or a savepoint when the
// caller already has one open on the shared connection.
inline void atomically(SQLite::Database& db, const std::function<void()>& fn) {
  if (sqlite3_get_autocommit(db.getHandle()) != 0) {
    Status s = schema::in_transaction(db, [&]() -> Status {
      fn();
      return ok_status();
    });
    (void)s;  // fn reports failure only by throwing
    return;
  }
  db.exec("SAVEPOINT hub_store");
  try {
    fn();
    db.exec("RELEASE hub_store");
  } catch (...) {
    try {
      db.exec("ROLLBACK TO hub_store");
      db.exec("RELEASE hub_store");
    } catch (...) {
    }
    throw;
  }
}

inline void bump(SQLite::Database& db, const std::string& name, const std::string& label, int64_t by) {
  if (by <= 0) return;  // counters never go down
  SQLite::Statement q(db,
                      "INSERT INTO sync_counters (name, label, value) VALUES (?,?,?) "
                      "ON CONFLICT (name, label) DO UPDATE SET value = value + excluded.value");
  q.bind(1, name);
  q.bind(2, label);
  q.bind(3, static_cast<int64_t>(by));
  q.exec();
}

inline const char* kLogCols =
    "id, point, started_ms, ended_ms, entries_up, entries_down, bytes_up, bytes_down, receipts, result, error, skew_ms";
inline const char* kAlertCols = "at_ms, point, kind, detail, source, count, last_ms";

inline Alert read_alert(SQLite::Statement& q) {
  Alert a;
  a.at_ms = q.getColumn(0).getInt64();
  a.point = q.getColumn(1).getString();
  a.kind = q.getColumn(2).getString();
  a.detail = q.getColumn(3).getString();
  a.source = q.getColumn(4).getString();
  a.count = q.getColumn(5).getInt64();
  a.last_ms = q.getColumn(6).getInt64();
  return a;
}

inline void insert_alert(SQLite::Database& db, const Alert& a) {
  SQLite::Statement q(db, "INSERT INTO sync_alerts (at_ms, point, kind, detail, source, count, last_ms) VALUES (?,?,?,?,?,?,?)");
  q.bind(1, static_cast<int64_t>(a.at_ms));
  q.bind(2, a.point);
  q.bind(3, a.kind);
  q.bind(4, a.detail);
  q.bind(5, a.source);
  q.bind(6, static_cast<int64_t>(std::max<int64_t>(1, a.count)));
  q.bind(7, static_cast<int64_t>(a.last_ms ? a.last_ms : a.at_ms));
  q.exec();
  bump(db, "alerts", a.kind, std::max<int64_t>(1, a.count));
}

inline Succession read_succession(SQLite::Statement& q) {
  Succession s;
  s.point = q.getColumn(0).getString();
  s.old_key = blob_array<32>(q.getColumn(1));
  s.new_key = blob_array<32>(q.getColumn(2));
  s.revoked_seq = q.getColumn(3).getInt64();
  if (q.getColumn(4).getBytes() == 32) s.revoked_id = blob_array<32>(q.getColumn(4));
  s.at_ms = q.getColumn(5).getInt64();
  s.body = q.getColumn(6).getString();
  if (q.getColumn(7).getBytes() == 64) s.sig = blob_array<64>(q.getColumn(7));
  return s;
}

}  // namespace sqlite_store

class SqliteHubStore final : public HubStore {
 public:
  explicit SqliteHubStore(node::Node& n) : db_(n.db()), mu_(n.journal().mutex()) {}
  ~SqliteHubStore() override;

  Status add_point(const PointRecord& p) override;
  std::optional<PointRecord> point(const std::string& name) override;
  std::optional<PointRecord> point_by_key(const PublicKey& key) override;
  std::vector<PointRecord> points() override;
  Status revoke_point(const std::string& name, int64_t now_ms, int64_t seq, const Hash32& id) override;
  Status set_point_status(const std::string& name, const std::string& status) override;
  void note_contact(const std::string& name, int64_t now_ms, int64_t skew_ms) override;
  void note_success(const std::string& name, int64_t now_ms) override;
  void set_pull_cursor(const std::string& name, int64_t pos) override;
  void reset_pull_cursor(const std::string& name, int64_t pos) override;
  std::string note_point_epoch(const std::string& name, const std::string& epoch, int64_t now_ms) override;
  bool add_fork_evidence(const ForkEvidence& f) override;
  std::vector<ForkEvidence> fork_evidence(const std::optional<PublicKey>& author, size_t limit) override;
  void set_sent_cursor(const std::string& name, int64_t pos) override;
  Status add_enrolment_code(const Hash32& code_hash, const std::string& code_id, const Hash32& enrol_key,
                            const std::string& point, int64_t expires_ms,
                            const std::optional<PublicKey>& replaces) override;
  Result<PointRecord> enrol(const Hash32& code_hash, const PublicKey& key, int64_t now_ms) override;
  Result<PointRecord> succeed(const Hash32& code_hash, const Succession& sc) override;
  std::vector<Succession> successions(const std::string& point) override;
  std::optional<Succession> succession_of(const PublicKey& old_key) override;
  std::vector<EnrolmentCodeRecord> enrolment_codes(const std::string& code_id) override;
  int64_t session_counter(const std::string& id) override;
  void set_session_counter(const std::string& id, int64_t counter) override;
  bool advance_session_counter(const std::string& id, int64_t counter) override;
  void open_session(const std::string& id, const PublicKey& key, int64_t expires_ms) override;
  bool session_valid(const std::string& id, const PublicKey& key, int64_t now_ms) override;
  void prune(int64_t now_ms) override;
  Result<Lease> lease(const std::string& agency, const std::string& day, const std::string& point, int count) override;
  std::vector<Lease> leases_of(const std::string& point, const std::string& from_day) override;
  void add_receipt(const ReceiptRecord& r) override;
  std::vector<ReceiptRecord> receipts(const std::string& point, size_t limit) override;
  // The counters move by what changed since the stored row: a row written
  // again with the same numbers counts nothing twice.
  void put_session(const SyncLogRow& given) override;
  std::vector<SyncLogRow> sessions(const std::string& point, int64_t since_ms, size_t limit) override;
  std::vector<SyncLogRow> sessions_where(const SyncLogQuery& f) override;
  std::optional<SyncLogRow> session(const std::string& id) override;
  void add_alert(const Alert& a) override;
  int64_t fold_alert(const Alert& a, int64_t since_ms) override;
  std::vector<Alert> alerts(const std::string& point, int64_t since_ms) override;
  SyncCounters counters() override;
  void add_to_counter(const std::string& name, int64_t by) override;
  RetentionReport apply_retention(const RetentionPolicy& p) override;
  int64_t registry_generation() override;
  std::vector<EnrolmentCodeRecord> all_enrolment_codes() override;
  std::vector<LeaseRecord> all_leases() override;
  std::vector<PointEpoch> point_epochs() override;
  std::vector<Alert> all_alerts() override;
  Status import_bookkeeping(const HubBookkeeping& b) override;

 private:
  using Lock = std::lock_guard<std::recursive_mutex>;
  // Runs `read` on the connection shared with the journal when this thread
  // holds its lock or can take it at once (it may be inside a transaction
  // that wrote what it reads); when another thread holds it (a push being
  // stored), on a read-only connection of its own, which sees what is
  // committed without waiting for that writer (docs/design/0122).
  template <class F>
  auto read_committed(F&& read) -> decltype(read(std::declval<SQLite::Database&>()));
  std::shared_ptr<SQLite::Database> db_;
  std::recursive_mutex& mu_;
  std::mutex reader_mu_;
  std::unique_ptr<SQLite::Database> reader_;  // opened on first need; none for an in-memory database
  bool reader_tried_ = false;
};

template <class F>
inline auto SqliteHubStore::read_committed(F&& read) -> decltype(read(std::declval<SQLite::Database&>())) {
  std::unique_lock<std::recursive_mutex> g(mu_, std::try_to_lock);
  if (!g.owns_lock()) {
    std::lock_guard<std::mutex> r(reader_mu_);
    if (!reader_tried_) {
      reader_tried_ = true;
      const std::string file = db_->getFilename();
      if (!file.empty() && file != ":memory:") {
        try {
          reader_ = std::make_unique<SQLite::Database>(file, SQLite::OPEN_READONLY);
          reader_->setBusyTimeout(5000);
        } catch (const SQLite::Exception&) {  // read through the shared connection, as before
          reader_.reset();
        }
      }
    }
    if (reader_) return read(*reader_);
    g.lock();
  }
  return read(*db_);
}

}  // namespace motcua::sync
