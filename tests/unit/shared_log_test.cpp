// The journal as a replica of a shared log, against an in-memory log with the
// contract every log meets (shared_log_contract.hpp; PostgreSQL's in
// hub_log_pg_test.cpp).
#include <catch2/catch.hpp>

#include <condition_variable>
#include <map>
#include <mutex>

#include "shared_log_contract.hpp"

namespace motcua::test {
namespace {

// The log's data and its write lock, shared by every handle.
struct MemoryLogData {
  std::mutex lock_mu;
  std::condition_variable lock_cv;
  bool locked = false;
  std::mutex mu;  // guards what follows
  std::vector<node::LogRow> rows;
  std::map<PublicKey, std::pair<int64_t, Hash32>> heads;
  struct Q {
    node::LogQuarantine q;
    int64_t ver = 0;
  };
  std::map<Hash32, Q> quarantine;
  int fail_commits = 0;  // the next N commits fail (a lost connection)
  int commits = 0;       // commits tried
  int fail_commit_no = 0;  // this commit (1-based) fails
};

class MemoryLog final : public node::SharedLog {
 public:
  explicit MemoryLog(std::shared_ptr<MemoryLogData> d) : d_(std::move(d)) {}
  ~MemoryLog() override {
    if (held_) unlock();
  }
  std::string describe() const override { return "memory"; }
  Result<node::LogTail> read(int64_t after, size_t limit) override {
    std::lock_guard<std::mutex> g(d_->mu);
    node::LogTail t;
    for (size_t i = static_cast<size_t>(after); i < d_->rows.size() && t.rows.size() < limit; ++i)
      t.rows.push_back(d_->rows[i]);
    t.more = static_cast<size_t>(after) + t.rows.size() < d_->rows.size();
    if (!t.rows.empty())
      for (const auto& [id, q] : d_->quarantine)
        if (q.ver > after && q.q.pos <= t.rows.back().pos) t.quarantine.push_back(q.q);
    return t;
  }
  Result<int64_t> begin_write() override {
    std::unique_lock<std::mutex> l(d_->lock_mu);
    d_->lock_cv.wait(l, [&] { return !d_->locked; });
    d_->locked = held_ = true;
    std::lock_guard<std::mutex> g(d_->mu);
    return static_cast<int64_t>(d_->rows.size());
  }
  Status commit_write(const std::vector<node::LogRow>& rows, const std::vector<node::LogQuarantine>& q) override {
    Status s = commit(rows, q);
    unlock();
    return s;
  }
  void abort_write() override { unlock(); }

 private:
  Status commit(const std::vector<node::LogRow>& rows, const std::vector<node::LogQuarantine>& q) {
    std::lock_guard<std::mutex> g(d_->mu);
    if (!held_) return make_error("storage", "commit without begin");
    if (++d_->commits == d_->fail_commit_no) return make_error("storage", "the connection to the log was lost");
    if (d_->fail_commits > 0) {
      --d_->fail_commits;
      return make_error("storage", "the connection to the log was lost");
    }
    auto heads = d_->heads;
    int64_t next = static_cast<int64_t>(d_->rows.size()) + 1;
    for (const auto& r : rows) {
      if (r.pos != next++) return make_error("storage", "position " + std::to_string(r.pos) + " is not next");
      auto& h = heads[r.author];
      if (r.seq != h.first + 1) return make_error("storage", "the author's head moved");
      h = {r.seq, r.id};
    }
    d_->heads = heads;
    d_->rows.insert(d_->rows.end(), rows.begin(), rows.end());
    for (const auto& x : q) d_->quarantine[x.row.id] = MemoryLogData::Q{x, static_cast<int64_t>(d_->rows.size())};
    return ok_status();
  }
  void unlock() {
    std::lock_guard<std::mutex> l(d_->lock_mu);
    d_->locked = held_ = false;
    d_->lock_cv.notify_all();
  }
  std::shared_ptr<MemoryLogData> d_;
  bool held_ = false;
};

}  // namespace

TEST_CASE("a shared log keeps rows in commit order (in memory)", "[sharedlog]") {
  auto data = std::make_shared<MemoryLogData>();
  run_shared_log_contract([data] { return std::make_shared<MemoryLog>(data); });
}

TEST_CASE("two hub processes on one shared log converge (in memory)", "[sharedlog]") {
  auto data = std::make_shared<MemoryLogData>();
  run_shared_journal_contract([data] { return std::make_shared<MemoryLog>(data); });
}

TEST_CASE("a write the shared log refuses is not kept locally either", "[sharedlog]") {
  using namespace shared_log_contract;
  auto data = std::make_shared<MemoryLogData>();
  TwoHubs h([data] { return std::make_shared<MemoryLog>(data); });
  const auto before = journal_rows(*h.a);
  data->fail_commits = 1;
  auto e = h.a->journal().append(draft("S-1", "lost"));
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().code == "storage");
  CHECK(journal_rows(*h.a) == before);
  // The next write goes through, at the position the failed one would have had.
  auto e2 = h.a->journal().append(draft("S-1", "kept"));
  REQUIRE(e2.ok());
  CHECK(journal_rows(*h.a).size() == before.size() + 1);
  h.converge();
}

}  // namespace motcua::test

namespace motcua::test {

TEST_CASE("a copy of a journal to the shared log that stopped part way goes on", "[sharedlog]") {
  using namespace shared_log_contract;
  TempDir dir("shared-copy");
  ManualClock clock{1'760'000'000'000};
  SeededRandom rng{5};
  auto hub = make_node(dir.sub("hub"), clock, rng, node::Role::Hub, "hub");
  std::vector<node::EntryDraft> drafts;
  for (int i = 0; i < 1500; ++i) drafts.push_back(draft("S-" + std::to_string(i % 40), "n" + std::to_string(i)));
  REQUIRE(hub->journal().append_batch(drafts).ok());
  const auto rows = journal_rows(*hub);
  auto data = std::make_shared<MemoryLogData>();
  // The copy goes in pages of 1000 rows, one commit each: the first lands,
  // the second is lost.
  data->fail_commit_no = 2;
  Status first = hub->journal().set_shared_log(std::make_shared<MemoryLog>(data));
  REQUIRE_FALSE(first.ok());
  CHECK(first.error().code == "storage");
  CHECK_FALSE(hub->journal().shared());
  {
    std::lock_guard<std::mutex> g(data->mu);
    CHECK(data->rows.size() == 1000);
  }
  Status again = hub->journal().set_shared_log(std::make_shared<MemoryLog>(data));
  REQUIRE(again.ok());
  {
    std::lock_guard<std::mutex> g(data->mu);
    REQUIRE(data->rows.size() == rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      CHECK(data->rows[i].pos == rows[i].first);
      std::string hex = rows[i].second;
      for (char& c : hex) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      CHECK(to_hex(data->rows[i].id) == hex);
    }
  }
  CHECK(journal_rows(*hub) == rows);
}

}  // namespace motcua::test
