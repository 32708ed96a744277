// fuzz_sync_decode: the sync message decoder (sync/src/sync_codec.cpp) and the
// hub's handling of a point's requests. The first byte picks a mode:
//   0  wire::decode of the raw bytes (gzip framing included)
//   1  wire::decode of gzip(rest): the header line and the binary records;
//      then the entry checks, and for records that are canonical entries,
//      encode -> decode must give the same bytes back
//   2  Hub::handle of gzip(rest) to /sync/v2/<kind> (kind from the first
//      byte), signed by the enrolled point, with its session
//   3  Hub::handle of a push of one entry whose body is the JSON in rest,
//      sealed by the point on its own chain (what a compromised point can send)
// Properties: no exception; the hub never answers 500 and always answers a
// signed message that decodes.
#include "world.hpp"

#include <cstdio>

#include "motcua/node/dossiers.hpp"

namespace motcua::fuzz {

namespace {

constexpr size_t kMax = (8u << 20) + (64u << 10);  // the hub's own bound

void decoded_entries(const wire::Decoded& d) {
  (void)no_throw("shells", [&] { return wire::shells(d.entries); });
  (void)no_throw("parse_entries", [&] { return wire::parse_entries(d.entries, 1); });
  std::vector<wire::WireEntry> canonical;
  for (const auto& e : d.entries) {
    auto parsed = node::parse_entry_unverified(e.canonical, e.sig);
    if (parsed.ok() && parse_canonical(e.canonical).ok()) canonical.push_back(e);
  }
  if (canonical.empty()) return;
  auto body = no_throw("encode", [&] { return wire::encode(Json{{"type", "push"}}, canonical); });
  if (!body.ok()) fail("decoded canonical entries do not encode again: " + body.error().message);
  auto again = no_throw("decode (again)", [&] { return wire::decode(body.value(), kMax); });
  if (!again.ok()) fail("encoded entries do not decode again: " + again.error().message);
  if (again->entries.size() != canonical.size()) fail("round trip changed the number of entries");
  for (size_t i = 0; i < canonical.size(); ++i) {
    const auto &a = canonical[i], &b = again->entries[i];
    if (a.canonical != b.canonical || a.id != b.id || a.author != b.author || a.prev != b.prev || a.sig != b.sig)
      fail("round trip changed entry " + std::to_string(i) + ": " + a.canonical.substr(0, 200));
  }
}

void check_answer(HubWorld& w, const sync::WireRequest& req, const sync::WireResponse& res) {
  auto d = no_throw("decode (answer)", [&] { return wire::decode(res.body, kMax); });
  if (!d.ok()) fail("the hub's answer does not decode: " + d.error().message);
  if (verbose())
    std::fprintf(stderr, "%s -> %d %s\n", req.path.c_str(), res.status, d->header.dump().substr(0, 160).c_str());
  if (!sync::auth::check_response(res, w.hub_node->keys().pk, sync::auth::binding_of(req)).ok())
    fail("the hub's answer is not signed");
  if (res.status >= 500) {
    const Json err = d->header.value("error", Json::object());
    fail("the hub answered " + std::to_string(res.status) + " to " + req.path + ": " + err.dump());
  }
  if (res.status != 200 && d->header.value("type", std::string()) != "error")
    fail("a refusal that is not an error message");
}


}  // namespace

int sync_decode(const uint8_t* data, size_t size) {
  Input in(data, size);
  const uint8_t b0 = in.byte();
  switch (b0 % 4) {
    case 0: {
      std::string raw = in.rest();
      auto d = no_throw("decode", [&] { return wire::decode(raw, kMax); });
      if (d.ok()) decoded_entries(d.value());
      return 0;
    }
    case 1: {
      std::string raw = wire::gzip(in.rest());
      auto d = no_throw("decode", [&] { return wire::decode(raw, kMax); });
      if (d.ok()) decoded_entries(d.value());
      return 0;
    }
    case 2: {
      static const char* kinds[] = {"hello",    "push",  "pull",          "reference", "blob_check",
                                    "blob_put", "blob_get", "enrol", "fork_evidence", "own_chain"};
      const std::string kind = kinds[(b0 >> 2) % 10];
      HubWorld& w = HubWorld::get();
      auto req = w.request(kind, wire::gzip(in.rest()), kind == "hello" || kind == "enrol" ? "-" : w.session);
      auto res = no_throw("Hub::handle", [&] { return w.hub->handle(req); });
      check_answer(w, req, res);
      return 0;
    }
    default: {
      static const char* types[] = {node::events::kSubmitted, node::events::kUpdated,   node::events::kAccepted,
                                    node::events::kCancelled, node::events::kHandedOver, "conflict.resolved",
                                    "note",                   "dossier.fees_requested"};
      const uint8_t b1 = in.byte();
      Json body = parse_lenient(in.rest());
      if (!body.is_object()) return 0;
      HubWorld& w = HubWorld::get();
      // The next entry of the point's chain as the hub holds it (earlier
      // inputs may have stored some).
      static int64_t counter = 0;
      node::Entry e;
      e.author = w.point->keys().pk;
      auto heads = w.hub_node->journal().heads();
      e.seq = heads.count(e.author) ? heads[e.author] + 1 : 1;
      if (e.seq > 1) {
        auto last = w.hub_node->journal().get(e.author, e.seq - 1);
        if (!last) fail("the hub has no entry at the head of the point's chain");
        e.prev = last->id;
      }
      e.hlc = node::Hlc{w.clock.now_ms(), ++counter};
      e.wall_ms = w.clock.now_ms();
      e.user = "fuzz";
      e.type = types[b1 % 8];
      e.subject = "000.00.01.H22-250701-000" + std::to_string(b1 >> 5);
      e.body = std::move(body);
      Status sealed = no_throw("seal_entry", [&] { return node::seal_entry(e, w.point->keys().sk); });
      if (!sealed.ok()) return 0;
      auto msg = wire::encode(Json{{"type", "push"}}, {wire::from_entry(e)});
      if (!msg.ok()) fail("a sealed entry does not encode: " + msg.error().message);
      auto req = w.request("push", msg.value(), w.session);
      auto res = no_throw("Hub::handle (push)", [&] { return w.hub->handle(req); });
      check_answer(w, req, res);
      return 0;
    }
  }
}

}  // namespace motcua::fuzz
