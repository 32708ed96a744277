// A journal shared by several processes (docs/design/0112-shared-hub-log.md).
//
// Several hub processes serve one province from one database (PostgreSQL):
// the truth is the shared log, and each process's SQLite journal is its
// replica, brought up to date before every write and every read that must
// be current. Positions are assigned under the log's write lock, so they are
// in commit order: a reader that sees position n has seen every position
// below it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "motcua/node/journal.hpp"
#include "motcua/result.hpp"

namespace motcua::node {

// One journal row at its position: the signed bytes and what is stored
// beside them (the columns of table journal).
struct LogRow {
  int64_t pos = 0;
  Hash32 id{};
  PublicKey author{};
  int64_t seq = 0;
  Hash32 prev{};
  int64_t hlc_ms = 0, hlc_c = 0;
  std::string type, subject;
  std::string canonical;  // the exact signed bytes
  Signature sig{};
  int64_t received_ms = 0;
};

// A quarantine row as the last write that changed it left it. `pos`: the
// held entry's journal position; `visible_pos`: as table quarantine.
struct LogQuarantine {
  QuarantineRow row;
  int64_t pos = 0;
  int64_t visible_pos = 0;
};

// What a reader gets: rows after its position, in order, and the quarantine
// rows of entries at or below the last of them changed since its position.
struct LogTail {
  std::vector<LogRow> rows;
  std::vector<LogQuarantine> quarantine;
  bool more = false;  // rows beyond the limit
};

class SharedLog {
 public:
  virtual ~SharedLog() = default;
  // Where the log lives, for messages (never a password).
  virtual std::string describe() const = 0;
  // Committed rows after `after_pos` (at most `limit`) and the quarantine
  // changes that go with them (see LogTail). Never a position whose
  // predecessor is missing.
  virtual Result<LogTail> read(int64_t after_pos, size_t limit) = 0;
  // Starts a write: takes the log's write lock (every other writer waits
  // until commit_write or abort_write) and returns the last position.
  virtual Result<int64_t> begin_write() = 0;
  // Appends `rows` (positions last+1, last+2, ... exactly), moves each
  // author's chain head by compare-and-set from what the log held before,
  // stores the quarantine rows, and commits; the lock is released.
  // Anything refused (a position or head that moved) changes nothing.
  virtual Status commit_write(const std::vector<LogRow>& rows, const std::vector<LogQuarantine>& quarantine) = 0;
  // Gives up the write begun (nothing of it is kept); the lock is released.
  virtual void abort_write() = 0;
};

}  // namespace motcua::node
