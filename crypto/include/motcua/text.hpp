// Unicode text rules shared by signing, validation and search (ICU underneath).
#pragma once
#include <string>
#include <string_view>

namespace motcua {

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates).
bool is_valid_utf8(std::string_view s);
// True when valid UTF-8 and already in Unicode Normalization Form C.
bool is_nfc(std::string_view s);
// NFC form of valid UTF-8 input; returns the input unchanged if it is not valid UTF-8.
std::string to_nfc(std::string_view s);
// The search key a clerk's typing is matched on: lowercase, marks removed,
// "đ"/"Đ" folded to "d", runs of whitespace collapsed to one space, trimmed.
std::string fold_for_search(std::string_view s);

}  // namespace motcua
