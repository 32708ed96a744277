// Writes the seed corpora of tests/fuzz/corpus/<target>/ from real data:
// the intake request of the HTTP tests, tests/vectors/journal-v1.json,
// data/*.json, and sync messages and bundles made by a hub and a point like
// the fuzz targets' own (same seeded keys, so signed seeds verify there).
// Usage (from a MOTCUA_FUZZ tree): build-fuzz/fuzz/fuzz_make_seeds <repo root>
// Deterministic: running it again rewrites the same files.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "motcua/node/catalogue.hpp"
#include "motcua/node/dossiers.hpp"
#include "motcua/sync/bundle.hpp"
#include "world.hpp"
#include "../unit/sample_intake.hpp"

using namespace motcua;
using fuzz::HubWorld;

namespace {

std::string g_root;

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

void put(const std::string& target, const std::string& name, const std::string& bytes) {
  auto dir = std::filesystem::path(g_root) / "tests/fuzz/corpus" / target;
  std::filesystem::create_directories(dir);
  std::ofstream f(dir / name, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string byte(int b) { return std::string(1, static_cast<char>(b)); }

std::string unzip(const std::string& body) {
  auto r = sync::wire::gunzip(body, 64 << 20);
  if (!r.ok()) throw std::runtime_error("gunzip: " + r.error().message);
  return r.value();
}

// http_bodies: the route byte is the route's id (fuzz_http_bodies.cpp).
std::string route(const std::string& method, const std::string& pattern) {
  return byte(blake2b256(method + " " + pattern)[0]);
}

Json intake_body() {
  return Json{{"procedure_code", "1.001193"},
              {"applicant",
               {{"full_name", "Nguyễn Văn An"},
                {"cccd", "001099012345"},
                {"phone", "0912345678"},
                {"email", "an.nguyen@example.vn"},
                {"address", "Thôn Đông, xã Ân Thi, Hưng Yên"}}},
              {"channel", "counter"},
              {"form", {{"child_name", "Nguyễn Văn Bình"}}},
              {"attachments", Json::array()},
              {"documents", motcua::test::birth_registration_documents()}};
}

void http_seeds() {
  const std::string d = "http_bodies";
  const std::string clerk = byte(0), officer = byte(2), code0 = byte(0), code1 = byte(1), code2 = byte(2);
  put(d, "login", route("POST", "/api/v1/sessions") + byte(0) + code0 +
                      R"({"username":"clerk1","password":"clerk1-password"})");
  put(d, "intake", route("POST", "/api/v1/dossiers") + clerk + code0 + intake_body().dump());
  put(d, "update", route("PATCH", "/api/v1/dossiers/{code}") + clerk + code0 +
                       R"({"applicant":{"phone":"0987654321"},"form":{"child_name":"Nguyễn Văn Bình"}})");
  put(d, "supplement-request", route("POST", "/api/v1/dossiers/{code}/request-supplement") + officer + code1 +
                                   R"({"missing":["Giấy khai sinh"],"reason":"thiếu giấy tờ"})");
  put(d, "fees", route("POST", "/api/v1/dossiers/{code}/fees") + clerk + code1 +
                     R"({"amount_vnd":50000,"receipt_no":"BL-0001","note":"đã thu"})");
  put(d, "apologize", route("POST", "/api/v1/dossiers/{code}/apologize") + officer + code1 +
                          R"({"reason":"chậm","new_due_at":"2025-07-08T10:00:00+07:00"})");
  put(d, "handover", route("POST", "/api/v1/dossiers/{code}/handover") + clerk + code2 +
                         R"({"recipient":{"full_name":"Nguyễn Văn An","cccd":"001099012345","relation":"con"},"place":"counter"})");
  put(d, "resolve", route("POST", "/api/v1/conflicts/{id}/resolve") + byte(3) + byte(0xf0) + "1\n" +
                        R"({"decision":"keep","note":"x"})");
  put(d, "list", route("GET", "/api/v1/dossiers") + officer + code0 +
                     "status=1&q=Nguy%E1%BB%85n&limit=5&updated_since=2025-07-01T00:00:00Z");
  put(d, "search", route("GET", "/api/v1/procedures") + officer + code0 + "q=khai+sinh&field=H%E1%BB%99&limit=3");
  put(d, "upload", route("POST", "/api/v1/blobs") + clerk + code0 + "%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n");
  // Hub administration (the hub side of the world): byte 2 picks a held
  // entry for /api/v1/quarantine/{id}, a registered point for /points/{name}.
  const std::string admin = byte(0);
  put(d, "quarantine-list", route("GET", "/api/v1/quarantine") + admin + code0 + "state=held");
  put(d, "quarantine-show", route("GET", "/api/v1/quarantine/{id}") + admin + code0);
  put(d, "quarantine-release", route("POST", "/api/v1/quarantine/{id}/release") + admin + code0 +
                                   R"({"reason":"đã đối chiếu với sổ tiếp nhận"})");
  put(d, "quarantine-reject", route("POST", "/api/v1/quarantine/{id}/reject") + admin + code1 +
                                  R"({"reason":"không thuộc phạm vi của điểm"})");
  put(d, "points-list", route("GET", "/api/v1/points") + admin + code0);
  put(d, "point-add", route("POST", "/api/v1/points") + admin + code0 +
                          R"({"name":"diem-4","area":"xa-an-thi","place_name":"Bưu điện xã","agency_code":"000.00.01.H22","acts":"counter","daily_capacity":50})");
  put(d, "point-revoke", route("POST", "/api/v1/points/{name}/revoke") + admin + code1 + "{}");
  put(d, "alerts", route("GET", "/api/v1/alerts") + admin + code0 + "limit=5&since=2025-07-01");
  put(d, "cccd-parse", route("POST", "/api/v1/cccd/parse") + clerk + code0 +
                           R"({"qr":"033190001234|123456789|Nguyễn Thị Lan|12051990|Nữ|Thôn Trung, Ân Thi, Hưng Yên|01072021"})");
}

void cccd_seeds() {
  put("cccd_qr", "full", "033190001234|123456789|Nguyễn Thị Lan|12051990|Nữ|Thôn Trung, Ân Thi, Hưng Yên|01072021\r\n");
  put("cccd_qr", "no-old-id", "001099012345||Nguyễn Văn An|01011999|Nam|Thôn Đông, xã Ân Thi, Hưng Yên|15082021");
  put("cccd_qr", "six-fields", "079203000001||Trần Văn Bình|29022000|Nam|Quận 1, TP Hồ Chí Minh");
}

void entry_seeds() {
  Json v = Json::parse(read_file(g_root + "/tests/vectors/journal-v1.json"));
  int i = 0;
  for (const auto& e : v["entries"]) {
    put("entry_parse", "vector-" + std::to_string(i), byte(i % 4) + e["canonical"].get<std::string>());
    ++i;
  }
  i = 0;
  for (const auto& a : v["canonical_json"]["accept"]) {
    if (i >= 3) break;
    put("entry_parse", "canonical-" + std::to_string(i++), byte(0) + a["canonical"].get<std::string>());
  }
}

void catalogue_seeds() {
  Json procs = Json::parse(read_file(g_root + "/data/procedures.json"));
  Json few = Json::array();
  for (size_t i = 0; i < 3 && i < procs.size(); ++i) few.push_back(procs[i]);
  put("catalogue", "procedures", byte(0) + byte(0) + few.dump());
  Json hol = Json::parse(read_file(g_root + "/data/holidays-vn.json"));
  Json days = Json::array();
  for (size_t i = 0; i < 6 && i < hol["holidays"].size(); ++i) days.push_back(hol["holidays"][i]);
  days.push_back(Json{{"date", "2025-07-05"}, {"name", "Làm bù"}, {"kind", "working_day"}});
  put("catalogue", "holidays", byte(1) + byte(12) + days.dump());
  Json welcome{{"type", "welcome"},
               {"leases", Json::array({Json{{"day", "250701"}, {"first", 1}, {"last", 100}},
                                       Json{{"day", "250702"}, {"first", 1}, {"last", 100}}})},
               {"catalogue", Json::array({procs[0]})},
               {"holidays", Json::array({days[0]})},
               {"reference_hash", std::string(64, 'a')}};
  put("catalogue", "welcome", byte(2) + byte(0) + welcome.dump());
  // A reference (or enrolled) message as v2 sends it: the points, the hub key
  // and the registry the point admits pulled entries by (section 15.1).
  Json reference{{"type", "reference"},
                 {"hub", std::string(64, 'c')},
                 {"points", Json::array({Json{{"name", "hub"}, {"place_name", "UBND tỉnh"}},
                                         Json{{"name", "diem-1"}, {"place_name", "UBND xã Ân Thi"}}})},
                 {"registry", Json::array({Json{{"name", "diem-1"}, {"key", std::string(64, 'd')}, {"area", "xa-an-thi"},
                                                {"agency_code", "000.00.01.H22"},
                                                {"acts", Json::array({"dossier.submitted", "dossier.updated"})},
                                                {"status", "active"}, {"revoked_seq", 0}, {"revoked_id", ""}},
                                           Json{{"name", "diem-2"}, {"key", std::string(64, 'e')}, {"area", "xa-an-thi"},
                                                {"agency_code", "000.00.01.H22"}, {"acts", Json::array({"dossier.submitted"})},
                                                {"status", "revoked"}, {"revoked_seq", 3}, {"revoked_id", std::string(64, 'f')}}})},
                 {"registry_hash", std::string(64, 'b')},
                 {"hash", std::string(64, 'a')}};
  put("catalogue", "reference-registry", byte(2) + byte(0) + reference.dump());
  put("catalogue", "date", byte(3) + byte(0) + "2025-02-29");
  put("catalogue", "instant", byte(3) + byte(0) + "2025-07-01T09:30:00.123+07:00");
  put("catalogue", "instant-edge", byte(3) + byte(0) + "0000-01-01T00:30:00-00:30");
}

// Entries of the world's point: real dossier events, sealed with its key.
std::vector<node::Entry> point_entries(HubWorld& w) {
  node::DossierService svc(*w.point);
  auto made = svc.intake(node::Actor{"clerk1", node::UserRole::Clerk}, intake_body());
  if (!made.ok()) throw std::runtime_error("intake: " + made.error().message);
  auto acc = svc.act(node::Actor{"officer1", node::UserRole::Officer}, (*made)["code"].get<std::string>(), "accept",
                     Json{{"note", "ok"}});
  if (!acc.ok()) throw std::runtime_error("accept: " + acc.error().message);
  std::vector<node::Entry> out;
  for (int64_t seq = 1;; ++seq) {
    auto e = w.point->journal().get(w.point->keys().pk, seq);
    if (!e) break;
    out.push_back(*e);
  }
  return out;
}

void sync_and_bundle_seeds() {
  HubWorld& w = HubWorld::get();
  auto entries = point_entries(w);
  std::vector<sync::wire::WireEntry> wire_entries;
  for (const auto& e : entries) wire_entries.push_back(sync::wire::from_entry(e));
  const std::string d = "sync_decode";
  auto push = sync::wire::encode(Json{{"type", "push"}}, wire_entries).value();
  // A v2 hello: heads [seq, id], the cursor with its hub epoch, the point's epoch.
  auto hello = sync::wire::encode(
      Json{{"type", "hello"},
           {"heads", Json{{to_hex(w.point->keys().pk), Json::array({entries.size(), to_hex(entries.back().id)})}}},
           {"cursor", 0},
           {"hub_epoch", w.hub_node->meta("epoch")},
           {"epoch", w.point->meta("epoch")}},
      {}).value();
  put(d, "gzip-push", byte(0) + push);
  put(d, "plain-push", byte(1) + unzip(push));
  put(d, "plain-hello", byte(1) + unzip(hello));
  // Mode 2: byte0 = 2 + 4 * kind index (hello push pull reference blob_check blob_put blob_get enrol
  // fork_evidence own_chain).
  put(d, "hub-hello", byte(2 + 4 * 0) + unzip(hello));
  put(d, "hub-push", byte(2 + 4 * 1) + unzip(push));
  put(d, "hub-pull", byte(2 + 4 * 2) + unzip(sync::wire::encode(Json{{"type", "pull"}, {"after", 0}, {"limit", 50}}, {}).value()));
  put(d, "hub-pull-history",
      byte(2 + 4 * 2) + unzip(sync::wire::encode(Json{{"type", "pull"}, {"after", 0}, {"limit", 2},
                                                      {"history", Json{{"upto", 3}, {"pos", 0}}}}, {}).value()));
  put(d, "hub-reference", byte(2 + 4 * 3) + unzip(sync::wire::encode(Json{{"type", "reference"}}, {}).value()));
  put(d, "hub-blob-check",
      byte(2 + 4 * 4) + unzip(sync::wire::encode(Json{{"type", "blob_check"}, {"ids", Json::array({std::string(64, 'a')})}}, {}).value()));
  put(d, "hub-blob-put",
      byte(2 + 4 * 5) + unzip(sync::wire::encode(Json{{"type", "blob_put"}, {"id", std::string(64, 'a')}, {"offset", 0},
                                                      {"total", 4}}, {}, "%PDF").value()));
  // v2 enrolment: the code's public id and a MAC, never the code.
  put(d, "hub-enrol",
      byte(2 + 4 * 7) + unzip(sync::wire::encode(Json{{"type", "enrol"}, {"code_id", "0123abcd"}, {"name", "diem-2"},
                                                      {"time_ms", 1751335200000},
                                                      {"mac", std::string(64, 'b')}}, {}).value()));
  put(d, "hub-fork-evidence", byte(2 + 4 * 8) + unzip(sync::wire::encode(Json{{"type", "fork_evidence"}},
                                                                           {wire_entries.front()}).value()));
  put(d, "hub-blob-get",
      byte(2 + 4 * 6) + unzip(sync::wire::encode(Json{{"type", "blob_get"}, {"id", std::string(64, 'a')}, {"offset", 0},
                                                      {"limit", 1024}}, {}).value()));
  put(d, "hub-own-chain",
      byte(2 + 4 * 9) + unzip(sync::wire::encode(Json{{"type", "own_chain"}, {"after_seq", 0}, {"limit", 50}}, {}).value()));
  put(d, "entry-body", byte(3) + byte(0) + entries.front().body.dump());

  // Bundles: the point's export, then the hub's export after importing it,
  // with a reference catalogue and calendar small enough for a seed.
  Json procs = Json::parse(read_file(g_root + "/data/procedures.json"));
  if (!node::import_catalogue(*w.hub_node, Json::array({procs[0], procs[1]})).ok() ||
      !node::import_holidays(*w.hub_node, Json::array({Json{{"date", "2025-09-02"}, {"name", "Quốc khánh"}}})).ok())
    throw std::runtime_error("hub reference data");
  const std::string file = w.dir + "/seed.bundle";
  if (!sync::export_point_bundle(*w.point, file).ok()) throw std::runtime_error("export_point_bundle");
  const std::string point_file = read_file(file);
  put("bundle", "point-to-hub", byte(0) + point_file);
  if (!sync::import_point_bundle(*w.hub, *w.hub_node, file).ok()) throw std::runtime_error("import_point_bundle");
  if (!sync::export_hub_bundle(*w.hub, *w.hub_node, "diem-1", file).ok()) throw std::runtime_error("export_hub_bundle");
  const std::string hub_file = read_file(file);
  put("bundle", "hub-to-point", byte(1) + hub_file);
  std::filesystem::remove(file);

  // Modes 2 and 3: the same messages in plain text, 2-byte lengths.
  auto messages = [](const std::string& bytes, const std::function<uint8_t(const Json&)>& kind) {
    std::string out;
    size_t p = bytes.find('\n') + 1;
    p = bytes.find('\n', p) + 1;  // past the magic line and the header
    while (p < bytes.size()) {
      size_t nl = bytes.find('\n', p);
      Json line = Json::parse(bytes.substr(p, nl - p));
      size_t len = line["length"].get<size_t>();
      std::string plain = unzip(bytes.substr(nl + 1, len));
      if (plain.size() > 0xffff) plain.resize(0xffff);
      out += byte(kind(line)) + byte(plain.size() & 0xff) + byte(plain.size() >> 8) + plain;
      p = nl + 1 + len;
    }
    return out;
  };
  put("bundle", "point-messages", byte(2) + messages(point_file, [](const Json& l) {
        return l["path"].get<std::string>() == "/sync/v2/hello" ? 0 : 1;
      }));
  put("bundle", "hub-messages", byte(3) + messages(hub_file, [](const Json&) { return 0; }));
}

// sync_client: real sessions of a ClientWorld's point with its hub, recorded
// as the scripts fuzz_sync_client plays back (status byte, 2-byte length,
// plain message); receipts carry "sig":"hub" (the harness signs them).
class Recorder final : public sync::Transport {
 public:
  explicit Recorder(sync::Hub& hub) : hub_(hub) {}
  Result<sync::WireResponse> exchange(const sync::WireRequest& req) override {
    sync::WireResponse res = hub_.handle(req);
    add(res.status, unzip(res.body));
    return res;
  }
  void add(int status, std::string plain) {
    const size_t nl = plain.find('\n');
    Json h = Json::parse(plain.substr(0, nl));
    if (h.value("type", std::string()) == "receipt") {
      for (auto& item : h["receipts"]) item["sig"] = "hub";
      plain = h.dump() + plain.substr(nl);
    }
    const int k = status == 200 ? 0 : status == 400 ? 5 : status == 403 ? 6 : 7;
    if (plain.size() > 0xffff) throw std::runtime_error("a recorded message over 64 KiB");
    script += byte(k) + byte(plain.size() & 0xff) + byte(plain.size() >> 8) + plain;
  }
  std::string script;

 private:
  sync::Hub& hub_;
};

std::string plain_message(const Json& header, const std::vector<sync::wire::WireEntry>& entries = {}) {
  return unzip(sync::wire::encode(header, entries).value());
}

void client_seeds() {
  const std::string d = "sync_client";
  fuzz::ClientWorld cw;
  auto& w = cw.w;
  // 1: hello, push of the new dossier (receipt), pull, reference.
  Recorder first(*w.hub);
  auto s = sync::sync_once(*w.point, first);
  if (!s.ok()) throw std::runtime_error("client session 1: " + s.error().message);
  put(d, "session-push", first.script);
  // 2: the hub's officer accepts the dossier and a point is added (the
  // registry changes): the pull brings the hub's entry, the reference the registry.
  node::DossierService hub_svc(*w.hub_node);
  auto acc = hub_svc.act(node::Actor{"officer1", node::UserRole::Officer}, cw.code, "accept", Json{{"note", "ok"}});
  if (!acc.ok()) throw std::runtime_error("hub accept: " + acc.error().message);
  sync::PointAddOptions more;
  more.name = "diem-9";
  more.area = "xa-an-thi";
  more.agency_code = "000.00.01.H22";
  if (!w.hub->add_point(more).ok()) throw std::runtime_error("add_point diem-9");
  Recorder second(*w.hub);
  s = sync::sync_once(*w.point, second);
  if (!s.ok()) throw std::runtime_error("client session 2: " + s.error().message);
  put(d, "session-pull", second.script);
  // 3: the welcome says this point is behind its own chain (a backup copied
  // back in place): an own_chain page brings back the entry it lacks (seq 2,
  // written here after the recorded sessions; the fuzz world's point lacks
  // it), then the session runs again from hello.
  const std::string point_hex = to_hex(w.point->keys().pk);
  auto own = w.point->journal().get(w.point->keys().pk, 1);
  // It names an attachment the fuzz world's point lacks, so after the
  // restore the session downloads it (blob_check, blob_get).
  const std::string pdf = "%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n";
  const std::string blob_id = to_hex(blake2b256(pdf));
  auto own2 = w.point->journal().append(node::EntryDraft{
      "clerk1", node::events::kUpdated, cw.code,
      Json{{"changes", Json{{"applicant", Json{{"phone", "0987654321"}}}, {"attachments", Json::array({blob_id})}}}}});
  if (!own || !own2.ok()) throw std::runtime_error("the point's own entries");
  Json welcome = Json::parse(second.script.substr(3, second.script.find('\n', 3) - 3));
  Json behind = welcome;
  behind["heads"] = Json{{point_hex, Json::array({2, to_hex(own2->id)})}};
  behind["behind"] = Json{{"seq", 1}, {"hub_seq", 2}};
  Json again = welcome;
  again["heads"] = behind["heads"];
  for (const auto& p : own2->parents)  // the hub holds what the page carried: nothing to push back
    if (auto e = w.point->journal().get(p); e && e->author != w.point->keys().pk)
      again["heads"][to_hex(e->author)] = Json::array({e->seq, to_hex(e->id)});
  const std::string hub_epoch = welcome.value("hub_epoch", std::string());
  Recorder third(*w.hub);
  third.add(200, plain_message(behind));
  // As the hub sends it: the other authors' entries of the same dossier
  // stored before it (its causal parents, here the hub's acceptance), then it.
  std::vector<sync::wire::WireEntry> page;
  for (const auto& p : own2->parents)
    if (auto e = w.point->journal().get(p); e && e->author != w.point->keys().pk) page.push_back(sync::wire::from_entry(*e));
  page.push_back(sync::wire::from_entry(own2.value()));
  third.add(200, plain_message(Json{{"type", "own_chain"}, {"after_seq", 1}, {"next_seq", 2}, {"hub_seq", 2},
                                    {"more", false}, {"hub_epoch", hub_epoch}},
                               page));
  third.add(200, plain_message(again));
  third.add(200, plain_message(Json{{"type", "entries"}, {"after", 0}, {"next", 0}, {"more", false}, {"hub_epoch", hub_epoch}}));
  third.add(200, plain_message(Json{{"type", "blob_status"},
                                    {"held", Json{{blob_id, pdf.size()}}},
                                    {"missing", Json::object()},
                                    {"refused", Json::array()}}));
  third.add(200, unzip(sync::wire::encode(Json{{"type", "blob_chunk"}, {"id", blob_id}, {"offset", 0}, {"total", pdf.size()},
                                               {"media_type", "application/pdf"}},
                                          {}, pdf).value()));
  put(d, "session-behind", third.script);
  // 4: a fork: the hub holds another entry at seq 1 of this point's chain.
  Json fork = welcome;
  fork["fork"] = Json{{"author", point_hex}, {"seq", 1}, {"hub_id", std::string(64, 'a')}, {"point_id", to_hex(own->id)}};
  Recorder fourth(*w.hub);
  fourth.add(200, plain_message(fork));
  fourth.add(200, plain_message(Json{{"type", "fork_noted"}, {"forks", 1}}));
  put(d, "session-fork", fourth.script);
  // 5: the welcome names another registry: the point fetches the reference
  // data (the registry it admits pulled entries by) before it pulls.
  Json changed = welcome;
  changed["registry_hash"] = std::string(64, 'b');
  Json registry = Json::array({Json{{"name", "diem-1"}, {"key", point_hex}, {"area", "xa-an-thi"},
                                    {"agency_code", "000.00.01.H22"},
                                    {"acts", Json::array({"dossier.submitted", "dossier.updated"})},
                                    {"status", "active"}, {"revoked_seq", 0}, {"revoked_id", ""}},
                               Json{{"name", "diem-2"}, {"key", std::string(64, 'e')}, {"area", "xa-an-thi"},
                                    {"agency_code", "000.00.01.H22"}, {"acts", Json::array({"dossier.submitted"})},
                                    {"status", "revoked"}, {"revoked_seq", 3}, {"revoked_id", std::string(64, 'f')}}});
  Recorder ref(*w.hub);
  ref.add(200, plain_message(changed));
  ref.add(200, plain_message(Json{{"type", "reference"},
                                  {"hash", std::string(64, 'a')},
                                  {"catalogue", Json::array()},
                                  {"holidays", Json::array()},
                                  {"points", Json::array({Json{{"name", "diem-1"}, {"place_name", "UBND xã Ân Thi"}}})},
                                  {"hub", to_hex(w.hub_node->keys().pk)},
                                  {"registry", registry},
                                  {"registry_hash", std::string(64, 'b')}}));
  ref.add(200, plain_message(Json{{"type", "entries"}, {"after", 0}, {"next", 0}, {"more", false}, {"hub_epoch", hub_epoch}}));
  put(d, "session-reference", ref.script);
  // 6: a refused hello (the point was revoked), as the hub signs it.
  Recorder fifth(*w.hub);
  fifth.add(403, plain_message(Json{{"type", "error"},
                                    {"error", Json{{"code", "revoked_key"}, {"message", "revoked"}, {"field", ""}}}}));
  put(d, "hello-revoked", fifth.script);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_make_seeds <repository root>\n";
    return 2;
  }
  g_root = argv[1];
  try {
    http_seeds();
    cccd_seeds();
    entry_seeds();
    catalogue_seeds();
    sync_and_bundle_seeds();
    client_seeds();
  } catch (const std::exception& e) {
    std::cerr << "fuzz_make_seeds: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
