// What this binary is: its release (the CMake project version, the one place
// it is set), the journal entry format it writes, the database schema it
// migrates to, and the sync protocol it speaks. `motcua --version` prints
// version_line(); the Debian package carries the same release.
#pragma once
#include <string>

namespace motcua::sync {

// The sync protocol's message version (the "v" of every /sync/v2 message).
constexpr int kProtocolVersion = 2;

// "0.1.0": project(motcua VERSION ...) in the top-level CMakeLists.txt.
const char* release_version();
int protocol_version();
// "motcua 0.1.0 (journal v1, database schema 13, sync protocol v2)"
std::string version_line();

}  // namespace motcua::sync
