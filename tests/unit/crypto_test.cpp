// Hex, BLAKE2b, Ed25519 with domain separation, Argon2id, passphrase sealing,
// Unicode text rules and durable file writes (crypto/).
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "motcua/crypto.hpp"
#include "motcua/durable_file.hpp"
#include "motcua/text.hpp"
#include "test_util.hpp"

using namespace motcua;

namespace {
std::array<uint8_t, 32> seed_of(uint8_t first) {
  std::array<uint8_t, 32> s{};
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<uint8_t>(first + i);
  return s;
}
}  // namespace

TEST_CASE("hex encoding round-trips every byte value and refuses malformed text", "[crypto]") {
  Bytes all(256);
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint8_t>(i);
  std::string hex = to_hex(all);
  REQUIRE(hex.size() == 512);
  CHECK(hex.substr(0, 8) == "00010203");
  CHECK(hex.substr(504) == "fcfdfeff");
  Bytes back(256);
  REQUIRE(from_hex(hex, back.data(), back.size()));
  CHECK(back == all);

  std::array<uint8_t, 2> two{};
  CHECK(from_hex("ABcd", two));
  CHECK(two == std::array<uint8_t, 2>{0xab, 0xcd});
  CHECK_FALSE(from_hex("abc", two));    // odd length
  CHECK_FALSE(from_hex("abcdef", two)); // too long
  CHECK_FALSE(from_hex("zz00", two));   // not hex
  CHECK_FALSE(from_hex("0x12", two));
}

TEST_CASE("BLAKE2b-256 matches the known answers", "[crypto]") {
  crypto_init();
  CHECK(to_hex(blake2b256("")) == "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
  CHECK(to_hex(blake2b256("abc")) == "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");

  // The streaming form gives the same digest however the input is split.
  std::string data = "Đăng ký khai sinh — một cửa";
  for (size_t cut = 0; cut <= data.size(); ++cut) {
    Blake2bStream s;
    s.update(reinterpret_cast<const uint8_t*>(data.data()), cut);
    s.update(reinterpret_cast<const uint8_t*>(data.data()) + cut, data.size() - cut);
    REQUIRE(s.final() == blake2b256(data));
  }
}

TEST_CASE("a seed gives the same Ed25519 key pair every time", "[crypto]") {
  crypto_init();
  KeyPair a = keypair_from_seed(seed_of(0));
  KeyPair b = keypair_from_seed(seed_of(0));
  CHECK(a.pk == b.pk);
  CHECK(a.sk == b.sk);
  // RFC 8032 layout: secret key = seed || public key.
  CHECK(std::equal(a.sk.begin(), a.sk.begin() + 32, seed_of(0).begin()));
  CHECK(std::equal(a.sk.begin() + 32, a.sk.end(), a.pk.begin()));
  CHECK(keypair_from_seed(seed_of(1)).pk != a.pk);

  // RFC 8032, section 7.1, test 1.
  std::array<uint8_t, 32> rfc_seed{};
  REQUIRE(from_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", rfc_seed));
  CHECK(to_hex(keypair_from_seed(rfc_seed).pk) == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
}

TEST_CASE("generated key pairs come from the injected random source", "[crypto]") {
  crypto_init();
  SeededRandom r1(7), r2(7), r3(8);
  CHECK(generate_keypair(r1).pk == generate_keypair(r2).pk);
  SeededRandom r4(7);
  CHECK(generate_keypair(r3).pk != generate_keypair(r4).pk);
}

TEST_CASE("a signature verifies only for its key, message and domain", "[crypto]") {
  crypto_init();
  KeyPair k = keypair_from_seed(seed_of(0));
  KeyPair other = keypair_from_seed(seed_of(100));
  std::string msg = "{\"seq\":1,\"subject\":\"000.00.01.H22-250701-0001\"}";
  Signature sig = sign(k.sk, SignDomain::JournalEntry, msg);
  CHECK(verify(k.pk, SignDomain::JournalEntry, msg, sig));
  // Ed25519 is deterministic.
  CHECK(sign(k.sk, SignDomain::JournalEntry, msg) == sig);

  CHECK_FALSE(verify(other.pk, SignDomain::JournalEntry, msg, sig));
  std::string changed = msg;
  changed[8] = '2';
  CHECK_FALSE(verify(k.pk, SignDomain::JournalEntry, changed, sig));
  Signature flipped = sig;
  flipped[10] ^= 1;
  CHECK_FALSE(verify(k.pk, SignDomain::JournalEntry, msg, flipped));

  SECTION("domain separation: a journal signature is not a sync request, receipt or enrolment") {
    CHECK_FALSE(verify(k.pk, SignDomain::SyncRequest, msg, sig));
    CHECK_FALSE(verify(k.pk, SignDomain::Receipt, msg, sig));
    CHECK_FALSE(verify(k.pk, SignDomain::Enrolment, msg, sig));
    Signature req = sign(k.sk, SignDomain::SyncRequest, msg);
    CHECK(verify(k.pk, SignDomain::SyncRequest, msg, req));
    CHECK_FALSE(verify(k.pk, SignDomain::JournalEntry, msg, req));
  }
  SECTION("the prefix is part of the signed bytes, exactly as documented") {
    CHECK(sign_domain_prefix(SignDomain::JournalEntry) == "motcua/v1/journal-entry\n");
    CHECK(sign_domain_prefix(SignDomain::SyncRequest) == "motcua/v2/sync-request\n");
    CHECK(sign_domain_prefix(SignDomain::Receipt) == "motcua/v2/receipt\n");
    CHECK(sign_domain_prefix(SignDomain::Enrolment) == "motcua/v2/enrolment\n");
    // Moving the prefix's newline into the message must not produce the same signed bytes.
    CHECK_FALSE(verify(k.pk, SignDomain::JournalEntry, "\n" + msg, sig));
  }
}

TEST_CASE("Argon2id password hashes verify the right password only", "[crypto]") {
  crypto_init();
  std::string h = password_hash("mật khẩu đúng", true);
  CHECK(h.rfind("$argon2id$", 0) == 0);
  CHECK(password_verify(h, "mật khẩu đúng"));
  CHECK_FALSE(password_verify(h, "mat khau dung"));
  CHECK_FALSE(password_verify(h, ""));
  // Salted: the same password hashes differently each time.
  std::string h2 = password_hash("mật khẩu đúng", true);
  CHECK(h2 != h);
  CHECK(password_verify(h2, "mật khẩu đúng"));
  CHECK_FALSE(password_verify("not a hash", "x"));
}

TEST_CASE("constant-time comparison tells equal from different bytes", "[crypto]") {
  uint8_t a[4] = {1, 2, 3, 4}, b[4] = {1, 2, 3, 4}, c[4] = {1, 2, 3, 5};
  CHECK(equal_ct(a, b, 4));
  CHECK_FALSE(equal_ct(a, c, 4));
}

TEST_CASE("a passphrase-sealed secret opens with the passphrase only", "[crypto]") {
  crypto_init();
  SeededRandom rng(42);
  Bytes secret = {1, 2, 3, 4, 5, 6, 7, 8};
  SealedSecret s = seal_with_passphrase("bưu điện Ân Thi", secret, rng, true);
  CHECK(s.ciphertext != secret);
  auto opened = open_with_passphrase("bưu điện Ân Thi", s);
  REQUIRE(opened.ok());
  CHECK(opened.value() == secret);

  auto wrong = open_with_passphrase("buu dien An Thi", s);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().code == "wrong_passphrase");

  SealedSecret tampered = s;
  tampered.ciphertext[0] ^= 1;
  auto t = open_with_passphrase("bưu điện Ân Thi", tampered);
  REQUIRE_FALSE(t.ok());
  CHECK(t.error().code == "wrong_passphrase");

  SealedSecret bad_params = s;
  bad_params.memlimit = 1ULL << 40;
  auto b = open_with_passphrase("bưu điện Ân Thi", bad_params);
  REQUIRE_FALSE(b.ok());
  CHECK(b.error().code == "corrupt_key_file");
}

TEST_CASE("seeded random streams are reproducible", "[crypto]") {
  SeededRandom a(1), b(1), c(2);
  uint8_t x[13], y[13], z[13];
  a.fill(x, sizeof x);
  b.fill(y, sizeof y);
  c.fill(z, sizeof z);
  CHECK(std::equal(x, x + 13, y));
  CHECK_FALSE(std::equal(x, x + 13, z));
}

TEST_CASE("UTF-8 validity and NFC are recognised", "[crypto][text]") {
  CHECK(is_valid_utf8("Đăng ký khai sinh"));
  CHECK(is_valid_utf8(""));
  CHECK_FALSE(is_valid_utf8("\xC3"));               // truncated
  CHECK_FALSE(is_valid_utf8("\xC0\xAF"));           // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));       // UTF-16 surrogate
  CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));   // beyond U+10FFFF

  const std::string composed = "Nguy\xE1\xBB\x85n";          // Nguyễn, ễ = U+1EC5
  const std::string decomposed = "Nguye\xCC\x82\xCC\x83n";   // e + U+0302 + U+0303
  CHECK(is_nfc(composed));
  CHECK_FALSE(is_nfc(decomposed));
  CHECK_FALSE(is_nfc("\xC3"));
  CHECK(to_nfc(decomposed) == composed);
  CHECK(to_nfc(composed) == composed);
  CHECK(to_nfc("\xC3") == "\xC3");  // invalid input comes back unchanged
}

TEST_CASE("search folding ignores case, diacritics and treats đ as d", "[crypto][text]") {
  CHECK(fold_for_search("ĐĂNG KÝ") == "dang ky");
  CHECK(fold_for_search("Đăng ký khai sinh") == "dang ky khai sinh");
  CHECK(fold_for_search("đăng ký") == "dang ky");
  CHECK(fold_for_search("dang ky khai sinh") == "dang ky khai sinh");
  CHECK(fold_for_search("  Chứng   thực\tbản sao  ") == "chung thuc ban sao");
  // Decomposed input folds to the same key as composed input.
  CHECK(fold_for_search("Nguye\xCC\x82\xCC\x83n") == fold_for_search("Nguyễn"));
  CHECK(fold_for_search("Hộ tịch, Chứng thực") == "ho tich chung thuc");
}

TEST_CASE("durable write leaves the final content, the mode asked for and no temp file", "[crypto][durable]") {
  test::TempDir dir("durable");
  std::string p = dir.sub("export.json");
  REQUIRE(write_file_durably(p, "first", 0600).ok());
  REQUIRE(write_file_durably(p, "second version", 0640).ok());
  auto r = read_small_file(p);
  REQUIRE(r.ok());
  CHECK(r.value() == "second version");
  struct stat st;
  REQUIRE(::stat(p.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0640);
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    ++files;
    CHECK(e.path().filename() == "export.json");
  }
  CHECK(files == 1);

  auto missing = read_small_file(dir.sub("nope"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == "io_error");
  auto big = read_small_file(p, 4);
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().code == "file_too_large");
  auto nodir = write_file_durably(dir.sub("no/such/dir/x"), "x");
  REQUIRE_FALSE(nodir.ok());
  CHECK(nodir.error().code == "io_error");
}
