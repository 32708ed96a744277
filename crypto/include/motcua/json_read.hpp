// The one way motcua reads JSON that came from outside the process (HTTP
// bodies, sync message headers, entries, bundles, imports, key files):
// bounded in size and in nesting, so no input can exhaust the stack, the
// CPU or the memory. docs/design/0006-bounded-input.md says why.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "motcua/result.hpp"

namespace motcua {

using Json = nlohmann::json;

// Nesting depth of anything read from outside: an object or array counts one
// level, a scalar none ({"a":[1]} is 2 levels deep).
inline constexpr int kMaxJsonDepth = 32;

struct JsonLimits {
  size_t max_bytes = 1 << 20;     // text longer than this is refused unread
  int max_depth = kMaxJsonDepth;  // containers nested deeper are refused
};

// Parses `text` within `limits` in one pass that stops at the first fault:
//   too_large     text longer than max_bytes (field: `field`)
//   too_deep      nesting beyond max_depth (field: the top-level member the
//                 fault is under, else `field`)
//   invalid_json  not JSON (message gives the byte offset; field: `field`)
Result<Json> read_json(std::string_view text, const JsonLimits& limits, const std::string& field = {});

// True when `j` nests deeper than `max_depth` (iterative: safe on any value).
bool json_too_deep(const Json& j, int max_depth = kMaxJsonDepth);

}  // namespace motcua
