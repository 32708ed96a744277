// report_bench: Biểu 06 for a year, and the tracking book (Mẫu 06) for a month,
// on a point holding N dossiers (default 50,000) received through one year.
// Run by hand, never by ctest (build it alone: `cmake --build build --target
// report_bench`):
//
//   report_bench [--dossiers 50000] [--runs 5] [--dir DIR]
//
// The journal is written directly (signed entries with the dossier projector,
// bodies shaped as the service writes them: ~1.5 KB of applicant, procedure
// snapshot and documents each), not through intake validation, which is not
// what is measured here. Mix: 70% settled (a third of them after a supplement
// wait), 8% refused, 5% cancelled, the rest pending, across three fields and
// the three channels. Target (issue 9): Biểu 06 for a year <= 1 s.
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "motcua/env.hpp"
#include "motcua/node/dossiers.hpp"
#include "motcua/node/forms.hpp"
#include "motcua/node/journal.hpp"
#include "motcua/node/node.hpp"

using namespace motcua;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kHour = 3'600'000, kDay = 24 * kHour;
constexpr int64_t kYearStart = 1735664400000;  // 2025-01-01T00:00:00+07:00

std::string iso(int64_t ms) {
  time_t s = static_cast<time_t>(ms / 1000);
  tm t{};
  gmtime_r(&s, &t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &t);
  return buf;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void must(const Status& s, const char* what) {
  if (!s.ok()) {
    std::cerr << what << ": " << s.error().message << "\n";
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int dossiers = 50000, runs = 5;
  std::string dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--dossiers") dossiers = std::atoi(v.c_str());
    else if (k == "--runs") runs = std::atoi(v.c_str());
    else if (k == "--dir") dir = v;
    else {
      std::cerr << "usage: report_bench [--dossiers N] [--runs N] [--dir DIR]\n";
      return 2;
    }
  }
  bool own_dir = dir.empty();
  if (own_dir) dir = (fs::temp_directory_path() / ("report_bench." + std::to_string(::getpid()))).string();
  SystemRandom rng;
  ManualClock clock(kYearStart);
  node::InitOptions io;
  io.data_dir = dir;
  io.name = "bench-point";
  io.agency_code = "000.00.01.H22";
  must(node::Node::init(io, rng), "init");
  node::OpenOptions oo;
  oo.data_dir = dir;
  oo.clock = &clock;
  auto opened = node::Node::open(oo);
  if (!opened.ok()) return std::cerr << "open: " << opened.error().message << "\n", 1;
  node::Node& n = *opened.value();

  const char* fields[] = {"Hộ tịch", "Chứng thực", "Đăng ký, quản lý cư trú"};
  const char* channels[] = {"counter", "counter", "online", "postal"};
  Json documents = Json::array({"Tờ khai đăng ký khai sinh theo mẫu", "Bản chính Giấy chứng sinh",
                                "Giấy tờ tùy thân của người đi đăng ký", "Văn bản ủy quyền (nếu có)"});
  auto t0 = std::chrono::steady_clock::now();
  const int64_t step = 365 * kDay / std::max(dossiers, 1);
  auto put = [&](int64_t at, const std::string& user, const char* type, const std::string& code, Json body) {
    clock.set(at);
    auto e = n.journal().append(node::EntryDraft{user, type, code, std::move(body)}, node::Journal::Commit::Deferred);
    if (!e.ok()) std::cerr << "append: " << e.error().message << "\n", std::exit(1);
  };
  for (int i = 0; i < dossiers; ++i) {
    const int64_t received = kYearStart + i * step + 9 * kHour;
    char code[64];
    std::snprintf(code, sizeof code, "000.00.01.H22-%s-%05d", iso(received).substr(2, 8).c_str(), i);
    const int days = 1 + i % 5;
    const int64_t due = received + days * kDay + 8 * kHour;
    Json body{{"procedure_code", "1.001193"},
              {"procedure_name", "Thủ tục đăng ký khai sinh"},
              {"procedure_field", fields[i % 3]},
              {"processing_days", days},
              {"fee_vnd", 0},
              {"documents", documents},
              {"sets", 1},
              {"channel", channels[i % 4]},
              {"applicant", {{"full_name", "Nguyễn Văn An " + std::to_string(i)}, {"cccd", "033190001234"},
                             {"phone", "0912345678"}, {"email", "an@example.vn"},
                             {"address", "Thôn Đông, xã Ân Thi, tỉnh Hưng Yên"}, {"date_of_birth", "1990-05-12"}}},
              {"postal", nullptr},
              {"form", {{"child_name", "Nguyễn Văn Bình"}, {"note", "Sinh tại Trạm y tế xã"}}},
              {"attachments", Json::array()},
              {"fees", Json::array()},
              {"agency_code", "000.00.01.H22"},
              {"origin_point", "bench-point"},
              {"area", "H22"},
              {"return_point", "bench-point"},
              {"received_at", iso(received)},
              {"due_at", iso(due)},
              {"role", "clerk"},
              {"received_by_name", "Trần Thị Hoa"},
              {"receipt_book", 2025},
              {"receipt_seq", i + 1}};
    if (std::string(channels[i % 4]) == "postal")
      body["postal"] = Json{{"dossier_by_post", false}, {"result_by_post", true}, {"delivery_address", "Số 9"}};
    put(received, "hoa", node::events::kSubmitted, code, body);
    const int kind = i % 100;
    if (kind < 8) {
      put(received + kHour, "minh", node::events::kRejected, code, Json{{"reason", "Không thuộc thẩm quyền"}, {"role", "officer"}});
    } else if (kind < 13) {
      put(received + kHour, "hoa", node::events::kCancelled, code, Json{{"reason", "Công dân hủy"}, {"role", "clerk"}});
    } else {
      put(received + kHour, "minh", node::events::kAccepted, code, Json{{"role", "officer"}});
      if (kind < 83) {
        int64_t done = received + (kind % 7) * kDay;
        if (kind % 3 == 0) {
          put(received + 2 * kHour, "minh", node::events::kSupplementRequested, code,
              Json{{"missing", {"Bản sao CCCD"}}, {"role", "officer"}});
          put(received + 2 * kDay, "hoa", node::events::kSupplementSupplied, code,
              Json{{"waited_working_days", 2}, {"due_at", iso(due + 2 * kDay)}, {"role", "clerk"}});
          done += 2 * kDay;
        }
        put(done + 3 * kHour, "minh", node::events::kResultReady, code, Json{{"role", "officer"}});
      }
    }
    if (i % 500 == 499) must(n.journal().make_durable(), "durable");
  }
  must(n.journal().make_durable(), "durable");
  const double load_s = seconds_since(t0);
  clock.set(kYearStart + 400 * kDay);

  auto year = node::parse_period("2025-01-01", "2025-12-31").value();
  auto month = node::parse_period("2025-06-01", "2025-06-30").value();
  std::vector<double> bieu, book;
  Json report;
  for (int r = 0; r < runs; ++r) {
    auto t = std::chrono::steady_clock::now();
    auto rep = node::bieu06(n, year, "", clock.now_ms());
    bieu.push_back(seconds_since(t));
    if (!rep.ok()) return std::cerr << "bieu06: " << rep.error().message << "\n", 1;
    report = rep.value();
    t = std::chrono::steady_clock::now();
    auto b = node::tracking_book(n, month, "");
    book.push_back(seconds_since(t));
    if (!b.ok()) return std::cerr << "tracking_book: " << b.error().message << "\n", 1;
  }
  std::sort(bieu.begin(), bieu.end());
  std::sort(book.begin(), book.end());
  std::printf("report_bench: %d dossiers (%.1f s to write), %d runs\n", dossiers, load_s, runs);
  std::printf("| what | median | worst | target |\n|---|---|---|---|\n");
  std::printf("| Biểu 06, one year, all fields | %.0f ms | %.0f ms | <= 1000 ms |\n", bieu[bieu.size() / 2] * 1000,
              bieu.back() * 1000);
  std::printf("| Mẫu 06 tracking book, one month | %.0f ms | %.0f ms | - |\n", book[book.size() / 2] * 1000,
              book.back() * 1000);
  std::printf("total: received %lld, settled %lld, refused %lld, withdrawn %lld, pending %lld\n",
              static_cast<long long>(report["total"]["received_total"].get<int64_t>()),
              static_cast<long long>(report["total"]["settled_total"].get<int64_t>()),
              static_cast<long long>(report["total"]["refused"].get<int64_t>()),
              static_cast<long long>(report["total"]["withdrawn"].get<int64_t>()),
              static_cast<long long>(report["total"]["pending_total"].get<int64_t>()));
  opened.value().reset();
  if (own_dir) fs::remove_all(dir);
  return 0;
}
