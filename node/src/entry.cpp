#include "motcua/node/entry.hpp"

#include <algorithm>

namespace motcua::node {

bool entry_order_less(const Entry& a, const Entry& b) {
  if (a.hlc != b.hlc) return a.hlc < b.hlc;
  if (a.author != b.author) return a.author < b.author;
  return a.seq < b.seq;
}

Json entry_signed_json(const Entry& e) {
  Json j = Json::object();
  j["v"] = e.version;
  j["author"] = to_hex(e.author);
  j["seq"] = e.seq;
  j["prev"] = to_hex(e.prev);
  j["hlc"] = Json::array({e.hlc.ms, e.hlc.c});
  j["wall_ms"] = e.wall_ms;
  j["user"] = e.user;
  j["type"] = e.type;
  j["subject"] = e.subject;
  Json parents = Json::array();
  for (const auto& p : e.parents) parents.push_back(to_hex(p));
  j["parents"] = parents;
  j["body"] = e.body;
  return j;
}

Status seal_entry(Entry& e, const SecretKey& sk) {
  std::sort(e.parents.begin(), e.parents.end());
  e.parents.erase(std::unique(e.parents.begin(), e.parents.end()), e.parents.end());
  Json j = entry_signed_json(e);
  Status s = check_canonical(j);
  if (!s.ok()) return s;
  e.canonical = canonical_bytes(j);
  if (e.canonical.size() > kMaxEntryBytes)
    return make_error("entry_too_large", "entry is " + std::to_string(e.canonical.size()) + " bytes; limit is " +
                                             std::to_string(kMaxEntryBytes), "body");
  e.id = blake2b256(e.canonical);
  e.sig = sign(sk, SignDomain::JournalEntry, e.canonical);
  return ok_status();
}

namespace {
Error bad(const std::string& field, const std::string& why) { return make_error("malformed_entry", why, field); }

// Keys and hashes are lowercase hex in the signed bytes: exactly one spelling,
// so an entry has exactly one id.
template <size_t N>
bool lower_hex(const Json& v, std::array<uint8_t, N>& out) {
  if (!v.is_string()) return false;
  const std::string& s = v.get_ref<const std::string&>();
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return from_hex(s, out);
}

// Takes the parsed object by value: the body is moved out, not copied.
Result<Entry> from_signed_json(Json owned) {
  const Json& j = owned;
  if (!j.is_object()) return bad("entry", "entry is not an object");
  static const char* keys[] = {"v", "author", "seq", "prev", "hlc", "wall_ms", "user", "type", "subject", "parents", "body"};
  if (j.size() != std::size(keys)) return bad("entry", "entry has unknown or missing fields");
  for (const char* k : keys)
    if (!j.contains(k)) return bad(k, std::string("missing field ") + k);
  Entry e;
  auto is_int = [](const Json& v) { return v.is_number_integer(); };
  if (!is_int(j["v"]) || j["v"].get<int64_t>() != kEntryFormatVersion) return bad("v", "unsupported format version");
  if (!lower_hex(j["author"], e.author)) return bad("author", "not a 32-byte lowercase hex key");
  if (!is_int(j["seq"]) || j["seq"].get<int64_t>() < 1) return bad("seq", "seq must be an integer >= 1");
  e.seq = j["seq"].get<int64_t>();
  if (!lower_hex(j["prev"], e.prev)) return bad("prev", "not a 32-byte lowercase hex hash");
  const Json& h = j["hlc"];
  if (!h.is_array() || h.size() != 2 || !is_int(h[0]) || !is_int(h[1]) || h[0].get<int64_t>() < 0 || h[1].get<int64_t>() < 0)
    return bad("hlc", "hlc must be [ms, counter]");
  e.hlc = Hlc{h[0].get<int64_t>(), h[1].get<int64_t>()};
  if (!is_int(j["wall_ms"])) return bad("wall_ms", "must be an integer");
  e.wall_ms = j["wall_ms"].get<int64_t>();
  for (const char* k : {"user", "type", "subject"})
    if (!j[k].is_string()) return bad(k, "must be a string");
  e.user = j["user"].get<std::string>();
  e.type = j["type"].get<std::string>();
  e.subject = j["subject"].get<std::string>();
  if (e.type.empty()) return bad("type", "must not be empty");
  if (!j["parents"].is_array()) return bad("parents", "must be an array");
  for (const auto& p : j["parents"]) {
    Hash32 ph;
    if (!lower_hex(p, ph)) return bad("parents", "not a 32-byte lowercase hex hash");
    e.parents.push_back(ph);
  }
  if (!std::is_sorted(e.parents.begin(), e.parents.end()) ||
      std::adjacent_find(e.parents.begin(), e.parents.end()) != e.parents.end())
    return bad("parents", "parents must be sorted and unique");
  if (!j["body"].is_object()) return bad("body", "must be an object");
  e.body = std::move(owned["body"]);
  return e;
}
}  // namespace

static Result<Entry> finish(Entry e, std::string canonical, const Signature& sig, bool check_sig = true) {
  if (canonical.size() > kMaxEntryBytes) return make_error("entry_too_large", "entry exceeds the size limit");
  e.canonical = std::move(canonical);
  e.id = blake2b256(e.canonical);
  e.sig = sig;
  if (check_sig && !verify(e.author, SignDomain::JournalEntry, e.canonical, e.sig))
    return make_error("bad_signature", "signature does not verify");
  return e;
}

Result<Entry> parse_entry(const std::string& canonical, const Signature& sig) {
  auto j = parse_canonical(canonical);
  if (!j.ok()) return j.error();
  auto e = from_signed_json(std::move(j.value()));
  if (!e.ok()) return e.error();
  return finish(std::move(e.value()), canonical, sig);
}

Result<Entry> parse_entry_unverified(const std::string& canonical, const Signature& sig) {
  auto j = read_json(canonical, JsonLimits{canonical.size(), kMaxSignedDepth});
  if (!j.ok()) return make_error("not_canonical", "stored bytes are not JSON within limits: " + j.error().message);
  auto e = from_signed_json(std::move(j.value()));
  if (!e.ok()) return e.error();
  return finish(std::move(e.value()), canonical, sig, false);
}

Json entry_to_json(const Entry& e) {
  return Json{{"e", entry_signed_json(e)}, {"sig", to_hex(e.sig)}};
}

Result<Entry> entry_from_json(const Json& j) {
  if (!j.is_object() || j.size() != 2 || !j.contains("e") || !j.contains("sig") || !j["sig"].is_string())
    return bad("entry", "expected {\"e\": {...}, \"sig\": hex}");
  Signature sig;
  if (!from_hex(j["sig"].get<std::string>(), sig)) return bad("sig", "not a 64-byte hex signature");
  Status s = check_canonical(j["e"]);
  if (!s.ok()) return s.error();
  auto e = from_signed_json(j["e"]);
  if (!e.ok()) return e.error();
  return finish(std::move(e.value()), canonical_bytes(j["e"]), sig);
}

}  // namespace motcua::node
