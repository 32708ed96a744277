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
  auto heads = util::heads_with_ids(node_);
  Json welcome{{"type", "welcome"},
               {"hub", to_hex(node_.keys().pk)},
               {"hub_time_ms", now},
               {"point", point_json(*p)},
               {"heads", {{to_hex(*p->key), heads.count(*p->key) ? util::head_json(heads[*p->key].first, heads[*p->key].second)
                                                                  : util::head_json(0, Hash32{})}}},
               {"hub_epoch", util::epoch(node_)},
               {"leases", leases_json(impl_->top_up_leases(*p, now))},
               {"reference_hash", hash},
               {"catalogue", ref["catalogue"]},
               {"holidays", ref["holidays"]},
               {"points", ref["points"]},
               {"registry", ref["registry"]},
               {"registry_hash", ref["registry_hash"]}};
  Status s = add(welcome, {});
  if (!s.ok()) return s.error();
  scope::catch_up(node_);
  int64_t after = p->pull_cursor;
  std::optional<scope::History> history;
  for (;;) {
    std::unique_lock<std::recursive_mutex> lock(node_.journal().mutex());
    auto b = scope::read(node_, *p, after, opt_.max_batch_entries, opt_.max_batch_bytes / 2, history);
    Json h{{"type", "entries"}, {"after", after}, {"next", b.next}, {"more", b.more}, {"hub_epoch", util::epoch(node_)}};
    if (b.history) h["history"] = Json{{"upto", b.history->upto}, {"pos", b.history->pos}};
    Json states = impl_->states_of(b.entries);
    lock.unlock();
    if (!states.empty()) h["states"] = std::move(states);
    s = add(h, b.entries);
    if (!s.ok()) return s.error();
    after = b.next;
    history = b.history;
    if (!b.more) break;
  }
  return out;
} catch (const std::exception&) {
  return util::current_error();
}

}  // namespace motcua::sync
