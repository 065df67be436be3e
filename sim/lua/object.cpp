#include "sim/lua/object.hpp"

namespace sim::lua {

void push_object(lua_State* L, LuaObject* obj, const char* metatable) {
  auto** p = static_cast<LuaObject**>(lua_newuserdatauv(L, sizeof(LuaObject*), 0));
  *p = obj;
  luaL_setmetatable(L, metatable);
}

}  // namespace sim::lua
