// Hashing, signatures and password hashing (libsodium underneath; no sodium
// types cross this header).
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "motcua/env.hpp"
#include "motcua/result.hpp"

namespace motcua {

using Bytes = std::vector<uint8_t>;
using Hash32 = std::array<uint8_t, 32>;
using PublicKey = std::array<uint8_t, 32>;
using SecretKey = std::array<uint8_t, 64>;  // Ed25519 seed || public key
using Signature = std::array<uint8_t, 64>;

// Call once before any other function here (idempotent, thread-safe).
void crypto_init();

std::string to_hex(const uint8_t* p, size_t n);
template <size_t N>
std::string to_hex(const std::array<uint8_t, N>& a) { return to_hex(a.data(), N); }
inline std::string to_hex(const Bytes& b) { return to_hex(b.data(), b.size()); }
// Lowercase or uppercase hex of exactly N bytes; false on anything else.
bool from_hex(std::string_view hex, uint8_t* out, size_t n);
template <size_t N>
bool from_hex(std::string_view hex, std::array<uint8_t, N>& out) { return from_hex(hex, out.data(), N); }

// BLAKE2b with a 256-bit output.
Hash32 blake2b256(std::string_view data);
Hash32 blake2b256(const uint8_t* p, size_t n);

// Incremental BLAKE2b-256, for streamed blobs.
class Blake2bStream {
 public:
  Blake2bStream();
  ~Blake2bStream();
  Blake2bStream(const Blake2bStream&) = delete;
  Blake2bStream& operator=(const Blake2bStream&) = delete;
  void update(const uint8_t* p, size_t n);
  Hash32 final();

 private:
  alignas(64) uint8_t state_[384];
};

// Domain separation: every signature covers "motcua/v1/<kind>\n" + message, so a
// signature made for one kind of message can never be replayed as another.
enum class SignDomain { JournalEntry, SyncRequest, Receipt, Enrolment, Succession };
std::string_view sign_domain_prefix(SignDomain d);

struct KeyPair {
  PublicKey pk{};
  SecretKey sk{};
};

// New Ed25519 key pair from 32 bytes of `rng`.
KeyPair generate_keypair(Random& rng);
// Deterministic key pair from a 32-byte seed (test vectors).
KeyPair keypair_from_seed(const std::array<uint8_t, 32>& seed);

Signature sign(const SecretKey& sk, SignDomain d, std::string_view message);
bool verify(const PublicKey& pk, SignDomain d, std::string_view message, const Signature& sig);

// Argon2id password hashing (libsodium crypto_pwhash_str, interactive limits
// unless `fast_for_tests`). The result is a self-describing "$argon2id$..." string.
std::string password_hash(std::string_view password, bool fast_for_tests = false);
bool password_verify(std::string_view stored_hash, std::string_view password);

// Constant-time comparison.
bool equal_ct(const uint8_t* a, const uint8_t* b, size_t n);

// Passphrase protection of a secret (Argon2id-derived key + XSalsa20-Poly1305).
struct SealedSecret {
  std::array<uint8_t, 16> salt{};
  std::array<uint8_t, 24> nonce{};
  Bytes ciphertext;
  uint64_t opslimit = 0;
  uint64_t memlimit = 0;
};
SealedSecret seal_with_passphrase(std::string_view passphrase, const Bytes& secret, Random& rng,
                                  bool fast_for_tests = false);
Result<Bytes> open_with_passphrase(std::string_view passphrase, const SealedSecret& sealed);

}  // namespace motcua
