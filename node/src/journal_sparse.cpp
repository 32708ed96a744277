// Journal::ingest_batch / ingest_sparse: the old entry points, thin wrappers
// of ingest(entries, options) (journal_ingest.cpp). Entries are parsed and
// verified on several threads before the journal lock is taken. A point holds only the dossiers in its scope, so other authors'
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

Result<int64_t> Journal::ingest_batch(const std::vector<Entry>& entries, bool sparse) {
  IngestOptions o;
  o.sparse = sparse;
  auto r = ingest_impl(entries, o, true);
  if (!r.ok()) return r.error();
  return r->stored;
}

}  // namespace motcua::node
