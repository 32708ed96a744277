// Wire messages of docs/sync-protocol.md: gzip framing, the JSON header and
// the binary entry records (sections 3.1 and 5). Private to the sync library.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "motcua/canonical.hpp"
#include "motcua/crypto.hpp"
#include "motcua/node/entry.hpp"
#include "motcua/result.hpp"

namespace motcua::sync::wire {

// The parts of a stored entry a record is made from (no JSON parsing needed).
struct WireEntry {
  Hash32 id{};
  PublicKey author{};
  Hash32 prev{};
  std::string canonical;
  Signature sig{};
};

WireEntry from_entry(const node::Entry& e);

// zlib's levels (docs/design/0118): entry messages at the default level,
// where most of their bytes are repeated keys; attachment chunks at the fast
// level, or stored when a probe of their start finds them incompressible.
constexpr int kGzipStored = 0;
constexpr int kGzipFast = 1;
constexpr int kGzipDefault = 6;

// gzip (RFC 1952) of `data` at zlib `level` (0-9).
std::string gzip(std::string_view data, int level = kGzipDefault);
// The level for an attachment chunk's bytes: kGzipFast, or kGzipStored when
// the first 16 KiB do not shrink by a tenth at the fast level.
int data_level(std::string_view data);
// Inflates `data`; "batch_too_large" once the output passes `max_out`,
// "malformed_message" on bad input.
Result<std::string> gunzip(std::string_view data, size_t max_out);

// A decoded message: its header and the records rebuilt into canonical bytes
// (ids computed; signatures NOT yet checked: see parse_entries).
struct Decoded {
  Json header;
  std::vector<WireEntry> entries;
  std::string data;  // raw bytes after the header when it has "data": n (an attachment chunk)
};

// Builds the compressed body of a message. `header` gets "v": 2 and, when
// `entries` is not empty, "entries": n; when `data` is not empty, "data": n
// and the bytes follow the header (never both). Errors if a canonical entry
// is not in the expected shape.
Result<std::string> encode(Json header, const std::vector<WireEntry>& entries, std::string_view data = {});
// Reverses encode(): inflate (bounded by `max_bytes`), header, records.
Result<Decoded> decode(std::string_view body, size_t max_bytes);

// Parses and fully checks each rebuilt entry (canonical form, size, id,
// signature) using up to `threads` threads. All or nothing: the first bad
// entry (in order) gives the error, naming its index.
Result<std::vector<node::Entry>> parse_entries(const std::vector<WireEntry>& entries, unsigned threads);

// The Entry the journal's ingest() takes: canonical bytes, signature, id,
// author and seq (read from the bytes without a full parse). The journal
// re-reads and verifies everything from the signed bytes.
Result<node::Entry> shell(const WireEntry& e);
Result<std::vector<node::Entry>> shells(const std::vector<WireEntry>& entries);

// Splits/rebuilds the canonical bytes around author, parents and prev
// (exposed for tests).
Result<std::string> strip(const WireEntry& e, std::vector<Hash32>& parents);
Result<std::string> rebuild(const PublicKey& author, const Hash32& prev, const std::vector<Hash32>& parents,
                            std::string_view rest);

}  // namespace motcua::sync::wire
