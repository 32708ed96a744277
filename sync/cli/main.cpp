// motcua: one binary for service points and hubs. See docs/cli.md.
#include <cstdlib>
#include <map>

#include "cli.hpp"
#include "motcua/sync/server.hpp"
#include "motcua/sync/version.hpp"

namespace motcua::cli {

void add_common(po::options_description& desc) {
  desc.add_options()("help,h", "show this help")(
      "data-dir", po::value<std::string>()->default_value("./motcua-data"), "the node's data directory");
}

bool parse(const std::string& command, const std::string& synopsis, po::options_description& desc,
           const std::vector<std::string>& args, po::variables_map& vm, po::positional_options_description* pos) {
  try {
    auto parser = po::command_line_parser(args).options(desc);
    if (pos) parser.positional(*pos);
    po::store(parser.run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: motcua " << command << " " << synopsis << "\n\n" << desc << "\n";
      return false;
    }
    po::notify(vm);
  } catch (const po::required_option& e) {
    // The action of `config`, `point`, `quarantine`… is a word, not an option:
    // say what to write rather than "the option '--action' is required".
    if (e.get_option_name() == "--action")
      throw UsageError(command + ": what to do is missing: motcua " + command + " " + synopsis + " (see: motcua " +
                       command + " --help)");
    throw UsageError(command + ": " + e.what() + " (see: motcua " + command + " --help)");
  } catch (const po::error& e) {
    throw UsageError(command + ": " + e.what() + " (see: motcua " + command + " --help)");
  }
  return true;
}

std::optional<std::string> passphrase_from_env() {
  const char* p = std::getenv("MOTCUA_PASSPHRASE");
  if (p && *p) return std::string(p);
  return std::nullopt;
}

int fail(const Error& e, int code) {
  std::cerr << "motcua: " << e.message;
  if (!e.field.empty()) std::cerr << " [" << e.field << "]";
  std::cerr << " (" << e.code << ")\n";
  return code;
}

std::unique_ptr<node::Node> open_node(const po::variables_map& vm) {
  node::OpenOptions o;
  o.data_dir = vm["data-dir"].as<std::string>();
  o.passphrase = passphrase_from_env();
  auto n = node::Node::open(o);
  if (!n.ok()) {
    fail(n.error());
    return nullptr;
  }
  return std::move(n.value());
}

}  // namespace motcua::cli

namespace {
const char* kUsage =
    "usage: motcua COMMAND [options]   (motcua COMMAND --help for each)\n"
    "       motcua --version\n\n"
    "commands:\n"
    "  init      create a node: data dir, database, key pair\n"
    "  verify    check every signature, hash link and projection of the journal\n"
    "  config    list or set the node's settings\n"
    "  serve     run the daemon: local HTTP API, metrics, background sync\n"
    "  user      add or list the node's users (clerk, postal, officer, admin)\n"
    "  point     (hub) add, revoke or list service points; add prints a one-time enrolment code\n"
    "  join      (point) enrol with a hub: keys, scope, code blocks, catalogue\n"
    "  sync      (point) sync with the hub now and print a summary\n"
    "  audit     print the sync log (sessions, bytes, errors) and security alerts\n"
    "  bundle    export or import a sync exchange as a file (USB stick)\n"
    "  quarantine (hub) list, show, release or reject entries held in quarantine\n"
    "  hub       (hub) copy-store: move the hub's state from SQLite to PostgreSQL\n"
    "  backup    write a backup archive of the data dir (online), or --verify one\n"
    "  restore   restore FILE (a backup archive) into an empty data dir; or (new PC)\n"
    "            restore --from-hub URL --code CODE: continue a lost point with a new key\n"
    "  demo      run the demonstration in a temporary directory\n";
}

int main(int argc, char** argv) {
  using namespace motcua::cli;
  motcua::sync::tune_allocator();  // before any thread starts
  static const std::map<std::string, Command> commands = {
      {"init", cmd_init}, {"verify", cmd_verify}, {"config", cmd_config}, {"demo", cmd_demo},
      {"user", cmd_user}, {"serve", cmd_serve},
      {"point", cmd_point}, {"join", cmd_join}, {"sync", cmd_sync}, {"audit", cmd_audit},
      {"bundle", cmd_bundle}, {"quarantine", cmd_quarantine}, {"restore", cmd_restore},
      {"backup", cmd_backup}, {"hub", cmd_hub}};
  if (argc < 2) {
    std::cerr << kUsage;
    return kExitUsage;
  }
  std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::cout << kUsage;
    return kExitOk;
  }
  if (cmd == "--version" || cmd == "-V") {
    std::cout << motcua::sync::version_line() << "\n";
    return kExitOk;
  }
  auto it = commands.find(cmd);
  if (it == commands.end()) {
    std::cerr << "motcua: unknown command '" << cmd << "'\n" << kUsage;
    return kExitUsage;
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  try {
    return it->second(args);
  } catch (const UsageError& e) {
    std::cerr << "motcua: " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "motcua: " << cmd << " failed: " << e.what() << "\n";
    return kExitFailed;
  }
}
