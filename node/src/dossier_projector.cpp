// dossier_projector: the current state of a dossier as a pure function of the
// set of its journal entries, with DOMAIN.md's conflict rules.
// docs/design/0010-dossier-projection-and-conflicts.md
#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "dossier_fold.hpp"
#include "dossier_projection.hpp"
#include "dossier_rules.hpp"
#include "motcua/node/dossiers.hpp"
#include "motcua/node/journal.hpp"
#include "motcua/text.hpp"

namespace motcua::node {

namespace {

using proj::Conflict;
using proj::Graph;

bool is_type(const Entry& e, const char* t) { return e.type == t; }

// Bodies come signed from other nodes, possibly of other versions: read them
// defensively so a malformed body never makes the projection throw.
const Json& field(const Json& j, const char* k) {
  static const Json null_json;
  if (!j.is_object()) return null_json;
  auto it = j.find(k);
  return it == j.end() ? null_json : *it;
}
Json txt(const Json& j, const char* k) { return field(j, k).is_string() ? field(j, k) : Json(""); }
Json opt_txt(const Json& j, const char* k) { return field(j, k).is_string() ? field(j, k) : Json(nullptr); }
Json num(const Json& j, const char* k) { return field(j, k).is_number_integer() ? field(j, k) : Json(0); }
Json arr(const Json& j, const char* k) { return field(j, k).is_array() ? field(j, k) : Json::array(); }
Json obj(const Json& j, const char* k) { return field(j, k).is_object() ? field(j, k) : Json::object(); }

// Field-level registers for edits: "applicant.phone" -> value and writer.
struct Register {
  Json value;
  size_t writer;
};

class Builder {
 public:
  Builder(const std::string& code, const Graph& g) : code_(code), g_(g), superseded_(g.order.size(), false) {}

  Json build() {
    settle_and_apply();
    return output();
  }

  // The fold (DossierFold) runs the two halves apart: the pairwise rules and
  // every apply once, then one more apply for each entry that comes after
  // all the others (extend_last), and the output whenever it is asked for.
  void settle_and_apply() {
    settle_pairwise();
    for (size_t i = 0; i < g_.order.size(); ++i) apply(i);
  }
  // The graph gained one entry, last in its order and concurrent with none
  // (every other entry is its ancestor): no pairwise rule involves it, so
  // the state of the larger set is this state with the entry applied.
  void extend_last() {
    superseded_.push_back(false);
    apply(g_.order.size() - 1);
  }

  Json output() { return make_output(); }

  // The graph's entries moved (DossierFold::rebind): the intake's body too.
  void rebind() { intake_ = submitted_ >= 0 ? &at(static_cast<size_t>(submitted_)).body : nullptr; }

  // The three fields of output() that decide a point's scope (admission's
  // rule 3), read the same way output() reads them, without building the rest.
  Json scope() const {
    Json s = Json::object();
    s["area"] = intake_field("area");
    s["origin_point"] = intake_field("origin_point");
    auto rp = regs_.find("return_point");
    s["return_point"] = rp != regs_.end() ? rp->second.value : s["origin_point"];
    return s;
  }

 private:
  const Entry& at(size_t i) const { return *g_.order[i]; }

  Conflict& conflict(const std::string& kind, std::vector<size_t> entries) {
    std::sort(entries.begin(), entries.end());
    for (auto& c : conflicts_)
      if (c.kind == kind && c.entries == entries) return c;
    conflicts_.push_back(Conflict{kind, entries, -1, "", Json::array()});
    return conflicts_.back();
  }

  // Rules that decide between two concurrent acts whatever their order.
  void settle_pairwise() {
    const size_t n = g_.order.size();
    for (size_t x = 0; x < n; ++x) {
      for (size_t y = 0; y < n; ++y) {
        if (!g_.concurrent(x, y)) continue;
        const Entry& ex = at(x);
        const Entry& ey = at(y);
        if ((is_type(ex, events::kUpdated) || is_type(ex, events::kCancelled)) &&
            (is_type(ey, events::kAccepted) || is_type(ey, events::kRejected))) {
          superseded_[x] = true;
          superseded_by_[x].push_back(y);
          Conflict& c = conflict("agency_act_vs_edit", {x, y});
          c.winner = static_cast<long>(y);
          c.settled = std::string(is_type(ey, events::kAccepted) ? "the acceptance" : "the refusal") +
                      " stands; the concurrent " + (is_type(ex, events::kUpdated) ? "update" : "cancellation") +
                      " is kept in the history, marked superseded, and not applied";
        }
        if (is_type(ex, events::kDeliveryFailed) && is_type(ey, events::kHandedOver)) {
          superseded_[x] = true;
          superseded_by_[x].push_back(y);
          Conflict& c = conflict("handover_vs_delivery_failed", {x, y});
          c.winner = static_cast<long>(y);
          c.settled = "the handover stands; the concurrent failed delivery is kept in the history, marked superseded";
        }
        if (x < y && is_type(ex, events::kHandedOver) && is_type(ey, events::kHandedOver)) {
          Conflict& c = conflict("double_handover", {x, y});
          c.settled = "both handovers stand (a result cannot be un-handed); check who received the result";
        }
      }
    }
  }

  void set_register(const std::string& path, const Json& value, size_t writer) {
    auto it = regs_.find(path);
    if (it == regs_.end() || g_.ancestor[writer][it->second.writer]) {
      regs_[path] = Register{value, writer};
      return;
    }
    // Concurrent edits of one field: the later by HLC wins, ties by node key.
    size_t other = it->second.writer;
    const Entry& a = at(writer);
    const Entry& b = at(other);
    bool later = a.hlc != b.hlc ? a.hlc > b.hlc : (a.author != b.author ? a.author > b.author : a.seq > b.seq);
    size_t win = later ? writer : other, lose = later ? other : writer;
    Json kept = later ? value : it->second.value;
    Json lost = later ? it->second.value : value;
    if (later) regs_[path] = Register{value, writer};
    Conflict& c = conflict("concurrent_edit", {writer, other});
    c.winner = static_cast<long>(win);
    c.settled = "concurrent edits of the same field: the later by hybrid logical clock was kept "
                "(ties broken by node key); the other value stays in the history";
    c.details.push_back(Json{{"field", path}, {"kept", kept}, {"lost", lost},
                             {"kept_entry", proj::hex_id(at(win))}, {"lost_entry", proj::hex_id(at(lose))}});
  }

  void edit_fields(const Json& changes, size_t writer) {
    for (const char* group : {"applicant", "postal", "form"}) {
      const Json& g = field(changes, group);
      if (!g.is_object()) continue;
      for (auto f = g.begin(); f != g.end(); ++f) set_register(std::string(group) + "." + f.key(), f.value(), writer);
    }
    for (const char* whole : {"attachments", "return_point"})
      if (!field(changes, whole).is_null()) set_register(whole, field(changes, whole), writer);
  }

  std::string when(size_t i) const { return proj::iso(at(i).wall_ms); }

  void not_applied(size_t i) {
    // Which concurrent acts changed the status before this one was reached?
    std::vector<size_t> involved = {i};
    for (size_t k : status_changers_)
      if (g_.concurrent(i, k)) involved.push_back(k);
    const std::string why = rules::describe_status(status_, cancelled_.is_object());
    not_applied_.push_back(Json{{"entry", proj::hex_id(at(i))}, {"type", at(i).type}, {"reason", why}});
    if (involved.size() > 1) {
      Conflict& c = conflict("concurrent_transition", involved);
      c.winner = static_cast<long>(involved[1]);
      c.settled = "concurrent acts on the status: the first in causal and clock order was applied; " + at(i).type +
                  " was not applied (" + why + ")";
    }
  }

  void pause(size_t i, const std::string& kind) {
    paused_ = Json{{"kind", kind}, {"since", when(i)}, {"since_ms", at(i).wall_ms}, {"status_before", status_},
                   {"entry", proj::hex_id(at(i))}};
  }

  void resume(size_t i) {
    const Json& b = at(i).body;
    if (paused_.is_object()) {
      status_ = paused_["status_before"].get<int>();
      Json p{{"kind", paused_["kind"]}, {"from", paused_["since"]}, {"until", when(i)},
             {"working_days", num(b, "waited_working_days")}};
      pauses_.push_back(p);
      paused_ = nullptr;
    }
    if (b.contains("due_at") && b["due_at"].is_string()) {
      due_at_ = b["due_at"];
      due_history_.push_back(Json{{"due_at", due_at_}, {"kind", "resumed"}, {"at", when(i)},
                                  {"waited_working_days", num(b, "waited_working_days")},
                                  {"entry", proj::hex_id(at(i))}});
    }
  }

  void apply(size_t i) {
    const Entry& e = at(i);
    const Json& b = e.body;
    // The hub's quarantine decisions: part of the causal graph, not of the state.
    if (is_quarantine_type(e.type)) return;
    if (superseded_[i]) {
      Json by = Json::array();
      for (size_t k : superseded_by_[i]) by.push_back(proj::hex_id(at(k)));
      superseded_list_.push_back(Json{{"entry", proj::hex_id(e)}, {"type", e.type}, {"by", by}});
      return;
    }
    if (is_type(e, events::kConflictResolved)) {
      resolutions_.push_back(i);
      return;
    }
    if (is_type(e, events::kSubmitted)) {
      if (submitted_ >= 0) {
        not_applied_.push_back(Json{{"entry", proj::hex_id(e)}, {"type", e.type}, {"reason", "dossier already submitted"}});
        if (g_.concurrent(i, static_cast<size_t>(submitted_))) {
          Conflict& c = conflict("duplicate_intake", {static_cast<size_t>(submitted_), i});
          c.winner = submitted_;
          c.settled = "the same code was submitted twice; the first intake stands";
        }
        return;
      }
      submitted_ = static_cast<long>(i);
      intake_ = &b;
      status_ = rules::kNew;
      edit_fields(Json{{"applicant", obj(b, "applicant")},
                       {"postal", obj(b, "postal")},
                       {"form", obj(b, "form")},
                       {"attachments", arr(b, "attachments")},
                       {"return_point", field(b, "return_point").is_string() ? field(b, "return_point") : txt(b, "origin_point")}},
                  i);
      due_at_ = opt_txt(b, "due_at");
      due_history_.push_back(Json{{"due_at", due_at_}, {"kind", "intake"}, {"at", field(b, "received_at").is_string() ? field(b, "received_at") : Json(when(i))},
                                  {"entry", proj::hex_id(e)}});
      for (const auto& f : arr(b, "fees"))
        fees_collected_.push_back(Json{{"amount_vnd", num(f, "amount_vnd")}, {"receipt_no", txt(f, "receipt_no")},
                                       {"at", when(i)}, {"by", e.user}, {"entry", proj::hex_id(e)}});
      return;
    }
    const rules::ActRule* rule = rules::rule_for_event(e.type);
    if (!rule) {
      other_events_.push_back(Json{{"entry", proj::hex_id(e)}, {"type", e.type}});
      return;
    }
    bool allowed = submitted_ >= 0 && rules::status_allows(*rule, status_, accepted_, cancelled_.is_object());
    // Two concurrent handovers both stand.
    if (!allowed && is_type(e, events::kHandedOver) && status_ == rules::kHandedOver)
      for (const auto& h : handover_entries_)
        if (g_.concurrent(i, h)) allowed = true;
    if (!allowed) {
      not_applied(i);
      return;
    }
    const int before = status_;
    const std::string id = proj::hex_id(e);
    if (is_type(e, events::kUpdated)) {
      edit_fields(obj(b, "changes"), i);
    } else if (is_type(e, events::kCancelled)) {
      cancelled_ = Json{{"at", when(i)}, {"by", e.user}, {"reason", txt(b, "reason")}, {"entry", id}};
    } else if (is_type(e, events::kAccepted)) {
      accepted_ = true;
      accepted_at_ = when(i);
    } else if (is_type(e, events::kRejected)) {
      refusal_ = Json{{"at", when(i)}, {"by", e.user}, {"reason", txt(b, "reason")}, {"entry", id}};
    } else if (is_type(e, events::kSupplementRequested)) {
      supplements_.push_back(Json{{"requested_at", when(i)}, {"by", e.user}, {"missing", arr(b, "missing")},
                                  {"reason", opt_txt(b, "reason")}, {"entry", id}, {"supplied_at", nullptr}});
      pause(i, "supplement");
    } else if (is_type(e, events::kSupplementSupplied)) {
      if (!supplements_.empty()) {
        supplements_.back()["supplied_at"] = when(i);
        supplements_.back()["attachments"] = arr(b, "attachments");
      }
      resume(i);
    } else if (is_type(e, events::kFeesRequested)) {
      fees_requested_.push_back(Json{{"amount_vnd", num(b, "amount_vnd")}, {"at", when(i)}, {"by", e.user},
                                     {"reason", opt_txt(b, "reason")}, {"entry", id}});
      pause(i, "fees");
    } else if (is_type(e, events::kFeesCollected)) {
      fees_collected_.push_back(Json{{"amount_vnd", num(b, "amount_vnd")}, {"receipt_no", txt(b, "receipt_no")},
                                     {"at", when(i)}, {"by", e.user}, {"entry", id}});
      if (status_ == rules::kFees) resume(i);
    } else if (is_type(e, events::kWithdrawalRequested)) {
      withdrawal_ = Json{{"at", when(i)}, {"by", e.user}, {"reason", txt(b, "reason")}, {"entry", id}};
    } else if (is_type(e, events::kStopped)) {
      stop_ = Json{{"at", when(i)}, {"by", e.user}, {"reason", txt(b, "reason")}, {"entry", id}};
    } else if (is_type(e, events::kResultReady)) {
      result_ready_at_ = when(i);
    } else if (is_type(e, events::kApologized)) {
      due_at_ = opt_txt(b, "new_due_at");
      due_history_.push_back(Json{{"due_at", due_at_}, {"kind", "apology"}, {"at", when(i)}, {"by", e.user},
                                  {"reason", txt(b, "reason")}, {"entry", id}});
    } else if (is_type(e, events::kHandedOver)) {
      handover_entries_.push_back(i);
      handovers_.push_back(Json{{"at", when(i)}, {"by", e.user}, {"recipient", obj(b, "recipient")},
                                {"place", txt(b, "place")}, {"address", opt_txt(b, "address")},
                                {"entry", id}});
    } else if (is_type(e, events::kDeliveryFailed)) {
      deliveries_.push_back(Json{{"at", when(i)}, {"by", e.user}, {"reason", txt(b, "reason")},
                                 {"address", opt_txt(b, "address")}, {"entry", id}});
    }
    if (rule->target == rules::Target::To) status_ = rule->to;
    // Leaving a wait other than by the citizen's act ends the pause without
    // moving the due date.
    if (paused_.is_object() && status_ != rules::kSupplement && status_ != rules::kFees) paused_ = nullptr;
    if (status_ != before) status_changers_.push_back(i);
  }

  Json make_output() {
    Json s = Json::object();
    s["kind"] = "dossier";
    s["code"] = code_;
    static const Json none;
    const Json& in = intake_ ? *intake_ : none;
    for (const char* k : {"agency_code", "procedure_code", "procedure_name", "procedure_field", "processing_days",
                          "fee_vnd", "documents", "sets", "channel", "received_at", "origin_point", "area",
                          "received_by_name", "receipt_book", "receipt_seq"})
      s[k] = intake_field(k);
    s["fees"] = arr(in, "fees");  // as declared at intake; every payment is in fees_collected
    // Edited fields from their registers.
    Json applicant = Json::object(), postal = Json::object(), form = Json::object();
    for (const auto& [path, reg] : regs_) {
      auto dot = path.find('.');
      std::string head = path.substr(0, dot), rest = dot == std::string::npos ? "" : path.substr(dot + 1);
      if (head == "applicant") applicant[rest] = reg.value;
      else if (head == "postal") postal[rest] = reg.value;
      else if (head == "form") form[rest] = reg.value;
      else s[head] = reg.value;
    }
    s["applicant"] = applicant;
    s["postal"] = postal.empty() ? Json(nullptr) : postal;
    s["form"] = form;
    if (!s.contains("attachments")) s["attachments"] = Json::array();
    if (!s.contains("return_point")) s["return_point"] = s["origin_point"];
    s["status"] = status_;
    std::string name = rules::status_name(status_);
    s["status_name"] = cancelled_.is_object() ? name + " (đã hủy)" : name;
    s["accepted"] = accepted_;
    s["accepted_at"] = accepted_at_.empty() ? Json(nullptr) : Json(accepted_at_);
    s["cancelled"] = cancelled_;
    s["refusal"] = refusal_;
    s["withdrawal"] = withdrawal_;
    s["stop"] = stop_;
    s["result_ready_at"] = result_ready_at_.empty() ? Json(nullptr) : Json(result_ready_at_);
    s["due_at"] = due_at_;
    s["due_history"] = due_history_;
    s["paused"] = paused_;
    s["pauses"] = pauses_;
    s["supplement_requests"] = supplements_;
    s["fees_requested"] = fees_requested_;
    s["fees_collected"] = fees_collected_;
    s["handovers"] = handovers_;
    s["delivery_attempts"] = deliveries_;
    s["superseded"] = superseded_list_;
    s["not_applied"] = not_applied_;
    if (!other_events_.empty()) s["other_events"] = other_events_;
    s["created_by"] = submitted_ >= 0 ? Json(at(static_cast<size_t>(submitted_)).user) : Json(nullptr);
    Hlc latest;
    for (const Entry* e : g_.order) latest = std::max(latest, e->hlc);
    s["updated_at"] = proj::iso(latest.ms);
    s["event_count"] = g_.order.size();
    s["conflicts"] = conflicts_json();
    int open = 0;
    for (const auto& c : s["conflicts"])
      if (!c["resolved"].get<bool>()) ++open;
    s["open_conflicts"] = open;
    std::string key = code_ + " " + txt(applicant, "full_name").get<std::string>() + " " +
                      txt(applicant, "cccd").get<std::string>() + " " + txt(applicant, "phone").get<std::string>();
    s["search_key"] = fold_for_search(key);
    return s;
  }

  Json intake_field(const char* k) const {
    return intake_ && intake_->is_object() && intake_->contains(k) ? (*intake_)[k] : Json(nullptr);
  }

  Json conflicts_json() {
    std::map<std::string, Json> by_id;
    for (const auto& c : conflicts_) {
      std::vector<std::string> ids;
      for (size_t i : c.entries) ids.push_back(proj::hex_id(at(i)));
      std::sort(ids.begin(), ids.end());
      Json j{{"id", proj::conflict_id(g_, c)}, {"kind", c.kind}, {"entries", ids},
             {"winner", c.winner >= 0 ? Json(proj::hex_id(at(static_cast<size_t>(c.winner)))) : Json(nullptr)},
             {"settled", c.settled}, {"resolved", false}, {"resolutions", Json::array()}};
      if (!c.details.empty()) j["details"] = c.details;
      by_id[j["id"].get<std::string>()] = j;
    }
    for (size_t i : resolutions_) {
      const Entry& e = at(i);
      auto it = by_id.find(txt(e.body, "conflict_id").get<std::string>());
      if (it == by_id.end()) continue;
      it->second["resolved"] = true;
      it->second["resolutions"].push_back(Json{{"at", when(i)}, {"by", e.user}, {"decision", txt(e.body, "decision")},
                                               {"note", opt_txt(e.body, "note")}, {"entry", proj::hex_id(e)}});
    }
    Json out = Json::array();
    for (auto& [_, j] : by_id) out.push_back(std::move(j));
    return out;
  }

  const std::string& code_;
  const Graph& g_;
  std::vector<bool> superseded_;
  std::map<size_t, std::vector<size_t>> superseded_by_;
  std::vector<Conflict> conflicts_;
  std::map<std::string, Register> regs_;
  std::vector<size_t> status_changers_, handover_entries_, resolutions_;
  long submitted_ = -1;
  const Json* intake_ = nullptr;  // body of the applied dossier.submitted
  int status_ = 0;
  bool accepted_ = false;
  std::string accepted_at_, result_ready_at_;
  Json cancelled_ = nullptr, refusal_ = nullptr, withdrawal_ = nullptr, stop_ = nullptr, paused_ = nullptr,
       due_at_ = nullptr;
  Json due_history_ = Json::array(), pauses_ = Json::array(), supplements_ = Json::array(),
       fees_requested_ = Json::array(), fees_collected_ = Json::array(), handovers_ = Json::array(),
       deliveries_ = Json::array(), superseded_list_ = Json::array(), not_applied_ = Json::array(),
       other_events_ = Json::array();
};

}  // namespace

Json dossier_projector(const std::string& subject, const std::vector<Entry>& entries) {
  bool dossier = false;
  for (const auto& e : entries)
    if (e.type.rfind("dossier.", 0) == 0) dossier = true;
  if (!dossier) return summary_projector(subject, entries);
  Graph g = proj::build_graph(entries);
  try {
    return Builder(subject, g).build();
  } catch (const std::exception& ex) {
    // Only reachable with a body no version of motcua writes; the answer is
    // still a function of the entries, so every node agrees on it.
    return Json{{"kind", "dossier"}, {"code", subject}, {"status", 0}, {"status_name", ""},
                {"damaged", std::string("cannot project this dossier: ") + ex.what()}, {"conflicts", Json::array()},
                {"open_conflicts", 0}, {"cancelled", nullptr}, {"event_count", g.order.size()}};
  }
}

// ---- The fold (docs/design/0117-projection-fold.md) ----

struct DossierFold::Impl {
  std::string subject;
  Graph g;  // points into the caller's list (rebind)
  std::unordered_map<Hash32, size_t, proj::IdHash> pos;  // id -> index in g.order
  std::unique_ptr<Builder> builder;
  std::optional<Json> out;
};

DossierFold::DossierFold(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DossierFold::~DossierFold() = default;

std::unique_ptr<DossierFold> DossierFold::start(const std::string& subject, const std::vector<Entry>& entries) {
  if (std::none_of(entries.begin(), entries.end(), [](const Entry& e) { return e.type.rfind("dossier.", 0) == 0; }))
    return nullptr;
  auto impl = std::make_unique<Impl>();
  impl->subject = subject;
  impl->g = proj::build_graph(entries);
  const Graph& g = impl->g;
  for (size_t k = 0; k < g.order.size(); ++k) impl->pos.emplace(g.order[k]->id, k);
  // A parent cycle (which no honest signer can make) puts entries in an order
  // that a later entry could change: no fold then.
  for (size_t k = 0; k < g.order.size(); ++k)
    for (const auto& p : g.order[k]->parents) {
      auto it = impl->pos.find(p);
      if (it != impl->pos.end() && it->second >= k) return nullptr;
    }
  impl->builder = std::make_unique<Builder>(impl->subject, impl->g);
  try {
    impl->builder->settle_and_apply();
  } catch (const std::exception&) {
    return nullptr;  // dossier_projector answers "damaged"
  }
  return std::unique_ptr<DossierFold>(new DossierFold(std::move(impl)));
}

DossierFold::Step DossierFold::extend(const Entry& e) {
  Impl& m = *impl_;
  if (m.pos.count(e.id)) return Step::NotAfter;
  const size_t n = m.g.order.size();
  // Its ancestors among the entries held: its parents and theirs.
  std::vector<bool> row(n, false);
  for (const auto& p : e.parents) {
    auto it = m.pos.find(p);
    if (it == m.pos.end()) continue;
    row[it->second] = true;
    const auto& up = m.g.ancestor[it->second];
    for (size_t a = 0; a < n; ++a)
      if (up[a]) row[a] = true;
  }
  if (std::find(row.begin(), row.end(), false) != row.end()) return Step::NotAfter;
  // Every entry held is its ancestor: it is last in build_graph's order of
  // the larger set (Kahn's algorithm makes it ready only after all others,
  // whose order among themselves does not change), concurrent with none.
  m.g.order.push_back(&e);
  for (auto& r : m.g.ancestor) r.push_back(false);
  row.push_back(false);
  m.g.ancestor.push_back(std::move(row));
  m.pos.emplace(e.id, n);
  m.out.reset();
  try {
    m.builder->extend_last();
  } catch (const std::exception&) {
    return Step::Broken;
  }
  return Step::Extended;
}

void DossierFold::rebind(const std::vector<Entry>& entries) {
  Impl& m = *impl_;
  for (const auto& e : entries)
    if (auto it = m.pos.find(e.id); it != m.pos.end()) m.g.order[it->second] = &e;
  m.builder->rebind();
}

Json DossierFold::scope() const { return impl_->builder->scope(); }

bool DossierFold::holds(const Hash32& id) const { return impl_->pos.count(id) != 0; }
size_t DossierFold::size() const { return impl_->g.order.size(); }

std::optional<Json> DossierFold::output() {
  Impl& m = *impl_;
  if (!m.out) {
    try {
      m.out = m.builder->output();
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return m.out;
}

}  // namespace motcua::node
