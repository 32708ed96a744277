// The hub's side of the entry exchange: push (verify, store, receipt), pull
// (scoped, by cursor) and reference data (docs/sync-protocol.md 4.3-4.5).
#include <SQLiteCpp/SQLiteCpp.h>

#include <mutex>
#include <set>

#include "motcua/schema/columns.hpp"

#include "admission.hpp"
#include "hub_internal.hpp"
#include "hub_scope.hpp"
#include "sync_util.hpp"

namespace motcua::sync {

namespace {
// The hub's journal positions of `author`'s entries first_seq..last_seq.
std::pair<int64_t, int64_t> positions_of(node::Node& n, const PublicKey& author, int64_t first_seq, int64_t last_seq) {
  std::lock_guard<std::recursive_mutex> g(n.journal().mutex());
  SQLite::Statement q(*n.db(), "SELECT ifnull(min(pos), 0), ifnull(max(pos), 0) FROM journal "
                               "WHERE author = ? AND seq BETWEEN ? AND ?");
  schema::bind_array(q, 1, author);
  q.bind(2, static_cast<int64_t>(first_seq));
  q.bind(3, static_cast<int64_t>(last_seq));
  q.executeStep();
  return {q.getColumn(0).getInt64(), q.getColumn(1).getInt64()};
}

int64_t int_field(const Json& h, const char* k, int64_t dflt) {
  auto it = h.find(k);
  return it != h.end() && it->is_number_integer() ? it->get<int64_t>() : dflt;
}
}  // namespace

// The hub's admission rules for pushed and bundled entries over the current
// registry (sync/src/admission.cpp). Empty (HubOptions::admission off, only
// in tests): only the journal's built-in checks.
node::Admitter Hub::Impl::admitter() {
  if (!opt.admission) return {};
  return make_admitter(node, reference_snapshot()->registry, node::Role::Hub, &store);  // kept while unchanged (0115)
}

node::Admitter Hub::Impl::admission() {
  node::Admitter base = admitter();
  if (extra_rules.empty()) return base;
  return [base, extra = extra_rules](const node::AdmitContext& c) -> std::optional<node::Admission> {
    if (base)
      if (auto why = base(c)) return why;
    for (const auto& rule : extra)
      if (auto why = rule(c)) return why;
    return std::nullopt;
  };
}

void Hub::add_admission_rule(node::Admitter rule) { impl_->extra_rules.push_back(std::move(rule)); }

std::string quarantine_detail(const std::string& point, const node::QuarantineRow& q) {
  return "point '" + point + "' sent entry " + to_hex(q.id) + " (author " + to_hex(q.author) + ", seq " +
         std::to_string(q.seq) + ", " + q.type + " on " + q.subject + "): held in quarantine, " + q.code + ": " +
         q.reason + " (motcua quarantine show " + to_hex(q.id).substr(0, 16) + ")";
}

Result<Reply> Hub::Impl::push(Ctx& ctx) {
  const auto& entries = ctx.msg.entries;
  if (entries.size() > opt.max_batch_entries)
    return make_error("batch_too_large", "a push batch may hold at most " + std::to_string(opt.max_batch_entries) +
                                             " entries; this one has " + std::to_string(entries.size()));
  auto heads = node.journal().heads();
  // The hub's own chain comes back from the points after a restore of an
  // older backup (docs/design/0094): its own key signed it.
  for (const auto& e : entries)
    if (e.author != ctx.auth.node && e.author != node.keys().pk && !heads.count(e.author))
      return make_error("unknown_author", "entry by " + to_hex(e.author).substr(0, 16) +
                                              "… : neither the sending point nor an author this hub holds");
  // A fork (docs/sync-protocol.md 13.2): evidence stored, the author
  // quarantined, the batch refused; and nothing more of a quarantined author.
  // The records as entries, once (the fork check and the ingest share them).
  auto given = wire::shells(entries);
  if (!given.ok()) return given.error();
  Status forks = check_push_forks(ctx, given.value());
  if (!forks.ok()) return forks.error();
  // Verifies every entry from its signed bytes; a cryptographic or chain
  // failure refuses the batch. What may not be admitted is quarantined.
  node::IngestOptions io;
  io.admit = admission();
  io.sign_releases = true;  // an entry released when its parents arrive goes out with a signed decision
  // Stamped beyond the hub's clock plus max_clock_offset_s: quarantined
  // (hlc_future), so it neither travels nor wins an edit race by its stamp.
  // Push and bundle import (handle_offline) both come through here.
  io.max_hlc_ms = ctx.now + node.journal().hlc().max_offset_ms();
  auto stored = node.journal().ingest(given.value(), io);
  if (!stored.ok()) {
    if (stored.error().code == "equivocation")
      alert(ctx.point.name, "equivocation", stored.error().message + " (batch refused, nothing stored)", ctx.now);
    return stored.error();
  }
  for (const auto& q : stored->quarantined) alert(ctx.point.name, "quarantined", quarantine_detail(ctx.point.name, q), ctx.now);
  // One signed receipt per author in the batch, with the hub's journal
  // positions of that author's entries of the batch.
  std::map<PublicKey, std::pair<int64_t, int64_t>> seqs;  // first, last seq in the batch
  for (const auto& e : given.value()) {
    auto [it, fresh] = seqs.emplace(e.author, std::make_pair(e.seq, e.seq));
    if (!fresh) it->second = {std::min(it->second.first, e.seq), std::max(it->second.second, e.seq)};
  }
  heads = node.journal().heads();
  Json receipts = Json::array();
  for (const auto& [a, range] : seqs) {
    int64_t upto = heads[a];
    auto last = node.journal().get(a, upto);
    if (!last) continue;
    auto [from_pos, to_pos] = positions_of(node, a, range.first, range.second);
    Json r{{"author", to_hex(a)},    {"entry", to_hex(last->id)}, {"from_pos", from_pos}, {"hub", to_hex(node.keys().pk)},
           {"hub_time_ms", ctx.now}, {"point", ctx.point.name},   {"to_pos", to_pos},     {"upto_seq", upto}};
    std::string bytes = canonical_bytes(r);
    Signature sig = sign(node.keys().sk, SignDomain::Receipt, bytes);
    store.add_receipt(ReceiptRecord{ctx.point.name, a, upto, last->id, ctx.now, bytes, sig});
    receipts.push_back(Json{{"r", r}, {"sig", to_hex(sig)}});
  }
  scope::catch_up(node);
  const int64_t n = stored->stored;
  ctx.entries_up = n;
  ctx.receipts = static_cast<int64_t>(receipts.size());
  Reply reply;
  reply.header = Json{{"type", "receipt"}, {"stored", n}, {"receipts", receipts}};
  reply.header["quarantined"] = static_cast<int64_t>(stored->quarantined.size());
  return reply;
}

Result<Reply> Hub::Impl::pull(Ctx& ctx) {
  const Json& h = ctx.msg.header;
  int64_t after = int_field(h, "after", -1);
  int64_t limit = int_field(h, "limit", static_cast<int64_t>(opt.max_batch_entries));
  if (after < 0) return make_error("malformed_message", "pull needs a cursor 'after' >= 0", "after");
  if (limit < 1) return make_error("malformed_message", "limit must be at least 1", "limit");
  limit = std::min<int64_t>(limit, static_cast<int64_t>(opt.max_batch_entries));
  std::optional<scope::History> resume;
  if (auto hi = h.find("history"); hi != h.end()) {
    if (!hi->is_object()) return make_error("malformed_message", "history must be {upto, pos}", "history");
    resume = scope::History{int_field(*hi, "upto", -1), int_field(*hi, "pos", -1)};
    if (resume->upto < 0 || resume->pos < 0)
      return make_error("malformed_message", "history must be {upto, pos} with positions >= 0", "history");
  }
  store.set_pull_cursor(ctx.point.name, after);  // only ever forward
  // One lock for the page and its state hashes, so the states are those of
  // exactly the entries up to this page.
  std::unique_lock<std::recursive_mutex> lock(node.journal().mutex());
  scope::catch_up(node);
  auto batch = scope::read(node, ctx.point, after, static_cast<size_t>(limit), opt.max_batch_bytes / 2, resume);
  Json states = states_of(batch.entries);
  lock.unlock();
  ctx.entries_down = static_cast<int64_t>(batch.entries.size());
  ctx.done = !batch.more;
  if (ctx.done) {
    // The point holds everything in its scope once this answer arrives: its
    // lag is 0 now, not only after its next hello reports the new cursor.
    store.set_sent_cursor(ctx.point.name, batch.next);
    store.note_success(ctx.point.name, ctx.now);
  }
  Reply reply;
  reply.header = Json{{"type", "entries"}, {"after", after}, {"next", batch.next}, {"more", batch.more},
                      {"hub_epoch", util::epoch(node)}};
  if (batch.history) reply.header["history"] = Json{{"upto", batch.history->upto}, {"pos", batch.history->pos}};
  if (!states.empty()) reply.header["states"] = std::move(states);
  reply.entries = std::move(batch.entries);
  return reply;
}

Json Hub::Impl::states_of(const std::vector<wire::WireEntry>& entries) {
  Json out = Json::object();
  if (entries.empty()) return out;
  std::lock_guard<std::recursive_mutex> g(node.journal().mutex());
  SQLite::Statement q(*node.db(),
                      "SELECT j.subject, p.state_hash FROM journal j JOIN projection p ON p.subject = j.subject "
                      "WHERE j.id = ?");
  for (const auto& e : entries) {
    q.reset();
    q.bind(1, e.id.data(), static_cast<int>(e.id.size()));
    if (!q.executeStep()) continue;
    std::string subject = q.getColumn(0).getString();
    if (out.contains(subject)) continue;
    const SQLite::Column c = q.getColumn(1);
    if (c.getBytes() != 32) continue;
    out[subject] = to_hex(reinterpret_cast<const uint8_t*>(c.getBlob()), 32);
  }
  return out;
}

Result<Reply> Hub::Impl::reference(Ctx&) {
  std::string hash;
  Json ref = reference_data(&hash);
  Reply reply;
  reply.header = Json{{"type", "reference"}, {"hash", hash}, {"catalogue", ref["catalogue"]}, {"holidays", ref["holidays"]},
                      {"points", ref["points"]}, {"hub", to_hex(node.keys().pk)}, {"registry", ref["registry"]},
                      {"registry_hash", ref["registry_hash"]}};
  return reply;
}

}  // namespace motcua::sync
