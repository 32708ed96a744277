// Helpers shared by the unit tests: temporary directories and test nodes.
#pragma once
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "motcua/crypto.hpp"
#include "motcua/env.hpp"
#include "motcua/node/node.hpp"

namespace motcua::test {

// A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "t") {
    std::string tmpl = (std::filesystem::temp_directory_path() / ("motcua-" + tag + "-XXXXXX")).string();
    char* p = ::mkdtemp(tmpl.data());
    path_ = p ? p : tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const { return (std::filesystem::path(path_) / name).string(); }

 private:
  std::string path_;
};

// Creates a node in `dir` (seeded key) and opens it with the given clock.
inline std::unique_ptr<node::Node> make_node(const std::string& dir, Clock& clock, Random& rng,
                                             node::Role role = node::Role::Point,
                                             const std::string& name = "test-point",
                                             node::SubjectProjector projector = {}) {
  node::InitOptions io;
  io.data_dir = dir;
  io.role = role;
  io.name = name;
  io.agency_code = "000.00.01.H22";
  io.fast_kdf_for_tests = true;
  auto s = node::Node::init(io, rng);
  if (!s.ok()) throw std::runtime_error(s.error().message);
  node::OpenOptions oo;
  oo.data_dir = dir;
  oo.clock = &clock;
  oo.random = &rng;
  oo.projector = std::move(projector);
  auto n = node::Node::open(oo);
  if (!n.ok()) throw std::runtime_error(n.error().message);
  return std::move(n.value());
}

// Opens a node that already exists in `dir` (for reopening after a crash).
inline std::unique_ptr<node::Node> open_existing(const std::string& dir, Clock& clock,
                                                 node::SubjectProjector projector = {}) {
  node::OpenOptions oo;
  oo.data_dir = dir;
  oo.clock = &clock;
  oo.projector = std::move(projector);
  auto n = node::Node::open(oo);
  if (!n.ok()) throw std::runtime_error(n.error().message);
  return std::move(n.value());
}

#ifdef MOTCUA_BINARY
// Runs `motcua ARGS` (the binary of this build) through the shell and returns
// what it printed on stdout and stderr; `status` gets its exit code (-1 if it
// did not exit normally). ARGS is shell text: quote paths.
inline std::string run_motcua(const std::string& args, int* status = nullptr) {
  std::string cmd = std::string("'") + MOTCUA_BINARY + "' " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[512];
  while (p && std::fgets(buf, sizeof buf, p)) out += buf;
  int st = p ? ::pclose(p) : -1;
  if (status) *status = st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}
#endif

}  // namespace motcua::test
