// DossierService: intake, edits and acts, each one signed journal entry.
#include <filesystem>
#include <map>
#include <set>

#include "calendar.hpp"
#include "codes.hpp"
#include "dossier_rules.hpp"
#include "dossier_service_impl.hpp"
#include "motcua/node/forms.hpp"
#include "motcua/node/vn_time.hpp"
#include "motcua/schema/columns.hpp"
#include "motcua/node/catalogue.hpp"
#include "motcua/schema/database.hpp"
#include "procedures.hpp"
#include "reference_data.hpp"
#include "validation.hpp"

namespace motcua::node {

namespace {

cal::DueRule due_rule(Node& node) {
  cal::DueRule r;
  r.cutoff_hour = static_cast<int>(node.config().get_int("cutoff_hour"));
  r.due_hour = static_cast<int>(node.config().get_int("due_hour"));
  if (r.due_hour <= 0 || r.due_hour > 23) r.due_hour = 17;
  return r;
}

bool unfinished(int status) {
  return status == rules::kNew || status == rules::kAccepted || status == rules::kProcessing ||
         status == rules::kSupplement || status == rules::kFees || status == rules::kWithdrawal;
}

// "an admin", "an officer", "a clerk", "a postal worker".
std::string role_with_article(UserRole r) {
  switch (r) {
    case UserRole::Admin: return "an admin";
    case UserRole::Officer: return "an officer";
    case UserRole::Postal: return "a postal worker";
    case UserRole::Clerk: return "a clerk";
  }
  return "a " + user_role_name(r);
}

// Mẫu 01's "Quyển số" and "Số thứ tự": the book is the Vietnam-time year of
// receipt, the number the nth dossier this node (point) took in that year.
// Read from this node's own last intake (one index step back along its
// chain); the caller holds the journal lock, so intakes are numbered in turn.
std::pair<int, int> next_receipt_number(Node& node, int64_t now) {
  const int year = vn_time(now).year;
  auto& db = *node.db();
  const auto& pk = node.keys().pk;
  SQLite::Statement last(db,
                         "SELECT canonical, sig FROM journal WHERE author = ? AND type = ? ORDER BY seq DESC LIMIT 1");
  last.bind(1, pk.data(), static_cast<int>(pk.size()));
  last.bind(2, events::kSubmitted);
  if (!last.executeStep()) return {year, 1};
  auto e = parse_entry_unverified(schema::blob_string(last.getColumn(0)), schema::blob_array<64>(last.getColumn(1)));
  if (e.ok()) {
    const Json& b = e.value().body;
    if (b.contains("receipt_book") && b["receipt_book"].is_number_integer() && b.contains("receipt_seq") &&
        b["receipt_seq"].is_number_integer())
      return {year, b["receipt_book"].get<int>() == year ? b["receipt_seq"].get<int>() + 1 : 1};
  }
  // Intakes written before receipt numbers existed: count this year's.
  const int64_t start = cal::vn_instant(cal::days_from_civil(year, 1, 1), 0);
  SQLite::Statement count(db, "SELECT COUNT(*) FROM journal WHERE author = ? AND type = ? AND hlc_ms >= ?");
  count.bind(1, pk.data(), static_cast<int>(pk.size()));
  count.bind(2, events::kSubmitted);
  count.bind(3, static_cast<int64_t>(start));
  count.executeStep();
  return {year, count.getColumn(0).getInt() + 1};
}

// The documents handed in, checked against the procedure's list: each name
// must be one of its documents (matched like the search, stored as the
// catalogue spells it) and every mandatory one must be there.
Result<Json> documents_against(const Json& handed_in, const Json& procedure) {
  const Json& listed = procedure["documents"];
  std::map<std::string, std::string> by_key;
  for (const auto& d : listed) by_key.emplace(procs::search_fold(d["name"].get<std::string>()), d["name"].get<std::string>());
  Json out = Json::array();
  std::set<std::string> given;
  for (size_t i = 0; i < handed_in.size(); ++i) {
    Json d = handed_in[i];
    auto it = by_key.find(procs::search_fold(d["name"].get<std::string>()));
    if (it == by_key.end())
      return make_error("invalid_value",
                        "'" + d["name"].get<std::string>() + "' is not a document of " + procedure["name"].get<std::string>() +
                            " (see GET /api/v1/procedures/" + procedure["code"].get<std::string>() + ")",
                        "documents[" + std::to_string(i) + "].name");
    d["name"] = it->second;
    given.insert(it->second);
    out.push_back(std::move(d));
  }
  std::string missing;
  for (const auto& d : listed)
    if (d["mandatory"].get<bool>() && !given.count(d["name"].get<std::string>()))
      missing += (missing.empty() ? "" : "; ") + d["name"].get<std::string>();
  if (!missing.empty())
    return make_error("missing_document", "mandatory document not handed in: " + missing, "documents");
  return out;
}

Error unknown_point(const std::string& name) {
  return make_error("invalid_value",
                    "return_point '" + name + "' is not a point of this hub known here (see GET /api/v1/points/known)",
                    "return_point");
}

}  // namespace

Status DossierService::Impl::ready() try {
  if (seeded) return ok_status();
  Status s = seed_reference_data(node);
  if (s.ok()) seeded = true;
  return s;
} catch (const std::runtime_error&) {
  return current_exception_error();
}

bool DossierService::Impl::blob_exists(const std::string& id) {
  std::lock_guard<std::recursive_mutex> g(node.journal().mutex());
  auto& db = *node.db();
  SQLite::Statement t(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'blobs'");
  if (t.executeStep()) {
    SQLite::Statement q(db, "SELECT 1 FROM blobs WHERE id = ?");
    q.bind(1, id);
    return q.executeStep();
  }
  std::error_code ec;
  return std::filesystem::exists(std::filesystem::path(node.data_dir()) / "blobs" / id.substr(0, 2) / id.substr(2), ec);
}

Result<Json> DossierService::Impl::state(const std::string& code) try {
  auto s = node.journal().subject_state(code);
  if (!s || s->value("kind", "") != "dossier")
    return make_error("not_found", "no dossier with code " + code, "code");
  return std::move(*s);
} catch (const std::runtime_error&) {
  return current_exception_error();
}

Json DossierService::Impl::view(Json s) {
  s.erase("search_key");
  const std::string code = s.value("code", "");
  bool overdue = false;
  if (s["due_at"].is_string() && unfinished(s.value("status", 0)) && s["cancelled"].is_null() && s["paused"].is_null()) {
    auto due = cal::parse_iso(s["due_at"].get<std::string>());
    overdue = due && *due < now();
  }
  s["overdue"] = overdue;
  return s;
}

DossierService::DossierService(Node& node) : impl_(std::make_unique<Impl>(node)) { (void)impl_->ready(); }
DossierService::~DossierService() = default;

Result<Json> DossierService::intake(const Actor& who, const Json& request) try {
  if (who.role != UserRole::Clerk && who.role != UserRole::Postal)
    return make_error("forbidden", "only a clerk or a postal worker takes dossiers in");
  Status r = impl_->ready();
  if (!r.ok()) return r.error();
  // A point whose key the hub revoked takes nothing in (codes::mint checks it too).
  if (!impl_->node.meta("revoked_at").empty())
    return make_error("point_revoked", "this point's key was revoked at the hub (" + impl_->node.meta("revoked_at") +
                                           "); it takes no more dossiers in");
  Json req = request;
  int sets = 1;
  if (req.is_object() && req.contains("sets")) {
    if (!req["sets"].is_number_integer()) return make_error("wrong_type", "sets must be a whole number", "sets");
    sets = req["sets"].get<int>();
    if (sets < 1 || sets > 20) return make_error("invalid_value", "sets must be 1..20", "sets");
    req.erase("sets");
  }
  auto v = valid::intake(req, [&](const std::string& id) { return impl_->blob_exists(id); });
  if (!v.ok()) return v.error();
  Json body = std::move(v.value());
  Node& node = impl_->node;
  auto recorded = [&]() -> Result<Json> {
    // One intake at a time: the number minted below is used by the append.
    std::lock_guard<std::recursive_mutex> g(node.journal().mutex());
    auto proc = procs::find(*node.db(), body["procedure_code"].get<std::string>());
    if (!proc)
      return make_error("unknown_procedure", "no procedure with code " + body["procedure_code"].get<std::string>() +
                                                 " in the catalogue", "procedure_code");
    auto handed_in = documents_against(body["documents"], *proc);
    if (!handed_in.ok()) return handed_in.error();
    if (body["return_point"].is_string()) {
      auto known = is_known_point(node, body["return_point"].get<std::string>());
      if (!known.ok()) return known.error();
      if (!*known) return unknown_point(body["return_point"].get<std::string>());
    }
    const int64_t now = impl_->now();
    auto code = codes::mint(node, now);
    if (!code.ok()) return code.error();
    body["procedure_name"] = (*proc)["name"];
    body["procedure_field"] = (*proc)["field"];
    body["processing_days"] = (*proc)["processing_days"];
    body["fee_vnd"] = (*proc)["fee_vnd"];
    body["documents"] = handed_in.value();
    body["sets"] = sets;
    body["agency_code"] = node.meta("agency_code");
    body["origin_point"] = node.name();
    body["area"] = node.meta("area");
    if (body["return_point"].is_null()) body["return_point"] = node.name();
    body["received_at"] = cal::iso_utc(now);
    body["due_at"] = nullptr;
    if ((*proc)["processing_days"].is_number_integer()) {
      auto calendar = cal::load_calendar(*node.db());
      body["due_at"] = cal::iso_utc(calendar.due(now, (*proc)["processing_days"].get<int>(), due_rule(node)));
    }
    body["role"] = user_role_name(who.role);
    body["received_by_name"] = who.full_name.empty() ? who.username : who.full_name;
    const auto [book, seq] = next_receipt_number(node, now);
    body["receipt_book"] = book;
    body["receipt_seq"] = seq;
    auto e = node.journal().append(EntryDraft{who.username, events::kSubmitted, code.value(), body},
                                   Journal::Commit::Deferred);
    if (!e.ok()) return e.error();
    return Json{{"code", code.value()},
                {"receipt_book", book},
                {"receipt_seq", seq},
                {"status", rules::kNew},
                {"status_name", rules::status_name(rules::kNew)},
                {"received_at", body["received_at"]},
                {"due_at", body["due_at"]}};
  }();
  if (!recorded.ok()) return recorded;
  // On disk before the clerk sees the code: concurrent intakes share the flush.
  Status durable = node.journal().make_durable();
  if (!durable.ok()) return durable.error();
  return recorded;
} catch (const std::runtime_error&) {
  return current_exception_error();
}

Result<Json> DossierService::update(const Actor& who, const std::string& code, const Json& patch) {
  return act(who, code, "update", patch);
}

Result<Json> DossierService::act(const Actor& who, const std::string& code, const std::string& action, const Json& body) try {
  const rules::ActRule* rule = rules::rule_for_action(action);
  if (!rule) return make_error("not_found", "unknown action '" + action + "'", "action");
  if (!rules::role_allowed(*rule, who.role))
    return make_error("forbidden", "the action '" + action + "' is not allowed for " + role_with_article(who.role));
  Node& node = impl_->node;
  // A point restored from a backup signs nothing until it has its own chain
  // back from the hub: any entry now would fork it (docs/design/0094).
  if (node.meta("restoring") == "1")
    return make_error("point_restoring", "this point's data was restored from an older copy and is fetching its own "
                                         "records back from the hub; nothing can be recorded until that is done "
                                         "(sync with the hub)");
  Status recorded = [&]() -> Status {
    std::lock_guard<std::recursive_mutex> g(node.journal().mutex());
    auto st = impl_->state(code);
    if (!st.ok()) return st.error();
    const Json& s = st.value();
    const int status = s.value("status", 0);
    const bool cancelled = !s["cancelled"].is_null();
    if (!rules::status_allows(*rule, status, s.value("accepted", false), cancelled)) {
      std::string why = rules::describe_status(status, cancelled);
      if (rule->acceptance == rules::Acceptance::BeforeOnly && s.value("accepted", false))
        why += "; it was accepted, so it can no longer be " + std::string(action == "update" ? "updated" : action == "cancel" ? "cancelled" : "changed this way") +
               " (the citizen may ask to withdraw)";
      if (rule->acceptance == rules::Acceptance::AfterOnly && !s.value("accepted", false) && !cancelled)
        why += "; it has not been accepted yet, so the citizen may simply cancel it";
      return make_error("invalid_transition", "cannot " + action + ": " + why, "status");
    }
    auto blob = [&](const std::string& id) { return impl_->blob_exists(id); };
    Json out;
    if (action == "update") {
      auto p = valid::patch(body, blob);
      if (!p.ok()) return p.error();
      if (p.value().contains("return_point")) {
        auto known = is_known_point(node, p.value()["return_point"].get<std::string>());
        if (!known.ok()) return known.error();
        if (!*known) return unknown_point(p.value()["return_point"].get<std::string>());
      }
      out = Json{{"changes", p.value()}};
    } else {
      auto b = valid::act_body(action, body, blob);
      if (!b.ok()) return b.error();
      out = std::move(b.value());
    }
    if (action == "handover") {
      Status who_took_it = valid::handover_recipient(out, s.value("applicant", Json::object()));
      if (!who_took_it.ok()) return who_took_it.error();
    }
    const int64_t now = impl_->now();
    if (action == "apologize") {
      auto new_due = cal::parse_iso(out["new_due_at"].get<std::string>());
      auto old_due = s["due_at"].is_string() ? cal::parse_iso(s["due_at"].get<std::string>()) : std::nullopt;
      if (old_due && new_due && *new_due <= *old_due)
        return make_error("invalid_value", "new_due_at must be later than the current due date " + s["due_at"].get<std::string>(), "new_due_at");
      if (new_due && *new_due <= now)
        return make_error("invalid_value", "new_due_at must be in the future", "new_due_at");
    }
    // The citizen's act ends a wait: the due date moves by the working days spent waiting.
    bool resumes = (action == "supplement" && status == rules::kSupplement) || (action == "fees" && status == rules::kFees);
    if (resumes && s["paused"].is_object()) {
      auto calendar = cal::load_calendar(*node.db());
      int waited = calendar.working_days_between(s["paused"].value("since_ms", now), now);
      out["waited_working_days"] = waited;
      if (s["due_at"].is_string()) {
        auto due = cal::parse_iso(s["due_at"].get<std::string>());
        if (due) out["due_at"] = cal::iso_utc(calendar.add_working_days(*due, waited));
      }
    }
    out["role"] = user_role_name(who.role);
    auto e = node.journal().append(EntryDraft{who.username, rule->event, code, out}, Journal::Commit::Deferred);
    if (!e.ok()) return e.error();
    return ok_status();
  }();
  if (!recorded.ok()) return recorded.error();
  Status durable = node.journal().make_durable();
  if (!durable.ok()) return durable.error();
  return get(code);
} catch (const std::runtime_error&) {
  return current_exception_error();
}

Result<Json> DossierService::get(const std::string& code) try {
  std::lock_guard<std::recursive_mutex> g(impl_->node.journal().mutex());
  auto s = impl_->state(code);
  if (!s.ok()) return s.error();
  return impl_->view(std::move(s.value()));
} catch (const std::runtime_error&) {
  return current_exception_error();
}

Result<Json> DossierService::receipt(const std::string& code) try {
  std::lock_guard<std::recursive_mutex> g(impl_->node.journal().mutex());
  auto s = impl_->state(code);
  if (!s.ok()) return s.error();
  Json names = place_names(impl_->node);
  return Json{{"dossier", std::move(s.value())}, {"agency_name", names["agency_name"]}, {"place_name", names["place_name"]}};
} catch (const std::runtime_error&) {
  return current_exception_error();
}

Result<Json> DossierService::search_procedures(const std::string& q, const std::string& field, const std::string& level,
                                               int limit) try {
  Status r = impl_->ready();
  if (!r.ok()) return r.error();
  if (limit == 0) limit = 20;
  if (limit < 1 || limit > 200) return make_error("invalid_value", "limit must be 1..200", "limit");
  std::lock_guard<std::recursive_mutex> g(impl_->node.journal().mutex());
  return procs::search(*impl_->node.db(), q, field, level, limit);
} catch (const std::runtime_error&) {
  return current_exception_error();
}

Result<Json> DossierService::procedure_facets() try {
  Status r = impl_->ready();
  if (!r.ok()) return r.error();
  std::lock_guard<std::recursive_mutex> g(impl_->node.journal().mutex());
  return procs::facets(*impl_->node.db());
} catch (const std::runtime_error&) {
  return current_exception_error();
}

Result<Json> DossierService::get_procedure(const std::string& code) try {
  Status r = impl_->ready();
  if (!r.ok()) return r.error();
  std::lock_guard<std::recursive_mutex> g(impl_->node.journal().mutex());
  auto p = procs::find(*impl_->node.db(), code);
  if (!p) return make_error("not_found", "no procedure with code " + code, "code");
  return *p;
} catch (const std::runtime_error&) {
  return current_exception_error();
}

}  // namespace motcua::node
