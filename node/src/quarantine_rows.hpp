// A row of table quarantine as read by the journal (journal_ingest.cpp,
// journal_shared.cpp): columns id, author, seq, subject, type, code, reason,
// state, at_ms, decided_ms, decided_by, in that order, from column 0.
#pragma once
#include <SQLiteCpp/SQLiteCpp.h>

#include "motcua/node/journal.hpp"
#include "motcua/schema/columns.hpp"

namespace motcua::node {

inline QuarantineRow quarantine_row_from(SQLite::Statement& q) {
  QuarantineRow r;
  r.id = schema::blob_array<32>(q.getColumn(0));
  r.author = schema::blob_array<32>(q.getColumn(1));
  r.seq = q.getColumn(2).getInt64();
  r.subject = q.getColumn(3).getString();
  r.type = q.getColumn(4).getString();
  r.code = q.getColumn(5).getString();
  r.reason = q.getColumn(6).getString();
  r.state = q.getColumn(7).getString();
  r.at_ms = q.getColumn(8).getInt64();
  r.decided_ms = q.getColumn(9).getInt64();
  r.decided_by = q.getColumn(10).getString();
  return r;
}

}  // namespace motcua::node
