// The hub's side of a succession: a new PC continues a lost point with a new
// key (`point add --replace NAME`, then `restore --from-hub` at the new PC).
// docs/sync-protocol.md 15.3, docs/design/0095-point-succession.md.
#include <iostream>

#include "admission.hpp"
#include "hub_internal.hpp"
#include "sync_util.hpp"

namespace motcua::sync {

Json succession_json(const Succession& s) {
  Json r = Json::parse(s.body, nullptr, false);
  return Json{{"r", r.is_discarded() ? Json(nullptr) : r}, {"sig", to_hex(s.sig)}};
}

Result<PointRecord> Hub::Impl::succeed(Ctx& ctx, const EnrolmentCodeRecord& code) {
  // Under the journal lock from reading the old key's last admitted entry to
  // the commit: no push of that key can slip in between (the store's
  // transaction takes the same, recursive, lock).
  std::lock_guard<std::recursive_mutex> g(node.journal().mutex());
  auto p = store.point(code.point);
  if (!p || !p->key || !code.replaces || *p->key != *code.replaces)
    return make_error("enrolment_refused",
                      "point '" + code.point + "' no longer has the key this code replaces (another replacement was used)",
                      "code_id");
  if (p->status == "pending") return make_error("enrolment_refused", "point '" + code.point + "' never joined", "code_id");
  Succession s;
  s.point = p->name;
  s.old_key = *p->key;
  s.new_key = ctx.auth.node;
  s.at_ms = ctx.now;
  if (p->status == "revoked") {  // an admin revoked it before: that mark stands
    s.revoked_seq = p->revoked_seq;
    s.revoked_id = p->revoked_id;
  } else if (auto last = last_admitted(node, s.old_key)) {
    s.revoked_seq = last->first;
    s.revoked_id = last->second;
  }
  const Json record{{"type", "succession"},
                    {"hub", to_hex(node.keys().pk)},
                    {"point", s.point},
                    {"old_key", to_hex(s.old_key)},
                    {"new_key", to_hex(s.new_key)},
                    {"revoked_seq", s.revoked_seq},
                    {"revoked_id", s.revoked_seq ? to_hex(s.revoked_id) : std::string()},
                    {"at_ms", s.at_ms}};
  s.body = canonical_bytes(record);
  s.sig = sign(node.keys().sk, SignDomain::Succession, s.body);
  auto bound = store.succeed(code.code_hash, s);
  if (!bound.ok()) return bound.error();
  alert(s.point, "succession",
        "point '" + s.point + "' continues on a new key " + to_hex(s.new_key).substr(0, 16) + "… (restore --from-hub); "
            "the old key " + to_hex(s.old_key).substr(0, 16) + "… is retired after its entry #" +
            std::to_string(s.revoked_seq) + ", its code blocks retired",
        ctx.now);
  std::cerr << "motcua hub: point '" << s.point << "' continues on key " << to_hex(s.new_key).substr(0, 16)
            << "…; old key retired after #" << s.revoked_seq << "\n";
  return bound;
}

}  // namespace motcua::sync
