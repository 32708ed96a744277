// Causal order of a dossier's entries: the same set gives the same order.
#include <algorithm>
#include <set>
#include <unordered_map>

#include "calendar.hpp"
#include "dossier_projection.hpp"

namespace motcua::node::proj {

Graph build_graph(const std::vector<Entry>& entries) {
  // Sort by the journal's total order and drop duplicates, so arrival order
  // and repeats do not matter.
  std::vector<const Entry*> sorted;
  sorted.reserve(entries.size());
  for (const auto& e : entries) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(), [](const Entry* a, const Entry* b) {
    if (entry_order_less(*a, *b)) return true;
    if (entry_order_less(*b, *a)) return false;
    return a->id < b->id;
  });
  sorted.erase(std::unique(sorted.begin(), sorted.end(), [](const Entry* a, const Entry* b) { return a->id == b->id; }),
               sorted.end());
  const size_t n = sorted.size();
  std::unordered_map<Hash32, size_t, IdHash> index;
  for (size_t i = 0; i < n; ++i) index.emplace(sorted[i]->id, i);

  // Kahn's algorithm; among ready entries the smallest in the total order
  // goes first. Parents outside the set are ignored.
  std::vector<std::vector<size_t>> children(n);
  std::vector<size_t> pending(n, 0);
  for (size_t i = 0; i < n; ++i)
    for (const auto& p : sorted[i]->parents) {
      auto it = index.find(p);
      if (it == index.end() || it->second == i) continue;
      children[it->second].push_back(i);
      ++pending[i];
    }
  std::set<size_t> ready;
  for (size_t i = 0; i < n; ++i)
    if (pending[i] == 0) ready.insert(i);
  std::vector<size_t> topo;
  while (!ready.empty()) {
    size_t i = *ready.begin();
    ready.erase(ready.begin());
    topo.push_back(i);
    for (size_t c : children[i])
      if (--pending[c] == 0) ready.insert(c);
  }
  // A parent cycle cannot be signed honestly (ids are hashes of content that
  // names the parents); if one is met anyway, the rest follow in total order.
  for (size_t i = 0; i < n; ++i)
    if (pending[i] != 0) topo.push_back(i);

  Graph g;
  std::vector<size_t> pos_of(n);
  for (size_t k = 0; k < n; ++k) {
    g.order.push_back(sorted[topo[k]]);
    pos_of[topo[k]] = k;
  }
  g.ancestor.assign(n, std::vector<bool>(n, false));
  for (size_t k = 0; k < n; ++k) {
    const Entry& e = *g.order[k];
    for (const auto& p : e.parents) {
      auto it = index.find(p);
      if (it == index.end()) continue;
      size_t pk = pos_of[it->second];
      if (pk >= k) continue;
      g.ancestor[k][pk] = true;
      for (size_t a = 0; a < k; ++a)
        if (g.ancestor[pk][a]) g.ancestor[k][a] = true;
    }
  }
  return g;
}

std::string conflict_id(const Graph& g, const Conflict& c) {
  std::vector<std::string> ids;
  for (size_t i : c.entries) ids.push_back(hex_id(*g.order[i]));
  std::sort(ids.begin(), ids.end());
  std::string material = c.kind;
  for (const auto& id : ids) material += "|" + id;
  return to_hex(blake2b256(material)).substr(0, 32);
}

std::string iso(int64_t ms) { return cal::iso_utc(ms); }
std::string hex_id(const Entry& e) { return to_hex(e.id); }

}  // namespace motcua::node::proj
