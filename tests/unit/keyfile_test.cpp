// The node key file: mode 0600, passphrase sealing, clear errors, never overwritten.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "motcua/durable_file.hpp"
#include "motcua/keyfile.hpp"
#include "test_util.hpp"

using namespace motcua;

namespace {
KeyPair test_key(uint8_t first = 0) {
  std::array<uint8_t, 32> seed{};
  for (size_t i = 0; i < 32; ++i) seed[i] = static_cast<uint8_t>(first + i);
  return keypair_from_seed(seed);
}
std::string slurp(const std::string& p) {
  auto r = read_small_file(p);
  if (!r.ok()) throw std::runtime_error(r.error().message);
  return r.value();
}
// Rewrites a key file in place (keeping mode 0600), bypassing the no-overwrite rule.
void overwrite(const std::string& p, const std::string& text) {
  auto s = write_file_durably(p, text, 0600);
  if (!s.ok()) throw std::runtime_error(s.error().message);
}
unsigned mode_of(const std::string& p) {
  struct stat st;
  if (::stat(p.c_str(), &st) != 0) return 0;
  return st.st_mode & 0777;
}
}  // namespace

TEST_CASE("a saved key file has mode 0600 and loads back the same key pair", "[keyfile]") {
  crypto_init();
  test::TempDir dir("key");
  std::string p = dir.sub("node.key");
  SeededRandom rng(1);
  ::umask(022);
  REQUIRE(save_key_file(p, test_key(), std::nullopt, rng).ok());
  CHECK(mode_of(p) == 0600);
  auto kp = load_key_file(p, std::nullopt);
  REQUIRE(kp.ok());
  CHECK(kp->pk == test_key().pk);
  CHECK(kp->sk == test_key().sk);
  Json j = Json::parse(slurp(p));
  CHECK(j["format"] == "motcua-node-key");
  CHECK(j["version"] == 1);
  CHECK(j["protection"] == "none");
  CHECK(j["public_key"] == to_hex(test_key().pk));
}

TEST_CASE("a key file readable by group or others is refused with the fix to apply", "[keyfile]") {
  crypto_init();
  test::TempDir dir("key");
  std::string p = dir.sub("node.key");
  SeededRandom rng(1);
  REQUIRE(save_key_file(p, test_key(), std::nullopt, rng).ok());
  for (unsigned mode : {0644u, 0640u, 0604u, 0660u, 0601u}) {
    INFO("mode " << std::oct << mode);
    REQUIRE(::chmod(p.c_str(), mode) == 0);
    auto kp = load_key_file(p, std::nullopt);
    REQUIRE_FALSE(kp.ok());
    CHECK(kp.error().code == "insecure_key_file");
    CHECK(kp.error().message.find("chmod 600") != std::string::npos);
  }
  REQUIRE(::chmod(p.c_str(), 0400) == 0);  // narrower than 0600 is fine
  CHECK(load_key_file(p, std::nullopt).ok());
}

TEST_CASE("opening a node refuses a key file with a wide mode", "[keyfile]") {
  test::TempDir dir("key");
  ManualClock clock(1'750'000'000'000);
  SeededRandom rng(3);
  { auto n = test::make_node(dir.path(), clock, rng); }
  REQUIRE(::chmod(node::key_path(dir.path()).c_str(), 0644) == 0);
  node::OpenOptions o;
  o.data_dir = dir.path();
  o.clock = &clock;
  auto n = node::Node::open(o);
  REQUIRE_FALSE(n.ok());
  CHECK(n.error().code == "insecure_key_file");
}

TEST_CASE("a passphrase-protected key needs the right passphrase", "[keyfile]") {
  crypto_init();
  test::TempDir dir("key");
  std::string p = dir.sub("node.key");
  SeededRandom rng(2);
  REQUIRE(save_key_file(p, test_key(), std::string("Ân Thi 2025"), rng, true).ok());
  CHECK(mode_of(p) == 0600);
  std::string text = slurp(p);
  CHECK(text.find(to_hex(test_key().sk)) == std::string::npos);  // the secret is not in clear
  CHECK(Json::parse(text)["protection"] == "argon2id-xsalsa20poly1305");

  auto good = load_key_file(p, std::string("Ân Thi 2025"));
  REQUIRE(good.ok());
  CHECK(good->sk == test_key().sk);

  auto wrong = load_key_file(p, std::string("An Thi 2025"));
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().code == "wrong_passphrase");

  auto none = load_key_file(p, std::nullopt);
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().code == "passphrase_required");
  CHECK(slurp(p) == text);  // failed attempts change nothing
}

TEST_CASE("a corrupted key file is refused as corrupt and left as it is", "[keyfile]") {
  crypto_init();
  test::TempDir dir("key");
  std::string p = dir.sub("node.key");
  SeededRandom rng(4);
  REQUIRE(save_key_file(p, test_key(), std::nullopt, rng).ok());
  const std::string original = slurp(p);
  Json j = Json::parse(original);
  auto with = [&](const std::string& key, const Json& value) {
    Json c = j;
    if (value.is_discarded()) c.erase(key);
    else c[key] = value;
    return c.dump(2);
  };
  std::string sk_hex = j["secret_key"];
  std::string seed_changed = sk_hex;
  seed_changed[0] = seed_changed[0] == '0' ? '1' : '0';  // damage the seed half only
  const Json erase = Json(Json::value_t::discarded);

  const std::vector<std::pair<std::string, std::string>> cases = {
      {"empty file", ""},
      {"not JSON", "this is not a key"},
      {"truncated", original.substr(0, original.size() / 2)},
      {"a JSON array", "[1,2,3]"},
      {"wrong format name", with("format", "ssh-key")},
      {"unsupported version", with("version", 2)},
      {"version of the wrong type", with("version", "1")},
      {"format of the wrong type", with("format", 7)},
      {"missing public key", with("public_key", erase)},
      {"short public key", with("public_key", "abcd")},
      {"secret key not hex", with("secret_key", std::string(128, 'x'))},
      {"secret key of the wrong type", with("secret_key", 12)},
      {"unknown protection", with("protection", "rot13")},
      {"protection of the wrong type", with("protection", Json::array())},
      {"public key of another pair", with("public_key", to_hex(test_key(50).pk))},
      {"seed half of the secret damaged", with("secret_key", seed_changed)},
  };
  for (const auto& [what, text] : cases) {
    INFO(what);
    overwrite(p, text);
    auto kp = load_key_file(p, std::nullopt);
    REQUIRE_FALSE(kp.ok());
    CHECK(kp.error().code == "corrupt_key_file");
    CHECK(kp.error().message.find(p) != std::string::npos);
    CHECK(slurp(p) == text);
  }
}

TEST_CASE("a damaged sealed key file is refused without crashing", "[keyfile]") {
  crypto_init();
  test::TempDir dir("key");
  std::string p = dir.sub("node.key");
  SeededRandom rng(5);
  REQUIRE(save_key_file(p, test_key(), std::string("pw"), rng, true).ok());
  Json j = Json::parse(slurp(p));
  const std::vector<std::pair<std::string, Json>> cases = {
      {"salt", "00"},       {"nonce", 5},           {"opslimit", "x"},
      {"memlimit", -1},     {"sealed_secret_key", "abc"}, {"sealed_secret_key", ""},
  };
  for (const auto& [field, value] : cases) {
    INFO(field << " = " << value.dump());
    Json c = j;
    c[field] = value;
    overwrite(p, c.dump(2));
    auto kp = load_key_file(p, std::string("pw"));
    REQUIRE_FALSE(kp.ok());
    CHECK(kp.error().code == "corrupt_key_file");
  }
  // A flipped ciphertext byte fails authentication: reported as a wrong
  // passphrase or alteration, never as a usable key.
  Json c = j;
  std::string ct = c["sealed_secret_key"];
  ct[0] = ct[0] == '0' ? '1' : '0';
  c["sealed_secret_key"] = ct;
  overwrite(p, c.dump(2));
  auto kp = load_key_file(p, std::string("pw"));
  REQUIRE_FALSE(kp.ok());
  CHECK(kp.error().code == "wrong_passphrase");
}

TEST_CASE("an existing key file is never overwritten", "[keyfile]") {
  crypto_init();
  test::TempDir dir("key");
  std::string p = dir.sub("node.key");
  SeededRandom rng(6);
  REQUIRE(save_key_file(p, test_key(), std::nullopt, rng).ok());
  const std::string before = slurp(p);
  auto s = save_key_file(p, test_key(9), std::nullopt, rng);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == "key_file_exists");
  CHECK(slurp(p) == before);
  auto s2 = save_key_file(p, test_key(9), std::string("pw"), rng, true);
  REQUIRE_FALSE(s2.ok());
  CHECK(s2.error().code == "key_file_exists");
  CHECK(slurp(p) == before);
}

TEST_CASE("init on an existing node changes nothing", "[keyfile]") {
  test::TempDir dir("key");
  ManualClock clock(1'750'000'000'000);
  SeededRandom rng(7);
  { auto n = test::make_node(dir.path(), clock, rng); }
  const std::string key_before = slurp(node::key_path(dir.path()));
  node::InitOptions io;
  io.data_dir = dir.path();
  io.name = "again";
  io.fast_kdf_for_tests = true;
  auto s = node::Node::init(io, rng);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == "already_initialised");
  CHECK(slurp(node::key_path(dir.path())) == key_before);
}
