// The dossier projection kept as a fold while a write transaction runs, so an
// entry that extends a dossier is applied to the state already built instead
// of the whole dossier being projected again (docs/design/0117-projection-fold.md).
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "motcua/node/entry.hpp"

namespace motcua::node {

// The fold keeps no copy of the entries: it points into the caller's list
// (the journal's subject memo), which may move as it grows. Every use after
// the list changed begins with rebind(list).
class DossierFold {
 public:
  // The fold of `entries` (one dossier's, any order, repeats allowed), or
  // nullptr where the fold would not give dossier_projector's answer: no
  // dossier.* entry (the summary projector answers), a parent cycle, or a
  // body the projector cannot read (it answers "damaged").
  static std::unique_ptr<DossierFold> start(const std::string& subject, const std::vector<Entry>& entries);
  ~DossierFold();
  DossierFold(const DossierFold&) = delete;
  DossierFold& operator=(const DossierFold&) = delete;

  enum class Step { Extended, NotAfter, Broken };
  // Adds `e` when every entry held is its ancestor (through parents held
  // here). NotAfter: `e` is held already or concurrent with some entry; the
  // fold is unchanged. Broken: applying it threw; the fold must be dropped.
  // `e` must stay where it is until the next rebind.
  Step extend(const Entry& e);
  // Points the fold at `entries`, which hold every entry the fold holds (and
  // may hold more, not yet extended).
  void rebind(const std::vector<Entry>& entries);

  bool holds(const Hash32& id) const;
  size_t size() const;
  // dossier_projector's answer for the entries held; nullopt (the fold must be
  // dropped) if the output threw. Kept until the next extend.
  std::optional<Json> output();
  // {area, origin_point, return_point} as output() has them, without
  // building the rest (admission's rule 3 reads only these).
  Json scope() const;

 private:
  struct Impl;
  explicit DossierFold(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A write transaction's folds, one per subject (the journal keeps one beside
// its subject memo and clears both together).
class SubjectFolds {
 public:
  // The fold whose entries are exactly `entries`: the subject's fold when the
  // entries are its own plus entries that each come after all before them,
  // else a new one; nullptr where the projector must answer (no fold can).
  DossierFold* fold_for(const std::string& subject, const std::vector<Entry>& entries);
  // dossier_projector(subject, entries), from the fold when there is one.
  Json project(const std::string& subject, const std::vector<Entry>& entries);
  void forget(const std::string& subject);
  void clear();

 private:
  std::unordered_map<std::string, std::unique_ptr<DossierFold>> folds_;
};

// The fields of a projected state that decide scope (AdmitContext::scope):
// {area, origin_point, return_point}, null where the state has none; Json()
// where the state is not an object.
Json scope_fields(const Json& state);

}  // namespace motcua::node
