// Bundle files: "MOTCUA-BUNDLE 2" LF, a JSON header line, then per message a
// JSON line {"path", "status", "headers", "length"} LF and `length` body bytes.
#include "motcua/sync/bundle.hpp"

#include <climits>
#include <optional>

#include "motcua/durable_file.hpp"
#include "motcua/json_read.hpp"
#include "motcua/node/node.hpp"
#include "motcua/sync/hub.hpp"
#include "sync_auth.hpp"
#include "sync_client_internal.hpp"
#include "sync_util.hpp"

namespace motcua::sync {

namespace {

constexpr const char* kMagic = "MOTCUA-BUNDLE 2\n";
constexpr size_t kMaxBundle = size_t{1} << 30;
constexpr size_t kMaxMessage = (8u << 20) + (64u << 10);

struct Message {
  std::string path;
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
};

struct Bundle {
  Json header;
  std::vector<Message> messages;
};

std::string write_bundle(const Json& header, const std::vector<Message>& msgs) {
  std::string out = kMagic;
  Json h = header;
  h["messages"] = msgs.size();
  out += h.dump() + "\n";
  for (const auto& m : msgs) {
    Json line{{"path", m.path}, {"status", m.status}, {"headers", m.headers}, {"length", m.body.size()}};
    out += line.dump() + "\n";
    out += m.body;
  }
  return out;
}

Error bad(const std::string& why) { return make_error("malformed_bundle", why, "file"); }

// Fields of the JSON lines of a bundle (and of the messages in it) as they
// are read: absent gives the default, a value of another type is refused by
// the caller (nullopt), never converted (json::value() would throw, or cast a
// huge float to an integer).
std::optional<std::string> text_field(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return std::string();
  if (!it->is_string()) return std::nullopt;
  return it->get<std::string>();
}
std::optional<int64_t> int_field(const Json& j, const char* key, int64_t dflt) {
  auto it = j.find(key);
  if (it == j.end()) return dflt;
  if (!it->is_number_integer() || (it->is_number_unsigned() && it->get<uint64_t>() > uint64_t(INT64_MAX)))
    return std::nullopt;
  return it->get<int64_t>();
}
// "" when absent or not text: the callers compare it with what they expect.
std::string text_or_empty(const Json& j, const char* key) { return text_field(j, key).value_or(std::string()); }

Result<Bundle> read_bundle(const std::string& file) {
  auto data = read_small_file(file, kMaxBundle);
  if (!data.ok()) return data.error();
  const std::string& s = data.value();
  if (s.compare(0, std::string(kMagic).size(), kMagic) != 0) return bad("not a motcua bundle (bad first line)");
  size_t p = std::string(kMagic).size();
  auto line = [&](Json& out) -> bool {
    size_t nl = s.find('\n', p);
    if (nl == std::string::npos) return false;
    auto parsed = read_json(std::string_view(s).substr(p, nl - p), JsonLimits{nl - p, kMaxJsonDepth}, "file");
    p = nl + 1;
    if (!parsed.ok()) return false;
    out = std::move(parsed.value());
    return out.is_object();
  };
  Bundle b;
  if (!line(b.header)) return bad("bundle header is not a JSON object");
  auto n = int_field(b.header, "messages", 0);
  if (!n || *n < 0) return bad("bundle header: messages must be a count");
  for (int64_t i = 0; i < *n; ++i) {
    const std::string at = "message " + std::to_string(i);
    Json m;
    if (!line(m)) return bad(at + ": bad header line");
    Message msg;
    auto path = text_field(m, "path");
    auto status = int_field(m, "status", 0);
    auto len = int_field(m, "length", 0);
    if (!path || !status || *status < 0 || *status > 999 || !len || *len < 0)
      return bad(at + ": path must be text, status an HTTP status and length a byte count");
    msg.path = std::move(*path);
    msg.status = static_cast<int>(*status);
    if (m.contains("headers") && m["headers"].is_object())
      for (auto it = m["headers"].begin(); it != m["headers"].end(); ++it)
        if (it.value().is_string()) msg.headers[it.key()] = it.value().get<std::string>();
    if (static_cast<uint64_t>(*len) > kMaxMessage || s.size() - p < static_cast<uint64_t>(*len))
      return bad(at + ": truncated");
    msg.body = s.substr(p, static_cast<size_t>(*len));
    p += static_cast<size_t>(*len);
    b.messages.push_back(std::move(msg));
  }
  if (p != s.size()) return bad("bytes after the last message");
  return b;
}

Status save(const std::string& file, const std::string& bytes) { return write_file_durably(file, bytes, 0600); }

}  // namespace

Result<Json> export_point_bundle(node::Node& n, const std::string& file) try {
  std::string hub_hex = util::state_get(n, "hub_key");
  if (hub_hex.empty()) return make_error("not_enrolled", "this point has not joined a hub (run: motcua join)");
  const int64_t now = n.clock().now_ms();
  std::vector<Message> msgs;
  auto add = [&](const std::string& kind, Json header, const std::vector<wire::WireEntry>& entries) -> Status {
    header["type"] = kind;
    auto body = wire::encode(header, entries);
    if (!body.ok()) return body.error();
    // Outside any session (counter 0): the hub applies each message
    // idempotently, so a bundle imported twice stores nothing twice.
    auto req = auth::make_request("/sync/v2/" + kind, std::move(body.value()), n.keys(), "-", int64_t{0}, now);
    msgs.push_back(Message{req.path, 0, req.headers, std::move(req.body)});
    return ok_status();
  };
  Status s = add("hello", util::hello_header(n), {});
  if (!s.ok()) return s.error();
  int64_t seq = util::state_get_int(n, "hub_has_self"), entries = 0;
  for (;;) {
    auto batch = util::author_entries(n, n.keys().pk, seq, 2000, 4u << 20);
    if (batch.empty()) break;
    seq += static_cast<int64_t>(batch.size());
    entries += static_cast<int64_t>(batch.size());
    s = add("push", Json::object(), batch);
    if (!s.ok()) return s.error();
  }
  std::string bytes = write_bundle(Json{{"kind", "point-to-hub"}, {"id", auth::random_hex(n.random(), 16)},
                                        {"from", to_hex(n.keys().pk)}, {"to", hub_hex}, {"created_ms", now}},
                                   msgs);
  s = save(file, bytes);
  if (!s.ok()) return s.error();
  return Json{{"file", file}, {"messages", msgs.size()}, {"entries", entries}, {"bytes", bytes.size()}};
} catch (const std::exception&) {
  return util::current_error();
}

namespace {

// The sync log id of one import of bundle `id`: the bundle id the first
// time, then id-2, id-3 …, so importing a file again (or after a refusal)
// adds a row instead of overwriting what the first import recorded.
std::string import_log_id(HubStore& store, const std::string& id) {
  if (!store.session(id)) return id;
  for (int k = 2;; ++k) {
    std::string next = id + "-" + std::to_string(k);
    if (!store.session(next)) return next;
  }
}

}  // namespace

Result<Json> import_point_bundle(Hub& hub, node::Node& hub_node, const std::string& file) try {
  auto b = read_bundle(file);
  if (!b.ok()) return b.error();
  const Json& h = b->header;
  if (text_or_empty(h, "kind") != "point-to-hub") return bad("this bundle is not from a point to a hub");
  if (text_or_empty(h, "to") != to_hex(hub_node.keys().pk)) return bad("this bundle is addressed to another hub");
  PublicKey from;
  if (!from_hex(text_or_empty(h, "from"), from)) return bad("bundle sender is not a node key");
  auto p = hub.store().point_by_key(from);
  SyncLogRow row;
  const std::string id = text_or_empty(h, "id");
  row.id = import_log_id(hub.store(), id.empty() ? auth::random_hex(hub_node.random(), 16) : id);
  row.point = p ? p->name : to_hex(from).substr(0, 16);
  row.started_ms = hub_node.clock().now_ms();
  row.result = "running";
  int64_t stored = 0, skipped = 0;
  Error failure;
  bool failed = false;
  for (const auto& m : b->messages) {
    WireResponse res = hub.handle_offline(WireRequest{m.path, m.headers, m.body, "bundle"});
    row.bytes_up += static_cast<int64_t>(m.body.size());
    auto d = wire::decode(res.body, kMaxMessage);
    if (res.status != 200) {
      Error e = d.ok() ? error_from(d.value(), res.status) : make_error("hub_error", "refused");
      failed = true;
      failure = e;
      break;
    }
    if (d.ok() && d->header.value("type", std::string()) == "receipt") {
      // A push whose entries the hub already held (the bundle, or part of
      // it, was imported before) stores nothing: it counts as skipped.
      const int64_t k = d->header.value("stored", int64_t{0});
      if (k == 0) ++skipped;
      stored += k;
      row.receipts += static_cast<int64_t>(d->header.value("receipts", Json::array()).size());
    }
  }
  row.entries_up = stored;
  row.ended_ms = hub_node.clock().now_ms();
  row.result = failed ? "refused" : "ok";
  if (failed) row.error = "bundle: " + failure.code + ": " + failure.message;
  hub.store().put_session(row);
  if (failed) return failure;
  return Json{{"point", row.point}, {"stored", stored}, {"messages", b->messages.size()}, {"skipped", skipped}};
} catch (const std::exception&) {
  return util::current_error();
}

Result<Json> export_hub_bundle(Hub& hub, node::Node& hub_node, const std::string& point, const std::string& file) try {
  auto p = hub.store().point(point);
  if (!p || !p->key) return make_error("not_found", "no enrolled point named '" + point + "'", "point");
  std::string id = auth::random_hex(hub_node.random(), 16);
  auto res = hub.export_for(point, id);
  if (!res.ok()) return res.error();
  std::vector<Message> msgs;
  int64_t entries = 0;
  for (auto& r : res.value()) {
    auto d = wire::decode(r.body, kMaxMessage);
    if (d.ok()) entries += static_cast<int64_t>(d->entries.size());
    msgs.push_back(Message{"/sync/v2/bundle", r.status, r.headers, std::move(r.body)});
  }
  std::string bytes = write_bundle(Json{{"kind", "hub-to-point"}, {"id", id}, {"from", to_hex(hub_node.keys().pk)},
                                        {"to", to_hex(*p->key)}, {"created_ms", hub_node.clock().now_ms()}},
                                   msgs);
  Status s = save(file, bytes);
  if (!s.ok()) return s.error();
  return Json{{"file", file}, {"messages", msgs.size()}, {"entries", entries}, {"bytes", bytes.size()}};
} catch (const std::exception&) {
  return util::current_error();
}

Result<Json> import_hub_bundle(node::Node& n, const std::string& file, bool admission) try {
  PublicKey hub;
  if (!from_hex(util::state_get(n, "hub_key"), hub))
    return make_error("not_enrolled", "this point has not joined a hub (run: motcua join)");
  auto b = read_bundle(file);
  if (!b.ok()) return b.error();
  const Json& h = b->header;
  if (text_or_empty(h, "kind") != "hub-to-point") return bad("this bundle is not from a hub to a point");
  if (text_or_empty(h, "from") != to_hex(hub)) return bad("this bundle was not written by this point's hub");
  if (text_or_empty(h, "to") != to_hex(n.keys().pk)) return bad("this bundle is for another point");
  const std::string id = text_or_empty(h, "id");
  SyncLogRow row;
  row.id = import_log_id(*open_hub_store(n), id);
  row.point = n.name();
  row.started_ms = n.clock().now_ms();
  int64_t cursor = util::state_get_int(n, "pull_cursor"), leases = 0, quarantined = 0, skipped = 0;
  HubStates states;
  for (const auto& m : b->messages) {
    WireResponse r{m.status, m.headers, m.body};
    Status s = auth::check_response(r, hub, auth::bundle_binding(id));
    if (!s.ok()) return s.error();
    auto d = wire::decode(m.body, kMaxMessage);
    if (!d.ok()) return d.error();
    row.bytes_down += static_cast<int64_t>(m.body.size());
    const Json& mh = d->header;
    // Signed by the hub, but read as carefully as the file around it.
    const std::string type = text_or_empty(mh, "type");
    if (type == "welcome") {
      s = apply_leases(n, mh.value("leases", Json::array()));
      if (!s.ok()) return s.error();
      leases = static_cast<int64_t>(mh.value("leases", Json::array()).size());
      const Json heads = mh.value("heads", Json::object());
      const std::string self = to_hex(n.keys().pk);
      auto has = heads.is_object() && heads.contains(self) ? util::parse_head(heads[self]) : std::nullopt;
      if (!has) return make_error("malformed_message", "welcome: heads must map node keys to [seq, id]", "heads");
      if (has->first > util::state_get_int(n, "hub_has_self"))
        util::state_set(n, "hub_has_self", std::to_string(has->first));
      // Cursor = (hub epoch, position): positions of another hub epoch start from 0.
      const std::string hub_epoch = text_or_empty(mh, "hub_epoch");
      if (!hub_epoch.empty() && hub_epoch != util::state_get(n, "hub_epoch")) {
        if (!util::state_get(n, "hub_epoch").empty()) cursor = 0;
        util::state_set(n, "hub_epoch", hub_epoch);
      }
      if (text_or_empty(mh, "reference_hash") != util::state_get(n, "reference_hash") ||
          text_or_empty(mh, "registry_hash") != util::state_get(n, "registry_hash")) {
        s = apply_reference(n, mh);
        if (!s.ok()) return s.error();
      }
    } else if (type == "entries") {
      auto given = wire::shells(d->entries);
      if (!given.ok()) return given.error();
      auto added = ingest_pulled(n, given.value(), admission);
      if (!added.ok()) return added.error();
      row.entries_down += added->stored;
      quarantined += static_cast<int64_t>(added->quarantined.size());
      skipped += static_cast<int64_t>(added->skipped.size());
      note_states(states, mh);
      auto after = int_field(mh, "after", -1), next = int_field(mh, "next", cursor);
      if (!after || !next) return make_error("malformed_message", "entries: after and next must be cursors", "next");
      if (*after <= cursor) cursor = std::max(cursor, *next);
    } else {
      return bad("unexpected message '" + type + "' in a hub bundle");
    }
  }
  util::state_set(n, "pull_cursor", std::to_string(cursor));
  const auto divergent = check_states(n, states);
  row.ended_ms = n.clock().now_ms();
  row.result = "ok";
  open_hub_store(n)->put_session(row);
  return Json{{"entries", row.entries_down}, {"messages", b->messages.size()}, {"leases", leases},
              {"quarantined", quarantined}, {"skipped", skipped}, {"divergent", divergent}};
} catch (const std::exception&) {
  return util::current_error();
}

}  // namespace motcua::sync
