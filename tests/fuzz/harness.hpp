// The bodies of the fuzz targets (docs/design/0040-fuzzing.md), shared by the
// libFuzzer executables (fuzz_main.cpp) and the regression test
// (tests/unit/fuzz_regressions_test.cpp), so a stored crash replays exactly
// what the fuzzer ran. Each body takes the bytes libFuzzer generated and
// returns 0; a fault is a sanitizer report or a call to fail().
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "motcua/canonical.hpp"

namespace motcua::fuzz {

int http_bodies(const uint8_t* data, size_t size);
int sync_decode(const uint8_t* data, size_t size);
int entry_parse(const uint8_t* data, size_t size);
int bundle(const uint8_t* data, size_t size);
int cccd_qr(const uint8_t* data, size_t size);
int catalogue(const uint8_t* data, size_t size);
int sync_client(const uint8_t* data, size_t size);

struct Target {
  const char* name;  // directory name under tests/fuzz/corpus and tests/fuzz/regressions
  int (*run)(const uint8_t*, size_t);
};
const std::vector<Target>& targets();

// A property the code under test broke.
struct FuzzFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// Reports `what`: prints it and aborts (libFuzzer keeps the input as a
// crash), or throws FuzzFailure once throw_on_failure(true) was called (the
// regression test, so Catch names the file instead of dying).
[[noreturn]] void fail(const std::string& what);
void throw_on_failure(bool on);

// Runs `f`; an exception escaping it is a failure: the code under test
// returns Result/Status and must not throw.
template <class F>
decltype(auto) no_throw(const char* what, F&& f) {
  try {
    return f();
  } catch (const FuzzFailure&) {
    throw;
  } catch (const std::exception& e) {
    fail(std::string(what) + ": exception escaped: " + e.what());
  } catch (...) {
    fail(std::string(what) + ": unknown exception escaped");
  }
}

// Reads the fuzz input a piece at a time; past the end every read gives 0/empty.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : p_(reinterpret_cast<const char*>(data)), n_(size) {}
  uint8_t byte() { return i_ < n_ ? static_cast<uint8_t>(p_[i_++]) : 0; }
  // Up to the next '\n' (not included; consumed), or the rest.
  std::string line();
  std::string rest() {
    std::string s(p_ + i_, n_ - i_);
    i_ = n_;
    return s;
  }
  size_t left() const { return n_ - i_; }

 private:
  const char* p_;
  size_t n_;
  size_t i_ = 0;
};

// True when MOTCUA_FUZZ_VERBOSE is set: the targets then print what each
// input did (route and status, message kind and answer), for replaying one
// input by hand.
bool verbose();

// Parses `text` as the daemon reads JSON from outside (read_json: at most
// kMaxJsonDepth levels); discarded when it is not JSON or nests deeper.
Json parse_lenient(std::string_view text);

// Checks an error answer: a JSON object {"error": {"code": string, "message":
// string, "field"?: string}}; fails naming `context` otherwise.
void check_error_json(const std::string& body, const std::string& context);

// A fresh directory for one target's nodes (removed when the process ends
// normally; deploy/fuzz.sh runs each fuzzer with its own TMPDIR it removes).
std::string scratch_dir(const std::string& tag);
void remove_dir(const std::string& dir);

}  // namespace motcua::fuzz
