// Journal::ingest_batch / ingest_sparse: storing the batches sync moves.
// Entries are parsed and verified on several threads before the journal lock
// is taken. A point holds only the dossiers in its scope, so other authors'
// chains arrive with gaps (sparse); each gap is recorded in journal_gaps and
// verify() accepts exactly those. The node's own chain stays contiguous.
#include <algorithm>
#include <set>
#include <thread>

#include "motcua/node/journal.hpp"
#include "motcua/schema/columns.hpp"
#include "motcua/schema/database.hpp"
#include "motcua/schema/storage.hpp"

namespace motcua::node {

using schema::bind_array;
using schema::blob_array;

std::vector<Result<Entry>> parse_entries_parallel(const std::vector<Entry>& given) {
  std::vector<std::optional<Result<Entry>>> tmp(given.size());
  auto work = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) tmp[i] = parse_entry(given[i].canonical, given[i].sig);
  };
  unsigned threads = given.size() >= 256 ? std::max(1u, std::min(4u, std::thread::hardware_concurrency())) : 1u;
  if (threads == 1) {
    work(0, given.size());
  } else {
    std::vector<std::thread> pool;
    size_t per = (given.size() + threads - 1) / threads;
    for (unsigned t = 0; t < threads; ++t) {
      size_t from = t * per, to = std::min(given.size(), from + per);
      if (from < to) pool.emplace_back(work, from, to);
    }
    for (auto& t : pool) t.join();
  }
  std::vector<Result<Entry>> out;
  out.reserve(given.size());
  for (auto& r : tmp) out.push_back(std::move(*r));
  return out;
}

Result<int64_t> Journal::ingest_sparse(const std::vector<Entry>& entries) { return ingest_batch(entries, true); }

Result<int64_t> Journal::ingest_batch(const std::vector<Entry>& entries, bool sparse) try {
  // Parsing and signature checks need no lock: do them first, in parallel.
  std::vector<Result<Entry>> parsed = parse_entries_parallel(entries);
  std::lock_guard<std::recursive_mutex> g(mu_);
  if (broken_) return *broken_;
  // Each touched subject's entries are read once and the batch's parsed
  // entries added to them, so projecting does not parse the batch again.
  struct MemoScope {
    Journal& j;
    explicit MemoScope(Journal& jj) : j(jj) { j.memo_begin(); }
    ~MemoScope() { j.memo_end(); }
  } memo(*this);
  int64_t added = 0;
  Status s = schema::in_transaction(*db_, [&]() -> Status {
    std::map<PublicKey, std::pair<int64_t, Hash32>> head;
    std::vector<std::string> touched;
    std::set<std::string> touched_set;
    const int64_t now = clock_.now_ms();
    SQLite::Statement head_q(*db_, "SELECT head_seq, head_id FROM authors WHERE author = ?");
    SQLite::Statement id_q(*db_, "SELECT id, prev FROM journal WHERE author = ? AND seq = ?");
    SQLite::Statement known_q(*db_, "SELECT 1 FROM journal WHERE id = ?");
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
    auto known = [&](const Hash32& id) {
      known_q.reset();
      bind_array(known_q, 1, id);
      return known_q.executeStep();
    };
    for (size_t i = 0; i < entries.size(); ++i) {
      const Entry& given = entries[i];
      std::string where = to_hex(given.author).substr(0, 16) + "… seq " + std::to_string(given.seq);
      if (!parsed[i].ok()) {
        Error err = parsed[i].error();
        err.message = "entry " + where + ": " + err.message;
        return err;
      }
      const Entry& e = parsed[i].value();
      if (e.id != given.id || e.author != given.author || e.seq != given.seq)
        return make_error("bad_signature", "entry " + where + ": id, author or seq does not match the signed content");
      const bool foreign = sparse && e.author != self_.pk;  // only then may the chain have gaps
      auto [hseq, hid] = head_of(e.author);
      for (const auto& p : e.parents)
        if (!known(p))
          return make_error("unknown_parent", "entry " + where + ": causal parent " + to_hex(p).substr(0, 16) + "… is unknown");
      if (e.seq <= hseq) {
        auto have = held(e.author, e.seq);
        if (have && have->first == e.id) continue;  // already held
        if (have)
          return make_error("equivocation", "entry " + where + ": this author already signed different content at this seq");
        // Filling a recorded gap of a foreign chain.
        gap_q.reset();
        bind_array(gap_q, 1, e.author);
        gap_q.bind(2, static_cast<int64_t>(e.seq));
        gap_q.bind(3, static_cast<int64_t>(e.seq));
        if (!foreign) return make_error("equivocation", "entry " + where + ": this author already signed different content at this seq");
        if (!gap_q.executeStep())
          return make_error("broken_chain", "entry " + where + ": missing from a chain that has no gap there");
        int64_t gfirst = gap_q.getColumn(0).getInt64(), glast = gap_q.getColumn(1).getInt64();
        auto below = e.seq > 1 ? held(e.author, e.seq - 1) : std::nullopt;
        if ((e.seq == 1 && e.prev != Hash32{}) || (below && below->first != e.prev))
          return make_error("broken_chain", "entry " + where + ": prev does not match the author's previous entry");
        auto above = held(e.author, e.seq + 1);
        if (above && above->second != e.id)
          return make_error("broken_chain", "entry " + where + ": the author's next entry does not link to it");
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
      } else if (e.seq > hseq + 1) {
        if (!foreign) return make_error("seq_gap", "entry " + where + ": expected seq " + std::to_string(hseq + 1));
        SQLite::Statement ins(*db_, "INSERT INTO journal_gaps (author, first_seq, last_seq) VALUES (?,?,?)");
        bind_array(ins, 1, e.author);
        ins.bind(2, static_cast<int64_t>(hseq + 1));
        ins.bind(3, static_cast<int64_t>(e.seq - 1));
        ins.exec();
        head[e.author] = {e.seq, e.id};
      } else {
        if (e.prev != hid)
          return make_error("broken_chain", "entry " + where + ": prev does not match the author's previous entry");
        head[e.author] = {e.seq, e.id};
      }
      step("insert");
      memo_load(e.subject);
      store(e, now);
      if (e.seq <= hseq) {  // a filled gap must not move the chain head back
        SQLite::Statement keep(*db_, "UPDATE authors SET head_seq = ?, head_id = ? WHERE author = ?");
        keep.bind(1, static_cast<int64_t>(hseq));
        bind_array(keep, 2, hid);
        bind_array(keep, 3, e.author);
        keep.exec();
      }
      if (touched_set.insert(e.subject).second) touched.push_back(e.subject);
      hlc_.observe(e.hlc);
      ++added;
    }
    project(touched);
    step("commit");
    return ok_status();
  });
  if (!s.ok()) return s.error();
  return added;
} catch (...) {
  return write_failed();
}

}  // namespace motcua::node
