// Shared helpers of the motcua command line (the only place that parses options).
#pragma once
#include <boost/program_options.hpp>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "motcua/node/node.hpp"

namespace motcua::cli {

namespace po = boost::program_options;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Parses `args` (the words after the command name) against `desc`; prints
// help and returns false when --help was given. Throws UsageError on bad words.
bool parse(const std::string& command, const std::string& synopsis, po::options_description& desc,
           const std::vector<std::string>& args, po::variables_map& vm,
           po::positional_options_description* pos = nullptr);

// Adds --data-dir and --help.
void add_common(po::options_description& desc);

// Passphrase for a protected key: MOTCUA_PASSPHRASE, else none.
std::optional<std::string> passphrase_from_env();

// Opens the node in --data-dir or prints the error and returns null.
std::unique_ptr<node::Node> open_node(const po::variables_map& vm);

// One readable line on stderr.
int fail(const Error& e, int code = kExitFailed);

using Command = int (*)(const std::vector<std::string>& args);

int cmd_init(const std::vector<std::string>& args);
int cmd_verify(const std::vector<std::string>& args);
int cmd_config(const std::vector<std::string>& args);
int cmd_demo(const std::vector<std::string>& args);
int cmd_user(const std::vector<std::string>& args);
int cmd_serve(const std::vector<std::string>& args);
int cmd_point(const std::vector<std::string>& args);
int cmd_join(const std::vector<std::string>& args);
int cmd_sync(const std::vector<std::string>& args);
int cmd_audit(const std::vector<std::string>& args);
int cmd_bundle(const std::vector<std::string>& args);
int cmd_quarantine(const std::vector<std::string>& args);
int cmd_restore(const std::vector<std::string>& args);
// restore --from-hub URL --code CODE (cmd_restore_hub.cpp).
int restore_from_hub(const po::variables_map& vm);
int cmd_backup(const std::vector<std::string>& args);
// hub copy-store (cmd_hub.cpp).
int cmd_hub(const std::vector<std::string>& args);
// restore FILE: a backup archive into an empty data dir (cmd_backup.cpp).
int restore_from_file(const po::variables_map& vm);

}  // namespace motcua::cli
