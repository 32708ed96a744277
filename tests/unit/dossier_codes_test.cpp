// Dossier codes <agency>-<YYMMDD>-<NNNN>: minted in sequence from the blocks
// the node holds, never reused, and running out is a plain error.
#include <catch2/catch.hpp>

#include "dossier_fixture.hpp"
#include "motcua/node/catalogue.hpp"

using namespace motcua;

TEST_CASE("codes follow the daily sequence and start again each day", "[dossier][codes]") {
  test::DossierFixture f;
  CHECK(f.take_in() == "000.00.01.H22-250701-0001");
  CHECK(f.take_in() == "000.00.01.H22-250701-0002");
  std::string third = f.take_in();
  CHECK(third == "000.00.01.H22-250701-0003");
  // A cancelled dossier keeps its number: the next one does not reuse it.
  f.must(f.clerk, third, "cancel", Json{{"reason", "nhầm thủ tục"}});
  CHECK(f.take_in() == "000.00.01.H22-250701-0004");
  f.clock.set(test::vn_ms(2025, 7, 2, 8));
  CHECK(f.take_in() == "000.00.01.H22-250702-0001");
}

TEST_CASE("leased blocks are used first and running out is a plain error that writes nothing", "[dossier][codes]") {
  test::DossierFixture f;
  REQUIRE(node::add_code_block(*f.node, "250701", 500, 501).ok());
  CHECK(f.take_in() == "000.00.01.H22-250701-0500");
  CHECK(f.take_in() == "000.00.01.H22-250701-0501");
  int64_t before = f.node->journal().count();
  auto r = f.svc->intake(f.clerk, test::DossierFixture::intake_request());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "codes_exhausted");
  CHECK_THAT(r.error().message, Catch::Contains("01/07/2025"));
  CHECK_THAT(r.error().message, Catch::Contains("0500–0501"));
  CHECK(f.node->journal().count() == before);
  // Another day with no leased block for it falls back to the configured default.
  f.clock.set(test::vn_ms(2025, 7, 2, 8));
  CHECK(f.take_in() == "000.00.01.H22-250702-0001");
  // A block for every day.
  REQUIRE(node::add_code_block(*f.node, "*", 100, 199).ok());
  CHECK(f.take_in() == "000.00.01.H22-250702-0100");
  Json st = node::code_block_status(*f.node);
  // The configured fallback is reported apart from the held blocks.
  CHECK(st["default_block"]["first"] == 1);
  CHECK(st["default_block"]["last"] == 9999);
  REQUIRE(st["blocks"].size() == 2);
  CHECK(st["blocks"][0]["day"] == "*");
  CHECK(st["blocks"][0]["used"] == 1);
  CHECK(st["blocks"][1]["day"] == "250701");
  CHECK(st["blocks"][1]["used"] == 2);
}

TEST_CASE("blocks may not overlap and must be within 1..9999", "[dossier][codes]") {
  test::DossierFixture f;
  REQUIRE(node::add_code_block(*f.node, "250701", 1, 499).ok());
  CHECK(node::add_code_block(*f.node, "250701", 499, 600).error().code == "conflict");
  CHECK(node::add_code_block(*f.node, "*", 10, 20).error().code == "conflict");
  CHECK(node::add_code_block(*f.node, "250702", 1, 499).ok());
  CHECK(node::add_code_block(*f.node, "250701", 0, 10).error().field == "first");
  CHECK(node::add_code_block(*f.node, "250701", 9000, 10000).error().field == "last");
  CHECK(node::add_code_block(*f.node, "251332", 1, 2).error().field == "day");
}

TEST_CASE("without any block a point says so instead of inventing numbers", "[dossier][codes]") {
  test::DossierFixture f;
  REQUIRE(f.node->config().set("code_block", "").ok());
  CHECK(node::code_block_status(*f.node) == Json{{"blocks", Json::array()}, {"default_block", nullptr}});
  auto r = f.svc->intake(f.clerk, test::DossierFixture::intake_request());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "codes_exhausted");
  CHECK(f.node->journal().count() == 0);
  REQUIRE(f.node->config().set("code_block", "9998-9999").ok());
  CHECK(f.take_in() == "000.00.01.H22-250701-9998");
  CHECK(f.take_in() == "000.00.01.H22-250701-9999");
  CHECK(f.svc->intake(f.clerk, test::DossierFixture::intake_request()).error().code == "codes_exhausted");
}

TEST_CASE("the code pattern is a setting", "[dossier][codes]") {
  test::DossierFixture f;
  REQUIRE(f.node->config().set("code_pattern", "{yymmdd}/{seq4}.{agency}").ok());
  CHECK(f.take_in() == "250701/0001.000.00.01.H22");
  CHECK(f.take_in() == "250701/0002.000.00.01.H22");
}
