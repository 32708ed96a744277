// The point's attachment steps of a session: upload after the push, download
// after the pull (docs/sync-protocol.md 12.7).
#include <set>

#include "blob_sync.hpp"
#include "motcua/node/node.hpp"
#include "sync_util.hpp"

namespace motcua::sync::blobs {

namespace {

// A refusal about one blob: skip it, note it, go on with the others.
bool about_one_blob(const Error& e) {
  static const std::set<std::string> codes = {"blob_not_in_scope", "blob_not_held",     "blob_too_large",
                                              "blob_mismatch",     "validation_failed", "malformed_message",
                                              "batch_too_large",   "too_large"};
  return codes.count(e.code) > 0;
}

struct CheckAnswer {
  Json held = Json::object(), missing = Json::object();
  std::set<std::string> refused;
};

Result<CheckAnswer> check(const Call& call, const std::vector<std::string>& ids) {
  auto r = call("blob_check", Json{{"ids", ids}}, {});
  if (!r.ok()) return r.error();
  const Json& h = r->header;
  if (h.value("type", std::string()) != "blob_status")
    return make_error("malformed_message", "hub reply: expected blob_status");
  CheckAnswer s;
  if (h.contains("held") && h["held"].is_object()) s.held = h["held"];
  if (h.contains("missing") && h["missing"].is_object()) s.missing = h["missing"];
  if (h.contains("refused") && h["refused"].is_array())
    for (const auto& x : h["refused"])
      if (x.is_string()) s.refused.insert(x.get<std::string>());
  return s;
}

int64_t int_of(const Json& j, const std::string& k, int64_t dflt) {
  auto it = j.find(k);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : dflt;
}

// Sends `id` from the hub's count `have` until the hub says done. Returns
// false (noted in `st`) when the hub refused this blob.
Result<bool> send_one(node::Node& n, node::BlobStore& store, const Call& call, const StepOptions& o, Stats& st,
                      const std::string& id, int64_t have) {
  auto info = store.info(id);
  auto path = store.path(id);
  if (!info || !path) return false;  // vanished locally since the candidates were read
  const int64_t total = info->size;
  if (o.hub_max_bytes > 0 && total > o.hub_max_bytes) {
    st.note(id, make_error("blob_too_large", "tệp đính kèm lớn hơn giới hạn của trung tâm / the attachment (" +
                                                 std::to_string(total) + " bytes) is over the hub's limit of " +
                                                 std::to_string(o.hub_max_bytes) + " bytes (max_blob_bytes)",
                           "total"));
    return false;
  }
  int64_t offset = (have >= 0 && have < total) ? have : 0;
  int resyncs = 0;
  for (;;) {
    size_t len = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(o.chunk_bytes), total - offset));
    auto bytes = read_range(*path, offset, len);
    if (!bytes.ok()) return bytes.error();
    if (bytes->empty()) return make_error("io_error", "the attachment " + id.substr(0, 16) + "… is shorter than recorded");
    auto r = call("blob_put", Json{{"id", id}, {"offset", offset}, {"total", total}}, bytes.value());
    if (!r.ok()) {
      if (!about_one_blob(r.error())) return r.error();
      st.note(id, r.error());
      return false;
    }
    int64_t now_have = int_of(r->header, "have_bytes", -1);
    if (now_have == offset + static_cast<int64_t>(bytes->size())) st.bytes_up += static_cast<int64_t>(bytes->size());
    auto done = r->header.find("done");
    if (done != r->header.end() && done->is_boolean() && done->get<bool>()) {
      confirm(n, id, n.clock().now_ms());
      st.blobs_up++;
      return true;
    }
    if (now_have < 0 || now_have >= total) return make_error("bad_ack", "the hub acknowledged an impossible offset");
    if (now_have != offset + static_cast<int64_t>(bytes->size()) && ++resyncs > 3)
      return make_error("bad_ack", "the hub keeps asking for another offset of " + id.substr(0, 16) + "…");
    offset = now_have;
  }
}

// Receives `id` (`total` bytes at the hub) into the partial file until
// complete, then stores it if its bytes hash to the id.
Result<bool> fetch_one(node::Node& n, node::BlobStore& store, const Call& call, const StepOptions& o, Stats& st,
                       const std::string& id, int64_t total) {
  if (total < 1 || total > store.max_bytes()) {
    st.note(id, make_error("blob_too_large", "tệp đính kèm lớn hơn giới hạn của điểm / the attachment (" +
                                                 std::to_string(total) + " bytes) is over this point's limit of " +
                                                 std::to_string(store.max_bytes()) + " bytes (max_blob_bytes)",
                           "total"));
    return false;
  }
  Partials partials(n.data_dir());
  int64_t held = partials.held(id);
  if (held > total) {
    partials.discard(id);
    held = 0;
  }
  while (held < total) {
    auto r = call("blob_get", Json{{"id", id}, {"offset", held}, {"limit", o.chunk_bytes}}, {});
    if (!r.ok()) {
      if (!about_one_blob(r.error())) return r.error();
      st.note(id, r.error());
      return false;
    }
    const std::string& data = r->data;
    if (int_of(r->header, "offset", -1) != held || int_of(r->header, "total", -1) != total || data.empty() ||
        held + static_cast<int64_t>(data.size()) > total)
      return make_error("bad_chunk", "the hub sent a chunk of " + id.substr(0, 16) + "… that does not fit");
    Status s = partials.append(id, held, data);
    if (!s.ok()) return s.error();
    held += static_cast<int64_t>(data.size());
    st.bytes_down += static_cast<int64_t>(data.size());
  }
  auto info = partials.complete(id, store);
  if (!info.ok()) {
    if (local_disk_error(info.error())) return info.error();
    st.note(id, info.error());
    return false;
  }
  confirm(n, id, n.clock().now_ms());
  st.blobs_down++;
  return true;
}

// An older hub that does not know the attachment requests: nothing to do.
bool hub_without_blobs(const Error& e, Stats& st) {
  if (e.code != "not_found") return false;
  st.note("", make_error("not_found", "trung tâm chưa hỗ trợ tệp đính kèm / the hub does not take attachments "
                                      "(an older version): they wait for its upgrade"));
  return true;
}

}  // namespace

Status upload(node::Node& n, const Call& call, const StepOptions& o, Stats& st) try {
  if (Status s = catch_up_refs(n); !s.ok()) return s;
  auto store = store_of(n);
  auto c = candidates(n, *store);
  for (size_t i = 0; i < c.held.size(); i += kMaxCheckIds) {
    std::vector<std::string> group(c.held.begin() + static_cast<std::ptrdiff_t>(i),
                                   c.held.begin() + static_cast<std::ptrdiff_t>(std::min(c.held.size(), i + kMaxCheckIds)));
    auto s = check(call, group);
    if (!s.ok()) return hub_without_blobs(s.error(), st) ? ok_status() : Status(s.error());
    for (const auto& id : group) {
      if (s->held.contains(id)) {
        confirm(n, id, n.clock().now_ms());
      } else if (s->missing.contains(id)) {
        int64_t have = s->missing[id].is_number_integer() ? s->missing[id].get<int64_t>() : 0;
        auto sent = send_one(n, *store, call, o, st, id, have);
        if (!sent.ok()) return sent.error();
      } else if (s->refused.count(id)) {
        st.note(id, make_error("blob_not_in_scope",
                               "trung tâm không nhận tệp đính kèm này / the hub refuses this attachment: no dossier "
                               "in this point's scope references it",
                               "id"));
      }
    }
  }
  return ok_status();
} catch (const std::exception&) {
  return util::current_error();
}

Status download(node::Node& n, const Call& call, const StepOptions& o, Stats& st) try {
  if (Status s = catch_up_refs(n); !s.ok()) return s;
  auto store = store_of(n);
  auto c = candidates(n, *store);
  for (size_t i = 0; i < c.lacking.size(); i += kMaxCheckIds) {
    std::vector<std::string> group(
        c.lacking.begin() + static_cast<std::ptrdiff_t>(i),
        c.lacking.begin() + static_cast<std::ptrdiff_t>(std::min(c.lacking.size(), i + kMaxCheckIds)));
    auto s = check(call, group);
    if (!s.ok()) return hub_without_blobs(s.error(), st) ? ok_status() : Status(s.error());
    for (const auto& id : group) {
      if (!s->held.contains(id)) continue;  // not at the hub yet, or not in scope: asked again next session
      int64_t total = s->held[id].is_number_integer() ? s->held[id].get<int64_t>() : -1;
      auto got = fetch_one(n, *store, call, o, st, id, total);
      if (!got.ok()) return got.error();
    }
  }
  return ok_status();
} catch (const std::exception&) {
  return util::current_error();
}

}  // namespace motcua::sync::blobs
