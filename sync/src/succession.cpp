// The point's side of a succession: a new PC continues a lost point with a
// new key (docs/sync-protocol.md 15.3, docs/design/0095-point-succession.md).
// `join` with a code of `point add --replace NAME` stores the hub-signed
// succession record and puts the point in "restoring"; the next session
// fetches the former keys' chains (own_chain "of") before anything else,
// then starts a new epoch and opens intake.
#include <algorithm>
#include <iostream>

#include "admission.hpp"
#include "motcua/sync/client.hpp"
#include "sync_client_internal.hpp"
#include "sync_util.hpp"

namespace motcua::sync {

namespace {

std::string text_of(const Json& j, const char* k) {
  auto it = j.find(k);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t int_of(const Json& j, const char* k) {
  auto it = j.find(k);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : -1;
}

// The former keys of `point` this node must hold the chains of, oldest
// first: those of its registry, and the one the succession record names.
std::vector<std::pair<PublicKey, int64_t>> former_keys(node::Node& n, const Json& record) {
  std::vector<std::pair<PublicKey, int64_t>> out;
  const std::string point = text_of(record, "point");
  const Registry reg = stored_registry(n);
  std::vector<const RegisteredPoint*> former;
  for (const auto& [k, p] : reg.points)
    if (p.former && p.name == point) former.push_back(&p);
  std::sort(former.begin(), former.end(), [](auto* a, auto* b) { return a->replaced_ms < b->replaced_ms; });
  for (const auto* p : former) out.emplace_back(p->key, p->revoked_seq);
  PublicKey old{};
  if (from_hex(text_of(record, "old_key"), old) &&
      std::none_of(out.begin(), out.end(), [&](const auto& f) { return f.first == old; }))
    out.emplace_back(old, int_of(record, "revoked_seq"));
  return out;
}

}  // namespace

Status apply_succession(node::Node& n, const PublicKey& hub, const std::string& point, const Json& enrolled) {
  auto it = enrolled.find("succession");
  if (it == enrolled.end()) return ok_status();
  auto bad = [](const std::string& why) {
    return make_error("malformed_message", "the hub's succession record is refused: " + why, "succession");
  };
  if (!it->is_object() || !it->contains("r") || !(*it)["r"].is_object()) return bad("no record");
  const Json& r = (*it)["r"];
  Signature sig{};
  if (!from_hex(text_of(*it, "sig"), sig)) return bad("no signature");
  if (!check_canonical(r).ok()) return bad("not canonical JSON");
  if (!verify(hub, SignDomain::Succession, canonical_bytes(r), sig)) return bad("its signature is not the hub's");
  PublicKey old{}, now{};
  if (text_of(r, "type") != "succession" || text_of(r, "hub") != to_hex(hub)) return bad("it is not this hub's");
  if (!from_hex(text_of(r, "new_key"), now) || now != n.keys().pk) return bad("it names another new key");
  if (!from_hex(text_of(r, "old_key"), old) || old == now) return bad("it names no former key");
  if (text_of(r, "point") != point) return bad("it is for another point");
  if (int_of(r, "revoked_seq") < 0) return bad("revoked_seq must be a number");
  util::state_set(n, "succession", it->dump());
  // No intake until the former key's chain is here: its dossier numbers and
  // its history (docs/sync-protocol.md 15.3).
  n.set_meta("restoring", "1");
  return ok_status();
}

bool succession_pending(node::Node& n) {
  return n.meta("restoring") == "1" && !util::state_get(n, "succession").empty();
}

Result<int64_t> fetch_former_chains(node::Node& n, const ChainCall& call, size_t batch, bool admission) try {
  Json rec = Json::parse(util::state_get(n, "succession"), nullptr, false);
  if (!rec.is_object() || !rec.contains("r")) return make_error("internal_error", "the stored succession is damaged");
  int64_t stored = 0;
  for (const auto& [key, upto] : former_keys(n, rec["r"])) {
    const std::string hex = to_hex(key);
    const std::string mark = "former_seq:" + hex.substr(0, 16);  // contiguous prefix held so far
    int64_t have = util::state_get(n, mark).empty() ? 0 : util::state_get_int(n, mark);
    while (have < upto) {
      auto r = call("own_chain", Json{{"after_seq", have}, {"limit", batch}, {"of", hex}});
      if (!r.ok()) return r.error();
      const int64_t next = int_of(r->header, "next_seq");
      auto given = wire::shells(r->entries);
      if (!given.ok()) return given.error();
      // The former key's entries of the page: exactly have+1 .. next, in order.
      int64_t expect = have + 1;
      for (const auto& e : given.value())
        if (e.author == key) {
          if (e.seq != expect)
            return make_error("broken_chain", "the former key's chain from the hub skips from seq " +
                                                  std::to_string(expect - 1) + " to " + std::to_string(e.seq));
          ++expect;
        }
      if (expect - 1 != next || next <= have)
        return make_error("stale_chain", "the hub sent none of the former key's chain after seq " + std::to_string(have));
      auto added = ingest_pulled(n, given.value(), admission);
      if (!added.ok()) return make_error(added.error().code, "former key's chain refused: " + added.error().message);
      auto last = n.journal().get(key, next);
      if (!last) return make_error("broken_chain", "the former key's entry #" + std::to_string(next) + " was not stored");
      stored += added->stored;
      have = next;
      util::state_set(n, mark, std::to_string(have));
    }
  }
  return stored;
} catch (const std::exception&) {
  return util::current_error();
}

Result<Json> complete_restore(node::Node& n, Transport& t, const ClientOptions& o, int attempts) {
  Json last;
  for (int i = 0; i < std::max(1, attempts); ++i) {
    auto r = sync_once(n, t, o);
    if (!r.ok()) {
      if (i + 1 >= attempts) return r.error();
      continue;
    }
    last = r.value();
    if (n.meta("restoring") != "1") return last;
  }
  return make_error("point_restoring", "the point is still fetching its former chain; run motcua sync again");
}

Result<Json> restore_from_hub(node::Node& n, Transport& t, const std::string& hub_url, const std::string& code,
                              const ClientOptions& o) {
  auto j = join(n, t, hub_url, code);
  if (!j.ok()) return j.error();
  auto s = complete_restore(n, t, o);
  if (!s.ok()) return s.error();
  Json out = j.value();
  out["sync"] = s.value();
  return out;
}

}  // namespace motcua::sync
