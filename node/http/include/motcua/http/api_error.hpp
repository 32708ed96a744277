// How module Errors map onto HTTP statuses (API.md: 400/401/403/404/409/413).
#pragma once
#include "motcua/canonical.hpp"
#include "motcua/result.hpp"

namespace motcua::http {

// Error codes used across the node (the "code" of the error JSON):
//   400: invalid_json, unknown_field, wrong_type, missing_field, invalid_value,
//        validation_failed, unknown_procedure, bad_request
//   401: unauthorized         403: forbidden          404: not_found
//   409: invalid_transition, conflict, codes_exhausted, already_exists
//   413: too_large            429: too_many_attempts
//   503: link_down, storage_full, storage_unwritable, storage_busy, journal_broken
//   anything else: 500
int http_status(const Error& e);

// {"error": {"code", "message", "field"?}}
Json error_json(const Error& e);

}  // namespace motcua::node
