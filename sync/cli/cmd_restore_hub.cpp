// restore --from-hub: a new PC continues a lost point (docs/cli.md,
// docs/sync-protocol.md 15.3). `motcua restore FILE` (a backup archive) is
// dispatched to restore_from_file (cmd_backup.cpp).
#include <filesystem>
#include <iostream>
#include <system_error>

#include "cli.hpp"
#include "motcua/crypto.hpp"
#include "motcua/durable_file.hpp"
#include "motcua/sync/client.hpp"
#include "motcua/sync/transport.hpp"

namespace motcua::cli {

namespace fs = std::filesystem;

namespace {

// Absent, or a directory with nothing in it.
bool absent_or_empty(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return true;
  return fs::is_directory(dir, ec) && fs::is_empty(dir, ec);
}

// Leaves `dir` as it was before: removed when this command made it, emptied otherwise.
void undo_dir(const std::string& dir, bool created) {
  std::error_code ec;
  if (created) {
    fs::remove_all(dir, ec);
    return;
  }
  for (const auto& e : fs::directory_iterator(dir, ec)) fs::remove_all(e.path(), ec);
}

}  // namespace

int restore_from_hub(const po::variables_map& vm) {
  const std::string dir = vm["data-dir"].as<std::string>();
  const std::string url = vm["from-hub"].as<std::string>();
  if (!vm.count("code")) throw UsageError("restore --from-hub needs --code CODE (from point add --replace NAME at the hub)");
  const std::string code = vm["code"].as<std::string>();
  Status safe = sync::enrolment_url_allowed(url);
  if (!safe.ok()) return fail(safe.error(), kExitUsage);
  if (!absent_or_empty(dir))
    return fail(make_error("already_exists",
                           "restore --from-hub makes a new data directory: " + dir +
                               " is not empty (give an absent or empty --data-dir)",
                           "data_dir"));
  std::string pem;
  if (vm.count("ca")) {
    auto read = read_small_file(vm["ca"].as<std::string>());
    if (!read.ok()) return fail(make_error("invalid_value", "cannot read --ca: " + read.error().message, "ca"), kExitUsage);
    if (read->find("-----BEGIN CERTIFICATE-----") == std::string::npos)
      return fail(make_error("invalid_value", "--ca must be a PEM certificate file", "ca"), kExitUsage);
    pem = std::move(read.value());
  }
  std::error_code ec;
  const bool created = !fs::exists(dir, ec);
  // A new key pair in a new database, named after the point once the hub
  // answers (join stores the name the hub registered).
  node::InitOptions io;
  io.data_dir = dir;
  io.role = node::Role::Point;
  io.name = "restoring";
  if (vm.count("protect")) {
    io.passphrase = passphrase_from_env();
    if (!io.passphrase) throw UsageError("restore: --protect needs the passphrase in MOTCUA_PASSPHRASE");
  }
  Status s = node::Node::init(io, system_random());
  if (!s.ok()) {
    undo_dir(dir, created);
    return fail(s.error());
  }
  Json joined;
  {
    auto n = open_node(vm);
    if (!n) {
      undo_dir(dir, created);
      return kExitFailed;
    }
    sync::HttpOptions ho;
    ho.url = url;
    if (vm.count("ca")) ho.ca_file = vm["ca"].as<std::string>();
    auto t = sync::make_http_transport(ho);
    if (!t.ok()) {
      n.reset();
      undo_dir(dir, created);
      return fail(t.error(), kExitUsage);
    }
    auto j = sync::join(*n, *t.value(), url, code);
    if (!j.ok()) {  // nothing of this PC is known to the hub: leave no half-made directory
      n.reset();
      undo_dir(dir, created);
      return fail(j.error());
    }
    joined = j.value();
  }
  if (!pem.empty()) {
    Status w = write_file_durably(dir + "/" + sync::kHubCaFile, pem);
    if (!w.ok()) return fail(make_error(w.error().code, "joined, but the hub's certificate could not be kept: " + w.error().message));
  }
  std::cout << "joined hub '" << joined["hub_name"].get<std::string>() << "' as point '"
            << joined["point"].get<std::string>() << "' (area " << joined["area"].get<std::string>()
            << ") with a new key\n";
  // Reopened: the node now carries the point's name.
  auto n = open_node(vm);
  if (!n) return kExitFailed;
  const Json succ = sync::point_status(*n)["succession"];
  if (succ.is_object())
    std::cout << "continues key " << succ["old_key"].get<std::string>().substr(0, 16) << "… (retired after its entry #"
              << succ["revoked_seq"].get<int64_t>() << "); fetching its chain, the dossiers and attachments\n";
  else
    std::cout << "note: this code was not from point add --replace: this is a new point, nothing to restore\n";
  auto t = sync::hub_transport(*n, url);
  if (!t.ok()) return fail(t.error());
  auto r = sync::complete_restore(*n, *t.value());
  if (!r.ok()) {
    fail(r.error());
    std::cerr << "motcua: the restore is not finished (intake stays closed); it resumes where it stopped with: "
                 "motcua sync --data-dir "
              << dir << " (or when motcua serve runs there)\n";
    return kExitFailed;
  }
  const Json& j = r.value();
  std::cout << "restored: " << n->journal().subjects().size() << " subjects held, " << j.value("blobs_down", int64_t{0})
            << " attachments downloaded, " << j.value("blobs_waiting", int64_t{0}) << " waiting; new code blocks leased\n"
            << "intake is open; start the daemon with: motcua serve --data-dir " << dir << "\n";
  return kExitOk;
}

int cmd_restore(const std::vector<std::string>& args) {
  po::options_description desc("options");
  add_common(desc);
  desc.add_options()("file", po::value<std::string>(), "a backup archive (motcua backup FILE) to restore into an empty --data-dir")(
      "from-hub", po::value<std::string>(), "the hub's URL: continue a lost point on this new PC")(
      "code", po::value<std::string>(), "the one-time code from motcua point add --replace NAME at the hub")(
      "ca", po::value<std::string>(), "PEM certificate(s) to check an https hub against (kept as hub-ca.pem)")(
      "protect", "seal the new key file with the passphrase in MOTCUA_PASSPHRASE");
  po::positional_options_description pos;
  pos.add("file", 1);
  po::variables_map vm;
  if (!parse("restore", "FILE --data-dir DIR | --from-hub URL --code CODE --data-dir DIR [--ca HUB-CA.pem] [--protect]",
             desc, args, vm, &pos))
    return kExitOk;
  if (vm.count("from-hub")) {
    if (vm.count("file")) throw UsageError("restore: give either FILE or --from-hub URL, not both");
    return restore_from_hub(vm);
  }
  if (vm.count("file")) return restore_from_file(vm);  // a backup archive (cmd_backup.cpp)
  throw UsageError("restore needs FILE or --from-hub URL --code CODE (see: motcua restore --help)");
}

}  // namespace motcua::cli
