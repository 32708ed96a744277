// Search as the counter uses it: the procedure catalogue (diacritics, case,
// đ = d, the i/y spellings, any word order, the last word a prefix), its
// facets and documents; the dossier list by code, name, CCCD and phone; the
// documents handed in at intake and the return point, checked against what
// this node knows; reference data edits at an enrolled point.
#include <catch2/catch.hpp>

#include <SQLiteCpp/Database.h>

#include <functional>
#include <set>

#include "dossier_fixture.hpp"
#include "sync_test_util.hpp"
#include "motcua/node/catalogue.hpp"

using namespace motcua;

namespace {

Json search(test::DossierFixture& f, const std::string& q, const std::string& field = "", const std::string& level = "") {
  auto r = f.svc->search_procedures(q, field, level, 50);
  REQUIRE(r.ok());
  return r.value();
}

bool finds(const Json& res, const std::string& code) {
  for (const auto& p : res["items"])
    if (p["code"] == code) return true;
  return false;
}

// Lists with the search running each of its three ways (candidates looked up
// one by one, a common word checked per candidate, the newest-first walk);
// all must give the same page.
Json list(test::DossierFixture& f, const std::string& q, const std::string& cursor = "", int limit = 50) {
  Json first;
  for (auto [cap, few] : {std::pair<size_t, size_t>{20000, 2000}, {1, 2000}, {20000, 0}}) {
    node::DossierListQuery lq;
    lq.q = q;
    lq.cursor = cursor;
    lq.limit = limit;
    lq.word_codes_cap = cap;
    lq.few_candidates = few;
    auto r = f.svc->list(lq);
    REQUIRE(r.ok());
    if (first.is_null()) first = r.value();
    CAPTURE(q, cap, few);
    CHECK(r.value() == first);
  }
  return first;
}

std::set<std::string> codes_of(const Json& page) {
  std::set<std::string> out;
  for (const auto& d : page["items"]) out.insert(d["code"].get<std::string>());
  return out;
}

int64_t journal_count(test::DossierFixture& f) { return f.node->journal().count(); }

}  // namespace

TEST_CASE("the i/y fold: a final y after a consonant is i, on both sides", "[search]") {
  using node::search_fold;
  CHECK(search_fold("Đăng ký") == "dang ki");
  CHECK(search_fold("dang ki") == "dang ki");
  CHECK(search_fold("Mỹ") == search_fold("mi"));
  CHECK(search_fold("Lý lịch") == "li lich");
  CHECK(search_fold("quý") == search_fold("quí"));
  CHECK(search_fold("kỹ thuật") == "ki thuat");
  // y after a vowel, alone, or inside a word stays.
  CHECK(search_fold("Thủy") == "thuy");
  CHECK(search_fold("y tế") == "y te");
  CHECK(search_fold("tuyển") == "tuyen");
  CHECK(search_fold("hay") == "hay");
}

TEST_CASE("dang ki khai sinh finds Thủ tục đăng ký khai sinh, in any order and as typed", "[search]") {
  test::DossierFixture f;
  for (const std::string q : {"dang ki khai sinh", "dang ky khai sinh", "ĐĂNG KÍ KHAI SINH", "Đăng Ký Khai Sinh",
                              "khai sinh dang ki", "dang ki khai s", "đăng kí  khai   sinh"}) {
    CAPTURE(q);
    Json res = search(f, q);
    REQUIRE_FALSE(res["items"].empty());
    CHECK(finds(res, "1.001193"));
  }
  CHECK(search(f, "dang ki khai sinh")["items"][0]["code"] == "1.001193");
  CHECK(search(f, "khai sinh dang ki")["items"][0]["name"].get<std::string>().find("khai sinh") != std::string::npos);
  // Every word must match; only the last may be the start of a word.
  CHECK_FALSE(finds(search(f, "dang ki ket hon"), "1.001193"));
  CHECK_FALSE(finds(search(f, "dan ki khai sinh"), "1.001193"));
  CHECK(finds(search(f, "khai sinh dan"), "1.001193"));
  CHECK_FALSE(finds(search(f, "khai sinh dan "), "1.001193"));  // a space ends the word
  // "li lich" and "ly lich" both find the criminal record certificate.
  CHECK(finds(search(f, "li lich tu phap"), "2.000488"));
  CHECK(finds(search(f, "lý lịch tư pháp"), "2.000488"));
  CHECK(finds(search(f, "chu ki"), "2.000884"));
  CHECK(search(f, "khong co thu tuc nay")["items"].empty());
  // Filters still apply.
  CHECK(finds(search(f, "dang ki", "Hộ tịch"), "1.001193"));
  CHECK_FALSE(finds(search(f, "dang ki", "Chứng thực"), "1.001193"));
}

TEST_CASE("facets list each field and level once, sorted", "[search]") {
  test::DossierFixture f;
  auto r = f.svc->procedure_facets();
  REQUIRE(r.ok());
  const Json& fields = r.value()["fields"];
  std::set<std::string> seen;
  for (const auto& x : fields) CHECK(seen.insert(x.get<std::string>()).second);
  for (const char* want : {"Hộ tịch", "Chứng thực", "Bảo hiểm xã hội", "Người có công", "Đất đai", "Lý lịch tư pháp"})
    CHECK(seen.count(want) == 1);
  CHECK(seen.count("Người có công (liên thông)") == 0);
  CHECK(r.value()["levels"] == Json::array({"một phần", "toàn trình"}));
  // Every field of the facets filters to at least one procedure.
  for (const auto& x : fields) CHECK(search(f, "", x.get<std::string>())["total"].get<int>() >= 1);
}

TEST_CASE("a procedure's documents say which are mandatory", "[search]") {
  test::DossierFixture f;
  auto p = f.svc->get_procedure("1.001193");
  REQUIRE(p.ok());
  const Json& docs = p.value()["documents"];
  REQUIRE(docs.size() == 4);
  CHECK(docs[0] == Json{{"name", "Tờ khai đăng ký khai sinh theo mẫu"}, {"mandatory", true}});
  CHECK(docs[3] == Json{{"name", "Văn bản ủy quyền (nếu ủy quyền)"}, {"mandatory", false}});
  // Objects in the catalogue are taken as they are.
  Json cat = Json::array({Json{{"code", "9.1"}, {"name", "Thử"}, {"field", "F"},
                               {"documents", Json::array({Json{{"name", "Đơn (nếu có)"}, {"mandatory", true}},
                                                          Json{{"name", "Ảnh"}, {"mandatory", false}}, "Tờ khai"})}}});
  REQUIRE(node::import_catalogue(*f.node, cat).ok());
  Json d = f.svc->get_procedure("9.1").value()["documents"];
  CHECK(d == Json::array({Json{{"name", "Đơn (nếu có)"}, {"mandatory", true}}, Json{{"name", "Ảnh"}, {"mandatory", false}},
                          Json{{"name", "Tờ khai"}, {"mandatory", true}}}));
  cat[0]["documents"] = Json::array({Json{{"name", "Ảnh"}, {"mandatory", "yes"}}});
  CHECK(node::import_catalogue(*f.node, cat).error().field == "procedures[0].documents[0].mandatory");
}

TEST_CASE("intake keeps the documents handed in and refuses a missing mandatory one", "[search][intake]") {
  test::DossierFixture f;
  Json req = test::DossierFixture::intake_request("1.001193");
  // Names match like the search; the catalogue's spelling is kept.
  req["documents"][0]["name"] = "to khai dang ki khai sinh theo mau";
  req["documents"][1]["copies"] = 2;
  req["documents"].push_back(Json{{"name", "Văn bản ủy quyền (nếu ủy quyền)"}, {"originals", 0}, {"copies", 1}});
  std::string code = f.take_in(req);
  Json s = f.state(code);
  REQUIRE(s["documents"].size() == 4);
  CHECK(s["documents"][0] == Json{{"name", "Tờ khai đăng ký khai sinh theo mẫu"}, {"originals", 1}, {"copies", 0}});
  CHECK(s["documents"][1]["copies"] == 2);
  CHECK(s["documents"][3] == Json{{"name", "Văn bản ủy quyền (nếu ủy quyền)"}, {"originals", 0}, {"copies", 1}});

  const int64_t before = journal_count(f);
  Json missing = test::DossierFixture::intake_request("1.001193");
  missing["documents"].erase(1);
  auto r = f.svc->intake(f.clerk, missing);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "missing_document");
  CHECK(r.error().field == "documents");
  CHECK(r.error().message.find("Bản chính Giấy chứng sinh") != std::string::npos);
  Json none = test::DossierFixture::intake_request("1.001193");
  none.erase("documents");
  CHECK(f.svc->intake(f.clerk, none).error().code == "missing_document");

  struct Bad {
    std::function<void(Json&)> edit;
    std::string code, field;
  };
  for (const auto& b : std::vector<Bad>{
           {[](Json& j) { j["documents"][0]["name"] = "Sổ hộ khẩu"; }, "invalid_value", "documents[0].name"},
           {[](Json& j) { j["documents"][0]["originals"] = 100; }, "invalid_value", "documents[0].originals"},
           {[](Json& j) { j["documents"][0]["copies"] = -1; }, "invalid_value", "documents[0].copies"},
           {[](Json& j) { j["documents"][0]["copies"] = "2"; }, "wrong_type", "documents[0].copies"},
           {[](Json& j) { j["documents"][0]["originals"] = 0; }, "invalid_value", "documents[0].originals"},
           {[](Json& j) { j["documents"][0]["colour"] = "đỏ"; }, "unknown_field", "documents[0].colour"},
           {[](Json& j) { j["documents"].push_back(j["documents"][0]); }, "invalid_value", "documents[3].name"},
           {[](Json& j) { j["documents"] = "all"; }, "wrong_type", "documents"},
       }) {
    Json bad = test::DossierFixture::intake_request("1.001193");
    b.edit(bad);
    CAPTURE(bad["documents"].dump());
    auto e = f.svc->intake(f.clerk, bad);
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().code == b.code);
    CHECK(e.error().field == b.field);
  }
  CHECK(journal_count(f) == before);
}

TEST_CASE("the return point must be a point of this hub that this node knows", "[search][intake]") {
  test::DossierFixture f("xa-an-thi");
  Json req = test::DossierFixture::intake_request();
  req["return_point"] = "xa-khong-co";
  const int64_t before = journal_count(f);
  auto r = f.svc->intake(f.clerk, req);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "invalid_value");
  CHECK(r.error().field == "return_point");
  CHECK(journal_count(f) == before);
  // The node itself always counts.
  req["return_point"] = "xa-an-thi";
  std::string code = f.take_in(req);
  // Siblings the hub listed in its reference data count too.
  f.node->db()->exec(R"(INSERT INTO sync_state (key, value) VALUES ('known_points',
      '[{"name":"xa-dao-xa","place_name":"UBND xã Đào Xá"}]'))");
  Json known = node::known_points(*f.node).value();
  REQUIRE(known.size() == 2);
  CHECK(known[0]["name"] == "xa-an-thi");
  CHECK(known[1] == Json{{"name", "xa-dao-xa"}, {"place_name", "UBND xã Đào Xá"}});
  req["return_point"] = "xa-dao-xa";
  CHECK(f.svc->intake(f.clerk, req).ok());
  // An update to an unknown point is refused as well.
  auto u = f.svc->update(f.clerk, code, Json{{"return_point", "xa-khong-co"}});
  REQUIRE_FALSE(u.ok());
  CHECK(u.error().field == "return_point");
  CHECK(f.svc->update(f.clerk, code, Json{{"return_point", "xa-dao-xa"}}).ok());
}

TEST_CASE("at a hub the active points are known", "[search][intake]") {
  test::TempDir dir("hubpoints");
  ManualClock clock(test::vn_ms(2025, 7, 1));
  SeededRandom rng(3);
  auto hub = test::make_node(dir.path(), clock, rng, node::Role::Hub, "hub-hung-yen");
  hub->db()->exec("INSERT INTO hub_points (name, area, daily_capacity, lease_days, status, created_ms) VALUES "
                  "('xa-an-thi', 'an-thi', 100, 3, 'active', 0), ('xa-cu', 'an-thi', 100, 3, 'revoked', 0)");
  Json known = node::known_points(*hub).value();
  REQUIRE(known.size() == 2);
  CHECK(known[0]["name"] == "hub-hung-yen");
  CHECK(known[1]["name"] == "xa-an-thi");
  CHECK(node::is_known_point(*hub, "xa-an-thi").value());
  CHECK_FALSE(node::is_known_point(*hub, "xa-cu").value());
}

TEST_CASE("the dossier list finds by code, name in any order, CCCD and phone", "[search][list]") {
  test::DossierFixture f;
  struct Person {
    const char* name;
    const char* cccd;
    const char* phone;
  };
  const std::vector<Person> people = {{"Nguyễn Văn An", "001099012345", "0912345678"},
                                      {"Trần Thị Bình", "033190001234", "0987654321"},
                                      {"Lê Văn Anh", "079203000001", "0355123456"}};
  std::vector<std::string> codes;
  for (const auto& p : people) {
    Json req = test::DossierFixture::intake_request();
    req["applicant"]["full_name"] = p.name;
    req["applicant"]["cccd"] = p.cccd;
    req["applicant"]["phone"] = p.phone;
    codes.push_back(f.take_in(req));
    f.clock.advance(60'000);
  }
  CHECK(codes_of(list(f, codes[1])) == std::set<std::string>{codes[1]});
  CHECK(codes_of(list(f, "nguyen van an")) == std::set<std::string>{codes[0]});
  CHECK(codes_of(list(f, "An Nguyễn")) == std::set<std::string>{codes[0]});
  CHECK(codes_of(list(f, "VĂN")) == std::set<std::string>{codes[0], codes[2]});
  CHECK(codes_of(list(f, "van an")) == std::set<std::string>{codes[0], codes[2]});  // "an" starts "anh"
  CHECK(codes_of(list(f, "binh tran")) == std::set<std::string>{codes[1]});
  CHECK(codes_of(list(f, "033190001234")) == std::set<std::string>{codes[1]});
  CHECK(codes_of(list(f, "0331900")) == std::set<std::string>{codes[1]});
  for (const std::string q : {"0987654321", "+84987654321", "84987654321", "987654321", "+84 987 654 321", "0987.654.321",
                              "0084987654321"}) {
    CAPTURE(q);
    CHECK(codes_of(list(f, q)) == std::set<std::string>{codes[1]});
  }
  CHECK(list(f, "khong ai")["items"].empty());
  // Paged by cursor with the search on.
  Json page1 = list(f, "van", "", 1);
  REQUIRE(page1["items"].size() == 1);
  REQUIRE(page1["next_cursor"].is_string());
  Json page2 = list(f, "van", page1["next_cursor"].get<std::string>(), 1);
  REQUIRE(page2["items"].size() == 1);
  CHECK(page2["next_cursor"].is_null());
  CHECK(page1["items"][0]["code"] != page2["items"][0]["code"]);
  // An update of the name moves the dossier in the index.
  f.must(f.clerk, codes[0], "update", Json{{"applicant", {{"full_name", "Phạm Thị Cúc"}}}});
  CHECK(list(f, "nguyen van an")["items"].empty());
  CHECK(codes_of(list(f, "cuc pham")) == std::set<std::string>{codes[0]});
}

TEST_CASE("an act that keeps the search key leaves the dossier's search words as they are, and its rows in place",
          "[search][list]") {
  test::DossierFixture f;
  const std::string code = f.take_in();
  auto& db = *f.node->db();
  // Count the word rows written from here on (a TEMP trigger: this
  // connection only, gone with it).
  db.exec("CREATE TEMP TABLE words_written (n INTEGER NOT NULL); INSERT INTO words_written VALUES (0);"
          "CREATE TEMP TRIGGER count_words AFTER INSERT ON main.dossier_words BEGIN "
          "UPDATE words_written SET n = n + 1; END;");
  auto written = [&] { return db.execAndGet("SELECT n FROM words_written").getInt64(); };
  // The projection row itself is written in place (same rowid), not deleted and inserted again.
  auto rowid = [&] { return db.execAndGet("SELECT rowid FROM projection WHERE subject = '" + code + "'").getInt64(); };
  const int64_t row = rowid();
  const int64_t words = db.execAndGet("SELECT count(*) FROM dossier_words WHERE code = '" + code + "'").getInt64();
  REQUIRE(words >= 4);
  f.must(f.clerk, code, "update", Json{{"applicant", {{"email", "lan.moi@example.vn"}}}});
  CHECK(written() == 0);
  CHECK(codes_of(list(f, "lan")) == std::set<std::string>{code});
  // A new name writes the words again, and only then.
  f.must(f.clerk, code, "update", Json{{"applicant", {{"full_name", "Phạm Thị Cúc"}}}});
  const int64_t renamed = written();
  CHECK(renamed > 0);
  CHECK(list(f, "lan")["items"].empty());
  CHECK(codes_of(list(f, "cuc")) == std::set<std::string>{code});
  // The index row follows every act; the words stay.
  f.must(f.officer, code, "accept");
  CHECK(written() == renamed);
  CHECK(db.execAndGet("SELECT status FROM dossier_index WHERE code = '" + code + "'").getInt() ==
        f.svc->get(code).value()["status"].get<int>());
  CHECK(codes_of(list(f, "cuc")) == std::set<std::string>{code});
  CHECK(rowid() == row);
}

// A search key that repeats a word: an agency code such as 000.00.00.H33
// ("00" twice) or a name such as Lê Thị Lê. Editing the phone rewrites the
// words inside the projection's upsert, where SQLite applies the outer
// statement's conflict policy to the trigger's INSERT OR IGNORE: a repeated
// word failed the edit with UNIQUE constraint failed (a 500, and a hub that
// projects the same entry refused the point's whole push).
TEST_CASE("an edit of a dossier whose search key repeats a word is stored and found", "[search][list]") {
  test::DossierFixture f;
  Json req = test::DossierFixture::intake_request();
  req["applicant"]["full_name"] = "Lê Thị Lê";
  const std::string code = f.take_in(req);
  auto& db = *f.node->db();
  auto words = [&] { return db.execAndGet("SELECT count(*) FROM dossier_words WHERE code = '" + code + "'").getInt64(); };
  const int64_t before = words();
  f.must(f.clerk, code, "update", Json{{"applicant", {{"phone", "0987654321"}}}});
  CHECK(f.svc->get(code).value()["applicant"]["phone"] == "0987654321");
  CHECK(words() == before);  // one phone number for another: as many distinct words
  CHECK(codes_of(list(f, "0987654321")) == std::set<std::string>{code});
  CHECK(codes_of(list(f, "le")) == std::set<std::string>{code});
  f.must(f.clerk, code, "update", Json{{"applicant", {{"full_name", "Lê Văn Lê Lê"}}}});
  CHECK(codes_of(list(f, "van le")) == std::set<std::string>{code});
  CHECK(f.node->journal().verify().ok());
}

TEST_CASE("a list search walks indexes, not every dossier", "[search][list]") {
  test::DossierFixture f;
  f.take_in();
  auto& db = *f.node->db();
  auto plan = [&](const std::string& sql) {
    SQLite::Statement st(db, "EXPLAIN QUERY PLAN " + sql);
    std::string text;
    while (st.executeStep()) text += st.getColumn(3).getString() + "\n";
    return text;
  };
  // The statements of DossierService::list: the codes of one typed word, a
  // candidate's row with a common word checked, the newest-first walk.
  std::string words = plan("SELECT code FROM dossier_words WHERE word >= 'nguyen' AND word < 'nguyen\xff' LIMIT 20001");
  INFO(words);
  CHECK(words.find("SEARCH dossier_words USING PRIMARY KEY") != std::string::npos);
  const std::string exists =
      " AND EXISTS (SELECT 1 FROM dossier_words w WHERE w.code = dossier_index.code AND w.word >= 'h22' AND "
      "w.word < 'h22\xff')";
  std::string one = plan("SELECT received_at FROM dossier_index WHERE code = 'x' AND cancelled = 0 AND status = 1" + exists);
  INFO(one);
  CHECK(one.find("SEARCH dossier_index USING INDEX sqlite_autoindex_dossier_index_1 (code=?)") != std::string::npos);
  CHECK(one.find("USING COVERING INDEX dossier_words_code") != std::string::npos);
  std::string walk = plan("SELECT code, received_at FROM dossier_index WHERE 1" + exists +
                          " ORDER BY received_at DESC, code DESC LIMIT 51");
  INFO(walk);
  CHECK(walk.find("dossier_index_received") != std::string::npos);
  CHECK(walk.find("TEMP B-TREE") == std::string::npos);
  CHECK(walk.find("USING COVERING INDEX dossier_words_code") != std::string::npos);
  // Rebuilding the projection rebuilds the words.
  const int64_t n = db.execAndGet("SELECT count(*) FROM dossier_words").getInt64();
  CHECK(n >= 4);
  REQUIRE(f.node->journal().rebuild_projection().ok());
  CHECK(db.execAndGet("SELECT count(*) FROM dossier_words").getInt64() == n);
}

TEST_CASE("an enrolled point takes its reference data from the hub only", "[search][reference]") {
  test::DossierFixture f;
  f.node->db()->exec("INSERT INTO sync_state (key, value) VALUES ('hub_key', 'ab')");
  const int64_t before = journal_count(f);
  auto h = node::set_holiday_year(*f.node, "root", Json{{"year", 2028}, {"holidays", Json::array()}});
  REQUIRE_FALSE(h.ok());
  CHECK(h.error().code == "managed_by_hub");
  auto c = node::import_catalogue_items(*f.node, "root", Json::array({Json{{"name", "A"}, {"field", "F"}, {"documents", Json::array()}}}));
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().code == "managed_by_hub");
  CHECK(journal_count(f) == before);
  // The sync path itself still imports.
  CHECK(node::import_holidays(*f.node, Json::array()).ok());
}

TEST_CASE("a point learns its sibling points from the hub's reference data", "[search][sync]") {
  test::SyncWorld w;
  size_t a = w.add_point("xa-an-thi", "an-thi");
  size_t b = w.add_point("xa-dao-xa", "an-thi");
  // b joined after a: a hears of b at its next sync (the reference hash changed).
  REQUIRE(w.sync(a).ok());
  std::set<std::string> names;
  const Json known = node::known_points(*w.points[a]).value();
  for (const auto& p : known) names.insert(p["name"].get<std::string>());
  CHECK(names == std::set<std::string>{"xa-an-thi", "xa-dao-xa", w.hub_node->name()});
  CHECK(node::is_known_point(*w.points[b], "xa-an-thi").value());
}

TEST_CASE("verify checks dossier_words against the search keys and a rebuild repairs it", "[search][verify]") {
  test::DossierFixture f;
  const std::string a = f.take_in();
  REQUIRE(f.node->journal().verify().ok());
  SQLite::Database raw(node::db_path(f.dir.path()), SQLite::OPEN_READWRITE);
  SECTION("a word removed") { raw.exec("DELETE FROM dossier_words WHERE word = 'lan' AND code = '" + a + "'"); }
  SECTION("a word added") { raw.exec("INSERT INTO dossier_words (word, code) VALUES ('khac', '" + a + "')"); }
  auto rep = f.node->journal().verify();
  REQUIRE_FALSE(rep.ok());
  CHECK(rep.problems.front().subject == a);
  CHECK(rep.problems.front().what.find("dossier_words") != std::string::npos);
  REQUIRE(f.node->journal().rebuild_projection().ok());
  CHECK(f.node->journal().verify().ok());
}
