// A projected state as the journal stores it: its canonical bytes and its
// subject_state_hash (docs/sync-protocol.md section 17), made from one
// serialisation of each member. Private to the node library; tested against
// canonical_bytes and subject_state_hash directly.
#pragma once
#include <string>
#include <utility>

#include "motcua/canonical.hpp"
#include "motcua/crypto.hpp"

namespace motcua::node {

std::pair<std::string, Hash32> stored_state_and_hash(const Json& state);

}  // namespace motcua::node
