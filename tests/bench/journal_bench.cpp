// journal_bench: append and verify throughput of the signed journal, beside
// the physical limits of the same machine (Ed25519 on one core, SQLite inserts
// and durable commits on the same disk). Run by hand, never by ctest:
//
//   journal_bench [--entries 50000] [--batch 500] [--single 5000] [--dir DIR]
//
// Workloads: (a) every entry a new dossier (an import); (b) 10,000 dossiers x
// 5 events, interleaved, so every batch touches as many dossiers as it has
// entries and reads their earlier events back. Bodies of ~340 bytes of
// canonical JSON with Vietnamese text, one author. Projection: the journal's
// summary projector (the journal is measured here, not the dossier rules).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "motcua/node/node.hpp"
#include "motcua/schema/database.hpp"

using namespace motcua;
namespace fs = std::filesystem;

namespace {

// Wall time and this process's CPU time. On a shared machine the CPU rate
// (entries per CPU-second) is the steadier number; the wall rate is what a
// user waits for, and the only meaningful one where fsync dominates.
struct Rate {
  double wall = 0, cpu = 0;  // per second
};
class Timer {
 public:
  Timer() : wall_(std::chrono::steady_clock::now()), cpu_(cpu_now()) {}
  Rate rate(double n) const {
    double w = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_).count();
    double c = cpu_now() - cpu_;
    return Rate{n / w, c > 0 ? n / c : 0};
  }
  double wall_seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_).count();
  }

 private:
  static double cpu_now() {
    timespec ts{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
  }
  std::chrono::steady_clock::time_point wall_;
  double cpu_;
};

struct Args {
  int entries = 50000;
  int batch = 500;
  int single = 5000;
  int dossiers = 10000;
  std::string dir;
};

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--entries") a.entries = std::atoi(v.c_str());
    else if (k == "--batch") a.batch = std::atoi(v.c_str());
    else if (k == "--single") a.single = std::atoi(v.c_str());
    else if (k == "--dossiers") a.dossiers = std::atoi(v.c_str());
    else if (k == "--dir") a.dir = v;
    else {
      std::cerr << "usage: journal_bench [--entries N] [--batch N] [--single N] [--dossiers N] [--dir DIR]\n";
      std::exit(2);
    }
  }
  return a;
}

std::string make_temp_dir(const std::string& base) {
  std::string tmpl = ((base.empty() ? fs::temp_directory_path() : fs::path(base)) / "motcua-bench-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) {
    std::perror("mkdtemp");
    std::exit(1);
  }
  return tmpl;
}

std::string subject_of(int k, int dossiers) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "000.00.01.H22-2507%02d-%04d", 1 + (k % dossiers) / 9999, 1 + (k % dossiers) % 9999);
  return buf;
}

// A dossier event body of about 340 bytes of canonical JSON.
Json body_of(int k) {
  static const char* names[] = {"Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường", "Phạm Thị Dung", "Đặng Minh Đức"};
  char cccd[16], phone[16];
  std::snprintf(cccd, sizeof cccd, "0331%08d", k % 100000000);
  std::snprintf(phone, sizeof phone, "09%08d", (k * 7919) % 100000000);
  return Json{{"procedure_code", "1.001193"},
              {"channel", "counter"},
              {"applicant",
               {{"full_name", names[k % 5]},
                {"cccd", cccd},
                {"phone", phone},
                {"address", "Thôn Đào Xá, xã Ân Thi, tỉnh Hưng Yên"}}},
              {"form", {{"child_name", "Trần Minh Khôi"}, {"birth_place", "Trạm y tế xã Ân Thi"}}},
              {"fees", Json::array({Json{{"amount_vnd", 8000}, {"receipt_no", "BL-" + std::to_string(k)}}})}};
}

node::EntryDraft draft_of(int k, int dossiers) {
  static const char* types[] = {"dossier.submitted", "dossier.accepted", "dossier.processing", "dossier.result_ready",
                                "dossier.handed_over"};
  return node::EntryDraft{"clerk.an", types[(k / dossiers) % 5], subject_of(k, dossiers), body_of(k)};
}

std::unique_ptr<node::Node> new_node(const std::string& dir, Random& rng) {
  node::InitOptions io;
  io.data_dir = dir;
  io.name = "bench-point";
  io.agency_code = "000.00.01.H22";
  Status s = node::Node::init(io, rng);
  if (!s.ok()) {
    std::cerr << "init: " << s.error().message << "\n";
    std::exit(1);
  }
  node::OpenOptions oo;
  oo.data_dir = dir;
  oo.projector = node::summary_projector;
  auto n = node::Node::open(oo);
  if (!n.ok()) {
    std::cerr << "open: " << n.error().message << "\n";
    std::exit(1);
  }
  return std::move(n.value());
}

// --- physical limits -------------------------------------------------------

Rate ed25519_sign_rate(const std::string& msg, int n) {
  KeyPair kp = generate_keypair(system_random());
  Timer t;
  volatile uint8_t sink = 0;  // keeps the signatures from being optimised away
  for (int i = 0; i < n; ++i) sink = static_cast<uint8_t>(sink ^ sign(kp.sk, SignDomain::JournalEntry, msg)[0]);
  return t.rate(n);
}

Rate ed25519_verify_rate(const std::string& msg, int n) {
  KeyPair kp = generate_keypair(system_random());
  Signature sig = sign(kp.sk, SignDomain::JournalEntry, msg);
  Timer t;
  int good = 0;
  for (int i = 0; i < n; ++i) good += verify(kp.pk, SignDomain::JournalEntry, msg, sig);
  Rate r = t.rate(n);
  if (good != n) std::cerr << "verify failed?\n";
  return r;
}

// Rows shaped like journal rows (same table and indexes), same pragmas.
Rate sqlite_insert_rate(const std::string& dir, const std::string& canonical, int n, int per_txn) {
  auto db = schema::open_database((fs::path(dir) / "raw.db").string(), {.create = true});
  if (!db.ok()) {
    std::cerr << db.error().message << "\n";
    std::exit(1);
  }
  SQLite::Database& d = *db.value();
  SQLite::Statement ins(d,
                        "INSERT INTO journal (id, author, seq, prev, hlc_ms, hlc_c, type, subject, canonical, sig, "
                        "received_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?)");
  uint8_t author[32] = {7};
  uint8_t sig[64] = {9};
  Timer t;
  for (int done = 0; done < n;) {
    d.exec("BEGIN IMMEDIATE");
    for (int i = 0; i < per_txn && done < n; ++i, ++done) {
      Hash32 id = blake2b256(reinterpret_cast<const uint8_t*>(&done), sizeof done);
      ins.reset();
      ins.bind(1, id.data(), 32);
      ins.bind(2, author, 32);
      ins.bind(3, static_cast<int64_t>(done + 1));
      ins.bind(4, id.data(), 32);
      ins.bind(5, static_cast<int64_t>(1751356800000LL + done));
      ins.bind(6, static_cast<int64_t>(0));
      ins.bind(7, "dossier.submitted");
      ins.bind(8, subject_of(done, 10000));
      ins.bind(9, canonical.data(), static_cast<int>(canonical.size()));
      ins.bind(10, sig, 64);
      ins.bind(11, static_cast<int64_t>(0));
      ins.exec();
    }
    d.exec("COMMIT");
  }
  return t.rate(n);
}

}  // namespace

int main(int argc, char** argv) {
  Args a = parse_args(argc, argv);
  crypto_init();
  std::string root = make_temp_dir(a.dir);
  std::cout << "journal_bench: " << a.entries << " entries in batches of " << a.batch << ", " << a.single
            << " single durable appends, " << a.dossiers << " dossiers; data in " << root << "\n";

  // A real entry's canonical bytes, to size the workload and the limits.
  std::string sample_canonical;
  size_t body_bytes = canonical_bytes(body_of(12345)).size();
  {
    auto n = new_node((fs::path(root) / "sample").string(), system_random());
    auto e = n->journal().append(draft_of(12345, a.dossiers));
    if (!e.ok()) return 1;
    sample_canonical = e.value().canonical;
  }
  std::cout << "body " << body_bytes << " bytes, whole entry " << sample_canonical.size()
            << " bytes of canonical JSON\n\n";

  // Physical limits on this machine.
  const Rate sign_rate = ed25519_sign_rate(sample_canonical, 20000);
  const Rate verify_rate = ed25519_verify_rate(sample_canonical, 20000);
  const Rate sql_batched = sqlite_insert_rate(make_temp_dir(root), sample_canonical, a.entries, a.batch);
  const int commits = std::min(a.single, 2000);
  const Rate sql_single = sqlite_insert_rate(make_temp_dir(root), sample_canonical, commits, 1);

  // 0. Batched append where every entry opens a new dossier (an import):
  // no earlier entries of the subject to read back.
  Rate fresh;
  {
    auto m = new_node((fs::path(root) / "fresh").string(), system_random());
    Timer t;
    for (int k = 0; k < a.entries; k += a.batch) {
      std::vector<node::EntryDraft> ds;
      for (int i = k; i < std::min(k + a.batch, a.entries); ++i) ds.push_back(draft_of(i, a.entries));
      auto r = m->journal().append_batch(ds);
      if (!r.ok()) {
        std::cerr << "append_batch: " << r.error().message << "\n";
        return 1;
      }
    }
    fresh = t.rate(a.entries);
  }

  // 1. Batched append of the 10,000 x 5 workload: each batch adds one event
  // to each of 500 dossiers, whose earlier events are read back for their
  // causal heads and projections.
  std::string node_dir = (fs::path(root) / "node").string();
  auto n = new_node(node_dir, system_random());
  auto& j = n->journal();
  Timer t_batched;
  for (int k = 0; k < a.entries; k += a.batch) {
    std::vector<node::EntryDraft> ds;
    for (int i = k; i < std::min(k + a.batch, a.entries); ++i) ds.push_back(draft_of(i, a.dossiers));
    auto r = j.append_batch(ds);
    if (!r.ok()) {
      std::cerr << "append_batch: " << r.error().message << "\n";
      return 1;
    }
  }
  const Rate batched = t_batched.rate(a.entries);

  // 2. One durable transaction per entry (continuing the same dossiers).
  Timer t_single;
  for (int k = a.entries; k < a.entries + a.single; ++k) {
    auto r = j.append(draft_of(k, a.dossiers));
    if (!r.ok()) {
      std::cerr << "append: " << r.error().message << "\n";
      return 1;
    }
  }
  const Rate single = t_single.rate(a.single);

  // 3. Full verify of everything (signatures, chain, projections).
  Timer t_verify;
  auto rep = j.verify();
  const double verify_s = t_verify.wall_seconds();
  const Rate verified = t_verify.rate(static_cast<double>(rep.entries_checked));
  if (!rep.ok()) {
    std::cerr << "verify FAILED: " << rep.problems.front().what << "\n";
    return 1;
  }

  // Rates as "wall (per CPU-second)".
  auto num = [](Rate r) {
    char b[48];
    std::snprintf(b, sizeof b, "%.0f (%.0f)", r.wall, r.cpu);
    return std::string(b);
  };
  auto row = [&](const std::string& what, Rate rate, const char* target, const std::string& limit) {
    std::printf("| %-36s | %15s | %7s | %-52s |\n", what.c_str(), num(rate).c_str(), target, limit.c_str());
  };
  std::printf("| %-36s | %15s | %7s | %-52s |\n", "entries/s: wall (per CPU-second)", "measured", "target",
              "physical limit on this machine, same units");
  std::printf("|%s|%s|%s|%s|\n", std::string(38, '-').c_str(), std::string(17, '-').c_str(),
              std::string(9, '-').c_str(), std::string(54, '-').c_str());
  row("append, batched, new dossiers", fresh, "30000",
      "Ed25519 sign " + num(sign_rate) + "; SQLite " + num(sql_batched));
  row("append, batched (" + std::to_string(a.batch) + "/txn), 5 events", batched, "30000", "as above");
  row("append, one durable txn per entry", single, "3000", "SQLite durable commit " + num(sql_single));
  row("verify, all " + std::to_string(rep.entries_checked) + " entries", verified, "15000",
      "Ed25519 verify " + num(verify_rate));
  std::printf("\nverify took %.2f s for %lld entries and %lld subjects\n", verify_s,
              static_cast<long long>(rep.entries_checked), static_cast<long long>(rep.subjects_checked));

  std::error_code ec;
  n.reset();
  fs::remove_all(root, ec);
  return 0;
}
