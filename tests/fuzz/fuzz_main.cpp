// The entry point of one libFuzzer executable: fuzz_<name> is this file
// compiled with MOTCUA_FUZZ_ENTRY=<name> (tests/fuzz/CMakeLists.txt).
#include "harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return motcua::fuzz::MOTCUA_FUZZ_ENTRY(data, size);
}
