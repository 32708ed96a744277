// Dossier codes <agency>-<YYMMDD>-<NNNN> (Thông tư 01/2018/TT-VPCP), minted
// offline from the blocks of the daily sequence this node holds.
// docs/design/0012-dossier-codes.md
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "motcua/result.hpp"

namespace SQLite {
class Database;
}

namespace motcua::node {
class Node;
}

namespace motcua::node::codes {

struct Block {
  std::string day;  // "YYMMDD" or "*"
  int first = 0;
  int last = 0;
};

// "1-9999" -> {*, 1, 9999}; nullopt if malformed or outside 1..9999.
std::optional<Block> parse_block_spec(const std::string& spec);
// Pattern placeholders: {agency}, {yymmdd}, {seq4} (4 digits, zero-padded).
std::string format_code(const std::string& pattern, const std::string& agency, const std::string& yymmdd, int n);
// The blocks that apply to a day: leased ones for that day and for "*"; the
// configured default block (config code_block) only when none is leased.
std::vector<Block> blocks_for_day(Node& node, const std::string& yymmdd);
// Highest number of `b` already used by a dossier in the journal, 0 if none.
int highest_used(SQLite::Database& db, const std::string& pattern, const std::string& agency,
                 const std::string& yymmdd, const Block& b);
// The next code for a dossier received at `now_ms`: one more than the highest
// number used in the first block with room. Numbers are never reused because
// the used ones are the journal's own subjects. REQUIRES the journal mutex
// held until the dossier's first entry is appended. Errors: codes_exhausted.
Result<std::string> mint(Node& node, int64_t now_ms);

}  // namespace motcua::node::codes
