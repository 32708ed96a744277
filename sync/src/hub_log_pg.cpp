// The hub's journal on PostgreSQL: a SharedLog (node/shared_log.hpp) that
// several hub processes write and read (docs/design/0112-shared-hub-log.md).
//
// Positions are given under one transaction-scoped advisory lock, taken by
// begin_write and released when the transaction ends; PostgreSQL makes a
// transaction visible before it releases its locks, so the next writer's
// rows become visible after the previous writer's: readers see the log grow
// by prefixes and never skip a position. Chain heads move by
// compare-and-set (UPDATE ... WHERE seq = expected, row count checked).
#include <libpq-fe.h>

#include <charconv>
#include <cstring>
#include <map>

#include "motcua/node/shared_log.hpp"
#include "motcua/sync/hub_log.hpp"
#include "motcua/sync/hub_store.hpp"

namespace motcua::sync {

namespace {

// pg_advisory_xact_lock keys: the migrations (shared with the hub store's)
// and the log's write lock.
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(120243980121441)";
constexpr const char* kWriteLock = "SELECT pg_advisory_xact_lock(120243980121442)";

const std::vector<const char*>& log_migrations() {
  static const std::vector<const char*> m = {
      R"SQL(
CREATE TABLE motcua.hub_journal (
  pos         BIGINT PRIMARY KEY CHECK (pos > 0),
  id          BYTEA NOT NULL UNIQUE CHECK (octet_length(id) = 32),
  author      BYTEA NOT NULL CHECK (octet_length(author) = 32),
  seq         BIGINT NOT NULL CHECK (seq > 0),
  prev        BYTEA NOT NULL,
  hlc_ms      BIGINT NOT NULL,
  hlc_c       BIGINT NOT NULL,
  type        TEXT NOT NULL,
  subject     TEXT COLLATE "C" NOT NULL,
  canonical   BYTEA NOT NULL,
  sig         BYTEA NOT NULL CHECK (octet_length(sig) = 64),
  received_ms BIGINT NOT NULL,
  UNIQUE (author, seq)
);
CREATE TABLE motcua.hub_heads (
  author BYTEA PRIMARY KEY,
  seq    BIGINT NOT NULL,
  id     BYTEA NOT NULL
);
CREATE TABLE motcua.hub_quarantine (
  id          BYTEA PRIMARY KEY,
  pos         BIGINT NOT NULL,
  ver         BIGINT NOT NULL,
  author      BYTEA NOT NULL,
  seq         BIGINT NOT NULL,
  subject     TEXT COLLATE "C" NOT NULL,
  type        TEXT NOT NULL,
  code        TEXT NOT NULL,
  reason      TEXT NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('held', 'released', 'rejected')),
  at_ms       BIGINT NOT NULL,
  decided_ms  BIGINT NOT NULL,
  decided_by  TEXT NOT NULL,
  visible_pos BIGINT NOT NULL
);
CREATE INDEX hub_quarantine_ver ON motcua.hub_quarantine (ver);
)SQL",
  };
  return m;
}

struct Failure {
  std::string sqlstate;
  std::string message;
};

std::string one_line(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char& c : s)
    if (c == '\n') c = ' ';
  return s;
}

using Result_ = std::unique_ptr<PGresult, void (*)(PGresult*)>;

// A parameter: text, or bytes sent in binary.
struct P {
  std::string v;
  bool binary = false;
};
P num(int64_t n) { return P{std::to_string(n), false}; }
P txt(std::string s) { return P{std::move(s), false}; }
template <size_t N>
P bin(const std::array<uint8_t, N>& a) {
  return P{std::string(reinterpret_cast<const char*>(a.data()), N), true};
}
P bin(const std::string& s) { return P{s, true}; }

int64_t be64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return static_cast<int64_t>(v);
}

class PgLog final : public node::SharedLog {
 public:
  PgLog(std::string conninfo, std::string where) : conninfo_(std::move(conninfo)), where_(std::move(where)) {}
  ~PgLog() override {
    if (c_) PQfinish(c_);
  }
  std::string describe() const override { return "PostgreSQL " + where_; }

  Status open() {
    if (Status s = connect(); !s.ok()) return s;
    return guarded([&] {
      const int known = static_cast<int>(log_migrations().size());
      for (;;) {
        exec("BEGIN");
        exec(kMigrationLock);
        exec("CREATE SCHEMA IF NOT EXISTS motcua");
        exec("CREATE TABLE IF NOT EXISTS motcua.log_schema (version INTEGER NOT NULL)");
        Result_ v = exec("SELECT version FROM motcua.log_schema");
        if (PQntuples(v.get()) == 0) exec("INSERT INTO motcua.log_schema (version) VALUES (0)");
        const int version = PQntuples(v.get()) ? std::atoi(PQgetvalue(v.get(), 0, 0)) : 0;
        if (version > known) {
          exec("ROLLBACK");
          throw Failure{"motcua", "the hub's journal tables in schema motcua are at version " +
                                      std::to_string(version) + ", newer than this motcua knows (" +
                                      std::to_string(known) + "): upgrade motcua"};
        }
        if (version == known) {
          exec("COMMIT");
          return;
        }
        script(log_migrations()[static_cast<size_t>(version)]);
        exec("UPDATE motcua.log_schema SET version = $1", {num(version + 1)});
        exec("COMMIT");
      }
    });
  }

  Result<node::LogTail> read(int64_t after, size_t limit) override {
    node::LogTail t;
    Status s = guarded([&] {
      const bool own_tx = !in_write_;
      if (own_tx) {
        reconnect_if_lost();
        // Nothing new (most requests): one indexed query, no transaction.
        Result_ any = exec("SELECT 1 FROM motcua.hub_journal WHERE pos = $1", {num(after + 1)});
        if (PQntuples(any.get()) == 0) return;
        // One snapshot for the rows and the quarantine rows that go with them.
        exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      }
      Result_ r = exec(
          "SELECT pos, id, author, seq, prev, hlc_ms, hlc_c, type, subject, canonical, sig, received_ms "
          "FROM motcua.hub_journal WHERE pos > $1 ORDER BY pos LIMIT $2",
          {num(after), num(static_cast<int64_t>(limit) + 1)}, true);
      const int n = PQntuples(r.get());
      for (int i = 0; i < n && t.rows.size() < limit; ++i) {
        node::LogRow row;
        row.pos = i64(r, i, 0);
        row.id = arr<32>(r, i, 1);
        row.author = arr<32>(r, i, 2);
        row.seq = i64(r, i, 3);
        row.prev = arr<32>(r, i, 4);
        row.hlc_ms = i64(r, i, 5);
        row.hlc_c = i64(r, i, 6);
        row.type = str(r, i, 7);
        row.subject = str(r, i, 8);
        row.canonical = str(r, i, 9);
        row.sig = arr<64>(r, i, 10);
        row.received_ms = i64(r, i, 11);
        t.rows.push_back(std::move(row));
      }
      t.more = n > static_cast<int>(limit);
      if (!t.rows.empty()) {
        Result_ q = exec(
            "SELECT id, author, seq, subject, type, code, reason, state, at_ms, decided_ms, decided_by, "
            "visible_pos, pos FROM motcua.hub_quarantine WHERE ver > $1 AND pos <= $2 ORDER BY pos",
            {num(after), num(t.rows.back().pos)}, true);
        for (int i = 0; i < PQntuples(q.get()); ++i) {
          node::LogQuarantine l;
          l.row.id = arr<32>(q, i, 0);
          l.row.author = arr<32>(q, i, 1);
          l.row.seq = i64(q, i, 2);
          l.row.subject = str(q, i, 3);
          l.row.type = str(q, i, 4);
          l.row.code = str(q, i, 5);
          l.row.reason = str(q, i, 6);
          l.row.state = str(q, i, 7);
          l.row.at_ms = i64(q, i, 8);
          l.row.decided_ms = i64(q, i, 9);
          l.row.decided_by = str(q, i, 10);
          l.visible_pos = i64(q, i, 11);
          l.pos = i64(q, i, 12);
          t.quarantine.push_back(std::move(l));
        }
      }
      if (own_tx) exec("COMMIT");
    });
    if (!s.ok()) {
      if (!in_write_) rollback();
      return s.error();
    }
    return t;
  }

  Result<int64_t> begin_write() override {
    if (in_write_) return make_error("storage", "a write on the hub's journal is already open");
    int64_t last = 0;
    Status s = guarded([&] {
      reconnect_if_lost();
      exec("BEGIN");
      in_write_ = true;
      exec(kWriteLock);
      // Read after the lock: every earlier writer has committed.
      Result_ r = exec("SELECT coalesce(max(pos), 0) FROM motcua.hub_journal", {}, true);
      last = i64(r, 0, 0);
    });
    if (!s.ok()) {
      rollback();
      return s.error();
    }
    last_ = last;
    return last;
  }

  Status commit_write(const std::vector<node::LogRow>& rows, const std::vector<node::LogQuarantine>& quarantine) override {
    if (!in_write_) return make_error("storage", "no write on the hub's journal is open");
    Status s = guarded([&] {
      // Positions follow the last one exactly; each author's seqs follow its head.
      std::map<PublicKey, std::tuple<int64_t, int64_t, Hash32>> moves;  // first seq, last seq, last id
      int64_t next = last_ + 1;
      for (const auto& r : rows) {
        if (r.pos != next++)
          throw Failure{"motcua", "position " + std::to_string(r.pos) + " does not follow the log's last (" +
                                      std::to_string(last_) + ")"};
        auto [it, fresh] = moves.emplace(r.author, std::make_tuple(r.seq, r.seq, r.id));
        if (!fresh) {
          if (r.seq != std::get<1>(it->second) + 1)
            throw Failure{"motcua", "seq " + std::to_string(r.seq) + " of an author does not follow its seq " +
                                        std::to_string(std::get<1>(it->second)) + " in the same write"};
          it->second = std::make_tuple(std::get<0>(it->second), r.seq, r.id);
        }
      }
      for (const auto& [author, m] : moves) {
        const auto& [first, lastseq, id] = m;
        Result_ u = exec("UPDATE motcua.hub_heads SET seq = $3, id = $4 WHERE author = $1 AND seq = $2",
                         {bin(author), num(first - 1), num(lastseq), bin(id)});
        if (affected(u) == 1) continue;
        if (first == 1) {
          Result_ i = exec("INSERT INTO motcua.hub_heads (author, seq, id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                           {bin(author), num(lastseq), bin(id)});
          if (affected(i) == 1) continue;
        }
        throw Failure{"motcua", "the chain head of an author moved (expected seq " + std::to_string(first - 1) +
                                    "): another writer got there first"};
      }
      // The rows, a few hundred per statement.
      constexpr size_t kChunk = 400;
      for (size_t at = 0; at < rows.size(); at += kChunk) {
        const size_t end = std::min(rows.size(), at + kChunk);
        std::string sql =
            "INSERT INTO motcua.hub_journal (pos, id, author, seq, prev, hlc_ms, hlc_c, type, subject, canonical, "
            "sig, received_ms) VALUES ";
        std::vector<P> args;
        args.reserve((end - at) * 12);
        for (size_t i = at; i < end; ++i) {
          const auto& r = rows[i];
          const size_t b = args.size();
          sql += (i == at ? "(" : ",(");
          for (size_t k = 1; k <= 12; ++k) sql += "$" + std::to_string(b + k) + (k < 12 ? "," : ")");
          args.push_back(num(r.pos));
          args.push_back(bin(r.id));
          args.push_back(bin(r.author));
          args.push_back(num(r.seq));
          args.push_back(bin(r.prev));
          args.push_back(num(r.hlc_ms));
          args.push_back(num(r.hlc_c));
          args.push_back(txt(r.type));
          args.push_back(txt(r.subject));
          args.push_back(bin(r.canonical));
          args.push_back(bin(r.sig));
          args.push_back(num(r.received_ms));
        }
        exec(sql, args);
      }
      const int64_t ver = rows.empty() ? last_ : rows.back().pos;
      for (const auto& l : quarantine) {
        const auto& q = l.row;
        exec(
            "INSERT INTO motcua.hub_quarantine (id, pos, ver, author, seq, subject, type, code, reason, state, at_ms, "
            "decided_ms, decided_by, visible_pos) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14) "
            "ON CONFLICT (id) DO UPDATE SET ver = excluded.ver, code = excluded.code, reason = excluded.reason, "
            "state = excluded.state, decided_ms = excluded.decided_ms, decided_by = excluded.decided_by, "
            "visible_pos = excluded.visible_pos",
            {bin(q.id), num(l.pos), num(ver), bin(q.author), num(q.seq), txt(q.subject), txt(q.type), txt(q.code),
             txt(q.reason), txt(q.state), num(q.at_ms), num(q.decided_ms), txt(q.decided_by), num(l.visible_pos)});
      }
      exec("COMMIT");
      in_write_ = false;
    });
    if (!s.ok()) rollback();
    return s;
  }

  void abort_write() override { rollback(); }

 private:
  Status connect() {
    const char* keys[] = {"connect_timeout", "fallback_application_name", "options", "dbname", nullptr};
    const char* vals[] = {"10", "motcua-hub-journal", "-c lock_timeout=60000", conninfo_.c_str(), nullptr};
    if (c_) PQfinish(c_);
    c_ = PQconnectdbParams(keys, vals, 1);
    if (!c_) return make_error("storage", "PostgreSQL (" + where_ + "): out of memory", "hub_postgres");
    if (PQstatus(c_) != CONNECTION_OK)
      return make_error("storage", "cannot connect to PostgreSQL (" + where_ + "): " + one_line(PQerrorMessage(c_)),
                        "hub_postgres");
    PQsetClientEncoding(c_, "UTF8");
    PQsetNoticeProcessor(c_, [](void*, const char*) {}, nullptr);
    return ok_status();
  }
  void reconnect_if_lost() {
    if (c_ && PQstatus(c_) == CONNECTION_OK) return;
    Status s = connect();
    if (!s.ok()) throw Failure{"", s.error().message};
  }
  void rollback() {
    in_write_ = false;
    if (c_ && PQstatus(c_) == CONNECTION_OK && PQtransactionStatus(c_) != PQTRANS_IDLE)
      PQclear(PQexec(c_, "ROLLBACK"));
  }
  template <class F>
  Status guarded(F&& f) {
    try {
      f();
      return ok_status();
    } catch (const Failure& e) {
      if (e.sqlstate.empty() || e.sqlstate.rfind("08", 0) == 0 || e.sqlstate.rfind("57P", 0) == 0)
        return make_error("storage", "the hub's journal on PostgreSQL (" + where_ + ") is not reachable: " + e.message,
                          "hub_postgres");
      return make_error("storage", "the hub's journal on PostgreSQL (" + where_ + "): " + e.message, "journal");
    }
  }
  Result_ exec(const std::string& sql, const std::vector<P>& args = {}, bool binary_result = false) {
    if (!c_) throw Failure{"", "no connection"};
    if (pg_statement_recorder_on()) {
      PgStatement s{sql, {}, {}};
      for (const auto& a : args) {
        s.params.push_back(a.v);
        s.binary.push_back(a.binary);
      }
      record_pg_statement(s);
    }
    std::vector<const char*> values(args.size());
    std::vector<int> lengths(args.size()), formats(args.size());
    for (size_t i = 0; i < args.size(); ++i) {
      values[i] = args[i].v.data();
      lengths[i] = static_cast<int>(args[i].v.size());
      formats[i] = args[i].binary ? 1 : 0;
    }
    Result_ r(PQexecParams(c_, sql.c_str(), static_cast<int>(args.size()), nullptr, values.data(), lengths.data(),
                           formats.data(), binary_result ? 1 : 0),
              &PQclear);
    const ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      const char* state = r ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
      throw Failure{state ? state : "", one_line(r ? PQresultErrorMessage(r.get()) : PQerrorMessage(c_))};
    }
    return r;
  }
  void script(const char* sql) {
    Result_ r(PQexec(c_, sql), &PQclear);
    if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
      const char* state = r ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
      throw Failure{state ? state : "", one_line(r ? PQresultErrorMessage(r.get()) : PQerrorMessage(c_))};
    }
  }
  static int64_t affected(const Result_& r) {
    const char* t = PQcmdTuples(r.get());
    int64_t v = 0;
    std::from_chars(t, t + std::strlen(t), v);
    return v;
  }
  // Binary results: int8 big-endian, bytea and text as their bytes.
  static int64_t i64(const Result_& r, int row, int col) {
    if (PQgetlength(r.get(), row, col) != 8) throw Failure{"motcua", "a number column is not 8 bytes"};
    return be64(PQgetvalue(r.get(), row, col));
  }
  static std::string str(const Result_& r, int row, int col) {
    return std::string(PQgetvalue(r.get(), row, col), static_cast<size_t>(PQgetlength(r.get(), row, col)));
  }
  template <size_t N>
  static std::array<uint8_t, N> arr(const Result_& r, int row, int col) {
    std::array<uint8_t, N> a{};
    if (PQgetlength(r.get(), row, col) != static_cast<int>(N))
      throw Failure{"motcua", "a column holds " + std::to_string(PQgetlength(r.get(), row, col)) + " bytes, not " +
                                  std::to_string(N)};
    std::memcpy(a.data(), PQgetvalue(r.get(), row, col), N);
    return a;
  }

  std::string conninfo_, where_;
  PGconn* c_ = nullptr;
  bool in_write_ = false;
  int64_t last_ = 0;
};

}  // namespace

Result<std::shared_ptr<node::SharedLog>> open_postgres_log(const std::string& conninfo) {
  {
    char* err = nullptr;
    PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
    if (err) PQfreemem(err);
    if (!opts) return make_error("invalid_value", "the PostgreSQL connection string does not parse", "hub_postgres");
    bool password = false;
    for (PQconninfoOption* o = opts; o->keyword; ++o)
      if (std::strcmp(o->keyword, "password") == 0 && o->val && *o->val) password = true;
    PQconninfoFree(opts);
    if (password)
      return make_error("invalid_value",
                        "the PostgreSQL connection string must not carry a password: put it in PGPASSFILE or "
                        "~/.pgpass (or PGPASSWORD in the service's environment)",
                        "hub_postgres");
  }
  auto log = std::make_shared<PgLog>(conninfo, describe_conninfo(conninfo));
  if (Status s = log->open(); !s.ok()) return s.error();
  return std::shared_ptr<node::SharedLog>(log);
}

Status attach_postgres_log(node::Node& node, const std::string& conninfo) {
  auto log = open_postgres_log(conninfo);
  if (!log.ok()) return log.error();
  return node.journal().set_shared_log(log.value());
}

}  // namespace motcua::sync
