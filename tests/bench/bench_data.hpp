// Vietnamese-looking sample data and a small deterministic generator shared by
// the sync benchmarks (sync_bench, hub_load).
#pragma once
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>

namespace motcua::bench {

inline const char* kFamily[] = {"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"};
inline const char* kMiddle[] = {"Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quang", "Thu", "Xuân"};
inline const char* kGiven[] = {"An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Lan", "Linh", "Mai",
                        "Nam", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Vy", "Yến"};
inline const char* kVillage[] = {"Thôn Trung", "Thôn Đông", "Thôn Bắc", "Xóm Mới", "Thôn Hạ", "Khu phố 3", "Thôn Cao"};
inline const char* kCommune[] = {"xã Ân Thi", "xã Phạm Ngũ Lão", "xã Nguyễn Trãi", "xã Xuân Trúc", "xã Quảng Lãng"};
inline const char* kProcs[] = {"1.004873", "1.001193", "1.000656", "2.000908", "1.003583", "1.001022"};
inline const char* kNotes[] = {"Hồ sơ đầy đủ thành phần theo quy định",
                        "Công dân nộp bản sao có chứng thực giấy khai sinh",
                        "Đã kiểm tra thông tin trên cơ sở dữ liệu quốc gia về dân cư",
                        "Chuyển phòng chuyên môn thẩm định theo thẩm quyền",
                        "Kết quả đã ký số, chờ trả tại bộ phận một cửa",
                        "Công dân đề nghị nhận kết quả qua dịch vụ bưu chính công ích"};

struct Gen {
  uint64_t s;
  uint64_t next() {
    s += 0x9e3779b97f4a7c15ULL;
    uint64_t z = s;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  template <size_t N>
  const char* of(const char* (&a)[N]) { return a[next() % N]; }
  std::string digits(int n) {
    std::string d;
    for (int i = 0; i < n; ++i) d.push_back(static_cast<char>('0' + next() % 10));
    return d;
  }
};

inline std::string iso(int64_t ms) {
  time_t t = static_cast<time_t>(ms / 1000);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

}  // namespace motcua::bench
