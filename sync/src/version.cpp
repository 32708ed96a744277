// The sync library: protocol and transport (see docs/sync-protocol.md).
namespace motcua::sync {
int protocol_version() { return 1; }
}
