// PostgreSQL HubStore (hub_store_pg.hpp): points, enrolment codes and
// enrolment, successions, sync sessions and their counters, leases.
#include "hub_store_pg.hpp"

namespace motcua::sync::pg_store {

Status PgHubStore::add_point(const PointRecord& p) {
  return run<Ok>([&](Tx& tx) -> Result<Ok> {
    Rows r = tx.exec(
        "INSERT INTO motcua.hub_points (name, area, daily_capacity, lease_days, status, created_ms, place_name, "
        "agency_code, acts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (name) DO NOTHING",
        {txt(p.name), txt(p.area), num(p.daily_capacity), num(p.lease_days),
         txt(p.status.empty() ? std::string("pending") : p.status), num(p.created_ms), txt(p.place_name),
         txt(p.agency_code), txt(join_acts(p.acts))});
    if (r.affected() == 0) return make_error("conflict", "a point named '" + p.name + "' already exists", "name");
    return Ok{};
  });
}

std::optional<PointRecord> PgHubStore::point(const std::string& name) {
  return must(run<std::optional<PointRecord>>([&](Tx& tx) -> Result<std::optional<PointRecord>> {
    return point_where(tx, "name = $1", txt(name));
  }));
}

std::optional<PointRecord> PgHubStore::point_by_key(const PublicKey& key) {
  return must(run<std::optional<PointRecord>>([&](Tx& tx) -> Result<std::optional<PointRecord>> {
    return point_where(tx, "public_key = $1", raw(key));
  }));
}

std::vector<PointRecord> PgHubStore::points() {
  return must(run<std::vector<PointRecord>>([&](Tx& tx) -> Result<std::vector<PointRecord>> {
    Rows q = tx.exec(std::string("SELECT ") + kPointCols + " FROM motcua.hub_points ORDER BY name");
    std::vector<PointRecord> out;
    for (int i = 0; i < q.size(); ++i) out.push_back(read_point(q, i));
    return out;
  }));
}

Status PgHubStore::revoke_point(const std::string& name, int64_t now_ms, int64_t seq, const Hash32& id) {
  return run<Ok>([&](Tx& tx) -> Result<Ok> {
    Rows r = tx.exec(
        "UPDATE motcua.hub_points SET revoked_ms = CASE WHEN status = 'revoked' THEN revoked_ms ELSE $1 END, "
        "revoked_seq = CASE WHEN status = 'revoked' THEN revoked_seq ELSE $2 END, "
        "revoked_id = CASE WHEN status = 'revoked' THEN revoked_id ELSE $3 END, "
        "status = 'revoked' WHERE name = $4",
        {num(now_ms), num(seq), raw(id), txt(name)});
    if (r.affected() == 0) return make_error("not_found", "no point named '" + name + "'", "name");
    return Ok{};
  });
}

Status PgHubStore::set_point_status(const std::string& name, const std::string& status) {
  if (status != "active" && status != "quarantined")
    return make_error("invalid_value", "a point's status can be set to active or quarantined", "status");
  return run<Ok>([&](Tx& tx) -> Result<Ok> {
    Rows get = tx.exec("SELECT status FROM motcua.hub_points WHERE name = $1 FOR UPDATE", {txt(name)});
    if (get.size() == 0) return make_error("not_found", "no point named '" + name + "'", "name");
    if (get.str(0, 0) == "revoked") return make_error("conflict", "point '" + name + "' is revoked", "name");
    tx.exec(
        "UPDATE motcua.hub_points SET status = 'active', "
        "quarantined_ms = CASE WHEN $1 THEN GREATEST(quarantined_ms, 1) ELSE 0 END WHERE name = $2",
        {txt(status == "quarantined" ? "true" : "false"), txt(name)});
    return Ok{};
  });
}

void PgHubStore::note_contact(const std::string& name, int64_t now_ms, int64_t skew_ms) {
  write("UPDATE motcua.hub_points SET last_seen_ms = $1, skew_ms = $2 WHERE name = $3",
        {num(now_ms), num(skew_ms), txt(name)});
}

void PgHubStore::note_success(const std::string& name, int64_t now_ms) {
  write("UPDATE motcua.hub_points SET last_success_ms = $1 WHERE name = $2", {num(now_ms), txt(name)});
}

void PgHubStore::set_pull_cursor(const std::string& name, int64_t pos) {
  write("UPDATE motcua.hub_points SET pull_cursor = $1, sent_cursor = $1 WHERE name = $2 AND pull_cursor <= $1",
        {num(pos), txt(name)});
}

void PgHubStore::reset_pull_cursor(const std::string& name, int64_t pos) {
  write("UPDATE motcua.hub_points SET pull_cursor = $1, sent_cursor = $1 WHERE name = $2", {num(pos), txt(name)});
}

std::string PgHubStore::note_point_epoch(const std::string& name, const std::string& epoch, int64_t now_ms) {
  return must(run<std::string>([&](Tx& tx) -> Result<std::string> {
    Rows cur = tx.exec("SELECT epoch FROM motcua.hub_points WHERE name = $1 FOR UPDATE", {txt(name)});
    if (cur.size() == 0) return std::string("retired");  // no such point: change nothing
    if (cur.str(0, 0) == epoch) return std::string("current");
    Rows ins = tx.exec(
        "INSERT INTO motcua.hub_point_epochs (point, epoch, first_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        {txt(name), txt(epoch), num(now_ms)});
    if (ins.affected() == 0) return std::string("retired");
    tx.exec("UPDATE motcua.hub_points SET epoch = $1 WHERE name = $2", {txt(epoch), txt(name)});
    return std::string("new");
  }));
}

void PgHubStore::set_sent_cursor(const std::string& name, int64_t pos) {
  write("UPDATE motcua.hub_points SET sent_cursor = GREATEST(pull_cursor, $1) WHERE name = $2", {num(pos), txt(name)});
}

Status PgHubStore::add_enrolment_code(const Hash32& code_hash, const std::string& code_id, const Hash32& enrol_key,
                          const std::string& point, int64_t expires_ms,
                          const std::optional<PublicKey>& replaces) {
  return run<Ok>([&](Tx& tx) -> Result<Ok> {
    try {
      tx.exec("SAVEPOINT add_code");
      tx.exec(
          "INSERT INTO motcua.hub_enrolment_codes (code_hash, point, expires_ms, code_id, enrol_key, replaces) "
          "VALUES ($1, $2, $3, $4, $5, $6)",
          {raw(code_hash), txt(point), num(expires_ms), txt(code_id), raw(enrol_key),
           replaces ? raw(*replaces) : null_arg()});
    } catch (const PgFailure& f) {
      // 23505: the same code twice; 23503: no such point.
      if (f.sqlstate.rfind("23", 0) != 0) throw;
      return make_error("conflict", "cannot store the enrolment code: " + f.message);
    }
    return Ok{};
  });
}

std::vector<EnrolmentCodeRecord> PgHubStore::enrolment_codes(const std::string& code_id) {
  return must(run<std::vector<EnrolmentCodeRecord>>([&](Tx& tx) -> Result<std::vector<EnrolmentCodeRecord>> {
    Rows q = tx.exec(
        "SELECT code_hash, code_id, enrol_key, point, expires_ms, used_ms, used_by, replaces "
        "FROM motcua.hub_enrolment_codes WHERE code_id = $1 LIMIT 16",
        {txt(code_id)});
    std::vector<EnrolmentCodeRecord> out;
    for (int i = 0; i < q.size(); ++i) {
      EnrolmentCodeRecord c;
      c.code_hash = q.arr0<32>(i, 0);
      c.code_id = q.str(i, 1);
      c.enrol_key = q.arr0<32>(i, 2);
      c.point = q.str(i, 3);
      c.expires_ms = q.i64(i, 4);
      c.used_ms = q.i64(i, 5);
      c.used_by = q.arr<32>(i, 6);
      c.replaces = q.arr<32>(i, 7);
      out.push_back(std::move(c));
    }
    return out;
  }));
}

// The code's row and its point's row are locked (FOR UPDATE) before they
// are checked: a second enrolment with the same code waits, then sees it
// used. The UPDATE of the code is conditional on used_ms = 0 as well.
Result<PointRecord> PgHubStore::enrol(const Hash32& code_hash, const PublicKey& key, int64_t now_ms) {
  return run<PointRecord>([&](Tx& tx) -> Result<PointRecord> {
    Rows q = tx.exec(
        "SELECT c.point, c.expires_ms, c.used_ms, p.status, c.replaces FROM motcua.hub_enrolment_codes c "
        "JOIN motcua.hub_points p ON p.name = c.point WHERE c.code_hash = $1 FOR UPDATE",
        {raw(code_hash)});
    if (q.size() == 0) return make_error("enrolment_refused", "unknown enrolment code", "code");
    const std::string name = q.str(0, 0);
    if (!q.null(0, 4))
      return make_error("enrolment_refused", "this code replaces a point's key (restore --from-hub)", "code");
    if (q.i64(0, 2) != 0) return make_error("enrolment_refused", "this enrolment code was already used", "code");
    if (now_ms > q.i64(0, 1)) return make_error("enrolment_refused", "this enrolment code has expired", "code");
    if (q.str(0, 3) == "revoked") return make_error("enrolment_refused", "point '" + name + "' is revoked", "code");
    Rows other = tx.exec("SELECT name FROM motcua.hub_points WHERE public_key = $1 AND name <> $2",
                         {raw(key), txt(name)});
    if (other.size() > 0)
      return make_error("enrolment_refused", "this node key is already enrolled as '" + other.str(0, 0) + "'");
    Rows use = tx.exec(
        "UPDATE motcua.hub_enrolment_codes SET used_ms = $1, used_by = $2 WHERE code_hash = $3 AND used_ms = 0",
        {num(now_ms), raw(key), raw(code_hash)});
    if (use.affected() != 1) return make_error("enrolment_refused", "this enrolment code was already used", "code");
    try {
      tx.exec("SAVEPOINT bind_key");
      tx.exec(
          "UPDATE motcua.hub_points SET public_key = $1, status = 'active', enrolled_ms = $2, "
          "pull_cursor = 0, sent_cursor = 0 WHERE name = $3",
          {raw(key), num(now_ms), txt(name)});
    } catch (const PgFailure& f) {
      // Another point enrolled the same key at the same moment.
      if (!is_unique_violation(f)) throw;
      return make_error("enrolment_refused", "this node key is already enrolled as another point");
    }
    return *point_where(tx, "name = $1", txt(name));
  });
}

Result<PointRecord> PgHubStore::succeed(const Hash32& code_hash, const Succession& sc) {
  return run<PointRecord>([&](Tx& tx) -> Result<PointRecord> {
    Rows q = tx.exec(
        "SELECT c.point, c.expires_ms, c.used_ms, p.status, c.replaces, p.public_key "
        "FROM motcua.hub_enrolment_codes c JOIN motcua.hub_points p ON p.name = c.point "
        "WHERE c.code_hash = $1 FOR UPDATE",
        {raw(code_hash)});
    if (q.size() == 0) return make_error("enrolment_refused", "unknown enrolment code", "code");
    const std::string name = q.str(0, 0);
    if (name != sc.point) return make_error("enrolment_refused", "this code is for another point", "code");
    if (q.i64(0, 2) != 0) return make_error("enrolment_refused", "this enrolment code was already used", "code");
    if (sc.at_ms > q.i64(0, 1)) return make_error("enrolment_refused", "this enrolment code has expired", "code");
    if (q.arr<32>(0, 4) != std::optional<PublicKey>(sc.old_key))
      return make_error("enrolment_refused", "this code does not replace the key given", "code");
    if (q.arr<32>(0, 5) != std::optional<PublicKey>(sc.old_key))
      return make_error("enrolment_refused",
                        "point '" + name + "' no longer has the key this code replaces (another replacement was used)",
                        "code");
    Rows other = tx.exec("SELECT name FROM motcua.hub_points WHERE public_key = $1", {raw(sc.new_key)});
    if (other.size() > 0)
      return make_error("enrolment_refused", "this node key is already enrolled as '" + other.str(0, 0) + "'");
    Rows former = tx.exec("SELECT point FROM motcua.hub_successions WHERE old_key = $1", {raw(sc.new_key)});
    if (former.size() > 0)
      return make_error("enrolment_refused", "this node key is a former key of point '" + former.str(0, 0) + "'");
    Rows use = tx.exec(
        "UPDATE motcua.hub_enrolment_codes SET used_ms = $1, used_by = $2 WHERE code_hash = $3 AND used_ms = 0",
        {num(sc.at_ms), raw(sc.new_key), raw(code_hash)});
    if (use.affected() != 1) return make_error("enrolment_refused", "this enrolment code was already used", "code");
    try {
      tx.exec("SAVEPOINT succeed");
      tx.exec(
          "INSERT INTO motcua.hub_successions (point, old_key, new_key, revoked_seq, revoked_id, at_ms, body, sig) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
          {txt(sc.point), raw(sc.old_key), raw(sc.new_key), num(sc.revoked_seq), raw(sc.revoked_id), num(sc.at_ms),
           txt(sc.body), raw(sc.sig)});
      // The old key may have minted numbers of any of these blocks offline:
      // none of them is ever given to anyone again (lease() counts them).
      tx.exec("UPDATE motcua.hub_leases SET retired_ms = $1 WHERE point = $2 AND retired_ms = 0",
              {num(sc.at_ms), txt(sc.point)});
      tx.exec(
          "UPDATE motcua.hub_points SET public_key = $1, status = 'active', enrolled_ms = $2, revoked_ms = 0, "
          "revoked_seq = 0, revoked_id = NULL, quarantined_ms = 0, epoch = '', "
          "pull_cursor = 0, sent_cursor = 0 WHERE name = $3",
          {raw(sc.new_key), num(sc.at_ms), txt(sc.point)});
    } catch (const PgFailure& f) {
      if (!is_unique_violation(f)) throw;
      return make_error("enrolment_refused", "this node key is already enrolled or a former key");
    }
    return *point_where(tx, "name = $1", txt(sc.point));
  });
}

std::vector<Succession> PgHubStore::successions(const std::string& point) {
  return must(run<std::vector<Succession>>([&](Tx& tx) -> Result<std::vector<Succession>> {
    Rows q = tx.exec(std::string("SELECT ") + kSuccessionCols +
                         " FROM motcua.hub_successions WHERE $1 = '' OR point = $1 ORDER BY n",
                     {txt(point)});
    std::vector<Succession> out;
    for (int i = 0; i < q.size(); ++i) out.push_back(read_succession(q, i));
    return out;
  }));
}

std::optional<Succession> PgHubStore::succession_of(const PublicKey& old_key) {
  return must(run<std::optional<Succession>>([&](Tx& tx) -> Result<std::optional<Succession>> {
    Rows q = tx.exec(std::string("SELECT ") + kSuccessionCols + " FROM motcua.hub_successions WHERE old_key = $1",
                     {raw(old_key)});
    if (q.size() == 0) return std::optional<Succession>();
    return std::optional<Succession>(read_succession(q, 0));
  }));
}

void PgHubStore::open_session(const std::string& id, const PublicKey& key, int64_t expires_ms) {
  // As SQLite's INSERT OR REPLACE: a reopened id starts again at counter 0.
  write(
      "INSERT INTO motcua.hub_sessions (id, node, expires_ms) VALUES ($1, $2, $3) "
      "ON CONFLICT (id) DO UPDATE SET node = excluded.node, expires_ms = excluded.expires_ms, counter = 0",
      {txt(id), raw(key), num(expires_ms)});
}

bool PgHubStore::session_valid(const std::string& id, const PublicKey& key, int64_t now_ms) {
  return must(run<bool>([&](Tx& tx) -> Result<bool> {
    Rows q = tx.exec("SELECT node, expires_ms FROM motcua.hub_sessions WHERE id = $1", {txt(id)});
    if (q.size() == 0) return false;
    return q.arr<32>(0, 0) == std::optional<PublicKey>(key) && now_ms <= q.i64(0, 1);
  }));
}

int64_t PgHubStore::session_counter(const std::string& id) {
  return must(run<int64_t>([&](Tx& tx) -> Result<int64_t> {
    Rows q = tx.exec("SELECT counter FROM motcua.hub_sessions WHERE id = $1", {txt(id)});
    return q.size() ? q.i64(0, 0) : int64_t{0};
  }));
}

void PgHubStore::set_session_counter(const std::string& id, int64_t counter) {
  // Not a disk sync per request (as the SQLite store).
  must(run<Ok>(
      [&](Tx& tx) -> Result<Ok> {
        tx.exec("SET LOCAL synchronous_commit = off");
        tx.exec("UPDATE motcua.hub_sessions SET counter = GREATEST(counter, $1) WHERE id = $2",
                {num(counter), txt(id)});
        return Ok{};
      }));
}

// READ COMMITTED: a second UPDATE of the same row waits for the first to
// commit, then evaluates `counter < $1` again on the row as it left it, so
// of two processes offering one counter exactly one finds a row to change.
bool PgHubStore::advance_session_counter(const std::string& id, int64_t counter) {
  return must(run<bool>([&](Tx& tx) -> Result<bool> {
    tx.exec("SET LOCAL synchronous_commit = off");
    return tx.exec("UPDATE motcua.hub_sessions SET counter = $1 WHERE id = $2 AND counter < $1",
                   {num(counter), txt(id)})
               .affected() == 1;
  }));
}

void PgHubStore::prune(int64_t now_ms) {
  write("DELETE FROM motcua.hub_sessions WHERE expires_ms < $1", {num(now_ms)});
}

// The (agency, day) row of hub_lease_days is created if missing (ON
// CONFLICT DO NOTHING) and locked (FOR UPDATE): a second lease of the same
// day, from this process or another, waits for this transaction and then
// reads the number this one leased last.
Result<Lease> PgHubStore::lease(const std::string& agency, const std::string& day, const std::string& point,
                    int count) {
  return run<Lease>([&](Tx& tx) -> Result<Lease> {
    tx.exec(
        "INSERT INTO motcua.hub_lease_days (agency, day, last) "
        "SELECT $1, $2, COALESCE(max(last), 0) FROM motcua.hub_leases WHERE agency = $1 AND day = $2 "
        "ON CONFLICT (agency, day) DO NOTHING",
        {txt(agency), txt(day)});
    Rows q = tx.exec("SELECT last FROM motcua.hub_lease_days WHERE agency = $1 AND day = $2 FOR UPDATE",
                     {txt(agency), txt(day)});
    const int next = static_cast<int>(q.i64(0, 0)) + 1;
    if (next > 9999 || count <= 0)
      return make_error("sequence_exhausted", "no dossier numbers left for " + agency + " on " + day);
    Lease l{agency, day, next, std::min(9999, next + count - 1), point};
    tx.exec("UPDATE motcua.hub_lease_days SET last = $3 WHERE agency = $1 AND day = $2",
            {txt(agency), txt(day), num(l.last)});
    tx.exec("INSERT INTO motcua.hub_leases (agency, day, first, last, point) VALUES ($1, $2, $3, $4, $5)",
            {txt(agency), txt(day), num(l.first), num(l.last), txt(point)});
    return l;
  });
}

std::vector<Lease> PgHubStore::leases_of(const std::string& point, const std::string& from_day) {
  return must(run<std::vector<Lease>>([&](Tx& tx) -> Result<std::vector<Lease>> {
    Rows q = tx.exec(
        "SELECT agency, day, first, last, point FROM motcua.hub_leases WHERE point = $1 AND day >= $2 "
        "AND retired_ms = 0 ORDER BY day, first",
        {txt(point), txt(from_day)});
    std::vector<Lease> out;
    for (int i = 0; i < q.size(); ++i)
      out.push_back(Lease{q.str(i, 0), q.str(i, 1), static_cast<int>(q.i64(i, 2)), static_cast<int>(q.i64(i, 3)),
                          q.str(i, 4)});
    return out;
  }));
}

}  // namespace motcua::sync::pg_store
