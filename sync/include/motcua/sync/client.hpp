// The point's side of sync: enrolment with a hub and one sync session
// (docs/sync-protocol.md section 2), over any Transport.
#pragma once
#include <functional>
#include <string>

#include "motcua/canonical.hpp"
#include "motcua/sync/hub_store.hpp"
#include "motcua/sync/transport.hpp"

namespace motcua::node {
class Node;
}

namespace motcua::sync {

struct SyncProgress {
  std::string phase;  // "hello", "push", "blobs_up", "pull", "reference", "blobs_down", "done"
  int64_t entries_up = 0;
  int64_t entries_down = 0;
  int64_t bytes_up = 0;
  int64_t bytes_down = 0;
  int64_t requests = 0;
};

struct ClientOptions {
  size_t batch_entries = 2000;  // per push/pull request (the hub may lower it)
  std::function<void(const SyncProgress&)> progress;  // called after each request
  size_t blob_chunk_bytes = 1u << 20;  // per attachment chunk (the hub may lower it)
  // The admission rules on what is pulled, with the registry the hub sent.
  // false: only for tests whose dossiers are not real (see HubOptions).
  bool admission = true;
};

// The point's HTTP(S) transport to `url` (config hub_url when empty). For
// https, the hub's certificate is checked against <data-dir>/hub-ca.pem when
// that file exists (a hub with its own CA or a self-signed certificate),
// otherwise against the system's CAs.
Result<std::unique_ptr<Transport>> hub_transport(node::Node& node, const std::string& url = "");
inline constexpr const char* kHubCaFile = "hub-ca.pem";

// `motcua join`: proves it knows the one-time code (its public id and a MAC
// keyed by it; the code itself is never sent), checks the hub's answer with
// it, then stores the hub key, area, point name, hub_url, code blocks,
// catalogue and holidays, all in one transaction. Run again after a lost
// answer or a failed write, it enrols again (the hub answers the same key
// and code again). Returns {"hub", "hub_name", "point", "area", "leases"}.
// The URL is not checked here (the transport is given): callers that build
// an HTTP transport check enrolment_url_allowed() first.

Result<Json> join(node::Node& node, Transport& transport, const std::string& hub_url, const std::string& code);
// https:// always; plain http:// only to this machine (localhost,
// 127.0.0.0/8, [::1]); otherwise "insecure_hub_url" (field "hub").
Status enrolment_url_allowed(const std::string& url);

// After sync_once failed with hub_busy: how long to wait before the next
// attempt, in ms: until the time the hub gave (stored as sync state
// hub_busy_until_ms), plus up to half as much again from the node's Random,
// so the points it turned away do not all come back at once; at least 1 s
// (docs/design/0121). The point's agent and tests/bench/hub_load use it.
int64_t hub_busy_wait_ms(node::Node& node);

// One full session: hello, push what the hub lacks, upload the attachments
// it lacks, pull what is in scope, reference data if it changed, download the
// attachments of held dossiers this node lacks. Resumes from the stored
// positions (and attachments from the bytes the receiver holds). Returns the
// summary {"session", "result", "entries_up", "entries_down", "bytes_up",
// "bytes_down", "requests", "receipts", "skew_ms", "duration_ms", "blobs_up",
// "blobs_down", "blob_bytes_up", "blob_bytes_down", "blobs_waiting",
// "blob_errors"}.
// On failure the Error says why; the sync log has the row either way.
Result<Json> sync_once(node::Node& node, Transport& transport, const ClientOptions& options = {});

// `motcua restore --from-hub` (docs/sync-protocol.md 15.3): a new PC with a
// fresh data directory continues a lost point. join() with the code of
// `point add --replace NAME` (the hub retires the old key and signs the
// succession), then complete_restore(). `node` must be named NAME (the CLI
// reopens it after join() otherwise). Returns join()'s answer plus "sync".
Result<Json> restore_from_hub(node::Node& node, Transport& transport, const std::string& hub_url,
                              const std::string& code, const ClientOptions& options = {});
// Sessions until the point is no longer restoring (its former chains and
// scope are back, new epoch, intake open), at most `attempts`; the last
// session's summary. A cut is resumed by the next call (or by serve).
Result<Json> complete_restore(node::Node& node, Transport& transport, const ClientOptions& options = {},
                              int attempts = 3);

// GET /api/v1/sync/status body on a point.
Json point_status(node::Node& node);
// The point's own sync log: {"role": "point", "sessions": [...], "alerts": [...]}.
Json point_sync_log(node::Node& node, const std::string& point, int64_t since_ms);
// The same with the filters of GET /api/v1/audit/sync-log (result, limit).
Json point_sync_log(node::Node& node, SyncLogQuery query);

}  // namespace motcua::sync
