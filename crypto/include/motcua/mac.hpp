// Keyed BLAKE2b (a MAC), kept apart from crypto.hpp: only the enrolment of
// sync protocol v2 uses it.
#pragma once
#include <string_view>

#include "motcua/crypto.hpp"

namespace motcua {

// BLAKE2b-256 keyed with a 32-byte key (libsodium crypto_generichash).
Hash32 blake2b256_keyed(const Hash32& key, std::string_view data);

}  // namespace motcua
