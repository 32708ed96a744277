// The printable forms and the period report, rendered from what node/ computes
// (node/forms.hpp, node::DossierService::receipt): Mẫu 01-06 of
// TT 01/2018/TT-VPCP and Biểu 06. Every value is HTML-escaped; times are shown
// dd/mm/yyyy HH:mm in Vietnam time. Pages carry no inline script or style:
// they link /ui/print.css and /ui/print.js (node/http/ui/), which wires the
// button id="print" ("In") to window.print(); serve them with kPrintCsp.
#pragma once
#include <string>

#include "motcua/canonical.hpp"

namespace motcua::http {

// The Content-Security-Policy of every printable page.
inline constexpr const char* kPrintCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

// Mẫu 01 (A5). `receipt` is DossierService::receipt()'s answer:
// {dossier, agency_name, place_name}.
std::string render_receipt(const Json& receipt);
// Older call: a projection and the agency's name (place name = agency name).
std::string render_receipt(const Json& state, const std::string& agency_name);
// Mẫu 02, 03, 04 or 05 (A4) from node::form_data().
std::string render_form(const Json& data);
// Mẫu 06 (A4 landscape) from node::tracking_book().
std::string render_tracking_book(const Json& data);
// Biểu 06 (A4 landscape) from node::bieu06().
std::string render_bieu06_html(const Json& report);
// Biểu 06 as CSV: UTF-8 with a byte-order mark (Excel), CRLF, a header row in
// Vietnamese, one row per field and the total last.
std::string render_bieu06_csv(const Json& report);
std::string html_escape(const std::string& s);

}  // namespace motcua::http
