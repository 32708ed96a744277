// The admission rules (docs/sync-protocol.md, "Admission";
// docs/design/0073-admission-rules.md).
#include "admission.hpp"

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <tuple>

#include "motcua/canonical.hpp"
#include "motcua/node/dossiers.hpp"
#include "sync_util.hpp"

namespace motcua::sync {

namespace {

std::string short_key(const PublicKey& k) { return to_hex(k).substr(0, 16) + "…"; }

std::string text_of(const Json& j, const char* k) {
  if (!j.is_object()) return {};
  auto it = j.find(k);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string describe(const node::Entry& e) {
  return e.type + " #" + std::to_string(e.seq) + " on '" + e.subject.substr(0, 80) + "'";
}

bool names(const std::string& field, const RegisteredPoint& p) {
  return !field.empty() && (field == p.name || field == to_hex(p.key));
}

}  // namespace

const RegisteredPoint* Registry::find(const PublicKey& key) const {
  auto it = points.find(key);
  return it == points.end() ? nullptr : &it->second;
}

Json Registry::points_json() const {
  std::vector<const RegisteredPoint*> by_name, former;
  for (const auto& [k, p] : points) (p.former ? former : by_name).push_back(&p);
  std::sort(by_name.begin(), by_name.end(), [](auto* a, auto* b) { return a->name < b->name; });
  std::sort(former.begin(), former.end(), [](auto* a, auto* b) {
    return std::tie(a->replaced_ms, a->key) < std::tie(b->replaced_ms, b->key);
  });
  Json out = Json::array();
  for (const auto* p : by_name) {
    Json j{{"name", p->name},
           {"key", to_hex(p->key)},
           {"area", p->area},
           {"agency_code", p->agency_code},
           {"acts", p->acts},
           {"status", p->status},
           {"revoked_seq", p->revoked_seq},
           {"revoked_id", p->status == "revoked" ? to_hex(p->revoked_id) : std::string()}};
    // Former keys (successions): only when there are any, so a registry
    // without a succession keeps its form and hash.
    Json keys = Json::array();
    for (const auto* f : former)
      if (f->name == p->name)
        keys.push_back(Json{{"key", to_hex(f->key)},
                            {"replaced_ms", f->replaced_ms},
                            {"revoked_seq", f->revoked_seq},
                            {"revoked_id", f->revoked_seq ? to_hex(f->revoked_id) : std::string()}});
    if (!keys.empty()) j["former"] = keys;
    out.push_back(j);
  }
  return out;
}

Json Registry::revocations_json() const {
  Json out = Json::array();
  for (const auto& p : points_json()) {
    if (p["status"] == "revoked")
      out.push_back(Json{{"name", p["name"]}, {"key", p["key"]}, {"revoked_seq", p["revoked_seq"]},
                         {"revoked_id", p["revoked_id"]}});
    if (p.contains("former"))
      for (const auto& f : p["former"])
        out.push_back(Json{{"name", p["name"]}, {"key", f["key"]}, {"revoked_seq", f["revoked_seq"]},
                           {"revoked_id", f["revoked_id"]}});
  }
  return out;
}

std::string Registry::hash() const {
  return to_hex(blake2b256(canonical_bytes(Json{{"hub", to_hex(hub)}, {"points", points_json()}})));
}

Result<Registry> Registry::from_json(const PublicKey& hub, const Json& list) {
  auto bad = [](const std::string& why) { return make_error("malformed_message", "registry: " + why, "registry"); };
  if (!list.is_array()) return bad("must be a list");
  Registry r;
  r.hub = hub;
  for (const auto& j : list) {
    if (!j.is_object()) return bad("an item is not an object");
    RegisteredPoint p;
    p.name = text_of(j, "name");
    p.area = text_of(j, "area");
    p.agency_code = text_of(j, "agency_code");
    p.status = text_of(j, "status");
    if (p.name.empty() || p.name.size() > 64) return bad("a point has no name");
    if (!from_hex(text_of(j, "key"), p.key)) return bad("point '" + p.name + "' has no key");
    auto acts = j.find("acts");
    if (acts == j.end() || !acts->is_array()) return bad("point '" + p.name + "' has no acts");
    for (const auto& a : *acts)
      if (a.is_string()) p.acts.push_back(a.get<std::string>());
    auto seq = j.find("revoked_seq");
    p.revoked_seq = seq != j.end() && seq->is_number_integer() ? seq->get<int64_t>() : 0;
    if (p.status == "revoked" && !from_hex(text_of(j, "revoked_id"), p.revoked_id) && p.revoked_seq > 0)
      return bad("revoked point '" + p.name + "' has no revoked_id");
    if (p.status != "active" && p.status != "quarantined" && p.status != "revoked")
      return bad("point '" + p.name + "' has an unknown status '" + p.status.substr(0, 20) + "'");
    // Its former keys: the same point, admitted up to where each was retired.
    if (auto former = j.find("former"); former != j.end()) {
      if (!former->is_array()) return bad("point '" + p.name + "': former must be a list");
      for (const auto& f : *former) {
        RegisteredPoint o = p;
        o.status = "revoked";
        o.former = true;
        o.revoked_id = Hash32{};
        if (!f.is_object() || !from_hex(text_of(f, "key"), o.key)) return bad("a former key of '" + p.name + "' is malformed");
        auto fs = f.find("revoked_seq");
        o.revoked_seq = fs != f.end() && fs->is_number_integer() ? fs->get<int64_t>() : 0;
        if (o.revoked_seq > 0 && !from_hex(text_of(f, "revoked_id"), o.revoked_id))
          return bad("a former key of '" + p.name + "' has no revoked_id");
        auto at = f.find("replaced_ms");
        o.replaced_ms = at != f.end() && at->is_number_integer() ? at->get<int64_t>() : 0;
        if (o.key == p.key) return bad("point '" + p.name + "' names its own key as a former one");
        r.points[o.key] = std::move(o);
      }
    }
    r.points[p.key] = std::move(p);
  }
  return r;
}

Registry registry_from_store(const PublicKey& hub, HubStore& store) {
  Registry r;
  r.hub = hub;
  for (const auto& p : store.points()) {
    if (!p.key || p.status == "pending") continue;
    RegisteredPoint rp;
    rp.name = p.name;
    rp.key = *p.key;
    rp.area = p.area;
    rp.agency_code = p.agency_code;
    rp.acts = p.acts;
    rp.status = p.status;
    rp.revoked_seq = p.revoked_seq;
    rp.revoked_id = p.revoked_id;
    r.points[rp.key] = std::move(rp);
  }
  // Former keys (successions): the point's, revoked where they were retired.
  for (const auto& sc : store.successions("")) {
    auto cur = std::find_if(r.points.begin(), r.points.end(),
                            [&](const auto& kv) { return !kv.second.former && kv.second.name == sc.point; });
    if (cur == r.points.end() || r.points.count(sc.old_key)) continue;
    RegisteredPoint rp = cur->second;
    rp.key = sc.old_key;
    rp.status = "revoked";
    rp.revoked_seq = sc.revoked_seq;
    rp.revoked_id = sc.revoked_id;
    rp.former = true;
    rp.replaced_ms = sc.at_ms;
    r.points[rp.key] = std::move(rp);
  }
  return r;
}

Registry stored_registry(node::Node& n) {
  Registry r;
  from_hex(util::state_get(n, "hub_key"), r.hub);
  const std::string text = util::state_get(n, "registry");
  if (text.empty()) return r;
  Json list = Json::parse(text, nullptr, false);
  auto parsed = Registry::from_json(r.hub, list);
  return parsed.ok() ? parsed.value() : r;
}

Status store_registry(node::Node& n, const PublicKey& hub, const Json& list) try {
  auto r = Registry::from_json(hub, list);
  if (!r.ok()) return r.error();
  util::state_set(n, "registry", r->points_json().dump());
  util::state_set(n, "registry_hash", r->hash());
  return ok_status();
} catch (const std::exception&) {
  return util::current_error();
}

void note_revoked(node::Node& n) {
  if (!n.meta("revoked_at").empty()) return;
  n.set_meta("revoked_at", util::iso_utc(n.clock().now_ms()));
  std::cerr << "motcua: the hub revoked this point's key; it takes no more dossiers in (intake refused: "
               "point_revoked)\n";
}

void apply_revocations(node::Node& n, const Json& list) try {
  if (!list.is_array() || list.empty()) return;
  Registry r = stored_registry(n);
  bool changed = false;
  for (const auto& j : list) {
    PublicKey key{};
    if (!j.is_object() || !from_hex(text_of(j, "key"), key)) continue;
    if (key == n.keys().pk) note_revoked(n);
    auto it = r.points.find(key);
    if (it == r.points.end() || it->second.status == "revoked") continue;
    auto seq = j.find("revoked_seq");
    it->second.status = "revoked";
    it->second.revoked_seq = seq != j.end() && seq->is_number_integer() ? seq->get<int64_t>() : 0;
    from_hex(text_of(j, "revoked_id"), it->second.revoked_id);
    changed = true;
  }
  // The registry hash is left as it was: the next reference fetch replaces
  // this copy with the hub's own.
  if (changed) util::state_set(n, "registry", r.points_json().dump());
} catch (const std::exception&) {
  // Best effort: the full registry arrives with the reference data anyway.
}

const std::vector<std::string>& counter_acts() {
  static const std::vector<std::string> acts = {
      node::events::kSubmitted,           node::events::kUpdated,        node::events::kCancelled,
      node::events::kSupplementSupplied,  node::events::kFeesCollected,  node::events::kWithdrawalRequested,
      node::events::kHandedOver,          node::events::kDeliveryFailed, node::events::kConflictResolved};
  return acts;
}

const std::vector<std::string>& officer_acts() {
  static const std::vector<std::string> acts = {
      node::events::kAccepted,      node::events::kRejected,     node::events::kSupplementRequested,
      node::events::kProcessingStarted, node::events::kFeesRequested, node::events::kStopped,
      node::events::kResultReady,   node::events::kApologized};
  return acts;
}

Result<std::vector<std::string>> parse_acts(const std::string& spec) {
  std::string s;
  for (char c : spec)
    if (c != ' ' && c != '\t') s.push_back(c);
  if (s.empty() || s == "counter") return counter_acts();
  std::vector<std::string> out = counter_acts();
  if (s == "officer" || s == "all") {
    out.insert(out.end(), officer_acts().begin(), officer_acts().end());
    return out;
  }
  std::set<std::string> known(counter_acts().begin(), counter_acts().end());
  known.insert(officer_acts().begin(), officer_acts().end());
  out.clear();
  size_t at = 0;
  while (at <= s.size()) {
    size_t comma = s.find(',', at);
    std::string act = s.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    if (act.rfind("dossier.", 0) != 0 && act != node::events::kConflictResolved && known.count("dossier." + act))
      act = "dossier." + act;  // "accepted" for "dossier.accepted"
    if (!known.count(act))
      return make_error("invalid_value",
                        "unknown act '" + act.substr(0, 60) +
                            "'; give counter, officer, all or a comma list of dossier event types "
                            "(e.g. dossier.submitted,dossier.handed_over)",
                        "acts");
    if (std::find(out.begin(), out.end(), act) == out.end()) out.push_back(act);
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return out;
}

std::optional<std::pair<std::string, int>> parse_code(const std::string& pattern, const std::string& agency,
                                                      const std::string& subject) {
  std::string day;
  int number = -1;
  size_t i = 0;  // in subject
  size_t k = 0;  // in pattern
  auto take_digits = [&](size_t n, std::string& out) {
    if (i + n > subject.size()) return false;
    for (size_t d = 0; d < n; ++d)
      if (subject[i + d] < '0' || subject[i + d] > '9') return false;
    out = subject.substr(i, n);
    i += n;
    return true;
  };
  while (k < pattern.size()) {
    if (pattern.compare(k, 8, "{agency}") == 0) {
      if (agency.empty() || subject.compare(i, agency.size(), agency) != 0) return std::nullopt;
      i += agency.size();
      k += 8;
    } else if (pattern.compare(k, 8, "{yymmdd}") == 0) {
      std::string d;
      if (!take_digits(6, d) || (!day.empty() && d != day)) return std::nullopt;
      day = d;
      k += 8;
    } else if (pattern.compare(k, 6, "{seq4}") == 0) {
      std::string n;
      if (!take_digits(4, n)) return std::nullopt;
      int v = std::stoi(n);
      if (number >= 0 && v != number) return std::nullopt;
      number = v;
      k += 6;
    } else {
      if (i >= subject.size() || subject[i] != pattern[k]) return std::nullopt;
      ++i;
      ++k;
    }
  }
  if (i != subject.size() || day.empty() || number < 1) return std::nullopt;
  return std::make_pair(day, number);
}

std::optional<Refusal> judge(const Rules& rules, const node::Entry& e,
                             const std::function<const std::vector<node::Entry>&()>& admitted,
                             const std::function<Json()>& scope) {
  // The hub's own entries (officer acts, decisions, reference data) and the
  // node's own are admitted.
  if (e.author == rules.registry.hub || e.author == rules.self) return std::nullopt;
  // Rule 1: who.
  const RegisteredPoint* p = rules.registry.find(e.author);
  if (!p)
    return Refusal{"unknown_author", "entry " + describe(e) + " is signed by key " + short_key(e.author) +
                                         ", which no point of this hub has"};
  const std::string who = "point '" + p->name + "'";
  if (p->status == "quarantined")
    return Refusal{"author_quarantined", who + " is quarantined (a fork or an admin's decision); " + describe(e) +
                                             " waits for an admin"};
  if (p->status == "revoked" &&
      (e.seq > p->revoked_seq || (e.seq == p->revoked_seq && e.id != p->revoked_id)))
    return Refusal{"revoked_author", who + " was revoked after its entry #" + std::to_string(p->revoked_seq) +
                                         "; " + describe(e) + " comes after the revocation"};
  // Rule 4: reference data never enters any point's scope.
  const bool reference_type = e.type.rfind("reference.", 0) == 0;
  if (reference_type && e.subject.rfind("reference.", 0) == 0) return std::nullopt;
  const bool dossier_type = e.type.rfind("dossier.", 0) == 0 || e.type == node::events::kConflictResolved;
  if (!dossier_type || reference_type)
    return Refusal{"type_not_allowed", who + " may not write entries of type '" + e.type.substr(0, 60) +
                                           "' on '" + e.subject.substr(0, 80) + "'"};
  // Rule 2: an intake.
  if (e.type == node::events::kSubmitted) {
    for (const auto& x : admitted())
      if (x.type == node::events::kSubmitted)
        return Refusal{"duplicate_intake", "dossier " + e.subject + " was already taken in (entry #" +
                                               std::to_string(x.seq) + " of " + short_key(x.author) + "); " + who +
                                               " submits it again"};
    auto code = parse_code(rules.code_pattern, p->agency_code, e.subject);
    if (!code)
      return Refusal{"code_not_leased", "'" + e.subject.substr(0, 80) + "' is not a dossier code of agency " +
                                            p->agency_code + ", the agency " + who + " is registered with"};
    if (rules.leases) {
      bool leased = false;
      for (const auto& [first, last] : rules.leases(p->name, code->first))
        leased = leased || (code->second >= first && code->second <= last);
      if (!leased)
        return Refusal{"code_not_leased", "number " + std::to_string(code->second) + " of day " + code->first +
                                              " is not in a block leased to " + who};
    }
    const std::string origin = text_of(e.body, "origin_point");
    if (origin != p->name)
      return Refusal{"origin_mismatch", "intake " + e.subject + " says it was taken in at '" + origin.substr(0, 64) +
                                            "' but is signed by " + who};
    const std::string area = text_of(e.body, "area");
    if (area != p->area)
      return Refusal{"area_mismatch", "intake " + e.subject + " names area '" + area.substr(0, 64) + "' but " + who +
                                          " serves area '" + p->area + "'"};
    return std::nullopt;
  }
  // Rule 3: any other act on a dossier.
  if (e.parents.empty())
    return Refusal{"no_parent", describe(e) + " by " + who + " names no earlier entry of the dossier"};
  {
    const auto& held = admitted();
    for (const auto& parent : e.parents) {
      bool found = false;
      for (const auto& x : held) found = found || x.id == parent;
      if (!found)
        return Refusal{"foreign_parent", describe(e) + " by " + who + " names parent " + to_hex(parent).substr(0, 16) +
                                             "…, which is not an entry of dossier " + e.subject.substr(0, 80)};
    }
  }
  const Json s = scope();
  const bool in_scope = s.is_object() && ((!text_of(s, "area").empty() && text_of(s, "area") == p->area) ||
                                          names(text_of(s, "origin_point"), *p) || names(text_of(s, "return_point"), *p));
  if (!in_scope)
    return Refusal{"not_in_scope", "dossier " + e.subject.substr(0, 80) + " (area '" + text_of(s, "area").substr(0, 64) +
                                       "') is not in the scope of " + who + " (area '" + p->area + "')"};
  if (std::find(p->acts.begin(), p->acts.end(), e.type) == p->acts.end())
    return Refusal{"act_not_allowed", who + " may not sign " + e.type + " (its acts are set at point add --acts)"};
  return std::nullopt;
}

std::optional<std::pair<int64_t, Hash32>> last_admitted(node::Node& node, const PublicKey& author) {
  auto heads = node.journal().heads();
  auto h = heads.find(author);
  if (h == heads.end() || h->second < 1) return std::nullopt;
  // From the head down to the first entry not held (nor rejected) in quarantine.
  for (int64_t seq = h->second; seq >= 1; --seq) {
    auto e = node.journal().get(author, seq);
    if (!e) continue;  // a gap (a point's sparse copy of another chain)
    if (!node.journal().quarantined(e->id)) return std::make_pair(e->seq, e->id);
  }
  return std::nullopt;
}

node::Admitter make_admitter(node::Node& node, const Registry& registry, node::Role role, HubStore* store) {
  auto rules = std::make_shared<Rules>();
  rules->registry = registry;
  rules->role = role;
  rules->self = node.keys().pk;
  const std::string pattern = node.config().get("code_pattern");
  if (!pattern.empty()) rules->code_pattern = pattern;
  if (store && role == node::Role::Hub)
    // Read once per (point, day) for the admitter's life (one push or bundle
    // import), a snapshot as the registry above is: a batch of 2,000 intakes
    // of one day asks the store once, not 2,000 times.
    rules->leases = [store, memo = std::make_shared<std::map<std::pair<std::string, std::string>,
                                                             std::vector<std::pair<int, int>>>>()](
                        const std::string& point, const std::string& day) {
      auto [it, fresh] = memo->try_emplace({point, day});
      if (fresh)
        for (const auto& l : store->leases_of(point, day))
          if (l.day == day) it->second.emplace_back(l.first, l.last);
      return it->second;
    };
  return [rules](const node::AdmitContext& c) -> std::optional<node::Admission> {
    auto r = judge(*rules, c.entry, c.admitted, c.scope);
    if (!r) return std::nullopt;
    return node::Admission{r->code, r->reason};
  };
}

}  // namespace motcua::sync
