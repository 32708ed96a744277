// The point's sync session (docs/sync-protocol.md section 2).
#include <algorithm>
#include <initializer_list>
#include <optional>
#include <cstdlib>
#include <future>
#include <iostream>
#include <set>
#include <utility>

#include <SQLiteCpp/SQLiteCpp.h>

#include "motcua/node/catalogue.hpp"
#include "motcua/node/node.hpp"
#include "motcua/sync/client.hpp"
#include "motcua/sync/hub.hpp"
#include "motcua/sync/hub_store.hpp"
#include "admission.hpp"
#include "blob_sync.hpp"
#include "sync_auth.hpp"
#include "sync_client_internal.hpp"
#include "sync_codec.hpp"
#include "sync_util.hpp"

namespace motcua::sync {

namespace {

// The JSON type a field of a hub answer must have when present (absent, it
// takes its default), so that reading it with json::value() cannot throw: a
// field of another type refuses the answer as malformed_message naming it
// (found by fuzz_sync_client: the session ended in internal_error).
enum class Kind { Int, Text, Bool, Object };

Status typed(const Json& h, const char* what, std::initializer_list<std::pair<const char*, Kind>> fields) {
  if (!h.is_object()) return make_error("malformed_message", std::string(what) + " must be an object", what);
  for (const auto& [key, kind] : fields) {
    auto it = h.find(key);
    if (it == h.end()) continue;
    const bool ok = kind == Kind::Int    ? it->is_number_integer()
                    : kind == Kind::Text ? it->is_string()
                    : kind == Kind::Bool ? it->is_boolean()
                                         : it->is_object();
    if (!ok) return make_error("malformed_message", std::string(what) + ": " + key + " is of the wrong type", key);
  }
  return ok_status();
}

// Every welcome field the session reads (docs/sync-protocol.md 4.2, 13).
Status welcome_types(const Json& h) {
  Status s = typed(h, "welcome",
                   {{"hub", Kind::Text}, {"session", Kind::Text}, {"hub_epoch", Kind::Text}, {"skew_ms", Kind::Int},
                    {"pending", Kind::Int}, {"limits", Kind::Object}, {"point_status", Kind::Text},
                    {"registry_hash", Kind::Text}, {"reference_hash", Kind::Text}});
  if (s.ok() && h.contains("limits"))
    s = typed(h["limits"], "limits",
              {{"max_batch_entries", Kind::Int}, {"max_batch_bytes", Kind::Int}, {"blob_chunk_bytes", Kind::Int},
               {"max_blob_bytes", Kind::Int}});
  if (s.ok() && h.contains("fork") && h["fork"].is_object())
    s = typed(h["fork"], "fork", {{"author", Kind::Text}, {"seq", Kind::Int}, {"hub_id", Kind::Text}});
  if (s.ok() && h.contains("behind") && h["behind"].is_object())
    s = typed(h["behind"], "behind", {{"seq", Kind::Int}, {"hub_seq", Kind::Int}});
  return s;
}

}  // namespace

namespace {

class Session {
 public:
  Session(node::Node& n, Transport& t, const ClientOptions& o)
      : n_(n), o_(o), x_{n, t}, store_(open_hub_store(n)) {}

  Result<Json> run() {
    std::string hub_hex = util::state_get(n_, "hub_key");
    if (hub_hex.empty() || !from_hex(hub_hex, x_.hub))
      return make_error("not_enrolled", "this point has not joined a hub (run: motcua join --hub URL --code CODE)");
    x_.hub_known = true;
    const int64_t t0 = n_.clock().now_ms();
    row_.id = auth::random_hex(n_.random(), 16);
    row_.point = n_.name();
    row_.started_ms = t0;
    row_.result = "running";
    store_->put_session(row_);
    util::state_note(n_, "last_attempt_ms", std::to_string(t0));
    Status s = guarded_steps();
    if (!s.ok() && s.error().code == "session_expired") s = guarded_steps();  // one fresh hello
    if (s.ok() && again_) {  // caught up with its own chain: a new epoch, then the session proper
      again_ = false;
      s = guarded_steps();
      if (s.ok() && again_)
        s = make_error("stale_chain", "the hub still holds more of this point's own chain after a restore");
    }
    row_.ended_ms = n_.clock().now_ms();
    row_.result = s.ok() ? "ok" : "failed";
    row_.error = s.ok() ? "" : s.error().code + ": " + s.error().message;
    store_->put_session(row_);
    util::state_note(n_, "last_error", row_.error);
    // A busy hub said when to come back (docs/design/0121): the agent waits that long.
    const bool busy = !s.ok() && s.error().code == "hub_busy";
    util::state_note(n_, "hub_busy_until_ms", busy ? std::to_string(row_.ended_ms + x_.retry_after_s * 1000) : "0");
    if (s.ok()) util::state_note(n_, "last_success_ms", std::to_string(row_.ended_ms));
    report("done");
    if (!s.ok()) return s.error();
    return Json{{"session", row_.id},
                {"result", "ok"},
                {"entries_up", row_.entries_up},
                {"entries_down", row_.entries_down},
                {"bytes_up", row_.bytes_up},
                {"bytes_down", row_.bytes_down},
                {"requests", progress_.requests},
                {"receipts", row_.receipts},
                {"skew_ms", row_.skew_ms},
                {"quarantined", quarantined_},
                {"skipped", skipped_},
                {"duration_ms", row_.ended_ms - t0},
                {"blobs_up", blobs_.blobs_up},
                {"blobs_down", blobs_.blobs_down},
                {"blob_bytes_up", blobs_.bytes_up},
                {"blob_bytes_down", blobs_.bytes_down},
                {"blobs_waiting", blobs::waiting(n_)},
                {"blob_errors", blobs_.errors},
                {"restored_entries", restored_},
                {"divergent", divergent_}};
  }

 private:
  Result<wire::Decoded> call(const std::string& kind, Json header, const std::vector<wire::WireEntry>& entries = {},
                             std::string_view data = {}) {
    size_t up = 0, down = 0;
    auto r = x_.call(kind, std::move(header), entries, &up, &down, data);
    count_call(up, down);
    return r;
  }
  void count_call(size_t up, size_t down) {
    row_.bytes_up += static_cast<int64_t>(up);
    row_.bytes_down += static_cast<int64_t>(down);
    progress_.bytes_up = row_.bytes_up;
    progress_.bytes_down = row_.bytes_down;
    progress_.requests++;
  }

  // One push: `author`'s entries after `after_seq` (at most `limit` and
  // about `max_bytes`), encoded. Reads the journal and touches no exchange
  // state, so the next one may be made on a second thread while a push is
  // answered.
  struct PushBatch {
    std::vector<wire::WireEntry> entries;
    Result<std::string> body = std::string();
  };
  PushBatch push_batch(const PublicKey& author, int64_t after_seq, size_t limit, size_t max_bytes) {
    PushBatch b;
    b.entries = util::author_entries(n_, author, after_seq, limit, max_bytes);
    if (!b.entries.empty()) b.body = wire::encode(Json{{"type", "push"}}, b.entries, {});
    return b;
  }

  // One pull page: the hub's reply and its entries decoded. Touches only the
  // exchange (transport, request counter) and no database, so it may run on
  // a second thread while the previous page is ingested; the caller counts
  // its bytes (count_call).
  // Its entries' verification starts here, on worker threads, so that
  // with the next page fetched ahead it overlaps the storing of this one.
  struct PulledPage {
    Result<wire::Decoded> reply = make_error("link_down", "not requested");
    Error bad_entries;  // the records did not decode (code empty: they did)
    std::unique_ptr<node::VerifyAhead> given;
    size_t up = 0, down = 0;
  };
  PulledPage fetch_page(const Json& req) {
    PulledPage p;
    p.reply = x_.call("pull", req, {}, &p.up, &p.down);
    if (p.reply.ok() && !p.reply->entries.empty()) {
      auto shells = wire::shells(p.reply->entries);
      if (shells.ok()) p.given = std::make_unique<node::VerifyAhead>(std::move(shells.value()));
      else p.bad_entries = shells.error();
      std::vector<wire::WireEntry>().swap(p.reply->entries);  // the shells hold their bytes now
    }
    return p;
  }

  void report(const std::string& phase) {
    progress_.phase = phase;
    progress_.entries_up = row_.entries_up;
    progress_.entries_down = row_.entries_down;
    // A session cut short (killed, power lost) keeps the counts of the batches
    // it finished, so the audit of an interrupted session tells the truth.
    // Its end is its last activity meanwhile, so a long session is never
    // taken for an interrupted one.
    if (phase == "push" || phase == "pull" || phase == "blobs_up" || phase == "blobs_down") {
      row_.ended_ms = n_.clock().now_ms();
      store_->put_session(row_);
    }
    if (o_.progress) o_.progress(progress_);
  }

  // steps() with anything thrown below (a full disk, a busy database, a
  // damaged stored value) as its Error, so the session's log row still says
  // how it ended.
  Status guarded_steps() {
    try {
      return steps();
    } catch (const std::exception&) {
      return util::current_error();
    }
  }

  Status steps() {
    x_.session = "-";
    auto mine = n_.journal().heads();
    Json hello = util::hello_header(n_);
    int64_t cursor = hello["cursor"].get<int64_t>();
    auto w = call("hello", hello);
    if (!w.ok()) {
      // The hub's signed answer: this point's key is revoked. It stops minting codes.
      if (w.error().code == "revoked_key") note_revoked(n_);
      return w.error();
    }
    const Json& h = w->header;
    if (Status t = welcome_types(h); !t.ok()) return t;
    if (h.value("hub", std::string()) != to_hex(x_.hub))
      return make_error("wrong_hub", "the hub answered with a different key than the one this point enrolled with");
    x_.session = h.value("session", std::string("-"));
    // Cursor = (hub epoch, position): a position in another epoch of the
    // hub's database means nothing, so the pull starts again from 0.
    const std::string hub_epoch = h.value("hub_epoch", std::string());
    const std::string known_epoch = util::state_get(n_, "hub_epoch");
    if (!hub_epoch.empty() && hub_epoch != known_epoch) {
      if (!known_epoch.empty() && cursor > 0) {
        std::cerr << "motcua sync: the hub's database is a new epoch; pulling again from the start\n";
        cursor = 0;
        util::state_set(n_, "pull_cursor", "0");
      }
      if (!known_epoch.empty()) {
        // A hub restored from an older backup may lack attachments the old
        // one confirmed: each is offered again (the hub says which it holds).
        std::lock_guard<std::recursive_mutex> g(n_.journal().mutex());
        n_.db()->exec("DELETE FROM blob_confirmed");
      }
      util::state_set(n_, "hub_epoch", hub_epoch);
    }
    hub_epoch_ = hub_epoch;
    const Json hub_heads = h.value("heads", Json::object());
    if (!hub_heads.is_object()) return make_error("malformed_message", "welcome: heads must be an object", "heads");
    auto hub_head = [&](const PublicKey& a) -> Result<std::pair<int64_t, Hash32>> {
      auto it = hub_heads.find(to_hex(a));
      if (it == hub_heads.end()) return std::make_pair(int64_t{0}, Hash32{});
      auto p = util::parse_head(*it);
      if (!p) return make_error("malformed_message", "welcome: each head must be [seq, \"<id hex>\"]", "heads");
      return *p;
    };
    row_.skew_ms = h.value("skew_ms", int64_t{0});
    util::state_note(n_, "skew_ms", std::to_string(row_.skew_ms));
    correct_clock(n_, row_.skew_ms);
    util::state_note(n_, "pending_down", std::to_string(h.value("pending", int64_t{0})));
    size_t batch = std::min<size_t>(o_.batch_entries, h.value("limits", Json::object()).value("max_batch_entries", size_t{2000}));
    batch_ = batch;
    size_t max_bytes = h.value("limits", Json::object()).value("max_batch_bytes", size_t{8u << 20}) / 2;
    Status s = apply_leases(n_, h.value("leases", Json::array()));
    if (!s.ok()) return s;
    report("hello");
    // A fork (the hub's answer, or seen here: the hub's head of this point's
    // own chain is not the entry this point holds at that seq).
    if (h.contains("fork") && h["fork"].is_object()) return on_fork(h["fork"]);
    {
      auto own = hub_head(n_.keys().pk);
      if (!own.ok()) return own.error();
      auto mine_it = mine.find(n_.keys().pk);
      const int64_t my_seq = mine_it == mine.end() ? 0 : mine_it->second;
      if (own->first > 0 && own->first < my_seq) {
        auto at = n_.journal().get(n_.keys().pk, own->first);
        if (at && at->id != own->second)
          return on_fork(Json{{"author", to_hex(n_.keys().pk)}, {"seq", own->first}, {"hub_id", to_hex(own->second)},
                              {"point_id", to_hex(at->id)}});
      }
    }
    if (h.value("point_status", std::string()) == "quarantined") {
      if (util::state_get(n_, "fork").empty())
        util::state_set(n_, "fork", Json{{"author", to_hex(n_.keys().pk)}, {"quarantined", true},
                                         {"at", util::iso_utc(n_.clock().now_ms())}}.dump());
      return make_error("fork_detected", "the hub has quarantined this point after a fork of its chain: nothing is "
                                         "pushed until the hub's admin decides (motcua audit at the hub)");
    }
    if (!util::state_get(n_, "fork").empty()) util::state_set(n_, "fork", "");
    if (h.contains("behind") && h["behind"].is_object()) return restore(h["behind"]);
    if (succession_pending(n_)) {  // a new PC continuing a lost point (succession.cpp)
      auto got = fetch_former_chains(
          n_, [this](const std::string& kind, Json header) { return call(kind, std::move(header)); }, batch_,
          o_.admission);
      if (!got.ok()) return got.error();
      restored_ += got.value();
      row_.entries_down += got.value();
      report("restore");
      finish_restore();
      again_ = true;
      return ok_status();
    }
    if (n_.meta("restoring") == "1") finish_restore();  // caught up before, cut before the end
    // Push: every author where this node holds more than the hub. Entries of
    // a group commit still on their way to disk are flushed first, so the hub
    // never holds an entry this node could lose in a power cut.
    Status flushed = n_.journal().make_durable();
    if (!flushed.ok()) return flushed;
    for (const auto& [author, my_seq] : mine) {
      auto hh = hub_head(author);
      if (!hh.ok()) return hh.error();
      int64_t hub_seq = hh->first;
      // A chain the hub holds none of (a hub restored from an older backup:
      // docs/design/0094) comes back from its own point; the hub takes a
      // foreign chain only where it holds some of it (unknown_author), and
      // its own chain back from any point.
      if (author != n_.keys().pk && author != x_.hub && hub_seq == 0) continue;
      if (author == n_.keys().pk && hub_seq > my_seq)
        return make_error("stale_chain", "the hub holds this point's own chain up to seq " + std::to_string(hub_seq) +
                                             " but this node only up to " + std::to_string(my_seq) +
                                             ": restore from the hub instead of writing on");
      // The next batch is read and compressed on a second thread while the
      // hub answers this one: it needs only the seq this batch ends at. If
      // the receipt says otherwise, it is read again (docs/design/0116).
      PushBatch next;
      if (hub_seq < my_seq) next = push_batch(author, hub_seq, batch, max_bytes);
      std::future<PushBatch> ahead;
      while (hub_seq < my_seq) {
        PushBatch cur = std::move(next);
        if (cur.entries.empty()) break;  // a gap in a foreign chain: nothing contiguous to send
        if (!cur.body.ok()) return cur.body.error();
        const int64_t last_seq = hub_seq + static_cast<int64_t>(cur.entries.size());
        if (last_seq < my_seq)
          ahead = std::async(std::launch::async, [this, who = author, last_seq, batch, max_bytes] {
            return push_batch(who, last_seq, batch, max_bytes);
          });
        size_t up = 0, down = 0;
        auto r = x_.send("push", std::move(cur.body.value()), &up, &down);
        count_call(up, down);
        if (!r.ok()) return r.error();
        if (Status t = typed(r->header, "receipt", {{"stored", Kind::Int}}); !t.ok()) return t;
        auto upto = take_receipts(r->header, author, last_seq);
        if (!upto.ok()) return upto.error();
        row_.entries_up += r->header.value("stored", int64_t{0});
        hub_seq = upto.value();
        if (author == n_.keys().pk) util::state_note(n_, "hub_has_self", std::to_string(hub_seq));
        report("push");
        if (ahead.valid()) {
          next = ahead.get();
          if (hub_seq != last_seq) next = push_batch(author, hub_seq, batch, max_bytes);
        } else if (hub_seq < my_seq) {
          next = push_batch(author, hub_seq, batch, max_bytes);
        }
      }
      if (author == n_.keys().pk) util::state_note(n_, "hub_has_self", std::to_string(hub_seq));
    }
    // Attachments of the pushed entries that the hub lacks. A cut here does
    // not hold back the pull; the session still ends failed, and the next one
    // resumes from the bytes the hub holds.
    const Json limits = h.value("limits", Json::object());
    blobs::StepOptions bo;
    bo.chunk_bytes = std::max<size_t>(1, std::min(o_.blob_chunk_bytes, limits.value("blob_chunk_bytes", blobs::kChunkBytes)));
    bo.hub_max_bytes = limits.value("max_blob_bytes", int64_t{0});
    // A hub of a version without attachments does not announce a chunk size.
    const bool hub_takes_blobs = limits.contains("blob_chunk_bytes");
    if (!hub_takes_blobs && blobs::waiting(n_) > 0)
      blobs_.note("", make_error("not_found", "trung tâm chưa hỗ trợ tệp đính kèm / the hub does not take "
                                              "attachments (an older version): they wait for its upgrade"));
    Status up = hub_takes_blobs ? blobs::upload(n_, blob_call(), bo, blobs_) : ok_status();
    report("blobs_up");
    if (!up.ok() && up.error().code == "session_expired") return up;
    // The registry changed (a point added, revoked, its acts): fetch it
    // before the pull, whose entries are admitted by its rules.
    apply_revocations(n_, h.value("revocations", Json::array()));
    bool reference_done = false;
    const std::string registry_hash = h.value("registry_hash", std::string());
    if (!registry_hash.empty() && registry_hash != util::state_get(n_, "registry_hash")) {
      auto r = call("reference", Json::object());
      if (!r.ok()) return r.error();
      s = apply_reference(n_, r->header);
      if (!s.ok()) return s;
      reference_done = true;
      report("reference");
    }
    // Pull what is in scope after the cursor. The next page is requested
    // (and decoded) on a second thread while this one ingests the page in
    // hand: its request needs only this page's header (docs/design/0116).
    Json history;  // a paged history of dossiers newly in scope: where it stands
    HubStates states;
    Json req{{"after", cursor}, {"limit", batch}};
    std::future<PulledPage> ahead;
    // A page that ends the session (refused, a throw) leaves the request
    // already sent for the next one: it still counts in the session's log
    // row (bytes, requests) once it is back.
    struct Drain {
      Session& s;
      std::future<PulledPage>& f;
      ~Drain() {
        if (!f.valid()) return;
        try {
          PulledPage sent = f.get();
          s.count_call(sent.up, sent.down);
        } catch (...) {
        }
      }
    } drain{*this, ahead};
    for (;;) {
      PulledPage page = ahead.valid() ? ahead.get() : fetch_page(req);
      count_call(page.up, page.down);
      auto& r = page.reply;
      if (!r.ok()) return r.error();
      if (Status t = typed(r->header, "entries", {{"hub_epoch", Kind::Text}, {"next", Kind::Int}, {"more", Kind::Bool}});
          !t.ok())
        return t;
      if (r->header.value("hub_epoch", hub_epoch_) != hub_epoch_)
        return make_error("bad_cursor", "the hub's epoch changed during the session; the next session starts again");
      history = r->header.contains("history") ? r->header["history"] : Json();
      note_states(states, r->header);
      int64_t next = r->header.value("next", cursor);
      if (next < cursor) return make_error("bad_cursor", "the hub moved the cursor backwards");
      const bool more = r->header.value("more", false);
      if (more) {
        req = Json{{"after", next}, {"limit", batch}};
        if (history.is_object()) req["history"] = history;
        ahead = std::async(std::launch::async, [this, req] { return fetch_page(req); });
      }
      if (page.given || !page.bad_entries.code.empty()) {
        if (!page.given) return page.bad_entries;
        auto added = ingest_pulled(n_, *page.given, o_.admission);
        if (!added.ok()) return make_error(added.error().code, "entries from the hub refused: " + added.error().message);
        row_.entries_down += added->stored;
        quarantined_ += static_cast<int64_t>(added->quarantined.size());
        skipped_ += static_cast<int64_t>(added->skipped.size());
      }
      // Kept with a disk sync, so it never falls below the cursor the hub
      // recorded (a lower hello raises stale_hello there); not written when
      // it did not move.
      if (next != cursor) util::state_set(n_, "pull_cursor", std::to_string(next));
      cursor = next;
      report("pull");
      if (!more) break;
    }
    util::state_note(n_, "pending_down", "0");
    // Convergence: every subject the hub sent must now hash alike here.
    divergent_ = check_states(n_, states);
    // Reference data when it changed.
    std::string ref = h.value("reference_hash", std::string());
    if (!reference_done && !ref.empty() && ref != util::state_get(n_, "reference_hash")) {
      auto r = call("reference", Json::object());
      if (!r.ok()) return r.error();
      s = apply_reference(n_, r->header);
      if (!s.ok()) return s;
      report("reference");
    }
    if (!up.ok()) return up;
    // Attachments of the dossiers this point holds that it lacks.
    Status down = hub_takes_blobs ? blobs::download(n_, blob_call(), bo, blobs_) : ok_status();
    report("blobs_down");
    return down;
  }

  // The hub holds another entry of a chain at the same seq. This point sends
  // its own entry there as evidence, remembers the fork (status, alert) and
  // stops: nothing of a forked chain is pushed, and the hub refuses it anyway.
  Status on_fork(const Json& fork) {
    const std::string author_hex = fork.value("author", std::string());
    const int64_t seq = fork.value("seq", int64_t{0});
    PublicKey author{};
    if (!from_hex(author_hex, author) || seq < 1)
      return make_error("malformed_message", "welcome: fork must be {author, seq, hub_id}", "fork");
    if (auto e = n_.journal().get(author, seq)) {
      auto r = call("fork_evidence", Json::object(), {wire::from_entry(*e)});
      if (!r.ok()) std::cerr << "motcua sync: fork evidence not taken by the hub: " << r.error().message << "\n";
    }
    const int64_t now = n_.clock().now_ms();
    Json state = fork;
    state["at"] = util::iso_utc(now);
    util::state_set(n_, "fork", state.dump());
    const bool own = author == n_.keys().pk;
    const std::string detail =
        std::string(own ? "this point's own chain" : "the chain of " + author_hex.substr(0, 16) + "…") +
        " is forked: the hub holds entry " + fork.value("hub_id", std::string()).substr(0, 16) + "… at seq " +
        std::to_string(seq) + ", this node another one" +
        (own ? " (a copy of this data directory took dossiers in, e.g. a backup restored in place)" : "") +
        ". Sync is stopped; the hub's admin must decide (motcua audit at the hub)";
    Alert a;
    a.at_ms = now;
    a.point = n_.name();
    a.kind = "fork";
    a.detail = detail;
    if (store_->fold_alert(a, now - now % (60 * 60 * 1000)) == 1) std::cerr << "SECURITY: " << detail << "\n";
    return make_error("fork_detected", detail);
  }

  // This point's own chain is behind the hub's (a backup copied back in
  // place): it takes no intake ("restoring") until it has fetched its own
  // chain from the hub, then starts a new epoch and syncs as usual.
  Status restore(const Json& behind) {
    const int64_t hub_seq = behind.value("hub_seq", int64_t{0});
    const int64_t now = n_.clock().now_ms();
    if (n_.meta("restoring") != "1") {
      n_.set_meta("restoring", "1");
      Alert a;
      a.at_ms = now;
      a.point = n_.name();
      a.kind = "stale_chain";
      a.detail = "the hub holds this point's own chain up to seq " + std::to_string(hub_seq) + ", this database only up to " +
                 std::to_string(behind.value("seq", int64_t{0})) +
                 " (a backup copied back in place?): fetching it from the hub; intake is refused until then";
      store_->add_alert(a);
      std::cerr << "motcua sync: " << a.detail << "\n";
    }
    for (;;) {
      auto heads = n_.journal().heads();
      const int64_t have = heads.count(n_.keys().pk) ? heads[n_.keys().pk] : 0;
      if (have >= hub_seq) break;
      auto r = call("own_chain", Json{{"after_seq", have}, {"limit", batch_}});
      if (!r.ok()) return r.error();
      if (r->entries.empty()) return make_error("stale_chain", "the hub sent none of this point's own chain after seq " +
                                                                   std::to_string(have));
      auto given = wire::shells(r->entries);
      if (!given.ok()) return given.error();
      // Its own chain (contiguous, fully checked) with the other authors'
      // entries of the same dossiers it may lack (sparse, as a pull).
      auto added = n_.journal().ingest_batch(given.value(), true);
      if (!added.ok()) return make_error(added.error().code, "own chain from the hub refused: " + added.error().message);
      restored_ += added.value();
      row_.entries_down += added.value();
      report("restore");
    }
    finish_restore();
    again_ = true;
    return ok_status();
  }

  void finish_restore() {
    const std::string epoch = util::new_epoch(n_);
    auto heads = n_.journal().heads();
    util::state_set(n_, "hub_has_self", std::to_string(heads.count(n_.keys().pk) ? heads[n_.keys().pk] : 0));
    n_.set_meta("restoring", "");
    std::cerr << "motcua sync: own chain restored from the hub; new epoch " << epoch.substr(0, 8) << "…, intake open again\n";
  }

  blobs::Call blob_call() {
    return [this](const std::string& kind, Json header, std::string_view data) {
      return call(kind, std::move(header), {}, data);
    };
  }

  // Checks each receipt in full (docs/sync-protocol.md 4.3) before keeping
  // any: the hub key signed it and names itself, it is for this point, its
  // author is the pushed chain, `entry` is this node's own entry at
  // `upto_seq` (which covers the whole batch), and the position range is
  // sane. Returns upto_seq; any fault refuses the session (bad_receipt).
  Result<int64_t> take_receipts(const Json& header, const PublicKey& author, int64_t last_seq) {
    auto bad = [](const std::string& why) {
      return make_error("bad_receipt", "the hub's receipt is refused: " + why);
    };
    const Json& items = header.value("receipts", Json::array());
    if (!items.is_array()) return bad("receipts is not a list");
    std::vector<ReceiptRecord> good;
    int64_t upto = -1;
    for (const auto& item : items) {
      if (!item.is_object() || !item.contains("r") || !item.contains("sig") || !item["sig"].is_string())
        return bad("malformed receipt");
      Signature sig;
      if (!from_hex(item["sig"].get<std::string>(), sig)) return bad("malformed signature");
      const Json& r = item["r"];
      if (!r.is_object() || !check_canonical(r).ok()) return bad("not canonical JSON");
      std::string bytes = canonical_bytes(r);
      if (!verify(x_.hub, SignDomain::Receipt, bytes, sig)) return bad("its signature does not verify with the hub key");
      auto text = [&](const char* k) {
        auto it = r.find(k);
        return it != r.end() && it->is_string() ? it->get<std::string>() : std::string();
      };
      auto number = [&](const char* k) -> std::optional<int64_t> {
        auto it = r.find(k);
        if (it == r.end() || !it->is_number_integer()) return std::nullopt;
        return it->get<int64_t>();
      };
      PublicKey a;
      Hash32 entry;
      if (!from_hex(text("author"), a) || !from_hex(text("entry"), entry)) return bad("malformed author or entry");
      if (text("hub") != to_hex(x_.hub)) return bad("it names another hub");
      if (text("point") != n_.name()) return bad("it is for point '" + text("point") + "', not this one");
      if (a != author) return bad("it is for another author than the pushed chain");
      auto seq = number("upto_seq"), hub_time = number("hub_time_ms"), from = number("from_pos"), to = number("to_pos");
      if (!seq || !hub_time || !from || !to) return bad("upto_seq, hub_time_ms, from_pos and to_pos must be numbers");
      if (*seq < last_seq) return bad("it covers seq " + std::to_string(*seq) + " of " + std::to_string(last_seq));
      // This node's own chain it holds whole; of another author's chain that
      // it relayed, the hub may meanwhile hold more than this node has seen.
      auto mine = n_.journal().get(a, *seq);
      if (mine ? mine->id != entry : (a == n_.keys().pk || *seq == last_seq))
        return bad("its entry at seq " + std::to_string(*seq) + " is not this node's entry there");
      if (*from < 1 || *to < *from) return bad("its position range is not from_pos <= to_pos");
      good.push_back(ReceiptRecord{n_.name(), a, *seq, entry, *hub_time, bytes, sig});
      upto = *seq;
    }
    if (upto < 0) return bad("the hub sent no receipt for the pushed chain");
    for (const auto& g : good) {
      store_->add_receipt(g);
      row_.receipts++;
    }
    return upto;
  }

  node::Node& n_;
  const ClientOptions& o_;
  Exchange x_;
  std::shared_ptr<HubStore> store_;
  SyncLogRow row_;
  SyncProgress progress_;
  blobs::Stats blobs_;
  bool again_ = false;      // restored its own chain: run the session again (new hello)
  int64_t restored_ = 0;    // own entries fetched from the hub
  std::string hub_epoch_;   // of this session's welcome
  size_t batch_ = 2000;
  std::vector<std::string> divergent_;  // subjects whose state differs from the hub's
  int64_t quarantined_ = 0, skipped_ = 0;  // pulled entries held or not stored (ingest_pulled)
};

}  // namespace

int64_t hub_busy_wait_ms(node::Node& node) {
  const int64_t wait = std::max<int64_t>(1000, util::state_get_int(node, "hub_busy_until_ms") - node.clock().now_ms());
  uint8_t r[2];
  node.random().fill(r, sizeof r);
  return wait + wait * (r[0] | (r[1] << 8)) / (2 * 65536);
}

Result<Json> sync_once(node::Node& node, Transport& transport, const ClientOptions& options) try {
  if (node.role() != node::Role::Point) return make_error("not_a_point", "only a point syncs with a hub");
  Session s(node, transport, options);
  return s.run();
} catch (const std::exception&) {
  return util::current_error();
}

}  // namespace motcua::sync
