// The documents a birth registration (procedure 1.001193 of data/procedures.json)
// must be handed in with: every mandatory one, one original each. Shared by the
// tests, the fuzz seeds and the benchmarks that take such a dossier in.
#pragma once
#include "motcua/canonical.hpp"

namespace motcua::test {

inline Json birth_registration_documents() {
  auto one = [](const char* name) { return Json{{"name", name}, {"originals", 1}, {"copies", 0}}; };
  return Json::array({one("Tờ khai đăng ký khai sinh theo mẫu"),
                      one("Bản chính Giấy chứng sinh (không có thì văn bản của người làm chứng hoặc giấy cam đoan về "
                          "việc sinh)"),
                      one("Giấy tờ tùy thân của người đi đăng ký (xuất trình)")});
}

}  // namespace motcua::test
