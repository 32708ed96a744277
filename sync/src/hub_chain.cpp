// The hub's view of each author's chain: heads as (seq, id), forks, a point
// behind its own chain (a stale backup), and the point's own chain sent back
// to it (docs/sync-protocol.md, "Heads", "Forks", "Behind", "Epochs").
#include <SQLiteCpp/SQLiteCpp.h>

#include <iostream>
#include <map>
#include <set>

#include "hub_internal.hpp"
#include "motcua/schema/columns.hpp"
#include "sync_util.hpp"

namespace motcua::sync {

namespace {

int64_t int_field(const Json& h, const char* k, int64_t dflt) {
  auto it = h.find(k);
  return it != h.end() && it->is_number_integer() ? it->get<int64_t>() : dflt;
}

std::string short_hex(const Hash32& id) { return to_hex(id).substr(0, 16) + "…"; }

}  // namespace

Result<Hub::Impl::HeadAnswer> Hub::Impl::check_heads(Ctx& ctx, const Json& in) {
  HeadAnswer a;
  a.fork = nullptr;
  a.behind = nullptr;
  auto hub = util::heads_with_ids(node);
  for (auto it = in.begin(); it != in.end(); ++it) {
    PublicKey author;
    if (!from_hex(it.key(), author)) return make_error("malformed_message", "heads key is not a node key", "heads");
    auto mine = util::parse_head(it.value());
    if (!mine) return make_error("malformed_message", "each head must be [seq, \"<id hex>\"]", "heads");
    auto f = hub.find(author);
    const int64_t hseq = f == hub.end() ? 0 : f->second.first;
    const Hash32 hid = f == hub.end() ? Hash32{} : f->second.second;
    a.heads[it.key()] = util::head_json(hseq, hid);
    const auto [pseq, pid] = *mine;
    if (pseq == 0 || hseq == 0 || pseq > hseq || !a.fork.is_null()) continue;
    Hash32 held = hid;
    if (pseq < hseq) {
      auto e = node.journal().get(author, pseq);
      if (!e) continue;  // the hub's chains are contiguous; nothing to compare otherwise
      held = e->id;
    }
    const bool own = author == ctx.auth.node;
    if (held != pid) {
      a.fork = Json{{"author", it.key()}, {"seq", pseq}, {"hub_id", to_hex(held)}, {"point_id", to_hex(pid)}};
      if (own) {  // the hello is signed by this very key: its own claim of another entry at this seq
        ForkEvidence fe;
        fe.author = author;
        fe.seq = pseq;
        fe.held_seq = pseq;
        fe.held_id = held;
        fe.other_id = pid;
        record_fork(ctx, fe);
      }
    } else if (own && pseq < hseq) {
      a.behind = Json{{"seq", pseq}, {"hub_seq", hseq}};
    }
  }
  return a;
}

Error Hub::Impl::record_fork(Ctx& ctx, ForkEvidence f) {
  f.reporter = ctx.point.name;
  f.at_ms = ctx.now;
  const bool fresh = store.add_fork_evidence(f);
  auto owner = store.point_by_key(f.author);
  const std::string who = owner ? "point '" + owner->name + "'"
                                : f.author == node.keys().pk ? std::string("the hub") : "key " + to_hex(f.author).substr(0, 16) + "…";
  if (owner && owner->status == "active") {
    Status s = store.set_point_status(owner->name, "quarantined");
    if (!s.ok()) std::cerr << "motcua hub: " << s.error().message << "\n";
  }
  const std::string detail =
      who + " signed two different entries: " + short_hex(f.held_id) + " at seq " + std::to_string(f.held_seq) +
      " (held by the hub) and " + short_hex(f.other_id) + " at seq " + std::to_string(f.seq) +
      (f.held_seq == f.seq ? "" : " (linked to another entry at seq " + std::to_string(f.held_seq) + ")") +
      ", shown by point '" + ctx.point.name + "'; entries " + to_hex(f.held_id) + " and " + to_hex(f.other_id) +
      ". Its chain is quarantined: further entries of it are refused until an admin decides";
  if (fresh) alert(owner ? owner->name : ctx.point.name, "fork", detail, ctx.now);
  return make_error("fork_detected", detail);
}

Status Hub::Impl::check_push_forks(Ctx& ctx, const std::vector<node::Entry>& given) {
  auto quarantined = [&](const std::string& name) {
    return make_error("fork_detected", "point '" + name + "' is quarantined after a fork of its chain: its entries are "
                                       "refused until an admin decides (motcua audit shows the alert)");
  };
  if (ctx.point.status == "quarantined") return quarantined(ctx.point.name);
  std::set<PublicKey> authors;
  for (const auto& e : given) authors.insert(e.author);
  for (const auto& a : authors) {
    if (a == ctx.auth.node) continue;
    auto p = store.point_by_key(a);
    if (p && p->status == "quarantined") return quarantined(p->name);
  }
  auto hub = util::heads_with_ids(node);
  for (const auto& e : given) {
    auto f = hub.find(e.author);
    if (f == hub.end()) continue;
    const auto [hseq, hid] = f->second;
    ForkEvidence fe;
    fe.author = e.author;
    fe.seq = e.seq;
    fe.other_id = e.id;
    if (e.seq <= hseq) {
      auto held = e.seq == hseq ? std::optional<Hash32>(hid) : std::nullopt;
      if (!held) {
        auto h = node.journal().get(e.author, e.seq);
        if (!h) continue;
        held = h->id;
      }
      if (*held == e.id) continue;
      fe.held_seq = e.seq;
      fe.held_id = *held;
    } else if (e.seq == hseq + 1 && e.prev != hid) {
      fe.held_seq = hseq;
      fe.held_id = hid;
    } else {
      continue;
    }
    // Evidence only from an entry that really is signed by that key; a forged
    // one is refused by the journal as any bad entry.
    auto parsed = node::parse_entry(e.canonical, e.sig);
    if (!parsed.ok() || parsed->id != e.id || parsed->author != e.author || parsed->seq != e.seq ||
        (fe.held_seq != fe.seq && parsed->prev == hid))
      continue;
    fe.other_canonical = e.canonical;
    fe.other_sig = e.sig;
    return record_fork(ctx, fe);
  }
  return ok_status();
}

Result<Reply> Hub::Impl::fork_evidence(Ctx& ctx) {
  const auto& wes = ctx.msg.entries;
  if (wes.empty() || wes.size() > 16)
    return make_error("malformed_message", "fork_evidence carries 1 to 16 entries", "entries");
  auto parsed = wire::parse_entries(wes, 1);  // canonical form, id and signature of each
  if (!parsed.ok()) return parsed.error();
  int64_t forks = 0;
  for (const auto& e : parsed.value()) {
    ForkEvidence f;
    f.author = e.author;
    f.seq = e.seq;
    f.other_id = e.id;
    f.other_canonical = e.canonical;
    f.other_sig = e.sig;
    if (auto held = node.journal().get(e.author, e.seq)) {
      if (held->id == e.id) continue;
      f.held_seq = e.seq;
      f.held_id = held->id;
    } else {
      auto below = e.seq > 1 ? node.journal().get(e.author, e.seq - 1) : std::nullopt;
      if (!below || below->id == e.prev) continue;  // the hub lacks it, or it links: no fork
      f.held_seq = e.seq - 1;
      f.held_id = below->id;
    }
    record_fork(ctx, f);
    ++forks;
  }
  Reply r;
  r.header = Json{{"type", "fork_noted"}, {"forks", forks}};
  return r;
}

Result<Reply> Hub::Impl::own_chain(Ctx& ctx) {
  const Json& h = ctx.msg.header;
  const int64_t after = int_field(h, "after_seq", -1);
  int64_t limit = int_field(h, "limit", static_cast<int64_t>(opt.max_batch_entries));
  if (after < 0) return make_error("malformed_message", "own_chain needs 'after_seq' >= 0", "after_seq");
  if (limit < 1) return make_error("malformed_message", "limit must be at least 1", "limit");
  limit = std::min<int64_t>(limit, static_cast<int64_t>(opt.max_batch_entries));
  // "of": a former key of this point (a succession, section 15.3): its chain
  // up to the entry it was retired at, so the new PC holds its whole history.
  PublicKey author = ctx.auth.node;
  std::optional<int64_t> upto;
  if (auto of = h.find("of"); of != h.end()) {
    if (!of->is_string() || !from_hex(of->get<std::string>(), author))
      return make_error("malformed_message", "'of' must be a node key (64 hex)", "of");
    if (author != ctx.auth.node) {
      auto sc = store.succession_of(author);
      if (!sc || sc->point != ctx.point.name)
        return make_error("malformed_message", "'of' is not a former key of point '" + ctx.point.name + "'", "of");
      upto = sc->revoked_seq;
      limit = std::max<int64_t>(0, std::min<int64_t>(limit, sc->revoked_seq - after));
    }
  }
  auto own = limit > 0 ? util::author_entries(node, author, after, static_cast<size_t>(limit), opt.max_batch_bytes / 2)
                       : std::vector<wire::WireEntry>{};
  auto heads = node.journal().heads();
  auto f = heads.find(author);
  const int64_t hub_seq = upto ? *upto : f == heads.end() ? 0 : f->second;
  const int64_t next = after + static_cast<int64_t>(own.size());
  // With each own entry go the other authors' entries of its dossier that the
  // hub stored before it: the old copy may lack the causal parents of its own
  // later acts (another point's act it had pulled after the backup). In hub
  // order, which is causal order; those the point holds are no-ops.
  std::vector<wire::WireEntry> entries;
  {
    std::lock_guard<std::recursive_mutex> g(node.journal().mutex());
    SQLite::Statement pos_q(*node.db(), "SELECT pos, subject FROM journal WHERE id = ?");
    std::map<std::string, int64_t> upto;  // subject -> last position of an own entry of the page
    std::vector<std::pair<int64_t, wire::WireEntry>> all;
    for (auto& e : own) {
      pos_q.reset();
      pos_q.bind(1, e.id.data(), 32);
      if (!pos_q.executeStep()) continue;
      const int64_t pos = pos_q.getColumn(0).getInt64();
      auto& u = upto[pos_q.getColumn(1).getString()];
      u = std::max(u, pos);
      all.emplace_back(pos, std::move(e));
    }
    SQLite::Statement ctx_q(*node.db(),
                            "SELECT pos, id, author, prev, canonical, sig FROM journal WHERE subject = ? AND pos < ? "
                            "AND author <> ? ORDER BY pos");
    for (const auto& [subject, last] : upto) {
      ctx_q.reset();
      ctx_q.bind(1, subject);
      ctx_q.bind(2, static_cast<int64_t>(last));
      ctx_q.bind(3, author.data(), 32);
      while (ctx_q.executeStep()) {
        wire::WireEntry w;
        w.id = schema::blob_array<32>(ctx_q.getColumn(1));
        w.author = schema::blob_array<32>(ctx_q.getColumn(2));
        w.prev = schema::blob_array<32>(ctx_q.getColumn(3));
        const SQLite::Column c = ctx_q.getColumn(4);
        w.canonical.assign(static_cast<const char*>(c.getBlob()), static_cast<size_t>(c.getBytes()));
        w.sig = schema::blob_array<64>(ctx_q.getColumn(5));
        all.emplace_back(ctx_q.getColumn(0).getInt64(), std::move(w));
      }
    }
    std::stable_sort(all.begin(), all.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    for (size_t i = 0; i < all.size(); ++i)
      if (i == 0 || all[i].first != all[i - 1].first) entries.push_back(std::move(all[i].second));
  }
  ctx.entries_down = static_cast<int64_t>(entries.size());
  Reply r;
  r.header = Json{{"type", "own_chain"},
                  {"after_seq", after},
                  {"next_seq", next},
                  {"hub_seq", hub_seq},
                  {"more", next < hub_seq && !own.empty()},
                  {"hub_epoch", util::epoch(node)}};
  r.entries = std::move(entries);
  return r;
}

}  // namespace motcua::sync
