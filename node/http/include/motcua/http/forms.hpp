// The printable forms, rendered from what node::DossierService returns:
// the receipt and appointment slip (Mẫu 01, TT 01/2018/TT-VPCP).
#pragma once
#include <string>

#include "motcua/canonical.hpp"

namespace motcua::http {

// `state` is a dossier projection; `agency_name` the receiving node's name.
// Every value is HTML-escaped; times are shown in Vietnam time.
std::string render_receipt(const Json& state, const std::string& agency_name);
std::string html_escape(const std::string& s);

}  // namespace motcua::http
