// The `kafka` table: Kafka's own functions, for scenarios and for checking expectations.
#include <fmt/format.h>

#include "broker_model/client/partitioner.hpp"
#include "broker_model/config/config.hpp"
#include "sim/lua/cluster.hpp"
#include "sim/lua/lua_util.hpp"
#include "sim/lua/runtime.hpp"

namespace sim::lua {

namespace {

int l_murmur2(lua_State* L) {
  size_t len = 0;
  const char* bytes = luaL_checklstring(L, 1, &len);
  lua_pushinteger(L, kafka::murmur2(std::string_view(bytes, len)));
  return 1;
}

int l_coordinator_partition(lua_State* L) {
  size_t len = 0;
  const char* id = luaL_checklstring(L, 1, &len);
  const lua_Integer n = luaL_checkinteger(L, 2);
  if (n < 1 || n > INT32_MAX) fail("kafka.coordinator_partition(group_id, n): n must be a positive number of partitions");
  lua_pushinteger(L, kafka::coordinator_partition(std::string_view(id, len), static_cast<int32_t>(n)));
  return 1;
}

int l_partition_for(lua_State* L) {
  size_t len = 0;
  const char* key = luaL_checklstring(L, 1, &len);
  const lua_Integer n = luaL_checkinteger(L, 2);
  if (n < 1 || n > INT32_MAX) fail("kafka.partition_for(key, n): n must be a positive number of partitions");
  lua_pushinteger(L, kafka::partition_for_key(std::string_view(key, len), static_cast<int32_t>(n)));
  return 1;
}

void push_configs(lua_State* L, const kafka::ConfigSet& cfg) {
  lua_newtable(L);
  for (const auto& [k, v] : cfg.describe()) {
    lua_pushstring(L, v.c_str());
    lua_setfield(L, -2, k.c_str());
  }
}

int l_defaults(lua_State* L) {
  const std::string text = lua_isnoneornil(L, 1) ? Runtime::of(L).info().kafka_version : luaL_checkstring(L, 1);
  const auto& known = kafka_versions();
  if (std::find(known.begin(), known.end(), text) == known.end()) {
    fail(fmt::format("kafka.defaults: unknown version \"{}\"{}", text, suggestion(text, known)));
  }
  const auto v = *kafka::KafkaVersion::parse(text);
  lua_newtable(L);
  push_configs(L, kafka::ConfigSet(kafka::ConfigScope::broker, v));
  lua_setfield(L, -2, "broker");
  kafka::ConfigSet producer(kafka::ConfigScope::producer, v);
  kafka::finalize_producer(producer);
  push_configs(L, producer);
  lua_setfield(L, -2, "producer");
  return 1;
}

}  // namespace

void register_kafka_library(lua_State* L) {
  static const luaL_Reg fns[] = {{"murmur2", guarded<l_murmur2>},
                                 {"partition_for", guarded<l_partition_for>},
                                 {"coordinator_partition", guarded<l_coordinator_partition>},
                                 {"defaults", guarded<l_defaults>},
                                 {nullptr, nullptr}};
  luaL_newlib(L, fns);
  lua_setglobal(L, "kafka");
}

}  // namespace sim::lua
