// A journal entry: one signed act. Canonical form: docs/journal-format.md.
#pragma once
#include <compare>
#include <cstdint>
#include <string>
#include <vector>

#include "motcua/canonical.hpp"
#include "motcua/crypto.hpp"

namespace motcua::node {

constexpr int kEntryFormatVersion = 1;
constexpr size_t kMaxEntryBytes = 64 * 1024;  // canonical bytes of one entry

// Hybrid logical clock timestamp: physical milliseconds + logical counter.
struct Hlc {
  int64_t ms = 0;
  int64_t c = 0;
  auto operator<=>(const Hlc&) const = default;
};

// What a caller asks to record; the journal fills in author, seq, prev, hlc, parents.
struct EntryDraft {
  std::string user;     // acting user (login name) or "system"
  std::string type;     // event type, e.g. "dossier.submitted"
  std::string subject;  // dossier code or other subject key
  Json body = Json::object();
};

struct Entry {
  int version = kEntryFormatVersion;
  PublicKey author{};
  int64_t seq = 0;
  Hash32 prev{};  // all zero for seq 1
  Hlc hlc;
  int64_t wall_ms = 0;  // the author's wall clock when it wrote the entry
  std::string user;
  std::string type;
  std::string subject;
  std::vector<Hash32> parents;  // sorted ascending, no duplicates
  Json body = Json::object();

  // Derived: set by seal() or parse_entry().
  std::string canonical;  // exact signed bytes
  Hash32 id{};
  Signature sig{};
};

// Total, deterministic order used wherever entries must be ordered: by HLC,
// then author key bytes, then seq.
bool entry_order_less(const Entry& a, const Entry& b);

// The signed JSON object (everything but id and sig).
Json entry_signed_json(const Entry& e);

// Computes canonical bytes and id, and signs them with `sk`.
// REQUIRES: e.author is the public half of sk. Errors if body is not canonical-safe.
Status seal_entry(Entry& e, const SecretKey& sk);

// Parses canonical bytes + signature into an Entry and checks: canonical form,
// field types, size, id, signature. Does not check chain links (the journal does).
Result<Entry> parse_entry(const std::string& canonical, const Signature& sig);
// Same without the signature check, for bytes read back from the own store.
Result<Entry> parse_entry_unverified(const std::string& canonical, const Signature& sig);

// Wire/export form: {"canonical": "<the bytes as a JSON string>", "sig": "<hex>"}
// is avoided for size; instead {"e": <signed object>, "sig": hex} — the
// receiver re-encodes "e" canonically. See docs/sync-protocol.md.
Json entry_to_json(const Entry& e);
Result<Entry> entry_from_json(const Json& j);

}  // namespace motcua::node
