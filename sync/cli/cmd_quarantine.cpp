// motcua quarantine list | show | release | reject (on a hub):
// docs/cli.md and docs/sync-protocol.md, "Quarantine".
#include <iomanip>
#include <iostream>

#include "cli.hpp"
#include "motcua/sync/hub.hpp"
#include "motcua/sync/hub_store.hpp"

namespace motcua::cli {

namespace {

std::string text(const Json& v) { return v.is_string() ? v.get<std::string>() : std::string("-"); }

void print_row(const Json& r) {
  std::cout << text(r["id"]).substr(0, 16) << "  " << std::left << std::setw(9) << text(r["state"]) << std::setw(16)
            << text(r["point"]) << std::setw(6) << r.value("seq", int64_t{0}) << std::setw(28) << text(r["type"])
            << std::setw(30) << text(r["subject"]) << text(r["code"]) << ": " << text(r["reason"]) << "\n";
}

}  // namespace

int cmd_quarantine(const std::vector<std::string>& args) {
  po::options_description desc("options");
  add_common(desc);
  desc.add_options()("action", po::value<std::string>()->required(), "list | show | release | reject")(
      "id", po::value<std::string>(), "the entry's id (64 hex digits, or its first 8 or more)")(
      "state", po::value<std::string>()->default_value(""), "list only: held, released or rejected")(
      "reason", po::value<std::string>(), "release, reject: why (kept in the signed decision)")(
      "by", po::value<std::string>()->default_value("admin"), "release, reject: who decides (kept in the decision)");
  po::positional_options_description pos;
  pos.add("action", 1).add("id", 1);
  po::variables_map vm;
  if (!parse("quarantine",
             "list [--state held|released|rejected] | show ID | release ID --reason TEXT | reject ID --reason TEXT   "
             "(on a hub)",
             desc, args, vm, &pos))
    return kExitOk;
  const std::string action = vm["action"].as<std::string>();
  if (action != "list" && action != "show" && action != "release" && action != "reject")
    throw UsageError("quarantine: action must be list, show, release or reject");
  if (action != "list" && !vm.count("id")) throw UsageError("quarantine " + action + " needs an entry ID");
  if ((action == "release" || action == "reject") && !vm.count("reason"))
    throw UsageError("quarantine " + action + " needs --reason TEXT");
  auto n = open_node(vm);
  if (!n) return kExitFailed;
  if (n->role() != node::Role::Hub)
    return fail(make_error("wrong_role", "quarantine runs on a hub; this node is a " + node::role_name(n->role())));
  sync::Hub hub(*n, sync::open_hub_store(*n));
  if (action == "list") {
    auto items = hub.quarantine(vm["state"].as<std::string>());
    if (!items.ok()) return fail(items.error(), kExitUsage);
    const Json& list = items.value()["items"];
    if (list.empty()) {
      std::cout << "no entry in quarantine\n";
      return kExitOk;
    }
    std::cout << std::left << std::setw(18) << "ID" << std::setw(9) << "STATE" << std::setw(16) << "POINT"
              << std::setw(6) << "SEQ" << std::setw(28) << "TYPE" << std::setw(30) << "SUBJECT" << "WHY\n";
    for (const auto& r : list) print_row(r);
    return kExitOk;
  }
  const std::string id = vm["id"].as<std::string>();
  if (action == "show") {
    auto e = hub.quarantine_entry(id);
    if (!e.ok()) return fail(e.error(), e.error().code == "invalid_value" ? kExitUsage : kExitFailed);
    std::cout << e.value().dump(2) << "\n";
    return kExitOk;
  }
  auto out = hub.decide_quarantine(id, action == "release", vm["reason"].as<std::string>(), vm["by"].as<std::string>());
  if (!out.ok()) return fail(out.error(), out.error().code == "invalid_value" ? kExitUsage : kExitFailed);
  std::cout << "entry " << text(out.value()["id"]) << " " << text(out.value()["state"]) << " by a decision signed by "
            << "this hub (" << text(out.value()["decision"]["type"]) << " "
            << text(out.value()["decision"]["id"]).substr(0, 16) << "…)\n";
  return kExitOk;
}

}  // namespace motcua::cli
