// Private helpers of the point side (sync_client.cpp, sync_join.cpp).
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "motcua/node/node.hpp"
#include "motcua/sync/transport.hpp"
#include "sync_auth.hpp"
#include "sync_codec.hpp"

namespace motcua::sync {

// One signed request/response with the hub, checked and decoded.
struct Exchange {
  Exchange(node::Node& n, Transport& t) : node(n), transport(t) {}
  node::Node& node;
  Transport& transport;
  PublicKey hub{};
  bool hub_known = false;  // false only during enrolment
  std::string session = "-";
  int64_t counter = 0;               // last request counter sent in `session`
  std::string counted_session = "-";  // the session `counter` belongs to
  WireResponse last_response;
  auth::Binding last_binding;  // what last_response answers
  int64_t retry_after_s = 0;   // the hub's signed "try again in" of the last refusal (0: none)

  // Errors: the transport's ("link_down"), a bad response signature, or the
  // hub's refusal (its code and message).
  // `data`: an attachment chunk carried after the header (blob_put).
  Result<wire::Decoded> call(const std::string& kind, Json header, const std::vector<wire::WireEntry>& entries,
                             size_t* bytes_up, size_t* bytes_down, std::string_view data = {});
  // The same with the message already encoded (wire::encode of a header
  // whose "type" is `kind`): signed with the next counter and sent.
  Result<wire::Decoded> send(const std::string& kind, std::string body, size_t* bytes_up, size_t* bytes_down);
};

Error error_from(const wire::Decoded& d, int status);

// A point whose clock is off the hub's by more than this corrects its business
// times (received_at, due_at, the day in a new code) by the skew.
constexpr int64_t kBusinessSkewMs = 120 * 1000;
// Sets the node's business-time correction from the skew the hub reported in
// a welcome (hub time - this clock): the skew when over kBusinessSkewMs, else 0.
void correct_clock(node::Node& n, int64_t skew_ms);

// State hashes the hub sent with pull pages ("states"), latest page last wins.
using HubStates = std::map<std::string, std::string>;
// Keeps the "states" of one entries message (ignores a malformed one).
void note_states(HubStates& into, const Json& header);
// After a pull: compares each subject's state hash here with the hub's and
// records an alert "divergence" (one per subject and day) for each mismatch.
// Subjects with entries of this point the hub had not acknowledged yet (it
// wrote them during the session) are not comparable and are skipped. Returns
// the subjects found divergent.
std::vector<std::string> check_states(node::Node& n, const HubStates& states);

// Adds the leased code blocks this node does not hold yet.
Status apply_leases(node::Node& n, const Json& leases);
// Imports catalogue and holidays from a reference/enrolled message; stores its hash.
Status apply_reference(node::Node& n, const Json& header);
// Stores entries pulled from the hub (foreign chains may be sparse), entry by
// entry: a bad entry is skipped, one that may not be admitted quarantined;
// each is logged to stderr and added to this point's sync alerts.
// `admission` false: only for tests whose subjects are not dossier codes.
Result<node::IngestReport> ingest_pulled(node::Node& n, const std::vector<node::Entry>& entries, bool admission = true);
// The same for a page whose verification started when it arrived (the pull
// verifies page k+1 while page k is stored, docs/design/0116 section 4).
Result<node::IngestReport> ingest_pulled(node::Node& n, node::VerifyAhead& batch, bool admission = true);
// The point's admission rules (sync_join.cpp; sync/src/admission.cpp fills them in).
node::Admitter point_admitter(node::Node& n);

// Succession (docs/sync-protocol.md 15.3; succession.cpp). In join's
// transaction: an enrolled answer with a "succession" record (the hub's
// signature, this node's key as the new one, `point`) is kept and the point
// is restoring; an answer without one changes nothing.
Status apply_succession(node::Node& n, const PublicKey& hub, const std::string& point, const Json& enrolled);
// Restoring, with a succession whose former chains are still to fetch.
bool succession_pending(node::Node& n);
using ChainCall = std::function<Result<wire::Decoded>(const std::string& kind, Json header)>;
// Fetches each former key's chain up to where it was retired (own_chain
// "of"), contiguous and checked, resuming where a cut left it. Returns the
// entries stored.
Result<int64_t> fetch_former_chains(node::Node& n, const ChainCall& call, size_t batch, bool admission);

}  // namespace motcua::sync
