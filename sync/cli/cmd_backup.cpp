// backup, backup --verify, restore (docs/cli.md, docs/install.md "Backup and restore").
#include "cli.hpp"
#include "motcua/sync/backup.hpp"

namespace motcua::cli {

namespace {

void print_summary(const sync::backup::Summary& s) {
  std::cout << s.role << " '" << s.node_name << "': " << s.dossiers << " dossiers, " << s.entries << " journal entries, "
            << s.attachments << " attachments, " << s.bytes << " bytes";
}

}  // namespace

int cmd_backup(const std::vector<std::string>& args) {
  po::options_description desc("options");
  add_common(desc);
  desc.add_options()("verify", "check an existing archive instead of writing one")(
      "file", po::value<std::string>()->required(), "the archive to write (must not exist) or to check");
  po::positional_options_description pos;
  pos.add("file", 1);
  po::variables_map vm;
  if (!parse("backup", "FILE [--data-dir DIR] | --verify FILE", desc, args, vm, &pos)) return kExitOk;
  const std::string file = vm["file"].as<std::string>();
  if (vm.count("verify")) {
    auto r = sync::backup::verify(file);
    if (!r.ok()) {
      std::cout << "backup FAILED the check: " << r.error().message << "\n";
      return fail(r.error());
    }
    std::cout << "backup OK: " << file << " (" << r->created_at << "): ";
    print_summary(r.value());
    std::cout << "; every file's size and hash, the database and its journal check out\n";
    return kExitOk;
  }
  sync::backup::CreateOptions o;
  o.data_dir = vm["data-dir"].as<std::string>();
  o.file = file;
  auto r = sync::backup::create(o);
  if (!r.ok()) return fail(r.error());
  std::cout << "backed up ";
  print_summary(r.value());
  std::cout << " into " << r->file << "\n";
  return kExitOk;
}

// restore FILE (cmd_restore in cmd_restore_hub.cpp parses the options of
// both forms and dispatches here when FILE is given).
int restore_from_file(const po::variables_map& vm) {
  sync::backup::RestoreOptions o;
  o.file = vm["file"].as<std::string>();
  o.data_dir = vm["data-dir"].as<std::string>();
  if (vm.count("code") || vm.count("ca") || vm.count("protect"))
    throw UsageError("restore FILE: --code, --ca and --protect belong to restore --from-hub (see: motcua restore --help)");
  auto r = sync::backup::restore(o);
  if (!r.ok()) return fail(r.error());
  const auto& s = r->summary;
  std::cout << "restored " << s.role << " '" << s.node_name << "' from " << o.file << " (made " << s.created_at
            << ") into " << r->data_dir << ": " << s.dossiers << " dossiers, " << s.entries << " journal entries, "
            << s.attachments << " attachments; the archive checked out first.\n";
  if (r->restoring) {
    std::cout << "This point is now RESTORING: it records nothing (no new dossier, no act; point_restoring) until its\n"
                 "next sync with the hub has fetched back what it recorded after this backup. Start it (motcua\n"
                 "serve, or the service) and sync (motcua sync --data-dir "
              << r->data_dir
              << "); it opens again by\n"
                 "itself once that sync is done, under a new database epoch, so no dossier number is printed twice.\n";
  } else if (s.role == "hub") {
    std::cout << "The hub has a new database epoch (" << r->epoch.substr(0, 8)
              << "…): at their next sync the points pull everything again from\n"
                 "the start and send back what they hold that this backup lacks (what the hub itself signed after\n"
                 "the backup included). Start the hub (motcua serve, or the service); until every point has synced\n"
                 "once (motcua point list: LAST SUCCESS), nobody should act on dossiers at the hub.\n";
  } else {
    std::cout << "This point has no hub; it has a new database epoch (" << r->epoch.substr(0, 8)
              << "…) and takes dossiers in at once.\n"
                 "Dossiers it recorded after this backup are not in it (and their numbers may be given again):\n"
                 "check the paper register. Start it with motcua serve (or the service).\n";
  }
  return kExitOk;
}

}  // namespace motcua::cli
