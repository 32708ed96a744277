// A journal that fails its start-up check: the daemon serves reads only,
// every journal write answers 503 journal_broken, /healthz says so, an admin
// finds a log line and an alert, and nothing is signed onto the broken chain
// (the journal itself refuses, not only HTTP). Also: verify checks every
// derived table (dossier_index, hub_subject_scope, blob_refs).
#include <catch2/catch.hpp>

#include "dossier_fixture.hpp"
#include "http_test_util.hpp"
#include "motcua/node/dossiers.hpp"
#include "served_node.hpp"
#include "sync_test_util.hpp"
#include "../../sync/src/blob_sync.hpp"

using namespace motcua;

namespace {

constexpr int64_t kT0 = 1'751'328'000'000;

std::string column(SQLite::Database& db, const char* col, int64_t seq) {
  SQLite::Statement q(db, std::string("SELECT ") + col + " FROM journal WHERE seq = ?");
  q.bind(1, static_cast<int64_t>(seq));
  if (!q.executeStep()) throw std::runtime_error("no row");
  return std::string(static_cast<const char*>(q.getColumn(0).getBlob()), static_cast<size_t>(q.getColumn(0).getBytes()));
}

void set_blob(SQLite::Database& db, const char* col, int64_t seq, const std::string& bytes) {
  SQLite::Statement q(db, std::string("UPDATE journal SET ") + col + " = ? WHERE seq = ?");
  q.bind(1, bytes.data(), static_cast<int>(bytes.size()));
  q.bind(2, static_cast<int64_t>(seq));
  if (q.exec() != 1) throw std::runtime_error("no row updated");
}

// Flips one byte in the middle of an entry's signed bytes.
void bend(SQLite::Database& db, int64_t seq) {
  std::string c = column(db, "canonical", seq);
  c[c.size() / 2] = static_cast<char>(c[c.size() / 2] ^ 0x01);
  set_blob(db, "canonical", seq, c);
}

// Six entries of this node on two subjects, and a raw connection to tamper with.
struct Chain {
  test::TempDir dir{"broken"};
  ManualClock clock{kT0};
  SeededRandom rng{3};
  std::unique_ptr<node::Node> n = test::make_node(dir.path(), clock, rng, node::Role::Point, "p", node::summary_projector);
  std::unique_ptr<SQLite::Database> raw;
  Chain() {
    for (int i = 0; i < 6; ++i)
      if (!n->journal().append({"clerk", "note.added", i % 2 ? "S1" : "S2", Json{{"i", i}}}).ok())
        throw std::runtime_error("append");
    raw = std::make_unique<SQLite::Database>(node::db_path(dir.path()), SQLite::OPEN_READWRITE);
  }
  Status check() { return n->journal().check_tail(); }
};

void is_broken_at(const Status& s, const std::string& where) {
  REQUIRE_FALSE(s.ok());
  INFO(s.error().message);
  CHECK(s.error().code == "journal_broken");
  CHECK(s.error().field == "journal");
  CHECK(s.error().message.find(where) != std::string::npos);
}

}  // namespace

TEST_CASE("the start-up check passes an intact journal and finds a damaged tail", "[journal][broken]") {
  Chain c;
  REQUIRE(c.check().ok());
  SECTION("a changed byte in the last entry") {
    bend(*c.raw, 6);
    is_broken_at(c.check(), "seq 6");
  }
  SECTION("another signature on the last entry") {
    set_blob(*c.raw, "sig", 6, column(*c.raw, "sig", 5));
    is_broken_at(c.check(), "seq 6");
  }
  SECTION("the last entry deleted") {
    c.raw->exec("DELETE FROM journal WHERE seq = 6");
    is_broken_at(c.check(), "entries removed");
  }
  SECTION("an entry beyond the recorded head") {
    c.raw->exec("UPDATE authors SET head_seq = 5");
    is_broken_at(c.check(), "beyond the recorded chain head");
  }
  SECTION("a hash link in the tail") {
    set_blob(*c.raw, "prev", 5, std::string(32, '\x07'));
    is_broken_at(c.check(), "seq 5");
  }
  SECTION("an entry missing in the tail") {
    c.raw->exec("DELETE FROM journal WHERE seq = 4");
    is_broken_at(c.check(), "seq 4");
  }
  SECTION("the chain head's row removed") {
    c.raw->exec("DELETE FROM authors");
    is_broken_at(c.check(), "no recorded chain head");
  }
  SECTION("damage deeper than the tail is left to a full verify") {
    bend(*c.raw, 1);
    CHECK(c.check().ok());
    CHECK_FALSE(c.n->journal().verify().ok());
  }
}

TEST_CASE("the start-up check accepts the recorded gaps of a point's sparse foreign chain", "[journal][broken]") {
  test::TempDir dir("broken-sparse");
  ManualClock clock{kT0};
  SeededRandom rng{4};
  // Six entries of another node, each on its own subject (no causal parents).
  auto a = test::make_node(dir.sub("a"), clock, rng, node::Role::Point, "a", node::summary_projector);
  std::vector<node::Entry> es;
  for (int i = 1; i <= 6; ++i) {
    auto e = a->journal().append({"clerk", "note.added", "S" + std::to_string(i), Json::object()});
    REQUIRE(e.ok());
    es.push_back(e.value());
  }
  auto b = test::make_node(dir.sub("b"), clock, rng, node::Role::Point, "b", node::summary_projector);
  REQUIRE(b->journal().ingest_sparse({es[0], es[1], es[4], es[5]}).ok());  // 3..4 lacking: a recorded gap
  CHECK(b->journal().check_tail().ok());
  b->db()->exec("DELETE FROM journal_gaps");
  is_broken_at(b->journal().check_tail(), "seq 3");
}

TEST_CASE("the journal never signs onto its own broken chain, with or without a daemon", "[journal][broken]") {
  Chain c;
  bend(*c.raw, 6);
  const std::string bent = column(*c.raw, "canonical", 6);
  c.n.reset();
  auto n = test::open_existing(c.dir.path(), c.clock, node::summary_projector);
  auto r = n->journal().append({"clerk", "note.added", "S3", Json::object()});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "journal_broken");
  CHECK(r.error().field == "journal");
  // From then on every write is refused, foreign entries too.
  CHECK(n->journal().broken().has_value());
  CHECK(n->journal().append({"clerk", "note.added", "S3", Json::object()}).error().code == "journal_broken");
  CHECK(n->journal().ingest({}).error().code == "journal_broken");
  CHECK(n->journal().rebuild_projection().error().code == "journal_broken");
  CHECK(n->journal().count() == 6);
  CHECK(column(*c.raw, "canonical", 6) == bent);
}

TEST_CASE("a daemon on a broken journal serves reads, refuses every journal write with 503 journal_broken and says so",
          "[journal][broken][http]") {
  test::TempDir dir("broken-serve");
  ManualClock clock{test::kTuesdayMorningMs};
  SeededRandom rng{9};
  std::string first, last;
  {
    auto n = test::prepare_node(dir.path(), clock, rng);
    node::DossierService svc(*n);
    node::Actor clerk{"clerk1", node::UserRole::Clerk};
    auto a = svc.intake(clerk, test::intake_request());
    auto b = svc.intake(clerk, test::intake_request("001099012346"));
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    first = a.value()["code"].get<std::string>();
    last = b.value()["code"].get<std::string>();
  }
  {
    SQLite::Database raw(node::db_path(dir.path()), SQLite::OPEN_READWRITE);
    bend(raw, 2);  // the last entry: the second intake
  }
  auto journal_bytes = [&] {
    SQLite::Database raw(node::db_path(dir.path()), SQLite::OPEN_READONLY);
    std::string all;
    SQLite::Statement q(raw, "SELECT canonical, sig FROM journal ORDER BY pos");
    while (q.executeStep())
      for (int i : {0, 1})
        all.append(static_cast<const char*>(q.getColumn(i).getBlob()), static_cast<size_t>(q.getColumn(i).getBytes()));
    return all;
  };
  const std::string before = journal_bytes();

  test::ServedNode s(dir.path(), clock, rng);
  auto c = s.client();
  CHECK(s.logged("event=journal_broken"));
  // Reads and sign-in work.
  auto clerk = s.as("clerk1");
  auto officer = s.as("officer1");
  CHECK(c->Get(("/api/v1/dossiers/" + first).c_str(), clerk)->status == 200);
  CHECK(c->Get("/api/v1/dossiers", clerk)->status == 200);
  // Writes to the journal do not.
  auto intake = c->Post("/api/v1/dossiers", clerk, test::intake_request("001099012347").dump(), "application/json");
  CHECK(intake->status == 503);
  CHECK(test::body_json(intake)["error"]["code"] == "journal_broken");
  CHECK(test::body_json(intake)["error"]["field"] == "journal");
  auto accept = c->Post(("/api/v1/dossiers/" + first + "/accept").c_str(), officer, "{}", "application/json");
  CHECK(accept->status == 503);
  CHECK(test::body_json(accept)["error"]["code"] == "journal_broken");
  auto health = c->Get("/healthz");
  CHECK(health->status == 503);
  CHECK(test::body_json(health)["reason"] == "journal_broken");
  CHECK(c->Get("/metrics")->body.find("motcua_journal_broken 1") != std::string::npos);
  // The admin finds an alert in the sync log.
  auto log = c->Get("/api/v1/audit/sync-log", s.as("admin1"));
  REQUIRE(log->status == 200);
  const Json audit = test::body_json(log);
  bool alerted = false;
  for (const auto& a : audit["alerts"]) alerted |= a["kind"] == "journal_broken";
  CHECK(alerted);
  CHECK(s.node->journal().count() == 2);
  CHECK(journal_bytes() == before);
}

TEST_CASE("verify checks dossier_index against the dossiers' projection and names it", "[verify][broken]") {
  test::DossierFixture f;
  const std::string a = f.take_in();
  const std::string b = f.take_in();
  f.must(f.officer, a, "accept");
  REQUIRE(f.node->journal().verify().ok());
  SQLite::Database raw(node::db_path(f.dir.path()), SQLite::OPEN_READWRITE);
  std::string bad;
  SECTION("a changed status") {
    raw.exec("UPDATE dossier_index SET status = 10 WHERE code = '" + a + "'");
    bad = a;
  }
  SECTION("a changed search key") {
    raw.exec("UPDATE dossier_index SET search_key = 'khac' WHERE code = '" + b + "'");
    bad = b;
  }
  SECTION("a row removed") {
    raw.exec("DELETE FROM dossier_index WHERE code = '" + b + "'");
    bad = b;
  }
  SECTION("a row for no dossier") {
    raw.exec("INSERT INTO dossier_index SELECT 'ma-gia', status, cancelled, received_at, updated_at, search_key, "
             "conflicts, open_conflicts FROM dossier_index WHERE code = '" + a + "'");
    bad = "ma-gia";
  }
  auto rep = f.node->journal().verify();
  REQUIRE_FALSE(rep.ok());
  CHECK(rep.problems.front().subject == bad);
  CHECK(rep.problems.front().what.find("dossier_index") != std::string::npos);
  // The CLI names the table too, and a rebuild repairs it.
  int status = -1;
  std::string out = test::run_motcua("verify --data-dir '" + f.dir.path() + "'", &status);
  CHECK(status == 1);
  CHECK(out.find("dossier_index") != std::string::npos);
  REQUIRE(f.node->journal().rebuild_projection().ok());
  CHECK(f.node->journal().verify().ok());
}

TEST_CASE("verify checks the sync indexes hub_subject_scope, hub_feed and blob_refs and names them", "[verify][broken]") {
  test::SyncWorld w(23);
  const size_t p = w.add_point("p1", "area-a");
  node::Node& point = *w.points[p];
  const std::string blob(64, 'a');
  const std::string d1 =
      w.take_in(p, "", [&](node::EntryDraft& d) { d.body["attachments"] = Json::array({blob, "not-an-id"}); }).subject;
  const std::string d2 = w.take_in(p).subject;
  REQUIRE(w.sync(p).ok());  // the hub indexes the subjects' scope
  REQUIRE(sync::blobs::catch_up_refs(point).ok());
  REQUIRE(sync::blobs::catch_up_refs(*w.hub_node).ok());
  node::Node& hub = *w.hub_node;
  REQUIRE(hub.journal().verify().ok());
  REQUIRE(point.journal().verify().ok());
  auto names = [](node::Node& n, const std::string& subject, const std::string& table) {
    auto rep = n.journal().verify();
    REQUIRE_FALSE(rep.ok());
    INFO(rep.problems.front().what);
    CHECK(rep.problems.front().subject == subject);
    CHECK(rep.problems.front().what.find(table) != std::string::npos);
  };
  SECTION("a scope row rewritten") {
    hub.db()->exec("UPDATE hub_subject_scope SET area = 'area-x' WHERE subject = '" + d2 + "'");
    names(hub, d2, "hub_subject_scope");
  }
  SECTION("a scope row removed") {
    hub.db()->exec("DELETE FROM hub_subject_scope WHERE subject = '" + d1 + "'");
    names(hub, d1, "hub_subject_scope");
  }
  SECTION("a scope row for no subject") {
    hub.db()->exec("INSERT INTO hub_subject_scope VALUES ('D-9', 'area-a', 'p1', 'p1', 1, 1)");
    names(hub, "D-9", "hub_subject_scope");
  }
  SECTION("a scope feed position removed") {
    hub.db()->exec("DELETE FROM hub_feed WHERE scope = 'a:area-a' AND pos = (SELECT min(pos) FROM journal WHERE subject = '" +
                   d2 + "')");
    names(hub, d2, "hub_feed");
  }
  SECTION("a scope feed position under a key its scope does not give") {
    hub.db()->exec("INSERT INTO hub_feed VALUES ('a:area-z', (SELECT min(pos) FROM journal WHERE subject = '" + d1 + "'))");
    names(hub, d1, "hub_feed");
  }
  SECTION("an attachment reference removed") {
    point.db()->exec("DELETE FROM blob_refs");
    names(point, d1, "blob_refs");
  }
  SECTION("an attachment reference no entry makes") {
    hub.db()->exec("INSERT INTO blob_refs VALUES ('" + std::string(64, 'b') + "', '" + d2 + "')");
    names(hub, d2, "blob_refs");
  }
}

TEST_CASE("count is the last position, and verify finds positions with a gap (entries removed)", "[verify][broken]") {
  test::DossierFixture f;
  const std::string a = f.take_in();
  f.take_in();
  f.must(f.officer, a, "accept");
  node::Journal& j = f.node->journal();
  REQUIRE(j.verify().ok());
  const int64_t n = f.node->db()->execAndGet("SELECT count(*) FROM journal").getInt64();
  CHECK(j.count() == n);
  // The first entry of a dossier removed from the middle of the journal.
  f.node->db()->exec("DELETE FROM journal WHERE pos = (SELECT min(pos) FROM journal WHERE subject = '" + a + "')");
  auto rep = j.verify();
  REQUIRE_FALSE(rep.ok());
  bool named = false;
  for (const auto& p : rep.problems) named = named || p.what.find("journal positions have gaps") != std::string::npos;
  CHECK(named);
}
