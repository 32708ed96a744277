// Internals of dossier_projector shared by its two source files.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "motcua/node/entry.hpp"

namespace motcua::node::proj {

// Entry ids are hashes already: their first bytes serve as a hash table key.
struct IdHash {
  size_t operator()(const Hash32& h) const {
    size_t v = 0;
    for (size_t i = 0; i < sizeof v; ++i) v = (v << 8) | h[i];
    return v;
  }
};

// The entries of one dossier in a deterministic causal order, with their
// ancestry, independent of the order they were given in.
struct Graph {
  std::vector<const Entry*> order;             // topological, ties by entry_order_less
  std::vector<std::vector<bool>> ancestor;     // ancestor[i][j]: order[j] is an ancestor of order[i]
  bool concurrent(size_t i, size_t j) const { return i != j && !ancestor[i][j] && !ancestor[j][i]; }
};
Graph build_graph(const std::vector<Entry>& entries);

// A conflict the rules settled (DOMAIN.md "Conflicts").
struct Conflict {
  std::string kind;
  std::vector<size_t> entries;  // indexes into Graph::order
  long winner = -1;             // index, or -1 when both stand
  std::string settled;          // what the rule decided, in words
  Json details = Json::array();
};

// Stable id: hash of the kind and the sorted entry ids.
std::string conflict_id(const Graph& g, const Conflict& c);

std::string iso(int64_t ms);
std::string hex_id(const Entry& e);

}  // namespace motcua::node::proj
