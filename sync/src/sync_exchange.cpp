// The point's side of one request (the Exchange: encode, sign, send, check
// the hub's signature, decode) and what a session keeps of the hub's answers:
// state hashes, the clock correction, errors. Shared by the session
// (sync_client.cpp) and enrolment.
#include <algorithm>
#include <iostream>

#include <SQLiteCpp/SQLiteCpp.h>

#include "motcua/node/node.hpp"
#include "motcua/sync/hub_store.hpp"
#include "sync_auth.hpp"
#include "sync_client_internal.hpp"
#include "sync_codec.hpp"
#include "sync_util.hpp"

namespace motcua::sync {

namespace {

constexpr size_t kMaxMessage = (8u << 20) + (64u << 10);

}  // namespace

void note_states(HubStates& into, const Json& header) {
  auto it = header.find("states");
  if (it == header.end() || !it->is_object()) return;
  for (auto s = it->begin(); s != it->end(); ++s)
    if (s->is_string()) into[s.key()] = s->get<std::string>();
}

std::vector<std::string> check_states(node::Node& n, const HubStates& states) {
  std::vector<std::string> divergent;
  if (states.empty()) return divergent;
  const int64_t hub_has_self = util::state_get_int(n, "hub_has_self");
  auto store = open_hub_store(n);
  const int64_t now = n.clock().now_ms();
  constexpr int64_t kDayMs = 24 * 60 * 60 * 1000;
  for (const auto& [subject, hub_hex] : states) {
    std::string mine;
    {
      std::lock_guard<std::recursive_mutex> g(n.journal().mutex());
      SQLite::Statement own(*n.db(), "SELECT ifnull(max(seq), 0) FROM journal WHERE subject = ? AND author = ?");
      own.bind(1, subject);
      own.bind(2, n.keys().pk.data(), static_cast<int>(n.keys().pk.size()));
      own.executeStep();
      if (own.getColumn(0).getInt64() > hub_has_self) continue;  // the hub has not seen all of it yet
      SQLite::Statement q(*n.db(), "SELECT state_hash FROM projection WHERE subject = ?");
      q.bind(1, subject);
      if (q.executeStep()) {
        const SQLite::Column c = q.getColumn(0);
        mine = to_hex(reinterpret_cast<const uint8_t*>(c.getBlob()), static_cast<size_t>(c.getBytes()));
      }
    }
    if (mine == hub_hex) continue;
    divergent.push_back(subject);
    Alert a;
    a.at_ms = now;
    a.point = n.name();
    a.kind = "divergence";
    a.source = subject;
    a.detail = "hồ sơ " + subject + ": trạng thái ở điểm khác ở máy chủ / dossier " + subject +
               ": the state here differs from the hub's after the same entries (hub " + hub_hex.substr(0, 16) +
               "…, here " + (mine.empty() ? std::string("none") : mine.substr(0, 16) + "…") + ")";
    if (store->fold_alert(a, now - now % kDayMs) == 1) std::cerr << "motcua: divergence: " << a.detail << "\n";
  }
  return divergent;
}

void correct_clock(node::Node& n, int64_t skew_ms) {
  // Whatever the welcome says, a skew beyond a century is taken as a century
  // (no overflow below; such a point is far off anyway and says so).
  constexpr int64_t kCenturyMs = int64_t{100} * 366 * 24 * 3600 * 1000;
  skew_ms = std::clamp(skew_ms, -kCenturyMs, kCenturyMs);
  const int64_t before = n.business_offset_ms();
  const int64_t after = std::llabs(skew_ms) > kBusinessSkewMs ? skew_ms : 0;
  if (after == before) return;
  n.set_business_offset_ms(after);
  // Said once when the correction starts, changes by more than the threshold, or ends.
  if (after == 0)
    std::cerr << "motcua: đồng hồ máy đã khớp với máy chủ; bỏ hiệu chỉnh / this clock agrees with the hub again: "
                 "business times use it as it is\n";
  else if (before == 0 || std::llabs(after - before) > kBusinessSkewMs)
    std::cerr << "motcua: đồng hồ máy lệch " << after / 1000 << " giây so với máy chủ — đã hiệu chỉnh theo máy chủ / "
              << "this clock is " << after / 1000 << " s off the hub's: received_at, due_at and new dossier codes "
              << "use the hub's time\n";
}

Error error_from(const wire::Decoded& d, int status) {
  auto it = d.header.find("error");
  if (it == d.header.end() || !it->is_object())
    return make_error("hub_error", "the hub answered HTTP " + std::to_string(status));
  auto text = [&](const char* k, const std::string& dflt) {
    auto f = it->find(k);
    return f != it->end() && f->is_string() ? f->get<std::string>() : dflt;
  };
  return make_error(text("code", "hub_error"), "hub: " + text("message", "HTTP " + std::to_string(status)),
                    text("field", ""));
}

Result<wire::Decoded> Exchange::call(const std::string& kind, Json header, const std::vector<wire::WireEntry>& entries,
                                     size_t* bytes_up, size_t* bytes_down, std::string_view data) {
  header["type"] = kind;
  auto body = wire::encode(header, entries, data);
  if (!body.ok()) return body.error();
  return send(kind, std::move(body.value()), bytes_up, bytes_down);
}

Result<wire::Decoded> Exchange::send(const std::string& kind, std::string body, size_t* bytes_up,
                                     size_t* bytes_down) {
  // Within a session every request carries the next counter (1, 2, 3 ...);
  // hello and enrol, outside any session, carry 0.
  if (session != counted_session) {
    counted_session = session;
    counter = 0;
  }
  const int64_t count = session == "-" ? 0 : ++counter;
  WireRequest req = auth::make_request("/sync/v2/" + kind, std::move(body), node.keys(), session, count,
                                       node.clock().now_ms());
  if (bytes_up) *bytes_up = req.body.size();
  const auth::Binding binding = auth::binding_of(req);
  auto res = transport.exchange(req);
  if (!res.ok()) return res.error();
  if (hub_known) {
    Status s = auth::check_response(res.value(), hub, binding);
    if (!s.ok()) return s.error();
  }
  last_response = res.value();
  last_binding = binding;
  if (bytes_down) *bytes_down = res->body.size();
  auto d = wire::decode(res->body, kMaxMessage);
  if (!d.ok()) return make_error(d.error().code, "hub reply: " + d.error().message);
  retry_after_s = 0;
  if (res->status != 200) {
    auto it = d->header.find("error");
    if (it != d->header.end() && it->is_object()) {
      auto ra = it->find("retry_after_s");
      if (ra != it->end() && ra->is_number_integer()) retry_after_s = std::clamp<int64_t>(ra->get<int64_t>(), 0, 3600);
    }
    return error_from(d.value(), res->status);
  }
  return d;
}

}  // namespace motcua::sync
