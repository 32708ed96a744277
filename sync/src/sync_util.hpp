// Small helpers shared by both ends of sync: times, the sync_state map,
// raw journal reads for export.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sync_codec.hpp"

namespace SQLite {
class Database;
}
namespace motcua::node {
class Node;
}

namespace motcua::sync::util {

// "2025-07-01T02:03:04Z" (UTC, second precision); "" for 0.
std::string iso_utc(int64_t ms);
// Parses "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS[Z]" (UTC); -1 if malformed.
int64_t parse_iso(const std::string& s);
// The calendar day (Asia/Ho_Chi_Minh, UTC+7) of `ms` plus `days`, as YYMMDD.
std::string vn_day(int64_t ms, int days = 0);

// Inside a catch handler: the exception being handled as an Error. SQLite's
// become schema::storage_error (storage_full, ...), a damaged journal row
// journal_broken, anything else "internal_error" with its text. For the
// boundaries of sync's Result-returning functions: nothing thrown below them
// crosses them (docs/design/0030-storage-faults.md).
Error current_error();

// The sync_state key/value map on the node's database (caller holds the journal lock or not: these lock).
std::string state_get(node::Node& n, const std::string& key);
// A stored value that is not a whole number throws (a damaged row).
int64_t state_get_int(node::Node& n, const std::string& key);
void state_set(node::Node& n, const std::string& key, const std::string& value);
// Runs `fn` with its commits written to the WAL but not synced to disk
// (synchronous=NORMAL; the connection's setting is back after): a crash of
// the process keeps them, a power cut may lose the last ones. The WAL keeps
// commits in order, so the next synced commit (an ingest, an intake) makes
// them durable too. Only for what a lost copy cannot harm: session
// bookkeeping and indexes rebuilt from their own stored position
// (docs/design/0116, "Incremental sessions"); never for an acknowledged
// write. Inside an open transaction it changes nothing (its commit decides).
// The caller holds the journal lock (the connection is shared).
void without_sync(SQLite::Database& db, const std::function<void()>& fn);
// state_set without a disk sync (without_sync): session bookkeeping only.
void state_note(node::Node& n, const std::string& key, const std::string& value);

// Stored entries of `author` with seq > after_seq, ascending and contiguous
// (stops at the first gap), at most `limit` entries or `max_bytes` of canonical bytes.
std::vector<wire::WireEntry> author_entries(node::Node& n, const PublicKey& author, int64_t after_seq, size_t limit,
                                            size_t max_bytes);
// Every author's chain head as this node holds it: (seq, id of that entry).
std::map<PublicKey, std::pair<int64_t, Hash32>> heads_with_ids(node::Node& n);
// Heads as hello and welcome carry them: {"<author hex>": [seq, "<id hex>"]}
// (docs/sync-protocol.md, "Heads"); seq 0 has id "".
Json head_json(int64_t seq, const Hash32& id);
// Parses one [seq, "<id hex>"] head; nullopt when malformed. seq 0: id all zero.
std::optional<std::pair<int64_t, Hash32>> parse_head(const Json& v);
// A point's hello: {"heads", "cursor", "epoch", "hub_epoch"} (section 4.2).
Json hello_header(node::Node& n);
// The node's epoch (node meta "epoch"); one is made when an older database has none.
std::string epoch(node::Node& n);
// A new random epoch for this node (a restored point that caught up).
std::string new_epoch(node::Node& n);

// Number and canonical bytes of the entries of `author` with seq > after_seq.
std::pair<int64_t, int64_t> author_backlog(node::Node& n, const PublicKey& author, int64_t after_seq);

// A point's acts (PointRecord::acts) as both hub stores keep them: a comma
// list of event types or specs; split_acts skips empty items.
std::string join_acts(const std::vector<std::string>& acts);
std::vector<std::string> split_acts(const std::string& s);

}  // namespace motcua::sync::util
