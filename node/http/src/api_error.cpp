#include "motcua/http/api_error.hpp"

#include <map>

namespace motcua::http {

int http_status(const Error& e) {
  static const std::map<std::string, int> m = {
      {"invalid_json", 400},       {"unknown_field", 400},       {"wrong_type", 400},
      {"missing_field", 400},      {"invalid_value", 400},       {"validation_failed", 400},
      {"unknown_procedure", 400},  {"bad_request", 400},         {"not_canonical", 400},
      {"unauthorized", 401},       {"forbidden", 403},           {"not_found", 404},
      {"invalid_transition", 409}, {"conflict", 409},            {"form_not_applicable", 409},            {"codes_exhausted", 409},
      {"already_exists", 409},     {"too_large", 413},           {"too_many_attempts", 429}, {"link_down", 503},
      {"too_deep", 400},           {"unsupported_encoding", 415}, {"busy", 503},
      // Storage faults and a damaged journal: the node cannot record now; nothing was written.
      {"storage_full", 503},       {"storage_unwritable", 503},  {"storage_busy", 503},      {"journal_broken", 503},
  };
  auto it = m.find(e.code);
  return it == m.end() ? 500 : it->second;
}

Json error_json(const Error& e) {
  Json err{{"code", e.code}, {"message", e.message}};
  if (!e.field.empty()) err["field"] = e.field;
  return Json{{"error", err}};
}

}  // namespace motcua::node
