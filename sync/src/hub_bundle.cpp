// The hub's side of a sync carried on a USB stick (docs/sync-protocol.md 11).
#include "hub_internal.hpp"
#include "hub_scope.hpp"
#include "sync_util.hpp"

namespace motcua::sync {

Result<std::vector<WireResponse>> Hub::export_for(const std::string& name, const std::string& bundle_id) try {
  auto p = store_->point(name);
  if (!p) return make_error("not_found", "no point named '" + name + "'", "point");
  if (p->status != "active" || !p->key)
    return make_error("conflict", "point '" + name + "' is " + p->status + "; only an enrolled point gets a bundle");
  const int64_t now = node_.clock().now_ms();
  std::vector<WireResponse> out;
  auto add = [&](const Json& header, const std::vector<wire::WireEntry>& entries) -> Status {
    auto body = wire::encode(header, entries);
    if (!body.ok()) return body.error();
    WireResponse r;
    r.status = 200;
    r.body = std::move(body.value());
    auth::sign_response(r, auth::bundle_binding(bundle_id), node_.keys(), now);
    out.push_back(std::move(r));
    return ok_status();
  };
  std::string hash;
  Json ref = impl_->reference_data(&hash);
  auto heads = node_.journal().heads();
  Json welcome{{"type", "welcome"},
               {"hub", to_hex(node_.keys().pk)},
               {"hub_time_ms", now},
               {"point", point_json(*p)},
               {"heads", {{to_hex(*p->key), heads.count(*p->key) ? heads[*p->key] : 0}}},
               {"leases", leases_json(impl_->top_up_leases(*p, now))},
               {"reference_hash", hash},
               {"catalogue", ref["catalogue"]},
               {"holidays", ref["holidays"]},
               {"points", ref["points"]}};
  Status s = add(welcome, {});
  if (!s.ok()) return s.error();
  scope::catch_up(node_);
  int64_t after = p->pull_cursor;
  for (;;) {
    auto b = scope::read(node_, *p, after, opt_.max_batch_entries, opt_.max_batch_bytes / 2);
    s = add(Json{{"type", "entries"}, {"after", after}, {"next", b.next}, {"more", b.more}}, b.entries);
    if (!s.ok()) return s.error();
    after = b.next;
    if (!b.more) break;
  }
  return out;
} catch (const std::exception&) {
  return util::current_error();
}

}  // namespace motcua::sync
