#include "motcua/json_read.hpp"

#include <vector>

namespace motcua {

namespace {

// nlohmann's own DOM builder, behind a depth gate: returning false from a
// SAX event ends the parse at once, so a deep input costs no more than the
// bytes read up to the fault.
class BoundedSax {
 public:
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;

  BoundedSax(Json& out, int max_depth) : dom_(out, false), max_depth_(max_depth) {}

  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(number_float_t v, const string_t& s) { return dom_.number_float(v, s); }
  bool string(string_t& v) { return dom_.string(v); }
  bool binary(binary_t& v) { return dom_.binary(v); }
  bool start_object(std::size_t n) { return enter() && dom_.start_object(n); }
  bool key(string_t& k) {
    if (depth_ == 1) top_key_ = k;
    return dom_.key(k);
  }
  bool end_object() {
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t n) { return enter() && dom_.start_array(n); }
  bool end_array() {
    --depth_;
    return dom_.end_array();
  }
  bool parse_error(std::size_t pos, const std::string& token, const nlohmann::detail::exception& ex) {
    error_pos_ = pos;
    failed_ = true;
    (void)token;
    (void)ex;
    return false;
  }

  bool too_deep() const { return too_deep_; }
  bool failed() const { return failed_; }
  std::size_t error_pos() const { return error_pos_; }
  const std::string& top_key() const { return top_key_; }

 private:
  bool enter() {
    if (++depth_ > max_depth_) {
      too_deep_ = true;
      return false;
    }
    return true;
  }

  nlohmann::detail::json_sax_dom_parser<Json> dom_;
  int max_depth_;
  int depth_ = 0;
  bool too_deep_ = false;
  bool failed_ = false;
  std::size_t error_pos_ = 0;
  std::string top_key_;
};

}  // namespace

Result<Json> read_json(std::string_view text, const JsonLimits& limits, const std::string& field) {
  if (text.size() > limits.max_bytes)
    return make_error("too_large",
                      "JSON text of " + std::to_string(text.size()) + " bytes is larger than the limit of " +
                          std::to_string(limits.max_bytes) + " bytes",
                      field);
  Json out;
  BoundedSax sax(out, limits.max_depth);
  bool ok = Json::sax_parse(text.begin(), text.end(), &sax, nlohmann::detail::input_format_t::json, true);
  if (sax.too_deep())
    return make_error("too_deep",
                      "JSON nested deeper than " + std::to_string(limits.max_depth) + " levels",
                      sax.top_key().empty() ? field : sax.top_key());
  if (!ok || sax.failed() || out.is_discarded())
    return make_error("invalid_json",
                      "not valid JSON (fault near byte " + std::to_string(sax.failed() ? sax.error_pos() : 0) + ")",
                      field);
  return out;
}

bool json_too_deep(const Json& j, int max_depth) {
  std::vector<std::pair<const Json*, int>> todo{{&j, 0}};
  while (!todo.empty()) {
    auto [v, depth] = todo.back();
    todo.pop_back();
    if (!v->is_structured()) continue;
    if (depth + 1 > max_depth) return true;
    for (const auto& child : *v)
      if (child.is_structured()) todo.emplace_back(&child, depth + 1);
  }
  return false;
}

}  // namespace motcua
