// ParseStream (node/src/parse_stream.hpp): received entries verified on
// worker threads while the journal stores those already done; and a large
// batch through ingest, where that overlap happens, refusing and skipping
// exactly as a small one does (docs/design/0116).
#include <catch2/catch.hpp>

#include <thread>

#include "../../node/src/parse_stream.hpp"
#include "motcua/node/journal.hpp"
#include "test_util.hpp"

using namespace motcua;
using node::Entry;
using node::EntryDraft;

namespace {
constexpr int64_t kT0 = 1'751'328'000'000;  // 2025-07-01 00:00 UTC

std::vector<EntryDraft> drafts(int n, int from = 0) {
  std::vector<EntryDraft> out;
  for (int i = from; i < from + n; ++i)
    out.push_back(EntryDraft{"clerk.an", "dossier.note", "000.00.01.H22-250701-" + std::to_string(1000 + i % 97),
                             Json{{"i", i}}});
  return out;
}

struct Nodes {
  test::TempDir dir{"parse_stream"};
  ManualClock clock_a{kT0}, clock_b{kT0}, clock_c{kT0};
  SeededRandom rng_a{1}, rng_b{2}, rng_c{3};
  std::unique_ptr<node::Node> a = test::make_node(dir.sub("a"), clock_a, rng_a, node::Role::Point, "a", node::summary_projector);
  std::unique_ptr<node::Node> b = test::make_node(dir.sub("b"), clock_b, rng_b, node::Role::Point, "b", node::summary_projector);
  std::unique_ptr<node::Node> c = test::make_node(dir.sub("c"), clock_c, rng_c, node::Role::Hub, "c", node::summary_projector);
};

std::vector<Entry> written(node::Node& n, int count, int from = 0) {
  auto r = n.journal().append_batch(drafts(count, from));
  if (!r.ok()) throw std::runtime_error(r.error().message);
  return r.value();
}
}  // namespace

TEST_CASE("a parse stream gives each entry's own result, in order, whatever the threads", "[parsestream]") {
  Nodes t;
  std::vector<Entry> given = written(*t.a, 1000);
  given[500].sig[0] ^= 1;                    // a forged signature
  given[731].canonical.insert(0, " ");       // not canonical
  node::ParseStream s(given);
  REQUIRE(s.size() == 1000);
  for (size_t i = 0; i < given.size(); ++i) {
    auto& r = s.get(i);
    auto want = node::parse_entry(given[i].canonical, given[i].sig);
    REQUIRE(r.ok() == want.ok());
    if (r.ok()) {
      CHECK(r.value().id == given[i].id);
      CHECK(r.value().seq == given[i].seq);
    } else {
      CHECK(r.error().code == want.error().code);
    }
  }
  CHECK_FALSE(s.get(500).ok());
  CHECK_FALSE(s.get(731).ok());
  CHECK(s.get(999).ok());
  // Small batches are parsed at once, without threads: same answers.
  std::vector<Entry> small(given.begin() + 495, given.begin() + 505);
  node::ParseStream s2(small);
  for (size_t i = 0; i < small.size(); ++i) CHECK(s2.get(i).ok() == (i != 5));
}

TEST_CASE("a parse stream left early stops its workers", "[parsestream]") {
  Nodes t;
  std::vector<Entry> given = written(*t.a, 3000);
  for (int round = 0; round < 5; ++round) {
    node::ParseStream s(given);
    REQUIRE(s.get(0).ok());
  }  // each destructor joins its workers before the entries go
  node::ParseStream s(given);
  s.wait(given.size());
  CHECK(s.get(2999).ok());
}

TEST_CASE("a large batch is stored, refused or skipped as a small one is", "[parsestream][journal]") {
  Nodes t;
  std::vector<Entry> given = written(*t.a, 1200);
  SECTION("stored whole, the same as its author holds") {
    auto r = t.b->journal().ingest(given, node::IngestOptions{});
    REQUIRE(r.ok());
    CHECK(r->stored == 1200);
    CHECK(t.b->journal().heads().at(t.a->keys().pk) == 1200);
    CHECK(t.b->journal().verify().ok());
  }
  SECTION("a forged signature deep in the batch refuses all of it") {
    std::vector<Entry> bad = given;
    bad[900].sig[3] ^= 0x20;
    const int64_t before = t.b->journal().count();
    auto r = t.b->journal().ingest(bad, node::IngestOptions{});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "bad_signature");
    CHECK(t.b->journal().count() == before);
    CHECK(t.b->journal().heads().count(t.a->keys().pk) == 0);
  }
  SECTION("per entry: the forged one and the chain after it are skipped, the rest stored") {
    std::vector<Entry> bad = given;
    bad[900].sig[3] ^= 0x20;
    node::IngestOptions o;
    o.per_entry = true;
    auto r = t.b->journal().ingest(bad, o);
    REQUIRE(r.ok());
    CHECK(r->stored == 900);
    REQUIRE_FALSE(r->skipped.empty());
    CHECK(r->skipped.front().seq == 901);
    CHECK(r->skipped.front().error.code == "bad_signature");
    CHECK(t.b->journal().heads().at(t.a->keys().pk) == 900);
  }
}

TEST_CASE("two large batches ingested at once both land whole", "[parsestream][journal]") {
  Nodes t;
  std::vector<Entry> from_a = written(*t.a, 1500);
  std::vector<Entry> from_b = written(*t.b, 1500, 5000);
  // One takes the free journal and stores while it verifies; the other finds
  // it held and verifies its whole batch before it queues.
  Result<node::IngestReport> ra = make_error("x", ""), rb = make_error("x", "");
  std::thread ta([&] { ra = t.c->journal().ingest(from_a, node::IngestOptions{}); });
  std::thread tb([&] { rb = t.c->journal().ingest(from_b, node::IngestOptions{}); });
  ta.join();
  tb.join();
  REQUIRE(ra.ok());
  REQUIRE(rb.ok());
  CHECK(ra->stored == 1500);
  CHECK(rb->stored == 1500);
  CHECK(t.c->journal().heads().at(t.a->keys().pk) == 1500);
  CHECK(t.c->journal().heads().at(t.b->keys().pk) == 1500);
  CHECK(t.c->journal().verify().ok());
}

TEST_CASE("a batch verified ahead is verified before ingest is called, and stored exactly as one verified there",
          "[parsestream][journal]") {
  Nodes t;
  std::vector<Entry> given = written(*t.a, 1200);
  std::vector<Entry> bad = given;
  bad[900].sig[3] ^= 0x20;  // a forged signature deep in the batch
  node::IngestOptions o;
  o.per_entry = true;
  // Page k+1 arrives while page k is stored: its verification starts then
  // and finishes with no ingest running.
  node::VerifyAhead first(std::vector<Entry>(bad.begin(), bad.begin() + 600));
  node::VerifyAhead second(std::vector<Entry>(bad.begin() + 600, bad.end()));
  second.wait();
  CHECK(second.shells().size() == 600);
  auto r1 = t.b->journal().ingest(first, o);
  auto r2 = t.b->journal().ingest(second, o);
  REQUIRE(r1.ok());
  REQUIRE(r2.ok());
  CHECK(r1->stored == 600);
  CHECK(r2->stored == 300);  // the forged one and the chain after it are skipped
  REQUIRE_FALSE(r2->skipped.empty());
  CHECK(r2->skipped.front().seq == 901);
  CHECK(r2->skipped.front().error.code == "bad_signature");
  CHECK(t.b->journal().heads().at(t.a->keys().pk) == 900);
  CHECK(t.b->journal().verify().ok());
  // Without per_entry the forged entry refuses its whole page, as ever.
  node::VerifyAhead again(bad);
  const int64_t before = t.c->journal().count();
  auto r3 = t.c->journal().ingest(again, node::IngestOptions{});
  REQUIRE_FALSE(r3.ok());
  CHECK(r3.error().code == "bad_signature");
  CHECK(t.c->journal().count() == before);
}

TEST_CASE("a batch verified ahead and never ingested stops its workers", "[parsestream]") {
  Nodes t;
  std::vector<Entry> given = written(*t.a, 3000);
  for (int round = 0; round < 5; ++round) node::VerifyAhead dropped(given);  // a pull cut before its next page
  node::VerifyAhead kept(given);
  kept.wait();
  auto r = t.c->journal().ingest(kept, node::IngestOptions{});
  REQUIRE(r.ok());
  CHECK(r->stored == 3000);
}
