// DossierService internals shared by its source files.
#pragma once
#include <atomic>
#include <optional>
#include <string>

#include "motcua/node/dossiers.hpp"
#include "motcua/node/node.hpp"

namespace motcua::node {

struct DossierService::Impl {
  explicit Impl(Node& n) : node(n) {}
  Node& node;
  std::atomic<bool> seeded{false};

  // Loads the built-in catalogue and holidays once.
  Status ready();
  // Whether an attachment id names a stored blob.
  bool blob_exists(const std::string& id);
  // The projection of a dossier, or not_found.
  Result<Json> state(const std::string& code);
  // The API view of a state: internal keys removed, read-time fields added.
  Json view(Json state);
  // Business time: a point whose clock is off corrects it by the hub's skew.
  int64_t now() { return node.business_now_ms(); }
};

}  // namespace motcua::node
