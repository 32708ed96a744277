// Writing a HubBookkeeping into a store (import_bookkeeping), once for both
// backends: the statements are in the SQL both SQLite and PostgreSQL
// accept, with `?` placeholders and "{s}" before each table name (the
// PostgreSQL store's schema); each store runs them through its own
// connection inside its own transaction.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "motcua/sync/hub_store.hpp"

namespace motcua::sync::copy {

struct Value {
  enum Kind { Int, Text, Blob, Null } kind = Null;
  int64_t i = 0;
  std::string s{};
};
inline Value integer(int64_t v) { return Value{Value::Int, v, {}}; }
inline Value text(std::string v) { return Value{Value::Text, 0, std::move(v)}; }
inline Value blob(std::string v) { return Value{Value::Blob, 0, std::move(v)}; }
template <size_t N>
inline Value blob(const std::array<uint8_t, N>& a) {
  return Value{Value::Blob, 0, std::string(reinterpret_cast<const char*>(a.data()), N)};
}
inline Value null() { return Value{}; }

// Runs one statement (with "{s}" already replaced by the caller's schema).
using Exec = std::function<void(const std::string& sql, const std::vector<Value>& args)>;

// Replaces "{s}" by `schema` ("" or "motcua.").
std::string with_schema(const std::string& sql, const std::string& schema);
// "?" -> "$1", "$2", ... (PostgreSQL's placeholders).
std::string numbered(const std::string& sql);

// Inserts every row of `b` as it is (counters set, not added to).
void write_bookkeeping(const Exec& exec, const HubBookkeeping& b);

}  // namespace motcua::sync::copy
