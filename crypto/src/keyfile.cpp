#include "motcua/keyfile.hpp"

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
    return make_error("insecure_key_file", "key file " + path + " is readable by others (mode " +
                                               std::to_string((st.st_mode >> 6) & 7) +
                                               std::to_string((st.st_mode >> 3) & 7) +
                                               std::to_string(st.st_mode & 7) + "); run: chmod 600 " + path);
  auto text = read_small_file(path, 64 * 1024);
  if (!text.ok()) return text.error();
  Json j = Json::parse(*text, nullptr, false);
  auto corrupt = [&](const std::string& why) { return make_error("corrupt_key_file", "key file " + path + " is damaged: " + why); };
  if (j.is_discarded() || !j.is_object()) return corrupt("not JSON");
  if (j.value("format", "") != "motcua-node-key" || j.value("version", 0) != 1) return corrupt("unknown format");
  KeyPair kp;
  if (!j.contains("public_key") || !j["public_key"].is_string() || !from_hex(j["public_key"].get<std::string>(), kp.pk))
    return corrupt("public_key");
  std::string prot = j.value("protection", "");
  if (prot == "none") {
    if (!j.contains("secret_key") || !j["secret_key"].is_string() || !from_hex(j["secret_key"].get<std::string>(), kp.sk))
      return corrupt("secret_key");
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
    auto opened = open_with_passphrase(*passphrase, s);
    if (!opened.ok()) return opened.error();
    if (opened->size() != kp.sk.size()) return corrupt("secret key length");
    std::copy(opened->begin(), opened->end(), kp.sk.begin());
    sodium_memzero(opened->data(), opened->size());
  } else {
    return corrupt("unknown protection");
  }
  // The last 32 bytes of an Ed25519 secret key are its public key.
  if (!std::equal(kp.pk.begin(), kp.pk.end(), kp.sk.begin() + 32)) return corrupt("public and secret keys do not match");
  return kp;
}

}  // namespace motcua
