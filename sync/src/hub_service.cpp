// The hub's request handling: authentication, replay protection, sessions,
// enrolment and hello (docs/sync-protocol.md sections 3-4).
#include <SQLiteCpp/SQLiteCpp.h>

#include <iostream>
#include <set>

#include "admission.hpp"
#include "blob_sync.hpp"
#include "hub_internal.hpp"
#include "motcua/sync/hub_log.hpp"
#include "hub_scope.hpp"
#include "motcua/node/catalogue.hpp"
#include "sync_util.hpp"

namespace motcua::sync {

int status_for(const std::string& code) {
  static const std::map<std::string, int> m = {
      {"malformed_message", 400},     {"bad_request_signature", 401}, {"replayed_request", 401},
      {"session_expired", 401},       {"unknown_key", 403},           {"revoked_key", 403},
      {"enrolment_refused", 403},     {"batch_too_large", 413},       {"entry_too_large", 422},
      {"bad_signature", 422},         {"seq_gap", 422},               {"broken_chain", 422},
      {"unknown_parent", 422},        {"unknown_author", 422},        {"not_canonical", 422},
      {"malformed_entry", 422},       {"equivocation", 409},          {"not_found", 404},
      {"blob_not_in_scope", 403},     {"blob_not_held", 404},         {"blob_too_large", 413},
      {"blob_mismatch", 422},         {"validation_failed", 422},     {"too_large", 413},
      {"too_many_attempts", 429},     {"fork_detected", 409},         {"not_quarantined", 409},
      {"storage_full", 503},          {"storage_unwritable", 503},    {"storage_busy", 503},
      {"journal_broken", 503},        {"hub_busy", 503},
  };
  auto it = m.find(code);
  return it == m.end() ? 500 : it->second;
}

Json leases_json(const std::vector<Lease>& leases) {
  Json a = Json::array();
  for (const auto& l : leases) a.push_back(Json{{"day", l.day}, {"first", l.first}, {"last", l.last}});
  return a;
}

HubOptions served_hub_options(node::Node& node) {
  HubOptions o;
  const int64_t n = node.config().get_int("hub_max_sessions");
  o.max_sessions = n > 0 ? static_cast<size_t>(n) : std::max<size_t>(8, 4 * size_t{std::max(1u, std::thread::hardware_concurrency())});
  return o;
}

Json point_json(const PointRecord& p) {
  return Json{{"name", p.name}, {"area", p.area}, {"daily_capacity", p.daily_capacity}, {"agency_code", p.agency_code},
              {"acts", p.acts}};
}

Hub::Hub(node::Node& node, std::shared_ptr<HubStore> store, HubOptions options)
    : node_(node), store_(std::move(store)), opt_(options) {
  impl_ = std::make_unique<Impl>(node_, *store_, opt_);
  impl_->pg_journal = hub_store_choice(node_).kind == "postgres";
}

Hub::~Hub() = default;

WireResponse Hub::handle(const WireRequest& req) { return handle_request(req, false); }

WireResponse Hub::handle_offline(const WireRequest& req) { return handle_request(req, true); }

WireResponse Hub::handle_request(const WireRequest& req, bool offline) {
  Impl::Ctx ctx;
  ctx.offline = offline;
  ctx.now = node_.clock().now_ms();
  ctx.remote_addr = req.remote_addr;
  ctx.plain_http = req.plain_http;
  Result<Reply> r = make_error("internal", "not handled");
  try {
    r = impl_->dispatch(req, ctx);
  } catch (const std::exception&) {
    Error e = util::current_error();  // a full disk is storage_full (503), not a hub bug
    if (e.code == "internal_error") e = make_error("internal", "hub error: " + e.message);
    r = e;
  }
  // The session's place is freed after its last pull, or when its hello failed.
  if (!ctx.place.empty())
    impl_->slots.end(ctx.place, ctx.now, ctx.done || (!r.ok() && req.path == "/sync/v2/hello"));
  if (ctx.enrol_attempt) {
    if (r.ok()) impl_->strangers.succeeded(ctx.remote_addr);
    else impl_->strangers.failed(ctx.remote_addr, ctx.now);
  }
  WireResponse res;
  if (r.ok()) {
    auto body = wire::encode(r->header, r->entries, r->data);
    if (body.ok()) {
      res.status = r->status;
      res.body = std::move(body.value());
      res.headers = r->extra_headers;
    } else {
      r = body.error();
    }
  }
  if (!r.ok()) {
    const Error& e = r.error();
    res.status = status_for(e.code);
    Json err{{"code", e.code}, {"message", e.message}};
    if (!e.field.empty()) err["field"] = e.field;
    // Also in the signed body: when to try again (the header is not signed).
    if (ctx.retry_after_ms > 0) err["retry_after_s"] = std::max<int64_t>(1, (ctx.retry_after_ms + 999) / 1000);
    res.body = wire::encode(Json{{"type", "error"}, {"error", err}}, {}).value();
    if (ctx.retry_after_ms > 0)
      res.headers["Retry-After"] = std::to_string(std::max<int64_t>(1, (ctx.retry_after_ms + 999) / 1000));
  }
  if (!ctx.session.empty())
    impl_->account(ctx.session, ctx.now, [&](SyncLogRow& row) {
      row.bytes_up += static_cast<int64_t>(req.body.size());
      row.bytes_down += static_cast<int64_t>(res.body.size());
      row.entries_up += ctx.entries_up;
      row.entries_down += ctx.entries_down;
      row.receipts += ctx.receipts;
      if (row.ended_ms < ctx.now) row.ended_ms = ctx.now;
      if (!r.ok()) {
        row.result = res.status == 500 ? "failed" : "refused";
        row.error = r.error().code + ": " + r.error().message;
      } else if (ctx.done) {
        row.result = "ok";
        row.error.clear();
      }
    });
  auth::sign_response(res, auth::binding_of(req), node_.keys(), ctx.now);
  return res;
}

Result<Reply> Hub::Impl::dispatch(const WireRequest& req, Ctx& ctx) {
  static const std::string prefix = "/sync/v2/";
  if (req.path.rfind(prefix, 0) != 0) return make_error("not_found", "no such sync endpoint: " + req.path);
  const std::string kind = req.path.substr(prefix.size());
  static const std::set<std::string> kinds = {"enrol",      "hello",    "push",     "pull",          "reference",
                                              "blob_check", "blob_put", "blob_get", "fork_evidence", "own_chain"};
  if (!kinds.count(kind)) return make_error("not_found", "no such sync endpoint: " + req.path);
  if (kind == "enrol" && !ctx.offline) {
    // Before any work (even the signature): a throttled address costs nothing.
    const int64_t wait = strangers.wait_ms(ctx.remote_addr, ctx.now);
    if (wait > 0) {
      save_throttled(ctx.now, false);
      ctx.retry_after_ms = wait;
      const int64_t secs = (wait + 999) / 1000;
      return make_error("too_many_attempts",
                        "quá nhiều lần ghi danh bị từ chối từ địa chỉ này; thử lại sau " + std::to_string(secs) +
                            " giây / too many refused enrolments from this address; try again in " +
                            std::to_string(secs) + " s");
    }
    ctx.enrol_attempt = true;
  }
  auto a = auth::check_request(req);
  if (!a.ok()) return a.error();
  ctx.auth = a.value();
  {
    std::lock_guard<std::mutex> g(prune_mu);
    if (ctx.now - last_prune_ms > 60 * 1000) {
      store.prune(ctx.now);
      last_prune_ms = ctx.now;
      strangers.forget_quiet(ctx.now);
      forget_counters(ctx.now);
      save_throttled(ctx.now, true);
      flush_idle(ctx.now);
      auto kept = retention.tick(node, false, opt.session_ttl_ms);  // hourly
      if (!kept.ok()) std::cerr << "motcua hub: " << kept.error().message << "\n";
    }
  }
  if (kind != "enrol") {
    auto p = store.point_by_key(ctx.auth.node);
    if (!p) {
      // A key a succession retired (its PC was replaced): refused as revoked,
      // so the old PC, if it comes back, stops minting.
      if (auto sc = store.succession_of(ctx.auth.node))
        return make_error("revoked_key", "point '" + sc->point + "' continues on a new key since " +
                                             util::iso_utc(sc->at_ms) + " (restore --from-hub); this key was retired "
                                             "after its entry #" + std::to_string(sc->revoked_seq));
      return make_error("unknown_key", "this node key is not enrolled at this hub (run: motcua join)");
    }
    if (p->status == "revoked") return make_error("revoked_key", "point '" + p->name + "' has been revoked at this hub");
    ctx.point = *p;
  }
  if (ctx.offline && kind != "hello" && kind != "push")
    return make_error("malformed_message", "a bundle carries only hello and push messages");
  // Freshness (docs/sync-protocol.md 3.4): hello, enrol and a bundle's
  // messages stand outside any session (counter 0) and are idempotent; every
  // other request names its session and the next counter of it.
  if (kind == "enrol" || kind == "hello" || ctx.offline) {
    if (ctx.auth.session != "-")
      return make_error("malformed_message", kind + " is sent outside a session (X-Motcua-Session: -)", auth::kSession);
  } else {
    if (ctx.auth.session == "-" || !store.session_valid(ctx.auth.session, ctx.auth.node, ctx.now))
      return make_error("session_expired", "unknown or expired sync session; start again with hello", auth::kSession);
    // A replay is not accounted to the session it copies (ctx.session stays
    // empty): a stranger's copy must not mark the point's session refused.
    if (!advance_counter(ctx.auth.session, ctx.auth.counter, ctx.now))
      return make_error("replayed_request",
                        "this request was already received (its counter is not above the session's last one)",
                        auth::kCounter);
    ctx.session = ctx.auth.session;
  }
  // A point's session holds a place from its welcome to its last pull
  // (docs/design/0121). A hello when every place is held is refused before
  // anything is read or written: the point syncs later, its work kept.
  if (!ctx.offline && kind != "enrol") {
    if (kind == "hello") {
      int64_t wait = 0;
      if (!slots.admit(ctx.point.name, ctx.now, &wait)) {
        ctx.retry_after_ms = wait;
        const std::string secs = std::to_string((wait + 999) / 1000), most = std::to_string(slots.cap());
        return make_error("hub_busy", "trung tâm đang đồng bộ với " + most + " điểm, số tối đa cùng lúc; thử lại sau " +
                                          secs + " giây / the hub is syncing " + most +
                                          " points, its most at once; try again in " + secs + " s");
      }
      ctx.place = ctx.point.name;
    } else if (slots.begin(ctx.point.name, ctx.now)) {
      ctx.place = ctx.point.name;
    }
  }
  if (kind == "hello") store.note_contact(ctx.point.name, ctx.now, ctx.now - ctx.auth.time_ms);
  // An enrolled point's push in its session takes its turn here, before the
  // body is decoded (docs/design/0120): strangers and replays were refused
  // above without waiting. It is judged at the time its turn comes.
  FifoGate::Slot turn;
  if (kind == "push" && !ctx.offline) {
    turn = push_gate.enter();
    ctx.now = node.clock().now_ms();
  }
  auto m = wire::decode(req.body, opt.max_batch_bytes + 64 * 1024);
  if (!m.ok()) return m.error();
  // Several hub processes on one log (docs/design/0112): what the others
  // stored is applied here first, so heads, pulls and attachment references
  // are as current as the log (one indexed query when nothing is new).
  if (pg_journal && !node.journal().shared())
    if (Status a = attach_hub_journal(node); !a.ok()) return a.error();  // the database was down at start
  if (Status fresh = node.journal().catch_up_shared(); !fresh.ok()) return fresh.error();
  ctx.msg = std::move(m.value());
  if (ctx.msg.header["type"] != kind)
    return make_error("malformed_message", "message type '" + ctx.msg.header["type"].get<std::string>() +
                                               "' does not match " + req.path);
  if (kind == "enrol") return enrol(ctx);
  if (kind == "hello") return hello(ctx);
  if (kind == "push") return push(ctx);
  if (kind == "pull") return pull(ctx);
  if (kind == "blob_check") return blob_check(ctx);
  if (kind == "blob_put") return blob_put(ctx);
  if (kind == "blob_get") return blob_get(ctx);
  if (kind == "fork_evidence") return fork_evidence(ctx);
  if (kind == "own_chain") return own_chain(ctx);
  return reference(ctx);
}

Result<Reply> Hub::Impl::enrol(Ctx& ctx) {
  const Json& h = ctx.msg.header;
  auto str = [&](const char* k) { return h.contains(k) && h[k].is_string() ? h[k].get<std::string>() : std::string(); };
  auto refused = [&](Error e) {
    enrolment_alert(ctx.remote_addr, "key " + to_hex(ctx.auth.node).substr(0, 16) + "…: " + e.message, ctx.now);
    return e;
  };
  // Never over plain HTTP from another machine: the request and its answer
  // (leases, the hub key) would travel in clear text.
  if (ctx.plain_http && !auth::is_loopback(ctx.remote_addr))
    return refused(make_error("enrolment_refused",
                              "enrolment over plain HTTP is refused except from this machine (loopback); use the "
                              "hub's https:// address",
                              "transport"));
  // The code never crosses the network: its public id finds it, a MAC with
  // the key derived from it over the point key and this header proves the
  // sender knows it (docs/sync-protocol.md 4.1).
  const std::string id = str("code_id"), mac = str("mac");
  if (id.size() != 8) return make_error("malformed_message", "enrolment needs code_id (8 hex digits)", "code_id");
  if (mac.size() != 64) return make_error("malformed_message", "enrolment needs mac (64 hex digits)", "mac");
  Json unsigned_header = h;
  unsigned_header.erase("mac");
  if (!check_canonical(unsigned_header).ok())
    return make_error("malformed_message", "the enrol header must be canonical JSON", "mac");
  const std::string covered = canonical_bytes(unsigned_header);
  std::optional<EnrolmentCodeRecord> code;
  for (auto& c : store.enrolment_codes(id)) {
    // Every candidate is checked (constant time each), the first match kept.
    const bool match = auth::mac_equal(auth::enrol_mac(c.enrol_key, ctx.auth.node, covered), mac);
    if (match && !code && c.enrol_key != Hash32{}) code = c;
  }
  if (!code) return refused(make_error("enrolment_refused", "unknown enrolment code (or a wrong MAC)", "code_id"));
  bool again = false;
  std::optional<Succession> succession;
  if (code->replaces && code->used_ms != 0 && code->used_by && *code->used_by == ctx.auth.node) {
    // A replacement's answer lost on the way: the same answer again.
    auto p = store.point_by_key(ctx.auth.node);
    succession = store.succession_of(*code->replaces);
    if (!p || p->name != code->point || p->status == "revoked" || !succession || succession->new_key != ctx.auth.node)
      return refused(make_error("enrolment_refused", "point '" + code->point + "' has another key now", "code_id"));
    ctx.point = *p;
    again = true;
  } else if (code->replaces) {
    auto p = succeed(ctx, *code);
    if (!p.ok()) return refused(p.error());
    ctx.point = p.value();
    succession = store.succession_of(*code->replaces);
  } else if (code->used_ms != 0 && code->used_by && *code->used_by == ctx.auth.node) {
    // The same key with the same code again: its answer was lost on the way.
    // The point is not bound again and no alert is raised.
    auto p = store.point_by_key(ctx.auth.node);
    if (!p || p->name != code->point || p->status == "revoked")
      return refused(make_error("enrolment_refused", "point '" + code->point + "' is revoked", "code_id"));
    ctx.point = *p;
    again = true;
  } else {
    auto p = store.enrol(code->code_hash, ctx.auth.node, ctx.now);
    if (!p.ok()) return refused(p.error());
    ctx.point = p.value();
  }
  std::string hash;
  Json ref = reference_data(&hash);
  Reply r;
  r.header = Json{{"type", "enrolled"},
                  {"hub", to_hex(node.keys().pk)},
                  {"hub_name", node.name()},
                  {"point", point_json(ctx.point)},
                  {"leases", leases_json(top_up_leases(ctx.point, ctx.now))},
                  {"catalogue", ref["catalogue"]},
                  {"holidays", ref["holidays"]},
                  {"points", ref["points"]},
                  {"registry", ref["registry"]},
                  {"registry_hash", ref["registry_hash"]},
                  {"reference_hash", hash},
                  {"hub_time_ms", ctx.now}};
  if (succession) r.header["succession"] = succession_json(*succession);
  auto body = wire::encode(r.header, {});
  if (!body.ok()) return body.error();
  r.extra_headers[auth::kCodeMac] = auth::enrolled_mac(code->enrol_key, body.value());
  std::cerr << "motcua hub: point '" << ctx.point.name << "' " << (again ? "asked again for its enrolment" : "enrolled")
            << " with key " << to_hex(ctx.auth.node).substr(0, 16) << "…\n";
  return r;
}

Result<Reply> Hub::Impl::hello(Ctx& ctx) {
  const Json& h = ctx.msg.header;
  if (!h.contains("heads") || !h["heads"].is_object()) return make_error("malformed_message", "hello needs heads", "heads");
  auto c = h.find("cursor");  // optional; h["cursor"] on a const object without it is undefined
  int64_t cursor = c != h.end() && c->is_number_integer() ? c->get<int64_t>() : 0;
  if (cursor < 0) return make_error("malformed_message", "cursor must be >= 0", "cursor");
  auto text = [&](const char* k) {
    auto it = h.find(k);
    return it != h.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const std::string epoch = text("epoch"), their_hub_epoch = text("hub_epoch"), hub_epoch = util::epoch(node);
  if (epoch.size() > 64) return make_error("malformed_message", "epoch is at most 64 characters", "epoch");
  auto checked = check_heads(ctx, h["heads"]);
  if (!checked.ok()) return checked.error();
  const HeadAnswer& chain = checked.value();
  // Cursors (docs/sync-protocol.md, "Epochs and cursors"): a position in
  // another hub epoch means nothing here (0); the stored cursor only moves
  // forward within the point's epoch; a new epoch of the point (a restored
  // database that caught up) sets it; a retired epoch (an old hello
  // replayed) changes nothing.
  if (!their_hub_epoch.empty() && their_hub_epoch != hub_epoch) cursor = 0;
  const std::string seen = epoch.empty() ? std::string("current") : store.note_point_epoch(ctx.point.name, epoch, ctx.now);
  if (seen == "new" || (!their_hub_epoch.empty() && their_hub_epoch != hub_epoch)) {
    store.reset_pull_cursor(ctx.point.name, cursor);
  } else if (seen == "current" && cursor >= ctx.point.pull_cursor) {
    store.set_pull_cursor(ctx.point.name, cursor);
  } else if (!ctx.offline && chain.behind.is_null()) {  // a late bundle or a stale backup is not a replay
    Alert a;
    a.at_ms = ctx.now;
    a.point = ctx.point.name;
    a.kind = "stale_hello";
    a.detail = "a hello of point '" + ctx.point.name + "' reported cursor " + std::to_string(cursor) + " below " +
               std::to_string(ctx.point.pull_cursor) + (seen == "retired" ? " from a retired epoch" : "") +
               " (an old hello replayed?); the recorded cursor stays";
    store.fold_alert(a, ctx.now - ctx.now % (60 * 60 * 1000));
  }
  if (ctx.offline) {  // a bundle: note what the point has, open nothing
    Reply r;
    r.header = Json{{"type", "welcome"}, {"hub", to_hex(node.keys().pk)}, {"hub_time_ms", ctx.now},
                    {"heads", chain.heads}, {"hub_epoch", hub_epoch}};
    if (!chain.fork.is_null()) r.header["fork"] = chain.fork;
    if (!chain.behind.is_null()) r.header["behind"] = chain.behind;
    return r;
  }
  ctx.session = auth::random_hex(node.random(), 16);
  store.open_session(ctx.session, ctx.auth.node, ctx.now + opt.session_ttl_ms);
  open_counter(ctx.session, ctx.now + opt.session_ttl_ms);
  scope::catch_up(node);
  const auto ref = reference_snapshot();
  const std::string& hash = ref->hash;
  const Registry& registry = ref->registry;
  const int64_t skew = ctx.now - ctx.auth.time_ms;
  SyncLogRow row;
  row.id = ctx.session;
  row.point = ctx.point.name;
  row.started_ms = ctx.now;
  row.ended_ms = ctx.now;
  row.result = "running";
  row.skew_ms = skew;
  // A fork or a chain behind the hub's: the session is refused, with its reason
  // (the point may still send its fork evidence or fetch its own chain in it).
  if (!chain.fork.is_null()) {
    row.result = "refused";
    row.error = "fork_detected: the hub holds another entry at seq " + std::to_string(chain.fork["seq"].get<int64_t>()) +
                " of " + chain.fork["author"].get<std::string>().substr(0, 16) + "…";
  } else if (!chain.behind.is_null()) {
    row.result = "refused";
    row.error = "behind: this point's own chain ends at seq " + std::to_string(chain.behind["seq"].get<int64_t>()) +
                " but the hub holds it up to seq " + std::to_string(chain.behind["hub_seq"].get<int64_t>()) +
                " (a backup copied back in place?); the point must fetch its own chain from the hub first";
    Alert a;  // once per point and hour: the point retries until it caught up
    a.at_ms = ctx.now;
    a.point = ctx.point.name;
    a.kind = "stale_chain";
    a.detail = row.error;
    if (store.fold_alert(a, ctx.now - ctx.now % (60 * 60 * 1000)) == 1)
      std::cerr << "motcua hub: stale_chain (" << ctx.point.name << "): " << row.error << "\n";
  }
  {
    std::lock_guard<std::mutex> g(live_mu);
    live[row.id] = LiveRow{row, ctx.now};
  }
  store.put_session(row);
  skew_alert(ctx.point.name, skew, ctx.now);
  Reply r;
  r.header = Json{{"type", "welcome"},
                  {"hub", to_hex(node.keys().pk)},
                  {"hub_time_ms", ctx.now},
                  {"session", ctx.session},
                  {"session_expires_ms", ctx.now + opt.session_ttl_ms},
                  {"skew_ms", skew},
                  {"heads", chain.heads},
                  {"hub_epoch", hub_epoch},
                  {"point_status", [&] {
                     auto now_p = store.point(ctx.point.name);  // a fork found by this hello quarantined it
                     return now_p ? now_p->status : ctx.point.status;
                   }()},
                  {"point", point_json(ctx.point)},
                  {"leases", leases_json(top_up_leases(ctx.point, ctx.now))},
                  {"reference_hash", hash},
                  {"registry_hash", registry.hash()},
                  {"revocations", registry.revocations_json()},
                  {"pending", scope::pending(node, ctx.point, cursor)},
                  {"limits",
                   {{"max_batch_entries", opt.max_batch_entries},
                    {"max_batch_bytes", opt.max_batch_bytes},
                    {"max_blob_bytes", node.config().get_int("max_blob_bytes")},
                    {"blob_chunk_bytes", blobs::kChunkBytes}}}};
  if (!chain.fork.is_null()) r.header["fork"] = chain.fork;
  if (!chain.behind.is_null()) r.header["behind"] = chain.behind;
  return r;
}

std::vector<Lease> Hub::Impl::top_up_leases(const PointRecord& p, int64_t now) {
  const std::string today = util::vn_day(now);
  auto have = store.leases_of(p.name, today);
  std::set<std::string> days;
  for (const auto& l : have) days.insert(l.day);
  bool added = false;
  for (int d = 0; d < p.lease_days; ++d) {
    std::string day = util::vn_day(now, d);
    if (days.count(day)) continue;
    auto l = store.lease(p.agency_code, day, p.name, static_cast<int>(p.daily_capacity));
    if (!l.ok()) alert(p.name, "sequence_exhausted", l.error().message, now);
    added = true;
  }
  return added ? store.leases_of(p.name, today) : have;
}

Json Hub::Impl::reference_data(std::string* hash) {
  auto ref = reference_snapshot();
  if (hash) *hash = ref->hash;
  return ref->data;
}

namespace {
// The node database's generation of the reference data (migration 17's
// triggers); -1 when the row is missing (then nothing is cached).
int64_t reference_generation(node::Node& n) {
  std::lock_guard<std::recursive_mutex> g(n.journal().mutex());
  SQLite::Statement q(*n.db(), "SELECT value FROM sync_counters WHERE name = 'generation' AND label = 'reference'");
  return q.executeStep() ? q.getColumn(0).getInt64() : -1;
}
}  // namespace

std::shared_ptr<const Hub::Impl::Reference> Hub::Impl::reference_snapshot() {
  // The generations are read before the data: a change that lands while the
  // data is computed leaves a newer generation behind, so the next call
  // computes again (never a stale answer kept).
  const int64_t ref_gen = reference_generation(node);
  const int64_t reg_gen = store.registry_generation();
  {
    std::lock_guard<std::mutex> g(ref_cache.mu);
    if (ref_cache.ref && ref_gen >= 0 && reg_gen >= 0 && ref_cache.reference_gen == ref_gen &&
        ref_cache.registry_gen == reg_gen)
      return ref_cache.ref;
  }
  auto ref = std::make_shared<Reference>();
  Json catalogue = node::export_catalogue(node);
  Json holidays = node::export_holidays(node);
  // The hub and its active points: where a point may send a result back
  // (intake's return_point). In the hash, so a new point reaches every point.
  // From the hub's store, in the list known_points gives at the hub.
  Json points = node::point_list(node, hub_active_points(store));
  ref->hash = to_hex(blake2b256(canonical_bytes(catalogue) + "\n" + canonical_bytes(holidays) + "\n" +
                                canonical_bytes(points)));
  // Who may write what (admission): a point applies the same rules to what it pulls.
  ref->registry = registry_from_store(node.keys().pk, store);
  ref->data = Json{{"catalogue", std::move(catalogue)},
                   {"holidays", std::move(holidays)},
                   {"points", std::move(points)},
                   {"registry", ref->registry.points_json()},
                   {"registry_hash", ref->registry.hash()}};
  std::lock_guard<std::mutex> g(ref_cache.mu);
  ref_cache.ref = ref;
  ref_cache.reference_gen = ref_gen;
  ref_cache.registry_gen = reg_gen;
  return ref;
}

void Hub::Impl::account(const std::string& id, int64_t now, const std::function<void(SyncLogRow&)>& change) {
  SyncLogRow copy;
  {
    std::lock_guard<std::mutex> g(live_mu);
    auto it = live.find(id);
    if (it == live.end()) {
      auto stored = store.session(id);  // not cached (hub restarted, or after an earlier end)
      if (!stored) return;
      it = live.emplace(id, LiveRow{*stored, 0}).first;
    }
    change(it->second.row);
    bool ended = it->second.row.result != "running";
    if (!ended && now - it->second.flushed_ms < 5000) return;
    it->second.flushed_ms = now;
    copy = it->second.row;
    if (ended) live.erase(it);
  }
  store.put_session(copy);
}

void Hub::Impl::flush_idle(int64_t now) {
  std::vector<SyncLogRow> rows;
  {
    std::lock_guard<std::mutex> g(live_mu);
    for (auto it = live.begin(); it != live.end();) {
      const SyncLogRow& row = it->second.row;
      const bool idle = now - std::max(row.started_ms, row.ended_ms) > opt.session_ttl_ms;
      if (row.ended_ms > it->second.flushed_ms || idle) {
        rows.push_back(row);
        it->second.flushed_ms = now;
      }
      if (idle) it = live.erase(it);
      else ++it;
    }
  }
  for (const auto& r : rows) store.put_session(r);
}

void Hub::Impl::alert(const std::string& point, const std::string& kind, const std::string& detail, int64_t now) {
  Alert a;
  a.at_ms = now;
  a.point = point;
  a.kind = kind;
  a.detail = detail;
  store.add_alert(a);
  if (kind == "equivocation" || kind == "fork")
    std::cerr << "SECURITY: point '" << point << "': " << detail << "\n";
  else
    std::cerr << "motcua hub: " << kind << (point.empty() ? "" : " (" + point + ")") << ": " << detail << "\n";
}

}  // namespace motcua::sync

namespace motcua::sync {

void Hub::Impl::open_counter(const std::string& session, int64_t expires_ms) {
  std::lock_guard<std::mutex> g(counters.mu);
  counters.by_session[session] = Counters::Last{0, expires_ms};
}

// The store decides (a compare-and-set, so a request accepted by another
// hub process on the same store is refused here too); the map only refuses
// early what this process saw accepted, which the store would refuse too:
// its counters are values the store stored, and the store's only grow.
bool Hub::Impl::advance_counter(const std::string& session, int64_t counter, int64_t now) {
  {
    std::lock_guard<std::mutex> g(counters.mu);
    auto it = counters.by_session.find(session);
    if (it != counters.by_session.end() && counter <= it->second.counter) return false;
  }
  if (!store.advance_session_counter(session, counter)) return false;
  std::lock_guard<std::mutex> g(counters.mu);
  auto [it, added] = counters.by_session.try_emplace(session, Counters::Last{counter, now + opt.session_ttl_ms});
  if (!added) it->second.counter = std::max(it->second.counter, counter);
  return true;
}

void Hub::Impl::forget_counters(int64_t now) {
  std::lock_guard<std::mutex> g(counters.mu);
  for (auto it = counters.by_session.begin(); it != counters.by_session.end();)
    if (it->second.expires_ms < now) it = counters.by_session.erase(it);
    else ++it;
}

int64_t Hub::Impl::Strangers::wait_ms(const std::string& addr, int64_t now) {
  std::lock_guard<std::mutex> g(mu);
  auto it = by_addr.find(addr);
  if (it == by_addr.end() || it->second.next_ms <= now) return 0;
  ++throttled_unsaved;
  return it->second.next_ms - now;
}

void Hub::Impl::Strangers::failed(const std::string& addr, int64_t now) {
  std::lock_guard<std::mutex> g(mu);
  auto it = by_addr.find(addr);
  if (it == by_addr.end()) {
    if (by_addr.size() >= kMaxSources) {
      auto oldest = by_addr.begin();
      for (auto i = by_addr.begin(); i != by_addr.end(); ++i)
        if (i->second.last_ms < oldest->second.last_ms) oldest = i;
      by_addr.erase(oldest);
    }
    it = by_addr.emplace(addr, Source{}).first;
  }
  Source& s = it->second;
  if (s.next_ms <= now && now - s.last_ms > kForgetMs) s.failures = 0;
  ++s.failures;
  s.last_ms = now;
  if (s.failures >= kFreeFailures) {
    const int doublings = std::min(s.failures - kFreeFailures, 20);
    s.next_ms = now + std::min<int64_t>(kMaxDelayMs, int64_t{1000} << doublings);
  }
}

void Hub::Impl::Strangers::succeeded(const std::string& addr) {
  std::lock_guard<std::mutex> g(mu);
  by_addr.erase(addr);
}

void Hub::Impl::Strangers::forget_quiet(int64_t now) {
  std::lock_guard<std::mutex> g(mu);
  for (auto it = by_addr.begin(); it != by_addr.end();)
    if (it->second.next_ms <= now && now - it->second.last_ms > kForgetMs) it = by_addr.erase(it);
    else ++it;
}

void Hub::Impl::save_throttled(int64_t now, bool force) {
  int64_t n = 0;
  {
    std::lock_guard<std::mutex> g(strangers.mu);
    if (strangers.throttled_unsaved == 0 || (!force && now - strangers.saved_ms < 60 * 1000)) return;
    n = strangers.throttled_unsaved;
    strangers.throttled_unsaved = 0;
    strangers.saved_ms = now;
  }
  store.add_to_counter("enrolments_throttled", n);
}

void Hub::Impl::skew_alert(const std::string& point, int64_t skew_ms, int64_t now) {
  const int64_t limit = node.journal().hlc().max_offset_ms();
  if (std::llabs(skew_ms) <= limit) return;
  constexpr int64_t kHourMs = 60 * 60 * 1000;
  Alert a;
  a.at_ms = now;
  a.point = point;
  a.kind = "clock_skew";
  a.detail = "đồng hồ của điểm '" + point + "' " + (skew_ms > 0 ? "chậm" : "nhanh") + " " +
             std::to_string(std::llabs(skew_ms) / 1000) + " giây so với máy chủ (giới hạn " +
             std::to_string(limit / 1000) + " giây) / point '" + point + "' clock is " +
             std::to_string(std::llabs(skew_ms) / 1000) + " s " + (skew_ms > 0 ? "behind" : "ahead of") +
             " the hub's (limit " + std::to_string(limit / 1000) + " s; skew_ms " + std::to_string(skew_ms) + ")";
  const int64_t count = store.fold_alert(a, now - now % kHourMs);
  if (count == 1) std::cerr << "motcua hub: clock_skew (" << point << "): " << a.detail << "\n";
}

void Hub::Impl::enrolment_alert(const std::string& source, const std::string& detail, int64_t now) {
  constexpr int64_t kHourMs = 60 * 60 * 1000;
  Alert a;
  a.at_ms = now;
  a.kind = "enrolment_refused";
  a.detail = detail;
  a.source = source;
  const int64_t count = store.fold_alert(a, now - now % kHourMs);
  // The log gets the first of each hour and address, then every hundredth.
  if (count == 1 || count % 100 == 0)
    std::cerr << "motcua hub: enrolment_refused" << (source.empty() ? "" : " from " + source) << " (" << count
              << " this hour): " << detail << "\n";
}

}  // namespace motcua::sync
