#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "motcua/node/blobs.hpp"
#include "test_util.hpp"

using namespace motcua;

namespace {
struct Fixture {
  test::TempDir dir{"blobs"};
  ManualClock clock{1764200000000};
  SeededRandom rng{9};
  std::unique_ptr<node::Node> n = test::make_node(dir.path(), clock, rng);
  node::BlobStore store{dir.path(), n->db(), 1000, &n->journal().mutex()};

  Result<node::BlobInfo> put(const std::string& bytes, size_t chunk = 7) {
    auto w = store.begin();
    for (size_t i = 0; i < bytes.size(); i += chunk) {
      Status s = w->write(reinterpret_cast<const uint8_t*>(bytes.data()) + i, std::min(chunk, bytes.size() - i));
      if (!s.ok()) return s.error();
    }
    return w->finish();
  }
  size_t tmp_files() {
    auto p = std::filesystem::path(dir.path()) / "blobs" / "tmp";
    if (!std::filesystem::exists(p)) return 0;
    return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(p), {}));
  }
};
const std::string kPdf = "%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n";
const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8) + "IHDR....";
const std::string kJpeg = std::string("\xff\xd8\xff\xe0", 4) + "JFIF....";
}  // namespace

TEST_CASE("the same bytes get the same id and are stored once", "[blobs]") {
  Fixture f;
  auto a = f.put(kPdf, 3);
  auto b = f.put(kPdf, 100);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->id == b->id);
  CHECK(a->id == to_hex(blake2b256(kPdf)));
  CHECK(a->size == static_cast<int64_t>(kPdf.size()));
  CHECK(a->media_type == "application/pdf");
  CHECK(f.store.total_bytes() == static_cast<int64_t>(kPdf.size()));
  auto p = f.store.path(a->id);
  REQUIRE(p.has_value());
  std::ifstream in(*p, std::ios::binary);
  std::string back((std::istreambuf_iterator<char>(in)), {});
  CHECK(back == kPdf);
  CHECK(f.tmp_files() == 0);
}

TEST_CASE("PNG and JPEG are recognised by their first bytes", "[blobs]") {
  Fixture f;
  auto png = f.put(kPng, 1);
  auto jpg = f.put(kJpeg, 2);
  REQUIRE(png.ok());
  REQUIRE(jpg.ok());
  CHECK(png->media_type == "image/png");
  CHECK(jpg->media_type == "image/jpeg");
  CHECK(f.store.info(png->id)->media_type == "image/png");
}

TEST_CASE("text and empty uploads are refused and leave nothing behind", "[blobs]") {
  Fixture f;
  auto txt = f.put("hello, this is a text file named scan.pdf");
  REQUIRE_FALSE(txt.ok());
  CHECK(txt.error().code == "validation_failed");
  CHECK(txt.error().field == "content");
  auto empty = f.put("");
  CHECK(empty.error().code == "validation_failed");
  CHECK(f.store.total_bytes() == 0);
  CHECK(f.tmp_files() == 0);
}

TEST_CASE("an upload over the limit is refused as too large", "[blobs]") {
  Fixture f;
  std::string big = kPdf + std::string(1000, 'x');
  auto r = f.put(big, 64);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "too_large");
  CHECK(f.store.total_bytes() == 0);
  CHECK(f.tmp_files() == 0);
  // Exactly at the limit is fine.
  auto at = f.put(kPdf + std::string(1000 - kPdf.size(), 'y'), 64);
  REQUIRE(at.ok());
  CHECK(at->size == 1000);
}

TEST_CASE("an abandoned upload leaves no file", "[blobs]") {
  Fixture f;
  {
    auto w = f.store.begin();
    REQUIRE(w->write(reinterpret_cast<const uint8_t*>(kPdf.data()), kPdf.size()).ok());
    CHECK(f.tmp_files() == 1);
  }
  CHECK(f.tmp_files() == 0);
  CHECK(f.store.total_bytes() == 0);
}

TEST_CASE("unknown or malformed ids are not found", "[blobs]") {
  Fixture f;
  CHECK_FALSE(f.store.info(std::string(64, 'a')).has_value());
  CHECK_FALSE(f.store.info("../../etc/passwd").has_value());
  CHECK_FALSE(f.store.path(std::string(64, 'A')).has_value());
}

TEST_CASE("a file left by a crash before its row is adopted when looked up or uploaded again", "[blobs]") {
  Fixture f;
  std::string id = to_hex(blake2b256(kPng));
  auto sub = std::filesystem::path(f.dir.path()) / "blobs" / id.substr(0, 2);
  std::filesystem::create_directories(sub);
  std::ofstream(sub / id.substr(2), std::ios::binary) << kPng;
  auto seen = f.store.info(id);  // its bytes hash to its name
  REQUIRE(seen.has_value());
  CHECK(seen->media_type == "image/png");
  auto r = f.put(kPng);
  REQUIRE(r.ok());
  CHECK(r->id == id);
  CHECK(f.store.path(id).has_value());
}

TEST_CASE("leftovers of cut uploads and stale sync transfers are swept, fresh ones and stored blobs stay",
          "[blobs]") {
  Fixture f;
  namespace fs = std::filesystem;
  auto stored = f.put(kPdf);
  REQUIRE(stored.ok());
  const fs::path blobs = fs::path(f.dir.path()) / "blobs";
  fs::create_directories(blobs / "tmp");
  fs::create_directories(blobs / "partial");
  auto touch = [](const fs::path& p, fs::file_time_type t) {
    std::ofstream(p) << "part";
    fs::last_write_time(p, t);
  };
  const auto now = fs::file_time_type::clock::now();
  touch(blobs / "tmp" / "upload-old", now - std::chrono::hours(48));
  touch(blobs / "tmp" / "upload-new", now - std::chrono::minutes(5));
  touch(blobs / "partial" / std::string(64, 'a'), now - std::chrono::hours(24 * 40));
  touch(blobs / "partial" / std::string(64, 'b'), now - std::chrono::hours(48));
  CHECK(f.store.sweep_stale(now - std::chrono::hours(24), now - std::chrono::hours(24 * 30)) == 2);
  CHECK_FALSE(fs::exists(blobs / "tmp" / "upload-old"));
  CHECK(fs::exists(blobs / "tmp" / "upload-new"));
  CHECK_FALSE(fs::exists(blobs / "partial" / std::string(64, 'a')));
  CHECK(fs::exists(blobs / "partial" / std::string(64, 'b')));
  REQUIRE(f.store.path(stored->id));
  CHECK(fs::exists(*f.store.path(stored->id)));
  CHECK(f.store.sweep_stale(now - std::chrono::hours(24), now - std::chrono::hours(24 * 30)) == 0);
}

TEST_CASE("a file another hub process stored in the shared folder is found once its bytes match its name", "[blobs]") {
  Fixture f;
  // Another process's store over the same folder, with a database of its own.
  test::TempDir other_dir{"blobs-other"};
  ManualClock clock{1764200000000};
  SeededRandom rng{10};
  auto other = test::make_node(other_dir.path(), clock, rng);
  node::BlobStore theirs{f.dir.path(), other->db(), 1000, &other->journal().mutex()};
  auto a = f.put(kPdf);
  REQUIRE(a.ok());
  auto seen = theirs.info(a->id);
  REQUIRE(seen.has_value());
  CHECK(seen->size == a->size);
  CHECK(seen->media_type == "application/pdf");
  CHECK(theirs.path(a->id).has_value());
  CHECK(theirs.total_bytes() == a->size);  // adopted: its row now exists
  // A file whose bytes do not hash to its name is not taken.
  auto b = f.put(kPng);
  REQUIRE(b.ok());
  {
    std::ofstream out(*f.store.path(b->id), std::ios::binary | std::ios::trunc);
    out << kJpeg;
  }
  CHECK_FALSE(theirs.info(b->id).has_value());
  CHECK_FALSE(theirs.info(to_hex(blake2b256("never stored"))).has_value());
}
