// The dossier domain of DOMAIN.md: intake, the life of a dossier as signed
// journal events, validation, codes, due dates, catalogue, receipt, conflicts.
// Transport-agnostic: the HTTP layer maps requests onto these calls and
// Errors onto statuses with http::http_status().
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "motcua/node/entry.hpp"
#include "motcua/node/users.hpp"

namespace motcua::node {

class Node;

// Journal event types (Entry::type) of dossiers; subject = dossier code.
namespace events {
inline constexpr const char* kSubmitted = "dossier.submitted";
inline constexpr const char* kUpdated = "dossier.updated";
inline constexpr const char* kCancelled = "dossier.cancelled";
inline constexpr const char* kAccepted = "dossier.accepted";
inline constexpr const char* kRejected = "dossier.rejected";
inline constexpr const char* kSupplementRequested = "dossier.supplement_requested";
inline constexpr const char* kSupplementSupplied = "dossier.supplement_supplied";
inline constexpr const char* kProcessingStarted = "dossier.processing_started";
inline constexpr const char* kFeesRequested = "dossier.fees_requested";
inline constexpr const char* kFeesCollected = "dossier.fees_collected";
inline constexpr const char* kWithdrawalRequested = "dossier.withdrawal_requested";
inline constexpr const char* kStopped = "dossier.stopped";
inline constexpr const char* kResultReady = "dossier.result_ready";
inline constexpr const char* kApologized = "dossier.apologized";
inline constexpr const char* kHandedOver = "dossier.handed_over";
inline constexpr const char* kDeliveryFailed = "dossier.delivery_failed";
inline constexpr const char* kConflictResolved = "conflict.resolved";
}  // namespace events

// The projector for dossier subjects: a pure function of the SET of entries
// (any arrival order gives byte-identical output), applying DOMAIN.md's
// conflict rules. Subjects that are not dossiers get summary_projector.
Json dossier_projector(const std::string& subject, const std::vector<Entry>& entries);

// Prefill for intake from the text of a chip CCCD card's QR code, as a hand
// scanner types it: "ID|old ID|full name|ddmmyyyy|sex|address|issue ddmmyyyy".
// Returns {"cccd", "full_name", "date_of_birth" (YYYY-MM-DD), "sex", "address",
// "old_id", "issued_on"}; invalid_value (field "qr") if it is not such a text.
Result<Json> parse_cccd_qr(const std::string& text);

// How the procedure search compares words: fold_for_search() (case, marks,
// đ = d) and then a final "y" after a consonant read as "i", so "ký"/"kí",
// "lý"/"lí", "mỹ"/"mĩ" find each other ("thủy" stays "thuy").
std::string search_fold(const std::string& text);

struct DossierListQuery {
  std::string status;         // "" or a status code 1..10
  std::string q;              // free text: code, applicant name, CCCD, phone (every word, any order)
  std::string updated_since;  // "" or ISO-8601 instant
  std::string cursor;         // opaque, from a previous page
  int limit = 50;             // 1..200
  // How a search by words runs (design 0056); tests lower them to walk both ways.
  size_t word_codes_cap = 20000;  // a word's dossiers are listed up to this many
  size_t few_candidates = 2000;   // up to this many candidates are looked up one by one
};

class DossierService {
 public:
  // REQUIRES: `node` outlives the service. Loads the initial catalogue and
  // holiday calendar into the node's database on first use.
  explicit DossierService(Node& node);
  ~DossierService();

  // POST /api/v1/dossiers. `request` is the parsed body. Returns the 201 body:
  // {code, status, status_name, received_at, due_at}. Errors name the field.
  Result<Json> intake(const Actor& who, const Json& request);
  // PATCH /api/v1/dossiers/{code}: only before acceptance, else invalid_transition.
  Result<Json> update(const Actor& who, const std::string& code, const Json& patch);
  // POST /api/v1/dossiers/{code}/{action}; action is the path word of API.md:
  // cancel accept reject request-supplement supplement start-processing
  // request-fees withdraw-request stop result-ready apologize handover
  // delivery-failed fees. Returns the dossier as get() does.
  Result<Json> act(const Actor& who, const std::string& code, const std::string& action, const Json& body);
  Result<Json> get(const std::string& code);  // current state incl. conflicts[]
  Result<Json> list(const DossierListQuery& q);  // {"items": [...], "next_cursor": "..."|null}
  Result<Json> history(const std::string& code);  // {"code", "events": [{type,node,user,time,hlc,body,entry_hash}]}
  // What the Mẫu 01 receipt shows: {dossier: the projection, agency_name}.
  Result<Json> receipt(const std::string& code);

  Result<Json> search_procedures(const std::string& q, const std::string& field, const std::string& level, int limit);
  Result<Json> get_procedure(const std::string& code);  // documents as [{name, mandatory}]
  Result<Json> procedure_facets();                       // {fields: [...], levels: [...]}

  Result<Json> list_conflicts();
  Result<Json> resolve_conflict(const Actor& who, const std::string& id, const Json& body);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace motcua::node
