// Canonical JSON: the exact bytes that are hashed and signed.
// Specified in docs/journal-format.md; vectors in tests/vectors/.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "motcua/json_read.hpp"
#include "motcua/result.hpp"

namespace motcua {

using Json = nlohmann::json;

// Signed data nests at most this deep: an API body (kMaxJsonDepth) wrapped in
// an entry's envelope always fits; anything deeper is never signed or stored.
inline constexpr int kMaxSignedDepth = kMaxJsonDepth + 8;

// Checks that `j` may be signed: no floating-point numbers, integers within
// [-2^53+1, 2^53-1], every string (keys too) valid UTF-8 in NFC, nesting at
// most kMaxSignedDepth levels.
// On failure the Error's field is the JSON path of the first offending value.
Status check_canonical(const Json& j);

// The canonical bytes of `j`: object keys sorted by their UTF-8 bytes, no
// insignificant whitespace, strings as UTF-8 with only '"', '\\' and control
// characters escaped, integers in shortest decimal form. REQUIRES check_canonical(j).
std::string canonical_bytes(const Json& j);

// Parses `text` and checks it is exactly canonical (re-encoding gives the same
// bytes). Used by verify on stored entries.
Result<Json> parse_canonical(const std::string& text);

}  // namespace motcua
