// `motcua serve` as a real child process on loopback, for the tests and
// benchmarks that kill, restart or measure it: stderr (the access log) goes
// to a file, stdin and stdout to /dev/null, and the port is read from the
// daemon's "event=listening" line.
#pragma once
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace motcua::test {

struct ServeProcess {
  pid_t pid = -1;
  int port = 0;

  // `listen`: "127.0.0.1:0" for any free port, or the address of an earlier
  // run (a restart on the same port). `extra`: more arguments to serve.
  ServeProcess(const std::string& binary, const std::string& data_dir, const std::string& log,
               const std::string& listen = "127.0.0.1:0", const std::vector<std::string>& extra = {},
               int timeout_ms = 30000) {
    std::vector<std::string> args = {binary, "serve", "--data-dir", data_dir, "--listen", listen};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    int rc = posix_spawn(&pid, binary.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw std::runtime_error("cannot start motcua serve");
    const std::regex listening(R"(event=listening addr=127\.0\.0\.1:(\d+))");
    for (int waited = 0; waited < timeout_ms && port == 0; waited += 20) {
      std::ifstream in(log);
      std::stringstream ss;
      ss << in.rdbuf();
      const std::string text = ss.str();
      std::smatch m;
      if (std::regex_search(text, m, listening)) port = std::stoi(m[1]);
      else std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (port == 0) {
      signal_and_wait(SIGKILL);
      throw std::runtime_error("motcua serve did not start listening: see " + log);
    }
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;
  ~ServeProcess() { kill_now(); }

  // Sends `sig`, waits; the exit status, 128 + the signal if it was killed.
  int signal_and_wait(int sig) {
    if (pid <= 0) return -1;
    ::kill(pid, sig);
    int st = 0;
    ::waitpid(pid, &st, 0);
    pid = -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  void kill_now(int sig = SIGKILL) { (void)signal_and_wait(sig); }

  // Resident memory of the daemon in KiB, -1 if unknown.
  long rss_kb() const {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
  }
};

}  // namespace motcua::test
