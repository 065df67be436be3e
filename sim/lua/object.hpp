#pragma once
// Handles that scenario code holds (a testbed, later a cluster, a producer, a group): C++
// objects owned by the runtime, reached from Lua through a userdata holding a pointer.
#include <lua5.4/lua.hpp>

#include <cstdint>
#include <string>

#include "sim/lua/lua_util.hpp"

namespace sim::lua {

class LuaObject {
 public:
  virtual ~LuaObject() = default;
  // How scenario errors name this kind of handle: "testbed", "cluster"...
  virtual const char* kind() const = 0;
};

// What a handle's userdata holds. The creation number comes first: the sandbox reads it as the
// handle's identity for iteration order and tostring (sandbox_identity.cpp).
struct HandleBox {
  uint64_t serial;
  LuaObject* object;
};

// Pushes a userdata for obj with the named metatable (created by the binding beforehand).
void push_object(lua_State* L, LuaObject* obj, const char* metatable);

// Creates the metatable of a kind of handle: `methods` (null-terminated) as its __index, after
// the fault methods (crash, partition, ...) when `with_faults`, and `kind` as its __name.
void register_handle(lua_State* L, const char* metatable, const char* kind, const luaL_Reg* methods,
                     bool with_faults = false);

// The object at idx as T, or a ScenarioError naming what was expected (e.g. a method called
// with '.' instead of ':').
template <typename T>
T& check_object(lua_State* L, int idx, const char* expected) {
  auto* box = static_cast<HandleBox*>(lua_type(L, idx) == LUA_TUSERDATA ? lua_touserdata(L, idx) : nullptr);
  T* obj = box && box->object ? dynamic_cast<T*>(box->object) : nullptr;
  if (!obj) {
    fail(std::string("expected ") + expected + " as the first argument, got " + describe(L, idx) +
         " (call methods with ':', as in c:crash(1))");
  }
  return *obj;
}

}  // namespace sim::lua
