// ui_bench: what the counter's screens ask of a point holding many dossiers.
// Fills a point with N dossiers (signed dossier.submitted entries appended in
// batches, as sync would bring them), starts the daemon in process on
// loopback, and times over HTTP, sequentially: the dossier list (first page),
// the list searched by applicant name, by CCCD and by phone, and the dossier
// detail. Prints p50 / p95 / max per request kind. Run by hand:
//
//   ui_bench [--dossiers 50000] [--requests 200] [--dir DIR] [--keep]
//
// --keep leaves the filled point in DIR (user clerk1, password clerk1-password)
// for tests/bench/ui_first_screen.mjs, which times the UI in Chromium on it.
//
// Target (issue 9): p95 <= 30 ms for each.
#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>
#include <vector>

#include "motcua/env.hpp"
#include "motcua/node/node.hpp"
#include "motcua/node/users.hpp"
#include "motcua/sync/server.hpp"
#include "../unit/sample_intake.hpp"
#include "bench_workdir.hpp"

using namespace motcua;
namespace fs = std::filesystem;

namespace {

const char* kFamily[] = {"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ"};
const char* kMiddle[] = {"Văn", "Thị", "Minh", "Đức", "Ngọc", "Thanh", "Quốc", "Hữu"};
const char* kGiven[] = {"An", "Bình", "Cúc", "Dũng", "Giang", "Hải", "Lan", "Long", "Mai", "Nam", "Phương", "Sơn",
                        "Tâm", "Trang", "Tuấn", "Yến"};

struct Person {
  std::string code, name, cccd, phone;
};

std::string iso(int64_t ms) {
  time_t t = static_cast<time_t>(ms / 1000);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

Person person(int i, uint64_t& seed) {
  auto next = [&] {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(seed >> 33);
  };
  Person p;
  char code[64], cccd[16], phone[16];
  std::snprintf(code, sizeof code, "000.00.01.H22-25%02d%02d-%04d", 1 + (i / 9999) % 12, 1 + (i / 400) % 28, 1 + i % 9999);
  std::snprintf(cccd, sizeof cccd, "0%02u%09u", 1 + next() % 96, next() % 1000000000u);
  std::snprintf(phone, sizeof phone, "09%08u", next() % 100000000u);
  p.code = code;
  p.name = std::string(kFamily[next() % 10]) + " " + kMiddle[next() % 8] + " " + kGiven[next() % 16];
  p.cccd = cccd;
  p.phone = phone;
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  int dossiers = 50000, requests = 200;
  bool keep = false;
  std::string dir = (fs::temp_directory_path() / "motcua-ui-bench").string();
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--keep") keep = true;
    else if (i + 1 < argc && a == "--dossiers") dossiers = std::stoi(argv[++i]);
    else if (i + 1 < argc && a == "--requests") requests = std::stoi(argv[++i]);
    else if (i + 1 < argc && a == "--dir") dir = argv[++i];
  }
  if (auto why = bench::claim_workdir(dir)) {
    std::cerr << "ui_bench: " << *why << "\n";
    return 2;
  }
  SystemClock clock;
  SystemRandom rng;
  node::InitOptions io;
  io.data_dir = dir;
  io.role = node::Role::Point;
  io.name = "xa-an-thi";
  io.agency_code = "000.00.01.H22";
  if (auto s = node::Node::init(io, rng); !s.ok()) return std::cerr << s.error().message << "\n", 1;
  node::OpenOptions oo;
  oo.data_dir = dir;
  oo.clock = &clock;
  oo.random = &rng;
  auto opened = node::Node::open(oo);
  if (!opened.ok()) return std::cerr << opened.error().message << "\n", 1;
  auto& n = *opened.value();
  {
    node::UserStore users(n.db(), clock, rng, true);
    (void)users.add_user("clerk1", node::UserRole::Clerk, "clerk1-password");
  }
  std::vector<Person> people;
  uint64_t seed = 42;
  const int64_t t0 = clock.now_ms() - int64_t{dossiers} * 60'000;
  auto fill_start = std::chrono::steady_clock::now();
  std::vector<node::EntryDraft> batch;
  for (int i = 0; i < dossiers; ++i) {
    Person p = person(i, seed);
    node::EntryDraft d;
    d.user = "clerk1";
    d.type = "dossier.submitted";
    d.subject = p.code;
    d.body = Json{{"procedure_code", "1.001193"},
                  {"procedure_name", "Thủ tục đăng ký khai sinh"},
                  {"applicant", {{"full_name", p.name}, {"cccd", p.cccd}, {"phone", p.phone},
                                 {"address", "Thôn Đông, xã Ân Thi, tỉnh Hưng Yên"}}},
                  {"channel", "counter"},
                  {"area", "an-thi"},
                  {"origin_point", "xa-an-thi"},
                  {"return_point", "xa-an-thi"},
                  {"agency_code", "000.00.01.H22"},
                  {"received_at", iso(t0 + int64_t{i} * 60'000)},
                  {"documents", motcua::test::birth_registration_documents()},
                  {"form", {{"child_name", "Nguyễn Văn Bình"}}}};
    batch.push_back(std::move(d));
    people.push_back(std::move(p));
    if (batch.size() == 500 || i + 1 == dossiers) {
      auto r = n.journal().append_batch(batch);
      if (!r.ok()) return std::cerr << r.error().message << "\n", 1;
      batch.clear();
    }
  }
  const double fill_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - fill_start).count();
  std::printf("filled %d dossiers in %.1f s\n", dossiers, fill_s);

  sync::DaemonOptions opt;
  opt.port = 0;
  opt.background_sync = false;
  opt.fast_password_hash = true;
  opt.threads = 4;
  opt.log = [](const std::string&) {};
  sync::Daemon daemon(n, opt);
  if (auto b = daemon.bind(); !b.ok()) return std::cerr << b.error().message << "\n", 1;
  std::thread runner([&] { (void)daemon.run(); });
  httplib::Client c("127.0.0.1", daemon.port());
  c.set_keep_alive(true);
  auto login = c.Post("/api/v1/sessions", R"({"username":"clerk1","password":"clerk1-password"})", "application/json");
  if (!login || login->status != 200) return std::cerr << "login failed\n", 1;
  httplib::Headers h{{"Authorization", "Bearer " + Json::parse(login->body)["token"].get<std::string>()}};

  struct Kind {
    const char* name;
    std::function<std::string(int)> path;
  };
  auto pick = [&](int k) -> const Person& { return people[(static_cast<size_t>(k) * 7919) % people.size()]; };
  auto enc = [](const std::string& s) {
    std::string out;
    for (unsigned char ch : s) {
      char buf[4];
      if (std::isalnum(ch)) out += static_cast<char>(ch);
      else std::snprintf(buf, sizeof buf, "%%%02X", ch), out += buf;
    }
    return out;
  };
  std::vector<Kind> kinds = {
      {"list (first page)", [](int) { return std::string("/api/v1/dossiers?limit=50"); }},
      {"search by full name", [&](int k) { return "/api/v1/dossiers?limit=50&q=" + enc(pick(k).name); }},
      {"search by family name", [&](int k) { return "/api/v1/dossiers?limit=50&q=" + enc(pick(k).name.substr(0, pick(k).name.find(' '))); }},
      {"search by CCCD", [&](int k) { return "/api/v1/dossiers?limit=50&q=" + pick(k).cccd; }},
      {"search by phone (+84)", [&](int k) { return "/api/v1/dossiers?limit=50&q=%2B84" + pick(k).phone.substr(1); }},
      {"dossier detail", [&](int k) { return "/api/v1/dossiers/" + pick(k).code; }},
  };
  std::printf("%-24s %8s %8s %8s %10s %8s\n", "request", "p50 ms", "p95 ms", "max ms", "items/req", "status");
  int worst = 0;
  for (const auto& kind : kinds) {
    std::vector<double> ms;
    int bad = 0;
    double items = 0;
    for (int k = 0; k < requests; ++k) {
      auto start = std::chrono::steady_clock::now();
      auto r = c.Get(kind.path(k).c_str(), h);
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
      if (!r || r->status != 200) {
        ++bad;
        continue;
      }
      Json b = Json::parse(r->body, nullptr, false);
      items += b.contains("items") ? static_cast<double>(b["items"].size()) : b.contains("code") ? 1.0 : 0.0;
    }
    std::sort(ms.begin(), ms.end());
    double p95 = ms[ms.size() * 95 / 100];
    if (p95 > 30) worst = 1;
    std::printf("%-24s %8.2f %8.2f %8.2f %10.1f %8s\n", kind.name, ms[ms.size() / 2], p95, ms.back(), items / requests,
                bad ? "ERRORS" : "ok");
  }
  daemon.stop();
  runner.join();
  std::printf("target p95 <= 30 ms: %s\n", worst ? "MISSED" : "met");
  opened.value().reset();
  if (!keep) fs::remove_all(dir);
  return 0;
}
