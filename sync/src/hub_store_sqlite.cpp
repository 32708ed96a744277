// The SQLite HubStore (hub_store_sqlite.hpp): points, enrolment codes,
// sessions, leases, fork evidence and successions.
#include "hub_store_sqlite.hpp"

namespace motcua::sync {

using namespace sqlite_store;

namespace {

// Runs the one-statement write `fn` without a disk sync (util::without_sync:
// a crash of the process keeps it; a power cut may lose the last ones, and
// what it records is bookkeeping a later session writes again). Returns
// fn's result.
template <class F>
auto without_sync(SQLite::Database& db, F&& fn) {
  decltype(fn()) r{};
  util::without_sync(db, [&] { r = fn(); });
  return r;
}

}  // namespace

SqliteHubStore::~SqliteHubStore() = default;

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

Status SqliteHubStore::add_point(const PointRecord& p) try {
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

std::optional<PointRecord> SqliteHubStore::point(const std::string& name) {
  Lock g(mu_);
  SQLite::Statement q(*db_, std::string("SELECT ") + kPointCols + " FROM hub_points WHERE name = ?");
  q.bind(1, name);
  if (!q.executeStep()) return std::nullopt;
  return read_point(q);
}

std::optional<PointRecord> SqliteHubStore::point_by_key(const PublicKey& key) {
  return read_committed([&](SQLite::Database& db) -> std::optional<PointRecord> {
    SQLite::Statement q(db, std::string("SELECT ") + kPointCols + " FROM hub_points WHERE public_key = ?");
    bind_array(q, 1, key);
    if (!q.executeStep()) return std::nullopt;
    return read_point(q);
  });
}

std::vector<PointRecord> SqliteHubStore::points() {
  Lock g(mu_);
  SQLite::Statement q(*db_, std::string("SELECT ") + kPointCols + " FROM hub_points ORDER BY name");
  std::vector<PointRecord> out;
  while (q.executeStep()) out.push_back(read_point(q));
  return out;
}

Status SqliteHubStore::revoke_point(const std::string& name, int64_t now_ms, int64_t seq, const Hash32& id) try {
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

Status SqliteHubStore::set_point_status(const std::string& name, const std::string& status) try {
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

void SqliteHubStore::note_contact(const std::string& name, int64_t now_ms, int64_t skew_ms) {
  Lock g(mu_);
  without_sync(*db_, [&] {
    SQLite::Statement q(*db_, "UPDATE hub_points SET last_seen_ms = ?, skew_ms = ? WHERE name = ?");
    q.bind(1, static_cast<int64_t>(now_ms));
    q.bind(2, static_cast<int64_t>(skew_ms));
    q.bind(3, name);
    q.exec();
    return 0;
  });
}

void SqliteHubStore::note_success(const std::string& name, int64_t now_ms) {
  Lock g(mu_);
  without_sync(*db_, [&] {
    SQLite::Statement q(*db_, "UPDATE hub_points SET last_success_ms = ? WHERE name = ?");
    q.bind(1, static_cast<int64_t>(now_ms));
    q.bind(2, name);
    q.exec();
    return 0;
  });
}

void SqliteHubStore::set_pull_cursor(const std::string& name, int64_t pos) {
  Lock g(mu_);
  without_sync(*db_, [&] {
    SQLite::Statement q(*db_,
                        "UPDATE hub_points SET pull_cursor = ?1, sent_cursor = ?2 WHERE name = ?3 AND pull_cursor <= ?1");
    q.bind(1, static_cast<int64_t>(pos));
    q.bind(2, static_cast<int64_t>(pos));
    q.bind(3, name);
    q.exec();
    return 0;
  });
}

void SqliteHubStore::reset_pull_cursor(const std::string& name, int64_t pos) {
  Lock g(mu_);
  SQLite::Statement q(*db_, "UPDATE hub_points SET pull_cursor = ?, sent_cursor = ? WHERE name = ?");
  q.bind(1, static_cast<int64_t>(pos));
  q.bind(2, static_cast<int64_t>(pos));
  q.bind(3, name);
  q.exec();
}

std::string SqliteHubStore::note_point_epoch(const std::string& name, const std::string& epoch, int64_t now_ms) {
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

bool SqliteHubStore::add_fork_evidence(const ForkEvidence& f) {
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

std::vector<ForkEvidence> SqliteHubStore::fork_evidence(const std::optional<PublicKey>& author, size_t limit) {
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

void SqliteHubStore::set_sent_cursor(const std::string& name, int64_t pos) {
  Lock g(mu_);
  without_sync(*db_, [&] {
    SQLite::Statement q(*db_, "UPDATE hub_points SET sent_cursor = max(pull_cursor, ?) WHERE name = ?");
    q.bind(1, static_cast<int64_t>(pos));
    q.bind(2, name);
    q.exec();
    return 0;
  });
}

Status SqliteHubStore::add_enrolment_code(const Hash32& code_hash, const std::string& code_id, const Hash32& enrol_key,
                                          const std::string& point, int64_t expires_ms,
                                          const std::optional<PublicKey>& replaces) {
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

Result<PointRecord> SqliteHubStore::enrol(const Hash32& code_hash, const PublicKey& key, int64_t now_ms) try {
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

Result<PointRecord> SqliteHubStore::succeed(const Hash32& code_hash, const Succession& sc) try {
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

std::vector<Succession> SqliteHubStore::successions(const std::string& point) {
  Lock g(mu_);
  SQLite::Statement q(*db_,
                      "SELECT point, old_key, new_key, revoked_seq, revoked_id, at_ms, body, sig FROM hub_successions "
                      "WHERE ?1 = '' OR point = ?1 ORDER BY n");
  q.bind(1, point);
  std::vector<Succession> out;
  while (q.executeStep()) out.push_back(read_succession(q));
  return out;
}

std::optional<Succession> SqliteHubStore::succession_of(const PublicKey& old_key) {
  Lock g(mu_);
  SQLite::Statement q(*db_,
                      "SELECT point, old_key, new_key, revoked_seq, revoked_id, at_ms, body, sig FROM hub_successions "
                      "WHERE old_key = ?");
  bind_array(q, 1, old_key);
  if (!q.executeStep()) return std::nullopt;
  return read_succession(q);
}

std::vector<EnrolmentCodeRecord> SqliteHubStore::enrolment_codes(const std::string& code_id) {
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

int64_t SqliteHubStore::session_counter(const std::string& id) {
  Lock g(mu_);
  SQLite::Statement q(*db_, "SELECT counter FROM hub_sessions WHERE id = ?");
  q.bind(1, id);
  return q.executeStep() ? q.getColumn(0).getInt64() : 0;
}


void SqliteHubStore::set_session_counter(const std::string& id, int64_t counter) {
  Lock g(mu_);
  without_sync(*db_, [&] {
    SQLite::Statement q(*db_, "UPDATE hub_sessions SET counter = max(counter, ?) WHERE id = ?");
    q.bind(1, static_cast<int64_t>(counter));
    q.bind(2, id);
    return q.exec();
  });
}

// SQLite's write lock makes the UPDATE atomic across connections and
// processes: of two offering one counter, the second finds it stored.
bool SqliteHubStore::advance_session_counter(const std::string& id, int64_t counter) {
  Lock g(mu_);
  return without_sync(*db_, [&] {
    SQLite::Statement q(*db_, "UPDATE hub_sessions SET counter = ?1 WHERE id = ?2 AND counter < ?1");
    q.bind(1, static_cast<int64_t>(counter));
    q.bind(2, id);
    return q.exec() == 1;
  });
}

void SqliteHubStore::open_session(const std::string& id, const PublicKey& key, int64_t expires_ms) {
  Lock g(mu_);
  without_sync(*db_, [&] {
    SQLite::Statement q(*db_, "INSERT OR REPLACE INTO hub_sessions (id, node, expires_ms) VALUES (?,?,?)");
    q.bind(1, id);
    bind_array(q, 2, key);
    q.bind(3, static_cast<int64_t>(expires_ms));
    q.exec();
    return 0;
  });
}

bool SqliteHubStore::session_valid(const std::string& id, const PublicKey& key, int64_t now_ms) {
  return read_committed([&](SQLite::Database& db) {
    SQLite::Statement q(db, "SELECT node, expires_ms FROM hub_sessions WHERE id = ?");
    q.bind(1, id);
    if (!q.executeStep()) return false;
    return blob_array<32>(q.getColumn(0)) == key && now_ms <= q.getColumn(1).getInt64();
  });
}

void SqliteHubStore::prune(int64_t now_ms) {
  Lock g(mu_);
  SQLite::Statement b(*db_, "DELETE FROM hub_sessions WHERE expires_ms < ?");
  b.bind(1, static_cast<int64_t>(now_ms));
  b.exec();
}

Result<Lease> SqliteHubStore::lease(const std::string& agency, const std::string& day, const std::string& point, int count) try {
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

std::vector<Lease> SqliteHubStore::leases_of(const std::string& point, const std::string& from_day) {
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

std::unique_ptr<HubStore> make_sqlite_hub_store(node::Node& node) { return std::make_unique<SqliteHubStore>(node); }

}  // namespace motcua::sync
