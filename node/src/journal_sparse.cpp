// Journal::ingest_batch / ingest_sparse: the old entry points, thin wrappers
// of ingest(entries, options) (journal_ingest.cpp), where entries are parsed
// and verified on worker threads (parse_stream.hpp). A point holds only the dossiers in its scope, so other authors'
// chains arrive with gaps (sparse); each gap is recorded in journal_gaps and
// verify() accepts exactly those. The node's own chain stays contiguous.
#include <algorithm>
#include <set>

#include "motcua/node/journal.hpp"
#include "motcua/schema/columns.hpp"
#include "motcua/schema/database.hpp"
#include "motcua/schema/storage.hpp"

namespace motcua::node {

using schema::bind_array;
using schema::blob_array;

Result<int64_t> Journal::ingest_sparse(const std::vector<Entry>& entries) { return ingest_batch(entries, true); }

Result<int64_t> Journal::ingest_batch(const std::vector<Entry>& entries, bool sparse) {
  IngestOptions o;
  o.sparse = sparse;
  auto r = ingest_impl(entries, o, true);
  if (!r.ok()) return r.error();
  return r->stored;
}

}  // namespace motcua::node
