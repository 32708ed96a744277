// The hub's side of attachments: blob_check, blob_put, blob_get
// (docs/sync-protocol.md section 12). Every answer about an id comes after the
// scope check, so nothing tells a point about attachments outside its scope.
#include <set>

#include "blob_sync.hpp"
#include "hub_internal.hpp"
#include "hub_scope.hpp"

namespace motcua::sync {

namespace {

Error malformed(const std::string& why, const std::string& field) { return make_error("malformed_message", why, field); }

Result<std::string> id_field(const Json& h) {
  auto it = h.find("id");
  if (it == h.end() || !it->is_string() || !blobs::valid_id(it->get_ref<const std::string&>()))
    return malformed("id must be an attachment id (64 lowercase hex)", "id");
  return it->get<std::string>();
}

Result<int64_t> int_field(const Json& h, const char* k, int64_t min) {
  auto it = h.find(k);
  if (it == h.end() || !it->is_number_integer() || it->get<int64_t>() < min)
    return malformed(std::string(k) + " must be an integer >= " + std::to_string(min), k);
  return it->get<int64_t>();
}

Error not_in_scope() {
  return make_error("blob_not_in_scope",
                    "tệp đính kèm này không thuộc hồ sơ nào trong phạm vi của điểm / no dossier in this point's scope "
                    "references this attachment",
                    "id");
}

}  // namespace

Result<Reply> Hub::Impl::blob_check(Ctx& ctx) {
  const Json& h = ctx.msg.header;
  auto it = h.find("ids");
  if (it == h.end() || !it->is_array() || it->empty()) return malformed("blob_check needs a list of ids", "ids");
  if (it->size() > blobs::kMaxCheckIds)
    return make_error("batch_too_large", "at most " + std::to_string(blobs::kMaxCheckIds) + " ids per blob_check", "ids");
  std::set<std::string> ids;
  for (const auto& x : *it) {
    if (!x.is_string() || !blobs::valid_id(x.get_ref<const std::string&>()))
      return malformed("ids must be attachment ids (64 lowercase hex)", "ids");
    ids.insert(x.get<std::string>());
  }
  scope::catch_up(node);
  if (Status s = blobs::catch_up_refs(node); !s.ok()) return s.error();
  auto store = blobs::store_of(node);
  blobs::Partials partials(node.data_dir());
  Json held = Json::object(), missing = Json::object(), refused = Json::array();
  for (const auto& id : ids) {
    if (!scope::blob_in_scope(node, ctx.point, id)) {
      refused.push_back(id);
      continue;
    }
    auto info = store->info(id);
    if (info && store->path(id)) {
      held[id] = info->size;
    } else {
      std::lock_guard<std::mutex> g(blob_mu);
      missing[id] = partials.held(id);
    }
  }
  Reply r;
  r.header = Json{{"type", "blob_status"}, {"held", held}, {"missing", missing}, {"refused", refused}};
  return r;
}

Result<Reply> Hub::Impl::blob_put(Ctx& ctx) {
  const Json& h = ctx.msg.header;
  auto id = id_field(h);
  if (!id.ok()) return id.error();
  auto offset = int_field(h, "offset", 0);
  if (!offset.ok()) return offset.error();
  auto total = int_field(h, "total", 1);
  if (!total.ok()) return total.error();
  const std::string& data = ctx.msg.data;
  if (data.empty()) return malformed("blob_put carries a chunk of the attachment", "data");
  if (data.size() > blobs::kChunkBytes)
    return make_error("batch_too_large", "a chunk may hold at most " + std::to_string(blobs::kChunkBytes) + " bytes",
                      "data");
  auto store = blobs::store_of(node);
  if (total.value() > store->max_bytes())
    return make_error("blob_too_large",
                      "tệp đính kèm quá lớn / the attachment (" + std::to_string(total.value()) +
                          " bytes) is larger than this hub's limit of " + std::to_string(store->max_bytes()) +
                          " bytes (max_blob_bytes)",
                      "total");
  scope::catch_up(node);
  if (Status s = blobs::catch_up_refs(node); !s.ok()) return s.error();
  if (!scope::blob_in_scope(node, ctx.point, id.value())) return not_in_scope();
  auto ack = [&](int64_t have, bool done) {
    Reply r;
    r.header = Json{{"type", "blob_ack"}, {"id", id.value()}, {"have_bytes", have}, {"done", done}};
    return r;
  };
  const std::shared_ptr<std::mutex> id_mu = blob_lock(id.value());
  std::lock_guard<std::mutex> g(*id_mu);
  blobs::Partials partials(node.data_dir());
  if (auto info = store->info(id.value()); info && store->path(id.value())) {
    partials.discard(id.value());
    return ack(info->size, true);
  }
  int64_t held = partials.held(id.value());
  if (held > total.value()) {  // left by a transfer that claimed another size
    partials.discard(id.value());
    held = 0;
  }
  if (offset.value() != held) return ack(held, false);  // the point continues from what is held
  if (held + static_cast<int64_t>(data.size()) > total.value())
    return malformed("the chunk goes past the attachment's total size", "data");
  Status s = partials.append(id.value(), held, data);
  if (!s.ok()) return s.error();
  held += static_cast<int64_t>(data.size());
  if (held < total.value()) return ack(held, false);
  auto info = partials.complete(id.value(), *store);
  if (!info.ok()) return info.error();
  return ack(info->size, true);
}

std::shared_ptr<std::mutex> Hub::Impl::blob_lock(const std::string& id) {
  std::lock_guard<std::mutex> g(blob_mu);
  if (blob_locks.size() > 4096)  // forget the ids no upload holds any more
    for (auto it = blob_locks.begin(); it != blob_locks.end();) it = it->second.expired() ? blob_locks.erase(it) : std::next(it);
  std::shared_ptr<std::mutex> m = blob_locks[id].lock();
  if (!m) {
    m = std::make_shared<std::mutex>();
    blob_locks[id] = m;
  }
  return m;
}

Result<Reply> Hub::Impl::blob_get(Ctx& ctx) {
  const Json& h = ctx.msg.header;
  auto id = id_field(h);
  if (!id.ok()) return id.error();
  auto offset = int_field(h, "offset", 0);
  if (!offset.ok()) return offset.error();
  int64_t limit = static_cast<int64_t>(blobs::kChunkBytes);
  if (h.contains("limit")) {
    auto l = int_field(h, "limit", 1);
    if (!l.ok()) return l.error();
    limit = std::min(limit, l.value());
  }
  scope::catch_up(node);
  if (Status s = blobs::catch_up_refs(node); !s.ok()) return s.error();
  if (!scope::blob_in_scope(node, ctx.point, id.value())) return not_in_scope();
  auto store = blobs::store_of(node);
  auto info = store->info(id.value());
  auto path = info ? store->path(id.value()) : std::nullopt;
  if (!info || !path)
    return make_error("blob_not_held",
                      "trung tâm chưa có tệp đính kèm này / the hub does not hold this attachment yet", "id");
  if (offset.value() >= info->size)
    return malformed("offset must be below the attachment's size (" + std::to_string(info->size) + ")", "offset");
  auto bytes = blobs::read_range(*path, offset.value(), static_cast<size_t>(std::min(limit, info->size - offset.value())));
  if (!bytes.ok()) return bytes.error();
  Reply r;
  r.header = Json{{"type", "blob_chunk"}, {"id", id.value()},          {"offset", offset.value()},
                  {"total", info->size},  {"media_type", info->media_type}};
  r.data = std::move(bytes.value());
  return r;
}

}  // namespace motcua::sync
