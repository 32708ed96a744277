// demo: the main job as it stands. Today: a point records and verifies entries.
#include <filesystem>

#include "cli.hpp"
#include "motcua/crypto.hpp"

namespace motcua::cli {

int cmd_demo(const std::vector<std::string>& args) {
  po::options_description desc("options");
  desc.add_options()("help,h", "show this help")("dir", po::value<std::string>()->default_value("./motcua-demo"),
                                                   "where the demo nodes live (wiped first)");
  po::variables_map vm;
  if (!parse("demo", "[--dir DIR]", desc, args, vm)) return kExitOk;
  namespace fs = std::filesystem;
  std::string dir = vm["dir"].as<std::string>();
  fs::remove_all(dir);
  std::string point = (fs::path(dir) / "point-an-thi").string();
  std::cout << "== 1. init a service point in " << point << "\n";
  node::InitOptions io{point, node::Role::Point, "xa-an-thi", "000.00.01.H22", std::nullopt, false};
  Status s = node::Node::init(io, system_random());
  if (!s.ok()) return fail(s.error());
  node::OpenOptions oo;
  oo.data_dir = point;
  auto n = node::Node::open(oo);
  if (!n.ok()) return fail(n.error());
  auto& j = n.value()->journal();
  std::cout << "== 2. record sample entries (signed, hash-chained)\n";
  std::vector<node::EntryDraft> drafts = {
      {"clerk.lan", "dossier.submitted", "000.00.01.H22-251127-0001",
       Json{{"procedure_code", "1.001193"}, {"applicant", {{"full_name", "Nguyễn Văn An"}}}}},
      {"officer.binh", "dossier.accepted", "000.00.01.H22-251127-0001", Json::object()},
      {"clerk.lan", "dossier.submitted", "000.00.01.H22-251127-0002",
       Json{{"procedure_code", "1.000894"}, {"applicant", {{"full_name", "Trần Thị Đào"}}}}},
  };
  auto r = j.append_batch(drafts);
  if (!r.ok()) return fail(r.error());
  for (const auto& e : r.value())
    std::cout << "   seq " << e.seq << "  " << e.type << "  " << e.subject << "  id " << to_hex(e.id).substr(0, 16)
              << "…\n";
  std::cout << "== 3. verify the journal\n";
  auto rep = j.verify();
  std::cout << "   " << (rep.ok() ? "OK" : "FAILED") << ": " << rep.entries_checked << " entries, state hash "
            << to_hex(j.state_hash()).substr(0, 16) << "…\n";
  std::cout << "== look: motcua verify --data-dir " << point << "\n";
  return rep.ok() ? kExitOk : kExitFailed;
}

}  // namespace motcua::cli
