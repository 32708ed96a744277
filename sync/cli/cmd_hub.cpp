// motcua hub copy-store (docs/postgres.md "Moving a hub to PostgreSQL").
#include "cli.hpp"
#include "motcua/sync/hub_log.hpp"
#include "motcua/sync/hub_store.hpp"

namespace motcua::cli {

int cmd_hub(const std::vector<std::string>& args) {
  po::options_description desc("options");
  add_common(desc);
  desc.add_options()("action", po::value<std::string>()->required(), "copy-store")(
      "postgres", po::value<std::string>(),
      "libpq connection string of the target database (default: the hub_postgres setting); never a password");
  po::positional_options_description pos;
  pos.add("action", 1);
  po::variables_map vm;
  if (!parse("hub", "copy-store [--postgres CONNINFO]", desc, args, vm, &pos)) return kExitOk;
  const std::string action = vm["action"].as<std::string>();
  if (action != "copy-store") throw UsageError("hub: unknown action '" + action + "' (copy-store)");
  auto n = open_node(vm);
  if (!n) return kExitFailed;
  const std::string conninfo =
      vm.count("postgres") ? vm["postgres"].as<std::string>() : n->config().get("hub_postgres");
  std::cout << "copying this hub's state to PostgreSQL (" << sync::describe_conninfo(conninfo)
            << "); stop every motcua serve of this hub first\n";
  auto r = sync::copy_store_to_postgres(*n, conninfo);
  if (!r.ok()) return fail(r.error());
  std::cout << "copied: " << r->entries << " journal entries (each read back and its signature checked), "
            << r->points << " registered points and their bookkeeping\n"
            << "hub_store is now postgres (" << r->where << "); start motcua serve\n";
  return kExitOk;
}

}  // namespace motcua::cli
