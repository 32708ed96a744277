// Initial reference data compiled into the binary (data/*.json, embedded by
// node/CMakeLists.txt) and loading it into a node's database on first use.
#pragma once
#include <string_view>

#include "motcua/result.hpp"

namespace motcua::node {
class Node;
namespace data {
std::string_view procedures_json();  // data/procedures.json
std::string_view holidays_json();    // data/holidays-vn.json
}  // namespace data

// Loads the embedded catalogue and holiday calendar the first time a node
// uses them (recorded in node_meta, so an admin's later edits are kept).
Status seed_reference_data(Node& node);
}  // namespace motcua::node
