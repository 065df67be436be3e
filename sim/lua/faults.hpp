#pragma once
// The fault and topology methods shared by every handle that owns nodes (the testbed now,
// the Kafka cluster later): crash, shutdown, restart, restart_all, pause, resume, partition,
// block, isolate, heal, slow_network, slow_disk, and the queries reachable, components, state.
#include <lua5.4/lua.hpp>

#include <string>
#include <vector>

#include "sim/lua/object.hpp"
#include "sim/world.hpp"

namespace sim::lua {

class FaultTarget : public LuaObject {
 public:
  virtual World& world() = 0;
  // The node the Lua value at idx names (a name, a number, a handle), or a ScenarioError.
  virtual NodeId resolve(lua_State* L, int idx, const std::string& what) = 0;
  // Every node of the handle: what restart_all restarts and slow_network defaults to.
  virtual std::vector<NodeId> nodes() = 0;
};

// Adds the methods to the table on top of the stack.
void add_fault_methods(lua_State* L);

// Applies a `network = { latency, jitter, loss, bandwidth, between_racks, detect }` table
// at stack index idx to the world's default links.
void configure_network(World& world, lua_State* L, int idx, const std::string& what);

}  // namespace sim::lua
