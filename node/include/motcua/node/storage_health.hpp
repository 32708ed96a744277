// What a running node knows about its storage between requests: the last
// storage fault (storage_full / storage_unwritable) a write ran into, kept
// until a probe write proves the disk takes writes again. /healthz reads it
// (docs/design/0030-storage-faults.md). Thread-safe.
#pragma once
#include <cstdint>
#include <mutex>
#include <optional>

#include "motcua/result.hpp"

namespace motcua::node {

class StorageHealth {
 public:
  // Records `e` if it is a storage fault (schema::is_storage_fault); true
  // when this starts a fault (none was recorded).
  bool note(const Error& e);
  // The recorded fault, if any.
  std::optional<Error> fault() const;
  // Forgets the recorded fault; true when there was one.
  bool clear();
  // Faults recorded since start (each note() of a fault counts).
  int64_t faults_total() const;

 private:
  mutable std::mutex mu_;
  std::optional<Error> fault_;
  int64_t total_ = 0;
};

}  // namespace motcua::node
