#include "sim/lua/object.hpp"

#include "sim/lua/faults.hpp"
#include "sim/lua/sandbox.hpp"

namespace sim::lua {

void push_object(lua_State* L, LuaObject* obj, const char* metatable) {
  auto* box = static_cast<HandleBox*>(lua_newuserdatauv(L, sizeof(HandleBox), 0));
  box->serial = Sandbox::of(L).heap().last_serial();
  box->object = obj;
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
  // getmetatable(handle) answers this instead of the metatable, so that no script can change
  // a handle's methods or give handles a finalizer.
  lua_pushstring(L, "a kafkasim handle");
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 1);
}

}  // namespace sim::lua
