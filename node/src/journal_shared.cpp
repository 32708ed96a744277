// The journal as a replica of a shared log (node/shared_log.hpp,
// docs/design/0112-shared-hub-log.md).
#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <set>

#include "motcua/node/shared_log.hpp"
#include "motcua/schema/columns.hpp"
#include "motcua/schema/database.hpp"
#include "quarantine_rows.hpp"

namespace motcua::node {

namespace {
using schema::bind_array;
using schema::blob_array;
using schema::blob_string;

constexpr size_t kPage = 1000;  // rows per read or publish

const char* kRowCols = "pos, id, author, seq, prev, hlc_ms, hlc_c, type, subject, canonical, sig, received_ms";

LogRow read_row(SQLite::Statement& q) {
  LogRow r;
  r.pos = q.getColumn(0).getInt64();
  r.id = blob_array<32>(q.getColumn(1));
  r.author = blob_array<32>(q.getColumn(2));
  r.seq = q.getColumn(3).getInt64();
  r.prev = blob_array<32>(q.getColumn(4));
  r.hlc_ms = q.getColumn(5).getInt64();
  r.hlc_c = q.getColumn(6).getInt64();
  r.type = q.getColumn(7).getString();
  r.subject = q.getColumn(8).getString();
  r.canonical = blob_string(q.getColumn(9));
  r.sig = blob_array<64>(q.getColumn(10));
  r.received_ms = q.getColumn(11).getInt64();
  return r;
}

// Quarantine rows with their entry's position, selected by `where` over q and j.
std::vector<LogQuarantine> read_quarantine(SQLite::Database& db, const std::string& where, int64_t a, int64_t b) {
  SQLite::Statement q(db,
                      "SELECT q.id, q.author, q.seq, q.subject, q.type, q.code, q.reason, q.state, q.at_ms, "
                      "q.decided_ms, q.decided_by, q.visible_pos, j.pos FROM quarantine q JOIN journal j ON j.id = "
                      "q.id WHERE " +
                          where + " ORDER BY j.pos");
  if (where.find('?') != std::string::npos) {
    q.bind(1, static_cast<int64_t>(a));
    q.bind(2, static_cast<int64_t>(b));
  }
  std::vector<LogQuarantine> out;
  while (q.executeStep()) {
    LogQuarantine l;
    l.row = quarantine_row_from(q);
    l.visible_pos = q.getColumn(11).getInt64();
    l.pos = q.getColumn(12).getInt64();
    out.push_back(std::move(l));
  }
  return out;
}

std::vector<LogRow> rows_after(SQLite::Database& db, int64_t after, size_t limit) {
  SQLite::Statement q(db, std::string("SELECT ") + kRowCols + " FROM journal WHERE pos > ? ORDER BY pos LIMIT ?");
  q.bind(1, static_cast<int64_t>(after));
  q.bind(2, static_cast<int64_t>(limit));
  std::vector<LogRow> out;
  while (q.executeStep()) out.push_back(read_row(q));
  return out;
}

Error diverged(const SharedLog& log, const std::string& what) {
  return make_error("diverged",
                    "this data directory's journal is not a copy of the shared log (" + log.describe() + "): " + what +
                        ". Start a further hub process from a copy of a data directory already on this log "
                        "(docs/postgres.md, \"Several hub processes\")",
                    "journal");
}

// Undoes a write begun on the log when the local transaction does not reach
// commit_write (an error or an exception).
struct WriteGuard {
  SharedLog& log;
  bool open = false;
  ~WriteGuard() {
    if (open) log.abort_write();
  }
};
}  // namespace

int64_t Journal::last_pos() { return count(); }

Status Journal::apply_shared(const LogTail& tail) {
  SQLite::Statement ins(*db_, std::string("INSERT INTO journal (") + kRowCols + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
  std::map<PublicKey, std::pair<int64_t, Hash32>> heads;
  std::set<std::string> subjects;
  Hlc top{};
  const int64_t bound = clock_.now_ms() + hlc_.max_offset_ms();
  int64_t expect = last_pos() + 1;
  for (const LogRow& r : tail.rows) {
    if (r.pos != expect)
      return make_error("storage", "the shared log gave position " + std::to_string(r.pos) + " where " +
                                       std::to_string(expect) + " was next (" + shared_->describe() + ")");
    ++expect;
    ins.reset();
    ins.bind(1, static_cast<int64_t>(r.pos));
    bind_array(ins, 2, r.id);
    bind_array(ins, 3, r.author);
    ins.bind(4, static_cast<int64_t>(r.seq));
    bind_array(ins, 5, r.prev);
    ins.bind(6, static_cast<int64_t>(r.hlc_ms));
    ins.bind(7, static_cast<int64_t>(r.hlc_c));
    ins.bind(8, r.type);
    ins.bind(9, r.subject);
    ins.bind(10, r.canonical.data(), static_cast<int>(r.canonical.size()));
    bind_array(ins, 11, r.sig);
    ins.bind(12, static_cast<int64_t>(r.received_ms));
    ins.exec();
    auto& h = heads[r.author];
    if (r.seq > h.first) h = {r.seq, r.id};
    subjects.insert(r.subject);
    Hlc stamp{r.hlc_ms, r.hlc_c};
    if (r.hlc_ms <= bound && stamp > top) top = stamp;
  }
  SQLite::Statement head(*db_,
                         "INSERT INTO authors (author, head_seq, head_id) VALUES (?,?,?) ON CONFLICT (author) DO "
                         "UPDATE SET head_seq = excluded.head_seq, head_id = excluded.head_id "
                         "WHERE excluded.head_seq > authors.head_seq");
  for (const auto& [a, h] : heads) {
    head.reset();
    bind_array(head, 1, a);
    head.bind(2, static_cast<int64_t>(h.first));
    bind_array(head, 3, h.second);
    head.exec();
  }
  SQLite::Statement q(*db_,
                      "INSERT OR REPLACE INTO quarantine (id, author, seq, subject, type, code, reason, state, at_ms, "
                      "decided_ms, decided_by, visible_pos) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
  for (const LogQuarantine& l : tail.quarantine) {
    const QuarantineRow& r = l.row;
    q.reset();
    bind_array(q, 1, r.id);
    bind_array(q, 2, r.author);
    q.bind(3, static_cast<int64_t>(r.seq));
    q.bind(4, r.subject);
    q.bind(5, r.type);
    q.bind(6, r.code);
    q.bind(7, r.reason);
    q.bind(8, r.state);
    q.bind(9, static_cast<int64_t>(r.at_ms));
    q.bind(10, static_cast<int64_t>(r.decided_ms));
    q.bind(11, r.decided_by);
    q.bind(12, static_cast<int64_t>(l.visible_pos));
    q.exec();
    subjects.insert(r.subject);
  }
  // The projection of every subject the rows touched, from what is now held
  // (a held entry is left out, as on the process that stored it).
  std::vector<std::string> touched(subjects.begin(), subjects.end());
  for (const auto& s : touched) memo_forget(s);
  project(touched);
  if (top.ms > 0) hlc_.restore(top);
  return ok_status();
}

void Journal::require_shared(std::string why) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  shared_required_ = std::move(why);
}

Status Journal::write_tx(const std::function<Status()>& body) {
  if (!shared_ && !shared_required_.empty()) return make_error("storage", shared_required_);
  if (!shared_ || shared_depth_ > 0) return schema::in_transaction(*db_, body);
  struct Depth {
    int& d;
    explicit Depth(int& x) : d(x) { ++d; }
    ~Depth() { --d; }
  } depth(shared_depth_);
  WriteGuard guard{*shared_};
  return schema::in_transaction(*db_, [&]() -> Status {
    auto last = shared_->begin_write();
    if (!last.ok()) return last.error();
    guard.open = true;
    // What other processes appended, in this same transaction.
    int64_t local = last_pos();
    while (local < last.value()) {
      auto tail = shared_->read(local, kPage);
      if (!tail.ok()) return tail.error();
      if (tail->rows.empty()) break;
      Status a = apply_shared(tail.value());
      if (!a.ok()) return a;
      local = tail->rows.back().pos;
    }
    if (local != last.value())
      return diverged(*shared_, "it ends at position " + std::to_string(local) + ", the log at " +
                                    std::to_string(last.value()));
    db_->exec("DELETE FROM temp.shared_quarantine_changed");
    Status b = body();
    if (!b.ok()) return b;
    std::vector<LogRow> rows = rows_after(*db_, local, static_cast<size_t>(-1) >> 1);
    std::vector<LogQuarantine> q =
        read_quarantine(*db_, "q.id IN (SELECT id FROM temp.shared_quarantine_changed)", 0, 0);
    guard.open = false;  // commit_write and abort_write both end the write
    if (rows.empty() && q.empty()) {
      shared_->abort_write();
      return ok_status();
    }
    step("shared");
    Status c = shared_->commit_write(rows, q);
    if (!c.ok()) return c;
    step("shared-committed");
    return ok_status();
  });
}

Status Journal::catch_up_shared() try {
  if (!shared_) return ok_status();
  std::lock_guard<std::recursive_mutex> g(mu_);
  for (;;) {
    const int64_t local = last_pos();
    auto tail = shared_->read(local, kPage);
    if (!tail.ok()) return tail.error();
    if (tail->rows.empty()) return ok_status();
    Status s = schema::in_transaction(*db_, [&]() -> Status { return apply_shared(tail.value()); });
    if (!s.ok()) return s;
    if (!tail->more) return ok_status();
  }
} catch (...) {
  return current_exception_error();
}

Status Journal::publish_local(int64_t after_pos) {
  // Every entry is checked (signatures, chains, derived tables) before
  // anything of it goes out: the log is what every process trusts.
  VerifyReport v = verify(5);
  if (!v.ok()) {
    const auto& p = v.problems.front();
    return make_error("journal_broken", "the journal does not verify, nothing was copied: " + p.what +
                                            (p.author_hex.empty() ? "" : " (author " + p.author_hex.substr(0, 16) +
                                                                             "…, seq " + std::to_string(p.seq) + ")"),
                      "journal");
  }
  int64_t from = after_pos;
  for (;;) {
    std::vector<LogRow> rows = rows_after(*db_, from, kPage);
    if (rows.empty()) return ok_status();
    const int64_t to = rows.back().pos;
    std::vector<LogQuarantine> q = read_quarantine(*db_, "j.pos > ? AND j.pos <= ?", from, to);
    auto last = shared_->begin_write();
    if (!last.ok()) return last.error();
    if (last.value() != from) {
      shared_->abort_write();
      return diverged(*shared_, "another process wrote to the log while this journal was copied to it (the log "
                                "is at position " + std::to_string(last.value()) + ")");
    }
    Status c = shared_->commit_write(rows, q);
    if (!c.ok()) return c;
    from = to;
  }
}

Status Journal::set_shared_log(std::shared_ptr<SharedLog> log) try {
  std::lock_guard<std::recursive_mutex> g(mu_);
  if (!log) {
    shared_.reset();
    return ok_status();
  }
  db_->exec(
      "CREATE TEMP TABLE IF NOT EXISTS shared_quarantine_changed (id BLOB PRIMARY KEY);"
      "CREATE TEMP TRIGGER IF NOT EXISTS shared_quarantine_ins AFTER INSERT ON main.quarantine BEGIN "
      "INSERT OR IGNORE INTO shared_quarantine_changed (id) VALUES (NEW.id); END;"
      "CREATE TEMP TRIGGER IF NOT EXISTS shared_quarantine_upd AFTER UPDATE ON main.quarantine BEGIN "
      "INSERT OR IGNORE INTO shared_quarantine_changed (id) VALUES (NEW.id); END;");
  const int64_t local = last_pos();
  auto last = log->begin_write();
  if (!last.ok()) return last.error();
  log->abort_write();
  shared_ = log;
  auto fail = [&](Error e) -> Status {
    shared_.reset();
    return e;
  };
  // The same entries at the first and the last position both hold (each
  // entry's id covers its chain back to its author's first entry).
  const int64_t common = std::min(local, last.value());
  if (common > 0) {
    for (int64_t at : {int64_t{1}, common}) {
      auto t = log->read(at - 1, 1);
      if (!t.ok()) return fail(t.error());
      std::vector<LogRow> mine = rows_after(*db_, at - 1, 1);
      if (t->rows.empty() || mine.empty() || t->rows.front().id != mine.front().id)
        return fail(diverged(*log, "position " + std::to_string(at) + " holds another entry"));
    }
  }
  if (local > last.value()) {
    // An empty log (this journal is the first on it), or a copy to it that
    // stopped part way: the rest goes on, each entry verified first.
    Status p = publish_local(last.value());
    if (!p.ok()) return fail(p.error());
  }
  return catch_up_shared();
} catch (...) {
  shared_.reset();
  return current_exception_error();
}

}  // namespace motcua::node
