#include "dossier_rules.hpp"

#include <algorithm>

#include "motcua/node/dossiers.hpp"

namespace motcua::node::rules {

std::string status_name(int s) {
  switch (s) {
    case kNew: return "Mới đăng ký";
    case kAccepted: return "Được tiếp nhận";
    case kRefused: return "Không được tiếp nhận";
    case kProcessing: return "Đang xử lý";
    case kSupplement: return "Yêu cầu bổ sung";
    case kFees: return "Yêu cầu nghĩa vụ tài chính";
    case kWithdrawal: return "Công dân yêu cầu rút";
    case kStopped: return "Dừng xử lý";
    case kResultReady: return "Đã xử lý xong";
    case kHandedOver: return "Đã trả kết quả";
    default: return "";
  }
}

const std::vector<ActRule>& act_rules() {
  using R = UserRole;
  const std::vector<UserRole> counter = {R::Clerk, R::Postal};
  const std::vector<UserRole> officer = {R::Officer};
  static const std::vector<ActRule> rules = {
      {"update", events::kUpdated, counter, {kNew, kSupplement}, Acceptance::BeforeOnly, Target::Same, 0, false},
      {"cancel", events::kCancelled, counter, {kNew, kSupplement}, Acceptance::BeforeOnly, Target::Same, 0, false},
      {"accept", events::kAccepted, officer, {kNew}, Acceptance::Any, Target::To, kAccepted, false},
      {"reject", events::kRejected, officer, {kNew, kSupplement}, Acceptance::BeforeOnly, Target::To, kRefused, false},
      {"request-supplement", events::kSupplementRequested, officer, {kNew, kAccepted, kProcessing}, Acceptance::Any,
       Target::To, kSupplement, true},
      {"supplement", events::kSupplementSupplied, counter, {kSupplement}, Acceptance::Any, Target::Resume, 0, false},
      {"start-processing", events::kProcessingStarted, officer, {kAccepted, kWithdrawal}, Acceptance::Any, Target::To,
       kProcessing, false},
      {"request-fees", events::kFeesRequested, officer, {kAccepted, kProcessing}, Acceptance::Any, Target::To, kFees,
       true},
      {"fees", events::kFeesCollected, counter, {kNew, kAccepted, kProcessing, kFees, kResultReady}, Acceptance::Any,
       Target::Same, 0, false},
      {"withdraw-request", events::kWithdrawalRequested, counter, {kAccepted, kProcessing, kSupplement, kFees},
       Acceptance::AfterOnly, Target::To, kWithdrawal, false},
      {"stop", events::kStopped, officer, {kAccepted, kProcessing, kSupplement, kFees, kWithdrawal},
       Acceptance::AfterOnly, Target::To, kStopped, false},
      {"result-ready", events::kResultReady, officer, {kAccepted, kProcessing}, Acceptance::Any, Target::To,
       kResultReady, false},
      {"apologize", events::kApologized, officer, {kNew, kAccepted, kProcessing, kSupplement, kFees, kWithdrawal},
       Acceptance::Any, Target::Same, 0, false},
      {"handover", events::kHandedOver, counter, {kResultReady}, Acceptance::Any, Target::To, kHandedOver, false},
      {"delivery-failed", events::kDeliveryFailed, {R::Postal}, {kResultReady}, Acceptance::Any, Target::Same, 0,
       false},
  };
  return rules;
}

const ActRule* rule_for_action(const std::string& action) {
  for (const auto& r : act_rules())
    if (r.action == action) return &r;
  return nullptr;
}

const ActRule* rule_for_event(const std::string& event) {
  for (const auto& r : act_rules())
    if (r.event == event) return &r;
  return nullptr;
}

bool role_allowed(const ActRule& r, UserRole role) {
  return std::find(r.roles.begin(), r.roles.end(), role) != r.roles.end();
}

bool status_allows(const ActRule& r, int status, bool accepted, bool closed) {
  if (closed) return false;
  if (r.acceptance == Acceptance::BeforeOnly && accepted) return false;
  if (r.acceptance == Acceptance::AfterOnly && !accepted) return false;
  return std::find(r.from.begin(), r.from.end(), status) != r.from.end();
}

std::string describe_status(int status, bool cancelled) {
  std::string s = "dossier is in status " + std::to_string(status) + " (" + status_name(status) + ")";
  if (cancelled) s += " and was cancelled";
  return s;
}

}  // namespace motcua::node::rules
