// The hub's own records: enrolled points, one-time enrolment codes, sync
// sessions with their request counters, leased blocks of dossier numbers, receipts, the sync
// log and security alerts. One small interface with two implementations
// (SQLite, the node's own database; PostgreSQL, docs/postgres.md); both must
// pass the contract in tests/unit/hub_store_contract.hpp.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "motcua/canonical.hpp"
#include "motcua/crypto.hpp"
#include "motcua/result.hpp"

namespace motcua::node {
class Node;
}

namespace motcua::sync {

struct PointRecord {
  std::string name;
  std::string area;
  int64_t daily_capacity = 0;  // numbers of each day leased to the point
  int64_t lease_days = 30;     // how many days ahead blocks are leased
  std::string status;          // "pending" (code issued), "active", "quarantined", "revoked"
  std::optional<PublicKey> key;  // set at enrolment
  std::string agency_code;       // the point's receiving agency (set by the admin at point add)
  int64_t created_ms = 0;
  int64_t enrolled_ms = 0;
  int64_t revoked_ms = 0;
  int64_t pull_cursor = 0;      // last cursor the point reported (hub journal pos)
  int64_t sent_cursor = 0;      // end of what the hub last sent it (>= pull_cursor; for its lag)
  int64_t last_seen_ms = 0;     // last authenticated request
  int64_t last_success_ms = 0;  // last session that ended well
  int64_t skew_ms = 0;          // hub time minus point time, last request
  std::string place_name{};     // as people name the place (receipts, screens); may be empty
  std::string epoch{};          // the epoch of the point's database its last hello reported
  std::vector<std::string> acts{};  // event types it may sign (point add --acts; admission rule 3)
  int64_t revoked_seq = 0;      // revoked: the seq and id of its last admitted entry (0: none)
  Hash32 revoked_id{};
};

// Two entries signed by one key at one place of its chain: a fork
// (docs/sync-protocol.md, "Forks"). The hub holds `held_id` at `held_seq`;
// the other entry (at `seq`) is either the same seq with other content, or the
// next seq linking to another predecessor (held_seq = seq - 1).
struct ForkEvidence {
  PublicKey author{};
  int64_t seq = 0;
  std::string reporter;  // the point whose request showed it
  int64_t at_ms = 0;
  int64_t held_seq = 0;
  Hash32 held_id{};
  Hash32 other_id{};
  std::string other_canonical;  // the other entry's signed bytes ("" until the point sent them)
  std::optional<Signature> other_sig;
};

struct EnrolmentCodeRecord {
  Hash32 code_hash{};
  std::string code_id;
  Hash32 enrol_key{};  // all zero for a code stored before protocol v2 (unusable)
  std::string point;
  int64_t expires_ms = 0;
  int64_t used_ms = 0;
  std::optional<PublicKey> used_by;  // the key that enrolled with it
  // `point add --replace`: the key the new one replaces (succession,
  // docs/sync-protocol.md 15.3); nullopt for a first enrolment.
  std::optional<PublicKey> replaces{};
};

// A point's key replaced by a new one (`point add --replace`, then
// `restore --from-hub`): the old key stays the point's former key, admitted
// up to (revoked_seq, revoked_id). `body` is the canonical record the hub
// signed (domain motcua/v2/succession): {"at_ms","hub","new_key","old_key",
// "point","revoked_id","revoked_seq","type":"succession"}.
struct Succession {
  std::string point;
  PublicKey old_key{};
  PublicKey new_key{};
  int64_t revoked_seq = 0;
  Hash32 revoked_id{};
  int64_t at_ms = 0;
  std::string body;
  Signature sig{};
};

struct Lease {
  std::string agency;
  std::string day;  // YYMMDD
  int first = 0;
  int last = 0;
  std::string point;
};

struct ReceiptRecord {
  std::string point;
  PublicKey author{};
  int64_t upto_seq = 0;
  Hash32 entry{};
  int64_t hub_time_ms = 0;
  std::string body;  // canonical receipt JSON
  Signature sig{};
};

// One sync session as seen by one end.
struct SyncLogRow {
  std::string id;  // session id (hex)
  std::string point;
  int64_t started_ms = 0;
  int64_t ended_ms = 0;
  int64_t entries_up = 0;
  int64_t entries_down = 0;
  int64_t bytes_up = 0;
  int64_t bytes_down = 0;
  int64_t receipts = 0;
  std::string result;  // "ok", "running", "failed", "refused"
  std::string error;   // "code: message" when not ok
  int64_t skew_ms = 0;
};

// Which sync log rows to list (GET /api/v1/audit/sync-log filters).
struct SyncLogQuery {
  std::string point;        // "" = all
  int64_t since_ms = 0;     // started at or after; 0 = all
  std::string result;       // "" = all, "ok", "failed" (failed, refused, interrupted), "running"
  size_t limit = 1000;
  int64_t stale_before_ms = 0;  // a running session with no activity since is interrupted (counts as failed)
};

struct Alert {
  int64_t at_ms = 0;  // first occurrence
  std::string point;
  std::string kind;  // e.g. "equivocation"
  std::string detail;
  std::string source;   // client address the alert is about ("" when unknown)
  int64_t count = 1;    // occurrences folded into this alert (fold_alert)
  int64_t last_ms = 0;  // last occurrence (0: at_ms)
};

// Cumulative counts of the sync bookkeeping for /metrics. They only ever
// grow: each is updated in the same transaction as the row it counts, and
// retention (apply_retention) never lowers them.
struct SyncCounters {
  int64_t bytes_up = 0, bytes_down = 0;      // sync log rows' bytes, by direction from the point
  int64_t entries_up = 0, entries_down = 0;  // sync log rows' entries
  int64_t receipts = 0;                      // receipts stored (add_receipt)
  std::map<std::string, int64_t> sessions;   // by result: each time a session's result becomes it
  std::map<std::string, int64_t> alerts;     // by kind: occurrences (a folded alert counts each)
  int64_t enrolments_throttled = 0;          // enrolment requests answered 429 without being tried
};

// What apply_retention deletes; a cut-off of 0 keeps those rows for ever.
struct RetentionPolicy {
  int64_t sync_log_before_ms = 0;   // sessions that started before (running ones are kept)
  int64_t receipts_before_ms = 0;   // receipts stored before, except the latest per point and author
  int64_t alerts_before_ms = 0;     // alerts whose last occurrence is before
  int64_t interrupted_before_ms = 0;  // running sessions with no activity since: result "interrupted"
  int64_t now_ms = 0;               // hub sessions that expired before are forgotten
};

struct RetentionReport {
  int64_t sessions = 0, receipts = 0, alerts = 0, interrupted = 0;
};

// A lease as stored, with its retirement by a succession.
struct LeaseRecord {
  Lease lease;
  int64_t retired_ms = 0;  // > 0: retired (never given out again, not in leases_of)
};

// An epoch a point's hello reported, and the hub time it was first seen.
struct PointEpoch {
  std::string point;
  std::string epoch;
  int64_t first_ms = 0;
};

// Every row a HubStore keeps but its sync sessions (they last minutes and
// belong to the process that answered the hello): what copy_hub_bookkeeping
// moves. Each list in the order the rows were stored (oldest first).
struct HubBookkeeping {
  std::vector<PointRecord> points;
  std::vector<PointEpoch> epochs;
  std::vector<EnrolmentCodeRecord> codes;
  std::vector<LeaseRecord> leases;
  std::vector<Succession> successions;
  std::vector<ReceiptRecord> receipts;
  std::vector<SyncLogRow> sync_log;
  std::vector<Alert> alerts;
  std::vector<ForkEvidence> forks;
  SyncCounters counters;
};

// What a HubStore method that returns no Result (a void, optional, vector or
// count) throws when its database fails, e.g. a lost PostgreSQL connection:
// `error` is {"storage", readable message}. (The SQLite store throws
// SQLite::Exception there.) Methods returning a Result/Status never throw.
struct HubStoreFailure : std::runtime_error {
  explicit HubStoreFailure(Error e) : std::runtime_error(e.message), error(std::move(e)) {}
  Error error;
};

class HubStore {
 public:
  virtual ~HubStore() = default;

  // Points. add_point: "conflict" when the name is taken.
  virtual Status add_point(const PointRecord& p) = 0;
  virtual std::optional<PointRecord> point(const std::string& name) = 0;
  virtual std::optional<PointRecord> point_by_key(const PublicKey& key) = 0;
  virtual std::vector<PointRecord> points() = 0;
  // "not_found" for an unknown name; revoking twice is not an error (the
  // first revocation's time and last admitted entry stay). (seq, id): the
  // point's last admitted entry; nothing after it is admitted from anyone.
  virtual Status revoke_point(const std::string& name, int64_t now_ms, int64_t seq = 0, const Hash32& id = {}) = 0;
  // "active" <-> "quarantined" (a fork, an admin's decision); "not_found"
  // for an unknown name, "conflict" for a revoked point.
  virtual Status set_point_status(const std::string& name, const std::string& status) = 0;
  virtual void note_contact(const std::string& name, int64_t now_ms, int64_t skew_ms) = 0;
  virtual void note_success(const std::string& name, int64_t now_ms) = 0;
  // The cursor the point reports (hello, pull); sets sent_cursor to it too.
  // Only ever moves forward: a lower pos (a replayed old hello) changes nothing.
  virtual void set_pull_cursor(const std::string& name, int64_t pos) = 0;
  // Sets the cursor to `pos` even when lower: a new epoch of the point's
  // database (a restored backup) or of the hub's.
  virtual void reset_pull_cursor(const std::string& name, int64_t pos) = 0;
  // Records the epoch a point's hello reported. Returns "current" (the one
  // recorded), "new" (never seen: now the point's epoch) or "retired" (an
  // epoch the point reported before another one: nothing changes).
  virtual std::string note_point_epoch(const std::string& name, const std::string& epoch, int64_t now_ms) = 0;
  // The hub answered a pull up to `pos` with nothing more to come.
  virtual void set_sent_cursor(const std::string& name, int64_t pos) = 0;

  // One-time enrolment codes, stored only as a hash, with their public id
  // and the MAC key derived from them (sync_auth.hpp: code_id, enrol_key);
  // never the code itself.
  virtual Status add_enrolment_code(const Hash32& code_hash, const std::string& code_id, const Hash32& enrol_key,
                                    const std::string& point, int64_t expires_ms,
                                    const std::optional<PublicKey>& replaces = std::nullopt) = 0;
  // The codes whose public id is `code_id` (usually one).
  virtual std::vector<EnrolmentCodeRecord> enrolment_codes(const std::string& code_id) = 0;
  // In one step: checks the code (known, unused, not expired at now_ms, point
  // not revoked), marks it used by `key`, binds `key` to the point and makes
  // it active. Else "enrolment_refused" and nothing changes. The point's agency
  // code is the one the admin registered (add_point), never the point's claim.
  virtual Result<PointRecord> enrol(const Hash32& code_hash, const PublicKey& key, int64_t now_ms) = 0;
  // Succession (docs/sync-protocol.md 15.3), in one transaction: checks the
  // replacement code as enrol() does (known, unused, not expired) and that
  // the point's key is still the one it replaces; marks it used by `s.new_key`,
  // records `s`, retires every block leased to the point so far (never given
  // out again), and binds the new key: status active, not revoked, cursors 0.
  // Else "enrolment_refused" and nothing changes.
  virtual Result<PointRecord> succeed(const Hash32& code_hash, const Succession& s) = 0;
  // Every succession of `point` ("" = all points), oldest first.
  virtual std::vector<Succession> successions(const std::string& point) = 0;
  // The succession that retired `old_key`, if any.
  virtual std::optional<Succession> succession_of(const PublicKey& old_key) = 0;
  // Sync sessions (replay protection: docs/sync-protocol.md 3.4). A new
  // session's last request counter is 0.
  virtual void open_session(const std::string& id, const PublicKey& key, int64_t expires_ms) = 0;
  virtual bool session_valid(const std::string& id, const PublicKey& key, int64_t now_ms) = 0;
  // The last request counter stored for session `id` (0 when unknown).
  virtual int64_t session_counter(const std::string& id) = 0;
  // Raises the stored counter of session `id` to `counter` (never lowers it).
  virtual void set_session_counter(const std::string& id, int64_t counter) = 0;
  // The request counter check (docs/design/0111): stores `counter` and returns
  // true only when session `id` exists and `counter` is above its stored
  // counter; else false and nothing changes. One conditional UPDATE whose
  // row count is checked, so of several hub processes (or threads) offering
  // the same counter exactly one wins. Written without waiting for the disk
  // (a crash may forget the last counters; the session expires with them).
  virtual bool advance_session_counter(const std::string& id, int64_t counter) = 0;
  // Forgets sessions that expired before now_ms.
  virtual void prune(int64_t now_ms) = 0;

  // Leases of the daily dossier sequence, never returned or reused.
  // lease(): the block of `count` numbers of (agency, day) right after every
  // existing lease of that day, given to `point` (shorter when fewer are
  // left); "sequence_exhausted" when no number of that day is left.
  virtual Result<Lease> lease(const std::string& agency, const std::string& day, const std::string& point,
                              int count) = 0;
  // Leases of `point` for days >= from_day, by day; not those retired by a
  // succession (they stay counted by lease(), so never given out again).
  virtual std::vector<Lease> leases_of(const std::string& point, const std::string& from_day) = 0;

  virtual void add_receipt(const ReceiptRecord& r) = 0;
  virtual std::vector<ReceiptRecord> receipts(const std::string& point, size_t limit) = 0;

  // Sync log: put_session inserts or replaces the row with that id.
  virtual void put_session(const SyncLogRow& row) = 0;
  // Newest first; point "" = all; since_ms 0 = all.
  virtual std::vector<SyncLogRow> sessions(const std::string& point, int64_t since_ms, size_t limit) = 0;
  // The same, filtered (newest first). The default filters sessions()'s
  // rows in memory; the SQLite store asks the database.
  virtual std::vector<SyncLogRow> sessions_where(const SyncLogQuery& q);
  virtual std::optional<SyncLogRow> session(const std::string& id) = 0;
  virtual void add_alert(const Alert& a) = 0;
  // Adds one occurrence to the alert of the same kind, point and source first
  // raised at or after since_ms (count + 1, last_ms = a.at_ms), or adds `a`
  // when there is none. Returns the alert's count after the call.
  virtual int64_t fold_alert(const Alert& a, int64_t since_ms) = 0;
  // Newest first, at most 1000; point "" = all; since_ms: last occurrence at or after.
  virtual std::vector<Alert> alerts(const std::string& point, int64_t since_ms) = 0;

  // Stores fork evidence. A row of the same (author, seq, other_id) gets the
  // other entry's bytes when it lacked them. Returns true when the row is new.
  virtual bool add_fork_evidence(const ForkEvidence& f) = 0;
  // Newest first; author nullopt = all.
  virtual std::vector<ForkEvidence> fork_evidence(const std::optional<PublicKey>& author, size_t limit) = 0;

  virtual SyncCounters counters() = 0;
  // Adds `by` (> 0) to a counter that has no row of its own: "enrolments_throttled".
  virtual void add_to_counter(const std::string& name, int64_t by) = 0;
  // Deletes old bookkeeping (see RetentionPolicy) in one transaction; the
  // counters are not changed except "sessions" for the newly interrupted.
  virtual RetentionReport apply_retention(const RetentionPolicy& policy) = 0;
  // A number that changes, in the same transaction, with every change to
  // what the admission registry is made of (a point's name, key, area,
  // agency, acts, status or revocation; successions), whichever process made
  // it: a hub keeps its registry and reference data while it stands
  // (docs/design/0115). -1 when the store cannot tell (nothing is cached).
  virtual int64_t registry_generation() = 0;

  // ---- Enumeration and import (copy_hub_bookkeeping, `motcua hub copy-store`).
  // Every enrolment code, used or not.
  virtual std::vector<EnrolmentCodeRecord> all_enrolment_codes() = 0;
  // Every lease, retired ones too, by agency, day and first number.
  virtual std::vector<LeaseRecord> all_leases() = 0;
  // Every epoch each point reported (the current one and retired ones).
  virtual std::vector<PointEpoch> point_epochs() = 0;
  // Every alert, oldest first (alerts() stops at 1000, newest first).
  virtual std::vector<Alert> all_alerts() = 0;
  // Writes `b` as it is, in one transaction: every row with its values
  // (keys, statuses, cursors, used codes, retired leases, ...), the counters
  // set to b's (not added to). "conflict" when this store already holds a
  // point; nothing is written then.
  virtual Status import_bookkeeping(const HubBookkeeping& b) = 0;
};

// The SQLite HubStore on the node's own database (tables of the sync migration).
std::unique_ptr<HubStore> make_sqlite_hub_store(node::Node& node);

// The PostgreSQL HubStore (docs/postgres.md, docs/design/0100): `conninfo` is
// a libpq connection string ("host=/run/postgresql port=5432 dbname=motcua
// user=motcua"); the password comes from PGPASSFILE/~/.pgpass or PGPASSWORD,
// never from the string (one that carries a password is refused). Tables
// live in the schema "motcua", brought up to date on first use. Connects
// lazily: a database that cannot be reached makes each call fail with
// Error{"storage", ...} (or throw HubStoreFailure, see above), never crash.
std::unique_ptr<HubStore> make_postgres_hub_store(const std::string& conninfo);
// The same, but connects and migrates now: "invalid_value" (field
// "conninfo") for a string that does not parse or carries a password,
// "storage" when the database cannot be reached or is of a newer motcua.
Result<std::unique_ptr<HubStore>> open_postgres_hub_store(const std::string& conninfo);
// host, port, dbname and user of a connection string, for logs (never a password).
std::string describe_conninfo(const std::string& conninfo);
// Every row of `from` (HubBookkeeping); "storage" (or the store's error)
// when it cannot be read.
Result<HubBookkeeping> export_hub_bookkeeping(HubStore& from);
// The bookkeeping half of `motcua hub copy-store`: every row of `from` into
// `to` (import_bookkeeping: one transaction, "conflict" when `to` already
// holds points), then read back and counted. `from` is not changed; run it
// while no hub process uses `from`.
Status copy_hub_bookkeeping(HubStore& from, HubStore& to);

// "invalid_value" (field "conninfo") for a connection string that does not
// parse or carries a password (password=..., or a URI's user:password@).
Status check_conninfo(const std::string& conninfo);

// ---- The store a node uses, from its configuration (docs/postgres.md,
// "Selecting the hub's store"; docs/design/0111-hub-store-selection.md).

struct HubStoreChoice {
  std::string kind;   // "sqlite" or "postgres"
  std::string where;  // the SQLite file, or describe_conninfo(hub_postgres): never a password
};
// What open_hub_store(node) opens; reads the configuration only.
HubStoreChoice hub_store_choice(node::Node& node);

// The store of `node` as configured: on a hub whose hub_store is postgres,
// the PostgreSQL store of hub_postgres, one per (data directory, connection
// string) shared by every caller while any holds it (the daemon's Hub does),
// so a request never opens a connection; else (sqlite, the default, or any
// point) the SQLite store on the node's database. Never fails itself: a
// PostgreSQL store that cannot be used fails each call with
// Error{"storage", ...} (or throws HubStoreFailure).
// On a hub whose store is PostgreSQL it also installs the node's
// points_source (known_points then lists the store's points); on a hub on
// SQLite it clears it.
std::shared_ptr<HubStore> open_hub_store(node::Node& node);

// The store's active points [{name, place_name}] by name: what
// node::point_list completes into known_points() and the reference data's
// "points". Throws HubStoreFailure when the store cannot be read.
Json hub_active_points(HubStore& store);

// ---- Statements sent to PostgreSQL, for tests that check their plans
// (docs/design/0115, "PostgreSQL plans").

// One statement of the PostgreSQL store or of the shared log as sent: its
// SQL and its parameters (nullopt: NULL; binary: bytes, else text).
struct PgStatement {
  std::string sql;
  std::vector<std::optional<std::string>> params;
  std::vector<bool> binary;
};
// While set (not empty), every statement the store and the log send through
// their connection wrappers is handed to `recorder` (from the calling thread)
// before it is sent; the migration scripts themselves are not.
void set_pg_statement_recorder(std::function<void(const PgStatement&)> recorder);
// For those wrappers: whether a recorder is set, and handing it one.
bool pg_statement_recorder_on();
void record_pg_statement(const PgStatement& s);

// What keeps a hub's store from being switched by a setting, in words
// ("entries of 2 other signers and 3 registered points"), "" when nothing:
// journal entries signed by any key but the hub's own (its own genesis,
// registry, reference data and users do not count), and points registered
// in the store it uses now. "storage" when that store cannot be read.
Result<std::string> hub_store_holdings(node::Node& node);

// `motcua config set KEY VALUE`: node::Config::set, with the rules of the
// hub's store for hub_store and hub_postgres (each error names the key as
// its field): hub settings only ("invalid_value" elsewhere); hub_postgres a
// connection string without a password; hub_store postgres only with
// hub_postgres set and reachable ("storage", naming host, port, database
// and user); and a change of store (hub_store, or hub_postgres while it is
// postgres) only while hub_store_holdings() is "" — else "conflict", naming
// `motcua hub copy-store`. Nothing is stored when refused.
Status set_node_config(node::Node& node, const std::string& key, const std::string& value);

}  // namespace motcua::sync
