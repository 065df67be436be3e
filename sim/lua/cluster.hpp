#pragma once
// cluster { ... }: a Kafka cluster (controller, brokers) and its clients as Lua handles.
#include <lua5.4/lua.hpp>

namespace sim::lua {

void register_cluster(lua_State* L);
// c:group(...) (the cluster method) and the group and member handles.
int cluster_group(lua_State* L);
void register_group_metatables(lua_State* L);
// c:store(...) (the cluster method) and the store handle.
int cluster_store(lua_State* L);
void register_store_metatable(lua_State* L);
// The `kafka` table: murmur2, partition_for, defaults.
void register_kafka_library(lua_State* L);

}  // namespace sim::lua
