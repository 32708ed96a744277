// user: local accounts of this node (clerks, postal workers, officers, admins).
#include <iostream>

#include "cli.hpp"
#include "motcua/node/users.hpp"

namespace motcua::cli {

int cmd_user(const std::vector<std::string>& args) {
  po::options_description desc("options");
  add_common(desc);
  desc.add_options()("action", po::value<std::string>()->required(), "add | list")(
      "name", po::value<std::string>(), "login name (add): ASCII letters without diacritics, digits, '.', '_' or '-'")(
      "role", po::value<std::string>(), "clerk | postal | officer | admin (add)");
  po::positional_options_description pos;
  pos.add("action", 1).add("name", 1);
  po::variables_map vm;
  if (!parse("user", "add NAME --role clerk|postal|officer|admin   (password on stdin, one line) | list", desc, args,
             vm, &pos))
    return kExitOk;
  std::string action = vm["action"].as<std::string>();
  if (action != "add" && action != "list") throw UsageError("user: action must be 'add' or 'list'");
  std::optional<node::UserRole> role;
  if (action == "add") {
    if (!vm.count("name")) throw UsageError("user add needs a NAME");
    if (!vm.count("role")) throw UsageError("user add needs --role clerk|postal|officer|admin");
    role = node::parse_user_role(vm["role"].as<std::string>());
    if (!role) throw UsageError("user add: --role must be clerk, postal, officer or admin");
  }
  auto n = open_node(vm);
  if (!n) return kExitFailed;
  node::UserStore users(n->db(), n->clock(), n->random());
  if (action == "list") {
    for (const auto& u : users.list_users()) std::cout << u.username << "\t" << node::user_role_name(u.role) << "\n";
    return kExitOk;
  }
  std::string name = vm["name"].as<std::string>();
  std::string password;
  if (!std::getline(std::cin, password)) password.clear();
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty())
    return fail(make_error("invalid_value", "no password on stdin (one line, at least 8 characters)", "password"),
                kExitUsage);
  Status s = users.add_user(name, *role, password);
  if (!s.ok()) return fail(s.error(), s.error().code == "invalid_value" ? kExitUsage : kExitFailed);
  std::cout << "user '" << name << "' added with role " << node::user_role_name(*role) << "\n";
  return kExitOk;
}

}  // namespace motcua::cli
