#pragma once
// cluster { ... }: a Kafka cluster (controller, brokers) and its clients as Lua handles.
#include <lua5.4/lua.hpp>

namespace sim::lua {

class Cluster;

void register_cluster(lua_State* L);
// An internal topic Kafka creates at the first FindCoordinator for it (__consumer_offsets,
// __transaction_state); here with the first client that needs it, once per cluster.
struct InternalTopic {
  const char* name;
  const char* partitions_key;
  const char* replication_factor_key;
  const char* min_isr_key;  // null: the broker's min.insync.replicas
  const char* who;          // the scenario call that needs it, for errors
  bool Cluster::*requested;
};
void ensure_internal_topic(Cluster& c, const InternalTopic& t);
// __transaction_state, for the first transactional producer (`what`: the call that needs it).
void ensure_transaction_state_topic(Cluster& c, const char* what);

// c:group(...) (the cluster method) and the group and member handles.
int cluster_group(lua_State* L);
void register_group_metatables(lua_State* L);
// c:store(...) (the cluster method) and the store handle.
int cluster_store(lua_State* L);
void register_store_metatable(lua_State* L);
// The `kafka` table: murmur2, partition_for, defaults.
void register_kafka_library(lua_State* L);

}  // namespace sim::lua
