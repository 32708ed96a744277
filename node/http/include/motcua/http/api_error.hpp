// How module Errors reach people over HTTP: the status of each error code and
// the error body, whose "message" is a Vietnamese sentence chosen here from
// the code (and the field), in one table (node/http/src/api_error.cpp,
// docs/design/0059-vietnamese-error-messages.md). The module's own English
// text goes into "message_en".
#pragma once
#include <string>
#include <vector>

#include "motcua/canonical.hpp"
#include "motcua/result.hpp"

namespace motcua::http {

// The HTTP status of e.code (API.md: 400/401/403/404/409/413/415/429/503);
// a code the table does not map: 500.
int http_status(const Error& e);

// {"error": {"code", "message" (Vietnamese), "message_en", "field"?}}
Json error_json(const Error& e);

// The Vietnamese sentence for `e`: the table's sentence for (code, field),
// else for the code (naming the field when there is one), else a generic
// sentence with the code. Never empty.
std::string vietnamese_message(const Error& e);

// The Vietnamese name of a request field as people know it from the forms
// ("applicant.cccd" -> "Số CCCD", "fees[0].amount_vnd" -> "Số tiền (mục thứ 1)");
// a field the table does not know is quoted as given (“form.child_name”).
std::string field_label(const std::string& field);

// One row of the table, for tests and docs.
struct ErrorCodeText {
  std::string code;
  int status = 0;       // 0: not mapped (500, or the route decides, e.g. sync now)
  std::string message;  // Vietnamese, no field
  std::string message_with_field;  // Vietnamese with the placeholder {field}
};
const std::vector<ErrorCodeText>& error_code_table();
// The field names the label table knows (for tests).
std::vector<std::string> known_field_names();

}  // namespace motcua::http
