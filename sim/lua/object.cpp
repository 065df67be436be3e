#include "sim/lua/object.hpp"

#include "sim/lua/faults.hpp"

namespace sim::lua {

void push_object(lua_State* L, LuaObject* obj, const char* metatable) {
  auto** p = static_cast<LuaObject**>(lua_newuserdatauv(L, sizeof(LuaObject*), 0));
  *p = obj;
  luaL_setmetatable(L, metatable);
}

void register_handle(lua_State* L, const char* metatable, const char* kind, const luaL_Reg* methods, bool with_faults) {
  luaL_newmetatable(L, metatable);
  lua_newtable(L);
  if (with_faults) add_fault_methods(L);
  luaL_setfuncs(L, methods, 0);
  lua_setfield(L, -2, "__index");
  lua_pushstring(L, kind);
  lua_setfield(L, -2, "__name");
  lua_pop(L, 1);
}

}  // namespace sim::lua
