// HubStore on the node's SQLite database. Every call takes the journal's
// lock, which serialises all use of the node's shared connection.
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

namespace {
using schema::blob_array;
using schema::bind_array;
using schema::blob_string;


const char* kPointCols =
    "name, area, daily_capacity, lease_days, status, public_key, agency_code, created_ms, enrolled_ms, revoked_ms, "
    "pull_cursor, last_seen_ms, last_success_ms, skew_ms, sent_cursor, place_name, epoch, quarantined_ms, acts, revoked_seq, revoked_id";

using util::join_acts;
using util::split_acts;

PointRecord read_point(SQLite::Statement& q) {
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

SyncLogRow read_log(SQLite::Statement& q) {
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
void atomically(SQLite::Database& db, const std::function<void()>& fn) {
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

void bump(SQLite::Database& db, const std::string& name, const std::string& label, int64_t by) {
  if (by <= 0) return;  // counters never go down
  SQLite::Statement q(db,
                      "INSERT INTO sync_counters (name, label, value) VALUES (?,?,?) "
                      "ON CONFLICT (name, label) DO UPDATE SET value = value + excluded.value");
  q.bind(1, name);
  q.bind(2, label);
  q.bind(3, static_cast<int64_t>(by));
  q.exec();
}

const char* kLogCols =
    "id, point, started_ms, ended_ms, entries_up, entries_down, bytes_up, bytes_down, receipts, result, error, skew_ms";
const char* kAlertCols = "at_ms, point, kind, detail, source, count, last_ms";

Alert read_alert(SQLite::Statement& q) {
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

void insert_alert(SQLite::Database& db, const Alert& a) {
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

}  // namespace

std::vector<SyncLogRow> HubStore::sessions_where(const SyncLogQuery& f) {
  std::vector<SyncLogRow> out;
  for (auto& r : sessions(f.point, f.since_ms, f.result.empty() ? f.limit : 100000)) {
    const bool stale = r.result == "running" && std::max(r.started_ms, r.ended_ms) < f.stale_before_ms;
    const bool failed = r.result == "failed" || r.result == "refused" || r.result == "interrupted" || stale;
    if (f.result == "ok" && r.result != "ok") continue;
    if (f.result == "failed" && !failed) continue;
    if (f.result == "running" && (r.result != "running" || stale)) continue;
    if (out.size() >= f.limit) break;
    out.push_back(std::move(r));
  }
  return out;
}

namespace {

class SqliteHubStore final : public HubStore {
 public:
  explicit SqliteHubStore(node::Node& n) : db_(n.db()), mu_(n.journal().mutex()) {}

  Status add_point(const PointRecord& p) override try {
    Lock g(mu_);
    SQLite::Statement q(*db_, "SELECT 1 FROM hub_points WHERE name = ?");
    q.bind(1, p.name);
    if (q.executeStep()) return make_error("conflict", "a point named '" + p.name + "' already exists", "name");
    SQLite::Statement ins(*db_,
                          "INSERT INTO hub_points (name, area, daily_capacity, lease_days, status, created_ms, place_name, "
                          "agency_code, acts) VALUES (?,?,?,?,?,?,?,?,?)");
    ins.bind(1, p.name);
    ins.bind(2, p.area);
    ins.bind(3, static_cast<int64_t>(p.daily_capacity));
    ins.bind(4, static_cast<int64_t>(p.lease_days));
    ins.bind(5, p.status.empty() ? std::string("pending") : p.status);
    ins.bind(6, static_cast<int64_t>(p.created_ms));
    ins.bind(7, p.place_name);
    ins.bind(8, p.agency_code);
    ins.bind(9, join_acts(p.acts));
    ins.exec();
    return ok_status();
  } catch (const SQLite::Exception& e) {
    return schema::storage_error(e);
  }

  std::optional<PointRecord> point(const std::string& name) override {
    Lock g(mu_);
    SQLite::Statement q(*db_, std::string("SELECT ") + kPointCols + " FROM hub_points WHERE name = ?");
    q.bind(1, name);
    if (!q.executeStep()) return std::nullopt;
    return read_point(q);
  }

  std::optional<PointRecord> point_by_key(const PublicKey& key) override {
    Lock g(mu_);
    SQLite::Statement q(*db_, std::string("SELECT ") + kPointCols + " FROM hub_points WHERE public_key = ?");
    bind_array(q, 1, key);
    if (!q.executeStep()) return std::nullopt;
    return read_point(q);
  }

  std::vector<PointRecord> points() override {
    Lock g(mu_);
    SQLite::Statement q(*db_, std::string("SELECT ") + kPointCols + " FROM hub_points ORDER BY name");
    std::vector<PointRecord> out;
    while (q.executeStep()) out.push_back(read_point(q));
    return out;
  }

  Status revoke_point(const std::string& name, int64_t now_ms, int64_t seq, const Hash32& id) override try {
    Lock g(mu_);
    SQLite::Statement q(*db_,
                        "UPDATE hub_points SET revoked_ms = CASE WHEN status = 'revoked' THEN revoked_ms ELSE ? END, "
                        "revoked_seq = CASE WHEN status = 'revoked' THEN revoked_seq ELSE ? END, "
                        "revoked_id = CASE WHEN status = 'revoked' THEN revoked_id ELSE ? END, "
                        "status = 'revoked' WHERE name = ?");
    q.bind(1, static_cast<int64_t>(now_ms));
    q.bind(2, static_cast<int64_t>(seq));
    bind_array(q, 3, id);
    q.bind(4, name);
    if (q.exec() == 0) return make_error("not_found", "no point named '" + name + "'", "name");
    return ok_status();
  } catch (const SQLite::Exception& e) {
    return schema::storage_error(e);
  }

  Status set_point_status(const std::string& name, const std::string& status) override try {
    if (status != "active" && status != "quarantined")
      return make_error("invalid_value", "a point's status can be set to active or quarantined", "status");
    Lock g(mu_);
    SQLite::Statement get(*db_, "SELECT status FROM hub_points WHERE name = ?");
    get.bind(1, name);
    if (!get.executeStep()) return make_error("not_found", "no point named '" + name + "'", "name");
    const std::string now = get.getColumn(0).getString();
    if (now == "revoked") return make_error("conflict", "point '" + name + "' is revoked", "name");
    // "quarantined" is an active point with quarantined_ms set (the status
    // column keeps its CHECK); "active" clears it.
    const bool quarantine = status == "quarantined";
    SQLite::Statement q(*db_,
                        "UPDATE hub_points SET status = 'active', "
                        "quarantined_ms = CASE WHEN ?1 THEN max(quarantined_ms, 1) ELSE 0 END WHERE name = ?2");
    q.bind(1, quarantine ? 1 : 0);
    q.bind(2, name);
    q.exec();
    return ok_status();
  } catch (const SQLite::Exception& e) {
    return schema::storage_error(e);
  }

  void note_contact(const std::string& name, int64_t now_ms, int64_t skew_ms) override {
    Lock g(mu_);
    SQLite::Statement q(*db_, "UPDATE hub_points SET last_seen_ms = ?, skew_ms = ? WHERE name = ?");
    q.bind(1, static_cast<int64_t>(now_ms));
    q.bind(2, static_cast<int64_t>(skew_ms));
    q.bind(3, name);
    q.exec();
  }

  void note_success(const std::string& name, int64_t now_ms) override {
    Lock g(mu_);
    SQLite::Statement q(*db_, "UPDATE hub_points SET last_success_ms = ? WHERE name = ?");
    q.bind(1, static_cast<int64_t>(now_ms));
    q.bind(2, name);
    q.exec();
  }

  void set_pull_cursor(const std::string& name, int64_t pos) override {
    Lock g(mu_);
    SQLite::Statement q(*db_,
                        "UPDATE hub_points SET pull_cursor = ?1, sent_cursor = ?2 WHERE name = ?3 AND pull_cursor <= ?1");
    q.bind(1, static_cast<int64_t>(pos));
    q.bind(2, static_cast<int64_t>(pos));
    q.bind(3, name);
    q.exec();
  }

  void reset_pull_cursor(const std::string& name, int64_t pos) override {
    Lock g(mu_);
    SQLite::Statement q(*db_, "UPDATE hub_points SET pull_cursor = ?, sent_cursor = ? WHERE name = ?");
    q.bind(1, static_cast<int64_t>(pos));
    q.bind(2, static_cast<int64_t>(pos));
    q.bind(3, name);
    q.exec();
  }


  std::string note_point_epoch(const std::string& name, const std::string& epoch, int64_t now_ms) override {
    Lock g(mu_);
    std::string out;
    atomically(*db_, [&] {
      SQLite::Statement cur(*db_, "SELECT epoch FROM hub_points WHERE name = ?");
      cur.bind(1, name);
      if (!cur.executeStep()) {
        out = "retired";  // no such point: change nothing
        return;
      }
      if (cur.getColumn(0).getString() == epoch) {
        out = "current";
        return;
      }
      SQLite::Statement seen(*db_, "SELECT 1 FROM hub_point_epochs WHERE point = ? AND epoch = ?");
      seen.bind(1, name);
      seen.bind(2, epoch);
      if (seen.executeStep()) {
        out = "retired";
        return;
      }
      SQLite::Statement ins(*db_, "INSERT INTO hub_point_epochs (point, epoch, first_ms) VALUES (?,?,?)");
      ins.bind(1, name);
      ins.bind(2, epoch);
      ins.bind(3, static_cast<int64_t>(now_ms));
      ins.exec();
      SQLite::Statement upd(*db_, "UPDATE hub_points SET epoch = ? WHERE name = ?");
      upd.bind(1, epoch);
      upd.bind(2, name);
      upd.exec();
      out = "new";
    });
    return out;
  }

  bool add_fork_evidence(const ForkEvidence& f) override {
    Lock g(mu_);
    bool added = false;
    atomically(*db_, [&] {
      SQLite::Statement have(*db_, "SELECT n, other_canonical IS NULL FROM fork_evidence WHERE author = ? AND seq = ? AND other_id = ?");
      bind_array(have, 1, f.author);
      have.bind(2, static_cast<int64_t>(f.seq));
      bind_array(have, 3, f.other_id);
      if (have.executeStep()) {
        if (have.getColumn(1).getInt() && !f.other_canonical.empty() && f.other_sig) {
          SQLite::Statement upd(*db_, "UPDATE fork_evidence SET other_canonical = ?, other_sig = ? WHERE n = ?");
          upd.bind(1, f.other_canonical.data(), static_cast<int>(f.other_canonical.size()));
          bind_array(upd, 2, *f.other_sig);
          upd.bind(3, have.getColumn(0).getInt64());
          upd.exec();
        }
        return;
      }
      SQLite::Statement ins(*db_,
                            "INSERT INTO fork_evidence (author, seq, reporter, at_ms, held_seq, held_id, other_id, "
                            "other_canonical, other_sig) VALUES (?,?,?,?,?,?,?,?,?)");
      bind_array(ins, 1, f.author);
      ins.bind(2, static_cast<int64_t>(f.seq));
      ins.bind(3, f.reporter);
      ins.bind(4, static_cast<int64_t>(f.at_ms));
      ins.bind(5, static_cast<int64_t>(f.held_seq));
      bind_array(ins, 6, f.held_id);
      bind_array(ins, 7, f.other_id);
      if (f.other_canonical.empty() || !f.other_sig) {
        ins.bind(8);
        ins.bind(9);
      } else {
        ins.bind(8, f.other_canonical.data(), static_cast<int>(f.other_canonical.size()));
        bind_array(ins, 9, *f.other_sig);
      }
      ins.exec();
      added = true;
    });
    return added;
  }

  std::vector<ForkEvidence> fork_evidence(const std::optional<PublicKey>& author, size_t limit) override {
    Lock g(mu_);
    SQLite::Statement q(*db_,
                        "SELECT author, seq, reporter, at_ms, held_seq, held_id, other_id, other_canonical, other_sig "
                        "FROM fork_evidence WHERE ?1 IS NULL OR author = ?1 ORDER BY n DESC LIMIT ?2");
    if (author) bind_array(q, 1, *author);
    else q.bind(1);
    q.bind(2, static_cast<int64_t>(limit));
    std::vector<ForkEvidence> out;
    while (q.executeStep()) {
      ForkEvidence f;
      f.author = blob_array<32>(q.getColumn(0));
      f.seq = q.getColumn(1).getInt64();
      f.reporter = q.getColumn(2).getString();
      f.at_ms = q.getColumn(3).getInt64();
      f.held_seq = q.getColumn(4).getInt64();
      f.held_id = blob_array<32>(q.getColumn(5));
      f.other_id = blob_array<32>(q.getColumn(6));
      if (!q.getColumn(7).isNull()) {
        const SQLite::Column c = q.getColumn(7);
        f.other_canonical.assign(static_cast<const char*>(c.getBlob()), static_cast<size_t>(c.getBytes()));
        f.other_sig = blob_array<64>(q.getColumn(8));
      }
      out.push_back(std::move(f));
    }
    return out;
  }

  void set_sent_cursor(const std::string& name, int64_t pos) override {
    Lock g(mu_);
    SQLite::Statement q(*db_, "UPDATE hub_points SET sent_cursor = max(pull_cursor, ?) WHERE name = ?");
    q.bind(1, static_cast<int64_t>(pos));
    q.bind(2, name);
    q.exec();
  }

  Status add_enrolment_code(const Hash32& code_hash, const std::string& code_id, const Hash32& enrol_key,
                            const std::string& point, int64_t expires_ms,
                            const std::optional<PublicKey>& replaces) override {
    Lock g(mu_);
    SQLite::Statement q(*db_,
                        "INSERT INTO hub_enrolment_codes (code_hash, point, expires_ms, code_id, enrol_key, replaces) "
                        "VALUES (?,?,?,?,?,?)");
    bind_array(q, 1, code_hash);
    q.bind(2, point);
    q.bind(3, static_cast<int64_t>(expires_ms));
    q.bind(4, code_id);
    bind_array(q, 5, enrol_key);
    if (replaces) bind_array(q, 6, *replaces);
    else q.bind(6);
    try {
      q.exec();
    } catch (const SQLite::Exception& e) {
      if ((e.getErrorCode() & 0xff) != SQLITE_CONSTRAINT) return schema::storage_error(e);
      return make_error("conflict", std::string("cannot store the enrolment code: ") + e.what());
    }
    return ok_status();
  }

  Result<PointRecord> enrol(const Hash32& code_hash, const PublicKey& key, int64_t now_ms) override try {
    Lock g(mu_);
    std::string name;
    Status s = schema::in_transaction(*db_, [&]() -> Status {
      SQLite::Statement q(*db_,
                          "SELECT c.point, c.expires_ms, c.used_ms, p.status, c.replaces FROM hub_enrolment_codes c "
                          "JOIN hub_points p ON p.name = c.point WHERE c.code_hash = ?");
      bind_array(q, 1, code_hash);
      if (!q.executeStep()) return make_error("enrolment_refused", "unknown enrolment code", "code");
      name = q.getColumn(0).getString();
      if (q.getColumn(4).getBytes() != 0)
        return make_error("enrolment_refused", "this code replaces a point's key (restore --from-hub)", "code");
      if (q.getColumn(2).getInt64() != 0)
        return make_error("enrolment_refused", "this enrolment code was already used", "code");
      if (now_ms > q.getColumn(1).getInt64()) return make_error("enrolment_refused", "this enrolment code has expired", "code");
      if (q.getColumn(3).getString() == "revoked")
        return make_error("enrolment_refused", "point '" + name + "' is revoked", "code");
      SQLite::Statement other(*db_, "SELECT name FROM hub_points WHERE public_key = ? AND name <> ?");
      bind_array(other, 1, key);
      other.bind(2, name);
      if (other.executeStep())
        return make_error("enrolment_refused", "this node key is already enrolled as '" + other.getColumn(0).getString() + "'");
      SQLite::Statement use(*db_, "UPDATE hub_enrolment_codes SET used_ms = ?, used_by = ? WHERE code_hash = ?");
      use.bind(1, static_cast<int64_t>(now_ms));
      bind_array(use, 2, key);
      bind_array(use, 3, code_hash);
      use.exec();
      SQLite::Statement up(*db_,
                           "UPDATE hub_points SET public_key = ?, status = 'active', enrolled_ms = ?, "
                           "pull_cursor = 0, sent_cursor = 0 WHERE name = ?");
      bind_array(up, 1, key);
      up.bind(2, static_cast<int64_t>(now_ms));
      up.bind(3, name);
      up.exec();
      return ok_status();
    });
    if (!s.ok()) return s.error();
    SQLite::Statement q(*db_, std::string("SELECT ") + kPointCols + " FROM hub_points WHERE name = ?");
    q.bind(1, name);
    q.executeStep();
    return read_point(q);
  } catch (const SQLite::Exception& e) {
    return schema::storage_error(e);
  }

  Result<PointRecord> succeed(const Hash32& code_hash, const Succession& sc) override try {
    Lock g(mu_);
    Status s = schema::in_transaction(*db_, [&]() -> Status {
      SQLite::Statement q(*db_,
                          "SELECT c.point, c.expires_ms, c.used_ms, p.status, c.replaces, p.public_key "
                          "FROM hub_enrolment_codes c JOIN hub_points p ON p.name = c.point WHERE c.code_hash = ?");
      bind_array(q, 1, code_hash);
      if (!q.executeStep()) return make_error("enrolment_refused", "unknown enrolment code", "code");
      const std::string name = q.getColumn(0).getString();
      if (name != sc.point) return make_error("enrolment_refused", "this code is for another point", "code");
      if (q.getColumn(2).getInt64() != 0)
        return make_error("enrolment_refused", "this enrolment code was already used", "code");
      if (sc.at_ms > q.getColumn(1).getInt64()) return make_error("enrolment_refused", "this enrolment code has expired", "code");
      if (q.getColumn(4).getBytes() != 32 || blob_array<32>(q.getColumn(4)) != sc.old_key)
        return make_error("enrolment_refused", "this code does not replace the key given", "code");
      if (q.getColumn(5).getBytes() != 32 || blob_array<32>(q.getColumn(5)) != sc.old_key)
        return make_error("enrolment_refused",
                          "point '" + name + "' no longer has the key this code replaces (another replacement was used)",
                          "code");
      SQLite::Statement other(*db_, "SELECT name FROM hub_points WHERE public_key = ?");
      bind_array(other, 1, sc.new_key);
      if (other.executeStep())
        return make_error("enrolment_refused", "this node key is already enrolled as '" + other.getColumn(0).getString() + "'");
      SQLite::Statement former(*db_, "SELECT point FROM hub_successions WHERE old_key = ?");
      bind_array(former, 1, sc.new_key);
      if (former.executeStep())
        return make_error("enrolment_refused", "this node key is a former key of point '" + former.getColumn(0).getString() + "'");
      SQLite::Statement use(*db_, "UPDATE hub_enrolment_codes SET used_ms = ?, used_by = ? WHERE code_hash = ?");
      use.bind(1, static_cast<int64_t>(sc.at_ms));
      bind_array(use, 2, sc.new_key);
      bind_array(use, 3, code_hash);
      use.exec();
      SQLite::Statement ins(*db_,
                            "INSERT INTO hub_successions (point, old_key, new_key, revoked_seq, revoked_id, at_ms, body, sig) "
                            "VALUES (?,?,?,?,?,?,?,?)");
      ins.bind(1, sc.point);
      bind_array(ins, 2, sc.old_key);
      bind_array(ins, 3, sc.new_key);
      ins.bind(4, static_cast<int64_t>(sc.revoked_seq));
      bind_array(ins, 5, sc.revoked_id);
      ins.bind(6, static_cast<int64_t>(sc.at_ms));
      ins.bind(7, sc.body);
      bind_array(ins, 8, sc.sig);
      ins.exec();
      // The old key may have minted numbers of any of these blocks offline:
      // none of them is ever given to anyone again (lease() counts them).
      SQLite::Statement retire(*db_, "UPDATE hub_leases SET retired_ms = ? WHERE point = ? AND retired_ms = 0");
      retire.bind(1, static_cast<int64_t>(sc.at_ms));
      retire.bind(2, sc.point);
      retire.exec();
      SQLite::Statement up(*db_,
                           "UPDATE hub_points SET public_key = ?, status = 'active', enrolled_ms = ?, revoked_ms = 0, "
                           "revoked_seq = 0, revoked_id = NULL, quarantined_ms = 0, epoch = '', "
                           "pull_cursor = 0, sent_cursor = 0 WHERE name = ?");
      bind_array(up, 1, sc.new_key);
      up.bind(2, static_cast<int64_t>(sc.at_ms));
      up.bind(3, sc.point);
      up.exec();
      return ok_status();
    });
    if (!s.ok()) return s.error();
    SQLite::Statement q(*db_, std::string("SELECT ") + kPointCols + " FROM hub_points WHERE name = ?");
    q.bind(1, sc.point);
    q.executeStep();
    return read_point(q);
  } catch (const SQLite::Exception& e) {
    return schema::storage_error(e);
  }

  static Succession read_succession(SQLite::Statement& q) {
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

  std::vector<Succession> successions(const std::string& point) override {
    Lock g(mu_);
    SQLite::Statement q(*db_,
                        "SELECT point, old_key, new_key, revoked_seq, revoked_id, at_ms, body, sig FROM hub_successions "
                        "WHERE ?1 = '' OR point = ?1 ORDER BY n");
    q.bind(1, point);
    std::vector<Succession> out;
    while (q.executeStep()) out.push_back(read_succession(q));
    return out;
  }

  std::optional<Succession> succession_of(const PublicKey& old_key) override {
    Lock g(mu_);
    SQLite::Statement q(*db_,
                        "SELECT point, old_key, new_key, revoked_seq, revoked_id, at_ms, body, sig FROM hub_successions "
                        "WHERE old_key = ?");
    bind_array(q, 1, old_key);
    if (!q.executeStep()) return std::nullopt;
    return read_succession(q);
  }

  std::vector<EnrolmentCodeRecord> enrolment_codes(const std::string& code_id) override {
    Lock g(mu_);
    SQLite::Statement q(*db_,
                        "SELECT code_hash, code_id, enrol_key, point, expires_ms, used_ms, used_by, replaces "
                        "FROM hub_enrolment_codes WHERE code_id = ? LIMIT 16");
    q.bind(1, code_id);
    std::vector<EnrolmentCodeRecord> out;
    while (q.executeStep()) {
      EnrolmentCodeRecord c;
      c.code_hash = blob_array<32>(q.getColumn(0));
      c.code_id = q.getColumn(1).getString();
      if (q.getColumn(2).getBytes() == 32) c.enrol_key = blob_array<32>(q.getColumn(2));
      c.point = q.getColumn(3).getString();
      c.expires_ms = q.getColumn(4).getInt64();
      c.used_ms = q.getColumn(5).getInt64();
      if (q.getColumn(6).getBytes() == 32) c.used_by = blob_array<32>(q.getColumn(6));
      if (q.getColumn(7).getBytes() == 32) c.replaces = blob_array<32>(q.getColumn(7));
      out.push_back(std::move(c));
    }
    return out;
  }

  int64_t session_counter(const std::string& id) override {
    Lock g(mu_);
    SQLite::Statement q(*db_, "SELECT counter FROM hub_sessions WHERE id = ?");
    q.bind(1, id);
    return q.executeStep() ? q.getColumn(0).getInt64() : 0;
  }

  void set_session_counter(const std::string& id, int64_t counter) override {
    Lock g(mu_);
    // Not a disk sync per request: outside a transaction this one commit is
    // written to the WAL with synchronous=NORMAL (a crash of the process
    // keeps it; a power cut may lose the last ones, and the session with them
    // expires within session_ttl).
    const bool own = sqlite3_get_autocommit(db_->getHandle()) != 0;
    int prev = 2;
    if (own) {
      prev = db_->execAndGet("PRAGMA synchronous").getInt();
      if (prev > 1) db_->exec("PRAGMA synchronous=NORMAL");
    }
    try {
      SQLite::Statement q(*db_, "UPDATE hub_sessions SET counter = max(counter, ?) WHERE id = ?");
      q.bind(1, static_cast<int64_t>(counter));
      q.bind(2, id);
      q.exec();
    } catch (...) {
      if (own && prev > 1) db_->exec("PRAGMA synchronous=" + std::to_string(prev));
      throw;
    }
    if (own && prev > 1) db_->exec("PRAGMA synchronous=" + std::to_string(prev));
  }

  void open_session(const std::string& id, const PublicKey& key, int64_t expires_ms) override {
    Lock g(mu_);
    SQLite::Statement q(*db_, "INSERT OR REPLACE INTO hub_sessions (id, node, expires_ms) VALUES (?,?,?)");
    q.bind(1, id);
    bind_array(q, 2, key);
    q.bind(3, static_cast<int64_t>(expires_ms));
    q.exec();
  }

  bool session_valid(const std::string& id, const PublicKey& key, int64_t now_ms) override {
    Lock g(mu_);
    SQLite::Statement q(*db_, "SELECT node, expires_ms FROM hub_sessions WHERE id = ?");
    q.bind(1, id);
    if (!q.executeStep()) return false;
    return blob_array<32>(q.getColumn(0)) == key && now_ms <= q.getColumn(1).getInt64();
  }

  void prune(int64_t now_ms) override {
    Lock g(mu_);
    SQLite::Statement b(*db_, "DELETE FROM hub_sessions WHERE expires_ms < ?");
    b.bind(1, static_cast<int64_t>(now_ms));
    b.exec();
  }

  Result<Lease> lease(const std::string& agency, const std::string& day, const std::string& point, int count) override try {
    Lock g(mu_);
    Lease l{agency, day, 0, 0, point};
    Status s = schema::in_transaction(*db_, [&]() -> Status {
      SQLite::Statement q(*db_, "SELECT ifnull(max(last), 0) FROM hub_leases WHERE agency = ? AND day = ?");
      q.bind(1, agency);
      q.bind(2, day);
      q.executeStep();
      int next = q.getColumn(0).getInt() + 1;
      if (next > 9999 || count <= 0)
        return make_error("sequence_exhausted", "no dossier numbers left for " + agency + " on " + day);
      l.first = next;
      l.last = std::min(9999, next + count - 1);
      SQLite::Statement ins(*db_, "INSERT INTO hub_leases (agency, day, first, last, point) VALUES (?,?,?,?,?)");
      ins.bind(1, agency);
      ins.bind(2, day);
      ins.bind(3, l.first);
      ins.bind(4, l.last);
      ins.bind(5, point);
      ins.exec();
      return ok_status();
    });
    if (!s.ok()) return s.error();
    return l;
  } catch (const SQLite::Exception& e) {
    return schema::storage_error(e);
  }

  std::vector<Lease> leases_of(const std::string& point, const std::string& from_day) override {
    Lock g(mu_);
    SQLite::Statement q(*db_,
                        "SELECT agency, day, first, last, point FROM hub_leases WHERE point = ? AND day >= ? "
                        "AND retired_ms = 0 ORDER BY day, first");
    q.bind(1, point);
    q.bind(2, from_day);
    std::vector<Lease> out;
    while (q.executeStep())
      out.push_back(Lease{q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getInt(),
                          q.getColumn(3).getInt(), q.getColumn(4).getString()});
    return out;
  }

  void add_receipt(const ReceiptRecord& r) override {
    Lock g(mu_);
    atomically(*db_, [&] {
      SQLite::Statement q(*db_,
                          "INSERT INTO sync_receipts (point, author, upto_seq, entry, hub_time_ms, body, sig) "
                          "VALUES (?,?,?,?,?,?,?)");
      q.bind(1, r.point);
      bind_array(q, 2, r.author);
      q.bind(3, static_cast<int64_t>(r.upto_seq));
      bind_array(q, 4, r.entry);
      q.bind(5, static_cast<int64_t>(r.hub_time_ms));
      q.bind(6, r.body);
      bind_array(q, 7, r.sig);
      q.exec();
      bump(*db_, "receipts", "", 1);
    });
  }

  std::vector<ReceiptRecord> receipts(const std::string& point, size_t limit) override {
    Lock g(mu_);
    SQLite::Statement q(*db_,
                        "SELECT point, author, upto_seq, entry, hub_time_ms, body, sig FROM sync_receipts "
                        "WHERE (? = '' OR point = ?) ORDER BY n DESC LIMIT ?");
    q.bind(1, point);
    q.bind(2, point);
    q.bind(3, static_cast<int64_t>(limit));
    std::vector<ReceiptRecord> out;
    while (q.executeStep()) {
      ReceiptRecord r;
      r.point = q.getColumn(0).getString();
      r.author = blob_array<32>(q.getColumn(1));
      r.upto_seq = q.getColumn(2).getInt64();
      r.entry = blob_array<32>(q.getColumn(3));
      r.hub_time_ms = q.getColumn(4).getInt64();
      r.body = q.getColumn(5).getString();
      r.sig = blob_array<64>(q.getColumn(6));
      out.push_back(std::move(r));
    }
    return out;
  }

  // The counters move by what changed since the stored row: a row written
  // again with the same numbers counts nothing twice.
  void put_session(const SyncLogRow& given) override {
    Lock g(mu_);
    atomically(*db_, [&] {
      SyncLogRow r = given;
      SQLite::Statement old(*db_, std::string("SELECT ") + kLogCols + " FROM sync_log WHERE id = ?");
      old.bind(1, r.id);
      std::optional<SyncLogRow> before;
      if (old.executeStep()) before = read_log(old);
      // A session settled as interrupted stays so if a late write of its
      // last request arrives (it is counted once).
      if (before && before->result == "interrupted" && r.result == "running") r.result = "interrupted";
      SyncLogRow base = before.value_or(SyncLogRow{});
      bump(*db_, "bytes", "up", r.bytes_up - base.bytes_up);
      bump(*db_, "bytes", "down", r.bytes_down - base.bytes_down);
      bump(*db_, "entries", "up", r.entries_up - base.entries_up);
      bump(*db_, "entries", "down", r.entries_down - base.entries_down);
      if (r.result != "running" && (!before || before->result != r.result)) bump(*db_, "sessions", r.result, 1);
      SQLite::Statement q(*db_,
                          "INSERT OR REPLACE INTO sync_log (id, point, started_ms, ended_ms, entries_up, entries_down, "
                          "bytes_up, bytes_down, receipts, result, error, skew_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
      q.bind(1, r.id);
      q.bind(2, r.point);
      q.bind(3, static_cast<int64_t>(r.started_ms));
      q.bind(4, static_cast<int64_t>(r.ended_ms));
      q.bind(5, static_cast<int64_t>(r.entries_up));
      q.bind(6, static_cast<int64_t>(r.entries_down));
      q.bind(7, static_cast<int64_t>(r.bytes_up));
      q.bind(8, static_cast<int64_t>(r.bytes_down));
      q.bind(9, static_cast<int64_t>(r.receipts));
      q.bind(10, r.result);
      q.bind(11, r.error);
      q.bind(12, static_cast<int64_t>(r.skew_ms));
      q.exec();
    });
  }

  std::vector<SyncLogRow> sessions(const std::string& point, int64_t since_ms, size_t limit) override {
    Lock g(mu_);
    SQLite::Statement q(*db_, std::string("SELECT ") + kLogCols +
                                  " FROM sync_log WHERE (? = '' OR point = ?) AND started_ms >= ? "
                                  "ORDER BY started_ms DESC, id LIMIT ?");
    q.bind(1, point);
    q.bind(2, point);
    q.bind(3, static_cast<int64_t>(since_ms));
    q.bind(4, static_cast<int64_t>(limit));
    std::vector<SyncLogRow> out;
    while (q.executeStep()) out.push_back(read_log(q));
    return out;
  }

  std::vector<SyncLogRow> sessions_where(const SyncLogQuery& f) override {
    Lock g(mu_);
    // "failed" takes every session that ended badly, including a running
    // one abandoned longer than stale_before_ms (shown as "interrupted").
    std::string where = "(? = '' OR point = ?) AND started_ms >= ?";
    if (f.result == "ok") where += " AND result = 'ok'";
    else if (f.result == "failed")
      where += " AND (result IN ('failed', 'refused', 'interrupted') OR (result = 'running' AND max(started_ms, "
               "ended_ms) < ?))";
    else if (f.result == "running") where += " AND result = 'running' AND max(started_ms, ended_ms) >= ?";
    SQLite::Statement q(*db_, std::string("SELECT ") + kLogCols + " FROM sync_log WHERE " + where +
                                  " ORDER BY started_ms DESC, id LIMIT ?");
    int i = 1;
    q.bind(i++, f.point);
    q.bind(i++, f.point);
    q.bind(i++, static_cast<int64_t>(f.since_ms));
    if (f.result == "failed" || f.result == "running") q.bind(i++, static_cast<int64_t>(f.stale_before_ms));
    q.bind(i++, static_cast<int64_t>(f.limit));
    std::vector<SyncLogRow> out;
    while (q.executeStep()) out.push_back(read_log(q));
    return out;
  }

  std::optional<SyncLogRow> session(const std::string& id) override {
    Lock g(mu_);
    SQLite::Statement q(*db_, std::string("SELECT ") + kLogCols + " FROM sync_log WHERE id = ?");
    q.bind(1, id);
    if (!q.executeStep()) return std::nullopt;
    return read_log(q);
  }

  void add_alert(const Alert& a) override {
    Lock g(mu_);
    atomically(*db_, [&] { insert_alert(*db_, a); });
  }

  int64_t fold_alert(const Alert& a, int64_t since_ms) override {
    Lock g(mu_);
    int64_t count = 1;
    atomically(*db_, [&] {
      SQLite::Statement f(*db_,
                          "SELECT n, count FROM sync_alerts WHERE kind = ? AND source = ? AND point = ? AND at_ms >= ? "
                          "ORDER BY at_ms DESC LIMIT 1");
      f.bind(1, a.kind);
      f.bind(2, a.source);
      f.bind(3, a.point);
      f.bind(4, static_cast<int64_t>(since_ms));
      if (!f.executeStep()) {
        Alert one = a;
        one.count = 1;
        insert_alert(*db_, one);
        return;
      }
      const int64_t n = f.getColumn(0).getInt64();
      count = f.getColumn(1).getInt64() + 1;
      SQLite::Statement up(*db_, "UPDATE sync_alerts SET count = count + 1, last_ms = max(last_ms, ?) WHERE n = ?");
      up.bind(1, static_cast<int64_t>(a.at_ms));
      up.bind(2, n);
      up.exec();
      bump(*db_, "alerts", a.kind, 1);
    });
    return count;
  }

  std::vector<Alert> alerts(const std::string& point, int64_t since_ms) override {
    Lock g(mu_);
    SQLite::Statement q(*db_, std::string("SELECT ") + kAlertCols +
                                  " FROM sync_alerts WHERE (? = '' OR point = ?) AND last_ms >= ? ORDER BY n DESC LIMIT 1000");
    q.bind(1, point);
    q.bind(2, point);
    q.bind(3, static_cast<int64_t>(since_ms));
    std::vector<Alert> out;
    while (q.executeStep()) out.push_back(read_alert(q));
    return out;
  }

  SyncCounters counters() override {
    Lock g(mu_);
    SyncCounters c;
    SQLite::Statement q(*db_, "SELECT name, label, value FROM sync_counters");
    while (q.executeStep()) {
      const std::string name = q.getColumn(0).getString(), label = q.getColumn(1).getString();
      const int64_t v = q.getColumn(2).getInt64();
      if (name == "bytes" && label == "up") c.bytes_up = v;
      else if (name == "bytes" && label == "down") c.bytes_down = v;
      else if (name == "entries" && label == "up") c.entries_up = v;
      else if (name == "entries" && label == "down") c.entries_down = v;
      else if (name == "receipts") c.receipts = v;
      else if (name == "sessions") c.sessions[label] = v;
      else if (name == "alerts") c.alerts[label] = v;
      else if (name == "enrolments_throttled") c.enrolments_throttled = v;
    }
    return c;
  }

  void add_to_counter(const std::string& name, int64_t by) override {
    Lock g(mu_);
    bump(*db_, name, "", by);
  }

  RetentionReport apply_retention(const RetentionPolicy& p) override {
    Lock g(mu_);
    RetentionReport rep;
    atomically(*db_, [&] {
      auto run = [&](const char* sql, int64_t cutoff) -> int64_t {
        if (cutoff <= 0) return 0;
        SQLite::Statement q(*db_, sql);
        q.bind(1, static_cast<int64_t>(cutoff));
        return q.exec();
      };
      if (p.interrupted_before_ms > 0) {
        SQLite::Statement q(*db_,
                            "UPDATE sync_log SET result = 'interrupted' "
                            "WHERE result = 'running' AND max(started_ms, ended_ms) < ?");
        q.bind(1, static_cast<int64_t>(p.interrupted_before_ms));
        rep.interrupted = q.exec();
        bump(*db_, "sessions", "interrupted", rep.interrupted);
      }
      rep.sessions = run("DELETE FROM sync_log WHERE started_ms < ? AND result <> 'running'", p.sync_log_before_ms);
      rep.receipts = run(
          "DELETE FROM sync_receipts WHERE hub_time_ms < ? AND n <> (SELECT max(l.n) FROM sync_receipts l "
          "WHERE l.point = sync_receipts.point AND l.author = sync_receipts.author)",
          p.receipts_before_ms);
      rep.alerts = run("DELETE FROM sync_alerts WHERE last_ms < ?", p.alerts_before_ms);
      run("DELETE FROM hub_sessions WHERE expires_ms < ?", p.now_ms);
    });
    return rep;
  }

 private:
  using Lock = std::lock_guard<std::recursive_mutex>;
  std::shared_ptr<SQLite::Database> db_;
  std::recursive_mutex& mu_;
};

}  // namespace

std::unique_ptr<HubStore> make_sqlite_hub_store(node::Node& node) { return std::make_unique<SqliteHubStore>(node); }

}  // namespace motcua::sync
