// The journal's folds, one per dossier, for the length of a write transaction
// (docs/design/0117-projection-fold.md).
#include <set>

#include "dossier_fold.hpp"
#include "motcua/node/dossiers.hpp"

namespace motcua::node {

DossierFold* SubjectFolds::fold_for(const std::string& subject, const std::vector<Entry>& entries) {
  auto& fold = folds_[subject];
  if (fold) {
    const size_t before = fold->size();
    std::set<Hash32> held;
    std::vector<const Entry*> fresh;
    for (const auto& e : entries) {
      if (fold->holds(e.id)) held.insert(e.id);
      else fresh.push_back(&e);
    }
    // Not every entry the fold holds (an entry's causal past, for admission):
    // the caller asks the projector; the fold is kept for the whole list.
    if (held.size() < before) return nullptr;
    fold->rebind(entries);
    bool extended = true;
    for (const Entry* e : fresh) {
      if (fold->extend(*e) == DossierFold::Step::Extended) continue;
      extended = false;  // not after the others (or it threw: the fold is dropped either way)
      break;
    }
    if (extended) return fold.get();
  }
  fold = DossierFold::start(subject, entries);
  return fold.get();
}

Json SubjectFolds::project(const std::string& subject, const std::vector<Entry>& entries) {
  if (DossierFold* fold = fold_for(subject, entries)) {
    if (auto out = fold->output()) return std::move(*out);
    folds_.erase(subject);
  }
  return dossier_projector(subject, entries);
}

Json scope_fields(const Json& state) {
  if (!state.is_object()) return Json();
  Json s = Json::object();
  for (const char* k : {"area", "origin_point", "return_point"}) s[k] = state.contains(k) ? state[k] : Json(nullptr);
  return s;
}

void SubjectFolds::forget(const std::string& subject) { folds_.erase(subject); }
void SubjectFolds::clear() { folds_.clear(); }

}  // namespace motcua::node
