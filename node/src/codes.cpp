#include "codes.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "calendar.hpp"
#include "motcua/node/node.hpp"
#include "motcua/schema/database.hpp"
#include "motcua/schema/storage.hpp"

namespace motcua::node::codes {

namespace {

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

std::string pad4(int n) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d", n);
  return buf;
}

std::string fill(const std::string& pattern, const std::string& agency, const std::string& yymmdd) {
  return replace_all(replace_all(pattern, "{agency}", agency), "{yymmdd}", yymmdd);
}

std::string human_day(const std::string& yymmdd) {
  return yymmdd.size() == 6 ? yymmdd.substr(4, 2) + "/" + yymmdd.substr(2, 2) + "/20" + yymmdd.substr(0, 2) : yymmdd;
}

}  // namespace

std::optional<Block> parse_block_spec(const std::string& spec) {
  auto dash = spec.find('-');
  if (dash == std::string::npos) return std::nullopt;
  int a = 0, b = 0;
  auto r1 = std::from_chars(spec.data(), spec.data() + dash, a);
  auto r2 = std::from_chars(spec.data() + dash + 1, spec.data() + spec.size(), b);
  if (r1.ec != std::errc() || r1.ptr != spec.data() + dash || r2.ec != std::errc() ||
      r2.ptr != spec.data() + spec.size())
    return std::nullopt;
  if (a < 1 || b > 9999 || a > b) return std::nullopt;
  return Block{"*", a, b};
}

std::string format_code(const std::string& pattern, const std::string& agency, const std::string& yymmdd, int n) {
  return replace_all(fill(pattern, agency, yymmdd), "{seq4}", pad4(n));
}

std::vector<Block> blocks_for_day(Node& node, const std::string& yymmdd) {
  std::vector<Block> out;
  SQLite::Statement q(*node.db(),
                      "SELECT day, first, last FROM code_blocks WHERE day = ? OR day = '*' "
                      "ORDER BY day = '*', first");
  q.bind(1, yymmdd);
  while (q.executeStep()) out.push_back(Block{q.getColumn(0).getString(), q.getColumn(1).getInt(), q.getColumn(2).getInt()});
  if (out.empty()) {
    if (auto b = parse_block_spec(node.config().get("code_block"))) out.push_back(*b);
  }
  return out;
}

int highest_used(SQLite::Database& db, const std::string& pattern, const std::string& agency,
                 const std::string& yymmdd, const Block& b) {
  // Codes are fixed-width in the sequence, so the block is a range of subjects.
  const std::string filled = fill(pattern, agency, yymmdd);
  const size_t at = filled.find("{seq4}");
  if (at == std::string::npos) return 0;
  const std::string pre = filled.substr(0, at);
  const std::string post = replace_all(filled.substr(at + 6), "{seq4}", "");
  SQLite::Statement q(db,
                      "SELECT DISTINCT subject FROM journal WHERE subject >= ? AND subject <= ? ORDER BY subject DESC");
  q.bind(1, pre + pad4(b.first) + post);
  q.bind(2, pre + pad4(b.last) + post);
  while (q.executeStep()) {
    std::string s = q.getColumn(0).getString();
    if (s.size() != pre.size() + 4 + post.size() || s.compare(0, pre.size(), pre) != 0 ||
        s.compare(pre.size() + 4, std::string::npos, post) != 0)
      continue;
    int n = 0;
    auto r = std::from_chars(s.data() + pre.size(), s.data() + pre.size() + 4, n);
    if (r.ec == std::errc() && r.ptr == s.data() + pre.size() + 4 && n >= b.first && n <= b.last) return n;
  }
  return 0;
}

Result<std::string> mint(Node& node, int64_t now_ms) try {
  // A backup copied back in place holds an old copy of this point's chain:
  // the numbers it printed since are only at the hub. Until the point has
  // fetched its own chain back (docs/sync-protocol.md, "Behind"), it mints none.
  if (node.meta("restoring") == "1")
    return make_error("point_restoring", "this point's data was restored from an older copy and is fetching its own "
                                         "records back from the hub; no dossier can be taken in until that is done "
                                         "(sync with the hub)");
  // The hub revoked this point's key (learned at its last sync): what it
  // takes in now would never be admitted anywhere, so it takes nothing in.
  if (!node.meta("revoked_at").empty())
    return make_error("point_revoked", "this point's key was revoked at the hub (" + node.meta("revoked_at") +
                                           "); it takes no more dossiers in. No dossier was recorded");
  const std::string agency = node.meta("agency_code");
  if (agency.empty())
    return make_error("invalid_value", "this node has no agency code, so it cannot number dossiers: a point "
                                       "gets it when it joins its hub (motcua join; the hub's point add --agency "
                                       "CODE), a node without a hub from motcua init --agency-code CODE");
  const std::string pattern = node.config().get("code_pattern");
  const std::string day = cal::vn_yymmdd(now_ms);
  auto blocks = blocks_for_day(node, day);
  if (blocks.empty())
    return make_error("codes_exhausted", "this point holds no dossier numbers for " + human_day(day) +
                                             "; sync with the hub to get a block (or set config code_block)");
  std::string ranges;
  for (const auto& b : blocks) {
    int used = highest_used(*node.db(), pattern, agency, day, b);
    int next = std::max(used + 1, b.first);
    if (next <= b.last) return format_code(pattern, agency, day, next);
    ranges += (ranges.empty() ? "" : ", ") + pad4(b.first) + "–" + pad4(b.last);
  }
  return make_error("codes_exhausted", "all dossier numbers this point holds for " + human_day(day) + " (" + ranges +
                                           ") are used; no dossier was recorded. Sync with the hub for another "
                                           "block, or take the dossier in at another point");
} catch (const SQLite::Exception& e) {
  return schema::storage_error(e);
}

}  // namespace motcua::node::codes
