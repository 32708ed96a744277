// init, verify, config.
#include <iomanip>

#include "cli.hpp"
#include "motcua/sync/hub_log.hpp"
#include "motcua/crypto.hpp"
#include "motcua/sync/hub_store.hpp"

namespace motcua::cli {

int cmd_init(const std::vector<std::string>& args) {
  po::options_description desc("options");
  add_common(desc);
  desc.add_options()("role", po::value<std::string>()->required(), "point or hub")(
      "name", po::value<std::string>()->required(), "this node's name (e.g. xa-an-thi)")(
      "agency-code", po::value<std::string>()->default_value(""), "receiving agency code, e.g. 000.00.01.H22")(
      "protect", "seal the key file with the passphrase in MOTCUA_PASSPHRASE");
  po::variables_map vm;
  if (!parse("init", "--role point|hub --name NAME [--agency-code CODE]", desc, args, vm)) return kExitOk;
  node::InitOptions o;
  o.data_dir = vm["data-dir"].as<std::string>();
  std::string role = vm["role"].as<std::string>();
  if (role != "point" && role != "hub") throw UsageError("init: --role must be 'point' or 'hub'");
  o.role = role == "hub" ? node::Role::Hub : node::Role::Point;
  o.name = vm["name"].as<std::string>();
  o.agency_code = vm["agency-code"].as<std::string>();
  if (vm.count("protect")) {
    o.passphrase = passphrase_from_env();
    if (!o.passphrase) throw UsageError("init: --protect needs the passphrase in MOTCUA_PASSPHRASE");
  }
  Status s = node::Node::init(o, system_random());
  if (!s.ok()) return fail(s.error());
  auto n = open_node(vm);
  if (!n) return kExitFailed;
  std::cout << "initialised " << role << " '" << o.name << "' in " << o.data_dir << "\n"
            << "node key: " << to_hex(n->keys().pk) << "\n";
  return kExitOk;
}

int cmd_verify(const std::vector<std::string>& args) {
  po::options_description desc("options");
  add_common(desc);
  desc.add_options()("rebuild", "rebuild the projection from the journal, then verify");
  po::variables_map vm;
  if (!parse("verify", "[--rebuild]", desc, args, vm)) return kExitOk;
  auto n = open_node(vm);
  if (!n) return kExitFailed;
  if (vm.count("rebuild")) {
    Status s = n->journal().rebuild_projection();
    if (!s.ok()) return fail(s.error());
    std::cout << "projection rebuilt from the journal\n";
  }
  // A hub on PostgreSQL: this data directory's journal is a replica of the
  // shared one (docs/design/0112); brought up to date first, then compared
  // with it entry by entry after its own check.
  const bool shared = sync::hub_store_choice(*n).kind == "postgres";
  if (shared) {
    Status a = sync::attach_hub_journal(*n);
    if (!a.ok()) return fail(a.error());
  }
  auto rep = n->journal().verify();
  if (rep.ok()) {
    std::cout << "journal OK: " << rep.entries_checked << " entries, " << rep.subjects_checked
              << " subjects, state hash " << to_hex(n->journal().state_hash()) << "\n";
    if (shared) {
      auto log = sync::open_postgres_log(n->config().get("hub_postgres"));
      if (!log.ok()) return fail(log.error());
      auto same = sync::check_log_matches(*n, *log.value());
      if (!same.ok()) return fail(same.error());
      std::cout << "shared journal on PostgreSQL OK: " << same.value()
                << " entries, each signature checked, the same as this replica\n";
    }
    return kExitOk;
  }
  const auto& p = rep.problems.front();
  std::cout << "journal FAILED: " << rep.problems.size() << " problem(s)\n";
  for (const auto& q : rep.problems) {
    std::cout << "  ";
    if (!q.author_hex.empty()) std::cout << "node " << q.author_hex.substr(0, 16) << " seq " << q.seq << ": ";
    if (!q.subject.empty()) std::cout << "[" << q.subject << "] ";
    std::cout << q.what << "\n";
  }
  std::cerr << "motcua: verify failed; first bad entry: "
            << (p.author_hex.empty() ? "subject " + p.subject
                                     : "node " + p.author_hex.substr(0, 16) + " seq " + std::to_string(p.seq))
            << ": " << p.what << "\n";
  return kExitFailed;
}

int cmd_config(const std::vector<std::string>& args) {
  po::options_description desc("options");
  add_common(desc);
  desc.add_options()("action", po::value<std::string>()->required(), "list | set")(
      "key", po::value<std::string>(), "setting name (set)")("value", po::value<std::string>(), "new value (set)");
  po::positional_options_description pos;
  pos.add("action", 1).add("key", 1).add("value", 1);
  po::variables_map vm;
  if (!parse("config", "list | set KEY VALUE", desc, args, vm, &pos)) return kExitOk;
  std::string action = vm["action"].as<std::string>();
  if (action != "list" && action != "set") throw UsageError("config: action must be 'list' or 'set'");
  if (action == "set" && (!vm.count("key") || !vm.count("value")))
    throw UsageError("config set needs KEY and VALUE");
  auto n = open_node(vm);
  if (!n) return kExitFailed;
  if (action == "list") {
    for (const auto& k : node::config_keys())
      std::cout << std::left << std::setw(18) << k.key << " " << std::setw(28) << n->config().get(k.key) << " # "
                << k.help << "\n";
    return kExitOk;
  }
  Status s = sync::set_node_config(*n, vm["key"].as<std::string>(), vm["value"].as<std::string>());
  if (!s.ok()) return fail(s.error(), kExitUsage);
  std::cout << vm["key"].as<std::string>() << " = " << vm["value"].as<std::string>() << "\n";
  return kExitOk;
}

}  // namespace motcua::cli
