#include "harness.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <unistd.h>

#include "motcua/json_read.hpp"

namespace motcua::fuzz {

namespace {
bool g_throw = false;
}

const std::vector<Target>& targets() {
  static const std::vector<Target> all = {
      {"http_bodies", http_bodies}, {"sync_decode", sync_decode}, {"entry_parse", entry_parse},
      {"bundle", bundle},           {"cccd_qr", cccd_qr},         {"catalogue", catalogue},
      {"sync_client", sync_client},
  };
  return all;
}

void fail(const std::string& what) {
  if (g_throw) throw FuzzFailure(what);
  std::fprintf(stderr, "\n==FUZZ FAILURE== %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

void throw_on_failure(bool on) { g_throw = on; }

bool verbose() {
  static const bool on = std::getenv("MOTCUA_FUZZ_VERBOSE") != nullptr;
  return on;
}

std::string Input::line() {
  size_t start = i_;
  while (i_ < n_ && p_[i_] != '\n') ++i_;
  std::string s(p_ + start, i_ - start);
  if (i_ < n_) ++i_;
  return s;
}

Json parse_lenient(std::string_view text) {
  auto j = read_json(text, JsonLimits{text.size(), kMaxJsonDepth});
  return j.ok() ? std::move(j.value()) : Json(Json::value_t::discarded);
}

void check_error_json(const std::string& body, const std::string& context) {
  Json j = parse_lenient(body);
  if (j.is_discarded() || !j.is_object()) fail(context + ": error answer is not a JSON object: " + body.substr(0, 200));
  auto it = j.find("error");
  if (it == j.end() || !it->is_object()) fail(context + ": error answer has no error object: " + body.substr(0, 200));
  const Json& e = *it;
  if (!e.contains("code") || !e["code"].is_string() || e["code"].get<std::string>().empty())
    fail(context + ": error without a code: " + body.substr(0, 200));
  if (!e.contains("message") || !e["message"].is_string())
    fail(context + ": error without a message: " + body.substr(0, 200));
  if (e.contains("field") && !e["field"].is_string()) fail(context + ": error field is not a string");
}

std::string scratch_dir(const std::string& tag) {
  std::string tmpl = (std::filesystem::temp_directory_path() / ("motcua-fuzz-" + tag + "-XXXXXX")).string();
  if (!::mkdtemp(tmpl.data())) fail("cannot create a scratch directory under " + tmpl);
  return tmpl;
}

void remove_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace motcua::fuzz
