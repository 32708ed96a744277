// The hub's subject -> scope index and the scoped reads of a pull
// (docs/sync-protocol.md section 6). Reads the journal table directly, under
// the journal lock, so a pull never parses or scans entries outside its range.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "motcua/sync/hub_store.hpp"
#include "sync_codec.hpp"

namespace motcua::node {
class Node;
}

namespace motcua::sync::scope {

struct Scope {
  std::string area, return_point, origin_point;
  bool operator==(const Scope&) const = default;
};

// Scope fields of a subject's projected state ("" when absent).
Scope scope_of(const Json& state);

// Indexes every subject touched since the last call (incremental).
void catch_up(node::Node& n);

// Where a paged history of dossiers newly in scope stands (section 4.4,
// "history"): the newer range ends at `upto`, the older entries up to
// journal position `pos` have been sent.
struct History {
  int64_t upto = 0;
  int64_t pos = 0;
};

struct Batch {
  std::vector<wire::WireEntry> entries;
  int64_t next = 0;
  bool more = false;
  std::optional<History> history;  // set on a page of older entries: ask again with it (next == after)
};

// Entries in `p`'s scope after `after` (section 4.4), at most about `limit`
// entries and `max_bytes` canonical bytes in total, older histories of
// dossiers newly in scope included (paged with `history`). REQUIRES catch_up() first.
Batch read(node::Node& n, const PointRecord& p, int64_t after, size_t limit, size_t max_bytes,
           std::optional<History> resume = std::nullopt);

// Number of entries in `p`'s scope after `after`.
int64_t pending(node::Node& n, const PointRecord& p, int64_t after);

// pending() carried from one call to the next for one point (each /metrics
// scrape and status lists every point; docs/design/0115): the last count is
// moved by what the cursor passed and what was indexed since, so a scrape
// costs the positions since the last one, not the point's whole lag. Counted
// in full again when the point's scope or key changed, its cursor went back,
// or the feed changed other than by appending (a subject moved to other
// keys: sync_state scope_moves).
struct PendingMemo {
  std::string area, name;
  std::optional<PublicKey> key;
  int64_t after = -1, top = 0, moves = -1, value = 0;
  int64_t counted = 0;  // feed positions the last call read (tests)
};
int64_t pending(node::Node& n, const PointRecord& p, int64_t after, PendingMemo& memo);

// Whether attachment `blob_id` is referenced (table blob_refs) by a subject in
// `p`'s scope (docs/sync-protocol.md 12.2). REQUIRES catch_up() and
// blobs::catch_up_refs() first.
bool blob_in_scope(node::Node& n, const PointRecord& p, const std::string& blob_id);

}  // namespace motcua::sync::scope
