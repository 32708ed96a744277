// serve: run the daemon until SIGTERM or SIGINT, then stop cleanly.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <ctime>
#include <thread>

#include "cli.hpp"
#include "motcua/sync/server.hpp"

namespace motcua::cli {

int cmd_serve(const std::vector<std::string>& args) {
  po::options_description desc("options");
  add_common(desc);
  desc.add_options()("listen", po::value<std::string>(), "HOST:PORT to listen on (default: config 'listen'; port 0 = any)")(
      "threads", po::value<int>()->default_value(8), "request worker threads");
  po::variables_map vm;
  if (!parse("serve", "[--listen 127.0.0.1:8080]", desc, args, vm)) return kExitOk;
  int threads = vm["threads"].as<int>();
  if (threads < 1 || threads > 256) throw UsageError("serve: --threads must be 1..256");

  // Stop signals are blocked in every thread (new threads inherit the mask)
  // and taken by one watcher thread with sigtimedwait, so no work ever runs
  // inside a signal handler.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  auto n = open_node(vm);
  if (!n) return kExitFailed;
  sync::DaemonOptions opt;
  opt.threads = threads;
  std::string listen = vm.count("listen") ? vm["listen"].as<std::string>() : n->config().get("listen");
  Status parsed = sync::parse_listen(listen, opt);
  if (!parsed.ok()) return fail(parsed.error(), kExitUsage);

  int rc = kExitOk;
  {
    sync::Daemon daemon(*n, opt);
    Status bound = daemon.bind();
    if (!bound.ok()) return fail(bound.error());
    std::atomic<bool> done{false};
    std::thread watcher([&] {
      bool stopping = false;
      timespec tick{0, 200 * 1000 * 1000};
      while (!done) {
        int sig = ::sigtimedwait(&stop_signals, nullptr, &tick);
        if (sig != SIGTERM && sig != SIGINT) continue;
        if (stopping) {
          std::cerr << "motcua: second stop signal; exiting without waiting\n";
          std::_Exit(kExitFailed);
        }
        stopping = true;
        daemon.stop();
      }
    });
    Status ran = daemon.run();
    done = true;
    watcher.join();
    if (!ran.ok()) rc = fail(ran.error());
  }
  n.reset();  // closes the database (WAL checkpoint) before exit
  return rc;
}

}  // namespace motcua::cli
