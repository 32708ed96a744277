// The hub's quarantine surface (docs/sync-protocol.md, "Quarantine"): the
// rows of held, released and rejected entries, the signed entry as evidence,
// and the admin's signed release or rejection.
#include <iostream>

#include <SQLiteCpp/SQLiteCpp.h>

#include "hub_internal.hpp"
#include "hub_scope.hpp"
#include "motcua/schema/columns.hpp"
#include "sync_util.hpp"

namespace motcua::sync {

namespace {

Json row_json(HubStore& store, const node::QuarantineRow& r) {
  auto p = store.point_by_key(r.author);
  return Json{{"id", to_hex(r.id)},
              {"author", to_hex(r.author)},
              {"point", p ? Json(p->name) : Json(nullptr)},
              {"seq", r.seq},
              {"type", r.type},
              {"subject", r.subject},
              {"code", r.code},
              {"reason", r.reason},
              {"state", r.state},
              {"at", util::iso_utc(r.at_ms)},
              {"decided_at", r.decided_ms ? Json(util::iso_utc(r.decided_ms)) : Json(nullptr)},
              {"decided_by", r.decided_by.empty() ? Json(nullptr) : Json(r.decided_by)}};
}

bool is_hex(const std::string& s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

Result<Json> Hub::quarantine(const std::string& state) try {
  if (!state.empty() && state != "held" && state != "released" && state != "rejected")
    return make_error("invalid_value", "state is held, released or rejected", "state");
  Json items = Json::array();
  for (const auto& r : node_.journal().quarantine(state)) items.push_back(row_json(*store_, r));
  return Json{{"items", items}};
} catch (const std::exception&) {
  return util::current_error();
}

namespace {
// The full id of a quarantined entry from 64 hex or a unique prefix (>= 8).
Result<Hash32> resolve(node::Node& n, const std::string& text) {
  if (text.size() < 8 || text.size() > 64 || !is_hex(text))
    return make_error("invalid_value", "id is the entry's id: 64 lowercase hex digits (or its first 8 or more)", "id");
  if (text.size() == 64) {
    Hash32 id{};
    from_hex(text, id);
    return id;
  }
  std::optional<Hash32> found;
  for (const auto& r : n.journal().quarantine(""))
    if (to_hex(r.id).compare(0, text.size(), text) == 0) {
      if (found) return make_error("invalid_value", "id prefix " + text + " matches several entries: give more digits", "id");
      found = r.id;
    }
  if (!found) return make_error("not_found", "no quarantined entry " + text, "id");
  return *found;
}
}  // namespace

Result<Json> Hub::quarantine_entry(const std::string& id_text) try {
  auto id = resolve(node_, id_text);
  if (!id.ok()) return id.error();
  auto row = node_.journal().quarantine_row(id.value());
  auto e = node_.journal().get(id.value());
  if (!row || !e) return make_error("not_found", "no quarantined entry " + id_text, "id");
  Json out = row_json(*store_, *row);
  // The evidence: the exact signed bytes and signature, and what they say.
  out["entry"] = Json{{"id", to_hex(e->id)},
                      {"canonical", e->canonical},
                      {"sig", to_hex(e->sig)},
                      {"signed", Json::parse(e->canonical, nullptr, false)}};
  return out;
} catch (const std::exception&) {
  return util::current_error();
}

Result<Json> Hub::decide_quarantine(const std::string& id_text, bool release, const std::string& reason,
                                    const std::string& by) try {
  auto id = resolve(node_, id_text);
  if (!id.ok()) return id.error();
  auto d = node_.journal().decide(id.value(), release ? node::Journal::Decision::Release : node::Journal::Decision::Reject,
                                  reason, by, impl_->admission());
  if (!d.ok()) return d.error();
  scope::catch_up(node_);  // a released entry is in scope from its decision on
  std::cerr << "motcua hub: quarantine: entry " << to_hex(id.value()) << (release ? " released" : " rejected")
            << " by " << by << ": " << reason << "\n";
  auto row = node_.journal().quarantine_row(id.value());
  Json out = row ? row_json(*store_, *row) : Json::object();
  out["decision"] = Json{{"id", to_hex(d->id)}, {"type", d->type}, {"seq", d->seq}};
  return out;
} catch (const std::exception&) {
  return util::current_error();
}

}  // namespace motcua::sync
