#include "validation.hpp"

#include <cctype>
#include <optional>
#include <set>
#include <vector>

#include "calendar.hpp"
#include "motcua/node/dossiers.hpp"
#include "motcua/text.hpp"

namespace motcua::node::valid {

namespace {

constexpr size_t kMaxText = 2000;

std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

// Fields of `obj` must all be in `allowed`.
Status only_known(const Json& obj, const std::set<std::string>& allowed, const std::string& path) {
  for (auto it = obj.begin(); it != obj.end(); ++it)
    if (!allowed.count(it.key()))
      return make_error("unknown_field", "unknown field '" + it.key() + "'", join(path, it.key()));
  return ok_status();
}

Status need_object(const Json& v, const std::string& field) {
  if (!v.is_object()) return make_error("wrong_type", field + " must be an object", field);
  return ok_status();
}

// A text field: string, valid UTF-8, not blank when required, bounded; NFC.
Result<std::string> text(const Json& obj, const std::string& key, const std::string& path, bool required,
                         size_t max = kMaxText) {
  const std::string field = join(path, key);
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) return make_error("missing_field", field + " is required", field);
    return std::string();
  }
  if (!it->is_string()) return make_error("wrong_type", field + " must be a string", field);
  const std::string& s = it->get_ref<const std::string&>();
  if (!is_valid_utf8(s)) return make_error("invalid_value", field + " is not valid UTF-8 text", field);
  std::string n = to_nfc(s);
  size_t b = n.find_first_not_of(" \t\r\n"), e = n.find_last_not_of(" \t\r\n");
  n = b == std::string::npos ? std::string() : n.substr(b, e - b + 1);
  if (required && n.empty()) return make_error("missing_field", field + " must not be empty", field);
  if (n.size() > max) return make_error("invalid_value", field + " is too long (at most " + std::to_string(max) + " bytes)", field);
  for (unsigned char c : n)
    if (c < 0x20 && c != '\n' && c != '\t') return make_error("invalid_value", field + " contains control characters", field);
  return n;
}

Result<bool> boolean(const Json& obj, const std::string& key, const std::string& path, bool dflt) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return dflt;
  if (!it->is_boolean()) return make_error("wrong_type", join(path, key) + " must be true or false", join(path, key));
  return it->get<bool>();
}

Result<int64_t> amount(const Json& obj, const std::string& key, const std::string& path, bool required, int64_t min) {
  const std::string field = join(path, key);
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) return make_error("missing_field", field + " is required", field);
    return int64_t{-1};
  }
  if (!it->is_number_integer()) return make_error("wrong_type", field + " must be a whole number of đồng", field);
  int64_t v = it->get<int64_t>();
  if (v < min || v > 1'000'000'000'000LL)
    return make_error("invalid_value", field + " must be between " + std::to_string(min) + " and 10^12", field);
  return v;
}

bool is_hex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

Result<Json> attachments(const Json& v, const std::string& field, const BlobExists& exists) {
  if (!v.is_array()) return make_error("wrong_type", field + " must be an array of attachment ids", field);
  Json out = Json::array();
  std::set<std::string> seen;
  for (size_t i = 0; i < v.size(); ++i) {
    std::string f = field + "[" + std::to_string(i) + "]";
    if (!v[i].is_string()) return make_error("wrong_type", f + " must be an attachment id (string)", f);
    std::string id = v[i].get<std::string>();
    if (!is_hex64(id)) return make_error("invalid_value", f + " is not an attachment id (64 lowercase hex)", f);
    if (exists && !exists(id)) return make_error("invalid_value", f + ": no stored attachment has this id (upload it first)", f);
    if (seen.insert(id).second) out.push_back(id);
  }
  if (out.size() > 100) return make_error("invalid_value", field + " has too many attachments (at most 100)", field);
  return out;
}

// Free-form procedure data: any JSON that can be signed, text in NFC.
Result<Json> form_data(const Json& v, const std::string& field) {
  if (!v.is_object()) return make_error("wrong_type", field + " must be an object", field);
  std::function<Result<Json>(const Json&, const std::string&)> walk = [&](const Json& j,
                                                                          const std::string& p) -> Result<Json> {
    if (j.is_string()) {
      if (!is_valid_utf8(j.get_ref<const std::string&>())) return make_error("invalid_value", p + " is not valid UTF-8 text", p);
      return Json(to_nfc(j.get<std::string>()));
    }
    if (j.is_number_float()) return make_error("wrong_type", p + ": decimal numbers are not allowed (use text or whole numbers)", p);
    if (j.is_array()) {
      Json out = Json::array();
      for (size_t i = 0; i < j.size(); ++i) {
        auto r = walk(j[i], p + "[" + std::to_string(i) + "]");
        if (!r.ok()) return r.error();
        out.push_back(std::move(r.value()));
      }
      return out;
    }
    if (j.is_object()) {
      Json out = Json::object();
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (!is_valid_utf8(it.key())) return make_error("invalid_value", p + ": a key is not valid UTF-8", p);
        auto r = walk(it.value(), p + "." + it.key());
        if (!r.ok()) return r.error();
        out[to_nfc(it.key())] = std::move(r.value());
      }
      return out;
    }
    return j;
  };
  auto r = walk(v, field);
  if (!r.ok()) return r;
  Status c = check_canonical(r.value());
  if (!c.ok()) return make_error("invalid_value", c.error().message, c.error().field.empty() ? field : join(field, c.error().field));
  if (canonical_bytes(r.value()).size() > 32 * 1024)
    return make_error("too_large", field + " is too large (at most 32 KiB); attach documents as files instead", field);
  return r;
}

Result<Json> applicant(const Json& a, const std::string& path, bool partial) {
  Status s = need_object(a, path);
  if (!s.ok()) return s.error();
  s = only_known(a, {"full_name", "cccd", "phone", "email", "address", "date_of_birth"}, path);
  if (!s.ok()) return s.error();
  Json out = Json::object();
  for (const char* k : {"full_name", "address"}) {
    if (partial && !a.contains(k)) continue;
    auto t = text(a, k, path, true, k == std::string("full_name") ? 200 : kMaxText);
    if (!t.ok()) return t.error();
    out[k] = t.value();
  }
  if (!partial || a.contains("cccd")) {
    if (!a.contains("cccd") || a["cccd"].is_null()) return make_error("missing_field", path + ".cccd is required", path + ".cccd");
    s = check_cccd(a["cccd"], path + ".cccd");
    if (!s.ok()) return s.error();
    out["cccd"] = a["cccd"];
  }
  if (!partial || a.contains("phone")) {
    if (!a.contains("phone") || a["phone"].is_null()) return make_error("missing_field", path + ".phone is required", path + ".phone");
    auto p = normalize_phone(a["phone"], path + ".phone");
    if (!p.ok()) return p.error();
    out["phone"] = p.value();
  }
  if (!partial || a.contains("email")) {
    auto e = text(a, "email", path, false, 254);
    if (!e.ok()) return e.error();
    if (!e.value().empty()) {
      s = check_email(e.value(), path + ".email");
      if (!s.ok()) return s.error();
      out["email"] = e.value();
    } else {
      out["email"] = nullptr;
    }
  }
  if (!partial || a.contains("date_of_birth")) {
    auto d = text(a, "date_of_birth", path, false, 10);
    if (!d.ok()) return d.error();
    if (!d.value().empty() && !cal::parse_date(d.value()))
      return make_error("invalid_value", path + ".date_of_birth must be a date YYYY-MM-DD", path + ".date_of_birth");
    out["date_of_birth"] = d.value().empty() ? Json(nullptr) : Json(d.value());
  }
  return out;
}

Result<Json> postal(const Json& p, const std::string& path, bool partial) {
  Status s = need_object(p, path);
  if (!s.ok()) return s.error();
  s = only_known(p, {"dossier_by_post", "result_by_post", "delivery_address"}, path);
  if (!s.ok()) return s.error();
  Json out = Json::object();
  for (const char* k : {"dossier_by_post", "result_by_post"}) {
    if (partial && !p.contains(k)) continue;
    auto b = boolean(p, k, path, false);
    if (!b.ok()) return b.error();
    out[k] = b.value();
  }
  if (!partial || p.contains("delivery_address")) {
    bool needed = !partial && out.value("result_by_post", false);
    auto t = text(p, "delivery_address", path, needed);
    if (!t.ok()) return t.error();
    out["delivery_address"] = t.value().empty() ? Json(nullptr) : Json(t.value());
  }
  return out;
}

Result<Json> fees(const Json& v, const std::string& field) {
  if (!v.is_array()) return make_error("wrong_type", field + " must be an array", field);
  Json out = Json::array();
  for (size_t i = 0; i < v.size(); ++i) {
    std::string f = field + "[" + std::to_string(i) + "]";
    Status s = need_object(v[i], f);
    if (!s.ok()) return s.error();
    s = only_known(v[i], {"amount_vnd", "receipt_no", "note"}, f);
    if (!s.ok()) return s.error();
    auto a = amount(v[i], "amount_vnd", f, true, 0);
    if (!a.ok()) return a.error();
    auto r = text(v[i], "receipt_no", f, true, 100);
    if (!r.ok()) return r.error();
    auto n = text(v[i], "note", f, false);
    if (!n.ok()) return n.error();
    Json item{{"amount_vnd", a.value()}, {"receipt_no", r.value()}};
    if (!n.value().empty()) item["note"] = n.value();
    out.push_back(std::move(item));
  }
  return out;
}

Result<int64_t> count(const Json& obj, const char* key, const std::string& path) {
  const std::string field = join(path, key);
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return int64_t{0};
  if (!it->is_number_integer()) return make_error("wrong_type", field + " must be a whole number", field);
  int64_t v = it->get<int64_t>();
  if (v < 0 || v > 99) return make_error("invalid_value", field + " must be 0..99", field);
  return v;
}

}  // namespace

Result<Json> documents(const Json& v, const std::string& field) {
  if (!v.is_array()) return make_error("wrong_type", field + " must be an array of {name, originals, copies}", field);
  if (v.size() > 200) return make_error("invalid_value", field + " lists too many documents (at most 200)", field);
  Json out = Json::array();
  std::set<std::string> seen;
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string f = field + "[" + std::to_string(i) + "]";
    Status s = need_object(v[i], f);
    if (!s.ok()) return s.error();
    s = only_known(v[i], {"name", "originals", "copies"}, f);
    if (!s.ok()) return s.error();
    auto name = text(v[i], "name", f, true, 1000);
    if (!name.ok()) return name.error();
    auto originals = count(v[i], "originals", f);
    if (!originals.ok()) return originals.error();
    auto copies = count(v[i], "copies", f);
    if (!copies.ok()) return copies.error();
    if (originals.value() + copies.value() < 1)
      return make_error("invalid_value", f + ": hand in at least one original or one copy (or leave the document out)",
                        f + ".originals");
    if (!seen.insert(fold_for_search(name.value())).second)
      return make_error("invalid_value", f + ": document '" + name.value() + "' is listed twice", f + ".name");
    out.push_back(Json{{"name", name.value()}, {"originals", originals.value()}, {"copies", copies.value()}});
  }
  return out;
}

Status check_cccd(const Json& v, const std::string& field) {
  if (!v.is_string()) return make_error("wrong_type", field + " must be a string of 12 digits", field);
  const std::string& s = v.get_ref<const std::string&>();
  if (s.size() != 12 || s.find_first_not_of("0123456789") != std::string::npos)
    return make_error("invalid_value", "CCCD must be exactly 12 digits", field);
  int province = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
  if (province < 1 || province > 96)
    return make_error("invalid_value", "CCCD must start with a province code 001–096 (got " + s.substr(0, 3) + ")", field);
  return ok_status();
}

Result<std::string> normalize_phone(const Json& v, const std::string& field) {
  if (!v.is_string()) return make_error("wrong_type", field + " must be a string", field);
  std::string d;
  for (char c : v.get<std::string>()) {
    if (c == ' ' || c == '.' || c == '-' || c == '(' || c == ')') continue;
    d += c;
  }
  if (d.rfind("+84", 0) == 0) d = "0" + d.substr(3);
  else if (d.rfind("0084", 0) == 0) d = "0" + d.substr(4);
  if (d.size() != 10 || d.find_first_not_of("0123456789") != std::string::npos)
    return make_error("invalid_value", "phone must be 10 digits (or +84 and 9 digits)", field);
  if (d[0] != '0' || std::string("35789").find(d[1]) == std::string::npos)
    return make_error("invalid_value", "phone must start with 03, 05, 07, 08 or 09", field);
  return d;
}

Status check_email(const std::string& s, const std::string& field) {
  auto bad = [&] { return make_error("invalid_value", "email is not a well-formed address (name@domain.vn)", field); };
  size_t at = s.find('@');
  if (at == std::string::npos || at == 0 || s.find('@', at + 1) != std::string::npos || at > 64) return bad();
  std::string local = s.substr(0, at), domain = s.substr(at + 1);
  for (unsigned char c : local)
    if (!(std::isalnum(c) || std::string("._%+-!#$&'*/=?^`{|}~").find(static_cast<char>(c)) != std::string::npos)) return bad();
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string::npos) return bad();
  if (domain.size() < 3 || domain.find('.') == std::string::npos) return bad();
  size_t start = 0;
  while (start <= domain.size()) {
    size_t dot = domain.find('.', start);
    std::string label = domain.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return bad();
    for (unsigned char c : label)
      if (!(std::isalnum(c) || c == '-')) return bad();
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return ok_status();
}

Result<Json> intake(const Json& req, const BlobExists& blob_exists) {
  if (!req.is_object()) return make_error("wrong_type", "the request body must be a JSON object", "");
  Status s = only_known(req, {"procedure_code", "applicant", "channel", "postal", "form", "attachments", "fees", "return_point",
                              "documents"}, "");
  if (!s.ok()) return s.error();
  Json out = Json::object();
  auto pc = text(req, "procedure_code", "", true, 100);
  if (!pc.ok()) return pc.error();
  out["procedure_code"] = pc.value();
  if (!req.contains("applicant") || req["applicant"].is_null()) return make_error("missing_field", "applicant is required", "applicant");
  auto a = applicant(req["applicant"], "applicant", false);
  if (!a.ok()) return a.error();
  out["applicant"] = a.value();
  auto ch = text(req, "channel", "", true, 20);
  if (!ch.ok()) return ch.error();
  if (ch.value() != "counter" && ch.value() != "postal" && ch.value() != "online")
    return make_error("invalid_value", "channel must be counter, postal or online", "channel");
  out["channel"] = ch.value();
  if (req.contains("postal") && !req["postal"].is_null()) {
    auto p = postal(req["postal"], "postal", false);
    if (!p.ok()) return p.error();
    out["postal"] = p.value();
  } else if (ch.value() == "postal") {
    return make_error("missing_field", "postal is required when channel is postal", "postal");
  } else {
    out["postal"] = nullptr;
  }
  out["form"] = Json::object();
  if (req.contains("form") && !req["form"].is_null()) {
    auto f = form_data(req["form"], "form");
    if (!f.ok()) return f.error();
    out["form"] = f.value();
  }
  out["attachments"] = Json::array();
  if (req.contains("attachments") && !req["attachments"].is_null()) {
    auto at = attachments(req["attachments"], "attachments", blob_exists);
    if (!at.ok()) return at.error();
    out["attachments"] = at.value();
  }
  out["fees"] = Json::array();
  if (req.contains("fees") && !req["fees"].is_null()) {
    auto f = fees(req["fees"], "fees");
    if (!f.ok()) return f.error();
    out["fees"] = f.value();
  }
  out["documents"] = Json::array();
  if (req.contains("documents") && !req["documents"].is_null()) {
    auto d = documents(req["documents"], "documents");
    if (!d.ok()) return d.error();
    out["documents"] = d.value();
  }
  auto rp = text(req, "return_point", "", false, 200);
  if (!rp.ok()) return rp.error();
  out["return_point"] = rp.value().empty() ? Json(nullptr) : Json(rp.value());
  return out;
}

Result<Json> patch(const Json& req, const BlobExists& blob_exists) {
  if (!req.is_object()) return make_error("wrong_type", "the request body must be a JSON object", "");
  for (const char* fixed : {"procedure_code", "channel", "fees"})
    if (req.contains(fixed))
      return make_error("invalid_value",
                        std::string(fixed) + " cannot be changed after intake (cancel and take a new dossier in)", fixed);
  Status s = only_known(req, {"applicant", "postal", "form", "attachments", "return_point"}, "");
  if (!s.ok()) return s.error();
  if (req.empty()) return make_error("missing_field", "nothing to update: give at least one field", "");
  Json out = Json::object();
  if (req.contains("applicant")) {
    auto a = applicant(req["applicant"], "applicant", true);
    if (!a.ok()) return a.error();
    if (a.value().empty()) return make_error("missing_field", "applicant has no field to update", "applicant");
    out["applicant"] = a.value();
  }
  if (req.contains("postal")) {
    auto p = postal(req["postal"], "postal", true);
    if (!p.ok()) return p.error();
    if (p.value().empty()) return make_error("missing_field", "postal has no field to update", "postal");
    out["postal"] = p.value();
  }
  if (req.contains("form")) {
    auto f = form_data(req["form"], "form");
    if (!f.ok()) return f.error();
    if (f.value().empty()) return make_error("missing_field", "form has no field to update", "form");
    out["form"] = f.value();
  }
  if (req.contains("attachments")) {
    auto at = attachments(req["attachments"], "attachments", blob_exists);
    if (!at.ok()) return at.error();
    out["attachments"] = at.value();
  }
  if (req.contains("return_point")) {
    auto rp = text(req, "return_point", "", true, 200);
    if (!rp.ok()) return rp.error();
    out["return_point"] = rp.value();
  }
  return out;
}

Result<Json> act_body(const std::string& action, const Json& body_in, const BlobExists& blob_exists) {
  const Json body = body_in.is_null() ? Json::object() : body_in;
  if (!body.is_object()) return make_error("wrong_type", "the request body must be a JSON object", "");
  std::set<std::string> allowed = {"note"};
  bool reason_required = false;
  for (const char* a : {"cancel", "reject", "withdraw-request", "stop", "apologize", "delivery-failed"})
    if (action == a) reason_required = true;
  for (const char* a : {"cancel", "reject", "withdraw-request", "stop", "apologize", "delivery-failed",
                        "request-supplement", "request-fees"})
    if (action == a) allowed.insert("reason");
  if (action == "request-supplement") allowed.insert("missing");
  if (action == "supplement") allowed.insert("attachments");
  if (action == "request-fees") allowed.insert("amount_vnd");
  if (action == "fees") allowed.insert({"amount_vnd", "receipt_no"});
  if (action == "apologize") allowed.insert("new_due_at");
  if (action == "handover") allowed.insert({"recipient", "place", "address"});
  if (action == "delivery-failed") allowed.insert("address");
  Status s = only_known(body, allowed, "");
  if (!s.ok()) return s.error();

  Json out = Json::object();
  auto note = text(body, "note", "", false);
  if (!note.ok()) return note.error();
  if (!note.value().empty()) out["note"] = note.value();
  if (allowed.count("reason")) {
    auto r = text(body, "reason", "", reason_required);
    if (!r.ok()) return r.error();
    if (!r.value().empty()) out["reason"] = r.value();
  }
  if (action == "request-supplement") {
    if (!body.contains("missing") || body["missing"].is_null())
      return make_error("missing_field", "missing (the documents the citizen must add) is required", "missing");
    const Json& m = body["missing"];
    if (!m.is_array()) return make_error("wrong_type", "missing must be an array of strings", "missing");
    if (m.empty()) return make_error("invalid_value", "missing must name at least one document", "missing");
    Json list = Json::array();
    for (size_t i = 0; i < m.size(); ++i) {
      Json holder{{"x", m[i]}};
      auto t = text(holder, "x", "", true);
      if (!t.ok()) {
        Error e = t.error();
        e.field = "missing[" + std::to_string(i) + "]";
        e.message = e.field + (e.code == "wrong_type" ? " must be a string" : " must not be empty");
        return e;
      }
      list.push_back(t.value());
    }
    out["missing"] = list;
  }
  if (action == "supplement" && body.contains("attachments") && !body["attachments"].is_null()) {
    auto at = attachments(body["attachments"], "attachments", blob_exists);
    if (!at.ok()) return at.error();
    out["attachments"] = at.value();
  }
  if (action == "request-fees" || action == "fees") {
    auto a = amount(body, "amount_vnd", "", true, action == "fees" ? 0 : 1);
    if (!a.ok()) return a.error();
    out["amount_vnd"] = a.value();
  }
  if (action == "fees") {
    auto r = text(body, "receipt_no", "", true, 100);
    if (!r.ok()) return r.error();
    out["receipt_no"] = r.value();
  }
  if (action == "apologize") {
    auto t = text(body, "new_due_at", "", true, 40);
    if (!t.ok()) return t.error();
    auto ms = cal::parse_iso(t.value());
    if (!ms) return make_error("invalid_value", "new_due_at must be an ISO-8601 instant such as 2025-07-08T10:00:00Z", "new_due_at");
    out["new_due_at"] = cal::iso_utc(*ms);
  }
  if (action == "handover") {
    if (!body.contains("recipient") || body["recipient"].is_null())
      return make_error("missing_field", "recipient is required", "recipient");
    const Json& r = body["recipient"];
    s = need_object(r, "recipient");
    if (!s.ok()) return s.error();
    s = only_known(r, {"full_name", "cccd", "relation", "authorization"}, "recipient");
    if (!s.ok()) return s.error();
    Json rec = Json::object();
    auto n = text(r, "full_name", "recipient", true, 200);
    if (!n.ok()) return n.error();
    rec["full_name"] = n.value();
    if (!r.contains("cccd") || r["cccd"].is_null())
      return make_error("missing_field", "recipient.cccd is required", "recipient.cccd");
    s = check_cccd(r["cccd"], "recipient.cccd");
    if (!s.ok()) return s.error();
    rec["cccd"] = r["cccd"];
    for (const char* k : {"relation", "authorization"}) {
      auto t = text(r, k, "recipient", false, k == std::string("relation") ? 200 : 500);
      if (!t.ok()) return t.error();
      rec[k] = t.value().empty() ? Json(nullptr) : Json(t.value());
    }
    // The authorisation document: a text reference (number and date of the
    // paper) or the id of its uploaded scan, which then travels with the
    // dossier like any attachment (sync finds ids under "attachments").
    if (rec["authorization"].is_string() && is_hex64(rec["authorization"].get<std::string>())) {
      const std::string id = rec["authorization"].get<std::string>();
      if (blob_exists && !blob_exists(id))
        return make_error("invalid_value",
                          "recipient.authorization: no stored attachment has this id (upload the scan first, or "
                          "give the number and date of the authorisation instead)",
                          "recipient.authorization");
      out["attachments"] = Json::array({id});
    }
    out["recipient"] = rec;
    auto p = text(body, "place", "", true, 500);
    if (!p.ok()) return p.error();
    out["place"] = p.value();
  }
  if (allowed.count("address")) {
    auto a = text(body, "address", "", false);
    if (!a.ok()) return a.error();
    if (!a.value().empty()) out["address"] = a.value();
  }
  return out;
}

Status handover_recipient(const Json& handover, const Json& applicant) {
  const Json& rec = handover.value("recipient", Json::object());
  const Json& theirs = applicant.is_object() ? applicant.value("cccd", Json()) : Json();
  if (!theirs.is_string() || rec.value("cccd", Json()) == theirs) return ok_status();
  if (!rec.value("relation", Json()).is_string())
    return make_error("missing_field",
                      "recipient.relation is required: the recipient (CCCD " + rec.value("cccd", std::string()) +
                          ") is not the applicant",
                      "recipient.relation");
  if (!rec.value("authorization", Json()).is_string())
    return make_error("missing_field",
                      "recipient.authorization is required: the recipient is not the applicant (give the "
                      "authorisation's number and date, or the id of its uploaded scan)",
                      "recipient.authorization");
  return ok_status();
}

Result<Json> resolution(const Json& body) {
  if (!body.is_object()) return make_error("wrong_type", "the request body must be a JSON object", "");
  Status s = only_known(body, {"decision", "note"}, "");
  if (!s.ok()) return s.error();
  auto d = text(body, "decision", "", true);
  if (!d.ok()) return d.error();
  auto n = text(body, "note", "", false);
  if (!n.ok()) return n.error();
  Json out{{"decision", d.value()}};
  if (!n.value().empty()) out["note"] = n.value();
  return out;
}

}  // namespace motcua::node::valid

namespace motcua::node {

Result<Json> parse_cccd_qr(const std::string& raw) {
  auto bad = [](const std::string& why) { return make_error("invalid_value", "not a CCCD QR text: " + why, "qr"); };
  if (!is_valid_utf8(raw)) return bad("not valid UTF-8");
  std::string text = to_nfc(raw);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t bar = text.find('|'); ; bar = text.find('|', start)) {
    parts.push_back(text.substr(start, bar == std::string::npos ? std::string::npos : bar - start));
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  if (parts.size() < 6) return bad("expected 7 fields separated by |");
  for (auto& p : parts) {
    size_t b = p.find_first_not_of(' '), e = p.find_last_not_of(' ');
    p = b == std::string::npos ? std::string() : p.substr(b, e - b + 1);
  }
  Status c = valid::check_cccd(Json(parts[0]), "qr");
  if (!c.ok()) return bad(c.error().message);
  auto date = [](const std::string& d) -> std::optional<std::string> {
    if (d.size() != 8 || d.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    std::string iso = d.substr(4, 4) + "-" + d.substr(2, 2) + "-" + d.substr(0, 2);
    if (!cal::parse_date(iso)) return std::nullopt;
    return iso;
  };
  auto dob = date(parts[3]);
  if (!dob) return bad("date of birth must be ddmmyyyy");
  if (parts[2].empty()) return bad("the name is empty");
  Json out{{"cccd", parts[0]}, {"old_id", parts[1].empty() ? Json(nullptr) : Json(parts[1])},
           {"full_name", parts[2]}, {"date_of_birth", *dob}, {"sex", parts[4]}, {"address", parts[5]},
           {"issued_on", nullptr}};
  if (parts.size() > 6)
    if (auto issued = date(parts[6])) out["issued_on"] = *issued;
  return out;
}

}  // namespace motcua::node
