#include "sync_codec.hpp"

#include <httplib.h>
#include <zlib.h>

#include "motcua/json_read.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <thread>

namespace motcua::sync::wire {

namespace {

Error malformed(const std::string& why) { return make_error("malformed_message", why); }

// The JSON header line of a message: the catalogue of a province travels in
// one (docs/sync-protocol.md), entries never do.
constexpr size_t kMaxHeaderBytes = 4 << 20;

const std::string kAuthorKey = "{\"author\":\"";
const std::string kParentsKey = "\"parents\":[";
const std::string kPrevKey = "\"prev\":\"";
const std::string kSeqKey = ",\"seq\":";

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  bool varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (p_ >= s_.size()) return false;
      uint8_t b = static_cast<uint8_t>(s_[p_++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  template <size_t N>
  bool bytes(std::array<uint8_t, N>& a) {
    if (s_.size() - p_ < N) return false;
    std::copy_n(reinterpret_cast<const uint8_t*>(s_.data() + p_), N, a.begin());
    p_ += N;
    return true;
  }
  bool u8(uint8_t& b) {
    if (p_ >= s_.size()) return false;
    b = static_cast<uint8_t>(s_[p_++]);
    return true;
  }
  bool view(size_t n, std::string_view& out) {
    if (s_.size() - p_ < n) return false;
    out = s_.substr(p_, n);
    p_ += n;
    return true;
  }
  bool done() const { return p_ == s_.size(); }

 private:
  std::string_view s_;
  size_t p_ = 0;
};

bool is_hex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

struct HashLess {
  bool operator()(const Hash32& a, const Hash32& b) const { return a < b; }
};

}  // namespace

WireEntry from_entry(const node::Entry& e) { return WireEntry{e.id, e.author, e.prev, e.canonical, e.sig}; }

std::string gzip(std::string_view data, int level) {
  z_stream z{};
  // windowBits 15 + 16: a gzip wrapper (RFC 1952), as the receiver expects.
  if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("zlib: cannot start the compressor");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  // Grown as it fills, in 64 KiB steps: a message of 8 MiB needs no second
  // 8 MiB buffer beside it (the hub's peak RSS, tests/bench/sync_bench).
  std::string out;
  out.reserve(level == kGzipStored ? data.size() + 64 : data.size() / 3 + 64);
  char buf[64 << 10];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = deflate(&z, Z_FINISH);
    out.append(buf, sizeof buf - z.avail_out);
  }
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("zlib: compression did not finish");
  return out;
}

int data_level(std::string_view data) {
  // A probe of the first 16 KiB at the fast level: a scan (JPEG inside a
  // PDF) or a zip gains nothing, and deflate would spend ~20 ms of CPU per
  // MiB at each end for it.
  std::string_view probe = data.substr(0, 16 << 10);
  if (probe.size() < 512) return kGzipFast;
  return gzip(probe, kGzipFast).size() * 10 < probe.size() * 9 ? kGzipFast : kGzipStored;
}

Result<std::string> gunzip(std::string_view data, size_t max_out) {
  httplib::detail::gzip_decompressor d;
  if (!d.is_valid()) return malformed("cannot start the decompressor");
  std::string out;
  bool too_big = false;
  bool ok = d.decompress(data.data(), data.size(), [&](const char* p, size_t n) {
    if (out.size() + n > max_out) {
      too_big = true;
      return false;
    }
    out.append(p, n);
    return true;
  });
  if (too_big)
    return make_error("batch_too_large", "message is larger than " + std::to_string(max_out) + " bytes uncompressed");
  if (!ok) return malformed("body is not valid gzip");
  return out;
}

Result<std::string> strip(const WireEntry& e, std::vector<Hash32>& parents) {
  const std::string& c = e.canonical;
  std::string author_hex = to_hex(e.author);
  std::string head = kAuthorKey + author_hex + "\",";
  if (c.compare(0, head.size(), head) != 0) return malformed("entry does not start with its author");
  size_t q = c.rfind(kParentsKey);
  if (q == std::string::npos || q < head.size()) return malformed("entry has no parents field");
  size_t p = q + kParentsKey.size();
  parents.clear();
  while (p < c.size() && c[p] != ']') {
    if (c[p] == ',') ++p;
    if (p + 66 > c.size() || c[p] != '"' || c[p + 65] != '"') return malformed("bad parents list");
    std::string_view hx(c.data() + p + 1, 64);
    Hash32 h;
    if (!is_hex64(hx) || !from_hex(hx, h)) return malformed("bad parent hash");
    parents.push_back(h);
    p += 66;
  }
  if (p >= c.size()) return malformed("parents list not closed");
  ++p;  // ']'
  std::string prev_part = "," + kPrevKey + to_hex(e.prev) + "\",";
  if (c.compare(p, prev_part.size(), prev_part) != 0) return malformed("prev field not where expected");
  p += prev_part.size();
  if (c.compare(p, 6, "\"seq\":") != 0) return malformed("seq field not where expected");
  std::string rest;
  rest.reserve(c.size() - (p - q) - head.size() + 1);
  rest.push_back('{');
  rest.append(c, head.size(), q - head.size());
  rest.append(c, p, std::string::npos);
  return rest;
}

Result<std::string> rebuild(const PublicKey& author, const Hash32& prev, const std::vector<Hash32>& parents,
                            std::string_view rest) {
  if (rest.size() < 9 || rest.substr(0, 8) != "{\"body\":") return malformed("record body must start with {\"body\":");
  size_t s = rest.rfind(kSeqKey);
  if (s == std::string_view::npos) return malformed("record has no seq field");
  size_t k = s + 1;
  std::string c;
  c.reserve(rest.size() + 160 + parents.size() * 67);
  c += kAuthorKey;
  c += to_hex(author);
  c += "\",";
  c.append(rest.substr(1, k - 1));
  c += kParentsKey;
  for (size_t i = 0; i < parents.size(); ++i) {
    if (i) c.push_back(',');
    c.push_back('"');
    c += to_hex(parents[i]);
    c.push_back('"');
  }
  c += "],";
  c += kPrevKey;
  c += to_hex(prev);
  c += "\",";
  c.append(rest.substr(k));
  return c;
}

Result<std::string> encode(Json header, const std::vector<WireEntry>& entries, std::string_view data) {
  if (!entries.empty() && !data.empty()) return malformed("a message carries entries or data, not both");
  header["v"] = 2;
  if (!entries.empty()) header["entries"] = entries.size();
  if (!data.empty()) header["data"] = data.size();
  std::string msg = header.dump();
  msg.push_back('\n');
  if (!data.empty()) {
    msg.append(data);
    return gzip(msg, data_level(data));
  }
  std::map<Hash32, size_t, HashLess> index;
  std::vector<Hash32> parents;
  for (size_t i = 0; i < entries.size(); ++i) {
    const WireEntry& e = entries[i];
    auto rest = strip(e, parents);
    if (!rest.ok()) return rest.error();
    uint8_t flags = 0;
    if (i > 0 && entries[i - 1].author == e.author) flags |= 1;
    if (i > 0 && entries[i - 1].id == e.prev) flags |= 2;
    msg.push_back(static_cast<char>(flags));
    if (!(flags & 1)) msg.append(reinterpret_cast<const char*>(e.author.data()), 32);
    if (!(flags & 2)) msg.append(reinterpret_cast<const char*>(e.prev.data()), 32);
    put_varint(msg, parents.size());
    for (const auto& p : parents) {
      auto it = index.find(p);
      if (it != index.end()) {
        put_varint(msg, i - it->second);
      } else {
        put_varint(msg, 0);
        msg.append(reinterpret_cast<const char*>(p.data()), 32);
      }
    }
    put_varint(msg, rest->size());
    msg += rest.value();
    msg.append(reinterpret_cast<const char*>(e.sig.data()), 64);
    index[e.id] = i;
  }
  return gzip(msg, kGzipDefault);
}

Result<Decoded> decode(std::string_view body, size_t max_bytes) {
  auto raw = gunzip(body, max_bytes);
  if (!raw.ok()) return raw.error();
  const std::string& m = raw.value();
  size_t nl = m.find('\n');
  if (nl == std::string::npos) return malformed("message has no header line");
  Decoded d;
  if (nl > kMaxHeaderBytes)
    return malformed("message header is longer than " + std::to_string(kMaxHeaderBytes) + " bytes");
  auto header = read_json(std::string_view(m).substr(0, nl), JsonLimits{kMaxHeaderBytes, kMaxJsonDepth}, "header");
  if (!header.ok()) return malformed("message header: " + header.error().message);
  d.header = std::move(header.value());
  if (!d.header.is_object()) return malformed("message header is not a JSON object");
  if (!d.header.contains("type") || !d.header["type"].is_string()) return malformed("message header has no type");
  if (d.header.value("v", Json()) != Json(2)) return malformed("unsupported message version (this hub speaks sync protocol v2)");
  if (d.header.contains("data")) {
    if (!d.header["data"].is_number_unsigned()) return malformed("data must be a byte count");
    if (d.header.contains("entries")) return malformed("a message carries entries or data, not both");
    if (d.header["data"].get<uint64_t>() != m.size() - nl - 1)
      return malformed("the data after the header is not header.data bytes long");
    d.data = m.substr(nl + 1);
    return d;
  }
  uint64_t n = 0;
  if (d.header.contains("entries")) {
    if (!d.header["entries"].is_number_unsigned()) return malformed("entries must be a count");
    n = d.header["entries"].get<uint64_t>();
  }
  Reader r(std::string_view(m).substr(nl + 1));
  if (n > m.size() / 100 + 1) return malformed("entry count does not fit the message size");
  d.entries.reserve(n);
  std::vector<Hash32> parents;
  for (uint64_t i = 0; i < n; ++i) {
    std::string at = "record " + std::to_string(i) + ": ";
    WireEntry e;
    uint8_t flags = 0;
    if (!r.u8(flags) || (flags & ~3)) return malformed(at + "bad flags");
    if (flags & 1) {
      if (i == 0) return malformed(at + "no previous record to take the author from");
      e.author = d.entries.back().author;
    } else if (!r.bytes(e.author)) {
      return malformed(at + "truncated author");
    }
    if (flags & 2) {
      if (i == 0) return malformed(at + "no previous record to take prev from");
      e.prev = d.entries.back().id;
    } else if (!r.bytes(e.prev)) {
      return malformed(at + "truncated prev");
    }
    uint64_t np = 0;
    if (!r.varint(np) || np > 4096) return malformed(at + "bad parent count");
    parents.clear();
    for (uint64_t k = 0; k < np; ++k) {
      uint64_t ref = 0;
      if (!r.varint(ref)) return malformed(at + "truncated parent");
      if (ref == 0) {
        Hash32 h;
        if (!r.bytes(h)) return malformed(at + "truncated parent hash");
        parents.push_back(h);
      } else {
        if (ref > i) return malformed(at + "parent reference before the first record");
        parents.push_back(d.entries[i - ref].id);
      }
    }
    uint64_t len = 0;
    std::string_view rest;
    if (!r.varint(len)) return malformed(at + "truncated length");
    if (len > node::kMaxEntryBytes)
      return make_error("entry_too_large", at + "entry is larger than " + std::to_string(node::kMaxEntryBytes) + " bytes");
    if (!r.view(len, rest)) return malformed(at + "truncated entry");
    auto c = rebuild(e.author, e.prev, parents, rest);
    if (!c.ok()) return make_error(c.error().code, at + c.error().message);
    if (c->size() > node::kMaxEntryBytes)
      return make_error("entry_too_large", at + "entry is larger than " + std::to_string(node::kMaxEntryBytes) + " bytes");
    e.canonical = std::move(c.value());
    if (!r.bytes(e.sig)) return malformed(at + "truncated signature");
    e.id = blake2b256(e.canonical);
    d.entries.push_back(std::move(e));
  }
  if (!r.done()) return malformed("bytes after the last record");
  return d;
}

Result<node::Entry> shell(const WireEntry& w) {
  node::Entry e;
  size_t s = w.canonical.rfind(kSeqKey);
  if (s == std::string::npos) return malformed("entry has no seq");
  size_t p = s + kSeqKey.size();
  int64_t seq = 0;
  while (p < w.canonical.size() && w.canonical[p] >= '0' && w.canonical[p] <= '9' && seq < (int64_t(1) << 53))
    seq = seq * 10 + (w.canonical[p++] - '0');
  if (p >= w.canonical.size() || w.canonical[p] != ',') return malformed("entry has a malformed seq");
  e.author = w.author;
  e.prev = w.prev;
  e.seq = seq;
  e.id = w.id;
  e.canonical = w.canonical;
  e.sig = w.sig;
  return e;
}

Result<std::vector<node::Entry>> shells(const std::vector<WireEntry>& entries) {
  std::vector<node::Entry> out;
  out.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    auto e = shell(entries[i]);
    if (!e.ok()) return make_error(e.error().code, "record " + std::to_string(i) + ": " + e.error().message);
    out.push_back(std::move(e.value()));
  }
  return out;
}

Result<std::vector<node::Entry>> parse_entries(const std::vector<WireEntry>& entries, unsigned threads) {
  std::vector<std::optional<node::Entry>> out(entries.size());
  std::vector<std::optional<Error>> errs(entries.size());
  auto work = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      auto e = node::parse_entry(entries[i].canonical, entries[i].sig);
      if (e.ok()) out[i] = std::move(e.value());
      else errs[i] = e.error();
    }
  };
  threads = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(entries.size() / 64 + 1)));
  if (threads == 1) {
    work(0, entries.size());
  } else {
    std::vector<std::thread> pool;
    size_t per = (entries.size() + threads - 1) / threads;
    for (unsigned t = 0; t < threads; ++t) {
      size_t from = t * per, to = std::min(entries.size(), from + per);
      if (from < to) pool.emplace_back(work, from, to);
    }
    for (auto& t : pool) t.join();
  }
  std::vector<node::Entry> res;
  res.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    if (errs[i]) {
      Error e = *errs[i];
      e.message = "entry " + std::to_string(i) + " (" + to_hex(entries[i].author).substr(0, 16) + "…): " + e.message;
      return e;
    }
    res.push_back(std::move(*out[i]));
  }
  return res;
}

}  // namespace motcua::sync::wire
