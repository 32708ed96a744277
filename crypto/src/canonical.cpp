#include "motcua/canonical.hpp"

#include "motcua/text.hpp"

namespace motcua {

namespace {
constexpr int64_t kMaxSafe = 9007199254740991LL;  // 2^53 - 1

Status check(const Json& j, const std::string& path) {
  switch (j.type()) {
    case Json::value_t::number_float:
      return make_error("not_canonical", "floating-point numbers are not allowed in signed data", path);
    case Json::value_t::number_integer: {
      int64_t v = j.get<int64_t>();
      if (v > kMaxSafe || v < -kMaxSafe) return make_error("not_canonical", "integer out of range ±(2^53-1)", path);
      return ok_status();
    }
    case Json::value_t::number_unsigned: {
      uint64_t v = j.get<uint64_t>();
      if (v > static_cast<uint64_t>(kMaxSafe)) return make_error("not_canonical", "integer out of range ±(2^53-1)", path);
      return ok_status();
    }
    case Json::value_t::string:
      if (!is_nfc(j.get_ref<const std::string&>()))
        return make_error("not_canonical", "text must be valid UTF-8 in NFC", path);
      return ok_status();
    case Json::value_t::array: {
      size_t i = 0;
      for (const auto& e : j) {
        auto s = check(e, path + "[" + std::to_string(i++) + "]");
        if (!s.ok()) return s;
      }
      return ok_status();
    }
    case Json::value_t::object:
      for (auto it = j.begin(); it != j.end(); ++it) {
        std::string p = path.empty() ? it.key() : path + "." + it.key();
        if (!is_nfc(it.key())) return make_error("not_canonical", "key must be valid UTF-8 in NFC", p);
        auto s = check(it.value(), p);
        if (!s.ok()) return s;
      }
      return ok_status();
    case Json::value_t::binary:
    case Json::value_t::discarded:
      return make_error("not_canonical", "value type cannot be signed", path);
    default:
      return ok_status();
  }
}
}  // namespace

Status check_canonical(const Json& j) {
  if (json_too_deep(j, kMaxSignedDepth))
    return make_error("too_deep", "signed data nests deeper than " + std::to_string(kMaxSignedDepth) + " levels");
  return check(j, "");
}

std::string canonical_bytes(const Json& j) {
  // nlohmann::json objects are std::map<std::string, ...>: keys iterate in
  // byte order, which for UTF-8 equals code point order. dump(-1) emits no
  // whitespace; ensure_ascii=false keeps UTF-8 as is.
  return j.dump(-1, ' ', false, Json::error_handler_t::strict);
}

Result<Json> parse_canonical(const std::string& text) {
  auto parsed = read_json(text, JsonLimits{text.size(), kMaxSignedDepth});
  if (!parsed.ok()) {
    if (parsed.error().code == "too_deep") return make_error("not_canonical", parsed.error().message);
    return make_error("not_canonical", "stored bytes are not JSON");
  }
  Json& j = parsed.value();
  auto s = check_canonical(j);
  if (!s.ok()) return s.error();
  if (canonical_bytes(j) != text) return make_error("not_canonical", "stored bytes are not in canonical form");
  return j;
}

}  // namespace motcua
