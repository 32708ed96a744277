// Input rules of DOMAIN.md "Validation": every refusal names the field (as a
// JSON path) and the reason; accepted input comes back normalised (NFC text,
// phone in 0xxxxxxxxx form, defaults filled), ready to be a journal body.
#pragma once
#include <functional>
#include <string>

#include "motcua/canonical.hpp"
#include "motcua/result.hpp"

namespace motcua::node::valid {

// Answers whether an attachment id names a stored blob.
using BlobExists = std::function<bool(const std::string& id)>;

// CCCD: exactly 12 digits, the first three a province code 001..096.
Status check_cccd(const Json& v, const std::string& field);
// Phone: 10 digits starting 03/05/07/08/09; "+84"/"0084" and spaces, dots
// or dashes are normalised away. Returns the normalised number.
Result<std::string> normalize_phone(const Json& v, const std::string& field);
Status check_email(const std::string& s, const std::string& field);

// The documents handed in at intake: [{name, originals, copies}], counts
// 0..99 with originals + copies >= 1, no name twice. Whether the names are
// the procedure's is checked by the service against the catalogue.
Result<Json> documents(const Json& v, const std::string& field);
// POST /dossiers body -> normalised {procedure_code, applicant, channel,
// postal|null, form, attachments, fees, documents, return_point|null}.
Result<Json> intake(const Json& req, const BlobExists& blob_exists);
// PATCH body -> normalised partial object of the updatable fields
// (applicant.*, postal.*, form.<key>, attachments, return_point).
Result<Json> patch(const Json& req, const BlobExists& blob_exists);
// The body of one act (path word of API.md) -> normalised body.
Result<Json> act_body(const std::string& action, const Json& body, const BlobExists& blob_exists);
// A handover (act_body's result) to someone other than the applicant (a
// different CCCD) names the relation and the authorisation document:
// missing_field recipient.relation / recipient.authorization otherwise.
Status handover_recipient(const Json& handover, const Json& applicant);
// conflict resolution body {decision, note?}.
Result<Json> resolution(const Json& body);

}  // namespace motcua::node::valid
