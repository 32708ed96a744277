// State hashes (docs/sync-protocol.md section 17) and the stored form of a
// projected state: the hashed form leaves out the keys derived by ICU.
#include "state_forms.hpp"

#include <algorithm>
#include <string_view>

#include "motcua/node/journal.hpp"

namespace motcua::node {

const std::vector<std::string>& unhashed_state_keys() {
  static const std::vector<std::string> keys = {"search_key"};
  return keys;
}

namespace {

bool unhashed(const std::string& key) {
  const auto& keys = unhashed_state_keys();
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

Hash32 hash_of_hashed_form(std::string_view hashed_canonical) {
  std::string bytes = "motcua/state/v" + std::to_string(kProjectorVersion) + "\n";
  bytes += hashed_canonical;
  return blake2b256(bytes);
}

}  // namespace

// canonical_bytes of an object is its members "key":value in key order,
// joined by commas, so both forms are made from the same member strings,
// the hashed one without the unhashed keys.
std::pair<std::string, Hash32> stored_state_and_hash(const Json& state) {
  bool strip = false;
  if (state.is_object())
    for (const auto& k : unhashed_state_keys()) strip = strip || state.contains(k);
  if (!strip) {
    std::string bytes = canonical_bytes(state);
    Hash32 h = hash_of_hashed_form(bytes);
    return {std::move(bytes), h};
  }
  std::string full = "{", hashed = "{";
  for (auto it = state.begin(); it != state.end(); ++it) {
    std::string member = canonical_bytes(Json(it.key()));
    member.push_back(':');
    member += canonical_bytes(it.value());
    if (full.size() > 1) full.push_back(',');
    full += member;
    if (unhashed(it.key())) continue;
    if (hashed.size() > 1) hashed.push_back(',');
    hashed += member;
  }
  full.push_back('}');
  hashed.push_back('}');
  return {std::move(full), hash_of_hashed_form(hashed)};
}

Hash32 subject_state_hash(const Json& state) {
  bool strip = false;
  if (state.is_object())
    for (const auto& k : unhashed_state_keys()) strip = strip || state.contains(k);
  if (!strip) return hash_of_hashed_form(canonical_bytes(state));
  Json copy = state;
  for (const auto& k : unhashed_state_keys()) copy.erase(k);
  return hash_of_hashed_form(canonical_bytes(copy));
}

}  // namespace motcua::node
