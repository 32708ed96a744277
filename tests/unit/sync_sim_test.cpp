// Deterministic convergence simulation: a hub and four points make random
// changes and sync in random order over a link that loses, duplicates, delays
// (so reorders) and cuts messages, and whose sessions expire. After a final
// clean sync every node holds every entry of its scope and the same state.
#include <catch2/catch.hpp>

#include <deque>
#include <map>
#include <set>

#include "sync_test_util.hpp"

using namespace motcua;
using namespace motcua::test;

namespace {

class FaultyTransport final : public sync::Transport {
 public:
  FaultyTransport(sync::Hub& hub, SeededRandom& rng) : hub_(hub), rng_(rng) {}
  bool faults = true;
  int delivered_late = 0, lost = 0, duplicated = 0, cut = 0;

  Result<sync::WireResponse> exchange(const sync::WireRequest& req) override {
    if (!faults) return hub_.handle(req);
    if (!delayed_.empty() && roll() < 30) {  // an old request arrives late, out of order
      hub_.handle(delayed_.front());
      delayed_.pop_front();
      ++delivered_late;
    }
    uint64_t r = roll();
    if (r < 5) return lose("request lost");
    if (r < 10) {
      delayed_.push_back(req);
      return lose("request delayed");
    }
    auto res = hub_.handle(req);
    if (r < 16) {
      hub_.handle(req);  // duplicated on the way: the copy is a replay
      ++duplicated;
    }
    if (r < 23) return lose("link cut before the answer");
    if (r < 27) {  // link cut in the middle of the answer
      res.body.resize(res.body.size() / 2);
      ++cut;
    }
    return res;
  }

 private:
  uint64_t roll() { return rng_.next_u64() % 100; }
  Result<sync::WireResponse> lose(const char* why) {
    ++lost;
    return make_error("link_down", why);
  }
  sync::Hub& hub_;
  SeededRandom& rng_;
  std::deque<sync::WireRequest> delayed_;
};

struct Sim {
  explicit Sim(uint64_t seed) : w(seed, scope_projector, false), rng(seed * 7919 + 1) {
    const char* areas[] = {"area-a", "area-b", "area-a", "area-c"};
    for (int i = 0; i < 4; ++i) {
      names.push_back("p" + std::to_string(i));
      w.add_point(names.back(), areas[i]);
      faulty.push_back(std::make_unique<FaultyTransport>(*w.hub, rng));
    }
  }

  uint64_t pick(uint64_t n) { return rng.next_u64() % n; }

  void point_acts(size_t i) {
    auto& n = *w.points[i];
    auto subjects = n.journal().subjects();
    if (subjects.empty() || pick(3) == 0) {
      std::string subject = names[i] + "-" + std::to_string(next_subject++);
      std::string ret = pick(4) == 0 ? names[pick(names.size())] : names[i];
      REQUIRE(n.journal().append(intake_draft(subject, names[i], n.meta("area"), ret)).ok());
      return;
    }
    std::string s = subjects[pick(subjects.size())];
    static const char* types[] = {"dossier.updated", "dossier.fees_collected", "dossier.handed_over"};
    Json body{{"n", static_cast<int64_t>(pick(1000))}};
    if (pick(5) == 0) body["return_point"] = names[pick(names.size())];
    std::vector<node::EntryDraft> batch{event_draft(s, types[pick(3)], body)};
    if (pick(4) == 0) batch.push_back(event_draft(s, "dossier.updated", {{"n", 1}}));
    REQUIRE(n.journal().append_batch(batch).ok());
  }

  void hub_acts() {
    auto subjects = w.hub_node->journal().subjects();
    if (subjects.empty()) return;
    std::string s = subjects[pick(subjects.size())];
    Json body{{"reason", "xử lý"}};
    if (pick(4) == 0) body["return_point"] = names[pick(names.size())];
    static const char* types[] = {"dossier.accepted", "dossier.processing_started", "dossier.result_ready"};
    REQUIRE(w.hub_node->journal().append(event_draft(s, types[pick(3)], body)).ok());
  }

  void run(int steps) {
    for (int k = 0; k < steps; ++k) {
      uint64_t r = pick(100);
      if (r < 40) point_acts(pick(names.size()));
      else if (r < 52) hub_acts();
      else if (r < 92) {
        size_t i = pick(names.size());
        (void)sync::sync_once(*w.points[i], *faulty[i], small_batches);  // failures are expected here
      } else {
        w.clock.advance(static_cast<int64_t>(1000 + pick(20 * 60 * 1000)));
      }
    }
  }

  // Clean link: sync everyone until a whole round moves nothing.
  void settle() {
    for (auto& f : faulty) f->faults = false;
    for (int round = 0; round < 6; ++round) {
      int64_t moved = 0;
      for (size_t i = 0; i < names.size(); ++i) {
        auto r = sync::sync_once(*w.points[i], *faulty[i], small_batches);
        INFO("seed round " << round << " point " << names[i] << ": " << (r.ok() ? "" : r.error().message));
        REQUIRE(r.ok());
        moved += r.value()["entries_up"].get<int64_t>() + r.value()["entries_down"].get<int64_t>();
      }
      if (moved == 0) return;
    }
    FAIL("sync did not settle in 6 rounds");
  }

  bool in_scope(const Json& state, size_t i) {
    return (state.value("area", "") == w.points[i]->meta("area")) || state.value("return_point", "") == names[i] ||
           state.value("origin_point", "") == names[i];
  }

  // Was point i ever named as return point of `subject` at the hub?
  bool ever_returned_to(const std::string& subject, size_t i) {
    for (const auto& e : w.hub_node->journal().subject_entries(subject))
      if (e.body.value("return_point", "") == names[i]) return true;
    return false;
  }

  void check() {
    auto& hub = w.hub_node->journal();
    // The hub holds every entry of every node.
    auto hub_heads = hub.heads();
    CHECK(hub_heads[w.hub_node->keys().pk] == hub.heads()[w.hub_node->keys().pk]);
    int64_t total = hub_heads[w.hub_node->keys().pk];
    for (auto& p : w.points) {
      int64_t own = p->journal().heads()[p->keys().pk];
      CHECK(hub_heads[p->keys().pk] == own);
      total += own;
    }
    CHECK(hub.count() == total);
    CHECK(hub.verify().ok());
    for (size_t i = 0; i < names.size(); ++i) {
      auto& pj = w.points[i]->journal();
      auto rep = pj.verify();
      INFO("point " << names[i] << ": " << (rep.ok() ? "" : rep.problems[0].what));
      CHECK(rep.ok());
      std::set<std::string> held;
      for (const auto& s : pj.subjects()) held.insert(s);
      Blake2bStream hub_hash, point_hash;
      for (const auto& s : hub.subjects()) {
        Json state = *hub.subject_state(s);
        if (!in_scope(state, i)) continue;
        INFO("subject " << s << " at " << names[i]);
        REQUIRE(held.count(s));
        auto mine = pj.subject_state(s);
        CHECK(*mine == state);  // same state, and (scope_projector) the same entry ids
        std::string a = canonical_bytes(state), b = canonical_bytes(*mine);
        hub_hash.update(reinterpret_cast<const uint8_t*>(a.data()), a.size());
        point_hash.update(reinterpret_cast<const uint8_t*>(b.data()), b.size());
      }
      CHECK(hub_hash.final() == point_hash.final());
      // Nothing of another area reached the point unless it was sent there.
      for (const auto& s : held) {
        Json state = *hub.subject_state(s);
        INFO("subject " << s << " held by " << names[i]);
        CHECK((in_scope(state, i) || ever_returned_to(s, i)));
      }
    }
  }

  SyncWorld w;
  SeededRandom rng;
  std::vector<std::string> names;
  std::vector<std::unique_ptr<FaultyTransport>> faulty;
  sync::ClientOptions small_batches{7, {}, 1u << 20, /*admission=*/false};  // subjects are not dossier codes
  int next_subject = 0;
};

}  // namespace

TEST_CASE("hub and points converge whatever the link does, over many seeds", "[sync][sim]") {
  int faults_seen = 0;
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    INFO("seed " << seed);
    Sim sim(seed);
    sim.run(90);
    sim.settle();
    sim.check();
    for (auto& f : sim.faulty) faults_seen += f->lost + f->duplicated + f->cut + f->delivered_late;
  }
  CHECK(faults_seen > 100);  // the link really misbehaved
}
