// ParseStream: received entries parsed and verified (parse_entry: canonical
// form, id, Ed25519 signature) on worker threads, in index order, while the
// journal stores the ones already done (docs/design/0116).
//
// Workers claim chunks of indexes in order; get(i) waits until entry i is
// done. Storing (one thread, under the journal's lock) is slower per entry
// than verifying on the other threads, so after the first chunk it seldom
// waits. The destructor stops and joins the workers, also when the ingest
// ends early (a refused batch, an exception).
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "motcua/node/entry.hpp"

namespace motcua::node {

class ParseStream {
 public:
  // Worker threads only for batches of at least `min_parallel` entries;
  // smaller ones are parsed here, at once.
  explicit ParseStream(const std::vector<Entry>& given, size_t min_parallel = 256);
  ~ParseStream();
  ParseStream(const ParseStream&) = delete;
  ParseStream& operator=(const ParseStream&) = delete;

  size_t size() const { return given_.size(); }
  // Entry i parsed (or its error); waits until it is done.
  Result<Entry>& get(size_t i);
  // Waits until the first `count` entries are done.
  void wait(size_t count);

 private:
  void work();

  const std::vector<Entry>& given_;
  std::vector<std::optional<Result<Entry>>> out_;
  std::unique_ptr<std::atomic<bool>[]> done_;
  std::atomic<size_t> next_{0};
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::thread> pool_;
};

}  // namespace motcua::node
