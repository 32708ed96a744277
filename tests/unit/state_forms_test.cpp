// The journal stores each projected state as canonical bytes with its state
// hash (docs/sync-protocol.md section 17), made from one serialisation of
// each member (node/src/state_forms.hpp). Both must equal what
// canonical_bytes and subject_state_hash give for the same state, for any
// state: the hash crosses to other nodes, which compute it the long way.
#include <catch2/catch.hpp>

#include <random>

#include "../../node/src/state_forms.hpp"
#include "motcua/node/journal.hpp"

using namespace motcua;

namespace {

std::string text(std::mt19937_64& g) {
  static const std::vector<std::string> parts = {"Nguyễn", "Văn", "A", "\"quoted\"", "back\\slash", "dòng\nmới",
                                                 "\t", std::string("\x01", 1), "hồ sơ", "0987654321", "", "/"};
  std::string s;
  for (int i = static_cast<int>(g() % 4); i >= 0; --i) s += parts[g() % parts.size()];
  return s;
}

Json value(std::mt19937_64& g, int depth) {
  switch (g() % (depth > 2 ? 4 : 6)) {
    case 0: return text(g);
    case 1: return static_cast<int64_t>(g() % 2000000) - 1000000;
    case 2: return g() % 2 == 0;
    case 3: return nullptr;
    case 4: {
      Json a = Json::array();
      for (int i = static_cast<int>(g() % 4); i > 0; --i) a.push_back(value(g, depth + 1));
      return a;
    }
    default: {
      Json o = Json::object();
      for (int i = static_cast<int>(g() % 5); i > 0; --i) o[text(g) + "k"] = value(g, depth + 1);
      return o;
    }
  }
}

void same_as_the_long_way(const Json& state) {
  auto [bytes, hash] = node::stored_state_and_hash(state);
  INFO(canonical_bytes(state));
  CHECK(bytes == canonical_bytes(state));
  CHECK(hash == node::subject_state_hash(state));
}

}  // namespace

TEST_CASE("a state's stored bytes and hash, made member by member, equal the canonical ones", "[journal][statehash]") {
  std::mt19937_64 g(20261207);
  for (int i = 0; i < 500; ++i) {
    Json state = Json::object();
    for (int k = static_cast<int>(g() % 12); k > 0; --k) state[text(g) + "_" + std::to_string(k)] = value(g, 0);
    if (g() % 3 != 0) state["search_key"] = text(g);  // the unhashed key, usually there
    same_as_the_long_way(state);
  }
  // The edges: only the unhashed key, an empty object, states that are no object.
  same_as_the_long_way(Json{{"search_key", "nguyen van a"}});
  same_as_the_long_way(Json::object());
  same_as_the_long_way(Json::array({1, "x", Json{{"search_key", "kept in an array"}}}));
  same_as_the_long_way(Json("damaged"));
  same_as_the_long_way(Json{{"a", Json{{"search_key", "nested: hashed"}}}, {"search_key", "top: not hashed"}});
  // The unhashed key changes the stored bytes, not the hash.
  auto one = node::stored_state_and_hash(Json{{"name", "Nguyễn Văn A"}, {"search_key", "nguyen van a"}});
  auto two = node::stored_state_and_hash(Json{{"name", "Nguyễn Văn A"}, {"search_key", "other"}});
  CHECK(one.first != two.first);
  CHECK(one.second == two.second);
}
