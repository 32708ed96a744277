// user: local accounts of this node (clerks, postal workers, officers, admins).
#include <iostream>

#include "cli.hpp"
#include "motcua/node/users.hpp"

namespace motcua::cli {

int cmd_user(const std::vector<std::string>& args) {
  po::options_description desc("options");
  add_common(desc);
  desc.add_options()("action", po::value<std::string>()->required(), "add | list | unlock")(
      "name", po::value<std::string>(), "login name (add): ASCII letters without diacritics, digits, '.', '_' or '-'")(
      "role", po::value<std::string>(), "clerk | postal | officer | admin (add)")(
      "full-name", po::value<std::string>(), "the person's full name, as printed on receipts (add), e.g. \"Nguyễn Thị Lan\"");
  po::positional_options_description pos;
  pos.add("action", 1).add("name", 1);
  po::variables_map vm;
  if (!parse("user",
             "add NAME --role clerk|postal|officer|admin [--full-name \"Họ Tên\"]   (password on stdin, one line) | "
             "list | unlock NAME",
             desc, args, vm, &pos))
    return kExitOk;
  std::string action = vm["action"].as<std::string>();
  if (action != "add" && action != "list" && action != "unlock")
    throw UsageError("user: action must be 'add', 'list' or 'unlock'");
  if (action == "unlock" && !vm.count("name")) throw UsageError("user unlock needs a NAME");
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
    for (const auto& u : users.list_users())
      std::cout << u.username << "\t" << node::user_role_name(u.role) << "\t" << u.full_name << "\t"
                << (u.disabled ? "disabled" : "enabled") << (u.throttled ? "\tthrottled" : "") << "\n";
    return kExitOk;
  }
  std::string name = vm["name"].as<std::string>();
  if (action == "unlock") {
    Status s = users.unlock(name);
    if (!s.ok()) return fail(s.error(), kExitFailed);
    std::cout << "user '" << name << "': failed logins forgotten\n";
    return kExitOk;
  }
  std::string password;
  if (!std::getline(std::cin, password)) password.clear();
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty())
    return fail(make_error("invalid_value", "no password on stdin (one line, at least 8 characters)", "password"),
                kExitUsage);
  Status s = users.add_user(name, *role, password, vm.count("full-name") ? vm["full-name"].as<std::string>() : "");
  if (!s.ok()) return fail(s.error(), s.error().code == "invalid_value" ? kExitUsage : kExitFailed);
  std::cout << "user '" << name << "' added with role " << node::user_role_name(*role) << "\n";
  return kExitOk;
}

}  // namespace motcua::cli
