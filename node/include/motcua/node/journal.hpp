// The append-only, signed, hash-chained journal and its projection.
// The journal is the truth; the `projection` table is derived from it by a
// pure per-subject function and can be rebuilt at any time.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "motcua/node/entry.hpp"
#include "motcua/node/hlc.hpp"

namespace SQLite {
class Database;
}

namespace motcua::node {

// Current state of one subject from all its entries. MUST be a pure function of
// the set of entries (the vector comes sorted by entry_order_less, but the
// result must not depend on arrival order).
using SubjectProjector = std::function<Json(const std::string& subject, const std::vector<Entry>& entries)>;

// Version of the projection that state hashes are computed over. Bump it when
// a projector's output changes: nodes running different projectors then see
// unequal hashes (a divergence to look at) instead of comparing unlike things.
inline constexpr int kProjectorVersion = 1;

// Keys of a subject's state left out of its hash: derived from other fields by
// ICU (case and accent folding for search), so two nodes with different ICU
// versions may compute them differently from the same entries.
const std::vector<std::string>& unhashed_state_keys();

// A subject's state hash (docs/sync-protocol.md, "State hashes"):
// BLAKE2b-256("motcua/state/v" + kProjectorVersion + LF + canonical(state
// without unhashed_state_keys())). Stored in projection.state_hash and sent in
// pull pages ("states") so a point can detect a divergence.
Hash32 subject_state_hash(const Json& state);

// The default projector: a summary (entry count, event types, latest HLC).
Json summary_projector(const std::string& subject, const std::vector<Entry>& entries);

struct VerifyProblem {
  std::string author_hex;  // empty when the problem is not tied to an entry
  int64_t seq = 0;
  std::string subject;
  std::string what;
};

struct VerifyReport {
  int64_t entries_checked = 0;
  int64_t subjects_checked = 0;
  std::vector<VerifyProblem> problems;  // first is the first bad entry found
  bool ok() const { return problems.empty(); }
};

// Thrown by the journal's reads when a stored row cannot be parsed (a damaged
// or tampered file). Functions returning a Result turn it into the Error
// "journal_broken" (field "journal").
class JournalDamaged : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The Error "journal_broken" (503, field "journal") with `detail` as its cause.
Error journal_broken_error(const std::string& detail);

// Inside a catch handler: the Error for the exception being handled when it
// comes from the database layer (an SQLite exception: schema::storage_error;
// JournalDamaged: journal_broken). Any other exception is rethrown.
Error current_exception_error();

// Quarantine (docs/sync-protocol.md, "Quarantine"; docs/design/0071). An
// entry that may not be admitted is still stored (its author's chain goes
// through it) but kept out of the projection, the state hash, the hub's
// scope index, pulls, bundle exports and attachment scope, until a signed
// decision releases or rejects it.

// Why an entry is quarantined: a code (e.g. "not_in_scope") and human text.
struct Admission {
  std::string code;
  std::string reason;
};

// What the journal knows about the entry being admitted (inside the ingest
// transaction, under the journal lock).
struct AdmitContext {
  const Entry& entry;
  // The subject's entries admitted so far (stored, not quarantined), earlier
  // batch entries included, sorted by entry_order_less. Lazily loaded.
  std::function<const std::vector<Entry>&()> admitted;
  // The journal's projector over the entry's causal past: the admitted entries
  // it names as parents and their ancestors (not what else happened to arrive
  // first), so every node judges it alike; Json() when it names none.
  std::function<Json()> state;
  // The fields of that same state that decide a point's scope: {area,
  // origin_point, return_point} as state() has them (null where it has
  // none), Json() where state() is not an object. Cheaper than state():
  // inside an ingest it comes from the subject's projection fold
  // (docs/design/0117-projection-fold.md).
  std::function<Json()> scope;
};
// The sync layer's rules: nullopt admits the entry, an Admission quarantines it.
using Admitter = std::function<std::optional<Admission>(const AdmitContext&)>;

struct IngestOptions {
  bool sparse = false;     // a point: other authors' chains may have gaps (ingest_sparse)
  bool per_entry = false;  // a point: an entry failing a cryptographic/chain check is skipped and
                           // reported in IngestReport::skipped; the rest of the batch is stored
  int64_t max_hlc_ms = 0;  // > 0: an entry whose hlc.ms is above it is quarantined "hlc_future"
  Admitter admit;          // optional: the sync layer's rules (sync/src/admission.cpp)
  // The key whose quarantine.released / quarantine.rejected entries are
  // applied when ingested (a point: the hub's key). Zero: none is applied.
  PublicKey decider{};
  // The hub: an entry released automatically (its parents arrived) gets a
  // quarantine.released decision signed by this node in the same
  // transaction, so the hub's pull sends it to the points with it.
  bool sign_releases = false;
};

struct Skipped {
  std::string author_hex;
  int64_t seq = 0;
  std::string id_hex;
  Error error;
};

struct QuarantineRow {
  Hash32 id{};
  PublicKey author{};
  int64_t seq = 0;
  std::string subject, type;
  std::string code, reason;  // e.g. "not_in_scope", human text
  std::string state;         // "held" | "released" | "rejected"
  int64_t at_ms = 0, decided_ms = 0;
  std::string decided_by;  // hex id of the decision entry ("" when released automatically without one)
};

struct IngestReport {
  int64_t stored = 0;  // new entries stored (quarantined ones included)
  std::vector<QuarantineRow> quarantined;  // entries of this batch held
  std::vector<Skipped> skipped;            // per_entry: entries not stored
  std::vector<QuarantineRow> released;     // held entries released by this ingest (parents arrived, decisions)
};

// Decision entry types (signed by the hub; body {"entry","reason","by"}).
inline constexpr const char* kQuarantineReleased = "quarantine.released";
inline constexpr const char* kQuarantineRejected = "quarantine.rejected";
bool is_quarantine_type(const std::string& type);

// Fault injection for crash tests: called with a step name before each write
// of an append; it may throw (or end the process) to simulate a crash there.
using WriteHook = std::function<void(const char* step)>;

class SharedLog;  // shared_log.hpp
struct LogTail;
class ParseStream;  // node/src/parse_stream.hpp

// Received entries verified ahead: parse_entry (canonical form, id,
// signature) runs on worker threads from the moment this is made, so a point
// that has fetched the next pull page verifies it while the journal still
// stores the current one (docs/design/0116, section 4). ingest(batch, options)
// then stores it, taking each entry's result as soon as it is done: nothing is
// stored unverified. Neither copied nor moved (the workers read `shells`).
class VerifyAhead {
 public:
  explicit VerifyAhead(std::vector<Entry> shells);
  ~VerifyAhead();  // stops and joins the workers if the batch was not ingested
  VerifyAhead(const VerifyAhead&) = delete;
  VerifyAhead& operator=(const VerifyAhead&) = delete;
  const std::vector<Entry>& shells() const { return shells_; }
  // Blocks until every entry is verified (ingest needs no such wait: it
  // takes each entry as soon as it is done).
  void wait();

 private:
  friend class Journal;
  const std::vector<Entry> shells_;
  std::unique_ptr<ParseStream> stream_;
};

class Journal {
 public:
  // REQUIRES: `db` opened by schema::open_database. `self` signs own entries.
  Journal(std::shared_ptr<SQLite::Database> db, KeyPair self, Clock& clock, SubjectProjector projector);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  const PublicKey& self() const { return self_.pk; }

  // How an append reaches the disk. Durable: the commit waits for the disk
  // (fsync) before append returns. Deferred (group commit): the transaction
  // is committed to the WAL without waiting; the caller must call
  // make_durable() before it acknowledges the write to anyone, and should do
  // so after releasing mutex(), so that writers arriving meanwhile share one
  // fsync (docs/design/0004-group-commit.md).
  enum class Commit { Durable, Deferred };

  // Appends own entries in one transaction: all or none. Fills author, seq,
  // prev, hlc, wall_ms and parents (the subject's current heads). Returns the
  // sealed entries once committed (on disk unless `commit` is Deferred).
  Result<std::vector<Entry>> append_batch(const std::vector<EntryDraft>& drafts, Commit commit = Commit::Durable);
  Result<Entry> append(const EntryDraft& draft, Commit commit = Commit::Durable);
  // Returns once every transaction committed before the call is on disk. One
  // caller flushes the WAL while the others wait for it and reuse its flush.
  // If the flush fails (the write must not be acknowledged): storage_full or
  // storage_unwritable for ENOSPC, EIO and the like, else "disk_error".
  Status make_durable();
  // Flushes done by make_durable() since the journal was opened, and the
  // deferred commits they covered (for /metrics and the benchmarks).
  int64_t group_flushes() const;
  int64_t deferred_commits() const;

  // Stores foreign entries (any author) after checking each: signature, id,
  // seq continuity and prev link against the stored chain (or earlier entries
  // of the same batch), parents known. All or none. Entries already held
  // (same id) are skipped; same author+seq with other content is refused as
  // "equivocation". Returns the number of new entries stored.
  Result<int64_t> ingest(const std::vector<Entry>& entries);
  // For a point, which holds only the dossiers in its scope: as ingest(), but
  // another author's chain may have gaps. Each gap is recorded (table
  // journal_gaps) and verify() accepts exactly the recorded ones; an entry
  // that fills a gap must link to the held entries around it. The node's own
  // chain must stay contiguous. Entries are parsed and their signatures
  // checked in parallel before the lock is taken (journal_sparse.cpp).
  Result<int64_t> ingest_sparse(const std::vector<Entry>& entries);
  // ingest() with the same checks and result, for large sync batches: the
  // parsing and signature checks run on several threads before the lock is
  // taken, so the lock is held only to store. `sparse` as ingest_sparse().
  Result<int64_t> ingest_batch(const std::vector<Entry>& entries, bool sparse);
  // The sync paths' ingest. Checks each entry (signature, id, chain as
  // above); an entry failing them refuses the whole batch, or with
  // options.per_entry is skipped and reported. Then the admission checks, in
  // order: unknown_parent (a causal parent not held: stored and held, and
  // released automatically once its parents are held and admitted),
  // parent_quarantined (a parent is held or rejected), hlc_not_monotonic (hlc
  // not above the author's previous stored entry or a parent), hlc_future
  // (options.max_hlc_ms), then options.admit. A quarantined entry is stored,
  // gets a row in table quarantine and is left out of the projection.
  // An admitted decision entry by options.decider is applied (decide()).
  // Parsing and signature checks run on several threads before the lock.
  Result<IngestReport> ingest(const std::vector<Entry>& entries, const IngestOptions& options);
  // The same for a batch whose verification started earlier (VerifyAhead).
  Result<IngestReport> ingest(VerifyAhead& batch, const IngestOptions& options);

  enum class Decision { Release, Reject };
  // The hub's decision on a held entry: appends this node's signed
  // quarantine.released / quarantine.rejected entry (subject = the held
  // entry's subject, body {"entry","reason","by"}) and applies it in one
  // transaction. A release re-projects the subject and releases the entries
  // held only for unknown_parent / parent_quarantined that now have all
  // their parents admitted (re-checked with `admit`; each gets its own
  // signed decision). Errors: not_found (no such entry), not_quarantined
  // (not held), validation_failed (empty reason).
  Result<Entry> decide(const Hash32& id, Decision decision, const std::string& reason, const std::string& by,
                       const Admitter& admit = {});
  // Applies a decision entry already signed by the hub (as a point does when
  // it ingests one): stores `signed_decision` (a foreign entry, sparse
  // chain) and, the entry it names being held here, releases or rejects it.
  // validation_failed when its type or body does not match (id, decision).
  Result<IngestReport> decide(const Hash32& id, Decision decision, const Entry& signed_decision);
  // Quarantine rows, newest first; `state` "" for all, else held|released|rejected.
  std::vector<QuarantineRow> quarantine(const std::string& state = "");
  std::optional<QuarantineRow> quarantine_row(const Hash32& id);
  // Whether the entry is held or rejected (stored but not admitted).
  bool quarantined(const Hash32& id);

  // Reads.
  std::optional<Entry> get(const Hash32& id);
  std::optional<Entry> get(const PublicKey& author, int64_t seq);
  std::vector<Entry> subject_entries(const std::string& subject);
  std::map<PublicKey, int64_t> heads();
  int64_t count();
  // Entries with local position > after_pos, ascending, at most `limit`;
  // pos of each returned alongside.
  std::vector<std::pair<int64_t, Entry>> entries_after_pos(int64_t after_pos, size_t limit);
  std::vector<Entry> author_entries(const PublicKey& author, int64_t after_seq, size_t limit);
  std::optional<Json> subject_state(const std::string& subject);
  std::vector<std::string> subjects();
  // BLAKE2b-256 over "motcua/states/v" + kProjectorVersion + LF, then every
  // (subject NUL, subject state hash) pair in subject order. Quarantined
  // entries, which are not projected, are not in it.
  Hash32 state_hash();

  // Checks everything (see VerifyReport); stops listing after `max_problems`.
  // Every derived table too: the projection, the chain heads, dossier_index,
  // and the sync indexes hub_subject_scope and blob_refs up to the journal
  // position they record.
  VerifyReport verify(size_t max_problems = 20);
  // Recomputes every subject's projection (and dossier_index) from the journal.
  Status rebuild_projection();

  // The quick check a daemon runs at start (not a full verify): every
  // author's chain head against its last stored entry, and the last
  // `per_author` entries of each chain (signature, id, stored columns, seq
  // continuity allowing recorded gaps, hash links), and that the entry stored
  // last belongs to a recorded chain. Error "journal_broken" (field
  // "journal") naming the first bad entry; a storage fault as its Error.
  Status check_tail(size_t per_author = 4);
  // Read-only from now on: append, ingest and rebuild answer `why` (code
  // journal_broken). The journal also sets it itself when the first append
  // after opening finds its own chain's tail broken: it never signs onto a
  // broken chain.
  void set_broken(Error why);
  std::optional<Error> broken();

  void set_write_hook(WriteHook hook) { hook_ = std::move(hook); }
  HybridClock& hlc() { return hlc_; }
  // The lock that serialises all use of the shared connection.
  std::recursive_mutex& mutex() { return mu_; }

  // Several hub processes on one database (node/shared_log.hpp, docs/design/
  // 0112-shared-hub-log.md): from now on this journal is a replica of `log`.
  // Every write (append, ingest, decide) takes the log's write lock, first
  // applies what other processes appended, and publishes its own rows and
  // quarantine changes before its local commit; a write the log refuses is
  // not kept here either. This journal and the log must hold the same
  // entries as far as both go (else error "diverged", field "journal"); what
  // this journal holds beyond the log's end (an empty log, or a copy that
  // stopped part way) is sent to it first, after verify() passes. Errors of
  // the log: code "storage".
  Status set_shared_log(std::shared_ptr<SharedLog> log);
  bool shared() const { return shared_ != nullptr; }
  // While no shared log is attached, every write answers error "storage"
  // with `why` (a hub configured for a shared log whose database is down
  // must not write a journal of its own meanwhile). Empty: writes allowed.
  void require_shared(std::string why);
  // Applies the rows other processes committed since this journal's last
  // position (a no-op without a shared log). Readers that must be current
  // (a pull, a hello) call it first.
  Status catch_up_shared();
  // Positions of this journal ("last") and of the shared log.
  int64_t last_pos();

 private:
  // In a catch handler of a write (append, ingest): the Error for the fault
  // being handled; a damaged chain also makes the journal read-only.
  Error write_failed();
  Entry load_row(void* stmt);
  // check_tail() for one author whose head row says (head_seq, head_id).
  Status check_chain(const PublicKey& author, int64_t head_seq, const Hash32& head_id, size_t per_author,
                     const std::map<std::pair<PublicKey, int64_t>, int64_t>& gaps);
  // Before the first append: the tail of this node's own chain.
  Status check_own_tail();
  // check_own_tail() once per opened journal, before the first own entry is
  // signed; a broken tail makes the journal read-only. REQUIRES mu_ held.
  Status ensure_own_tail();
  // The subject's heads; `top` (if given) is raised to their largest HLC.
  std::vector<Hash32> subject_heads(const std::string& subject, Hlc* top = nullptr);
  // `admitted`: false for a quarantined entry (kept out of the subject memo).
  // update_head false: the caller writes the author's chain head itself,
  // once per batch (ingest), instead of one row update per entry.
  void store(const Entry& e, int64_t now_ms, bool admitted = true, bool update_head = true);
  void write_head(const PublicKey& author, int64_t seq, const Hash32& id);
  struct IngestRun;
  // `ahead`: the batch's verification, already under way (else started here).
  Result<IngestReport> ingest_impl(const std::vector<Entry>& entries, const IngestOptions& options, bool legacy,
                                   ParseStream* ahead = nullptr);
  // Inside a write transaction: appends own entries (append_batch's body).
  Result<std::vector<Entry>> append_in_tx(const std::vector<EntryDraft>& drafts, std::vector<std::string>* touched);
  void project(const std::vector<std::string>& subjects);
  void step(const char* name) {
    if (hook_) hook_(name);
  }

  // Prepared statements of the hot paths, and the entries of the subjects an
  // append is working on, so each is read and parsed once per transaction.
  struct Cache;
  class SubjectMemo;
  struct GroupSync;
  // The same memo for ingest_batch (journal_sparse.cpp): memo_load before
  // the first store() of a subject in the transaction.
  // memo_begin() for the lifetime of a scope, memo_end() when it ends.
  struct MemoScope {
    Journal& j;
    explicit MemoScope(Journal& jj) : j(jj) { j.memo_begin(); }
    ~MemoScope() { j.memo_end(); }
  };
  void memo_begin();
  void memo_end();
  void memo_load(const std::string& subject);
  // The memo's admitted entries of `subject`, sorted (loaded if needed).
  const std::vector<Entry>& memo_entries(const std::string& subject);
  // Drops a subject from the memo (its admitted set changed in the database).
  void memo_forget(const std::string& subject);

  std::shared_ptr<SQLite::Database> db_;
  std::unique_ptr<Cache> cache_;
  std::unique_ptr<GroupSync> group_;
  KeyPair self_;
  Clock& clock_;
  HybridClock hlc_;
  SubjectProjector projector_;
  // AdmitContext::scope of `entries` (journal.cpp).
  Json project_scope(const std::string& subject, const std::vector<Entry>& entries);
  WriteHook hook_;
  std::recursive_mutex mu_;
  std::optional<Error> broken_;  // under mu_
  bool own_tail_checked_ = false;  // under mu_
  // The shared log (journal_shared.cpp); writes go through write_tx.
  std::shared_ptr<SharedLog> shared_;
  int shared_depth_ = 0;  // nested write_tx calls inside the outermost one
  std::string shared_required_;  // require_shared()
  // schema::in_transaction, and with a shared log: take its lock, apply its
  // tail, run `body`, publish the rows and quarantine changes it made,
  // commit. REQUIRES mu_ held.
  Status write_tx(const std::function<Status()>& body);
  // Applies rows and quarantine rows of the log inside the open transaction.
  Status apply_shared(const LogTail& tail);
  // Publishes this journal's rows after `after_pos` to an empty or shorter
  // log (set_shared_log), in batches, each verified first.
  Status publish_local(int64_t after_pos);
};

}  // namespace motcua::node
