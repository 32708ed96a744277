#include "motcua/node/storage_health.hpp"

#include "motcua/schema/storage.hpp"

namespace motcua::node {

bool StorageHealth::note(const Error& e) {
  if (!schema::is_storage_fault(e)) return false;
  std::lock_guard<std::mutex> g(mu_);
  ++total_;
  const bool starts = !fault_.has_value();
  fault_ = e;
  return starts;
}

std::optional<Error> StorageHealth::fault() const {
  std::lock_guard<std::mutex> g(mu_);
  return fault_;
}

bool StorageHealth::clear() {
  std::lock_guard<std::mutex> g(mu_);
  const bool had = fault_.has_value();
  fault_.reset();
  return had;
}

int64_t StorageHealth::faults_total() const {
  std::lock_guard<std::mutex> g(mu_);
  return total_;
}

}  // namespace motcua::node
