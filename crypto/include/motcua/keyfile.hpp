// The node's identity key on disk. File mode must be 0600 (refused if wider);
// optionally sealed with a passphrase (Argon2id + secretbox) for shared PCs.
// Format: docs/journal-format.md, "Key file".
#pragma once
#include <optional>
#include <string>

#include "motcua/crypto.hpp"

namespace motcua {

// Writes a new key file. Refuses to overwrite an existing file.
Status save_key_file(const std::string& path, const KeyPair& kp, const std::optional<std::string>& passphrase,
                     Random& rng, bool fast_kdf_for_tests = false);

// Loads the key file, checking mode (0600 or narrower), format and that the
// public key matches the secret key. Errors: insecure_key_file, corrupt_key_file,
// passphrase_required, wrong_passphrase, io_error.
Result<KeyPair> load_key_file(const std::string& path, const std::optional<std::string>& passphrase);

}  // namespace motcua
