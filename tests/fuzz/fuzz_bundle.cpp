// fuzz_bundle: USB bundle files (sync/src/bundle.cpp) as the hub and a point
// import them. The first byte picks a mode:
//   0  rest is a point's bundle file, imported at the hub
//   1  rest is a hub's bundle file, imported at the point
//   2  rest is a list of messages (kind byte, 2-byte length, plain message);
//      the harness compresses and signs each as the point would, writes a
//      point-to-hub bundle and imports it at the hub
//   3  the same as the hub would (status byte instead of kind), for the point:
//      welcome (leases, catalogue, holidays) and entries messages
// Modes 2 and 3 reach past the signatures, which the fuzzer cannot forge.
// Property: no exception. The file lives in the world's scratch directory.
#include <fstream>

#include "world.hpp"
#include "motcua/sync/bundle.hpp"

namespace motcua::fuzz {

namespace {

struct Message {
  std::string path;
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
};

// docs/sync-protocol.md section 11, as sync/src/bundle.cpp writes it.
std::string bundle_bytes(const Json& header, const std::vector<Message>& msgs) {
  std::string out = "MOTCUA-BUNDLE 2\n";
  Json h = header;
  h["messages"] = msgs.size();
  out += h.dump() + "\n";
  for (const auto& m : msgs) {
    out += Json{{"path", m.path}, {"status", m.status}, {"headers", m.headers}, {"length", m.body.size()}}.dump() + "\n";
    out += m.body;
  }
  return out;
}

// kind/status byte, little-endian 16-bit length, that many plain bytes.
std::vector<std::pair<uint8_t, std::string>> split_messages(Input& in) {
  std::vector<std::pair<uint8_t, std::string>> out;
  while (in.left() > 0 && out.size() < 16) {
    uint8_t k = in.byte();
    size_t len = in.byte();
    len |= static_cast<size_t>(in.byte()) << 8;
    std::string body;
    for (size_t i = 0; i < len && in.left() > 0; ++i) body.push_back(static_cast<char>(in.byte()));
    out.emplace_back(k, std::move(body));
  }
  return out;
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!f) fail("cannot write " + path);
}

void check(const Result<Json>& r, const char* what) {
  if (!r.ok() && r.error().code.empty()) fail(std::string(what) + ": refusal without a code");
  if (!r.ok() && (r.error().code == "internal" || r.error().code == "internal_error")) fail(std::string(what) + ": " + r.error().message);
}

}  // namespace

int bundle(const uint8_t* data, size_t size) {
  Input in(data, size);
  const uint8_t mode = in.byte() % 4;
  HubWorld& w = HubWorld::get();
  const std::string file = w.dir + "/fuzz.bundle";
  const std::string hub_hex = to_hex(w.hub_node->keys().pk), point_hex = to_hex(w.point->keys().pk);
  if (mode == 0 || mode == 1) {
    write_file(file, in.rest());
  } else if (mode == 2) {
    static const char* kinds[] = {"hello", "push", "pull", "enrol"};
    std::vector<Message> msgs;
    for (auto& [k, plain] : split_messages(in)) {
      auto req = w.request(kinds[k % 4], wire::gzip(plain), "-");
      msgs.push_back(Message{req.path, 0, req.headers, std::move(req.body)});
    }
    write_file(file, bundle_bytes(Json{{"kind", "point-to-hub"}, {"id", sync::auth::random_hex(w.rng, 16)},
                                       {"from", point_hex}, {"to", hub_hex}, {"created_ms", w.clock.now_ms()}},
                                  msgs));
  } else {
    static const int statuses[] = {200, 200, 200, 400};
    const std::string id = sync::auth::random_hex(w.rng, 16);
    std::vector<Message> msgs;
    for (auto& [k, plain] : split_messages(in)) {
      sync::WireResponse res{statuses[k % 4], {}, wire::gzip(plain)};
      sync::auth::sign_response(res, sync::auth::bundle_binding(id), w.hub_node->keys(), w.clock.now_ms());
      msgs.push_back(Message{"/sync/v2/bundle", res.status, res.headers, std::move(res.body)});
    }
    write_file(file, bundle_bytes(Json{{"kind", "hub-to-point"}, {"id", id}, {"from", hub_hex}, {"to", point_hex},
                                       {"created_ms", w.clock.now_ms()}},
                                  msgs));
  }
  if (mode == 0 || mode == 2) {
    check(no_throw("import_point_bundle", [&] { return sync::import_point_bundle(*w.hub, *w.hub_node, file); }),
          "import_point_bundle");
  } else {
    check(no_throw("import_hub_bundle", [&] { return sync::import_hub_bundle(*w.point, file); }), "import_hub_bundle");
  }
  return 0;
}

}  // namespace motcua::fuzz
