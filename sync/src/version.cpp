// The binary's versions (see motcua/sync/version.hpp and docs/cli.md).
#include "motcua/sync/version.hpp"

#include "motcua/node/entry.hpp"
#include "motcua/schema/database.hpp"
#include "motcua_release_version.hpp"  // generated from version.hpp.in

namespace motcua::sync {

const char* release_version() { return MOTCUA_RELEASE_VERSION; }

int protocol_version() { return kProtocolVersion; }

std::string version_line() {
  return std::string("motcua ") + release_version() + " (journal v" + std::to_string(node::kEntryFormatVersion) +
         ", database schema " + std::to_string(schema::schema_version()) + ", sync protocol v" +
         std::to_string(protocol_version()) + ")";
}

}  // namespace motcua::sync
