// fuzz_cccd_qr: node::parse_cccd_qr, the prefill from a chip CCCD card's QR
// text as a hand scanner types it. Properties: no exception; an error is
// invalid_value on field "qr"; an accepted text gives well-formed fields
// (12-digit CCCD, real ISO dates, NFC UTF-8), and writing them back as a QR
// text parses to the same result.
#include "harness.hpp"
#include "motcua/node/dossiers.hpp"
#include "motcua/text.hpp"

namespace motcua::fuzz {

namespace {

bool real_date(const Json& v) {
  if (!v.is_string()) return false;
  const std::string& s = v.get_ref<const std::string&>();
  return s.size() == 10 && s[4] == '-' && s[7] == '-';
}

std::string ddmmyyyy(const Json& iso) {
  if (!iso.is_string()) return "";
  const std::string& s = iso.get_ref<const std::string&>();
  return s.substr(8, 2) + s.substr(5, 2) + s.substr(0, 4);
}

}  // namespace

int cccd_qr(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto r = no_throw("parse_cccd_qr", [&] { return node::parse_cccd_qr(text); });
  if (!r.ok()) {
    if (r.error().code != "invalid_value" || r.error().field != "qr")
      fail("refusal is not invalid_value on qr: " + r.error().code + " / " + r.error().field);
    return 0;
  }
  const Json& j = r.value();
  for (const char* k : {"cccd", "full_name", "date_of_birth", "sex", "address"})
    if (!j.contains(k) || !j[k].is_string()) fail(std::string("accepted QR without a string ") + k);
  const std::string& id = j["cccd"].get_ref<const std::string&>();
  if (id.size() != 12 || id.find_first_not_of("0123456789") != std::string::npos) fail("accepted CCCD " + id);
  if (!real_date(j["date_of_birth"])) fail("date_of_birth is not YYYY-MM-DD");
  if (!j["issued_on"].is_null() && !real_date(j["issued_on"])) fail("issued_on is not YYYY-MM-DD");
  if (j["full_name"].get_ref<const std::string&>().empty()) fail("accepted an empty name");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it->is_string() && !is_nfc(it->get_ref<const std::string&>())) fail(std::string("field not NFC: ") + it.key());
  (void)no_throw("dump", [&] { return j.dump(); });  // strict UTF-8: throws on a bad byte

  std::string again = id + "|" + (j["old_id"].is_string() ? j["old_id"].get<std::string>() : "") + "|" +
                      j["full_name"].get<std::string>() + "|" + ddmmyyyy(j["date_of_birth"]) + "|" +
                      j["sex"].get<std::string>() + "|" + j["address"].get<std::string>() + "|" +
                      ddmmyyyy(j["issued_on"]);
  auto r2 = no_throw("parse_cccd_qr (again)", [&] { return node::parse_cccd_qr(again); });
  if (!r2.ok()) fail("its own fields written back do not parse: " + r2.error().message);
  if (r2.value() != j) fail("round trip differs: " + j.dump() + " vs " + r2.value().dump());
  return 0;
}

}  // namespace motcua::fuzz
