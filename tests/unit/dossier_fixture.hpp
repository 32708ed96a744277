// A node with a DossierService, users of each role and a hand-driven clock,
// shared by the dossier_*_test.cpp files.
#pragma once
#include <cstdio>
#include <fstream>
#include <sstream>
#include <memory>
#include <string>
#include <vector>

#include "motcua/node/dossiers.hpp"
#include "motcua/node/node.hpp"
#include "test_util.hpp"

namespace motcua::test {

// Milliseconds since the epoch of a Vietnam local time (UTC+7).
inline int64_t vn_ms(int y, int m, int d, int hh = 9, int mm = 0) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
  return days * 86'400'000 + (hh * 60 + mm) * 60'000LL - 7 * 3'600'000LL;
}

// "2025-07-01T10:00:00Z" for a Vietnam local time.
inline std::string vn_iso(int y, int m, int d, int hh, int mm = 0) {
  int64_t ms = vn_ms(y, m, d, hh, mm) + 7 * 3'600'000LL;  // as UTC wall fields
  int64_t days = ms / 86'400'000;
  int64_t sec = (ms % 86'400'000) / 1000 - 7 * 3600;
  if (sec < 0) {
    sec += 86400;
    --days;
  }
  int64_t z = days + 719468;
  const int64_t era = z / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  int dd = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  int mo = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  int yy = static_cast<int>(yoe + era * 400 + (mo <= 2));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:00Z", yy, mo, dd, static_cast<int>(sec / 3600),
                static_cast<int>(sec / 60 % 60));
  return buf;
}

// The mandatory documents of a procedure of the built-in catalogue
// (data/procedures.json), one original each: intake refuses a dossier
// without them (missing_document). A document is mandatory unless its name
// contains "(nếu" or it is an object with "mandatory": false.
inline Json handed_in_documents(const std::string& procedure) {
  static const Json catalogue = [] {
    std::ifstream in(MOTCUA_SOURCE_DIR "/data/procedures.json");
    std::stringstream ss;
    ss << in.rdbuf();
    return Json::parse(ss.str());
  }();
  Json out = Json::array();
  for (const auto& p : catalogue) {
    if (!p["code"].is_string() || p["code"] != procedure) continue;
    for (const auto& d : p["documents"]) {
      const bool object = d.is_object();
      const std::string name = object ? d["name"].get<std::string>() : d.get<std::string>();
      const bool mandatory = object ? d.value("mandatory", true) : name.find("(nếu") == std::string::npos;
      if (mandatory) out.push_back(Json{{"name", name}, {"originals", 1}, {"copies", 0}});
    }
  }
  return out;
}

struct DossierFixture {
  explicit DossierFixture(const std::string& name = "xa-an-thi", uint64_t seed = 7,
                          int64_t start = vn_ms(2025, 7, 1, 9, 0))
      : dir("dossier"), clock(start), rng(seed) {
    node = make_node(dir.path(), clock, rng, node::Role::Point, name);
    svc = std::make_unique<node::DossierService>(*node);
  }
  TempDir dir;
  ManualClock clock;
  SeededRandom rng;
  std::unique_ptr<node::Node> node;
  std::unique_ptr<node::DossierService> svc;
  node::Actor clerk{"lan", node::UserRole::Clerk};
  node::Actor postal{"hung", node::UserRole::Postal};
  node::Actor officer{"minh", node::UserRole::Officer};
  node::Actor admin{"root", node::UserRole::Admin};

  static Json intake_request(const std::string& procedure = "1.004873") {
    return Json{{"procedure_code", procedure},
                {"applicant",
                 {{"full_name", "Nguyễn Thị Lan"},
                  {"cccd", "033190001234"},
                  {"phone", "+84912345678"},
                  {"email", "lan@example.vn"},
                  {"address", "Thôn Trung, xã Ân Thi, tỉnh Hưng Yên"},
                  {"date_of_birth", "1990-05-12"}}},
                {"channel", "counter"},
                {"form", {{"purpose", "Kết hôn"}}},
                {"documents", handed_in_documents(procedure)}};
  }

  // Takes a valid dossier in and returns its code (throws if refused).
  std::string take_in(const Json& req = intake_request()) {
    auto r = svc->intake(clerk, req);
    if (!r.ok()) throw std::runtime_error("intake refused: " + r.error().code + " " + r.error().message);
    return r.value()["code"].get<std::string>();
  }

  Json state(const std::string& code) {
    auto r = svc->get(code);
    if (!r.ok()) throw std::runtime_error("get: " + r.error().message);
    return r.value();
  }

  // Applies an act that must succeed.
  Json must(const node::Actor& who, const std::string& code, const std::string& action, const Json& body = Json::object()) {
    auto r = action == "update" ? svc->update(who, code, body) : svc->act(who, code, action, body);
    if (!r.ok()) throw std::runtime_error(action + " refused: " + r.error().code + " " + r.error().message);
    return r.value();
  }
};

}  // namespace motcua::test
