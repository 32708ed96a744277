#include "motcua/node/journal.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <set>
#include <unordered_map>

#include "dossier_fold.hpp"
#include "state_forms.hpp"
#include "motcua/durable_file.hpp"
#include "motcua/node/dossiers.hpp"

#include "motcua/schema/database.hpp"
#include "motcua/schema/columns.hpp"
#include "motcua/schema/storage.hpp"

namespace motcua::node {

namespace {
using schema::blob_array;
using schema::bind_array;
using schema::blob_string;
const char* kSelect = "SELECT canonical, sig, pos FROM journal ";
// An entry of table journal that is not held or rejected in quarantine.
const char* kAdmitted =
    "NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.id = journal.id AND q.state <> 'released')";

}  // namespace

Error current_exception_error() {
  try {
    throw;
  } catch (const SQLite::Exception& e) {
    return schema::storage_error(e);
  } catch (const JournalDamaged& e) {
    return journal_broken_error(e.what());
  }
}

Error journal_broken_error(const std::string& detail) {
  return make_error("journal_broken",
                    "Sổ nhật ký của nút bị hỏng: nút chỉ phục vụ đọc, không ghi thêm cho đến khi quản trị viên sửa "
                    "(motcua verify). / The journal is damaged: this node serves reads only and records nothing "
                    "until an administrator repairs it (motcua verify). Cause: " + detail,
                    "journal");
}

Json summary_projector(const std::string& subject, const std::vector<Entry>& entries) {
  Json types = Json::object();
  Hlc latest;
  for (const auto& e : entries) {
    types[e.type] = types.value(e.type, 0) + 1;
    latest = std::max(latest, e.hlc);
  }
  return Json{{"subject", subject}, {"entries", entries.size()}, {"types", types},
              {"latest_hlc", Json::array({latest.ms, latest.c})}};
}

// Statements prepared once per Journal (preparing them per call cost as much
// as the inserts), and the per-transaction subject memo. Every cached
// statement is reset after use (Use), so none holds a read snapshot open.
struct Journal::Cache {
  explicit Cache(SQLite::Database& db)
      : insert(db,
               "INSERT INTO journal (id, author, seq, prev, hlc_ms, hlc_c, type, subject, canonical, sig, "
               "received_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?)"),
        upsert_head(db,
                    "INSERT INTO authors (author, head_seq, head_id) VALUES (?,?,?) ON CONFLICT(author) DO UPDATE "
                    "SET head_seq = excluded.head_seq, head_id = excluded.head_id"),
        // In place (schema migration 21's trigger keeps the list row in step).
        upsert_projection(db,
                          "INSERT INTO projection (subject, state, state_hash) VALUES (?,?,?) ON CONFLICT (subject) "
                          "DO UPDATE SET state = excluded.state, state_hash = excluded.state_hash"),
        select_subject(db, std::string(kSelect) + "WHERE subject = ? AND " + kAdmitted +
                               " ORDER BY hlc_ms, hlc_c, author, seq"),
        select_head(db, "SELECT head_seq, head_id FROM authors WHERE author = ?") {}

  // Resets a statement before and after use.
  struct Use {
    explicit Use(SQLite::Statement& st) : q(st) {
      q.reset();
      q.clearBindings();
    }
    ~Use() {
      try {
        q.reset();
      } catch (...) {
      }
    }
    SQLite::Statement& q;
  };

  SQLite::Statement insert, upsert_head, upsert_projection, select_subject, select_head;
  // While `memo_on` (inside append_batch), the full entry list of
  // each subject read by subject_heads, kept in step with store().
  bool memo_on = false;
  std::unordered_map<std::string, std::vector<Entry>> memo;
  // Beside the memo, for the dossier projector only: each dossier's state as a
  // fold of the entries seen (dossier_fold.hpp, design 0117).
  SubjectFolds folds;
  void clear_memo() {
    memo.clear();
    folds.clear();
  }
  bool foldable = false;  // the journal's projector is dossier_projector
};

Json Journal::project_scope(const std::string& subject, const std::vector<Entry>& entries) {
  if (cache_->foldable && cache_->memo_on)
    if (DossierFold* fold = cache_->folds.fold_for(subject, entries)) return fold->scope();
  return scope_fields(projector_(subject, entries));
}

// Turns the subject memo on for one write transaction and always clears it,
// so a rolled-back transaction leaves nothing behind.
class Journal::SubjectMemo {
 public:
  explicit SubjectMemo(Cache& c) : c_(c) {
    c_.clear_memo();
    c_.memo_on = true;
  }
  ~SubjectMemo() {
    c_.memo_on = false;
    c_.clear_memo();
  }

 private:
  Cache& c_;
};

// Group commit (make_durable): tickets count deferred commits; one thread at
// a time flushes the WAL file, covering every commit made before it started.
struct Journal::GroupSync {
  std::mutex m;
  std::condition_variable cv;
  uint64_t committed = 0;  // deferred commits so far
  uint64_t synced = 0;     // of those, known to be on disk
  bool flushing = false;
  bool dir_synced = false;
  int64_t flushes = 0;
  std::string wal, dir;
};

namespace {

// fdatasync of the file at `path` through a descriptor of our own: Linux
// flushes the file's data whichever descriptor asks. A WAL that does not
// exist was checkpointed into the database file and removed: nothing to do.
Status flush_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return ok_status();
    return schema::storage_error_errno(errno, "cannot open " + path + " to flush it", "disk_error");
  }
  int rc = ::fdatasync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return schema::storage_error_errno(err, "cannot flush the journal to disk", "disk_error");
  return ok_status();
}

}  // namespace

Journal::Journal(std::shared_ptr<SQLite::Database> db, KeyPair self, Clock& clock, SubjectProjector projector)
    : db_(std::move(db)), self_(self), clock_(clock), hlc_(clock), projector_(std::move(projector)) {
  cache_ = std::make_unique<Cache>(*db_);
  // The dossier projector, inside a write transaction, answers from the
  // subject's fold (design 0117); any other projector is called as it is.
  using Fn = Json (*)(const std::string&, const std::vector<Entry>&);
  if (const Fn* fn = projector_.target<Fn>(); fn && *fn == &dossier_projector) {
    cache_->foldable = true;
    projector_ = [this](const std::string& subject, const std::vector<Entry>& entries) {
      return cache_->memo_on ? cache_->folds.project(subject, entries) : dossier_projector(subject, entries);
    };
  }
  group_ = std::make_unique<GroupSync>();
  if (const char* f = sqlite3_db_filename(db_->getHandle(), "main"); f && *f) {
    group_->wal = std::string(f) + "-wal";
    group_->dir = std::filesystem::path(f).parent_path().string();
  }
  // The clock's floor: the node's own chain (its next entry must follow its
  // last one, whatever the clock says now) and the admitted foreign entries
  // within the bound: neither a held nor an admitted far-future stamp is
  // adopted after a restart.
  SQLite::Statement own(*db_,
                        "SELECT hlc_ms, hlc_c FROM journal WHERE id = (SELECT head_id FROM authors WHERE author = ?)");
  bind_array(own, 1, self_.pk);
  if (own.executeStep()) hlc_.restore(Hlc{own.getColumn(0).getInt64(), own.getColumn(1).getInt64()});
  SQLite::Statement q(*db_, std::string("SELECT hlc_ms, hlc_c FROM journal WHERE hlc_ms <= ? AND ") + kAdmitted +
                                " ORDER BY hlc_ms DESC, hlc_c DESC LIMIT 1");
  q.bind(1, static_cast<int64_t>(clock_.now_ms() + hlc_.max_offset_ms()));
  if (q.executeStep()) hlc_.restore(Hlc{q.getColumn(0).getInt64(), q.getColumn(1).getInt64()});
}

Journal::~Journal() = default;

namespace {
// A memo list in entry order. Entries are appended mostly in that order
// already (a new entry follows its subject's heads), and checking is one
// pass, where a stable sort of a sorted list still allocates and merges.
void sort_entries(std::vector<Entry>& v) {
  if (!std::is_sorted(v.begin(), v.end(), entry_order_less)) std::stable_sort(v.begin(), v.end(), entry_order_less);
}
}  // namespace

// The subject memo for ingest_batch (journal_sparse.cpp), which cannot see Cache.
void Journal::memo_begin() {
  cache_->clear_memo();
  cache_->memo_on = true;
}
void Journal::memo_end() {
  cache_->memo_on = false;
  cache_->clear_memo();
}
void Journal::memo_forget(const std::string& subject) {
  cache_->memo.erase(subject);
  cache_->folds.forget(subject);
}
const std::vector<Entry>& Journal::memo_entries(const std::string& subject) {
  auto it = cache_->memo.find(subject);
  if (it == cache_->memo.end()) it = cache_->memo.emplace(subject, subject_entries(subject)).first;
  sort_entries(it->second);
  return it->second;
}
void Journal::memo_load(const std::string& subject) {
  if (cache_->memo_on && !cache_->memo.count(subject)) cache_->memo.emplace(subject, subject_entries(subject));
}

Entry Journal::load_row(void* stmt) {
  auto& q = *static_cast<SQLite::Statement*>(stmt);
  Signature sig = blob_array<64>(q.getColumn(1));
  auto e = parse_entry_unverified(blob_string(q.getColumn(0)), sig);
  if (!e.ok()) throw JournalDamaged("journal row is damaged: " + e.error().message + " (run motcua verify)");
  return std::move(e.value());
}

std::vector<Entry> Journal::subject_entries(const std::string& subject) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  Cache::Use use(cache_->select_subject);
  use.q.bind(1, subject);
  std::vector<Entry> out;
  while (use.q.executeStep()) out.push_back(load_row(&use.q));
  return out;
}

std::vector<Hash32> Journal::subject_heads(const std::string& subject, Hlc* top) {
  std::vector<Entry> loaded;
  const std::vector<Entry>* list = &loaded;
  if (cache_->memo_on) {
    auto it = cache_->memo.find(subject);
    if (it == cache_->memo.end()) it = cache_->memo.emplace(subject, subject_entries(subject)).first;
    list = &it->second;
  } else {
    loaded = subject_entries(subject);
  }
  const std::vector<Entry>& entries = *list;
  std::set<Hash32> referenced;
  for (const auto& e : entries) referenced.insert(e.parents.begin(), e.parents.end());
  std::vector<Hash32> heads;
  for (const auto& e : entries)
    if (!referenced.count(e.id)) {
      heads.push_back(e.id);
      if (top && e.hlc > *top) *top = e.hlc;
    }
  std::sort(heads.begin(), heads.end());
  return heads;
}

bool is_quarantine_type(const std::string& type) { return type.rfind("quarantine.", 0) == 0; }

void Journal::write_head(const PublicKey& author, int64_t seq, const Hash32& id) {
  Cache::Use use_head(cache_->upsert_head);
  SQLite::Statement& head = use_head.q;
  bind_array(head, 1, author);
  head.bind(2, static_cast<int64_t>(seq));
  bind_array(head, 3, id);
  head.exec();
}

void Journal::store(const Entry& e, int64_t now_ms, bool admitted, bool update_head) {
  Cache::Use use_ins(cache_->insert);
  SQLite::Statement& ins = use_ins.q;
  bind_array(ins, 1, e.id);
  bind_array(ins, 2, e.author);
  ins.bind(3, static_cast<int64_t>(e.seq));
  bind_array(ins, 4, e.prev);
  ins.bind(5, static_cast<int64_t>(e.hlc.ms));
  ins.bind(6, static_cast<int64_t>(e.hlc.c));
  ins.bind(7, e.type);
  ins.bind(8, e.subject);
  ins.bind(9, e.canonical.data(), static_cast<int>(e.canonical.size()));
  bind_array(ins, 10, e.sig);
  ins.bind(11, static_cast<int64_t>(now_ms));
  ins.exec();
  if (update_head) write_head(e.author, e.seq, e.id);
  if (cache_->memo_on && admitted) {
    auto it = cache_->memo.find(e.subject);
    if (it != cache_->memo.end()) it->second.push_back(e);
  }
}

void Journal::project(const std::vector<std::string>& subjects) {
  for (const auto& s : subjects) {
    step("projection");
    std::vector<Entry> loaded;
    auto memo = cache_->memo_on ? cache_->memo.find(s) : cache_->memo.end();
    if (memo != cache_->memo.end()) sort_entries(memo->second);
    else loaded = subject_entries(s);
    const std::vector<Entry>& entries = memo != cache_->memo.end() ? memo->second : loaded;
    // A subject with no admitted entry but decisions (quarantine.*) has no state.
    if (std::all_of(entries.begin(), entries.end(), [](const Entry& e) { return is_quarantine_type(e.type); })) {
      SQLite::Statement del(*db_, "DELETE FROM projection WHERE subject = ?");
      del.bind(1, s);
      del.exec();
      continue;
    }
    auto [bytes, h] = stored_state_and_hash(projector_(s, entries));
    Cache::Use use(cache_->upsert_projection);
    SQLite::Statement& up = use.q;
    up.bind(1, s);
    up.bind(2, bytes);
    bind_array(up, 3, h);
    up.exec();
  }
}

Status Journal::ensure_own_tail() {
  if (own_tail_checked_) return ok_status();
  Status own = check_own_tail();
  if (!own.ok()) {
    if (own.error().code == "journal_broken") broken_ = own.error();
    return own;
  }
  own_tail_checked_ = true;
  return ok_status();
}

Result<std::vector<Entry>> Journal::append_batch(const std::vector<EntryDraft>& drafts, Commit commit) try {
  std::lock_guard<std::recursive_mutex> g(mu_);
  if (broken_) return *broken_;
  // Never sign onto a chain whose tail is not what this node signed.
  if (Status own = ensure_own_tail(); !own.ok()) return own.error();
  std::vector<Entry> out;
  out.reserve(drafts.size());
  SubjectMemo memo(*cache_);
  // Deferred: this one transaction commits with synchronous=NORMAL (written
  // to the WAL, not flushed); the connection's own setting is back right
  // after. A connection already at OFF (bulk loads in tests and benchmarks)
  // asked for no durability at all, so there is nothing to defer.
  struct SyncMode {
    SQLite::Database* db = nullptr;
    int prev = 2;
    explicit SyncMode(SQLite::Database* d) : db(d) {
      if (!db) return;
      prev = db->execAndGet("PRAGMA synchronous").getInt();
      if (prev > 1) db->exec("PRAGMA synchronous=NORMAL");
    }
    ~SyncMode() {
      try {
        if (db && prev > 1) db->exec("PRAGMA synchronous=" + std::to_string(prev));
      } catch (...) {
      }
    }
  } mode(commit == Commit::Deferred ? db_.get() : nullptr);
  Status s = write_tx([&]() -> Status {
    std::vector<std::string> touched;
    auto appended = append_in_tx(drafts, &touched);
    if (!appended.ok()) return appended.error();
    out = std::move(appended.value());
    project(touched);
    step("commit");
    return ok_status();
  });
  if (!s.ok()) return s.error();
  if (commit == Commit::Deferred && mode.prev >= 1) {
    std::lock_guard<std::mutex> l(group_->m);
    group_->committed++;
  }
  return out;
} catch (...) {
  return write_failed();
}

Result<std::vector<Entry>> Journal::append_in_tx(const std::vector<EntryDraft>& drafts, std::vector<std::string>* touched) {
  int64_t seq = 0;
  Hash32 prev{};
  {
    Cache::Use use(cache_->select_head);
    bind_array(use.q, 1, self_.pk);
    if (use.q.executeStep()) {
      seq = use.q.getColumn(0).getInt64();
      prev = blob_array<32>(use.q.getColumn(1));
    }
  }
  std::vector<Entry> out;
  // Per subject: its heads (the new entry's parents) and their largest HLC.
  std::unordered_map<std::string, std::pair<std::vector<Hash32>, Hlc>> heads;
  const int64_t now = clock_.now_ms();
  for (size_t i = 0; i < drafts.size(); ++i) {
    const EntryDraft& d = drafts[i];
    Entry e;
    e.author = self_.pk;
    e.seq = ++seq;
    e.prev = prev;
    e.wall_ms = now;
    e.user = d.user;
    e.type = d.type;
    e.subject = d.subject;
    e.body = d.body;
    auto it = heads.find(d.subject);
    if (it == heads.end()) {
      Hlc top;
      auto ids = subject_heads(d.subject, &top);
      it = heads.emplace(d.subject, std::make_pair(std::move(ids), top)).first;
      if (touched && std::find(touched->begin(), touched->end(), d.subject) == touched->end())
        touched->push_back(d.subject);
    }
    e.parents = it->second.first;
    // Above every parent even when a parent's stamp is beyond what the clock
    // adopts (a point whose clock ran ahead), and above this node's previous
    // entry (the clock is monotonic and restored from the chain).
    e.hlc = hlc_.now_above(it->second.second);
    Status sealed = seal_entry(e, self_.sk);
    if (!sealed.ok()) {
      Error err = sealed.error();
      if (drafts.size() > 1) err.message = "entry " + std::to_string(i) + ": " + err.message;
      return err;
    }
    step("insert");
    store(e, now);
    it->second = {{e.id}, e.hlc};
    prev = e.id;
    out.push_back(std::move(e));
  }
  return out;
}

Result<Entry> Journal::append(const EntryDraft& draft, Commit commit) {
  auto r = append_batch({draft}, commit);
  if (!r.ok()) return r.error();
  return std::move(r.value().front());
}

Status Journal::make_durable() {
  GroupSync& gs = *group_;
  std::unique_lock<std::mutex> l(gs.m);
  const uint64_t ticket = gs.committed;
  while (gs.synced < ticket) {
    if (gs.flushing) {
      gs.cv.wait(l);
      continue;
    }
    // Leader: flush everything committed up to now, then wake the others.
    gs.flushing = true;
    l.unlock();
    Status st = ok_status();
    try {
      step("flush");  // tests: hold the leader here while others commit
    } catch (...) {
      l.lock();
      gs.flushing = false;
      gs.cv.notify_all();
      throw;
    }
    l.lock();
    const uint64_t target = gs.committed;
    const bool first = !gs.dir_synced;
    l.unlock();
    st = gs.wal.empty() ? ok_status() : flush_file(gs.wal);
    if (st.ok() && first && !gs.dir.empty()) st = fsync_directory(gs.dir);  // the WAL's directory entry
    l.lock();
    gs.flushing = false;
    if (st.ok()) {
      gs.synced = std::max(gs.synced, target);
      gs.dir_synced = true;
      gs.flushes++;
    }
    gs.cv.notify_all();
    if (!st.ok()) return st;
  }
  return ok_status();
}

int64_t Journal::group_flushes() const {
  std::lock_guard<std::mutex> l(group_->m);
  return group_->flushes;
}

int64_t Journal::deferred_commits() const {
  std::lock_guard<std::mutex> l(group_->m);
  return static_cast<int64_t>(group_->committed);
}

Result<int64_t> Journal::ingest(const std::vector<Entry>& entries) {
  auto r = ingest_impl(entries, IngestOptions{}, true);
  if (!r.ok()) return r.error();
  return r->stored;
}

std::optional<Entry> Journal::get(const Hash32& id) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  SQLite::Statement q(*db_, std::string(kSelect) + "WHERE id = ?");
  bind_array(q, 1, id);
  if (!q.executeStep()) return std::nullopt;
  return load_row(&q);
}

std::optional<Entry> Journal::get(const PublicKey& author, int64_t seq) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  SQLite::Statement q(*db_, std::string(kSelect) + "WHERE author = ? AND seq = ?");
  bind_array(q, 1, author);
  q.bind(2, static_cast<int64_t>(seq));
  if (!q.executeStep()) return std::nullopt;
  return load_row(&q);
}

std::map<PublicKey, int64_t> Journal::heads() {
  std::lock_guard<std::recursive_mutex> g(mu_);
  std::map<PublicKey, int64_t> out;
  SQLite::Statement q(*db_, "SELECT author, head_seq FROM authors");
  while (q.executeStep()) out[blob_array<32>(q.getColumn(0))] = q.getColumn(1).getInt64();
  return out;
}

int64_t Journal::count() {
  std::lock_guard<std::recursive_mutex> g(mu_);
  // pos is the rowid, given as the highest + 1 and never deleted (the journal
  // is append-only; verify checks that positions run 1..n), so the last one
  // is the count: one b-tree descent, where count(*) reads every page (a
  // /metrics scrape on a province's hub).
  return db_->execAndGet("SELECT ifnull(max(pos), 0) FROM journal").getInt64();
}

std::vector<std::pair<int64_t, Entry>> Journal::entries_after_pos(int64_t after_pos, size_t limit) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  SQLite::Statement q(*db_, std::string(kSelect) + "WHERE pos > ? ORDER BY pos LIMIT ?");
  q.bind(1, static_cast<int64_t>(after_pos));
  q.bind(2, static_cast<int64_t>(limit));
  std::vector<std::pair<int64_t, Entry>> out;
  while (q.executeStep()) {
    int64_t pos = q.getColumn(2).getInt64();
    out.emplace_back(pos, load_row(&q));
  }
  return out;
}

std::vector<Entry> Journal::author_entries(const PublicKey& author, int64_t after_seq, size_t limit) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  SQLite::Statement q(*db_, std::string(kSelect) + "WHERE author = ? AND seq > ? ORDER BY seq LIMIT ?");
  bind_array(q, 1, author);
  q.bind(2, static_cast<int64_t>(after_seq));
  q.bind(3, static_cast<int64_t>(limit));
  std::vector<Entry> out;
  while (q.executeStep()) out.push_back(load_row(&q));
  return out;
}

std::optional<Json> Journal::subject_state(const std::string& subject) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  SQLite::Statement q(*db_, "SELECT state FROM projection WHERE subject = ?");
  q.bind(1, subject);
  if (!q.executeStep()) return std::nullopt;
  return Json::parse(q.getColumn(0).getString());
}

std::vector<std::string> Journal::subjects() {
  std::lock_guard<std::recursive_mutex> g(mu_);
  std::vector<std::string> out;
  SQLite::Statement q(*db_, "SELECT subject FROM projection ORDER BY subject");
  while (q.executeStep()) out.push_back(q.getColumn(0).getString());
  return out;
}

Hash32 Journal::state_hash() {
  std::lock_guard<std::recursive_mutex> g(mu_);
  Blake2bStream h;
  const std::string version = "motcua/states/v" + std::to_string(kProjectorVersion) + "\n";
  h.update(reinterpret_cast<const uint8_t*>(version.data()), version.size());
  SQLite::Statement q(*db_, "SELECT subject, state_hash FROM projection ORDER BY subject");
  while (q.executeStep()) {
    std::string s = q.getColumn(0).getString();
    h.update(reinterpret_cast<const uint8_t*>(s.data()), s.size() + 1);  // includes the NUL separator
    Hash32 sh = blob_array<32>(q.getColumn(1));
    h.update(sh.data(), sh.size());
  }
  return h.final();
}

Status Journal::rebuild_projection() try {
  std::lock_guard<std::recursive_mutex> g(mu_);
  if (broken_) return *broken_;
  return schema::in_transaction(*db_, [&]() -> Status {
    db_->exec("DELETE FROM projection");
    db_->exec("DELETE FROM dossier_index");  // rows the projection's triggers would not remove
    std::vector<std::string> subjects;
    SQLite::Statement q(*db_, "SELECT DISTINCT subject FROM journal ORDER BY subject");
    while (q.executeStep()) subjects.push_back(q.getColumn(0).getString());
    project(subjects);
    return ok_status();
  });
} catch (const SQLite::Exception& e) {
  return schema::storage_error(e);
} catch (const JournalDamaged& e) {
  return journal_broken_error(e.what());
}

Error Journal::write_failed() {
  Error err = current_exception_error();  // rethrows what is not a storage or chain fault
  if (err.code == "journal_broken") set_broken(err);
  return err;
}

void Journal::set_broken(Error why) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  broken_ = std::move(why);
}

std::optional<Error> Journal::broken() {
  std::lock_guard<std::recursive_mutex> g(mu_);
  return broken_;
}

}  // namespace motcua::node
