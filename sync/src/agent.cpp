// The sync agent of a running daemon (first cut: answers status; sessions
// arrive with the protocol implementation).
#include "motcua/sync/agent.hpp"

#include "motcua/node/node.hpp"

namespace motcua::sync {

namespace {

class BasicAgent final : public SyncAgent {
 public:
  explicit BasicAgent(node::Node& node) : node_(node) {}
  void start() override {}
  void stop() override {}
  Result<Json> sync_now() override {
    if (node_.role() == node::Role::Hub)
      return make_error("not_a_point", "a hub does not sync by itself; points sync with it");
    if (node_.config().get("hub_url").empty())
      return make_error("no_hub", "no hub configured (run: motcua join --hub URL --code CODE)", "hub_url");
    return make_error("not_implemented", "sync sessions are not available in this build yet");
  }
  Json status() override {
    return Json{{"role", node::role_name(node_.role())}, {"connected", false}, {"hub_url", node_.config().get("hub_url")},
                {"last_success", nullptr}};
  }
  Json sync_log(const std::string&, const std::string&) override { return Json{{"sessions", Json::array()}, {"alerts", Json::array()}}; }
  std::string metrics() override { return ""; }

 private:
  node::Node& node_;
};

}  // namespace

std::unique_ptr<SyncAgent> make_sync_agent(node::Node& node) { return std::make_unique<BasicAgent>(node); }

}  // namespace motcua::sync
