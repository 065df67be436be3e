// c:store(name, options) and the store handle: the application's database as a node of the
// cluster's world (crashable, pausable, partitionable through the fault methods, which take
// the handle as their node), and its durable state for checks after the run.
#include <algorithm>
#include <climits>

#include <fmt/format.h>

#include "broker_model/app/store.hpp"
#include "broker_model/cluster_builder.hpp"
#include "sim/lua/caps.hpp"
#include "sim/lua/cluster.hpp"
#include "sim/lua/cluster_handles.hpp"
#include "sim/lua/runtime.hpp"

namespace sim::lua {

namespace {

constexpr const char* kStoreMeta = "kafkasim.store";

StoreHandle& store(lua_State* L) { return check_object<StoreHandle>(L, 1, "a store"); }

int l_store(lua_State* L) {
  Cluster& c = check_object<Cluster>(L, 1, "a cluster");
  Runtime& rt = Runtime::of(L);
  const std::string name = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "";
  if (name.empty()) fail("store(name, options): give the store a name, e.g. c:store(\"read-model\", { latency = \"2ms\" })");
  if (c.world().find(name)) fail(fmt::format("store: the name '{}' is taken", name));
  if (static_cast<int64_t>(c.layout.stores.size()) >= caps::kStores) {
    fail(fmt::format("store: at most {} stores in a run (kafkasim's cap)", caps::kStores));
  }
  kafka::StoreConfig config;
  if (!lua_isnoneornil(L, 3)) {
    TableReader r(L, 3, "store options", {"latency", "idle_in_transaction_session_timeout"});
    if (auto d = r.duration_dist("latency")) config.latency = *d;
    if (auto d = r.duration("idle_in_transaction_session_timeout")) config.idle_in_transaction_timeout = *d;
  }
  auto handle = std::make_unique<StoreHandle>();
  handle->cluster = &c;
  handle->name = name;
  handle->node = kafka::start_store(c.world(), c.layout, name, config);
  rt.register_store(name);
  rt.adopt(L, std::move(handle), kStoreMeta);
  return 1;
}

// A store key from Lua: a string, or a number written as Lua's tostring writes it.
std::string key_arg(lua_State* L, int idx, const char* what) {
  if (lua_type(L, idx) == LUA_TSTRING) {
    size_t len = 0;
    const char* s = lua_tolstring(L, idx, &len);
    return std::string(s, len);
  }
  if (const auto n = to_whole(L, idx)) return std::to_string(*n);
  fail(fmt::format("{}: expected a key (a string), got {}", what, describe(L, idx)));
}

// A stored value as scenario code reads it: a counter (a value written as a whole number, as
// increment writes them) as an integer, anything else as the string stored.
void push_value(lua_State* L, const std::string& value) {
  const std::optional<int64_t> n = kafka::parse_counter(value);
  if (n && std::to_string(*n) == value) lua_pushinteger(L, static_cast<lua_Integer>(*n));
  else lua_pushlstring(L, value.data(), value.size());
}

// The state the store's disk holds: every transaction it committed, whether it runs or not.
kafka::StoreState durable_state(StoreHandle& s) {
  kafka::StoreState state;
  state.replay(kafka::durable_store_log(s.cluster->world().disk(s.node)));
  return state;
}

int l_get(lua_State* L) {
  StoreHandle& s = store(L);
  const std::string key = key_arg(L, 2, "get(key)");
  const auto value = durable_state(s).get(key);
  if (value) push_value(L, *value);
  else lua_pushnil(L);
  return 1;
}

int l_dump(lua_State* L) {
  StoreHandle& s = store(L);
  const kafka::StoreState state = durable_state(s);
  lua_createtable(L, 0, static_cast<int>(std::min<size_t>(state.data().size(), INT32_MAX)));
  for (const auto& [key, value] : state.data()) {  // in key order
    lua_pushlstring(L, key.data(), key.size());
    push_value(L, value);
    lua_rawset(L, -3);
  }
  return 1;
}

int l_name(lua_State* L) {
  lua_pushstring(L, store(L).name.c_str());
  return 1;
}

}  // namespace

int cluster_store(lua_State* L) { return guarded<l_store>(L); }

void register_store_metatable(lua_State* L) {
  static const luaL_Reg methods[] = {{"get", guarded<l_get>}, {"dump", guarded<l_dump>}, {"name", guarded<l_name>}, {nullptr, nullptr}};
  register_handle(L, kStoreMeta, "store", methods);
}

}  // namespace sim::lua
