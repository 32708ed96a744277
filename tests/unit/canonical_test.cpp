// Canonical JSON: the exact bytes that are hashed and signed (docs/journal-format.md).
#include <catch2/catch.hpp>

#include "motcua/canonical.hpp"

using namespace motcua;

namespace {
std::string canon(const std::string& text) {
  Json j = Json::parse(text);
  auto s = check_canonical(j);
  if (!s.ok()) throw std::runtime_error("refused: " + s.error().message + " at " + s.error().field);
  return canonical_bytes(j);
}
Error refusal(const Json& j) {
  auto s = check_canonical(j);
  if (s.ok()) throw std::runtime_error("accepted but should be refused: " + j.dump());
  return s.error();
}
}  // namespace

TEST_CASE("canonical JSON sorts keys and drops insignificant whitespace", "[canonical]") {
  CHECK(canon(R"({ "b" : 1 , "a" : [ 1 , 2 , { "z" : null , "y" : true } ] , "c" : { } , "d" : [ ] })") ==
        R"({"a":[1,2,{"y":true,"z":null}],"b":1,"c":{},"d":[]})");
  CHECK(canon("false") == "false");
  CHECK(canon("-9007199254740991") == "-9007199254740991");
  CHECK(canon("9007199254740991") == "9007199254740991");
  CHECK(canon("[0, -1, 42]") == "[0,-1,42]");
  // Array order is meaningful and kept.
  CHECK(canon(R"(["b","a"])") == R"(["b","a"])");
}

TEST_CASE("canonical JSON orders keys by UTF-8 bytes, not by UTF-16 units or locale", "[canonical]") {
  // U+FF61 is EF BD A1 in UTF-8, U+1F600 is F0 9F 98 80: UTF-8 byte order puts
  // U+FF61 first, UTF-16 code-unit order (D83D DE00 < FF61) would not.
  Json j = Json::object();
  j["\xF0\x9F\x98\x80"] = 1;
  j["\xEF\xBD\xA1"] = 2;
  j["Z"] = 3;
  j["a"] = 4;
  j["đ"] = 5;  // C4 91
  j["é"] = 6;  // C3 A9
  REQUIRE(check_canonical(j).ok());
  CHECK(canonical_bytes(j) == "{\"Z\":3,\"a\":4,\"é\":6,\"đ\":5,\"\xEF\xBD\xA1\":2,\"\xF0\x9F\x98\x80\":1}");
}

TEST_CASE("canonical strings escape only quote, backslash and control characters", "[canonical]") {
  CHECK(canon(R"("a\"b\\c")") == R"("a\"b\\c")");
  CHECK(canon(R"("\b\f\n\r\t")") == R"("\b\f\n\r\t")");
  CHECK(canon(R"("\u0000\u0001\u001f")") == R"("\u0000\u0001\u001f")");
  CHECK(canon(R"("\u001F")") == R"("\u001f")");  // lowercase hex
  CHECK(canon(R"("\/")") == R"("/")");            // solidus is not escaped
  CHECK(canon(R"("\u00e9\u0111")") == "\"éđ\"");  // non-ASCII is raw UTF-8
  CHECK(canon(R"("\u007f")") == "\"\x7f\"");      // DEL is not a control char here
  CHECK(canon(R"("\u2028\ud83d\ude00")") == "\"\xE2\x80\xA8\xF0\x9F\x98\x80\"");
  CHECK(canon("\"Nguyễn Văn An, xã Đặng Lễ\"") == "\"Nguyễn Văn An, xã Đặng Lễ\"");
}

TEST_CASE("floating-point numbers are refused wherever they appear", "[canonical]") {
  CHECK(refusal(Json::parse("1.5")).code == "not_canonical");
  CHECK(refusal(Json::parse("1.0")).field.empty());
  CHECK(refusal(Json::parse(R"({"fee":{"amount":1e3}})")).field == "fee.amount");
  CHECK(refusal(Json::parse(R"({"a":[1,2,0.5]})")).field == "a[2]");
  // An integer too large for 64 bits is parsed as a float: refused too.
  CHECK(refusal(Json::parse("100000000000000000000")).code == "not_canonical");
}

TEST_CASE("integers outside plus or minus 2^53-1 are refused", "[canonical]") {
  CHECK(refusal(Json::parse("9007199254740992")).code == "not_canonical");
  CHECK(refusal(Json::parse("-9007199254740992")).code == "not_canonical");
  CHECK(refusal(Json::parse(R"({"n":[18446744073709551615]})")).field == "n[0]");
  CHECK(refusal(Json(int64_t{-9223372036854775807LL - 1})).code == "not_canonical");
}

TEST_CASE("strings and keys must be valid UTF-8 in NFC", "[canonical]") {
  const std::string decomposed = "Nguye\xCC\x82\xCC\x83n";
  Error e = refusal(Json{{"applicant", {{"full_name", decomposed}}}});
  CHECK(e.code == "not_canonical");
  CHECK(e.field == "applicant.full_name");
  CHECK(refusal(Json{{decomposed, 1}}).field == decomposed);
  CHECK(refusal(Json::array({"ok", std::string("\xC3\x28")})).field == "[1]");
  CHECK(refusal(Json{{std::string("\xFF"), 1}}).code == "not_canonical");
}

TEST_CASE("binary values cannot be signed", "[canonical]") {
  Json j = Json::binary({1, 2, 3});
  CHECK(refusal(j).code == "not_canonical");
}

TEST_CASE("parse_canonical accepts exactly canonical text and nothing else", "[canonical]") {
  auto good = parse_canonical(R"({"a":[1,"x"],"b":{"c":null}})");
  REQUIRE(good.ok());
  CHECK(good.value()["a"][1] == "x");

  for (const char* bad : {
           R"({"b":1,"a":2})",         // keys out of order
           R"({"a": 1})",              // whitespace
           R"({"a":1,"a":1})",         // duplicate key
           R"({"a":1.0})",             // float
           R"({"a":9007199254740992})",// out of range
           R"("\u00e9")",              // needless escape
           R"("\/")",                  // needless escape
           R"("\u001F")",              // uppercase hex
           "-0",                       // not the shortest form
           "01",                       // not JSON
           R"({"a":1} )",              // trailing whitespace
           "",                         // empty
       }) {
    INFO(bad);
    auto r = parse_canonical(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "not_canonical");
  }
  auto nfd = parse_canonical("\"e\xCC\x81\"");
  REQUIRE_FALSE(nfd.ok());
  CHECK(nfd.error().code == "not_canonical");
}

TEST_CASE("canonical bytes do not depend on the order fields were set", "[canonical]") {
  Json a = Json::object(), b = Json::object();
  a["subject"] = "000.00.01.H22-250701-0001";
  a["body"] = {{"z", 1}, {"a", {{"y", 2}, {"b", 3}}}};
  b["body"] = {{"a", {{"b", 3}, {"y", 2}}}, {"z", 1}};
  b["subject"] = "000.00.01.H22-250701-0001";
  CHECK(canonical_bytes(a) == canonical_bytes(b));
}
