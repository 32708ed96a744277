// Private parts of the Hub shared by hub_service.cpp, hub_exchange.cpp and
// hub_admin.cpp.
#pragma once
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "motcua/node/node.hpp"
#include "motcua/sync/hub.hpp"
#include "motcua/sync/retention.hpp"
#include "admission.hpp"
#include "fifo_gate.hpp"
#include "session_slots.hpp"
#include "hub_scope.hpp"
#include "sync_auth.hpp"
#include "sync_codec.hpp"

namespace motcua::sync {

// What a handler answers: a message (header + entries or data) with a status, or an Error.
struct Reply {
  int status = 200;
  Json header;
  std::vector<wire::WireEntry> entries;
  std::string data;  // an attachment chunk (blob_get)
  std::map<std::string, std::string> extra_headers;
};

struct Hub::Impl {
  Impl(node::Node& n, HubStore& s, const HubOptions& o) : node(n), store(s), opt(o) {}

  // An authenticated request being handled.
  struct Ctx {
    auth::RequestAuth auth;
    PointRecord point;
    int64_t now = 0;
    std::string session;  // the session this request belongs to (new one for hello)
    wire::Decoded msg;
    // What the handler moved, for the sync log (written once per request).
    int64_t entries_up = 0, entries_down = 0, receipts = 0;
    bool done = false;  // the session ended well (last pull)
    bool offline = false;  // from a bundle file: no session, hello and push only
    std::string remote_addr;     // the client's address ("" when unknown)
    bool plain_http = false;     // over the network without TLS
    bool enrol_attempt = false;  // an enrolment that passed the throttle
    int64_t retry_after_ms = 0;  // refused for a while: Retry-After
    std::string place;           // the point whose session place this request holds (SessionSlots)
  };

  // Enrolment is the one request a stranger can make. Refused attempts are
  // slowed per client address (docs/operations.md, "Strangers"): the first
  // kFreeFailures within an hour are tried at once, then each further one
  // only after a delay that doubles from 1 s up to 15 min; until then the
  // hub answers 429 too_many_attempts with Retry-After, without a thread
  // waiting and without touching the database.
  struct Strangers {
    static constexpr int kFreeFailures = 5;
    static constexpr int64_t kMaxDelayMs = 15 * 60 * 1000;
    static constexpr int64_t kForgetMs = 60 * 60 * 1000;  // an address quiet this long starts afresh
    static constexpr size_t kMaxSources = 10000;          // memory bound: the least recent is forgotten
    struct Source {
      int failures = 0;
      int64_t next_ms = 0;  // no attempt is tried before
      int64_t last_ms = 0;  // last refused attempt
    };
    std::mutex mu;
    std::map<std::string, Source> by_addr;
    int64_t throttled_unsaved = 0;  // 429s not yet added to the counter
    int64_t saved_ms = 0;
    // ms until `addr` may try again (0: now). Counts a refusal when > 0.
    int64_t wait_ms(const std::string& addr, int64_t now);
    void failed(const std::string& addr, int64_t now);
    void succeeded(const std::string& addr);
    void forget_quiet(int64_t now);
  };
  Strangers strangers;
  // Adds the throttled refusals to the stored counter (at most once a minute unless `force`).
  void save_throttled(int64_t now, bool force);

  // The last request counter this process saw accepted for each open
  // session (docs/sync-protocol.md 3.4): a fast path that refuses a replay
  // without asking the store. The store's compare-and-set
  // (advance_session_counter) decides, across processes (docs/design/0111).
  struct Counters {
    std::mutex mu;
    struct Last {
      int64_t counter = 0;
      int64_t expires_ms = 0;
    };
    std::map<std::string, Last> by_session;
  };
  Counters counters;
  void open_counter(const std::string& session, int64_t expires_ms);
  // True (and recorded) when `counter` is above the session's last one.
  bool advance_counter(const std::string& session, int64_t counter, int64_t now);
  void forget_counters(int64_t now);

  node::Node& node;
  HubStore& store;
  const HubOptions& opt;
  // Pushes are decoded, verified and stored at most this many at once per
  // process, in arrival order: one stores while the next verifies (design
  // 0116), and the rest wait as compressed bodies (docs/design/0120).
  FifoGate push_gate{std::max(2u, std::thread::hardware_concurrency())};
  // Points synced at once; a hello beyond them is refused 503 hub_busy
  // (docs/design/0121). Per process, as the gate.
  SessionSlots slots{opt.max_sessions};
  bool pg_journal = false;  // hub_store postgres: the journal is a replica of the shared log (design 0112)
  std::mutex live_mu;
  struct LiveRow {
    SyncLogRow row;
    int64_t flushed_ms = 0;
  };
  std::map<std::string, LiveRow> live;  // open sessions' log rows by id
  std::mutex prune_mu;
  int64_t last_prune_ms = 0;
  RetentionTimer retention;
  // Writes the cached log rows changed since their last write, and forgets
  // those of sessions idle longer than their TTL (they cannot go on).
  void flush_idle(int64_t now);

  Result<Reply> dispatch(const WireRequest& req, Ctx& ctx);
  Result<Reply> enrol(Ctx& ctx);
  Result<Reply> hello(Ctx& ctx);
  Result<Reply> push(Ctx& ctx);
  Result<Reply> pull(Ctx& ctx);
  Result<Reply> reference(Ctx& ctx);
  // Chains (docs/sync-protocol.md, "Heads", "Forks", "Behind"), in hub_chain.cpp.
  struct HeadAnswer {
    Json heads = Json::object();  // the hub's [seq, id] for every author asked
    Json fork;                    // {author, seq, hub_id} or null
    Json behind;                  // {seq, hub_seq} or null: the point's own chain is behind the hub's
  };
  // Compares the point's heads with the hub's. A fork of the point's own
  // chain is recorded at once (the hello is signed by that key); a fork of
  // another author waits for the entry (fork_evidence).
  Result<HeadAnswer> check_heads(Ctx& ctx, const Json& heads);
  Result<Reply> fork_evidence(Ctx& ctx);
  Result<Reply> own_chain(Ctx& ctx);
  // Succession (docs/sync-protocol.md 15.3, hub_succession.cpp): a new key
  // enrols with a code of `point add --replace`: the old key is retired at
  // its last admitted entry, the record signed, the old blocks retired.
  Result<PointRecord> succeed(Ctx& ctx, const EnrolmentCodeRecord& code);
  // Before a push is stored: refuses entries of a quarantined author, and a
  // batch that forks a chain the hub holds (evidence stored, author quarantined).
  Status check_push_forks(Ctx& ctx, const std::vector<node::Entry>& given);  // given: wire::shells of the push
  // Stores the evidence, quarantines the author's point, raises alert "fork"
  // (once per fork). Returns the fork_detected error to answer.
  Error record_fork(Ctx& ctx, ForkEvidence f);

  // The hub's admission rules (hub_exchange.cpp; sync/src/admission.cpp fills them in).
  node::Admitter admitter();
  // admitter() followed by the extra rules (Hub::add_admission_rule): what
  // push, bundles and decisions use.
  node::Admitter admission();
  std::vector<node::Admitter> extra_rules;
  // Attachments (docs/sync-protocol.md section 12), in hub_blobs.cpp.
  Result<Reply> blob_check(Ctx& ctx);
  Result<Reply> blob_put(Ctx& ctx);
  Result<Reply> blob_get(Ctx& ctx);
  // Uploads of one attachment id take turns (its partial file); uploads of
  // different ids run side by side, so their disk flushes overlap.
  std::mutex blob_mu;  // guards blob_locks
  std::map<std::string, std::weak_ptr<std::mutex>> blob_locks;
  std::shared_ptr<std::mutex> blob_lock(const std::string& id);

  // Leases for today (hub time) and the next lease_days-1 days, topped up.
  std::vector<Lease> top_up_leases(const PointRecord& p, int64_t now);
  Json reference_data(std::string* hash);
  // What reference_data() computes, kept while the generation counters of
  // its sources stand (docs/design/0115): the catalogue, holidays and points
  // in the node's database (sync_counters 'generation'/'reference', kept by
  // triggers) and the registry in the store (HubStore::registry_generation),
  // so a change made by another hub process is seen on the next hello.
  struct Reference {
    Json data;          // catalogue, holidays, points, registry, registry_hash
    std::string hash;   // reference_hash
    Registry registry;  // the admission registry the data was made from
  };
  std::shared_ptr<const Reference> reference_snapshot();
  struct ReferenceCache {
    std::mutex mu;
    std::shared_ptr<const Reference> ref;
    int64_t reference_gen = -1, registry_gen = -1;
  };
  ReferenceCache ref_cache;
  // Each point's lag as /metrics and the status last counted it (scope::PendingMemo).
  std::mutex pending_mu;
  std::map<std::string, scope::PendingMemo> pending_memo;
  int64_t lag_entries(const PointRecord& p);
  // {"<subject>": "<state hash hex>"} for the subjects of `entries`, as the
  // hub's projection has them now (docs/sync-protocol.md, "State hashes").
  // REQUIRES the journal lock held since the entries were read.
  Json states_of(const std::vector<wire::WireEntry>& entries);
  // Sync log bookkeeping for session `id`.
  // The row is written through when the session ends, and otherwise at most
  // every few seconds, so bookkeeping does not cost a disk sync per request.
  void account(const std::string& id, int64_t now, const std::function<void(SyncLogRow&)>& change);
  void alert(const std::string& point, const std::string& kind, const std::string& detail, int64_t now);
  // Alert of a refused enrolment: one per source address and hour, with a count.
  void enrolment_alert(const std::string& source, const std::string& detail, int64_t now);
  // Alert clock_skew (one per point and hour, folded) when |skew_ms| exceeds
  // max_clock_offset_s.
  void skew_alert(const std::string& point, int64_t skew_ms, int64_t now);
};

int status_for(const std::string& code);
// {"r": <the signed record>, "sig": "<hex>"} as the enrolled answer carries it.
Json succession_json(const Succession& s);
// The detail of a hub alert "quarantined": the point, the entry (id, author,
// seq, type, subject), the code and the reason.
std::string quarantine_detail(const std::string& point, const node::QuarantineRow& q);
Json leases_json(const std::vector<Lease>& leases);
Json point_json(const PointRecord& p);

}  // namespace motcua::sync
