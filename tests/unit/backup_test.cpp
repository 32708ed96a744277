// motcua backup / backup --verify / restore (docs/backup-format.md): an online
// backup beside a daemon taking dossiers in, attachments and the key, damaged
// archives, refusals that change nothing, a restored point (restoring until it
// synced) and a restored hub (a new epoch; the points give back what it lost).
#include <archive.h>
#include <archive_entry.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "../../node/src/codes.hpp"
#include "../../sync/src/sync_util.hpp"
#include "dossier_fixture.hpp"
#include "http_test_util.hpp"
#include "motcua/keyfile.hpp"
#include "motcua/node/blobs.hpp"
#include "motcua/sync/backup.hpp"
#include "serve_process.hpp"
#include "sync_test_util.hpp"

using namespace motcua;
using namespace motcua::test;
namespace fs = std::filesystem;
namespace backup = motcua::sync::backup;
namespace util = motcua::sync::util;

namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_all(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

// Every file under `dir` (relative path -> bytes).
std::map<std::string, std::string> tree(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out[fs::relative(e.path(), dir).string()] = read_all(e.path().string());
  return out;
}

// Names in `dir` (to see that nothing temporary was left behind).
std::set<std::string> names_in(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

// Rewrites the archive `src` into `dst`: `edit` sees each (path, bytes) and
// may change the bytes or drop the file (returns false).
void rewrite(const std::string& src, const std::string& dst,
             const std::function<bool(const std::string&, std::string&)>& edit) {
  archive* r = archive_read_new();
  archive_read_support_format_tar(r);
  REQUIRE(archive_read_open_filename(r, src.c_str(), 10240) == ARCHIVE_OK);
  archive* w = archive_write_new();
  archive_write_set_format_pax_restricted(w);
  REQUIRE(archive_write_open_filename(w, dst.c_str()) == ARCHIVE_OK);
  archive_entry* e = nullptr;
  while (archive_read_next_header(r, &e) == ARCHIVE_OK) {
    std::string path = archive_entry_pathname(e);
    std::string data(static_cast<size_t>(archive_entry_size(e)), '\0');
    if (!data.empty()) REQUIRE(archive_read_data(r, data.data(), data.size()) == static_cast<la_ssize_t>(data.size()));
    if (!edit(path, data)) continue;
    archive_entry* o = archive_entry_new();
    archive_entry_set_pathname(o, path.c_str());
    archive_entry_set_size(o, static_cast<la_int64_t>(data.size()));
    archive_entry_set_filetype(o, AE_IFREG);
    archive_entry_set_perm(o, 0600);
    REQUIRE(archive_write_header(w, o) == ARCHIVE_OK);
    archive_entry_free(o);
    if (!data.empty()) REQUIRE(archive_write_data(w, data.data(), data.size()) == static_cast<la_ssize_t>(data.size()));
  }
  archive_write_close(w);
  archive_write_free(w);
  archive_read_free(r);
}

constexpr const char* kPdf = "%PDF-1.4\n% giấy khai sinh bản sao\n1 0 obj <<>> endobj\n%%EOF\n";

// A point with one dossier and one attachment, closed again.
struct SmallNode {
  TempDir dir{"backup"};
  ManualClock clock{1751335200000};
  SeededRandom rng{7};
  std::string data;
  std::string blob_id;
  PublicKey pk{};
  explicit SmallNode(std::optional<std::string> passphrase = std::nullopt) : data(dir.sub("data")) {
    node::InitOptions io;
    io.data_dir = data;
    io.name = "xa-an-thi";
    io.agency_code = "000.00.01.H22";
    io.passphrase = passphrase;
    io.fast_kdf_for_tests = true;
    REQUIRE(node::Node::init(io, rng).ok());
    node::OpenOptions oo;
    oo.data_dir = data;
    oo.passphrase = passphrase;
    oo.clock = &clock;
    oo.random = &rng;
    oo.projector = scope_projector;
    auto n = node::Node::open(oo);
    REQUIRE(n.ok());
    pk = n.value()->keys().pk;
    node::BlobStore blobs(data, n.value()->db(), 1 << 20, &n.value()->journal().mutex());
    auto w = blobs.begin();
    REQUIRE(w->write(reinterpret_cast<const uint8_t*>(kPdf), std::strlen(kPdf)).ok());
    auto info = w->finish();
    REQUIRE(info.ok());
    blob_id = info->id;
    REQUIRE(n.value()->journal().append(intake_draft("000.00.01.H22-250701-0001", "xa-an-thi", "area-x")).ok());
  }
  std::string archive() const { return dir.sub("one.backup"); }
};

backup::VerifyOptions scope_verify() {
  backup::VerifyOptions o;
  o.projector = scope_projector;
  return o;
}

}  // namespace

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

namespace {

Result<backup::RestoreResult> restore_into(SyncWorld& w, const std::string& file, const std::string& dir) {
  backup::RestoreOptions ro;
  ro.file = file;
  ro.data_dir = dir;
  ro.random = &w.rng;
  ro.projector = scope_projector;
  return backup::restore(ro);
}

std::string backup_of(SyncWorld& w, const std::string& data_dir, const std::string& name) {
  backup::CreateOptions o;
  o.data_dir = data_dir;
  o.file = w.dir.sub(name);
  o.clock = &w.clock;
  auto r = backup::create(o);
  REQUIRE(r.ok());
  REQUIRE(backup::verify(o.file, scope_verify()).ok());
  return o.file;
}

}  // namespace

TEST_CASE("a restored point takes nothing in until its sync fetched its own chain, then never reprints a number",
          "[backup]") {
  const bool hub_ahead = GENERATE(true, false);
  SyncWorld w;
  size_t a = w.add_point("a", "area-x");
  const std::string first = w.take_in(a).subject;
  REQUIRE(w.sync(a).ok());
  std::string second;
  std::string file;
  if (hub_ahead) {
    file = backup_of(w, w.dir.sub("a"), "a.backup");
    second = w.take_in(a).subject;  // printed and synced after the backup
    REQUIRE(w.sync(a).ok());
  } else {
    second = w.take_in(a).subject;
    REQUIRE(w.sync(a).ok());
    file = backup_of(w, w.dir.sub("a"), "a.backup");  // holds everything the hub holds
  }
  const std::string epoch_before = w.points[a]->meta("epoch");
  const PublicKey ka = w.points[a]->keys().pk;
  // The PC dies; its data directory is gone.
  w.points[a].reset();
  fs::remove_all(w.dir.sub("a"));
  auto r = restore_into(w, file, w.dir.sub("a"));
  INFO((r.ok() ? "" : r.error().message));
  REQUIRE(r.ok());
  CHECK(r->enrolled);
  CHECK(r->restoring);
  CHECK(r->epoch.empty());
  w.points[a] = open_existing(w.dir.sub("a"), w.clock, scope_projector);
  node::Node& pa = *w.points[a];
  CHECK(pa.keys().pk == ka);
  CHECK(pa.meta("restoring") == "1");
  CHECK(pa.meta("epoch") == epoch_before);
  auto refused = node::codes::mint(pa, pa.clock().now_ms());
  REQUIRE(!refused.ok());
  CHECK(refused.error().code == "point_restoring");

  auto synced = w.sync(a);
  INFO((synced.ok() ? "" : synced.error().message));
  REQUIRE(synced.ok());
  CHECK(pa.meta("restoring") == "");
  CHECK(pa.meta("epoch") != epoch_before);
  CHECK(pa.meta("epoch").size() == 32);
  CHECK(pa.journal().heads()[ka] == w.hub_node->journal().heads()[ka]);
  auto subjects = pa.journal().subjects();
  CHECK(std::count(subjects.begin(), subjects.end(), second) == 1);
  const std::string third = w.take_in(a).subject;
  CHECK(third != first);
  CHECK(third != second);
  REQUIRE(w.sync(a).ok());
  CHECK(w.hub->store().point("a")->epoch == pa.meta("epoch"));
  CHECK(w.hub->store().point("a")->status == "active");
  CHECK(pa.journal().verify().ok());
  CHECK(w.held_at_hub() == 0);
}

TEST_CASE("a hub restored from an older backup takes a new epoch, the points pull again and give back what it lost",
          "[backup]") {
  SyncWorld w;
  size_t a = w.add_point("a", "area-x");
  size_t b = w.add_point("b", "area-x");
  const std::string x1 = w.take_in(a).subject;
  REQUIRE(w.sync(a).ok());
  REQUIRE(w.sync(b).ok());
  const std::string file = backup_of(w, w.dir.sub("hub"), "hub.backup");
  const std::string hub_epoch_before = w.hub_node->meta("epoch");
  // After the backup: a takes one in (with an attachment), b takes one in,
  // both sync (the hub holds both, and the attachment).
  std::string scan_id;
  {
    node::BlobStore store(w.points[a]->data_dir(), w.points[a]->db(), 1 << 20, &w.points[a]->journal().mutex());
    auto wr = store.begin();
    REQUIRE(wr->write(reinterpret_cast<const uint8_t*>(kPdf), std::strlen(kPdf)).ok());
    auto info = wr->finish();
    REQUIRE(info.ok());
    scan_id = info->id;
  }
  const std::string x2 =
      w.take_in(a, "", [&](node::EntryDraft& d) { d.body["attachments"] = Json::array({scan_id}); }).subject;
  REQUIRE(w.sync(a).ok());
  const std::string x3 = w.take_in(b).subject;
  REQUIRE(w.sync(b).ok());
  // The hub's officer acts on x1 after the backup too: the restored hub lacks
  // that entry of its own chain, which the points hold.
  const node::Entry hub_act = w.act(SyncWorld::kHub, x1, "dossier.accepted");
  REQUIRE(w.sync(a).ok());
  REQUIRE(w.sync(b).ok());
  REQUIRE(w.points[b]->journal().get(hub_act.id));
  auto hub_holds_scan = [&] {
    node::BlobStore store(w.hub_node->data_dir(), w.hub_node->db(), 1 << 20, &w.hub_node->journal().mutex());
    auto p = store.path(scan_id);
    return p && read_all(*p) == kPdf;
  };
  REQUIRE(hub_holds_scan());
  const int64_t b_cursor_before = util::state_get_int(*w.points[b], "pull_cursor");
  REQUIRE(b_cursor_before > 0);
  // The hub's PC dies; its data directory comes back from the older backup.
  w.hub.reset();
  w.hub_node.reset();
  fs::remove_all(w.dir.sub("hub"));
  auto r = restore_into(w, file, w.dir.sub("hub"));
  INFO((r.ok() ? "" : r.error().message));
  REQUIRE(r.ok());
  CHECK(!r->restoring);
  CHECK(r->summary.role == "hub");
  REQUIRE(r->epoch.size() == 32);
  w.hub_node = open_existing(w.dir.sub("hub"), w.clock, scope_projector);
  CHECK(w.hub_node->meta("epoch") == r->epoch);
  CHECK(r->epoch != hub_epoch_before);
  sync::HubOptions ho;
  ho.admission = w.admission_;
  w.hub = std::make_unique<sync::Hub>(*w.hub_node, sync::make_sqlite_hub_store(*w.hub_node), ho);
  for (auto& t : w.transports) t = std::make_unique<DirectTransport>(*w.hub);
  auto hub_subjects = [&] {
    auto s = w.hub_node->journal().subjects();
    return std::set<std::string>(s.begin(), s.end());
  };
  CHECK(hub_subjects() == std::set<std::string>{x1});
  CHECK(!hub_holds_scan());

  for (size_t i : {a, b, a, b}) {
    auto s = w.sync(i);
    INFO(w.names[i] << ": " << (s.ok() ? "" : s.error().message));
    REQUIRE(s.ok());
  }
  CHECK(hub_subjects() == std::set<std::string>{x1, x2, x3});
  CHECK(w.hub_node->journal().get(hub_act.id));  // its own lost entry, given back by a point
  CHECK(hub_holds_scan());                        // and the attachment, uploaded again
  // The hub signs on after it, not over it.
  const node::Entry next_act = w.act(SyncWorld::kHub, x2, "dossier.accepted");
  CHECK(next_act.seq == hub_act.seq + 1);
  for (size_t i : {a, b}) REQUIRE(w.sync(i).ok());
  for (size_t i : {a, b}) {
    node::Node& p = *w.points[i];
    CHECK(util::state_get(p, "hub_epoch") == r->epoch);  // the cursor is in the new epoch
    auto s = p.journal().subjects();
    CHECK(std::set<std::string>(s.begin(), s.end()) == std::set<std::string>{x1, x2, x3});
    CHECK(p.journal().verify().ok());
    CHECK(p.journal().state_hash() == w.hub_node->journal().state_hash());
  }
  CHECK(w.hub_node->journal().verify().ok());
  CHECK(w.held_at_hub() == 0);
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

TEST_CASE("a restoring point records nothing: no intake, no act, no conflict resolution", "[backup]") {
  DossierFixture f;
  const std::string code = f.take_in();
  f.node->set_meta("restoring", "1");  // as motcua restore leaves an enrolled point
  const auto before = snapshot(*f.node);
  auto intake = f.svc->intake(f.clerk, DossierFixture::intake_request());
  REQUIRE(!intake.ok());
  CHECK(intake.error().code == "point_restoring");
  auto act = f.svc->act(f.officer, code, "accept", Json::object());
  REQUIRE(!act.ok());
  CHECK(act.error().code == "point_restoring");
  auto resolved = f.svc->resolve_conflict(f.officer, std::string(64, 'a'), Json{{"decision", "Giữ tên theo CCCD"}});
  REQUIRE(!resolved.ok());
  CHECK(resolved.error().code == "point_restoring");
  CHECK(snapshot(*f.node) == before);
  f.node->set_meta("restoring", "");  // its sync fetched the own chain back
  CHECK(f.svc->act(f.officer, code, "accept", Json::object()).ok());
}
