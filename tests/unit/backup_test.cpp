// motcua backup / backup --verify (docs/backup-format.md): an online backup
// beside a daemon taking dossiers in, attachments and the key, damaged
// archives, refusals that change nothing, and the command line. Restored
// points and hubs: restore_test.cpp.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "../../node/src/codes.hpp"
#include "../../sync/src/sync_util.hpp"
#include "backup_test_util.hpp"
#include "dossier_fixture.hpp"
#include "http_test_util.hpp"
#include "motcua/keyfile.hpp"
#include "motcua/node/blobs.hpp"
#include "motcua/sync/backup.hpp"
#include "serve_process.hpp"
#include "sync_test_util.hpp"

using namespace motcua;
using namespace motcua::test;
using namespace motcua::test::backup_util;
namespace fs = std::filesystem;
namespace backup = motcua::sync::backup;
namespace util = motcua::sync::util;

TEST_CASE("an online backup while 8 clients take dossiers in holds every intake acknowledged before it began",
          "[backup]") {
  DaemonFixture f;
  const auto clerk = DaemonFixture::bearer(f.login("clerk1"));
  std::atomic<bool> began{false}, stop{false};
  std::atomic<int> acked{0};
  std::mutex mu;
  std::vector<std::string> before;  // acknowledged before the backup began
  std::atomic<int> failures{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&] {
      auto c = f.client();
      while (!stop) {
        auto r = c->Post("/api/v1/dossiers", clerk, intake_request().dump(), "application/json");
        if (!r || r->status != 201) {
          ++failures;
          continue;
        }
        const bool was_before = !began.load();  // read after the answer came
        ++acked;
        if (was_before) {
          std::lock_guard<std::mutex> g(mu);
          before.push_back(Json::parse(r->body)["code"].get<std::string>());
        }
      }
    });
  }
  while (acked < 24) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  fs::create_directories(f.dir.sub("backups"));
  backup::CreateOptions o;
  o.data_dir = f.dir.path();
  o.file = f.dir.sub("backups/online.backup");
  o.clock = &f.clock;
  const int acked_at_start = acked;
  began = true;
  auto made = backup::create(o);  // its own read-only connection, as the separate process
  const int acked_at_end = acked;
  UNSCOPED_INFO("intakes acknowledged while the backup ran: " << acked_at_end - acked_at_start);
  while (acked < acked_at_end + 16 && failures == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  stop = true;
  for (auto& t : clients) t.join();
  INFO((made.ok() ? "" : made.error().message));
  REQUIRE(made.ok());
  CHECK(failures == 0);
  CHECK((fs::status(o.file).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write));
  CHECK(names_in(f.dir.sub("backups")) == std::set<std::string>{"online.backup"});  // no temporary left
  REQUIRE(before.size() >= 24);

  auto checked = backup::verify(o.file);
  INFO((checked.ok() ? "" : checked.error().message));
  REQUIRE(checked.ok());
  CHECK(checked->entries == made->entries);
  CHECK(checked->dossiers >= static_cast<int64_t>(before.size()));

  backup::RestoreOptions ro;
  ro.file = o.file;
  ro.data_dir = f.dir.sub("restored");
  ro.random = &f.rng;
  auto restored = backup::restore(ro);
  INFO((restored.ok() ? "" : restored.error().message));
  REQUIRE(restored.ok());
  CHECK(!restored->enrolled);
  CHECK(restored->epoch.size() == 32);
  CHECK((fs::status(ro.data_dir).permissions() & fs::perms::all) == fs::perms::owner_all);
  CHECK(names_in(f.dir.path()).count("restored") == 1);
  auto n = open_existing(ro.data_dir, f.clock);
  CHECK(n->keys().pk == f.node->keys().pk);
  CHECK(n->meta("epoch") == restored->epoch);
  CHECK(n->meta("epoch") != f.node->meta("epoch"));
  auto rep = n->journal().verify();
  CHECK(rep.ok());
  CHECK(n->journal().count() == made->entries);
  auto subjects = n->journal().subjects();
  std::set<std::string> have(subjects.begin(), subjects.end());
  for (const auto& code : before) CHECK(have.count(code) == 1);
  CHECK(made->dossiers >= static_cast<int64_t>(before.size()));
}

TEST_CASE("an attachment and the key come back byte-identical, a sealed key stays sealed", "[backup]") {
  const bool sealed = GENERATE(false, true);
  std::optional<std::string> pass;
  if (sealed) pass = "mật khẩu dài của xã";
  SmallNode s(pass);
  backup::CreateOptions o;
  o.data_dir = s.data;
  o.file = s.archive();
  o.clock = &s.clock;
  auto made = backup::create(o);
  REQUIRE(made.ok());
  CHECK(made->attachments == 1);
  CHECK(made->entries == 1);
  CHECK(made->node_name == "xa-an-thi");
  CHECK(made->public_key == to_hex(s.pk));
  CHECK(made->created_at == "2025-07-01T02:00:00Z");
  auto v = backup::verify(o.file, scope_verify());  // no passphrase needed to check
  INFO((v.ok() ? "" : v.error().message));
  REQUIRE(v.ok());

  backup::RestoreOptions ro;
  ro.file = o.file;
  ro.data_dir = s.dir.sub("new");
  fs::create_directories(ro.data_dir);  // an empty directory is fine
  ro.random = &s.rng;
  ro.projector = scope_projector;
  auto r = backup::restore(ro);
  INFO((r.ok() ? "" : r.error().message));
  REQUIRE(r.ok());
  const std::string rel = "blobs/" + s.blob_id.substr(0, 2) + "/" + s.blob_id.substr(2);
  CHECK(read_all(fs::path(ro.data_dir) / rel) == kPdf);
  CHECK(read_all(fs::path(ro.data_dir) / "node.key") == read_all(fs::path(s.data) / "node.key"));
  CHECK(names_in(ro.data_dir) == std::set<std::string>{"blobs", "motcua.db", "node.key"});  // nothing temporary
  CHECK((fs::status(ro.data_dir).permissions() & fs::perms::all) == fs::perms::owner_all);
  CHECK(names_in(s.dir.path()) == std::set<std::string>{"data", "new", "one.backup"});
  auto key = load_key_file(node::key_path(ro.data_dir), pass);
  REQUIRE(key.ok());
  CHECK(key->pk == s.pk);
  if (sealed) CHECK(load_key_file(node::key_path(ro.data_dir), std::nullopt).error().code == "passphrase_required");
  node::OpenOptions oo;
  oo.data_dir = ro.data_dir;
  oo.passphrase = pass;
  oo.clock = &s.clock;
  oo.projector = scope_projector;
  auto n = node::Node::open(oo);
  REQUIRE(n.ok());
  CHECK(n.value()->keys().pk == s.pk);
  CHECK(n.value()->journal().verify().ok());
  node::BlobStore blobs(ro.data_dir, n.value()->db(), 1 << 20, &n.value()->journal().mutex());
  CHECK(blobs.path(s.blob_id).has_value());
}

TEST_CASE("backup and restore refuse and change nothing: an existing archive, no node, a non-empty dir", "[backup]") {
  SmallNode s;
  backup::CreateOptions o;
  o.data_dir = s.data;
  o.file = s.archive();
  REQUIRE(backup::create(o).ok());
  const std::string archive_bytes = read_all(o.file);

  auto again = backup::create(o);
  REQUIRE(!again.ok());
  CHECK(again.error().code == "backup_target_exists");
  CHECK(read_all(o.file) == archive_bytes);

  backup::CreateOptions none;
  none.data_dir = s.dir.sub("nothing-here");
  none.file = s.dir.sub("x.backup");
  auto no_node = backup::create(none);
  REQUIRE(!no_node.ok());
  CHECK(no_node.error().code == "not_initialised");
  CHECK(!fs::exists(none.file));

  // A damaged attachment file in the data directory: refused, naming it; nothing written.
  const std::string blob_file =
      (fs::path(s.data) / "blobs" / s.blob_id.substr(0, 2) / s.blob_id.substr(2)).string();
  const std::string blob_bytes = read_all(blob_file);
  write_all(blob_file, blob_bytes.substr(0, blob_bytes.size() - 1) + "X");
  backup::CreateOptions o2 = o;
  o2.file = s.dir.sub("two.backup");
  auto damaged = backup::create(o2);
  REQUIRE(!damaged.ok());
  CHECK(damaged.error().code == "io_error");
  CHECK(damaged.error().message.find(blob_file) != std::string::npos);
  CHECK(!fs::exists(o2.file));
  write_all(blob_file, blob_bytes);

  const std::string busy = s.dir.sub("busy");
  fs::create_directories(busy);
  write_all(busy + "/notes.txt", "ghi chú");
  backup::RestoreOptions ro;
  ro.file = o.file;
  ro.data_dir = busy;
  ro.projector = scope_projector;
  auto r = backup::restore(ro);
  REQUIRE(!r.ok());
  CHECK(r.error().code == "data_dir_not_empty");
  CHECK(tree(busy) == std::map<std::string, std::string>{{"notes.txt", "ghi chú"}});
  // Restoring over the live data directory is refused the same way.
  const auto live = tree(s.data);
  ro.data_dir = s.data;
  CHECK(backup::restore(ro).error().code == "data_dir_not_empty");
  CHECK(tree(s.data) == live);
  CHECK(names_in(s.dir.path()) == std::set<std::string>{"busy", "data", "one.backup"});
}

TEST_CASE("damaged archives fail the check naming the file and the reason, and are never restored", "[backup]") {
  SmallNode s;
  backup::CreateOptions o;
  o.data_dir = s.data;
  o.file = s.archive();
  REQUIRE(backup::create(o).ok());
  REQUIRE(backup::verify(o.file, scope_verify()).ok());
  const std::string good = read_all(o.file);
  const std::string bad = s.dir.sub("bad.backup");
  std::string expect;
  SECTION("a flipped byte in the database") {
    // The database's data follows its 512-byte ustar header.
    size_t h = good.find(std::string("motcua.db") + std::string(1, '\0'));
    REQUIRE(h != std::string::npos);
    REQUIRE(h % 512 == 0);
    std::string d = good;
    d[h + 512 + 3000] ^= 0x20;
    write_all(bad, d);
    expect = "motcua.db: its BLAKE2b-256 hash differs";
  }
  SECTION("an attachment listed in the manifest is missing") {
    rewrite(o.file, bad, [](const std::string& p, std::string&) { return p.rfind("blobs/", 0) != 0; });
    expect = "listed in the manifest but missing from the archive";
  }
  SECTION("an attachment the database references is in neither the manifest nor the archive") {
    rewrite(o.file, bad, [](const std::string& p, std::string& data) {
      if (p == "manifest.json") {
        Json m = Json::parse(data);
        Json files = Json::array();
        for (const auto& f : m["files"])
          if (f["path"].get<std::string>().rfind("blobs/", 0) != 0) files.push_back(f);
        m["files"] = files;
        data = m.dump(2);
      }
      return p.rfind("blobs/", 0) != 0;
    });
    expect = "is referenced by motcua.db but not in the archive";
  }
  SECTION("a truncated archive") {
    write_all(bad, good.substr(0, good.size() / 2));
    expect = "truncated";
  }
  SECTION("a manifest whose hash of node.key is wrong") {
    rewrite(o.file, bad, [](const std::string& p, std::string& data) {
      if (p == "manifest.json") {
        Json m = Json::parse(data);
        for (auto& f : m["files"])
          if (f["path"] == "node.key") f["blake2b_256"] = std::string(64, '0');
        data = m.dump(2);
      }
      return true;
    });
    expect = "node.key: its BLAKE2b-256 hash differs from the manifest's";
  }
  SECTION("a manifest field of the wrong type") {
    rewrite(o.file, bad, [](const std::string& p, std::string& data) {
      if (p == "manifest.json") {
        Json m = Json::parse(data);
        m["schema_version"] = "mười ba";
        data = m.dump(2);
      }
      return true;
    });
    expect = "manifest.json: a field has the wrong type";
  }
  SECTION("not an archive at all") {
    write_all(bad, "Đây là một tệp văn bản, không phải bản sao lưu.\n");
    expect = "not a motcua backup archive";
  }
  SECTION("a tar archive of something else") {
    rewrite(o.file, bad, [](const std::string& p, std::string&) { return p != "manifest.json"; });
    expect = "its first file is not manifest.json";
  }
  auto v = backup::verify(bad, scope_verify());
  REQUIRE(!v.ok());
  CHECK(v.error().code == "backup_invalid");
  CHECK(v.error().message.rfind(bad + ": ", 0) == 0);
  INFO(v.error().message);
  CHECK(v.error().message.find(expect) != std::string::npos);
  backup::RestoreOptions ro;
  ro.file = bad;
  ro.data_dir = s.dir.sub("restored");
  ro.projector = scope_projector;
  auto r = backup::restore(ro);
  REQUIRE(!r.ok());
  CHECK(r.error().code == "backup_invalid");
  CHECK(!fs::exists(ro.data_dir));
  CHECK(names_in(s.dir.path()) == std::set<std::string>{"bad.backup", "data", "one.backup"});
  // An existing empty directory stays as empty as it was.
  fs::create_directories(ro.data_dir);
  CHECK(backup::restore(ro).error().code == "backup_invalid");
  CHECK(fs::is_empty(ro.data_dir));
}

TEST_CASE("the command line: backup, backup --verify and restore with their exit codes", "[backup]") {
  TempDir dir{"backup-cli"};
  ManualClock clock{1751335200000};
  SeededRandom rng{3};
  const std::string data = dir.sub("data");
  { auto n = make_node(data, clock, rng); }  // the product's projector: the CLI verifies with it
  const std::string file = dir.sub("x.backup");
  int status = -1;
  CHECK(run_motcua("backup --help", &status).find("--verify") != std::string::npos);
  CHECK(status == 0);
  std::string out = run_motcua("backup --data-dir '" + data + "' '" + file + "'", &status);
  INFO(out);
  CHECK(status == 0);
  CHECK(out.find("backed up point 'test-point': 0 dossiers, ") != std::string::npos);
  out = run_motcua("backup --data-dir '" + data + "' '" + file + "'", &status);
  CHECK(status == 1);
  CHECK(out.find("(backup_target_exists)") != std::string::npos);
  out = run_motcua("backup --verify '" + file + "'", &status);
  CHECK(status == 0);
  CHECK(out.find("backup OK: ") != std::string::npos);
  write_all(dir.sub("junk.backup"), "not an archive");
  out = run_motcua("backup --verify '" + dir.sub("junk.backup") + "'", &status);
  CHECK(status == 1);
  CHECK(out.find("(backup_invalid)") != std::string::npos);
  out = run_motcua("backup", &status);
  CHECK(status == 2);
  out = run_motcua("restore '" + file + "' --data-dir '" + dir.sub("back") + "'", &status);
  CHECK(status == 0);
  CHECK(out.find("This point has no hub; it has a new database epoch") != std::string::npos);
  out = run_motcua("verify --data-dir '" + dir.sub("back") + "'", &status);
  CHECK(status == 0);
  out = run_motcua("restore '" + file + "' --data-dir '" + dir.sub("back") + "'", &status);
  CHECK(status == 1);
  CHECK(out.find("(data_dir_not_empty)") != std::string::npos);
  out = run_motcua("restore '" + file + "' --code ABC --data-dir '" + dir.sub("other") + "'", &status);
  CHECK(status == 2);  // --code belongs to restore --from-hub
  CHECK(!fs::exists(dir.sub("other")));
}

TEST_CASE("motcua backup as its own process beside motcua serve taking dossiers in, then restore", "[backup]") {
  TempDir dir{"backup-serve"};
  const std::string bin = MOTCUA_BINARY;
  const std::string data = dir.sub("node"), dd = " --data-dir '" + data + "'";
  int status = -1;
  run_motcua("init --role point --name xa-an-thi --agency-code 000.00.01.H22" + dd, &status);
  REQUIRE(status == 0);
  {
    FILE* p = ::popen(("'" + bin + "' user add clerk1 --role clerk" + dd + " >/dev/null 2>&1").c_str(), "w");
    REQUIRE(p);
    std::fputs("clerk1-password\n", p);
    REQUIRE(::pclose(p) == 0);
  }
  ServeProcess serve(bin, data, dir.sub("serve.log"));
  std::string token;
  {
    httplib::Client c("127.0.0.1", serve.port);
    auto r = c.Post("/api/v1/sessions", Json{{"username", "clerk1"}, {"password", "clerk1-password"}}.dump(),
                    "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    token = Json::parse(r->body)["token"].get<std::string>();
  }
  std::atomic<bool> began{false}, stop{false};
  std::atomic<int> acked{0};
  std::mutex mu;
  std::vector<std::string> before;
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      httplib::Client c("127.0.0.1", serve.port);
      c.set_read_timeout(20);
      while (!stop) {
        auto r = c.Post("/api/v1/dossiers", {{"Authorization", "Bearer " + token}}, intake_request().dump(),
                        "application/json");
        if (!r || r->status != 201) continue;
        const bool was_before = !began.load();
        ++acked;
        if (was_before) {
          std::lock_guard<std::mutex> g(mu);
          before.push_back(Json::parse(r->body)["code"].get<std::string>());
        }
      }
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (acked < 20 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const std::string file = dir.sub("daily.backup");
  began = true;
  const std::string out = run_motcua("backup" + dd + " '" + file + "'", &status);
  stop = true;
  for (auto& t : clients) t.join();
  INFO(out);
  REQUIRE(status == 0);
  REQUIRE(before.size() >= 20);
  CHECK(serve.signal_and_wait(SIGTERM) == 0);
  CHECK(run_motcua("backup --verify '" + file + "'", &status).find("backup OK: ") != std::string::npos);
  CHECK(status == 0);
  const std::string back = dir.sub("back");
  run_motcua("restore '" + file + "' --data-dir '" + back + "'", &status);
  REQUIRE(status == 0);
  run_motcua("verify --data-dir '" + back + "'", &status);
  CHECK(status == 0);
  ManualClock clock{kTuesdayMorningMs};
  auto n = open_existing(back, clock);
  auto subjects = n->journal().subjects();
  std::set<std::string> have(subjects.begin(), subjects.end());
  for (const auto& code : before) CHECK(have.count(code) == 1);
}
