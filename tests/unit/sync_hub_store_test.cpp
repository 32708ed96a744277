// The SQLite hub store against the HubStore contract (tests/unit/hub_store_contract.hpp);
// the PostgreSQL store runs the same contract in hub_store_pg_test.cpp.
#include <catch2/catch.hpp>

#include <condition_variable>
#include <future>
#include <thread>

#include "hub_store_contract_shared.hpp"
#include <SQLiteCpp/SQLiteCpp.h>

#include "motcua/sync/hub_store.hpp"
#include "sync_test_util.hpp"

using namespace motcua;
using namespace motcua::test;

namespace {

// Several SQLite hub stores on one hub's database file: two Node objects
// (two connections, each with its own lock, as two processes would have)
// opened on one data directory; store i uses node i % 2.
struct SharedSqliteHub {
  TempDir dir{"hubstore-shared"};
  ManualClock clock{1000};
  SeededRandom rng{6};
  std::vector<std::unique_ptr<node::Node>> nodes;
  SharedSqliteHub() {
    nodes.push_back(make_node(dir.sub("hub"), clock, rng, node::Role::Hub, "hub"));
    nodes.push_back(open_existing(dir.sub("hub"), clock));
  }
  contract::OpenShared opener() {
    return [this](int i) { return sync::make_sqlite_hub_store(*nodes[static_cast<size_t>(i % 2)]); };
  }
};

}  // namespace

TEST_CASE("the SQLite hub store keeps the HubStore contract", "[sync][hubstore]") {
  TempDir dir("hubstore");
  ManualClock clock(1000);
  SeededRandom rng(5);
  int n = 0;
  std::vector<std::unique_ptr<node::Node>> nodes;
  contract::check_hub_store([&]() {
    nodes.push_back(make_node(dir.sub("hub" + std::to_string(n++)), clock, rng, node::Role::Hub, "hub"));
    return sync::make_sqlite_hub_store(*nodes.back());
  });
}

TEST_CASE("SQLite hub stores on one file lease disjoint blocks from one day under concurrency", "[sync][hubstore]") {
  SharedSqliteHub hub;
  contract::check_concurrent_leases(hub.opener(), 4, 15);
}

TEST_CASE("SQLite hub stores on one file spend an enrolment code exactly once under concurrency", "[sync][hubstore]") {
  SharedSqliteHub hub;
  contract::check_concurrent_enrolment(hub.opener(), 4);
}

TEST_CASE("SQLite hub stores on one file spend a replacement code exactly once under concurrency", "[sync][hubstore]") {
  SharedSqliteHub hub;
  contract::check_concurrent_succession(hub.opener(), 4);
}

TEST_CASE("SQLite hub stores on one file accept each request counter of a session once under concurrency",
          "[sync][hubstore]") {
  SharedSqliteHub hub;
  contract::check_concurrent_session_counter(hub.opener(), 4, 50);
}

TEST_CASE("two hubs on one SQLite hub database refuse each other's replayed requests", "[sync][hubstore]") {
  TempDir dir("two-hubs");
  ManualClock clock(1751335200000);
  SeededRandom rng(7);
  auto a = make_node(dir.sub("hub"), clock, rng, node::Role::Hub, "hub", scope_projector);
  auto b = open_existing(dir.sub("hub"), clock, scope_projector);  // a second process's connection
  auto p = make_node(dir.sub("p"), clock, rng, node::Role::Point, "p", scope_projector);
  contract::check_two_hubs_refuse_replays(*a, *b, sync::make_sqlite_hub_store(*a), sync::make_sqlite_hub_store(*b), *p);
}

TEST_CASE("the SQLite hub store's bookkeeping copies into another, value for value", "[sync][hubstore]") {
  TempDir dir("hubstore-copy");
  ManualClock clock(1000);
  SeededRandom rng(8);
  std::vector<std::unique_ptr<node::Node>> nodes;
  auto make = [&]() {
    nodes.push_back(make_node(dir.sub("hub" + std::to_string(nodes.size())), clock, rng, node::Role::Hub, "hub"));
    return sync::make_sqlite_hub_store(*nodes.back());
  };
  contract::check_copy_bookkeeping(make, make);
}

TEST_CASE("SQLite hub stores on one file count every folded alert under concurrency", "[sync][hubstore]") {
  SharedSqliteHub hub;
  contract::check_concurrent_fold(hub.opener(), 4, 10);
}

TEST_CASE("a request's key, session and sync log row are read while a push holds the journal lock, as committed",
          "[sync][hubstore]") {
  TempDir dir("hubstore-reader");
  ManualClock clock(1000);
  SeededRandom rng(8);
  auto hub = make_node(dir.sub("hub"), clock, rng, node::Role::Hub, "hub");
  auto store = sync::make_sqlite_hub_store(*hub);
  REQUIRE(store->add_point(contract::point("a", "area-x")).ok());
  const Hash32 code = blake2b256("code-a");
  REQUIRE(store->add_enrolment_code(code, "0000000a", blake2b256("key-a"), "a", 10000).ok());
  const PublicKey ka = contract::key(1);
  REQUIRE(store->enrol(code, ka, 500).ok());
  store->open_session("s1", ka, 5000);
  store->put_session(contract::log_row("s1", "a", 1000));

  // Another thread holds the journal's lock, inside a transaction that
  // revokes the point and has not committed (a push being stored).
  std::mutex m;
  std::condition_variable cv;
  bool holding = false, release = false;
  std::string own_view;
  std::thread writer([&] {
    std::lock_guard<std::recursive_mutex> g(hub->journal().mutex());
    SQLite::Transaction tx(*hub->db());
    hub->db()->exec("UPDATE hub_points SET status = 'revoked' WHERE name = 'a'");
    own_view = store->point_by_key(ka)->status;  // its own thread reads what it wrote
    std::unique_lock<std::mutex> l(m);
    holding = true;
    cv.notify_all();
    cv.wait(l, [&] { return release; });
    tx.commit();
  });
  {
    std::unique_lock<std::mutex> l(m);
    cv.wait(l, [&] { return holding; });
  }
  // A request on another thread does not wait for that writer: it sees the
  // committed state (active, the session open).
  auto check = std::async(std::launch::async, [&] {
    auto p = store->point_by_key(ka);
    auto logged = store->session("s1");  // the sync log row a request's accounting reads
    return p && p->status == "active" && store->session_valid("s1", ka, 4000) && !store->session_valid("s1", ka, 6000) &&
           logged && logged->result == "running";
  });
  const bool answered = check.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  {
    std::lock_guard<std::mutex> l(m);
    release = true;
    cv.notify_all();
  }
  writer.join();
  REQUIRE(answered);
  CHECK(check.get());
  CHECK(own_view == "revoked");
  // Committed: a reader sees the revocation, whether it takes the lock or
  // reads beside its holder.
  CHECK(store->point_by_key(ka)->status == "revoked");
  std::lock_guard<std::recursive_mutex> g(hub->journal().mutex());
  auto other = std::async(std::launch::async, [&] { return store->point_by_key(ka)->status; });
  CHECK(other.get() == "revoked");
}
