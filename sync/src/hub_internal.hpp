// Private parts of the Hub shared by hub_service.cpp, hub_exchange.cpp and
// hub_admin.cpp.
#pragma once
#include <map>
#include <mutex>

#include "motcua/node/node.hpp"
#include "motcua/sync/hub.hpp"
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
  };

  node::Node& node;
  HubStore& store;
  const HubOptions& opt;
  std::mutex live_mu;
  struct LiveRow {
    SyncLogRow row;
    int64_t flushed_ms = 0;
  };
  std::map<std::string, LiveRow> live;  // open sessions' log rows by id
  std::mutex prune_mu;
  int64_t last_prune_ms = 0;

  Result<Reply> dispatch(const WireRequest& req, Ctx& ctx);
  Result<Reply> enrol(Ctx& ctx);
  Result<Reply> hello(Ctx& ctx);
  Result<Reply> push(Ctx& ctx);
  Result<Reply> pull(Ctx& ctx);
  Result<Reply> reference(Ctx& ctx);
  // Attachments (docs/sync-protocol.md section 12), in hub_blobs.cpp.
  Result<Reply> blob_check(Ctx& ctx);
  Result<Reply> blob_put(Ctx& ctx);
  Result<Reply> blob_get(Ctx& ctx);
  std::mutex blob_mu;  // serialises the partial files of uploads

  // Leases for today (hub time) and the next lease_days-1 days, topped up.
  std::vector<Lease> top_up_leases(const PointRecord& p, int64_t now);
  Json reference_data(std::string* hash);
  // Sync log bookkeeping for session `id`.
  // The row is written through when the session ends, and otherwise at most
  // every few seconds, so bookkeeping does not cost a disk sync per request.
  void account(const std::string& id, int64_t now, const std::function<void(SyncLogRow&)>& change);
  void alert(const std::string& point, const std::string& kind, const std::string& detail, int64_t now);
};

int status_for(const std::string& code);
Json leases_json(const std::vector<Lease>& leases);
Json point_json(const PointRecord& p);

}  // namespace motcua::sync
