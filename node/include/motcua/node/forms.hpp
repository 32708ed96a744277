// The data of the printable forms of TT 01/2018/TT-VPCP (Mẫu 01-06) and of the
// period report Biểu 06, computed from dossier projections and the journal on
// this node, offline. node/http renders them (forms.hpp there); nothing here
// speaks HTTP. docs/domain.md ("Forms and the period report") says how each
// figure is counted; docs/design/0053-forms-and-period-report.md why.
#pragma once
#include <cstdint>
#include <string>

#include "motcua/canonical.hpp"
#include "motcua/result.hpp"

namespace motcua::node {

class Node;

// {"place_name", "agency_name"}: config place_name, else agency_name, else the
// node's name; agency_name: config agency_name, else the node's name.
Json place_names(Node& node);

// Mẫu 02-05 of one dossier: {"form", "dossier" (projection), "place_name",
// "agency_name", ...} plus, by form:
//  "02": "request" {requested_at, by, by_name, missing[], reason} (the latest)
//  "03": "refusal" {at, by, by_name, reason, stage: "reception"|"processing"}
//  "04": "apology" {at, by, by_name, reason, new_due_at, old_due_at}
//  "05": "legs" [{step, act, giver, receiver, received_at, due_at, done_at,
//        timing: "early"|"on_time"|"late"|"" (open, not yet due)}]
// Errors: not_found (field "code"), invalid_value (field "form": not 02-05),
// form_not_applicable (field "form": its event has not happened).
Result<Json> form_data(Node& node, const std::string& code, const std::string& form);

// A period of Vietnam-time days, `from` and `to` inclusive ("YYYY-MM-DD").
struct Period {
  int64_t start_ms = 0;  // from, 00:00 Vietnam time
  int64_t end_ms = 0;    // the day after `to`, 00:00 Vietnam time
  std::string from, to;
};
// invalid_value naming "from" or "to" (bad date, from after to, over 5 years).
Result<Period> parse_period(const std::string& from, const std::string& to);

// Mẫu 06 (sổ theo dõi hồ sơ): one row per dossier received in the period,
// in order of receipt; `agency` ("" = all) keeps the dossiers whose
// agency_code or origin point equals it. {"from","to","place_name",
// "agency_name","rows":[{no, code, receipt_book, receipt_seq, procedure_name,
// sets, applicant_name, applicant_address, applicant_phone, agency_code,
// received_at, due_at, transferred_at, result_received_at, returned_at,
// recipient_name, note}]}
Result<Json> tracking_book(Node& node, const Period& p, const std::string& agency);

// Biểu 06: per field (lĩnh vực) of the dossiers this node knows,
// {"from","to","agency","generated_at","rows":[{field, carried_over,
// new_online, new_counter, new_postal, received_total, settled_early,
// settled_on_time, settled_late, settled_total, pending_within,
// pending_overdue, pending_paused, pending_total, refused, withdrawn}],
// "total": {...the same sums, field "Tổng cộng"}}. `now_ms` bounds the
// period's end (a period reaching into the future is counted up to now).
Result<Json> bieu06(Node& node, const Period& p, const std::string& agency, int64_t now_ms);

// Early / on time / late of an act done at `done_ms` against `due_ms`:
// "early" on a Vietnam day before the due day, "on_time" on the due day at
// or before the due instant, "late" after it.
std::string timing(int64_t done_ms, int64_t due_ms);

}  // namespace motcua::node
