// verify(): tampering with the SQLite file directly is found, and the first
// problem names the entry (author, seq). Also the `motcua` CLI end to end.
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "motcua/durable_file.hpp"
#include "motcua/node/journal.hpp"
#include "motcua/schema/database.hpp"
#include "test_util.hpp"

using namespace motcua;
using node::Entry;
using node::EntryDraft;

namespace {
constexpr int64_t kT0 = 1'751'328'000'000;
const std::string kS1 = "000.00.01.H22-250701-0001";
const std::string kS2 = "000.00.01.H22-250701-0002";

// A node with six own entries on two subjects, and a raw second connection
// to its database file to tamper with, as an attacker with file access would.
struct Tampered {
  test::TempDir dir{"verify"};
  ManualClock clock{kT0};
  SeededRandom rng{11};
  std::unique_ptr<node::Node> n = test::make_node(dir.path(), clock, rng, node::Role::Point, "p", node::summary_projector);
  std::vector<Entry> es;
  std::unique_ptr<SQLite::Database> raw;
  std::string me;

  Tampered() {
    auto r = n->journal().append_batch({
        {"clerk.an", "dossier.submitted", kS1, {{"applicant", {{"full_name", "Lê Văn Dũng"}}}}},
        {"clerk.an", "dossier.submitted", kS2, {{"applicant", {{"full_name", "Phạm Thị Hoa"}}}}},
        {"officer.binh", "dossier.accepted", kS1, Json::object()},
        {"officer.binh", "dossier.processing", kS1, {{"note", "đang xử lý"}}},
        {"officer.binh", "dossier.accepted", kS2, Json::object()},
        {"officer.binh", "dossier.result_ready", kS1, Json::object()},
    });
    if (!r.ok()) throw std::runtime_error(r.error().message);
    es = r.value();
    raw = std::make_unique<SQLite::Database>(node::db_path(dir.path()), SQLite::OPEN_READWRITE);
    me = to_hex(n->keys().pk);
  }
  std::string column(const char* col, int64_t seq) {
    SQLite::Statement q(*raw, std::string("SELECT ") + col + " FROM journal WHERE seq = ?");
    q.bind(1, static_cast<int64_t>(seq));
    if (!q.executeStep()) throw std::runtime_error("no row");
    return std::string(static_cast<const char*>(q.getColumn(0).getBlob()), static_cast<size_t>(q.getColumn(0).getBytes()));
  }
  void set_blob(const char* col, int64_t seq, const std::string& bytes) {
    SQLite::Statement q(*raw, std::string("UPDATE journal SET ") + col + " = ? WHERE seq = ?");
    q.bind(1, bytes.data(), static_cast<int>(bytes.size()));
    q.bind(2, static_cast<int64_t>(seq));
    if (q.exec() != 1) throw std::runtime_error("no row updated");
  }
  node::VerifyReport verify() { return n->journal().verify(); }
  // The first problem must name this node's key and `seq`.
  void first_problem_is(int64_t seq) {
    auto rep = verify();
    REQUIRE_FALSE(rep.ok());
    INFO("first problem: " << rep.problems.front().what);
    CHECK(rep.problems.front().author_hex == me);
    CHECK(rep.problems.front().seq == seq);
  }
};

std::string as_string(const std::array<uint8_t, 64>& a) { return std::string(a.begin(), a.end()); }
std::string as_string(const std::array<uint8_t, 32>& a) { return std::string(a.begin(), a.end()); }
}  // namespace

TEST_CASE("an untouched journal verifies", "[verify]") {
  Tampered t;
  auto rep = t.verify();
  CHECK(rep.ok());
  CHECK(rep.entries_checked == 6);
  CHECK(rep.subjects_checked == 2);
}

TEST_CASE("a changed byte anywhere in an entry's signed bytes fails verify at that entry", "[verify]") {
  Tampered t;
  const std::string original = t.column("canonical", 3);
  REQUIRE(original == t.es[2].canonical);
  for (size_t i = 0; i < original.size(); ++i) {
    INFO("byte " << i << " of " << original.size());
    std::string bent = original;
    bent[i] = static_cast<char>(bent[i] ^ 0x01);
    t.set_blob("canonical", 3, bent);
    auto rep = t.verify();
    REQUIRE_FALSE(rep.ok());
    REQUIRE(rep.problems.front().author_hex == t.me);
    REQUIRE(rep.problems.front().seq == 3);
  }
  t.set_blob("canonical", 3, original);
  CHECK(t.verify().ok());
}

TEST_CASE("a deleted entry fails verify and names it", "[verify]") {
  Tampered t;
  SECTION("in the middle") {
    t.raw->exec("DELETE FROM journal WHERE seq = 3");
    t.first_problem_is(3);
    CHECK(t.verify().problems.front().what.find("missing") != std::string::npos);
  }
  SECTION("the first") {
    t.raw->exec("DELETE FROM journal WHERE seq = 1");
    t.first_problem_is(1);
  }
  SECTION("the last") {
    t.raw->exec("DELETE FROM journal WHERE seq = 6");
    t.first_problem_is(6);
    CHECK(t.verify().problems.front().what.find("removed") != std::string::npos);
  }
  SECTION("the last, with the chain head rolled back too, still shows in the projection") {
    t.raw->exec("DELETE FROM journal WHERE seq = 6");
    SQLite::Statement q(*t.raw, "UPDATE authors SET head_seq = 5, head_id = ?");
    std::string id5 = as_string(t.es[4].id);
    q.bind(1, id5.data(), 32);
    q.exec();
    auto rep = t.verify();
    REQUIRE_FALSE(rep.ok());
    CHECK(rep.problems.front().subject == kS1);
  }
}

TEST_CASE("two swapped entries fail verify at the first of them", "[verify]") {
  Tampered t;
  std::string c2 = t.column("canonical", 2), s2 = t.column("sig", 2);
  std::string c4 = t.column("canonical", 4), s4 = t.column("sig", 4);
  t.set_blob("canonical", 2, c4);
  t.set_blob("sig", 2, s4);
  t.set_blob("canonical", 4, c2);
  t.set_blob("sig", 4, s2);
  t.first_problem_is(2);
  auto rep = t.verify();
  bool names_4 = false;
  for (const auto& p : rep.problems) names_4 |= p.seq == 4;
  CHECK(names_4);
}

TEST_CASE("a replaced signature fails verify at that entry", "[verify]") {
  Tampered t;
  SECTION("another entry's signature") { t.set_blob("sig", 3, as_string(t.es[3].sig)); }
  SECTION("random bytes") { t.set_blob("sig", 3, std::string(64, '\x5a')); }
  SECTION("a signature of the same bytes for another purpose") {
    t.set_blob("sig", 3, as_string(sign(t.n->keys().sk, SignDomain::Receipt, t.es[2].canonical)));
  }
  t.first_problem_is(3);
  CHECK(t.verify().problems.front().what.find("bad_signature") != std::string::npos);
}

TEST_CASE("an entry re-signed by another key fails verify", "[verify]") {
  Tampered t;
  KeyPair other = generate_keypair(t.rng);
  Entry forged = t.es[2];
  forged.author = other.pk;
  REQUIRE(node::seal_entry(forged, other.sk).ok());
  REQUIRE(node::parse_entry(forged.canonical, forged.sig).ok());  // valid on its own
  t.set_blob("canonical", 3, forged.canonical);
  t.set_blob("sig", 3, as_string(forged.sig));
  t.set_blob("id", 3, as_string(forged.id));
  SECTION("written in place of the original row") { t.first_problem_is(3); }
  SECTION("with the row's author column rewritten as well") {
    t.set_blob("author", 3, as_string(other.pk));
    auto rep = t.verify();
    REQUIRE_FALSE(rep.ok());
    bool names_mine = false;
    for (const auto& p : rep.problems) names_mine |= (p.author_hex == t.me && p.seq == 3);
    CHECK(names_mine);
  }
}

TEST_CASE("indexed columns that disagree with the signed bytes fail verify", "[verify]") {
  Tampered t;
  SECTION("subject") { t.raw->exec("UPDATE journal SET subject = 'khác' WHERE seq = 4"); }
  SECTION("hlc") { t.raw->exec("UPDATE journal SET hlc_c = hlc_c + 100 WHERE seq = 4"); }
  SECTION("type") { t.raw->exec("UPDATE journal SET type = 'dossier.cancelled' WHERE seq = 4"); }
  SECTION("id") { t.set_blob("id", 4, as_string(blake2b256("x"))); }
  SECTION("prev") { t.set_blob("prev", 4, as_string(blake2b256("y"))); }
  t.first_problem_is(4);
}

TEST_CASE("a tampered projection fails verify and a rebuild repairs it", "[verify]") {
  Tampered t;
  const auto before = t.n->journal().subject_state(kS1);
  const Hash32 state_before = t.n->journal().state_hash();
  SECTION("state rewritten") {
    t.raw->exec("UPDATE projection SET state = '{\"entries\":1}' WHERE subject = '" + kS1 + "'");
  }
  SECTION("state hash rewritten") {
    t.raw->exec("UPDATE projection SET state_hash = zeroblob(32) WHERE subject = '" + kS1 + "'");
  }
  SECTION("row deleted") { t.raw->exec("DELETE FROM projection WHERE subject = '" + kS1 + "'"); }
  SECTION("row for a subject with no entries") {
    t.raw->exec("INSERT INTO projection VALUES ('" + kS1 + "-ghost', '{}', zeroblob(32))");
  }
  auto rep = t.verify();
  REQUIRE_FALSE(rep.ok());
  CHECK(rep.problems.front().author_hex.empty());
  CHECK(rep.problems.front().subject.rfind(kS1, 0) == 0);
  REQUIRE(t.n->journal().rebuild_projection().ok());
  CHECK(t.verify().ok());
  CHECK(t.n->journal().subject_state(kS1) == before);
  CHECK(t.n->journal().state_hash() == state_before);
}

TEST_CASE("verify lists several problems, capped by the caller", "[verify]") {
  Tampered t;
  t.raw->exec("UPDATE journal SET sig = zeroblob(64)");
  CHECK(t.n->journal().verify().problems.size() == 6);
  CHECK(t.n->journal().verify(2).problems.size() == 2);
}

// ---------------------------------------------------------------- CLI

namespace {
struct Run {
  int code;
  std::string out, err;
};

Run motcua_cli(const test::TempDir& dir, const std::string& args) {
  std::string out = dir.sub("stdout.txt"), err = dir.sub("stderr.txt");
  std::string cmd = std::string("'") + MOTCUA_BINARY + "' " + args + " >'" + out + "' 2>'" + err + "'";
  int status = std::system(cmd.c_str());
  auto slurp = [](const std::string& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  };
  return Run{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}
}  // namespace

TEST_CASE("motcua init and verify succeed on a fresh node and verify fails after tampering", "[verify][cli]") {
  test::TempDir tmp("cli");
  const std::string data = tmp.sub("node");
  const std::string dd = "--data-dir '" + data + "'";
  Run init = motcua_cli(tmp, "init " + dd + " --role point --name xa-an-thi --agency-code 000.00.01.H22");
  INFO(init.err);
  REQUIRE(init.code == 0);
  CHECK(init.out.find("node key:") != std::string::npos);
  struct stat st;
  REQUIRE(::stat(node::key_path(data).c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  Run again = motcua_cli(tmp, "init " + dd + " --role point --name other");
  CHECK(again.code == 1);
  CHECK(again.err.find("already_initialised") != std::string::npos);

  Run fresh = motcua_cli(tmp, "verify " + dd);
  CHECK(fresh.code == 0);
  CHECK(fresh.out.find("journal OK: 0 entries") != std::string::npos);

  // Record a few entries through the library, as the daemon would.
  {
    node::OpenOptions o;
    o.data_dir = data;
    auto n = node::Node::open(o);
    REQUIRE(n.ok());
    REQUIRE(n.value()->journal().append_batch({{"clerk.an", "note.added", kS1, Json::object()},
                                               {"clerk.an", "note.added", kS2, Json::object()},
                                               {"clerk.an", "note.added", kS1, Json::object()}})
                .ok());
  }
  Run three = motcua_cli(tmp, "verify " + dd);
  CHECK(three.code == 0);
  CHECK(three.out.find("journal OK: 3 entries, 2 subjects") != std::string::npos);

  {
    SQLite::Database raw(node::db_path(data), SQLite::OPEN_READWRITE);
    raw.exec("UPDATE journal SET canonical = replace(canonical, 'clerk.an', 'clerk.xx') WHERE seq = 2");
  }
  Run bad = motcua_cli(tmp, "verify " + dd);
  CHECK(bad.code == 1);
  CHECK(bad.err.find("seq 2") != std::string::npos);
  CHECK(bad.out.find("journal FAILED") != std::string::npos);
  // Rebuilding the projection cannot repair the journal itself.
  CHECK(motcua_cli(tmp, "verify --rebuild " + dd).code == 1);

  {
    SQLite::Database raw(node::db_path(data), SQLite::OPEN_READWRITE);
    raw.exec("UPDATE journal SET canonical = replace(canonical, 'clerk.xx', 'clerk.an') WHERE seq = 2");
    raw.exec("UPDATE projection SET state = '{}' WHERE subject = '" + kS2 + "'");
  }
  Run proj = motcua_cli(tmp, "verify " + dd);
  CHECK(proj.code == 1);
  CHECK(proj.err.find(kS2) != std::string::npos);
  Run rebuilt = motcua_cli(tmp, "verify --rebuild " + dd);
  CHECK(rebuilt.code == 0);
  CHECK(rebuilt.out.find("projection rebuilt") != std::string::npos);
  CHECK(motcua_cli(tmp, "verify " + dd).code == 0);
}

TEST_CASE("motcua init refuses a node name with spaces or marks and names the way to a place name", "[cli]") {
  test::TempDir tmp("cli-name");
  for (const std::string& bad : std::vector<std::string>{"'xã An'", "'xa an'", "xa/an", std::string(65, 'a')}) {
    const std::string data = tmp.sub("n");
    Run r = motcua_cli(tmp, "init --data-dir '" + data + "' --role point --name " + bad);
    INFO(bad << ": " << r.err);
    CHECK(r.code == 1);
    CHECK(r.err.find("invalid_value") != std::string::npos);
    CHECK(r.err.find("place_name") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(node::db_path(data)));  // nothing written
    CHECK_FALSE(std::filesystem::exists(node::key_path(data)));
  }
  Run ok = motcua_cli(tmp, "init --data-dir '" + tmp.sub("ok") + "' --role point --name Xa_An-Thi.2");
  INFO(ok.err);
  CHECK(ok.code == 0);
}

TEST_CASE("a command whose action word is missing says what to write, not '--action'", "[cli]") {
  test::TempDir tmp("cli-action");
  for (const std::string cmd : {"config", "point", "quarantine", "hub"}) {
    Run r = motcua_cli(tmp, cmd + " --data-dir '" + tmp.sub("n") + "'");
    INFO(cmd << ": " << r.err);
    CHECK(r.code == 2);
    CHECK(r.err.find("what to do is missing: motcua " + cmd + " ") != std::string::npos);
    CHECK(r.err.find("--action") == std::string::npos);
  }
  Run cfg = motcua_cli(tmp, "config --data-dir '" + tmp.sub("n") + "'");
  CHECK(cfg.err.find("motcua config list | set KEY VALUE") != std::string::npos);
}

TEST_CASE("motcua exits 2 on bad usage and 1 on a missing node", "[verify][cli]") {
  test::TempDir tmp("cli");
  const std::string dd = "--data-dir '" + tmp.sub("node") + "'";
  CHECK(motcua_cli(tmp, "").code == 2);
  Run unknown = motcua_cli(tmp, "frobnicate");
  CHECK(unknown.code == 2);
  CHECK(unknown.err.find("unknown command") != std::string::npos);
  CHECK(motcua_cli(tmp, "init " + dd + " --name x").code == 2);  // --role missing
  CHECK(motcua_cli(tmp, "init " + dd + " --role mayor --name x").code == 2);
  CHECK(motcua_cli(tmp, "verify --bogus " + dd).code == 2);
  CHECK(motcua_cli(tmp, "config " + dd).code == 2);
  CHECK(motcua_cli(tmp, "config delete listen " + dd).code == 2);
  CHECK(motcua_cli(tmp, "config set listen " + dd).code == 2);  // value missing
  Run missing = motcua_cli(tmp, "verify " + dd);
  CHECK(missing.code == 1);
  CHECK(missing.err.find("not_initialised") != std::string::npos);
  // Errors are one readable line.
  CHECK(std::count(missing.err.begin(), missing.err.end(), '\n') == 1);

  for (const char* cmd : {"--help", "init --help", "verify --help", "config --help"}) {
    INFO(cmd);
    Run h = motcua_cli(tmp, cmd);
    CHECK(h.code == 0);
    CHECK(h.out.find("usage: motcua") != std::string::npos);
  }
}

TEST_CASE("motcua config lists settings and validates what is set", "[verify][cli]") {
  test::TempDir tmp("cli");
  const std::string dd = "--data-dir '" + tmp.sub("node") + "'";
  REQUIRE(motcua_cli(tmp, "init " + dd + " --role hub --name tinh-hung-yen").code == 0);
  Run list = motcua_cli(tmp, "config list " + dd);
  CHECK(list.code == 0);
  CHECK(list.out.find("listen") != std::string::npos);
  CHECK(list.out.find("127.0.0.1:8080") != std::string::npos);

  Run unknown = motcua_cli(tmp, "config set no_such_key 1 " + dd);
  CHECK(unknown.code == 2);
  CHECK(unknown.err.find("unknown_key") != std::string::npos);
  CHECK(motcua_cli(tmp, "config set cutoff_hour 24 " + dd).code == 2);
  CHECK(motcua_cli(tmp, "config set sync_interval_s soon " + dd).code == 2);
  CHECK(motcua_cli(tmp, "config set listen nohostport " + dd).code == 2);
  CHECK(motcua_cli(tmp, "config set listen 127.0.0.1: " + dd).code == 2);
  CHECK(motcua_cli(tmp, "config set listen :8080 " + dd).code == 2);
  CHECK(motcua_cli(tmp, "config set listen 127.0.0.1:70000 " + dd).code == 2);
  CHECK(motcua_cli(tmp, "config set listen 127.0.0.1:80x " + dd).code == 2);
  CHECK(motcua_cli(tmp, "config set sync_interval_s 5s " + dd).code == 2);
  CHECK(motcua_cli(tmp, "config set code_pattern {agency}-{yymmdd} " + dd).code == 2);
  Run unchanged = motcua_cli(tmp, "config list " + dd);
  CHECK(unchanged.out.find("127.0.0.1:8080") != std::string::npos);  // refused values changed nothing

  CHECK(motcua_cli(tmp, "config set listen 0.0.0.0:9090 " + dd).code == 0);
  CHECK(motcua_cli(tmp, "config set cutoff_hour 16 " + dd).code == 0);
  Run after = motcua_cli(tmp, "config list " + dd);
  CHECK(after.out.find("0.0.0.0:9090") != std::string::npos);
  CHECK(after.out.find("127.0.0.1:8080") == std::string::npos);
}
