// The bounded JSON reader (docs/design/0006-bounded-input.md): every JSON text
// from outside is refused quickly when too long or too deep, never crashes.
#include <catch2/catch.hpp>

#include <string>

#include "motcua/canonical.hpp"
#include "motcua/crypto.hpp"
#include "motcua/json_read.hpp"
#include "motcua/node/entry.hpp"
#include "motcua/env.hpp"

using namespace motcua;

namespace {
std::string nested_arrays(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }
std::string nested_objects(size_t depth) {
  std::string s;
  for (size_t i = 0; i < depth; ++i) s += "{\"k\":";
  s += "1";
  s += std::string(depth, '}');
  return s;
}
}  // namespace

TEST_CASE("read_json accepts JSON up to the depth limit and refuses one level more", "[json_read]") {
  auto at = read_json(nested_arrays(kMaxJsonDepth), JsonLimits{});
  REQUIRE(at.ok());
  auto over = read_json(nested_arrays(kMaxJsonDepth + 1), JsonLimits{}, "body");
  REQUIRE_FALSE(over.ok());
  CHECK(over.error().code == "too_deep");
  CHECK(over.error().field == "body");
  CHECK(read_json(nested_objects(kMaxJsonDepth), JsonLimits{}).ok());
  CHECK(read_json(nested_objects(kMaxJsonDepth + 1), JsonLimits{}).error().code == "too_deep");
  // A scalar nests zero levels; {"a":[1]} two.
  CHECK(read_json("42", JsonLimits{1024, 0}).ok());
  CHECK(read_json(R"({"a":[1]})", JsonLimits{1024, 2}).ok());
  CHECK_FALSE(read_json(R"({"a":[1]})", JsonLimits{1024, 1}).ok());
}

TEST_CASE("read_json names the top-level member a too deep value is under", "[json_read]") {
  std::string text = R"({"procedure_code":"1.001193","form":)" + nested_arrays(20000) + "}";
  auto r = read_json(text, JsonLimits{text.size(), kMaxJsonDepth}, "body");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "too_deep");
  CHECK(r.error().field == "form");
}

TEST_CASE("read_json stops at the fault of huge inputs without crashing", "[json_read]") {
  // One million levels: the parse ends after 33 opening brackets.
  std::string deep(1000000, '[');
  auto r = read_json(deep, JsonLimits{deep.size(), kMaxJsonDepth});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "too_deep");
  // Unclosed but shallow: invalid, with the byte offset.
  auto bad = read_json(R"({"a": [1, 2)", JsonLimits{}, "body");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == "invalid_json");
  CHECK(bad.error().field == "body");
  CHECK(bad.error().message.find("byte") != std::string::npos);
  CHECK(read_json("", JsonLimits{}).error().code == "invalid_json");
  CHECK(read_json("{} x", JsonLimits{}).error().code == "invalid_json");
}

TEST_CASE("read_json refuses text over its size limit before parsing it", "[json_read]") {
  std::string text = "\"" + std::string(2000, 'a') + "\"";
  auto r = read_json(text, JsonLimits{1000, kMaxJsonDepth}, "file");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "too_large");
  CHECK(r.error().field == "file");
  CHECK(read_json(text, JsonLimits{text.size(), kMaxJsonDepth}).ok());
}

TEST_CASE("json_too_deep measures any built value without recursion", "[json_read]") {
  Json j = Json::array();
  Json* p = &j;
  for (int i = 0; i < 100; ++i) {
    p->push_back(Json::array());
    p = &(*p)[0];
  }
  CHECK(json_too_deep(j, 100));
  CHECK_FALSE(json_too_deep(j, 101));
  CHECK_FALSE(json_too_deep(Json(5), 0));
  CHECK(json_too_deep(Json::object(), 0));
}

TEST_CASE("signed data nests at most kMaxSignedDepth levels: deeper is never signed or parsed", "[json_read]") {
  SeededRandom rng(7);
  KeyPair kp = generate_keypair(rng);
  node::Entry e;
  e.author = kp.pk;
  e.seq = 1;
  e.user = "lan";
  e.type = "dossier.submitted";
  e.subject = "X";
  e.body = Json::object();
  Json deep = Json::array();
  Json* p = &deep;
  for (int i = 0; i < kMaxSignedDepth; ++i) {
    p->push_back(Json::array());
    p = &(*p)[0];
  }
  e.body["form"] = deep;
  Status s = node::seal_entry(e, kp.sk);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == "too_deep");

  // Canonical bytes built by hand and signed: refused when parsed.
  std::string canonical = R"({"body":)" + nested_arrays(30000) + "}";
  Signature sig = sign(kp.sk, SignDomain::JournalEntry, canonical);
  auto parsed = node::parse_entry(canonical, sig);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().code == "not_canonical");
  CHECK_FALSE(parse_canonical(canonical).ok());
}
