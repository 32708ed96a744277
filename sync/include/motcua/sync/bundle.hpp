// A sync carried on a USB stick: the same signed messages as over the
// network, written to a file (docs/sync-protocol.md section 11).
//   point --(export)--> file --(import at hub)--> hub
//   hub   --(export --point NAME)--> file --(import at point)--> point
#pragma once
#include <string>

#include "motcua/canonical.hpp"
#include "motcua/result.hpp"

namespace motcua::node {
class Node;
}

namespace motcua::sync {

class Hub;

// At a point: a hello and push messages for this point's chain after the
// hub's last receipt. Returns {"file", "messages", "entries", "bytes"}.
Result<Json> export_point_bundle(node::Node& point, const std::string& file);
// At the hub: handles a point's bundle exactly as the network requests would
// be (signatures, replay, chain checks), and logs it. {"point", "stored", "messages"}.
Result<Json> import_point_bundle(Hub& hub, node::Node& hub_node, const std::string& file);
// At the hub: leases, reference data and the entries in `point`'s scope after
// the cursor it last reported. {"file", "messages", "entries", "bytes"}.
Result<Json> export_hub_bundle(Hub& hub, node::Node& hub_node, const std::string& point, const std::string& file);
// At a point: checks every message with the hub key, then applies it, each
// entry through the admission rules (`admission` false: only for tests whose
// subjects are not dossier codes). {"entries", "messages", "leases"}.
Result<Json> import_hub_bundle(node::Node& point, const std::string& file, bool admission = true);

}  // namespace motcua::sync
