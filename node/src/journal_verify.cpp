// The journal's integrity checks: the full verify (chains, signatures,
// derived tables) and the quick check of each chain's tail at start-up.
#include <algorithm>
#include <map>
#include <set>

#include "motcua/node/journal.hpp"
#include "motcua/schema/columns.hpp"
#include "motcua/schema/database.hpp"
#include "motcua/schema/storage.hpp"

namespace motcua::node {

namespace {
using schema::blob_array;
using schema::bind_array;
using schema::blob_string;

std::string hexs(const PublicKey& k) { return to_hex(k); }

// Entries as the positional sync indexes see them (hub_subject_scope, pulls,
// blob_refs): an entry never quarantined at its position, a released one at
// its visible_pos (its decision's), a held or rejected one not at all.
const char* kVisible =
    "SELECT subject, pos AS p, canonical FROM journal WHERE NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.id = "
    "journal.id) UNION ALL SELECT j.subject, q.visible_pos AS p, j.canonical FROM quarantine q JOIN journal j ON "
    "j.id = q.id WHERE q.state = 'released' AND q.visible_pos > 0";
}  // namespace

VerifyReport Journal::verify(size_t max_problems) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  VerifyReport rep;
  auto problem = [&](const std::string& author, int64_t seq, const std::string& subject, const std::string& what) {
    if (rep.problems.size() < max_problems) rep.problems.push_back(VerifyProblem{author, seq, subject, what});
  };
  // 1. Every entry: canonical form, id, signature, stored columns, chain.
  std::map<PublicKey, std::pair<int64_t, Hash32>> last;
  std::map<std::pair<PublicKey, int64_t>, int64_t> gaps;  // (author, first_seq) -> last_seq
  {
    SQLite::Statement gq(*db_, "SELECT author, first_seq, last_seq FROM journal_gaps");
    while (gq.executeStep()) gaps[{blob_array<32>(gq.getColumn(0)), gq.getColumn(1).getInt64()}] = gq.getColumn(2).getInt64();
  }
  {
    SQLite::Statement q(*db_,
                        "SELECT id, author, seq, prev, hlc_ms, hlc_c, type, subject, canonical, sig FROM journal "
                        "ORDER BY author, seq");
    while (q.executeStep()) {
      ++rep.entries_checked;
      PublicKey author = blob_array<32>(q.getColumn(1));
      int64_t seq = q.getColumn(2).getInt64();
      std::string subject = q.getColumn(7).getString();
      std::string ah = hexs(author);
      auto parsed = parse_entry(blob_string(q.getColumn(8)), blob_array<64>(q.getColumn(9)));
      auto& [lseq, lid] = last[author];
      int64_t expect = lseq + 1;
      if (!parsed.ok()) {
        problem(ah, seq, subject, parsed.error().code + ": " + parsed.error().message);
      } else {
        const Entry& e = parsed.value();
        if (blob_array<32>(q.getColumn(0)) != e.id) problem(ah, seq, subject, "stored id does not match the entry's hash");
        else if (e.author != author || e.seq != seq || e.prev != blob_array<32>(q.getColumn(3)) ||
                 e.hlc.ms != q.getColumn(4).getInt64() || e.hlc.c != q.getColumn(5).getInt64() ||
                 e.type != q.getColumn(6).getString() || e.subject != subject)
          problem(ah, seq, subject, "indexed columns do not match the signed content");
        else if (seq != expect && gaps.count({author, expect}) && gaps[{author, expect}] == seq - 1)
          ;  // a recorded gap of a sparse foreign chain (ingest_sparse): no link to check
        else if (seq != expect)
          problem(ah, expect, "",
                  (seq == expect + 1 ? "entry missing" : "entries " + std::to_string(expect) + ".." + std::to_string(seq - 1) + " missing") +
                      " (gap in seq: the next stored entry is seq " + std::to_string(seq) + ")");
        else if (e.prev != lid)
          problem(ah, seq, subject, "hash link broken: prev is not the id of seq " + std::to_string(seq - 1));
      }
      lseq = seq;
      lid = blob_array<32>(q.getColumn(0));
    }
  }
  // 1b. Every quarantine row names a stored entry (author, seq, subject, type).
  {
    SQLite::Statement q(*db_,
                        "SELECT q.author, q.seq, q.subject FROM quarantine q LEFT JOIN journal j ON j.id = q.id WHERE "
                        "j.id IS NULL OR j.author <> q.author OR j.seq <> q.seq OR j.subject <> q.subject OR "
                        "j.type <> q.type ORDER BY q.author, q.seq");
    while (q.executeStep())
      problem(hexs(blob_array<32>(q.getColumn(0))), q.getColumn(1).getInt64(), q.getColumn(2).getString(),
              "quarantine row does not match a stored entry");
  }
  // 1c. Positions run 1..n: rows are only ever added (count() and the sync
  // cursors rely on it), so a gap means rows were removed.
  {
    SQLite::Statement q(*db_, "SELECT count(*), ifnull(max(pos), 0) FROM journal");
    q.executeStep();
    if (q.getColumn(0).getInt64() != q.getColumn(1).getInt64())
      problem("", 0, "",
              "journal positions have gaps: " + std::to_string(q.getColumn(0).getInt64()) + " entries, the highest position " +
                  std::to_string(q.getColumn(1).getInt64()) + " (entries removed)");
  }
  // 2. Chain heads: a removed tail shows as a head beyond the last entry.
  {
    std::set<PublicKey> with_head;
    SQLite::Statement q(*db_, "SELECT author, head_seq, head_id FROM authors ORDER BY author");
    while (q.executeStep()) {
      PublicKey a = blob_array<32>(q.getColumn(0));
      with_head.insert(a);
      int64_t hs = q.getColumn(1).getInt64();
      auto it = last.find(a);
      int64_t have = it == last.end() ? 0 : it->second.first;
      if (have < hs)
        problem(hexs(a), have + 1, "", "entries removed: the chain head is seq " + std::to_string(hs) +
                                           " but the journal ends at seq " + std::to_string(have));
      else if (have > hs)
        problem(hexs(a), hs + 1, "", "entry beyond the recorded chain head (seq " + std::to_string(hs) +
                                         "): written outside the journal");
      else if (it != last.end() && it->second.second != blob_array<32>(q.getColumn(2)))
        problem(hexs(a), hs, "", "the chain head's id is not the id of the last entry");
    }
    for (const auto& [a, l] : last)
      if (!with_head.count(a)) problem(hexs(a), l.first, "", "entries of an author with no recorded chain head");
  }
  // 3. Projection equals a rebuild from the journal. Journal and projection
  // are both read in subject order, side by side, one subject in memory.
  {
    SQLite::Statement p(*db_, "SELECT subject, state, state_hash FROM projection ORDER BY subject");
    bool p_has = p.executeStep();
    auto orphans_before = [&](const std::string* s) {
      while (p_has && (!s || p.getColumn(0).getString() < *s)) {
        problem("", 0, p.getColumn(0).getString(), "projection has a subject with no journal entries");
        p_has = p.executeStep();
      }
    };
    auto check_subject = [&](const std::string& s, const std::vector<Entry>& entries, const std::string& damaged) {
      // Only decisions (quarantine.*) admitted: the subject has no state.
      if (damaged.empty() && std::all_of(entries.begin(), entries.end(),
                                         [](const Entry& e) { return is_quarantine_type(e.type); }))
        return;
      orphans_before(&s);
      const bool have = p_has && p.getColumn(0).getString() == s;
      ++rep.subjects_checked;
      std::string want;
      try {
        if (!damaged.empty()) throw std::runtime_error(damaged);
        want = canonical_bytes(projector_(s, entries));
      } catch (const std::exception& ex) {
        problem("", 0, s, std::string("cannot rebuild projection: ") + ex.what());
        want.clear();
      }
      if (!want.empty()) {
        if (!have) {
          problem("", 0, s, "projection missing for subject");
        } else {
          std::string state = p.getColumn(1).getString();
          if (state != want) problem("", 0, s, "stored projection differs from a rebuild from the journal");
          else if (subject_state_hash(Json::parse(state)) != blob_array<32>(p.getColumn(2)))
            problem("", 0, s, "stored state hash is not the hash of the stored state");
        }
      }
      if (have) p_has = p.executeStep();
    };
    // Held and rejected entries are not projected (quarantine).
    SQLite::Statement q(*db_,
                        "SELECT canonical, sig, subject FROM journal WHERE NOT EXISTS (SELECT 1 FROM quarantine q "
                        "WHERE q.id = journal.id AND q.state <> 'released') ORDER BY subject, hlc_ms, hlc_c, author, seq");
    std::string current, damaged;
    std::vector<Entry> group;
    bool any = false;
    while (q.executeStep()) {
      std::string s = q.getColumn(2).getString();
      if (any && s != current) {
        check_subject(current, group, damaged);
        group.clear();
        damaged.clear();
      }
      current = std::move(s);
      any = true;
      if (!damaged.empty()) continue;
      auto e = parse_entry_unverified(blob_string(q.getColumn(0)), blob_array<64>(q.getColumn(1)));
      if (!e.ok()) damaged = "journal row is damaged: " + e.error().message + " (run motcua verify)";
      else group.push_back(std::move(e.value()));
    }
    if (any) check_subject(current, group, damaged);
    orphans_before(nullptr);
  }
  // 4. dossier_index equals what the projection's triggers (migration 3)
  // derive from each dossier's stored state (checked against the journal in 3).
  {
    const std::string want =
        "SELECT subject AS code, json_extract(state, '$.status'), json_extract(state, '$.cancelled') IS NOT NULL, "
        "ifnull(json_extract(state, '$.received_at'), ''), ifnull(json_extract(state, '$.updated_at'), ''), "
        "ifnull(json_extract(state, '$.search_key'), ''), json_array_length(state, '$.conflicts'), "
        "ifnull(json_extract(state, '$.open_conflicts'), 0) FROM projection "
        "WHERE json_extract(state, '$.kind') = 'dossier'";
    const std::string have =
        "SELECT code, status, cancelled, received_at, updated_at, search_key, conflicts, open_conflicts "
        "FROM dossier_index";
    SQLite::Statement q(*db_,
                        "SELECT g.code, EXISTS (SELECT 1 FROM dossier_index d WHERE d.code = g.code), "
                        "EXISTS (SELECT 1 FROM projection p WHERE p.subject = g.code AND "
                        "json_extract(p.state, '$.kind') = 'dossier') FROM (SELECT code FROM (" + want + " EXCEPT " +
                            have + ") UNION SELECT code FROM (" + have + " EXCEPT " + want + ")) AS g ORDER BY g.code");
    while (q.executeStep()) {
      const std::string code = q.getColumn(0).getString();
      if (q.getColumn(1).getInt() == 0)
        problem("", 0, code, "dossier_index has no row for this dossier (derived table dossier_index)");
      else if (q.getColumn(2).getInt() == 0)
        problem("", 0, code, "dossier_index has a row for a subject that is not a dossier (derived table dossier_index)");
      else
        problem("", 0, code, "dossier_index row differs from the dossier's projection (derived table dossier_index)");
    }
  }
  // 4b. dossier_words holds exactly the words of each dossier_index.search_key
  // (the triggers of migration 9, design 0056).
  {
    const std::string split =
        "json_each(CASE WHEN json_valid('[\"' || replace(d.search_key, ' ', '\",\"') || '\"]') "
        "THEN '[\"' || replace(d.search_key, ' ', '\",\"') || '\"]' ELSE '[]' END) j";
    const std::string want = "SELECT j.value AS word, d.code AS code FROM dossier_index d, " + split + " WHERE j.value <> ''";
    SQLite::Statement q(*db_, "SELECT DISTINCT code FROM (SELECT code FROM (" + want +
                                  " EXCEPT SELECT word, code FROM dossier_words) UNION ALL SELECT code FROM "
                                  "(SELECT word, code FROM dossier_words EXCEPT " + want + ")) ORDER BY code");
    while (q.executeStep())
      problem("", 0, q.getColumn(0).getString(),
              "dossier_words differs from the dossier's search key (derived table dossier_words)");
  }
  // 5. The sync tables derived from the journal up to a recorded position
  // (sync/src/hub_scope.cpp, sync/src/blob_sync.cpp): what is indexed must be
  // what a new indexing would write. Empty where the role keeps none.
  const std::string indexed_pos = "ifnull((SELECT CAST(value AS INTEGER) FROM sync_state WHERE key = ?), 0)";
  {
    // hub_subject_scope (hub): a row for every subject with an indexed entry,
    // its first position, and, once all its entries are indexed, the scope
    // fields of its projection.
    auto f = [](const std::string& name) {
      return "CASE WHEN json_type(p.state, '$." + name + "') = 'text' THEN json_extract(p.state, '$." + name +
             "') ELSE '' END";
    };
    SQLite::Statement q(*db_,
                        "WITH ip AS (SELECT " + indexed_pos + " AS v), "
                        "subj AS (SELECT subject, min(p) AS first, max(p) AS last FROM (" + std::string(kVisible) +
                            ") GROUP BY subject), "
                        "want AS (SELECT s.subject, s.first, s.last, " + f("area") + " AS area, " + f("return_point") +
                            " AS ret, " + f("origin_point") + " AS orig FROM subj s LEFT JOIN projection p ON "
                            "p.subject = s.subject WHERE s.first <= (SELECT v FROM ip)) "
                        "SELECT w.subject, 'has no row for this subject' FROM want w WHERE NOT EXISTS "
                        "(SELECT 1 FROM hub_subject_scope h WHERE h.subject = w.subject) "
                        "UNION ALL SELECT h.subject, 'has a row for a subject with no indexed entry' FROM hub_subject_scope h "
                        "WHERE NOT EXISTS (SELECT 1 FROM want w WHERE w.subject = h.subject) "
                        "UNION ALL SELECT w.subject, 'row differs from the journal and the projection' FROM want w JOIN "
                        "hub_subject_scope h ON h.subject = w.subject WHERE h.first_pos <> w.first OR "
                        "(w.last <= (SELECT v FROM ip) AND (h.area <> w.area OR h.return_point <> w.ret OR "
                        "h.origin_point <> w.orig)) ORDER BY 1");
    q.bind(1, "scope_indexed_pos");
    while (q.executeStep())
      problem("", 0, q.getColumn(0).getString(),
              std::string("hub_subject_scope ") + q.getColumn(1).getString() + " (derived table hub_subject_scope)");
  }
  {
    // hub_feed (hub): each visible position of a subject with a
    // hub_subject_scope row, up to the indexed position, under the keys of
    // that row ('a:<area>', 'p:<return_point>', 'p:<origin_point>'), and
    // nothing else (docs/design/0110-scope-feed.md).
    auto keyed = [&](const char* prefix, const char* column) {
      return std::string("SELECT '") + prefix + "' || h." + column + " AS scope, j.pos AS pos, j.subject AS subject FROM "
             "hub_subject_scope h JOIN journal j ON j.subject = h.subject WHERE h." + column + " <> '' AND j.pos <= " +
             "(SELECT v FROM ip) AND NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.id = j.id)";
    };
    SQLite::Statement q(*db_,
                        "WITH ip AS (SELECT " + indexed_pos + " AS v), want AS (" + keyed("a:", "area") + " UNION " +
                            keyed("p:", "return_point") + " UNION " + keyed("p:", "origin_point") + ") "
                        "SELECT w.subject, w.scope, w.pos, 'lacks' FROM want w WHERE NOT EXISTS (SELECT 1 FROM hub_feed f "
                        "WHERE f.scope = w.scope AND f.pos = w.pos) "
                        "UNION ALL SELECT ifnull((SELECT subject FROM journal WHERE pos = f.pos), ''), f.scope, f.pos, "
                        "'lists' FROM hub_feed f WHERE NOT EXISTS (SELECT 1 FROM want w WHERE w.scope = f.scope AND "
                        "w.pos = f.pos) ORDER BY 3, 2");
    q.bind(1, "scope_indexed_pos");
    while (q.executeStep())
      problem("", 0, q.getColumn(0).getString(),
              "hub_feed " + q.getColumn(3).getString() + " position " + std::to_string(q.getColumn(2).getInt64()) +
                  " under " + q.getColumn(1).getString() +
                  (q.getColumn(3).getString() == "lacks" ? "" : ", which the journal and hub_subject_scope do not give") +
                  " (derived table hub_feed)");
  }
  {
    // blob_refs: every (attachment id, subject) that an indexed entry's body
    // names under "attachments" or "changes.attachments", and nothing else.
    const std::string valid = "length(a.value) = 64 AND a.value NOT GLOB '*[^0-9a-f]*' AND a.type = 'text'";
    auto refs = [&](const char* path) {
      return std::string("SELECT a.value AS blob, s.subject AS subject FROM src s, json_each(s.c, '") + path + "') a WHERE json_type(s.c, '" +
             path + "') = 'array' AND " + valid;
    };
    SQLite::Statement q(*db_,
                        "WITH src AS (SELECT subject, CASE WHEN json_valid(CAST(canonical AS TEXT)) THEN "
                        "CAST(canonical AS TEXT) ELSE '{}' END AS c FROM (" + std::string(kVisible) + ") WHERE p <= " + indexed_pos +
                            " AND instr(canonical, CAST('\"attachments\":' AS BLOB)) > 0), "
                        "want AS (" + refs("$.body.attachments") + " UNION " + refs("$.body.changes.attachments") + ") "
                        "SELECT subject, blob, 'missing' FROM (SELECT * FROM want EXCEPT SELECT blob, subject FROM blob_refs) "
                        "UNION ALL SELECT subject, blob, 'not referenced by any entry' FROM "
                        "(SELECT blob, subject FROM blob_refs EXCEPT SELECT * FROM want) ORDER BY 1, 2");
    q.bind(1, "blob_refs_pos");
    while (q.executeStep())
      problem("", 0, q.getColumn(0).getString(),
              "blob_refs row for attachment " + q.getColumn(1).getString().substr(0, 16) + "… " +
                  q.getColumn(2).getString() + " (derived table blob_refs)");
  }
  return rep;
}

Status Journal::check_chain(const PublicKey& a, int64_t head_seq, const Hash32& head_id, size_t per_author,
                            const std::map<std::pair<PublicKey, int64_t>, int64_t>& gaps) {
  auto bad = [&](int64_t seq, const std::string& what) {
    return journal_broken_error("node " + hexs(a).substr(0, 16) + "… seq " + std::to_string(seq) + ": " + what);
  };
  SQLite::Statement q(*db_,
                      "SELECT id, seq, prev, canonical, sig FROM journal WHERE author = ? ORDER BY seq DESC LIMIT ?");
  bind_array(q, 1, a);
  q.bind(2, static_cast<int64_t>(std::max<size_t>(1, per_author)));
  size_t n = 0;
  int64_t above_seq = 0;
  Hash32 above_prev{};
  while (q.executeStep()) {
    const Hash32 id = blob_array<32>(q.getColumn(0));
    const int64_t seq = q.getColumn(1).getInt64();
    const Hash32 prev = blob_array<32>(q.getColumn(2));
    if (n == 0) {
      if (seq > head_seq)
        return bad(seq, "entry beyond the recorded chain head (seq " + std::to_string(head_seq) + ")");
      if (seq < head_seq)
        return bad(seq + 1, "entries removed: the chain head is seq " + std::to_string(head_seq) +
                                " but the journal ends at seq " + std::to_string(seq));
      if (id != head_id) return bad(seq, "the chain head's id is not the id of the last entry");
    } else if (seq != above_seq - 1) {
      auto gap = gaps.find({a, seq + 1});
      if (gap == gaps.end() || gap->second != above_seq - 1)
        return bad(seq + 1, "entries missing (gap in seq: the next stored entry is seq " + std::to_string(above_seq) + ")");
    } else if (above_prev != id) {
      return bad(above_seq, "hash link broken: prev is not the id of seq " + std::to_string(seq));
    }
    auto e = parse_entry(blob_string(q.getColumn(3)), blob_array<64>(q.getColumn(4)));
    if (!e.ok()) return bad(seq, e.error().code + ": " + e.error().message);
    if (e->id != id || e->author != a || e->seq != seq || e->prev != prev)
      return bad(seq, "stored id, seq or prev do not match the signed content");
    above_seq = seq;
    above_prev = prev;
    ++n;
  }
  if (n == 0 && head_seq > 0) return bad(head_seq, "the chain head's entry is missing");
  return ok_status();
}

Status Journal::check_tail(size_t per_author) try {
  std::lock_guard<std::recursive_mutex> g(mu_);
  std::map<std::pair<PublicKey, int64_t>, int64_t> gaps;
  {
    SQLite::Statement gq(*db_, "SELECT author, first_seq, last_seq FROM journal_gaps");
    while (gq.executeStep()) gaps[{blob_array<32>(gq.getColumn(0)), gq.getColumn(1).getInt64()}] = gq.getColumn(2).getInt64();
  }
  SQLite::Statement authors(*db_, "SELECT author, head_seq, head_id FROM authors ORDER BY author");
  while (authors.executeStep()) {
    Status s = check_chain(blob_array<32>(authors.getColumn(0)), authors.getColumn(1).getInt64(),
                           blob_array<32>(authors.getColumn(2)), per_author, gaps);
    if (!s.ok()) return s;
  }
  // The journal's head: the entry stored last belongs to a recorded chain.
  SQLite::Statement last(*db_,
                         "SELECT j.author, j.seq, a.head_seq IS NULL FROM journal j LEFT JOIN authors a ON a.author = "
                         "j.author ORDER BY j.pos DESC LIMIT 1");
  if (last.executeStep() && last.getColumn(2).getInt() != 0)
    return journal_broken_error("node " + hexs(blob_array<32>(last.getColumn(0))).substr(0, 16) + "… seq " +
                                std::to_string(last.getColumn(1).getInt64()) +
                                ": the last stored entry's author has no recorded chain head");
  own_tail_checked_ = true;
  return ok_status();
} catch (const SQLite::Exception& e) {
  return schema::storage_error(e);
}

Status Journal::check_own_tail() {
  SQLite::Statement h(*db_, "SELECT head_seq, head_id FROM authors WHERE author = ?");
  bind_array(h, 1, self_.pk);
  if (h.executeStep()) {
    const int64_t seq = h.getColumn(0).getInt64();
    const Hash32 id = blob_array<32>(h.getColumn(1));
    h.reset();
    return check_chain(self_.pk, seq, id, 4, {});
  }
  SQLite::Statement any(*db_, "SELECT seq FROM journal WHERE author = ? ORDER BY seq DESC LIMIT 1");
  bind_array(any, 1, self_.pk);
  if (any.executeStep())
    return journal_broken_error("node " + hexs(self_.pk).substr(0, 16) + "… seq " +
                                std::to_string(any.getColumn(0).getInt64()) +
                                ": this node's entries have no recorded chain head");
  return ok_status();
}

}  // namespace motcua::node
