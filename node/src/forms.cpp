// The data of Mẫu 02-06 (TT 01/2018/TT-VPCP) from dossier projections and the
// journal. docs/design/0053-forms-and-period-report.md
#include "motcua/node/forms.hpp"

#include <algorithm>
#include <climits>
#include <set>

#include "calendar.hpp"
#include "forms_impl.hpp"
#include "motcua/node/dossiers.hpp"
#include "motcua/node/journal.hpp"
#include "motcua/node/node.hpp"
#include "motcua/node/vn_time.hpp"
#include "motcua/schema/database.hpp"

namespace motcua::node {

namespace forms_impl {

std::optional<int64_t> ms_of(const Json& iso) {
  if (!iso.is_string()) return std::nullopt;
  return cal::parse_iso(iso.get<std::string>());
}

std::optional<int64_t> Facts::due_at(int64_t t) const {
  std::optional<int64_t> due;
  for (const auto& [since, d] : dues)
    if (since <= t || !due) due = d;  // the first one holds from receipt
  return due;
}

bool Facts::paused_at(int64_t t) const {
  for (const auto& [from, until] : pauses)
    if (from <= t && t < until) return true;
  return false;
}

namespace {
std::optional<int64_t> ms_str(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return cal::parse_iso(s);
}
const Json& at_key(const Json& j, const char* k) {
  static const Json null_json;
  if (!j.is_object()) return null_json;
  auto it = j.find(k);
  return it == j.end() ? null_json : *it;
}
std::string str_at(const Json& j, const char* k) {
  const Json& v = at_key(j, k);
  return v.is_string() ? v.get<std::string>() : std::string();
}
}  // namespace

Facts facts_of(const std::string& received_at, const std::string& result_ready_at, const std::string& handed_over_at,
               const std::string& refused_at, const std::string& cancelled_at, const std::string& stopped_at,
               bool withdrawal_requested, const Json& due_history, const Json& pauses, const std::string& paused_since) {
  Facts f;
  f.received_ms = ms_str(received_at).value_or(0);
  auto close = [&](Closure c, const std::string& at) {
    auto ms = ms_str(at);
    if (!ms || f.closure != Closure::Open) return;
    f.closure = c;
    f.closed_ms = std::max(*ms, f.received_ms);
  };
  if (!result_ready_at.empty()) close(Closure::Settled, result_ready_at);
  if (!handed_over_at.empty()) close(Closure::Settled, handed_over_at);
  close(Closure::Refused, refused_at);
  close(Closure::Withdrawn, cancelled_at);
  close(withdrawal_requested ? Closure::Withdrawn : Closure::Refused, stopped_at);
  if (due_history.is_array())
    for (const auto& d : due_history) {
      if (str_at(d, "kind") == "apology") continue;
      auto due = ms_of(at_key(d, "due_at"));
      if (!due) continue;
      f.dues.emplace_back(ms_of(at_key(d, "at")).value_or(f.received_ms), *due);
    }
  if (pauses.is_array())
    for (const auto& p : pauses) {
      auto from = ms_of(at_key(p, "from")), until = ms_of(at_key(p, "until"));
      if (from && until) f.pauses.emplace_back(*from, *until);
    }
  if (auto since = ms_str(paused_since)) f.pauses.emplace_back(*since, INT64_MAX);
  return f;
}

Facts facts_of(const Json& s) {
  const Json& handovers = at_key(s, "handovers");
  std::string handed;
  if (handovers.is_array() && !handovers.empty()) handed = str_at(handovers[0], "at");
  return facts_of(str_at(s, "received_at"), str_at(s, "result_ready_at"), handed, str_at(at_key(s, "refusal"), "at"),
                  str_at(at_key(s, "cancelled"), "at"), str_at(at_key(s, "stop"), "at"),
                  at_key(s, "withdrawal").is_object(), at_key(s, "due_history"), at_key(s, "pauses"),
                  str_at(at_key(s, "paused"), "since"));
}

std::string display_name(Node& node, const std::string& username) {
  // Older user stores have no full_name column: then the login name is shown.
  try {
    SQLite::Statement q(*node.db(), "SELECT full_name FROM users WHERE username = ?");
    q.bind(1, username);
    if (q.executeStep() && !q.getColumn(0).isNull()) {
      std::string n = q.getColumn(0).getString();
      if (!n.empty()) return n;
    }
  } catch (const std::exception&) {
  }
  return username;
}

}  // namespace forms_impl

using namespace forms_impl;

Json place_names(Node& node) {
  std::string agency = node.config().get("agency_name");
  if (agency.empty()) agency = node.name();
  std::string place = node.config().get("place_name");
  if (place.empty()) place = agency;
  return Json{{"place_name", place}, {"agency_name", agency}};
}

namespace {

// The agency a dossier names by its code, as a form prints it: this node's
// agency name when the code is this node's (config agency_name), else the
// code (the node has no table of other agencies' names).
std::string agency_label(Node& node, const std::string& code) {
  if (code.empty() || code != node.meta("agency_code")) return code;
  const std::string name = node.config().get("agency_name");
  return name.empty() ? code : name + " (" + code + ")";
}

}  // namespace

std::string timing(int64_t done_ms, int64_t due_ms) {
  if (done_ms > due_ms) return "late";
  return cal::vn_day(done_ms) < cal::vn_day(due_ms) ? "early" : "on_time";
}

Result<Period> parse_period(const std::string& from, const std::string& to) {
  auto day = [](const std::string& s) -> std::optional<int64_t> {
    if (s.size() != 10) return std::nullopt;
    return cal::parse_date(s);
  };
  auto a = day(from);
  if (!a) return make_error("invalid_value", "from must be a date YYYY-MM-DD", "from");
  auto b = day(to);
  if (!b) return make_error("invalid_value", "to must be a date YYYY-MM-DD", "to");
  if (*a > *b) return make_error("invalid_value", "from must not be after to", "from");
  if (*b - *a > 366 * 5) return make_error("invalid_value", "the period must not be longer than five years", "to");
  return Period{cal::vn_instant(*a, 0), cal::vn_instant(*b + 1, 0), from, to};
}

namespace {

std::string user_of(const Json& state, Node& node, const std::string& username) {
  if (state.value("created_by", Json(nullptr)) == Json(username) && state.contains("received_by_name") &&
      state["received_by_name"].is_string() && !state["received_by_name"].get<std::string>().empty())
    return state["received_by_name"].get<std::string>();
  return display_name(node, username);
}

const char* act_name(const std::string& type) {
  if (type == events::kSubmitted) return "Tiếp nhận hồ sơ";
  if (type == events::kAccepted) return "Chuyển hồ sơ đến cơ quan giải quyết";
  if (type == events::kRejected) return "Từ chối tiếp nhận hồ sơ";
  if (type == events::kSupplementRequested) return "Yêu cầu bổ sung, hoàn thiện hồ sơ";
  if (type == events::kSupplementSupplied) return "Nhận hồ sơ bổ sung";
  if (type == events::kProcessingStarted) return "Xử lý hồ sơ";
  if (type == events::kFeesRequested) return "Yêu cầu thực hiện nghĩa vụ tài chính";
  if (type == events::kFeesCollected) return "Thu phí, lệ phí";
  if (type == events::kWithdrawalRequested) return "Công dân yêu cầu rút hồ sơ";
  if (type == events::kStopped) return "Dừng xử lý hồ sơ";
  if (type == events::kResultReady) return "Chuyển kết quả về Bộ phận tiếp nhận và trả kết quả";
  if (type == events::kHandedOver) return "Trả kết quả cho cá nhân, tổ chức";
  if (type == events::kDeliveryFailed) return "Phát kết quả không thành công";
  if (type == events::kCancelled) return "Hủy hồ sơ";
  return nullptr;
}

Json legs(Node& node, const Json& state, const std::string& code) {
  std::set<std::string> skipped;
  for (const char* k : {"superseded", "not_applied"})
    if (state.contains(k) && state[k].is_array())
      for (const auto& x : state[k]) skipped.insert(x.value("entry", ""));
  const Facts f = facts_of(state);
  const std::string applicant = state.value("applicant", Json::object()).value("full_name", "");
  Json out = Json::array();
  std::string holder = applicant;
  for (const Entry& e : node.journal().subject_entries(code)) {
    if (skipped.count(to_hex(e.id))) continue;
    const char* act = act_name(e.type);
    if (!act) continue;
    std::string who = user_of(state, node, e.user);
    std::string giver = holder, receiver = who;
    if (e.type == events::kHandedOver) {
      giver = who;
      const Json& r = e.body.is_object() ? e.body.value("recipient", Json::object()) : Json::object();
      receiver = r.is_object() ? r.value("full_name", applicant) : applicant;
    }
    if (!out.empty() && out.back()["done_at"].is_null()) out.back()["done_at"] = cal::iso_utc(e.wall_ms);
    Json leg{{"step", out.size() + 1}, {"act", act},  {"type", e.type}, {"giver", giver},
             {"receiver", receiver},   {"received_at", cal::iso_utc(e.wall_ms)}, {"due_at", nullptr},
             {"done_at", nullptr},     {"timing", ""}};
    if (e.type == events::kHandedOver || e.type == events::kRejected || e.type == events::kCancelled ||
        e.type == events::kStopped)
      leg["done_at"] = leg["received_at"];
    out.push_back(leg);
    holder = receiver;
  }
  for (auto& leg : out) {
    auto received = ms_of(leg["received_at"]);
    auto due = f.due_at(received.value_or(0));
    if (due) leg["due_at"] = cal::iso_utc(*due);
    if (auto done = ms_of(leg["done_at"]); done && due) leg["timing"] = timing(*done, *due);
  }
  return out;
}

}  // namespace

Result<Json> form_data(Node& node, const std::string& code, const std::string& form) try {
  if (form != "02" && form != "03" && form != "04" && form != "05")
    return make_error("invalid_value", "form must be 02, 03, 04 or 05", "form");
  std::lock_guard<std::recursive_mutex> g(node.journal().mutex());
  auto st = node.journal().subject_state(code);
  if (!st || st->value("kind", "") != "dossier") return make_error("not_found", "no dossier with code " + code, "code");
  Json s = std::move(*st);
  s.erase("search_key");
  Json out = place_names(node);
  out["form"] = form;
  out["agency_label"] = agency_label(node, s.value("agency_code", ""));
  auto named = [&](Json x) {
    x["by_name"] = user_of(s, node, x.value("by", ""));
    return x;
  };
  if (form == "02") {
    const Json& reqs = s.value("supplement_requests", Json::array());
    if (!reqs.is_array() || reqs.empty())
      return make_error("form_not_applicable", "Mẫu 02: no supplement was requested for dossier " + code, "form");
    out["request"] = named(reqs.back());
  } else if (form == "03") {
    if (s["refusal"].is_object()) {
      out["refusal"] = named(s["refusal"]);
      out["refusal"]["stage"] = "reception";
    } else if (s["stop"].is_object() && !s["withdrawal"].is_object()) {
      out["refusal"] = named(s["stop"]);
      out["refusal"]["stage"] = "processing";
    } else {
      return make_error("form_not_applicable", "Mẫu 03: dossier " + code + " was not refused", "form");
    }
  } else if (form == "04") {
    const Json& hist = s.value("due_history", Json::array());
    long last = -1;
    for (size_t i = 0; i < hist.size(); ++i)
      if (hist[i].value("kind", "") == "apology") last = static_cast<long>(i);
    if (last < 0)
      return make_error("form_not_applicable", "Mẫu 04: no apology with a new date was recorded for dossier " + code, "form");
    const Json& apology = hist[static_cast<size_t>(last)];
    Json before = last > 0 ? hist[static_cast<size_t>(last - 1)].value("due_at", Json(nullptr)) : Json(nullptr);
    out["apology"] = named(Json{{"at", apology.value("at", Json(nullptr))},
                                {"by", apology.value("by", "")},
                                {"reason", apology.value("reason", "")},
                                {"new_due_at", apology.value("due_at", Json(nullptr))},
                                {"old_due_at", before}});
  } else {
    out["legs"] = legs(node, s, code);
  }
  out["dossier"] = std::move(s);
  return out;
} catch (const std::runtime_error&) {
  return current_exception_error();
}

Result<Json> tracking_book(Node& node, const Period& p, const std::string& agency) try {
  std::lock_guard<std::recursive_mutex> g(node.journal().mutex());
  SQLite::Statement q(*node.db(),
                      "SELECT d.code, p.state FROM dossier_index d JOIN projection p ON p.subject = d.code "
                      "WHERE d.received_at >= ? AND d.received_at < ? ORDER BY d.received_at, d.code");
  q.bind(1, cal::iso_utc(p.start_ms));
  q.bind(2, cal::iso_utc(p.end_ms));
  Json rows = Json::array();
  while (q.executeStep()) {
    Json s = Json::parse(q.getColumn(1).getString(), nullptr, false);
    if (!s.is_object()) continue;
    if (!agency.empty() && s.value("agency_code", Json("")) != Json(agency) && s.value("origin_point", Json("")) != Json(agency))
      continue;
    const Json applicant = s.value("applicant", Json::object());
    const Json handovers = s.value("handovers", Json::array());
    Json first_handover = handovers.is_array() && !handovers.empty() ? handovers[0] : Json(nullptr);
    std::string note;
    if (s["cancelled"].is_object()) note = "Đã hủy: " + s["cancelled"].value("reason", "");
    else if (s["refusal"].is_object()) note = "Từ chối: " + s["refusal"].value("reason", "");
    else if (s["stop"].is_object()) note = "Dừng xử lý: " + s["stop"].value("reason", "");
    else if (s["paused"].is_object()) note = s.value("status_name", "");
    Json due_hist = s.value("due_history", Json::array());
    for (const auto& d : due_hist)
      if (d.value("kind", "") == "apology" && d["due_at"].is_string())
        note += std::string(note.empty() ? "" : "; ") + "Hẹn lại: " + vn_datetime(d["due_at"].get<std::string>());
    Json recipient = first_handover.is_object() ? first_handover.value("recipient", Json::object()) : Json::object();
    rows.push_back(Json{{"no", rows.size() + 1},
                        {"code", s["code"]},
                        {"receipt_book", s.value("receipt_book", Json(nullptr))},
                        {"receipt_seq", s.value("receipt_seq", Json(nullptr))},
                        {"procedure_name", s.value("procedure_name", Json(""))},
                        {"sets", s.value("sets", Json(1))},
                        {"applicant_name", applicant.value("full_name", "")},
                        {"applicant_address", applicant.value("address", "")},
                        {"applicant_phone", applicant.value("phone", "")},
                        {"agency_code", s.value("agency_code", Json(""))},
                        {"agency_label", agency_label(node, s.value("agency_code", ""))},
                        {"received_at", s.value("received_at", Json(nullptr))},
                        {"due_at", due_hist.is_array() && !due_hist.empty() ? due_hist[0].value("due_at", Json(nullptr)) : Json(nullptr)},
                        {"transferred_at", s.value("accepted_at", Json(nullptr))},
                        {"result_received_at", s.value("result_ready_at", Json(nullptr))},
                        {"returned_at", first_handover.is_object() ? first_handover.value("at", Json(nullptr)) : Json(nullptr)},
                        {"recipient_name", recipient.is_object() ? recipient.value("full_name", "") : ""},
                        {"status_name", s.value("status_name", Json(""))},
                        {"note", note}});
  }
  Json out = place_names(node);
  out["from"] = p.from;
  out["to"] = p.to;
  out["agency"] = agency;
  out["rows"] = std::move(rows);
  return out;
} catch (const std::runtime_error&) {
  return current_exception_error();
}

}  // namespace motcua::node
