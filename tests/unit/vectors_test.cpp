// Test vectors (tests/vectors/journal-v1.json): entries, their canonical bytes,
// ids and signatures from fixed seeds, and canonical-JSON cases. Everything is
// recomputed here from the seeds and compared with the file byte for byte, so
// a change to the format cannot slip through, and another implementation can
// check itself against the same file.
//
// To regenerate the file after a deliberate format change (a new format
// version, never an edit of v1): MOTCUA_WRITE_VECTORS=1 unit_tests "[vectors]"
#include <catch2/catch.hpp>
#include <cstdlib>

#include "motcua/durable_file.hpp"
#include "motcua/node/journal.hpp"
#include "test_util.hpp"

using namespace motcua;
using node::Entry;

namespace {
const std::string kFile = std::string(MOTCUA_SOURCE_DIR) + "/tests/vectors/journal-v1.json";

std::array<uint8_t, 32> seed_from(uint8_t first) {
  std::array<uint8_t, 32> s{};
  for (size_t i = 0; i < 32; ++i) s[i] = static_cast<uint8_t>(first + i);
  return s;
}

struct VectorKey {
  std::string name;
  std::array<uint8_t, 32> seed;
};
// Point A: seed bytes 0x00..0x1f. Point B: seed bytes 0x20..0x3f.
const VectorKey kKeys[] = {{"point-a", seed_from(0x00)}, {"point-b", seed_from(0x20)}};

constexpr int64_t kT = 1751356800000;  // 2025-07-01 08:00:00 +07:00
const std::string kS1 = "000.00.01.H22-250701-0001";
const std::string kS2 = "000.00.01.H22-250701-0002";

Entry make(const KeyPair& kp, int64_t seq, const Hash32& prev, node::Hlc hlc, int64_t wall_ms, std::string user,
           std::string type, std::string subject, std::vector<Hash32> parents, Json body) {
  Entry e;
  e.author = kp.pk;
  e.seq = seq;
  e.prev = prev;
  e.hlc = hlc;
  e.wall_ms = wall_ms;
  e.user = std::move(user);
  e.type = std::move(type);
  e.subject = std::move(subject);
  e.parents = std::move(parents);
  e.body = std::move(body);
  Status s = node::seal_entry(e, kp.sk);
  if (!s.ok()) throw std::runtime_error(s.error().message);
  return e;
}

// The chain the vectors describe: three entries by point A on two dossiers,
// one by point B made concurrently, and A's entry that joins both heads.
std::vector<std::pair<std::string, Entry>> vector_entries() {
  KeyPair a = keypair_from_seed(kKeys[0].seed), b = keypair_from_seed(kKeys[1].seed);
  std::vector<std::pair<std::string, Entry>> out;
  Entry a1 = make(a, 1, Hash32{}, {kT, 0}, kT, "clerk.an", "dossier.submitted", kS1, {},
                  {{"procedure_code", "1.001193"},
                   {"channel", "counter"},
                   {"applicant",
                    {{"full_name", "Nguyễn Thị Hồng Nhung"},
                     {"cccd", "033190001234"},
                     {"phone", "0912345678"},
                     {"address", "Thôn Đào Xá, xã Ân Thi, tỉnh Hưng Yên"}}},
                   {"form", {{"child_name", "Trần Minh Đức"}, {"note", "Giấy chứng sinh\tbản chính\nkèm CCCD"}}},
                   {"attachments", Json::array()}});
  out.emplace_back("point-a", a1);
  Entry a2 = make(a, 2, a1.id, {kT, 1}, kT, "clerk.an", "dossier.fee_paid", kS1, {a1.id},
                  {{"amount_vnd", 8000}, {"receipt_no", "BL/2025\\0001"}, {"payer", "bà \"Nhung\""},
                   {"ctl", std::string("bell\x07 unit-sep\x1f")}});
  out.emplace_back("point-a", a2);
  Entry a3 = make(a, 3, a2.id, {kT + 60000, 0}, kT + 59000, "postal.binh", "dossier.submitted", kS2, {},
                  {{"channel", "postal"},
                   {"postal", {{"dossier_by_post", true}, {"result_by_post", false}, {"delivery_address", nullptr}}},
                   {"nested", {{"levels", Json::array({1, -2, Json::array({Json::object(), "ắ"})})}}},
                   {"limits", Json::array({9007199254740991LL, -9007199254740991LL, 0})}});
  out.emplace_back("point-a", a3);
  Entry b1 = make(b, 1, Hash32{}, {kT, 1}, kT - 3600000, "officer.chi", "dossier.note", kS1, {a1.id},
                  {{"text", "Đã kiểm tra hồ sơ — đủ thành phần."}});
  out.emplace_back("point-b", b1);
  Entry a4 = make(a, 4, a3.id, {kT + 60000, 1}, kT + 59000, "clerk.an", "dossier.accepted", kS1, {a2.id, b1.id},
                  Json::object());
  out.emplace_back("point-a", a4);
  return out;
}

Json json_of(const Entry& e, const std::string& key) {
  return Json{{"key", key},
              {"signed", node::entry_signed_json(e)},
              {"canonical", e.canonical},
              {"canonical_hex", to_hex(reinterpret_cast<const uint8_t*>(e.canonical.data()), e.canonical.size())},
              {"id", to_hex(e.id)},
              {"sig", to_hex(e.sig)}};
}

// Canonical-JSON cases: input text -> exact canonical bytes.
const std::vector<std::pair<std::string, std::string>> kAccept = {
    {R"({ "b": 2, "a": 1, "c": { "z": [3, 2, 1], "y": null } })", R"({"a":1,"b":2,"c":{"y":null,"z":[3,2,1]}})"},
    {R"({"Z":1,"a":2,"é":3,"đ":4,"｡":5,"😀":6})", "{\"Z\":1,\"a\":2,\"é\":3,\"đ\":4,\"｡\":5,\"😀\":6}"},
    {R"({"😀":1,"｡":2})", "{\"｡\":2,\"😀\":1}"},
    {R"("quote \" backslash \\ solidus \/ tab \t newline \n cr \r bs \b ff \f")",
     R"("quote \" backslash \\ solidus / tab \t newline \n cr \r bs \b ff \f")"},
    {R"("\u0000\u0001\u001F\u007f\u00e9\u0111\u2028\ud83d\ude00")",
     "\"\\u0000\\u0001\\u001f\x7f\xC3\xA9\xC4\x91\xE2\x80\xA8\xF0\x9F\x98\x80\""},
    {R"([9007199254740991, -9007199254740991, 0, -1, true, false, null])",
     "[9007199254740991,-9007199254740991,0,-1,true,false,null]"},
    {R"("Hồ sơ đăng ký khai sinh")", "\"Hồ sơ đăng ký khai sinh\""},
    {R"({"a":[],"b":{},"c":""})", R"({"a":[],"b":{},"c":""})"},
};
struct Refuse {
  std::string input, field, why;
};
const std::vector<Refuse> kRefuse = {
    {"1.5", "", "floating-point number"},
    {"1.0", "", "floating-point number, even with a zero fraction"},
    {R"({"fee":{"amount":1e3}})", "fee.amount", "exponent notation is a floating-point number"},
    {"[0.0]", "[0]", "floating-point number"},
    {"9007199254740992", "", "integer above 2^53-1"},
    {"-9007199254740992", "", "integer below -(2^53-1)"},
    {"100000000000000000000", "", "integer beyond 64 bits"},
    {R"({"full_name":"Nguye\u0302\u0303n"})", "full_name", "string not in NFC (decomposed ễ)"},
    {R"({"Nguye\u0302\u0303n":1})", "Nguye\xCC\x82\xCC\x83n", "key not in NFC (the field is the key as given)"},
    {R"(["e\u0301"])", "[0]", "string not in NFC (e + combining acute)"},
};

Json build_vectors() {
  Json keys = Json::array();
  for (const auto& k : kKeys) {
    KeyPair kp = keypair_from_seed(k.seed);
    keys.push_back({{"name", k.name}, {"seed_hex", to_hex(k.seed)}, {"public_key_hex", to_hex(kp.pk)}});
  }
  Json entries = Json::array();
  for (const auto& [key, e] : vector_entries()) entries.push_back(json_of(e, key));
  Json accept = Json::array(), refuse = Json::array();
  for (const auto& [in, out] : kAccept)
    accept.push_back({{"input", in},
                      {"canonical", out},
                      {"canonical_hex", to_hex(reinterpret_cast<const uint8_t*>(out.data()), out.size())}});
  for (const auto& r : kRefuse) refuse.push_back({{"input", r.input}, {"field", r.field}, {"why", r.why}});
  return Json{
      {"about",
       "motcua journal format v1 test vectors; see docs/journal-format.md. Each entry: canonical = the exact "
       "signed bytes (UTF-8), id = BLAKE2b-256(canonical), sig = Ed25519 over signing_prefix + canonical. "
       "Keys are Ed25519 seeds (RFC 8032)."},
      {"format_version", node::kEntryFormatVersion},
      {"signing_prefix", std::string(sign_domain_prefix(SignDomain::JournalEntry))},
      {"keys", keys},
      {"entries", entries},
      {"canonical_json", {{"accept", accept}, {"refuse", refuse}}},
  };
}

std::string file_text(const Json& j) { return j.dump(2, ' ', false) + "\n"; }

Json read_vectors() {
  auto text = read_small_file(kFile, 1 << 20);
  if (!text.ok()) throw std::runtime_error(text.error().message);
  return Json::parse(text.value());
}
}  // namespace

TEST_CASE("the vector file is exactly what the seeds produce", "[vectors]") {
  crypto_init();
  const std::string want = file_text(build_vectors());
  if (const char* w = std::getenv("MOTCUA_WRITE_VECTORS"); w && std::string(w) == "1")
    REQUIRE(write_file_durably(kFile, want, 0644).ok());
  auto have = read_small_file(kFile, 1 << 20);
  REQUIRE(have.ok());
  CHECK(have.value() == want);
}

TEST_CASE("vector keys derive from their seeds", "[vectors]") {
  crypto_init();
  Json v = read_vectors();
  REQUIRE(v["keys"].size() == 2);
  CHECK(v["keys"][0]["seed_hex"] == "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  for (const auto& k : v["keys"]) {
    std::array<uint8_t, 32> seed{};
    REQUIRE(from_hex(k["seed_hex"].get<std::string>(), seed));
    CHECK(to_hex(keypair_from_seed(seed).pk) == k["public_key_hex"]);
  }
  CHECK(v["signing_prefix"] == "motcua/v1/journal-entry\n");
}

TEST_CASE("vector entries: canonical bytes, id and signature recomputed from the seed", "[vectors]") {
  crypto_init();
  Json v = read_vectors();
  std::map<std::string, KeyPair> keys;
  for (const auto& k : v["keys"]) {
    std::array<uint8_t, 32> seed{};
    REQUIRE(from_hex(k["seed_hex"].get<std::string>(), seed));
    keys[k["name"]] = keypair_from_seed(seed);
  }
  REQUIRE(v["entries"].size() >= 3);
  std::map<std::string, std::string> last_id;  // key name -> id of its previous entry
  for (const auto& ve : v["entries"]) {
    const KeyPair& kp = keys.at(ve["key"]);
    const std::string canonical = ve["canonical"];
    INFO(canonical);
    // The signed object encodes to exactly these bytes.
    const Json& signed_obj = ve["signed"];
    REQUIRE(check_canonical(signed_obj).ok());
    CHECK(canonical_bytes(signed_obj) == canonical);
    CHECK(to_hex(reinterpret_cast<const uint8_t*>(canonical.data()), canonical.size()) == ve["canonical_hex"]);
    CHECK(to_hex(blake2b256(canonical)) == ve["id"]);
    CHECK(to_hex(sign(kp.sk, SignDomain::JournalEntry, canonical)) == ve["sig"]);
    // The signature is over prefix || canonical, nothing else.
    Signature sig{};
    REQUIRE(from_hex(ve["sig"].get<std::string>(), sig));
    CHECK(verify(kp.pk, SignDomain::JournalEntry, canonical, sig));
    CHECK_FALSE(verify(kp.pk, SignDomain::SyncRequest, canonical, sig));
    auto parsed = node::parse_entry(canonical, sig);
    REQUIRE(parsed.ok());
    CHECK(parsed->author == kp.pk);
    // Chain: prev is the id of the same author's previous entry, zeros for seq 1.
    std::string prev = signed_obj["prev"];
    auto it = last_id.find(ve["key"]);
    CHECK(prev == (it == last_id.end() ? std::string(64, '0') : it->second));
    last_id[ve["key"]] = ve["id"];
  }
  // What the vectors promise to cover.
  const std::string all = v["entries"].dump();
  CHECK(all.find("Nguyễn Thị Hồng Nhung") != std::string::npos);
  CHECK(v["entries"][1]["canonical"].get<std::string>().find("\\u0007") != std::string::npos);
  CHECK(v["entries"][4]["signed"]["parents"].size() == 2);
}

TEST_CASE("vector entries are accepted by a journal as a valid history", "[vectors]") {
  test::TempDir dir("vectors");
  ManualClock clock(kT);
  SeededRandom rng(9);
  auto n = test::make_node(dir.path(), clock, rng, node::Role::Point, "p", node::summary_projector);
  Json v = read_vectors();
  std::vector<Entry> entries;
  for (const auto& ve : v["entries"]) {
    auto e = node::entry_from_json(Json{{"e", ve["signed"]}, {"sig", ve["sig"]}});
    REQUIRE(e.ok());
    CHECK(to_hex(e->id) == ve["id"]);
    entries.push_back(e.value());
  }
  auto r = n->journal().ingest(entries);
  REQUIRE(r.ok());
  CHECK(r.value() == static_cast<int64_t>(entries.size()));
  CHECK(n->journal().verify().ok());
  // B's entry has the same HLC as A's seq 2: the author key breaks the tie.
  auto s1 = n->journal().subject_entries(kS1);
  REQUIRE(s1.size() == 4);
  CHECK(std::is_sorted(s1.begin(), s1.end(), node::entry_order_less));
  const Entry& a2 = entries[1];
  const Entry& b1 = entries[3];
  REQUIRE(a2.hlc == b1.hlc);
  auto pos = [&](const Hash32& id) {
    return std::find_if(s1.begin(), s1.end(), [&](const Entry& e) { return e.id == id; }) - s1.begin();
  };
  CHECK((pos(a2.id) < pos(b1.id)) == (a2.author < b1.author));
}

TEST_CASE("canonical JSON vectors: accepted inputs give exactly the listed bytes", "[vectors][canonical]") {
  Json v = read_vectors();
  REQUIRE(v["canonical_json"]["accept"].size() >= 5);
  for (const auto& c : v["canonical_json"]["accept"]) {
    const std::string input = c["input"];
    INFO(input);
    Json j = Json::parse(input);
    REQUIRE(check_canonical(j).ok());
    const std::string want = c["canonical"];
    CHECK(canonical_bytes(j) == want);
    CHECK(to_hex(reinterpret_cast<const uint8_t*>(want.data()), want.size()) == c["canonical_hex"]);
    // Canonical bytes are a fixed point.
    CHECK(parse_canonical(c["canonical"]).ok());
  }
}

TEST_CASE("canonical JSON vectors: refused inputs are refused at the listed field", "[vectors][canonical]") {
  Json v = read_vectors();
  REQUIRE(v["canonical_json"]["refuse"].size() >= 5);
  for (const auto& c : v["canonical_json"]["refuse"]) {
    const std::string input = c["input"];
    INFO(input << " (" << c["why"].get<std::string>() << ")");
    Status s = check_canonical(Json::parse(input));
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code == "not_canonical");
    CHECK(s.error().field == c["field"].get<std::string>());
  }
}
