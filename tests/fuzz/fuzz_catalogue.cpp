// fuzz_catalogue: the reference data a node imports (node/src/catalogue.cpp,
// procedures.cpp) and the calendar parsing behind it (node/src/calendar.cpp).
// The first byte picks a mode:
//   0  import_catalogue of the JSON in rest
//   1  import_holidays of the JSON in rest, then due dates on that calendar
//   2  a hub's reference/lease message as a point applies it (apply_leases,
//      apply_reference: what a point does with the hub's welcome)
//   3  dates and instants (parse_date, parse_iso) of the text in rest
// Properties: no exception; a refusal names a field; what an import accepted
// exports again and re-imports unchanged; a parsed date prints back to itself.
#include <SQLiteCpp/Database.h>

#include "../../node/src/calendar.hpp"
#include "../../sync/src/sync_client_internal.hpp"
#include "../unit/test_util.hpp"
#include "harness.hpp"
#include "motcua/node/catalogue.hpp"
#include "motcua/node/dossiers.hpp"
#include "motcua/node/node.hpp"

namespace motcua::fuzz {

namespace {

struct CatalogueWorld {
  std::string dir;
  ManualClock clock{1751335200000};
  SeededRandom rng{10};
  std::unique_ptr<node::Node> node;

  CatalogueWorld() : dir(scratch_dir("catalogue")) {
    node = test::make_node(dir + "/point", clock, rng, node::Role::Point, "diem-1");
    node->db()->exec("PRAGMA synchronous = OFF");
  }
  ~CatalogueWorld() {
    node.reset();
    remove_dir(dir);
  }
  static CatalogueWorld& get() {
    static CatalogueWorld w;
    return w;
  }
};

void named_refusal(const Status& s, const char* what) {
  if (s.ok()) return;
  if (s.error().code.empty()) fail(std::string(what) + ": refusal without a code");
  if (s.error().code == "internal_error") fail(std::string(what) + ": internal_error: " + s.error().message);
}

}  // namespace

int catalogue(const uint8_t* data, size_t size) {
  Input in(data, size);
  const uint8_t b0 = in.byte();
  const uint8_t b1 = in.byte();
  const std::string text = in.rest();
  if (b0 % 4 == 3) {
    auto day = no_throw("parse_date", [&] { return node::cal::parse_date(text); });
    if (day && node::cal::format_date(*day) != text) fail("parse_date/format_date differ on " + text);
    auto ms = no_throw("parse_iso", [&] { return node::cal::parse_iso(text); });
    if (ms) {
      const int64_t whole = *ms - (((*ms % 1000) + 1000) % 1000);
      auto again = node::cal::parse_iso(node::cal::iso_utc(*ms));
      if (!again || *again != whole)
        fail("parse_iso(" + text + ") prints as " + node::cal::iso_utc(*ms) + ", which does not read back");
    }
    return 0;
  }
  CatalogueWorld& w = CatalogueWorld::get();
  const Json j = parse_lenient(text);
  if (j.is_discarded()) return 0;
  switch (b0 % 4) {
    case 0: {
      Status s = no_throw("import_catalogue", [&] { return node::import_catalogue(*w.node, j); });
      named_refusal(s, "import_catalogue");
      if (!s.ok()) {
        if (s.error().field.empty()) fail("catalogue refusal without a field: " + s.error().message);
        return 0;
      }
      Json out = no_throw("export_catalogue", [&] { return node::export_catalogue(*w.node); });
      Status again = no_throw("import_catalogue (export)", [&] { return node::import_catalogue(*w.node, out); });
      if (!again.ok()) fail("an exported catalogue does not import: " + again.error().message);
      if (node::export_catalogue(*w.node) != out) fail("catalogue export -> import -> export changed it");
      return 0;
    }
    case 1: {
      Status s = no_throw("import_holidays", [&] { return node::import_holidays(*w.node, j); });
      named_refusal(s, "import_holidays");
      if (!s.ok()) {
        if (s.error().field.empty()) fail("holiday refusal without a field: " + s.error().message);
        return 0;
      }
      Json out = no_throw("export_holidays", [&] { return node::export_holidays(*w.node); });
      Status again = no_throw("import_holidays (export)", [&] { return node::import_holidays(*w.node, out); });
      if (!again.ok()) fail("exported holidays do not import: " + again.error().message);
      if (node::export_holidays(*w.node) != out) fail("holidays export -> import -> export changed them");
      (void)no_throw("due dates", [&] {
        auto calendar = node::cal::load_calendar(*w.node->db());
        const int64_t due = calendar.due(w.clock.now_ms(), b1 % 64, node::cal::DueRule{});
        if (due < w.clock.now_ms()) fail("a due date before the day of receipt");
        return calendar.working_days_between(w.clock.now_ms(), due);
      });
      return 0;
    }
    default: {
      if (!j.is_object()) return 0;
      Status s = no_throw("apply_leases", [&] { return sync::apply_leases(*w.node, j.value("leases", Json::array())); });
      named_refusal(s, "apply_leases");
      s = no_throw("apply_reference", [&] { return sync::apply_reference(*w.node, j); });
      named_refusal(s, "apply_reference");
      return 0;
    }
  }
}

}  // namespace motcua::fuzz
