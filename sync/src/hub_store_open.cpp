// The hub's store chosen by its configuration (hub_store, hub_postgres;
// docs/postgres.md, docs/design/0111): the factory every production caller
// uses, and the rules of `motcua config set` for those two keys.
#include <map>
#include <mutex>

#include <SQLiteCpp/SQLiteCpp.h>

#include "hub_store_pg.hpp"
#include "motcua/node/node.hpp"
#include "motcua/schema/storage.hpp"
#include "motcua/sync/hub_log.hpp"
#include "motcua/sync/hub_store.hpp"

namespace motcua::sync {

namespace {

// Stores on PostgreSQL by (data directory, connection string), held weakly:
// while the daemon's Hub holds its store, every other caller (routes,
// retention, alerts) gets that same store and its pool of connections.
struct PgCache {
  std::mutex mu;
  std::map<std::string, std::weak_ptr<HubStore>> by_key;
};

PgCache& pg_cache() {
  static PgCache* c = new PgCache;  // never destroyed: stores may outlive static destruction order
  return *c;
}

// THE ONE PLACE where a hub's state on PostgreSQL is put together from its
// connection string. Today that is the bookkeeping store (PgHubStore); the
// journal's shared log on PostgreSQL (hub_log_pg) is to be attached here as
// well, so that everything the hub keeps comes from one configuration, one
// cache entry and one pool. `node` is the hub whose state it is.
std::shared_ptr<HubStore> open_postgres_hub_state(node::Node& node, const std::string& conninfo) {
  // The journal too (docs/design/0112): a failure here (the server down)
  // leaves the journal refusing writes; the next sync request tries again.
  (void)attach_hub_journal(node);
  return std::shared_ptr<HubStore>(make_postgres_hub_store(conninfo));
}

// known_points() of a hub whose store is not its own database asks the store
// (node::Node::points_source). The hook holds the store, so a call never opens
// a connection nor goes through the cache's lock (intake calls it under the
// journal's lock); a switch of store clears it until the next open_hub_store.
void install_points_source(node::Node& node, const std::shared_ptr<HubStore>& store) {
  node.set_points_source([store]() -> Result<Json> {
    try {
      return hub_active_points(*store);
    } catch (const HubStoreFailure& e) {
      return e.error;
    }
  });
}

Error with_field(Error e, const std::string& field) {
  e.field = field;
  return e;
}

}  // namespace

Status attach_hub_journal(node::Node& node) {
  if (node.journal().shared()) return ok_status();
  if (node.role() != node::Role::Hub || node.config().get("hub_store") != "postgres") return ok_status();
  const std::string conninfo = node.config().get("hub_postgres");
  if (conninfo.empty())
    return make_error("storage", "hub_store is postgres but hub_postgres is not set", "hub_postgres");
  Status s = attach_postgres_log(node, conninfo);
  if (!s.ok())
    node.journal().require_shared("this hub keeps its journal on PostgreSQL (" + describe_conninfo(conninfo) +
                                  ") and cannot reach it now: " + s.error().message);
  return s;
}

HubStoreChoice hub_store_choice(node::Node& node) {
  if (node.role() != node::Role::Hub || node.config().get("hub_store") != "postgres")
    return HubStoreChoice{"sqlite", node::db_path(node.data_dir())};
  const std::string conninfo = node.config().get("hub_postgres");
  return HubStoreChoice{"postgres", conninfo.empty() ? std::string("(hub_postgres is not set)") : describe_conninfo(conninfo)};
}

Json hub_active_points(HubStore& store) {
  Json out = Json::array();
  for (const auto& p : store.points())  // by name
    if (p.status == "active") out.push_back(Json{{"name", p.name}, {"place_name", p.place_name}});
  return out;
}

std::shared_ptr<HubStore> open_hub_store(node::Node& node) {
  if (node.role() != node::Role::Hub || node.config().get("hub_store") != "postgres") {
    if (node.role() == node::Role::Hub) node.set_points_source(nullptr);  // its own table hub_points
    return std::shared_ptr<HubStore>(make_sqlite_hub_store(node));
  }
  const std::string conninfo = node.config().get("hub_postgres");
  if (conninfo.empty()) {
    auto failing = std::make_shared<pg_store::PgHubStore>(
        "", make_error("storage",
                       "hub_store is postgres but hub_postgres is not set: motcua config set hub_postgres "
                       "'host=... port=... dbname=... user=...'"));
    install_points_source(node, failing);
    return failing;
  }
  const std::string key = node.data_dir() + "\n" + conninfo;
  PgCache& c = pg_cache();
  std::lock_guard<std::mutex> g(c.mu);
  for (auto it = c.by_key.begin(); it != c.by_key.end();)
    if (it->second.expired()) it = c.by_key.erase(it);
    else ++it;
  if (auto it = c.by_key.find(key); it != c.by_key.end())
    if (auto held = it->second.lock()) {
      (void)attach_hub_journal(node);  // another Node object of the same hub (tests, the CLI)
      install_points_source(node, held);
      return held;
    }
  auto store = open_postgres_hub_state(node, conninfo);
  c.by_key[key] = store;
  install_points_source(node, store);
  return store;
}

Result<std::string> hub_store_holdings(node::Node& node) try {
  std::vector<std::string> held;
  {
    std::lock_guard<std::recursive_mutex> g(node.journal().mutex());
    SQLite::Statement q(*node.db(), "SELECT count(*) FROM authors WHERE author <> ?");
    q.bind(1, node.keys().pk.data(), static_cast<int>(node.keys().pk.size()));
    q.executeStep();
    if (const int64_t n = q.getColumn(0).getInt64(); n > 0)
      held.push_back("entries of " + std::to_string(n) + " other signer" + (n == 1 ? "" : "s"));
  }
  if (const size_t n = open_hub_store(node)->points().size(); n > 0)
    held.push_back(std::to_string(n) + " registered point" + (n == 1 ? "" : "s"));
  std::string out;
  for (const auto& h : held) out += (out.empty() ? "" : " and ") + h;
  return out;
} catch (const HubStoreFailure& e) {
  return e.error;
} catch (const SQLite::Exception& e) {
  return schema::storage_error(e);
}

Status set_node_config(node::Node& node, const std::string& key, const std::string& value) {
  if (key != "hub_store" && key != "hub_postgres") return node.config().set(key, value);
  if (node.role() != node::Role::Hub)
    return make_error("invalid_value",
                      key + " is a hub setting; this node is a " + node::role_name(node.role()) +
                          " (a point keeps its sync bookkeeping in its own database)",
                      key);
  const std::string cur_kind = node.config().get("hub_store"), cur_pg = node.config().get("hub_postgres");
  std::string kind = cur_kind, conninfo = cur_pg;
  if (key == "hub_store") {
    if (value != "sqlite" && value != "postgres")
      return make_error("invalid_value", "hub_store must be sqlite or postgres", key);
    kind = value;
  } else {
    if (!value.empty()) {
      Status ok = check_conninfo(value);
      if (!ok.ok()) return with_field(ok.error(), key);
    }
    conninfo = value;
  }
  if (kind == "postgres" && conninfo.empty())
    return make_error("invalid_value",
                      "hub_store postgres needs hub_postgres first: motcua config set hub_postgres 'host=... port=... "
                      "dbname=... user=...' (the password goes in PGPASSFILE or ~/.pgpass, never here)",
                      key);
  const bool switches = kind != cur_kind || (kind == "postgres" && conninfo != cur_pg);
  if (switches) {
    auto held = hub_store_holdings(node);
    if (!held.ok()) return with_field(held.error(), key);
    if (!held->empty())
      return make_error("conflict",
                        "this hub already holds " + *held + " in its " + cur_kind +
                            " store; a setting cannot move them. Copy the hub's state with motcua hub copy-store "
                            "instead (docs/postgres.md)",
                        key);
    if (kind == "postgres") {
      // Reachable, and its schema brought up to date, before the hub relies on it.
      auto opened = open_postgres_hub_store(conninfo);
      if (!opened.ok()) return with_field(opened.error(), key);
    }
  }
  Status set = node.config().set(key, value);
  // The old store's hook goes; the next open_hub_store installs the new one's
  // (opening it here would attach the journal as a side effect of a setting).
  if (set.ok() && switches) node.set_points_source(nullptr);
  return set;
}

}  // namespace motcua::sync
