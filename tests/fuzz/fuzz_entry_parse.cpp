// fuzz_entry_parse: the canonical JSON reader (crypto/src/canonical.cpp) and
// the entry parser (node/src/entry.cpp). Input: one mode byte, then the text.
// Properties: no exception; parse_canonical only accepts text that re-encodes
// to itself; an entry the parser accepts can be sealed again, and a sealed
// entry always parses back to the same fields, in both wire forms.
#include "harness.hpp"
#include "motcua/crypto.hpp"
#include "motcua/node/entry.hpp"

namespace motcua::fuzz {

namespace {

const KeyPair& harness_key() {
  static const KeyPair k = [] {
    std::array<uint8_t, 32> seed{};
    for (size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(i + 1);
    return keypair_from_seed(seed);
  }();
  return k;
}

void same_entry(const node::Entry& a, const node::Entry& b, const char* how) {
  if (a.canonical != b.canonical || a.id != b.id || a.sig != b.sig || a.seq != b.seq || a.author != b.author ||
      a.prev != b.prev || a.hlc != b.hlc || a.wall_ms != b.wall_ms || a.user != b.user || a.type != b.type ||
      a.subject != b.subject || a.parents != b.parents || a.body != b.body)
    fail(std::string("a sealed entry reads back differently (") + how + "): " + a.canonical.substr(0, 300));
}

}  // namespace

int entry_parse(const uint8_t* data, size_t size) {
  Input in(data, size);
  const uint8_t mode = in.byte();
  const std::string text = in.rest();

  auto canon = no_throw("parse_canonical", [&] { return parse_canonical(text); });
  if (canon.ok()) {
    if (!check_canonical(canon.value()).ok()) fail("parse_canonical accepted a value check_canonical refuses");
    if (canonical_bytes(canon.value()) != text) fail("parse_canonical accepted non-canonical text");
  }

  Signature sig{};
  if (mode & 1) {
    auto e = no_throw("parse_entry", [&] { return node::parse_entry(text, sig); });
    if (e.ok()) fail("parse_entry accepted an all-zero signature");
  }
  auto j = parse_lenient(text);
  if (!j.is_discarded()) {
    // The export form {"e": {...}, "sig": hex}, with the text as "e".
    Json wrapped{{"e", j}, {"sig", std::string(128, '0')}};
    (void)no_throw("entry_from_json", [&] { return node::entry_from_json(mode & 2 ? j : wrapped); });
  }

  auto e = no_throw("parse_entry_unverified", [&] { return node::parse_entry_unverified(text, sig); });
  if (!e.ok()) return 0;
  // Accepted: seal it again under the harness key and read it back.
  node::Entry mine = std::move(e.value());
  mine.author = harness_key().pk;
  Status sealed = no_throw("seal_entry", [&] { return node::seal_entry(mine, harness_key().sk); });
  if (!sealed.ok()) return 0;  // e.g. a float or an unnormalised string: not signable, refused
  auto back = no_throw("parse_entry (sealed)", [&] { return node::parse_entry(mine.canonical, mine.sig); });
  if (!back.ok()) fail("a sealed entry does not parse: " + back.error().code + ": " + back.error().message);
  same_entry(mine, back.value(), "canonical bytes");
  auto via_json = no_throw("entry_from_json (sealed)", [&] { return node::entry_from_json(node::entry_to_json(mine)); });
  if (!via_json.ok()) fail("a sealed entry does not read back from its JSON form: " + via_json.error().message);
  same_entry(mine, via_json.value(), "JSON form");
  return 0;
}

}  // namespace motcua::fuzz
