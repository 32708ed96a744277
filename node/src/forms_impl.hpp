// Shared by forms.cpp and report.cpp: the facts of a dossier that the forms
// and Biểu 06 count, read from its projection.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "motcua/canonical.hpp"

namespace motcua::node {
class Node;
}

namespace motcua::node::forms_impl {

std::optional<int64_t> ms_of(const Json& iso);

// How a dossier left the counter's hands, if it did.
enum class Closure { Open, Settled, Refused, Withdrawn };

struct Facts {
  int64_t received_ms = 0;
  Closure closure = Closure::Open;
  int64_t closed_ms = 0;
  // (since, due): the due date in force from `since` on, apologies left out
  // (a new date after an apology does not make a late dossier on time).
  std::vector<std::pair<int64_t, int64_t>> dues;
  // [from, until) of every wait on the citizen; an open wait ends at INT64_MAX.
  std::vector<std::pair<int64_t, int64_t>> pauses;

  std::optional<int64_t> due_at(int64_t t) const;
  bool paused_at(int64_t t) const;
};

// From the projection's received_at, result_ready_at, first handover time,
// refusal, cancelled, stop, withdrawal, due_history, pauses and paused.
Facts facts_of(const std::string& received_at, const std::string& result_ready_at, const std::string& handed_over_at,
               const std::string& refused_at, const std::string& cancelled_at, const std::string& stopped_at,
               bool withdrawal_requested, const Json& due_history, const Json& pauses, const std::string& paused_since);
Facts facts_of(const Json& state);

// Full name of a user of this node if its user store knows one, else `username`.
std::string display_name(Node& node, const std::string& username);

}  // namespace motcua::node::forms_impl
