#include "motcua/crypto.hpp"
#include "motcua/mac.hpp"

#include <sodium.h>

#include <cstring>
#include <stdexcept>

namespace motcua {

static_assert(sizeof(crypto_generichash_state) <= 384, "Blake2bStream state buffer too small");

void crypto_init() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
}

std::string to_hex(const uint8_t* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string s(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    s[2 * i] = digits[p[i] >> 4];
    s[2 * i + 1] = digits[p[i] & 15];
  }
  return s;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool from_hex(std::string_view hex, uint8_t* out, size_t n) {
  if (hex.size() != 2 * n) return false;
  for (size_t i = 0; i < n; ++i) {
    int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return true;
}

Hash32 blake2b256(const uint8_t* p, size_t n) {
  Hash32 h;
  crypto_generichash(h.data(), h.size(), p, n, nullptr, 0);
  return h;
}
Hash32 blake2b256_keyed(const Hash32& key, std::string_view data) {
  Hash32 h;
  crypto_generichash(h.data(), h.size(), reinterpret_cast<const uint8_t*>(data.data()), data.size(), key.data(),
                     key.size());
  return h;
}

Hash32 blake2b256(std::string_view data) {
  return blake2b256(reinterpret_cast<const uint8_t*>(data.data()), data.size());
}

Blake2bStream::Blake2bStream() {
  crypto_generichash_init(reinterpret_cast<crypto_generichash_state*>(state_), nullptr, 0, 32);
}
Blake2bStream::~Blake2bStream() { sodium_memzero(state_, sizeof state_); }
void Blake2bStream::update(const uint8_t* p, size_t n) {
  crypto_generichash_update(reinterpret_cast<crypto_generichash_state*>(state_), p, n);
}
Hash32 Blake2bStream::final() {
  Hash32 h;
  crypto_generichash_final(reinterpret_cast<crypto_generichash_state*>(state_), h.data(), h.size());
  return h;
}

std::string_view sign_domain_prefix(SignDomain d) {
  switch (d) {
    case SignDomain::JournalEntry: return "motcua/v1/journal-entry\n";
    case SignDomain::SyncRequest: return "motcua/v2/sync-request\n";
    case SignDomain::Receipt: return "motcua/v2/receipt\n";
    case SignDomain::Enrolment: return "motcua/v2/enrolment\n";
    case SignDomain::Succession: return "motcua/v2/succession\n";
  }
  return "motcua/v1/unknown\n";
}

KeyPair keypair_from_seed(const std::array<uint8_t, 32>& seed) {
  KeyPair kp;
  crypto_sign_seed_keypair(kp.pk.data(), kp.sk.data(), seed.data());
  return kp;
}

KeyPair generate_keypair(Random& rng) {
  std::array<uint8_t, 32> seed;
  rng.fill(seed.data(), seed.size());
  KeyPair kp = keypair_from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  return kp;
}

static std::string prefixed(SignDomain d, std::string_view message) {
  std::string m(sign_domain_prefix(d));
  m.append(message);
  return m;
}

Signature sign(const SecretKey& sk, SignDomain d, std::string_view message) {
  std::string m = prefixed(d, message);
  Signature sig;
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const uint8_t*>(m.data()), m.size(), sk.data());
  return sig;
}

bool verify(const PublicKey& pk, SignDomain d, std::string_view message, const Signature& sig) {
  std::string m = prefixed(d, message);
  return crypto_sign_verify_detached(sig.data(), reinterpret_cast<const uint8_t*>(m.data()), m.size(),
                                     pk.data()) == 0;
}

std::string password_hash(std::string_view password, bool fast_for_tests) {
  char out[crypto_pwhash_STRBYTES];
  unsigned long long ops = fast_for_tests ? crypto_pwhash_OPSLIMIT_MIN : crypto_pwhash_OPSLIMIT_INTERACTIVE;
  size_t mem = fast_for_tests ? crypto_pwhash_MEMLIMIT_MIN : crypto_pwhash_MEMLIMIT_INTERACTIVE;
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw std::runtime_error("out of memory while hashing a password");
  return std::string(out);
}

bool password_verify(std::string_view stored_hash, std::string_view password) {
  std::string h(stored_hash);
  return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

bool equal_ct(const uint8_t* a, const uint8_t* b, size_t n) { return sodium_memcmp(a, b, n) == 0; }

static bool derive_key(std::string_view pass, const SealedSecret& s, uint8_t key[crypto_secretbox_KEYBYTES]) {
  return crypto_pwhash(key, crypto_secretbox_KEYBYTES, pass.data(), pass.size(), s.salt.data(), s.opslimit,
                       static_cast<size_t>(s.memlimit), crypto_pwhash_ALG_ARGON2ID13) == 0;
}

SealedSecret seal_with_passphrase(std::string_view passphrase, const Bytes& secret, Random& rng,
                                  bool fast_for_tests) {
  SealedSecret s;
  rng.fill(s.salt.data(), s.salt.size());
  rng.fill(s.nonce.data(), s.nonce.size());
  s.opslimit = fast_for_tests ? crypto_pwhash_OPSLIMIT_MIN : crypto_pwhash_OPSLIMIT_INTERACTIVE;
  s.memlimit = fast_for_tests ? crypto_pwhash_MEMLIMIT_MIN : crypto_pwhash_MEMLIMIT_INTERACTIVE;
  uint8_t key[crypto_secretbox_KEYBYTES];
  if (!derive_key(passphrase, s, key)) throw std::runtime_error("out of memory while deriving a key");
  s.ciphertext.resize(secret.size() + crypto_secretbox_MACBYTES);
  crypto_secretbox_easy(s.ciphertext.data(), secret.data(), secret.size(), s.nonce.data(), key);
  sodium_memzero(key, sizeof key);
  return s;
}

Result<Bytes> open_with_passphrase(std::string_view passphrase, const SealedSecret& s) {
  if (s.ciphertext.size() < crypto_secretbox_MACBYTES || s.opslimit > (1ULL << 32) || s.memlimit > (1ULL << 32))
    return make_error("corrupt_key_file", "the sealed secret is malformed");
  uint8_t key[crypto_secretbox_KEYBYTES];
  if (!derive_key(passphrase, s, key)) return make_error("corrupt_key_file", "key derivation parameters are invalid");
  Bytes out(s.ciphertext.size() - crypto_secretbox_MACBYTES);
  int rc = crypto_secretbox_open_easy(out.data(), s.ciphertext.data(), s.ciphertext.size(), s.nonce.data(), key);
  sodium_memzero(key, sizeof key);
  if (rc != 0) return make_error("wrong_passphrase", "wrong passphrase (or the key file was altered)");
  return out;
}

}  // namespace motcua
