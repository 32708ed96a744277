// Journal::ingest(entries, options): storing what sync moves, entry by entry,
// with quarantine; Journal::decide: the hub's signed release or rejection of
// a held entry (docs/sync-protocol.md, "Quarantine"; docs/design/0071).
//
// Every entry is first checked as before (signature, id, chain, gaps of
// sparse foreign chains). What passes is stored whatever happens next: the
// author's chain goes through it. Then the admission checks decide whether it
// is admitted (projected, in scope, pulled) or held in table quarantine.
#include <algorithm>
#include <atomic>
#include <map>
#include <set>

#include "motcua/node/journal.hpp"
#include "motcua/schema/columns.hpp"
#include "motcua/schema/database.hpp"
#include "motcua/schema/storage.hpp"
#include "parse_stream.hpp"
#include "quarantine_rows.hpp"

namespace motcua::node {

using schema::bind_array;
using schema::blob_array;

namespace {

const char* kWaitingCodes = "('unknown_parent', 'parent_quarantined')";

QuarantineRow row_from(SQLite::Statement& q) { return quarantine_row_from(q); }

const char* kRowColumns =
    "SELECT id, author, seq, subject, type, code, reason, state, at_ms, decided_ms, decided_by FROM quarantine ";

std::string short_hex(const Hash32& h) { return to_hex(h).substr(0, 16) + "…"; }

// Ingests under way in this process (any journal), counted for their whole
// run: whether storing may overlap verification (Journal::ingest_impl).
std::atomic<int> g_ingests{0};
struct IngestsUnderWay {
  IngestsUnderWay() { g_ingests.fetch_add(1); }
  ~IngestsUnderWay() { g_ingests.fetch_sub(1); }
  IngestsUnderWay(const IngestsUnderWay&) = delete;
  IngestsUnderWay& operator=(const IngestsUnderWay&) = delete;
  bool alone() const { return g_ingests.load() == 1; }
};

}  // namespace

// One ingest (or decide) inside its write transaction.
struct Journal::IngestRun {
  Journal& j;
  const IngestOptions& opt;
  bool legacy;  // the old wrappers: an unknown parent refuses the batch, no clock checks
  int64_t now;
  IngestReport rep;
  std::vector<std::string> touched;
  std::set<std::string> touched_set;
  SQLite::Statement parent_q, hlc_id_q, hlc_seq_q, row_q;

  IngestRun(Journal& jj, const IngestOptions& o, bool leg)
      : j(jj),
        opt(o),
        legacy(leg),
        now(jj.clock_.now_ms()),
        parent_q(*jj.db_, "SELECT q.state FROM journal j LEFT JOIN quarantine q ON q.id = j.id WHERE j.id = ?"),
        hlc_id_q(*jj.db_, "SELECT hlc_ms, hlc_c FROM journal WHERE id = ?"),
        hlc_seq_q(*jj.db_, "SELECT hlc_ms, hlc_c FROM journal WHERE author = ? AND seq = ?"),
        row_q(*jj.db_, std::string(kRowColumns) + "WHERE id = ?") {}

  void touch(const std::string& s) {
    if (touched_set.insert(s).second) touched.push_back(s);
  }

  enum class Parent { Unknown, Admitted, Held };
  Parent parent_state(const Hash32& id) {
    parent_q.reset();
    bind_array(parent_q, 1, id);
    if (!parent_q.executeStep()) return Parent::Unknown;
    if (parent_q.getColumn(0).isNull()) return Parent::Admitted;
    return parent_q.getColumn(0).getString() == "released" ? Parent::Admitted : Parent::Held;
  }

  static std::optional<Hlc> hlc_row(SQLite::Statement& q) {
    if (!q.executeStep()) return std::nullopt;
    return Hlc{q.getColumn(0).getInt64(), q.getColumn(1).getInt64()};
  }
  std::optional<Hlc> hlc_of(const Hash32& id) {
    hlc_id_q.reset();
    bind_array(hlc_id_q, 1, id);
    return hlc_row(hlc_id_q);
  }
  std::optional<Hlc> hlc_of(const PublicKey& author, int64_t seq) {
    hlc_seq_q.reset();
    bind_array(hlc_seq_q, 1, author);
    hlc_seq_q.bind(2, static_cast<int64_t>(seq));
    return hlc_row(hlc_seq_q);
  }

  std::optional<QuarantineRow> row(const Hash32& id) {
    row_q.reset();
    bind_array(row_q, 1, id);
    if (!row_q.executeStep()) return std::nullopt;
    return row_from(row_q);
  }

  bool is_decision_by_decider(const Entry& e) const {
    return is_quarantine_type(e.type) && opt.decider != PublicKey{} && e.author == opt.decider;
  }

  // The admission checks in the contract's order. In legacy mode an unknown
  // parent is an Error (the batch is refused) instead.
  Result<std::optional<Admission>> check(const Entry& e, const Admitter& admit, int64_t max_hlc_ms) {
    std::optional<Admission> held_parent;
    for (const auto& p : e.parents) {
      Parent st = parent_state(p);
      if (st == Parent::Unknown) {
        std::string why = "entry " + short_hex(e.id) + ": causal parent " + short_hex(p) + " is unknown";
        if (legacy) return make_error("unknown_parent", why);
        return std::optional<Admission>(Admission{"unknown_parent", "causal parent " + short_hex(p) + " is not held here"});
      }
      // A decision names the entry it decides as a parent: it never waits for it.
      if (st == Parent::Held && !held_parent && !is_decision_by_decider(e))
        held_parent = Admission{"parent_quarantined", "causal parent " + short_hex(p) + " is in quarantine"};
    }
    if (held_parent) return std::optional<Admission>(held_parent);
    if (legacy) return std::optional<Admission>();
    if (e.seq > 1) {
      auto prev = hlc_of(e.author, e.seq - 1);
      if (prev && !(*prev < e.hlc))
        return std::optional<Admission>(Admission{
            "hlc_not_monotonic", "its clock stamp is not after the author's previous entry (seq " + std::to_string(e.seq - 1) + ")"});
    }
    for (const auto& p : e.parents) {
      auto ph = hlc_of(p);
      if (ph && !(*ph < e.hlc))
        return std::optional<Admission>(
            Admission{"hlc_not_monotonic", "its clock stamp is not after its causal parent " + short_hex(p)});
    }
    if (max_hlc_ms > 0 && e.hlc.ms > max_hlc_ms)
      return std::optional<Admission>(Admission{
          "hlc_future", "its clock stamp is " + std::to_string((e.hlc.ms - max_hlc_ms) / 1000) +
                            " s beyond this node's clock plus the allowed offset"});
    if (admit) {
      const std::string subject = e.subject;
      // The entry's causal past (its parents and their ancestors), not
      // whatever else arrived first: every node then judges it alike, in any
      // arrival order. `whole`: the usual case, the entry extends every head
      // of the dossier, so its past is the whole list (same entries, same
      // order), used as it is, not copied first.
      struct Past {
        bool whole = false;
        std::vector<Entry> before;
      };
      auto past_of = [this, subject, &e]() -> Past {
        const auto& list = j.memo_entries(subject);
        std::map<Hash32, const Entry*> by_id;
        for (const auto& x : list) by_id.emplace(x.id, &x);
        std::set<Hash32> past;
        std::vector<Hash32> todo(e.parents.begin(), e.parents.end());
        while (!todo.empty()) {
          Hash32 id = todo.back();
          todo.pop_back();
          auto it = by_id.find(id);
          if (it == by_id.end() || !past.insert(id).second) continue;
          todo.insert(todo.end(), it->second->parents.begin(), it->second->parents.end());
        }
        Past out;
        if (!past.empty() && past.size() == list.size()) {
          out.whole = true;
          return out;
        }
        for (const auto& x : list)
          if (past.count(x.id)) out.before.push_back(x);
        return out;
      };
      AdmitContext ctx{e, [this, subject]() -> const std::vector<Entry>& { return j.memo_entries(subject); },
                       [this, subject, past_of]() -> Json {
                         Past p = past_of();
                         if (p.whole) return j.projector_(subject, j.memo_entries(subject));
                         if (p.before.empty()) return Json();
                         return j.projector_(subject, p.before);
                       },
                       [this, subject, past_of]() -> Json {
                         Past p = past_of();
                         if (p.whole) return j.project_scope(subject, j.memo_entries(subject));
                         if (p.before.empty()) return Json();
                         return j.project_scope(subject, p.before);
                       }};
      if (auto why = admit(ctx)) return std::optional<Admission>(*why);
    }
    return std::optional<Admission>();
  }

  void hold(const Entry& e, const Admission& why) {
    SQLite::Statement ins(*j.db_,
                          "INSERT INTO quarantine (id, author, seq, subject, type, code, reason, state, at_ms) "
                          "VALUES (?,?,?,?,?,?,?,'held',?)");
    bind_array(ins, 1, e.id);
    bind_array(ins, 2, e.author);
    ins.bind(3, static_cast<int64_t>(e.seq));
    ins.bind(4, e.subject);
    ins.bind(5, e.type);
    ins.bind(6, why.code);
    ins.bind(7, why.reason);
    ins.bind(8, static_cast<int64_t>(now));
    ins.exec();
    rep.quarantined.push_back(QuarantineRow{e.id, e.author, e.seq, e.subject, e.type, why.code, why.reason, "held",
                                            now, 0, ""});
  }

  // An admitted entry (new, or released): projected; a decision applied.
  Status admitted(const Entry& e, const Admitter& admit) {
    touch(e.subject);
    j.hlc_.observe(e.hlc);
    if (is_decision_by_decider(e)) return apply(e, admit);
    return ok_status();
  }

  // Marks a held entry released or rejected; a released one is admitted.
  // visible_pos < 0: the journal's last position (no decision entry here).
  Status settle(const QuarantineRow& r, bool release, const std::string& decided_by, int64_t visible_pos,
                const Admitter& admit) {
    if (release && visible_pos < 0) visible_pos = j.db_->execAndGet("SELECT ifnull(max(pos), 0) FROM journal").getInt64();
    SQLite::Statement up(*j.db_,
                         "UPDATE quarantine SET state = ?, decided_ms = ?, decided_by = ?, visible_pos = ? WHERE id = ?");
    up.bind(1, release ? "released" : "rejected");
    up.bind(2, static_cast<int64_t>(now));
    up.bind(3, decided_by);
    up.bind(4, static_cast<int64_t>(release ? visible_pos : 0));
    bind_array(up, 5, r.id);
    up.exec();
    if (!release) return ok_status();
    QuarantineRow done = r;
    done.state = "released";
    done.decided_ms = now;
    done.decided_by = decided_by;
    rep.released.push_back(done);
    j.memo_forget(r.subject);
    auto e = j.get(r.id);
    if (!e) return ok_status();
    return admitted(*e, admit);
  }

  // A decision entry by the decider, ingested: applies it to the entry it
  // names when that entry is held here; otherwise it has no effect.
  Status apply(const Entry& d, const Admitter& admit) {
    Hash32 target{};
    auto it = d.body.is_object() ? d.body.find("entry") : d.body.end();
    if (it == d.body.end() || !it->is_string() || !from_hex(it->get<std::string>(), target)) return ok_status();
    auto r = row(target);
    if (!r || r->state != "held") return ok_status();
    int64_t pos = 0;
    {
      SQLite::Statement q(*j.db_, "SELECT pos FROM journal WHERE id = ?");
      bind_array(q, 1, d.id);
      if (q.executeStep()) pos = q.getColumn(0).getInt64();
    }
    return settle(*r, d.type == kQuarantineReleased, to_hex(d.id), pos, admit);
  }

  // Releases held entries that were only waiting for their parents, once
  // every parent is held and admitted and the checks pass; `sign`: each gets
  // a quarantine.released decision signed by this node (the hub).
  Status cascade(const Admitter& admit, int64_t max_hlc_ms, bool sign) {
    for (int round = 0; round < 1000; ++round) {
      std::vector<QuarantineRow> waiting;
      {
        SQLite::Statement q(*j.db_, std::string(kRowColumns) + "WHERE state = 'held' AND code IN " + kWaitingCodes +
                                        " ORDER BY at_ms, author, seq");
        while (q.executeStep()) waiting.push_back(row_from(q));
      }
      bool changed = false;
      for (const auto& r : waiting) {
        auto e = j.get(r.id);
        if (!e) continue;
        auto why = check(*e, admit, max_hlc_ms);
        if (!why.ok()) return why.error();
        if (why.value()) {
          if (why.value()->code != r.code) {
            SQLite::Statement up(*j.db_, "UPDATE quarantine SET code = ?, reason = ? WHERE id = ?");
            up.bind(1, why.value()->code);
            up.bind(2, why.value()->reason);
            bind_array(up, 3, r.id);
            up.exec();
          }
          continue;
        }
        changed = true;
        if (!sign) {
          Status s = settle(r, true, "", -1, admit);
          if (!s.ok()) return s;
          continue;
        }
        // Released first (so the decision names it among its parents), then signed.
        Status s = settle(r, true, "", -1, admit);
        if (!s.ok()) return s;
        auto d = sign_decision(r, true, "its causal parents arrived and it passed admission", "auto", "system");
        if (!d.ok()) return d.error();
      }
      if (!changed) break;
    }
    return ok_status();
  }

  // Appends this node's decision entry on `r` and links the row to it.
  Result<Entry> sign_decision(const QuarantineRow& r, bool release, const std::string& reason, const std::string& by,
                              const std::string& user) {
    EntryDraft d{user, release ? kQuarantineReleased : kQuarantineRejected, r.subject,
                 Json{{"entry", to_hex(r.id)}, {"reason", reason}, {"by", by}}};
    auto out = j.append_in_tx({d}, &touched);
    if (!out.ok()) return out.error();
    const Entry& e = out.value().front();
    touch(e.subject);
    SQLite::Statement up(*j.db_,
                         "UPDATE quarantine SET decided_by = ?, visible_pos = CASE WHEN state = 'released' THEN "
                         "(SELECT pos FROM journal WHERE id = ?) ELSE 0 END WHERE id = ?");
    up.bind(1, to_hex(e.id));
    bind_array(up, 2, e.id);
    bind_array(up, 3, r.id);
    up.exec();
    for (auto& rel : rep.released)
      if (rel.id == r.id) rel.decided_by = to_hex(e.id);
    return e;
  }
};

Result<IngestReport> Journal::ingest(const std::vector<Entry>& entries, const IngestOptions& options) {
  return ingest_impl(entries, options, false);
}

VerifyAhead::VerifyAhead(std::vector<Entry> shells)
    : shells_(std::move(shells)), stream_(std::make_unique<ParseStream>(shells_)) {}
VerifyAhead::~VerifyAhead() = default;
void VerifyAhead::wait() { stream_->wait(shells_.size()); }

Result<IngestReport> Journal::ingest(VerifyAhead& batch, const IngestOptions& options) {
  return ingest_impl(batch.shells_, options, false, batch.stream_.get());
}

Result<IngestReport> Journal::ingest_impl(const std::vector<Entry>& entries, const IngestOptions& options,
                                          bool legacy, ParseStream* ahead) try {
  // Parsing and signature checks need no lock: they run on worker threads
  // (ParseStream). When this is the process's only ingest, storing starts
  // as soon as the first entries are verified and overlaps the rest of the
  // verification. When another is under way (a hub taking several points'
  // pushes), or the journal shares a log with other processes whose writers
  // this one cannot see, the whole batch is verified before this one queues
  // for the lock: holding the lock while verifying beside other batches'
  // verification would lengthen every queued writer's wait
  // (docs/design/0116).
  const IngestsUnderWay under_way;
  std::optional<ParseStream> own;
  ParseStream& parsed = ahead ? *ahead : own.emplace(entries);
  std::unique_lock<std::recursive_mutex> g(mu_, std::defer_lock);
  if (under_way.alone() && g.try_lock() && !shared_) {
    // stores while the workers verify
  } else {
    if (g.owns_lock()) g.unlock();
    parsed.wait(entries.size());
    g.lock();
  }
  if (broken_) return *broken_;
  if (options.sign_releases) {
    if (Status own = ensure_own_tail(); !own.ok()) return own.error();
  }
  // Each touched subject's entries are read once and the batch's parsed
  // entries added to them, so projecting does not parse the batch again.
  MemoScope memo(*this);
  IngestReport report;
  Status s = write_tx([&]() -> Status {
    IngestRun run(*this, options, legacy);
    std::map<PublicKey, std::pair<int64_t, Hash32>> head;
    SQLite::Statement head_q(*db_, "SELECT head_seq, head_id FROM authors WHERE author = ?");
    SQLite::Statement id_q(*db_, "SELECT id, prev FROM journal WHERE author = ? AND seq = ?");
    SQLite::Statement gap_q(*db_,
                            "SELECT first_seq, last_seq FROM journal_gaps WHERE author = ? AND first_seq <= ? AND "
                            "last_seq >= ?");
    auto head_of = [&](const PublicKey& a) -> std::pair<int64_t, Hash32> {
      auto it = head.find(a);
      if (it != head.end()) return it->second;
      head_q.reset();
      bind_array(head_q, 1, a);
      std::pair<int64_t, Hash32> h{0, Hash32{}};
      if (head_q.executeStep()) h = {head_q.getColumn(0).getInt64(), blob_array<32>(head_q.getColumn(1))};
      head[a] = h;
      return h;
    };
    // (id, prev) of a held entry.
    auto held = [&](const PublicKey& a, int64_t seq) -> std::optional<std::pair<Hash32, Hash32>> {
      id_q.reset();
      bind_array(id_q, 1, a);
      id_q.bind(2, static_cast<int64_t>(seq));
      if (!id_q.executeStep()) return std::nullopt;
      return std::make_pair(blob_array<32>(id_q.getColumn(0)), blob_array<32>(id_q.getColumn(1)));
    };
    bool any_admitted = false;
    std::set<PublicKey> moved;  // authors whose chain head this batch moves
    for (size_t i = 0; i < entries.size(); ++i) {
      const Entry& given = entries[i];
      std::string where = to_hex(given.author).substr(0, 16) + "… seq " + std::to_string(given.seq);
      // A cryptographic or chain failure: the batch is refused, or (per_entry)
      // the entry is skipped and reported.
      auto refuse = [&](Error err) -> std::optional<Error> {
        if (!options.per_entry) return err;
        run.rep.skipped.push_back(Skipped{to_hex(given.author), given.seq, to_hex(given.id), std::move(err)});
        return std::nullopt;
      };
      Result<Entry>& parsed_i = parsed.get(i);
      if (!parsed_i.ok()) {
        Error err = parsed_i.error();
        err.message = "entry " + where + ": " + err.message;
        if (auto e = refuse(err)) return *e;
        continue;
      }
      const Entry& e = parsed_i.value();
      if (e.id != given.id || e.author != given.author || e.seq != given.seq) {
        if (auto r = refuse(make_error("bad_signature",
                                       "entry " + where + ": id, author or seq does not match the signed content")))
          return *r;
        continue;
      }
      const bool foreign = options.sparse && e.author != self_.pk;  // only then may the chain have gaps
      auto [hseq, hid] = head_of(e.author);
      std::optional<std::pair<int64_t, int64_t>> fills_gap;  // the recorded gap it fills
      bool opens_gap = false;
      if (e.seq <= hseq) {
        auto have = held(e.author, e.seq);
        if (have && have->first == e.id) continue;  // already held: idempotent
        auto equivocation = make_error("equivocation", "entry " + where + ": this author already signed different content at this seq");
        if (have || !foreign) {
          if (auto r = refuse(equivocation)) return *r;
          continue;
        }
        gap_q.reset();
        bind_array(gap_q, 1, e.author);
        gap_q.bind(2, static_cast<int64_t>(e.seq));
        gap_q.bind(3, static_cast<int64_t>(e.seq));
        if (!gap_q.executeStep()) {
          if (auto r = refuse(make_error("broken_chain", "entry " + where + ": missing from a chain that has no gap there")))
            return *r;
          continue;
        }
        fills_gap = std::make_pair(gap_q.getColumn(0).getInt64(), gap_q.getColumn(1).getInt64());
        auto below = e.seq > 1 ? held(e.author, e.seq - 1) : std::nullopt;
        auto above = held(e.author, e.seq + 1);
        if ((e.seq == 1 && e.prev != Hash32{}) || (below && below->first != e.prev)) {
          if (auto r = refuse(make_error("broken_chain", "entry " + where + ": prev does not match the author's previous entry")))
            return *r;
          continue;
        }
        if (above && above->second != e.id) {
          if (auto r = refuse(make_error("broken_chain", "entry " + where + ": the author's next entry does not link to it")))
            return *r;
          continue;
        }
      } else if (e.seq > hseq + 1) {
        if (!foreign) {
          if (auto r = refuse(make_error("seq_gap", "entry " + where + ": expected seq " + std::to_string(hseq + 1))))
            return *r;
          continue;
        }
        opens_gap = true;
      } else if (e.prev != hid) {
        if (auto r = refuse(make_error("broken_chain", "entry " + where + ": prev does not match the author's previous entry")))
          return *r;
        continue;
      }
      // Admission: decided before anything of this entry is written.
      auto why = run.check(e, options.admit, options.max_hlc_ms);
      if (!why.ok()) return why.error();
      // The chain bookkeeping.
      if (fills_gap) {
        auto [gfirst, glast] = *fills_gap;
        SQLite::Statement del(*db_, "DELETE FROM journal_gaps WHERE author = ? AND first_seq = ?");
        bind_array(del, 1, e.author);
        del.bind(2, static_cast<int64_t>(gfirst));
        del.exec();
        SQLite::Statement ins(*db_, "INSERT INTO journal_gaps (author, first_seq, last_seq) VALUES (?,?,?)");
        for (auto [a, b] : {std::pair{gfirst, e.seq - 1}, std::pair{e.seq + 1, glast}}) {
          if (a > b) continue;
          ins.reset();
          bind_array(ins, 1, e.author);
          ins.bind(2, static_cast<int64_t>(a));
          ins.bind(3, static_cast<int64_t>(b));
          ins.exec();
        }
      } else {
        if (opens_gap) {
          SQLite::Statement ins(*db_, "INSERT INTO journal_gaps (author, first_seq, last_seq) VALUES (?,?,?)");
          bind_array(ins, 1, e.author);
          ins.bind(2, static_cast<int64_t>(hseq + 1));
          ins.bind(3, static_cast<int64_t>(e.seq - 1));
          ins.exec();
        }
        head[e.author] = {e.seq, e.id};
        moved.insert(e.author);
      }
      step("insert");
      const bool admit_it = !why.value().has_value();
      if (admit_it) memo_load(e.subject);
      // The chain head is written once per author after the loop (a filled
      // gap never moves it): one row update per batch, not per entry.
      store(e, run.now, admit_it, false);
      ++run.rep.stored;
      if (admit_it) {
        any_admitted = true;
        Status st = run.admitted(e, options.admit);
        if (!st.ok()) return st;
      } else {
        run.hold(e, *why.value());
      }
    }
    // Each moved chain head, once, before anything below appends (a decision
    // the hub signs continues its own chain from the head in this table).
    for (const auto& a : moved) write_head(a, head[a].first, head[a].second);
    // Entries waiting for a parent that has now arrived.
    if (any_admitted && !legacy) {
      Status st = run.cascade(options.admit, options.max_hlc_ms, options.sign_releases);
      if (!st.ok()) return st;
    }
    project(run.touched);
    step("commit");
    report = std::move(run.rep);
    return ok_status();
  });
  if (!s.ok()) return s.error();
  return report;
} catch (...) {
  return write_failed();
}

Result<Entry> Journal::decide(const Hash32& id, Decision decision, const std::string& reason, const std::string& by,
                              const Admitter& admit) try {
  if (reason.empty() || reason.size() > 2000)
    return make_error("validation_failed", "a decision needs a reason (at most 2000 bytes)", "reason");
  std::lock_guard<std::recursive_mutex> g(mu_);
  if (broken_) return *broken_;
  if (Status own = ensure_own_tail(); !own.ok()) return own.error();
  MemoScope memo(*this);
  Entry decision_entry;
  IngestOptions none;
  Status s = write_tx([&]() -> Status {
    IngestRun run(*this, none, false);
    auto r = run.row(id);
    if (!r) {
      if (!get(id)) return make_error("not_found", "no entry " + to_hex(id) + " in this journal", "id");
      return make_error("not_quarantined", "entry " + to_hex(id) + " is not in quarantine", "id");
    }
    if (r->state != "held")
      return make_error("not_quarantined", "entry " + to_hex(id) + " was already " + r->state, "id");
    const bool release = decision == Decision::Release;
    Status st = run.settle(*r, release, "", -1, admit);
    if (!st.ok()) return st;
    auto d = run.sign_decision(*r, release, reason, by, by.empty() ? "system" : by);
    if (!d.ok()) return d.error();
    decision_entry = d.value();
    if (release) {
      st = run.cascade(admit, 0, true);
      if (!st.ok()) return st;
    }
    project(run.touched);
    step("commit");
    return ok_status();
  });
  if (!s.ok()) return s.error();
  return decision_entry;
} catch (...) {
  return write_failed();
}

Result<IngestReport> Journal::decide(const Hash32& id, Decision decision, const Entry& signed_decision) {
  const Entry& d = signed_decision;
  const char* type = decision == Decision::Release ? kQuarantineReleased : kQuarantineRejected;
  const Json* entry = d.body.is_object() && d.body.contains("entry") ? &d.body["entry"] : nullptr;
  if (d.type != type || !entry || !entry->is_string() || entry->get<std::string>() != to_hex(id))
    return make_error("validation_failed", std::string("the decision is not a ") + type + " of entry " + to_hex(id),
                      "decision");
  IngestOptions o;
  o.sparse = true;
  o.decider = d.author;
  return ingest({d}, o);
}

std::vector<QuarantineRow> Journal::quarantine(const std::string& state) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  SQLite::Statement q(*db_, std::string(kRowColumns) + (state.empty() ? "" : "WHERE state = ? ") +
                                "ORDER BY at_ms DESC, author, seq DESC");
  if (!state.empty()) q.bind(1, state);
  std::vector<QuarantineRow> out;
  while (q.executeStep()) out.push_back(row_from(q));
  return out;
}

std::optional<QuarantineRow> Journal::quarantine_row(const Hash32& id) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  SQLite::Statement q(*db_, std::string(kRowColumns) + "WHERE id = ?");
  bind_array(q, 1, id);
  if (!q.executeStep()) return std::nullopt;
  return row_from(q);
}

bool Journal::quarantined(const Hash32& id) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  SQLite::Statement q(*db_, "SELECT 1 FROM quarantine WHERE id = ? AND state <> 'released'");
  bind_array(q, 1, id);
  return q.executeStep();
}

}  // namespace motcua::node
