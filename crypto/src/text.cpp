#include "motcua/text.hpp"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <algorithm>

namespace motcua {

bool is_valid_utf8(std::string_view s) {
  int32_t i = 0;
  const int32_t n = static_cast<int32_t>(s.size());
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  while (i < n) {
    UChar32 c;
    U8_NEXT(p, i, n, c);
    if (c < 0) return false;
  }
  return true;
}

static const icu::Normalizer2* nfc() {
  UErrorCode st = U_ZERO_ERROR;
  const icu::Normalizer2* n = icu::Normalizer2::getNFCInstance(st);
  return U_SUCCESS(st) ? n : nullptr;
}

bool is_nfc(std::string_view s) {
  // Fast path: ASCII text (keys, hex, codes, most field names) is always NFC.
  if (std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) return true;
  if (!is_valid_utf8(s)) return false;
  UErrorCode st = U_ZERO_ERROR;
  bool r = nfc()->isNormalizedUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())), st);
  return U_SUCCESS(st) && r;
}

std::string to_nfc(std::string_view s) {
  if (!is_valid_utf8(s)) return std::string(s);
  UErrorCode st = U_ZERO_ERROR;
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
  icu::UnicodeString out = nfc()->normalize(u, st);
  if (U_FAILURE(st)) return std::string(s);
  std::string r;
  out.toUTF8String(r);
  return r;
}

std::string fold_for_search(std::string_view s) {
  UErrorCode st = U_ZERO_ERROR;
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(st);
  if (U_FAILURE(st)) return std::string(s);
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
  icu::UnicodeString d = nfd->normalize(u, st);
  if (U_FAILURE(st)) return std::string(s);
  icu::UnicodeString out;
  bool space = false;
  for (int32_t i = 0; i < d.length();) {
    UChar32 c = d.char32At(i);
    i += U16_LENGTH(c);
    if (u_getCombiningClass(c) != 0 || u_charType(c) == U_NON_SPACING_MARK) continue;
    if (c == 0x0111 || c == 0x0110) c = 'd';  // đ Đ: a letter of its own, not d + mark
    if (u_isUWhiteSpace(c) || u_ispunct(c)) {
      space = true;
      continue;
    }
    if (space && out.length() > 0) out.append(static_cast<UChar32>(' '));
    space = false;
    out.append(u_tolower(c));
  }
  std::string r;
  out.toUTF8String(r);
  return r;
}

}  // namespace motcua
