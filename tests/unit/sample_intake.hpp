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

// A counter intake of that procedure (the body of POST /api/v1/dossiers).
inline Json birth_registration_intake() {
  return Json{{"procedure_code", "1.001193"},
              {"applicant",
               {{"full_name", "Nguyễn Văn An"},
                {"cccd", "001099012345"},
                {"phone", "0912345678"},
                {"address", "Thôn Đông, xã Ân Thi, Hưng Yên"}}},
              {"channel", "counter"},
              {"form", {{"child_name", "Nguyễn Văn Bình"}}},
              {"attachments", Json::array()},
              {"documents", birth_registration_documents()}};
}

}  // namespace motcua::test
