// Who may write what (docs/sync-protocol.md, "Admission"): the registry of
// points a node admits entries from, and the rules an entry must pass before
// it enters the projection, the scope index and every pull. The hub applies
// them to every push and bundle; a point applies them again to everything it
// pulls or imports, with the registry the hub sent it. An entry that fails is
// not refused but quarantined by the journal (kept as evidence, out of
// everything shown) with the code and reason the rules give.
// docs/design/0073-admission-rules.md
#pragma once
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "motcua/node/entry.hpp"
#include "motcua/node/journal.hpp"
#include "motcua/node/node.hpp"
#include "motcua/sync/hub_store.hpp"

namespace motcua::sync {

// One enrolled point as the rules know it.
struct RegisteredPoint {
  std::string name;
  PublicKey key{};
  std::string area;
  std::string agency_code;
  std::vector<std::string> acts;  // event types it may sign (besides the intake rule)
  std::string status;             // "active", "quarantined", "revoked"
  int64_t revoked_seq = 0;        // revoked: its last admitted entry (seq, id)
  Hash32 revoked_id{};
  // A former key of the point `name` (a succession, section 15.3): status
  // "revoked" at (revoked_seq, revoked_id); replaced_ms: when.
  bool former{};
  int64_t replaced_ms{};
};

// The hub key and every enrolled point, by key.
struct Registry {
  PublicKey hub{};
  std::map<PublicKey, RegisteredPoint> points;

  const RegisteredPoint* find(const PublicKey& key) const;
  // [{name, key, area, agency_code, acts, status, revoked_seq, revoked_id
  // [, former: [{key, replaced_ms, revoked_id, revoked_seq}...]]}] by name;
  // "former" (oldest first) only for a point whose key was replaced.
  Json points_json() const;
  // The revoked ones, former keys too: [{name, key, revoked_seq, revoked_id}] (welcome "revocations").
  Json revocations_json() const;
  // hex BLAKE2b-256 of canonical {"hub": key, "points": points_json()}.
  std::string hash() const;
  // From a reference message's "registry" (a list as points_json() makes).
  static Result<Registry> from_json(const PublicKey& hub, const Json& points);
};

// The hub's registry: its own key and every point with a key (hub_points).
Registry registry_from_store(const PublicKey& hub, HubStore& store);
// A point's registry: the one the hub sent (sync_state "registry"), or only
// the hub key when none arrived yet (then only the hub's and the point's own
// entries are admitted).
Registry stored_registry(node::Node& point);
// Stores the registry a reference message carried (and its hash).
Status store_registry(node::Node& point, const PublicKey& hub, const Json& registry_points);

// The welcome's "revocations" ([{name, key, revoked_seq, revoked_id}]) into
// the stored registry; one naming this point marks it revoked (note_revoked).
void apply_revocations(node::Node& point, const Json& revocations);
// This point learned that the hub revoked its key: it stops minting dossier
// codes (intake answers 409 point_revoked) and says so in its status.
void note_revoked(node::Node& point);

// Event types a point may be allowed to sign.
const std::vector<std::string>& counter_acts();  // clerk and postal acts (the default)
const std::vector<std::string>& officer_acts();  // the agency's own acts
// `point add --acts`: "" or "counter" -> counter_acts(); "officer" or "all" ->
// counter + officer acts; otherwise a comma list of event types out of both.
// Error invalid_value (field "acts") for an unknown act.
Result<std::vector<std::string>> parse_acts(const std::string& spec);

// Why an entry is not admitted (a quarantine code and a human reason).
struct Refusal {
  std::string code;
  std::string reason;
};

// The numbers of (point, day) the hub leased: [first, last] ranges.
using LeaseRanges = std::function<std::vector<std::pair<int, int>>(const std::string& point, const std::string& day)>;

struct Rules {
  Registry registry;
  node::Role role = node::Role::Hub;
  PublicKey self{};  // the node applying the rules (its own entries pass)
  std::string code_pattern = "{agency}-{yymmdd}-{seq4}";
  LeaseRanges leases;  // the hub's; empty at a point (it cannot see other points' leases)
};

// The rules for one entry. `admitted`: the subject's admitted entries so far
// (entry_order_less); `scope`: the fields of the projection over the entry's
// causal past that decide scope, area, origin_point and return_point
// (node::AdmitContext::scope; the whole projected state serves as well),
// Json() if none.
std::optional<Refusal> judge(const Rules& rules, const node::Entry& e,
                             const std::function<const std::vector<node::Entry>&()>& admitted,
                             const std::function<Json()>& scope);

// The rules as the journal's admission callback (IngestOptions::admit).
// `store`: the hub's (for its leases); nullptr at a point. The registry is
// copied: a change (revocation) takes effect from the next admitter made.
node::Admitter make_admitter(node::Node& node, const Registry& registry, node::Role role, HubStore* store = nullptr);

// The last entry of `author`'s chain this node admitted (not quarantined):
// (seq, id), nullopt when none.
std::optional<std::pair<int64_t, Hash32>> last_admitted(node::Node& node, const PublicKey& author);

// The dossier code's day (YYMMDD) and number when `subject` is a code of
// `agency` under `pattern`.
std::optional<std::pair<std::string, int>> parse_code(const std::string& pattern, const std::string& agency,
                                                      const std::string& subject);

}  // namespace motcua::sync
