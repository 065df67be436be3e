#pragma once
// Registration of the Lua globals, one function per area.
#include <lua5.4/lua.hpp>

namespace sim::lua {

// scenario, param, at, after, every, now, note, log, print
void register_core_globals(lua_State* L);
// testbed { ... }: kernel test nodes with the fault methods
void register_testbed(lua_State* L);

}  // namespace sim::lua
