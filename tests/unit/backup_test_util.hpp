// Shared by backup_test.cpp (archives: backup, verify, damaged archives, the
// command line) and restore_test.cpp (restored points and hubs).
#pragma once
#include <archive.h>
#include <archive_entry.h>
#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "dossier_fixture.hpp"
#include "motcua/node/blobs.hpp"
#include "motcua/sync/backup.hpp"
#include "sync_test_util.hpp"

namespace motcua::test::backup_util {

namespace fs = std::filesystem;
namespace backup = motcua::sync::backup;

inline std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void write_all(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

// Every file under `dir` (relative path -> bytes).
inline std::map<std::string, std::string> tree(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out[fs::relative(e.path(), dir).string()] = read_all(e.path().string());
  return out;
}

// Names in `dir` (to see that nothing temporary was left behind).
inline std::set<std::string> names_in(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

// Rewrites the archive `src` into `dst`: `edit` sees each (path, bytes) and
// may change the bytes or drop the file (returns false).
inline void rewrite(const std::string& src, const std::string& dst,
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

inline constexpr const char* kPdf = "%PDF-1.4\n% giấy khai sinh bản sao\n1 0 obj <<>> endobj\n%%EOF\n";

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

inline backup::VerifyOptions scope_verify() {
  backup::VerifyOptions o;
  o.projector = scope_projector;
  return o;
}

}  // namespace motcua::test::backup_util
