// fuzz_sync_client: the point's side of a sync session (sync/src/sync_client.cpp,
// and what it calls: apply_leases, apply_reference with the registry,
// apply_revocations, the receipt check, ingest_pulled, the own-chain restore,
// the fork answer, the attachment steps). sync_once runs on the enrolled point
// of a ClientWorld (world.hpp) against a scripted hub whose answers are the
// input: a list of messages, each a status byte (200 unless byte % 8 >= 5:
// 400, 403, 409), a little-endian 16-bit length and that many bytes of a
// plain message (header line, records or data). Each answer is compressed and
// signed by the hub's key for the request it answers, so the fuzzer gets past
// the response signature; in a "receipt" message every receipt whose "sig" is
// the text "hub" is signed by the hub's receipt key over its "r" (a receipt
// the fuzzer changed is still one the hub signed). When the script runs out
// the link is down.
// Properties: no exception escapes; a failed session has an error code, and
// it is never internal_error: whatever the hub answers is a named refusal.
#include <cstdio>

#include "world.hpp"

namespace motcua::fuzz {

namespace {

// Signs, as the hub, each receipt of a "receipt" message whose sig is "hub".
std::string sign_receipts(const std::string& plain, const SecretKey& hub) {
  const size_t nl = plain.find('\n');
  if (nl == std::string::npos) return plain;
  Json h = parse_lenient(std::string_view(plain).substr(0, nl));
  if (!h.is_object() || h.value("type", Json()) != Json("receipt") || !h.contains("receipts") ||
      !h["receipts"].is_array())
    return plain;
  bool changed = false;
  for (auto& item : h["receipts"]) {
    if (!item.is_object() || item.value("sig", Json()) != Json("hub") || !item.contains("r")) continue;
    const Json& r = item["r"];
    if (!r.is_object() || !check_canonical(r).ok()) continue;
    item["sig"] = to_hex(sign(hub, SignDomain::Receipt, canonical_bytes(r)));
    changed = true;
  }
  return changed ? h.dump() + plain.substr(nl) : plain;
}

class ScriptedHub final : public sync::Transport {
 public:
  ScriptedHub(HubWorld& w, std::vector<std::pair<uint8_t, std::string>> script)
      : w_(w), script_(std::move(script)) {}
  Result<sync::WireResponse> exchange(const sync::WireRequest& req) override {
    if (next_ >= script_.size()) return make_error("link_down", "the scripted hub has nothing more to say");
    static const int statuses[] = {200, 200, 200, 200, 200, 400, 403, 409};
    const auto& [k, plain] = script_[next_++];
    sync::WireResponse res{statuses[k % 8], {}, wire::gzip(sign_receipts(plain, w_.hub_node->keys().sk))};
    sync::auth::sign_response(res, sync::auth::binding_of(req), w_.hub_node->keys(), w_.clock.now_ms());
    if (verbose())
      std::fprintf(stderr, "%s -> %d %s\n", req.path.c_str(), res.status, plain.substr(0, plain.find('\n')).substr(0, 160).c_str());
    return res;
  }

 private:
  HubWorld& w_;
  std::vector<std::pair<uint8_t, std::string>> script_;
  size_t next_ = 0;
};

}  // namespace

int sync_client(const uint8_t* data, size_t size) {
  static ClientWorld cw;
  Input in(data, size);
  std::vector<std::pair<uint8_t, std::string>> script;
  while (in.left() > 0 && script.size() < 32) {
    const uint8_t k = in.byte();
    size_t len = in.byte();
    len |= static_cast<size_t>(in.byte()) << 8;
    std::string plain;
    for (size_t i = 0; i < len && in.left() > 0; ++i) plain.push_back(static_cast<char>(in.byte()));
    script.emplace_back(k, std::move(plain));
  }
  ScriptedHub hub(cw.w, std::move(script));
  auto r = no_throw("sync_once", [&] { return sync::sync_once(*cw.w.point, hub); });
  if (verbose()) std::fprintf(stderr, "sync_once: %s\n", r.ok() ? r->dump().substr(0, 300).c_str() : (r.error().code + ": " + r.error().message).c_str());
  if (!r.ok() && r.error().code.empty()) fail("a failed session without an error code: " + r.error().message);
  if (!r.ok() && r.error().code == "internal_error") fail("sync_once: " + r.error().message);
  return 0;
}

}  // namespace motcua::fuzz
