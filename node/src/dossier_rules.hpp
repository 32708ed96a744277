// The life of a dossier (DOMAIN.md "Life of a dossier"): status codes and
// names, and which act each role may take from which status. Shared by the
// service (to refuse an act before it is written) and the projector (to apply
// the acts of every node in one deterministic order).
#pragma once
#include <string>
#include <vector>

#include "motcua/node/users.hpp"

namespace motcua::node::rules {

constexpr int kNew = 1;             // Mới đăng ký
constexpr int kAccepted = 2;        // Được tiếp nhận
constexpr int kRefused = 3;         // Không được tiếp nhận
constexpr int kProcessing = 4;      // Đang xử lý
constexpr int kSupplement = 5;      // Yêu cầu bổ sung
constexpr int kFees = 6;            // Yêu cầu nghĩa vụ tài chính
constexpr int kWithdrawal = 7;      // Công dân yêu cầu rút
constexpr int kStopped = 8;         // Dừng xử lý
constexpr int kResultReady = 9;     // Đã xử lý xong
constexpr int kHandedOver = 10;     // Đã trả kết quả

// Vietnamese name of a status code ("" when unknown).
std::string status_name(int status);

// Where an act leaves the status.
enum class Target {
  Same,     // status unchanged
  To,       // to `to`
  Resume,   // back to the status before the clock was paused
};

// When an act is allowed relative to acceptance.
enum class Acceptance { Any, BeforeOnly, AfterOnly };

struct ActRule {
  std::string action;  // path word of API.md ("accept", ...); "update" for PATCH
  std::string event;   // journal event type
  std::vector<UserRole> roles;
  std::vector<int> from;  // statuses it may be taken from
  Acceptance acceptance = Acceptance::Any;
  Target target = Target::Same;
  int to = 0;
  bool pauses = false;  // starts a wait on the citizen (clock stops)
};

// Every act except intake, in API.md order.
const std::vector<ActRule>& act_rules();
const ActRule* rule_for_action(const std::string& action);
const ActRule* rule_for_event(const std::string& event);

bool role_allowed(const ActRule& r, UserRole role);
// Whether the act may be taken now; `accepted` is whether the dossier was
// ever accepted, `closed` whether it was cancelled.
bool status_allows(const ActRule& r, int status, bool accepted, bool closed);

// "dossier is in status 2 (Được tiếp nhận)" (+ "and was cancelled").
std::string describe_status(int status, bool cancelled);

}  // namespace motcua::node::rules
