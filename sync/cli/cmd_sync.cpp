// point, join, sync, audit: the hub role and sync from the command line.
#include <chrono>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli.hpp"
#include "motcua/durable_file.hpp"
#include "motcua/sync/bundle.hpp"
#include "motcua/sync/client.hpp"
#include "motcua/sync/hub.hpp"

namespace motcua::cli {

namespace {

std::string human_bytes(int64_t b) {
  char buf[32];
  if (b < 10 * 1024) std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(b));
  else if (b < 10 * 1024 * 1024) std::snprintf(buf, sizeof buf, "%.1f KB", b / 1024.0);
  else std::snprintf(buf, sizeof buf, "%.1f MB", b / 1048576.0);
  return buf;
}

std::string when(const Json& v) { return v.is_string() ? v.get<std::string>() : std::string("-"); }

std::unique_ptr<node::Node> open_role(const po::variables_map& vm, node::Role role, const char* command) {
  auto n = open_node(vm);
  if (n && n->role() != role) {
    fail(make_error("wrong_role", std::string(command) + " runs on a " + node::role_name(role) + "; this node is a " +
                                      node::role_name(n->role())));
    return nullptr;
  }
  return n;
}

int point_list(sync::Hub& hub) {
  Json pts = hub.points();
  std::cout << std::left << std::setw(20) << "POINT" << std::setw(14) << "AREA" << std::setw(9) << "STATUS"
            << std::setw(10) << "CAPACITY" << std::setw(22) << "LAST SUCCESS" << std::setw(12) << "LAG ENTRIES"
            << "SKEW s\n";
  for (const auto& p : pts)
    std::cout << std::left << std::setw(20) << p["name"].get<std::string>() << std::setw(14)
              << p["area"].get<std::string>() << std::setw(9) << p["status"].get<std::string>() << std::setw(10)
              << p["daily_capacity"].get<int64_t>() << std::setw(22) << when(p["last_success"]) << std::setw(12)
              << p["lag_entries"].get<int64_t>() << p["skew_ms"].get<int64_t>() / 1000 << "\n";
  if (pts.empty()) std::cout << "(no points yet: motcua point add NAME --area AREA --agency CODE)\n";
  return kExitOk;
}

}  // namespace

int cmd_point(const std::vector<std::string>& args) {
  po::options_description desc("options");
  add_common(desc);
  desc.add_options()("action", po::value<std::string>()->required(), "add | revoke | list")(
      "name", po::value<std::string>(), "the point's name (add, revoke)")(
      "area", po::value<std::string>(), "the area whose dossiers the point receives (add)")(
      "daily-capacity", po::value<int64_t>()->default_value(500), "numbers of each day's dossier sequence leased to it")(
      "lease-days", po::value<int64_t>()->default_value(30), "days ahead the point holds numbers for (offline horizon)")(
      "expires-hours", po::value<int64_t>()->default_value(72), "lifetime of the enrolment code")(
      "place-name", po::value<std::string>()->default_value(""), "how people name the place, e.g. \"UBND xã Ân Thi\" (add)")(
      "agency", po::value<std::string>(), "the point's receiving agency code, the first part of its dossier codes (add)")(
      "replace", "(add) a code for a new PC that continues the enrolled point NAME with a new key "
                 "(motcua restore --from-hub); the old key is retired when the code is used")(
      "acts", po::value<std::string>()->default_value("counter"),
      "what it may sign: counter (intake, edits, fees, handover), officer or all (also the agency's acts), or a "
      "comma list of dossier event types (add)");
  po::positional_options_description pos;
  pos.add("action", 1).add("name", 1);
  po::variables_map vm;
  if (!parse("point", "add NAME --area AREA --agency CODE [--acts counter|all|LIST] [--daily-capacity N] | add NAME --replace | revoke NAME | list   (on a hub)", desc, args, vm, &pos))
    return kExitOk;
  std::string action = vm["action"].as<std::string>();
  if (action != "add" && action != "revoke" && action != "list")
    throw UsageError("point: action must be add, revoke or list");
  if (action != "list" && !vm.count("name")) throw UsageError("point " + action + " needs a NAME");
  const bool replace = vm.count("replace") > 0;
  if (replace && action != "add") throw UsageError("--replace goes with point add NAME");
  if (action == "add" && !replace && !vm.count("area")) throw UsageError("point add needs --area AREA");
  if (action == "add" && !replace && !vm.count("agency")) throw UsageError("point add needs --agency CODE (its receiving agency)");
  auto n = open_role(vm, node::Role::Hub, "point");
  if (!n) return kExitFailed;
  sync::Hub hub(*n, sync::open_hub_store(*n));
  if (action == "list") return point_list(hub);
  std::string name = vm["name"].as<std::string>();
  if (action == "revoke") {
    Status s = hub.revoke_point(name);
    if (!s.ok()) return fail(s.error());
    std::cout << "point '" << name << "' revoked: the hub refuses its key from now on, and admits nothing it signed "
                 "after its last entry held here\n";
    return kExitOk;
  }
  if (replace) {
    sync::PointAddOptions o;
    o.name = name;
    o.replace = true;
    o.code_ttl_ms = vm["expires-hours"].as<int64_t>() * 3600 * 1000;
    auto code = hub.add_point(o);
    if (!code.ok()) return fail(code.error(), code.error().code == "invalid_value" ? kExitUsage : kExitFailed);
    time_t secs = static_cast<time_t>(code->expires_ms / 1000);
    std::cout << "replacement code for point '" << name << "': " << code->code << "\n"
              << "valid once, until " << std::put_time(std::gmtime(&secs), "%Y-%m-%dT%H:%M:%SZ")
              << "; nothing changes until it is used\n"
              << "on the new PC run: motcua restore --from-hub URL --code " << code->code << " --data-dir DIR\n"
              << "(the old key is then retired; its PC, if it comes back, is refused)\n";
    return kExitOk;
  }
  sync::PointAddOptions o;
  o.name = name;
  o.area = vm["area"].as<std::string>();
  o.daily_capacity = vm["daily-capacity"].as<int64_t>();
  o.lease_days = vm["lease-days"].as<int64_t>();
  o.code_ttl_ms = vm["expires-hours"].as<int64_t>() * 3600 * 1000;
  o.place_name = vm["place-name"].as<std::string>();
  o.agency_code = vm["agency"].as<std::string>();
  o.acts = {vm["acts"].as<std::string>()};  // a spec: add_point expands it
  auto code = hub.add_point(o);
  if (!code.ok()) return fail(code.error(), code.error().code == "invalid_value" ? kExitUsage : kExitFailed);
  time_t secs = static_cast<time_t>(code->expires_ms / 1000);
  size_t acts = 0;  // as the hub stored them: the spec expanded (counter, all, a list)
  for (const auto& p : hub.points())
    if (p.value("name", "") == name && p.contains("acts") && p["acts"].is_array()) acts = p["acts"].size();
  std::cout << "point '" << name << "' registered (area " << o.area << ", agency " << o.agency_code << ", "
            << acts << " acts, " << o.daily_capacity
            << " numbers a day, " << o.lease_days << " days ahead)\n"
            << "enrolment code: " << code->code << "\n"
            << "valid once, until " << std::put_time(std::gmtime(&secs), "%Y-%m-%dT%H:%M:%SZ") << "\n"
            << "at the point run: motcua join --hub URL --code " << code->code << "\n";
  return kExitOk;
}

int cmd_join(const std::vector<std::string>& args) {
  po::options_description desc("options");
  add_common(desc);
  desc.add_options()("hub", po::value<std::string>()->required(), "the hub's URL, e.g. https://hub.example:8443")(
      "code", po::value<std::string>()->required(), "the one-time enrolment code from motcua point add")(
      "ca", po::value<std::string>(),
      "PEM certificate(s) to check an https hub against instead of the system CAs (kept as hub-ca.pem)");
  po::variables_map vm;
  if (!parse("join", "--hub URL --code CODE [--ca HUB-CA.pem]   (on a point)", desc, args, vm)) return kExitOk;
  auto n = open_role(vm, node::Role::Point, "join");
  if (!n) return kExitFailed;
  const std::string url = vm["hub"].as<std::string>();
  // The enrolment and its answer (leases, the hub's key) never cross a
  // network in clear text: plain http:// only to this machine.
  Status safe = sync::enrolment_url_allowed(url);
  if (!safe.ok()) return fail(safe.error(), kExitUsage);
  // With --ca the enrolment checks the hub against that file, and only a
  // successful join keeps a copy (hub-ca.pem): a refused or failed join
  // leaves the data directory as it was.
  std::string pem;
  Result<std::unique_ptr<sync::Transport>> t = make_error("invalid_value", "no transport", "hub");
  if (vm.count("ca")) {
    const std::string given = vm["ca"].as<std::string>();
    auto read = read_small_file(given);
    if (!read.ok()) return fail(make_error("invalid_value", "cannot read --ca: " + read.error().message, "ca"), kExitUsage);
    if (read->find("-----BEGIN CERTIFICATE-----") == std::string::npos)
      return fail(make_error("invalid_value", "--ca must be a PEM certificate file", "ca"), kExitUsage);
    pem = std::move(read.value());
    sync::HttpOptions ho;
    ho.url = url;
    ho.ca_file = given;
    t = sync::make_http_transport(ho);
  } else {
    t = sync::hub_transport(*n, url);
  }
  if (!t.ok()) return fail(t.error(), kExitUsage);
  auto r = sync::join(*n, *t.value(), url, vm["code"].as<std::string>());
  if (!r.ok()) return fail(r.error());
  if (!pem.empty()) {
    Status w = write_file_durably(n->data_dir() + "/" + sync::kHubCaFile, pem);
    if (!w.ok())
      return fail(make_error(w.error().code, "joined, but the hub's certificate could not be kept: " + w.error().message +
                                                 " (copy it to " + n->data_dir() + "/" + sync::kHubCaFile + ")"));
  }
  const Json& j = r.value();
  std::cout << "joined hub '" << j["hub_name"].get<std::string>() << "' (key " << j["hub"].get<std::string>().substr(0, 16)
            << "…) as point '" << j["point"].get<std::string>() << "', area " << j["area"].get<std::string>() << "\n"
            << j["leases"].get<size_t>() << " days of dossier numbers leased; catalogue and holidays received\n"
            << "motcua serve syncs by itself from now on (a running one within sync_interval_s); sync now with: "
               "motcua sync\n";
  return kExitOk;
}

int cmd_sync(const std::vector<std::string>& args) {
  po::options_description desc("options");
  add_common(desc);
  desc.add_options()("once", "one attempt only (default: retry a failed link a few times with backoff)");
  po::variables_map vm;
  if (!parse("sync", "[--once]   (on a point)", desc, args, vm)) return kExitOk;
  auto n = open_role(vm, node::Role::Point, "sync");
  if (!n) return kExitFailed;
  auto t = sync::hub_transport(*n);
  if (!t.ok()) return fail(t.error());
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  auto last_print = t0;
  sync::ClientOptions o;
  o.progress = [&](const sync::SyncProgress& p) {
    auto now = Clock::now();
    if (p.phase != "done" && now - last_print < std::chrono::milliseconds(500)) return;
    last_print = now;
    double secs = std::max(1e-3, std::chrono::duration<double>(now - t0).count());
    std::cerr << std::left << std::setw(10) << p.phase << p.entries_up << " up, " << p.entries_down << " down, "
              << human_bytes(p.bytes_up + p.bytes_down) << ", "
              << static_cast<int64_t>((p.entries_up + p.entries_down) / secs) << " entries/s\n";
  };
  const int attempts = vm.count("once") ? 1 : 4;
  Result<Json> r = make_error("no_attempt", "not run");
  for (int i = 0; i < attempts; ++i) {
    r = sync::sync_once(*n, *t.value(), o);
    if (r.ok() || r.error().code != "link_down") break;
    if (i + 1 < attempts) {
      std::cerr << "motcua: " << r.error().message << "; retrying in " << (2 << i) << " s\n";
      std::this_thread::sleep_for(std::chrono::seconds(2 << i));
    }
  }
  if (!r.ok()) return fail(r.error());
  const Json& s = r.value();
  std::cout << "sync ok: " << s["entries_up"] << " entries up, " << s["entries_down"] << " down, "
            << human_bytes(s["bytes_up"].get<int64_t>() + s["bytes_down"].get<int64_t>()) << " on the wire, "
            << s["requests"] << " requests, " << s["receipts"] << " receipts, "
            << s["duration_ms"].get<int64_t>() / 1000.0 << " s (clock skew seen by the hub: "
            << s["skew_ms"].get<int64_t>() / 1000 << " s)\n";
  if (s.value("quarantined", int64_t{0}) > 0 || s.value("skipped", int64_t{0}) > 0)
    std::cout << "entries from the hub: " << s.value("quarantined", int64_t{0}) << " held in quarantine, "
              << s.value("skipped", int64_t{0}) << " not stored (see motcua audit)\n";
  const int64_t blobs_moved = s.value("blobs_up", int64_t{0}) + s.value("blobs_down", int64_t{0});
  if (blobs_moved > 0 || s.value("blobs_waiting", int64_t{0}) > 0) {
    std::cout << "attachments: " << s.value("blobs_up", int64_t{0}) << " up, " << s.value("blobs_down", int64_t{0})
              << " down (" << human_bytes(s.value("blob_bytes_up", int64_t{0}) + s.value("blob_bytes_down", int64_t{0}))
              << "), " << s.value("blobs_waiting", int64_t{0}) << " waiting\n";
    for (const auto& e : s.value("blob_errors", Json::array()))
      std::cout << "  attachment " << e.value("id", std::string()).substr(0, 16) << "…: " << e.value("message", std::string())
                << " (" << e.value("code", std::string()) << ")\n";
  }
  return kExitOk;
}

int cmd_audit(const std::vector<std::string>& args) {
  po::options_description desc("options");
  add_common(desc);
  desc.add_options()("point", po::value<std::string>()->default_value(""), "only this point's sessions")(
      "since", po::value<std::string>()->default_value(""), "only sessions since this time: YYYY-MM-DD (UTC) or YYYY-MM-DDTHH:MM[:SS]Z or ...+07:00")(
      "json", "print the JSON of GET /api/v1/audit/sync-log");
  po::variables_map vm;
  if (!parse("audit", "[--point NAME] [--since T] [--json]", desc, args, vm)) return kExitOk;
  std::string since = vm["since"].as<std::string>();
  int64_t since_ms = 0;
  if (!since.empty()) {
    auto ms = sync::parse_audit_since(since);
    if (!ms.ok()) return fail(ms.error(), kExitUsage);
    since_ms = ms.value();
  }
  auto n = open_node(vm);
  if (!n) return kExitFailed;
  std::string point = vm["point"].as<std::string>();
  Json log;
  if (n->role() == node::Role::Hub) log = sync::Hub(*n, sync::open_hub_store(*n)).sync_log(point, since_ms);
  else log = sync::point_sync_log(*n, point, since_ms);
  if (vm.count("json")) {
    std::cout << log.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << std::left << std::setw(22) << "START" << std::setw(16) << "POINT" << std::setw(12) << "RESULT"
            << std::setw(18) << "UP entries/bytes" << std::setw(20) << "DOWN entries/bytes" << std::setw(9)
            << "RECEIPTS" << std::setw(8) << "SKEW s" << "ERROR\n";
  for (const auto& s : log["sessions"]) {
    std::ostringstream up, down;
    up << s["entries_up"].get<int64_t>() << "/" << human_bytes(s["bytes_up"].get<int64_t>());
    down << s["entries_down"].get<int64_t>() << "/" << human_bytes(s["bytes_down"].get<int64_t>());
    std::cout << std::left << std::setw(22) << when(s["start"]) << std::setw(16) << s["point"].get<std::string>()
              << std::setw(12) << s["result"].get<std::string>() << std::setw(18) << up.str() << std::setw(20)
              << down.str() << std::setw(9) << s["receipts"].get<int64_t>() << std::setw(8)
              << s["skew_ms"].get<int64_t>() / 1000 << (s["error"].is_string() ? s["error"].get<std::string>() : "")
              << "\n";
  }
  if (log["sessions"].empty()) std::cout << "(no sync sessions recorded)\n";
  if (!log["alerts"].empty()) {
    std::cout << "\nALERTS\n";
    for (const auto& a : log["alerts"]) {
      std::cout << a["at"].get<std::string>() << "  " << a["kind"].get<std::string>() << "  "
                << a["point"].get<std::string>() << "  " << a["detail"].get<std::string>();
      const int64_t count = a.value("count", int64_t{1});
      const std::string source = a.value("source", std::string());
      if (!source.empty()) std::cout << "  from " << source;
      if (count > 1) std::cout << "  (" << count << " times, last " << a.value("last_at", std::string()) << ")";
      std::cout << "\n";
    }
  }
  return kExitOk;
}

}  // namespace motcua::cli

namespace motcua::cli {

int cmd_bundle(const std::vector<std::string>& args) {
  po::options_description desc("options");
  add_common(desc);
  desc.add_options()("action", po::value<std::string>()->required(), "export | import")(
      "file", po::value<std::string>()->required(), "the bundle file (e.g. on a USB stick)")(
      "point", po::value<std::string>(), "(hub, export) the point the bundle is for");
  po::positional_options_description pos;
  pos.add("action", 1).add("file", 1);
  po::variables_map vm;
  if (!parse("bundle", "export FILE [--point NAME] | import FILE", desc, args, vm, &pos)) return kExitOk;
  std::string action = vm["action"].as<std::string>(), file = vm["file"].as<std::string>();
  if (action != "export" && action != "import") throw UsageError("bundle: action must be 'export' or 'import'");
  auto n = open_node(vm);
  if (!n) return kExitFailed;
  Result<Json> r = make_error("none", "none");
  if (n->role() == node::Role::Hub) {
    sync::Hub hub(*n, sync::open_hub_store(*n));
    if (action == "export") {
      if (!vm.count("point")) throw UsageError("bundle export at a hub needs --point NAME");
      r = sync::export_hub_bundle(hub, *n, vm["point"].as<std::string>(), file);
    } else {
      r = sync::import_point_bundle(hub, *n, file);
    }
  } else {
    r = action == "export" ? sync::export_point_bundle(*n, file) : sync::import_hub_bundle(*n, file);
  }
  if (!r.ok()) return fail(r.error());
  const Json& j = r.value();
  if (action == "export")
    std::cout << "wrote " << file << ": " << j["messages"] << " messages, " << j["entries"] << " entries, "
              << human_bytes(j["bytes"].get<int64_t>()) << "\n";
  else if (n->role() == node::Role::Hub)
    std::cout << "imported bundle of point '" << j["point"].get<std::string>() << "': " << j["stored"]
              << " new entries stored (receipts in motcua audit)\n";
  else
    std::cout << "imported hub bundle: " << j["entries"] << " new entries, " << j["leases"] << " days of numbers\n";
  return kExitOk;
}

}  // namespace motcua::cli
