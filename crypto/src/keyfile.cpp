#include "motcua/keyfile.hpp"

#include "motcua/json_read.hpp"

#include <sodium.h>
#include <sys/stat.h>

#include "motcua/canonical.hpp"
#include "motcua/durable_file.hpp"

namespace motcua {

Status save_key_file(const std::string& path, const KeyPair& kp, const std::optional<std::string>& passphrase,
                     Random& rng, bool fast_kdf_for_tests) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0)
    return make_error("key_file_exists", "a key file already exists at " + path + "; it was not overwritten");
  Json j;
  j["format"] = "motcua-node-key";
  j["version"] = 1;
  j["public_key"] = to_hex(kp.pk);
  if (passphrase) {
    Bytes secret(kp.sk.begin(), kp.sk.end());
    SealedSecret s = seal_with_passphrase(*passphrase, secret, rng, fast_kdf_for_tests);
    sodium_memzero(secret.data(), secret.size());
    j["protection"] = "argon2id-xsalsa20poly1305";
    j["salt"] = to_hex(s.salt);
    j["nonce"] = to_hex(s.nonce);
    j["opslimit"] = s.opslimit;
    j["memlimit"] = s.memlimit;
    j["sealed_secret_key"] = to_hex(s.ciphertext);
  } else {
    j["protection"] = "none";
    j["secret_key"] = to_hex(kp.sk);
  }
  return write_file_durably(path, j.dump(2) + "\n", 0600);
}

Result<KeyPair> load_key_file(const std::string& path, const std::optional<std::string>& passphrase) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return make_error("io_error", "no key file at " + path);
  if ((st.st_mode & 077) != 0)
    return make_error("insecure_key_file", "key file " + path + " can be read or changed by other users (mode " +
                                               std::to_string((st.st_mode >> 6) & 7) +
                                               std::to_string((st.st_mode >> 3) & 7) +
                                               std::to_string(st.st_mode & 7) + "); run: chmod 600 " + path);
  auto text = read_small_file(path, 64 * 1024);
  if (!text.ok()) return text.error();
  auto corrupt = [&](const std::string& why) { return make_error("corrupt_key_file", "key file " + path + " is damaged: " + why); };
  auto parsed = read_json(*text, JsonLimits{64 * 1024, kMaxJsonDepth});
  if (!parsed.ok() || !parsed->is_object()) return corrupt("not JSON");
  const Json& j = parsed.value();
  auto text_field = [&](const char* k) -> std::string {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto version = j.find("version");
  if (text_field("format") != "motcua-node-key" || version == j.end() || !version->is_number_integer() ||
      version->get<int64_t>() != 1)
    return corrupt("unknown format");
  KeyPair kp;
  if (!from_hex(text_field("public_key"), kp.pk)) return corrupt("public_key");
  std::string prot = text_field("protection");
  if (prot == "none") {
    if (!from_hex(text_field("secret_key"), kp.sk)) return corrupt("secret_key");
  } else if (prot == "argon2id-xsalsa20poly1305") {
    if (!passphrase) return make_error("passphrase_required", "key file " + path + " is protected by a passphrase");
    SealedSecret s;
    try {
      if (!from_hex(j.at("salt").get<std::string>(), s.salt) || !from_hex(j.at("nonce").get<std::string>(), s.nonce))
        return corrupt("salt/nonce");
      s.opslimit = j.at("opslimit").get<uint64_t>();
      s.memlimit = j.at("memlimit").get<uint64_t>();
      std::string ct = j.at("sealed_secret_key").get<std::string>();
      s.ciphertext.resize(ct.size() / 2);
      if (!from_hex(ct, s.ciphertext.data(), s.ciphertext.size())) return corrupt("sealed_secret_key");
    } catch (const std::exception&) {
      return corrupt("missing sealed fields");
    }
    if (!j.at("opslimit").is_number_unsigned() || !j.at("memlimit").is_number_unsigned())
      return corrupt("key derivation parameters");
    auto opened = open_with_passphrase(*passphrase, s);
    if (!opened.ok()) {
      Error e = opened.error();
      if (e.code == "corrupt_key_file") e.message = "key file " + path + " is damaged: " + e.message;
      return e;
    }
    if (opened->size() != kp.sk.size()) return corrupt("secret key length");
    std::copy(opened->begin(), opened->end(), kp.sk.begin());
    sodium_memzero(opened->data(), opened->size());
  } else {
    return corrupt("unknown protection");
  }
  // An Ed25519 secret key is seed || public key; the public key must be the
  // one the seed derives, or every signature made with it would be invalid.
  std::array<uint8_t, 32> seed;
  std::copy_n(kp.sk.begin(), 32, seed.begin());
  KeyPair derived = keypair_from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  bool match = equal_ct(derived.pk.data(), kp.pk.data(), 32) && equal_ct(derived.sk.data(), kp.sk.data(), 64);
  sodium_memzero(derived.sk.data(), derived.sk.size());
  if (!match) return corrupt("public and secret keys do not match");
  return kp;
}

}  // namespace motcua
