// Reading and binding fixed-size byte arrays (keys, hashes, signatures) as
// SQLite BLOBs. One copy for every module that stores them.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <string>

#include <SQLiteCpp/Column.h>
#include <SQLiteCpp/Statement.h>

namespace motcua::schema {

// The column's bytes as a std::string (BLOB or TEXT).
inline std::string blob_string(const SQLite::Column& c) {
  return std::string(static_cast<const char*>(c.getBlob()), static_cast<size_t>(c.getBytes()));
}

// The column as exactly N bytes; all zero when the stored size differs.
template <size_t N>
std::array<uint8_t, N> blob_array(const SQLite::Column& c) {
  std::array<uint8_t, N> a{};
  if (static_cast<size_t>(c.getBytes()) == N) std::copy_n(static_cast<const uint8_t*>(c.getBlob()), N, a.begin());
  return a;
}

// Binds N bytes as a BLOB to parameter i (1-based).
template <size_t N>
void bind_array(SQLite::Statement& st, int i, const std::array<uint8_t, N>& a) {
  st.bind(i, a.data(), static_cast<int>(N));
}

}  // namespace motcua::schema
