// Deterministic identity: what Lua would order or print by address, the sandbox orders and
// prints by creation number (lua_heap.hpp), so that no script can make two runs differ.
// - `next` and `pairs` visit keys in a fixed order: numbers, then strings (bytewise), then
//   booleans, then tables, functions, coroutines and userdata in creation order;
// - `tostring` (and note, log, check details, string.format's %s) shows an object as
//   "table: #12"; string.format's %p gives the same number for objects, "(null)" otherwise.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/lua/sandbox.hpp"

namespace sim::lua {

uint64_t Sandbox::identity(lua_State* L, int idx) {
  // Absolute: a relative index would name the upvalue lua_getupvalue pushes below.
  idx = lua_absindex(L, idx);
  switch (lua_type(L, idx)) {
    case LUA_TTABLE: return LuaHeap::serial_at(lua_topointer(L, idx));
    case LUA_TFUNCTION: {
      if (lua_iscfunction(L, idx) && !lua_getupvalue(L, idx, 1)) {
        // A C function without upvalues is not an object: it was numbered by seal().
        auto it = builtins_.find(reinterpret_cast<const void*>(lua_tocfunction(L, idx)));
        return it == builtins_.end() ? 0 : it->second;
      }
      if (lua_iscfunction(L, idx)) lua_pop(L, 1);  // the upvalue lua_getupvalue pushed
      return LuaHeap::serial_at(lua_topointer(L, idx));
    }
    case LUA_TTHREAD: return LuaHeap::serial_at(lua_getextraspace(lua_tothread(L, idx)));
    case LUA_TUSERDATA:
      // Every full userdata a script can reach is a handle (object.hpp), which begins with its
      // creation number.
      if (lua_rawlen(L, idx) < sizeof(uint64_t)) return 0;
      return *static_cast<const uint64_t*>(lua_touserdata(L, idx));
    default: return 0;
  }
}

namespace {

// luaL_traceback and luaL_argerror (for a function called from C) name a function by the first
// path to it they find in package.loaded, searched in hash order, which Lua seeds per state: a
// function with two names was named either way from run to run. The sandbox's package.loaded
// holds each library function once, under its first name in sorted order, and none of the
// script's own: those are named from the calling code (a local, a method, a global), the same
// in every run.
void name_library_functions_once(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  const int loaded = lua_gettop(L);
  lua_newtable(L);  // the functions named so far
  const int named = lua_gettop(L);
  lua_newtable(L);  // the new package.loaded
  const int names = lua_gettop(L);
  auto sorted_keys = [&](int t) {
    std::vector<std::string> keys;
    lua_pushnil(L);
    while (lua_next(L, t)) {
      lua_pop(L, 1);
      if (lua_type(L, -1) == LUA_TSTRING) keys.emplace_back(lua_tostring(L, -1));
    }
    std::sort(keys.begin(), keys.end());
    return keys;
  };
  for (const std::string& lib : sorted_keys(loaded)) {
    if (lua_getfield(L, loaded, lib.c_str()) != LUA_TTABLE) {
      lua_pop(L, 1);
      continue;
    }
    const int fields = lua_gettop(L);
    lua_newtable(L);
    for (const std::string& key : sorted_keys(fields)) {
      lua_getfield(L, fields, key.c_str());
      lua_pushvalue(L, -1);
      const bool first_name = lua_type(L, -1) == LUA_TFUNCTION && lua_rawget(L, named) == LUA_TNIL;
      lua_pop(L, 1);
      if (!first_name) {
        lua_pop(L, 1);
        continue;
      }
      lua_pushvalue(L, -1);
      lua_pushboolean(L, 1);
      lua_rawset(L, named);
      lua_setfield(L, -2, key.c_str());
    }
    lua_setfield(L, names, lib.c_str());
    lua_pop(L, 1);
  }
  lua_setfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_pop(L, 2);
}

}  // namespace

void Sandbox::seal() {
  protected_call("the sandbox's set-up", [this](lua_State* L) {
    name_library_functions_once(L);
    auto number = [&](int idx) {
      if (lua_type(L, idx) != LUA_TFUNCTION || !lua_iscfunction(L, idx)) return;
      if (lua_getupvalue(L, idx, 1)) {
        lua_pop(L, 1);
        return;
      }
      builtins_.emplace(reinterpret_cast<const void*>(lua_tocfunction(L, idx)), heap_.take_serial());
    };
    // The fields of a table, in name order.
    auto walk = [&](int t, auto&& visit) {
      std::vector<std::string> names;
      lua_pushnil(L);
      while (lua_next(L, t)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) == LUA_TSTRING) names.emplace_back(lua_tostring(L, -1));
      }
      std::sort(names.begin(), names.end());
      for (const auto& n : names) {
        lua_getfield(L, t, n.c_str());
        visit(lua_gettop(L));
        lua_pop(L, 1);
      }
    };
    lua_pushglobaltable(L);
    walk(lua_gettop(L), [&](int v) {
      number(v);
      if (lua_type(L, v) == LUA_TTABLE) walk(v, number);
    });
    lua_pop(L, 1);
    // The methods of the handles' metatables, and the iterators the library returns.
    lua_pushvalue(L, LUA_REGISTRYINDEX);
    walk(lua_gettop(L), [&](int v) {
      if (lua_type(L, v) != LUA_TTABLE) return;
      walk(v, [&](int f) {
        number(f);
        if (lua_type(L, f) == LUA_TTABLE) walk(f, number);
      });
    });
    lua_pop(L, 1);
    lua_getglobal(L, "ipairs");
    lua_newtable(L);
    lua_call(L, 1, 1);
    number(lua_gettop(L));
    lua_pop(L, 1);
    for (bool lax : {false, true}) {
      lua_getglobal(L, "utf8");
      lua_getfield(L, -1, "codes");
      lua_pushliteral(L, "");
      lua_pushboolean(L, lax);
      lua_call(L, 2, 1);
      number(lua_gettop(L));
      lua_pop(L, 2);
    }
  });
}

const char* display_tolstring(lua_State* L, int idx, size_t* len) {
  idx = lua_absindex(L, idx);
  if (visible_metafield(L, idx, "__tostring") != LUA_TNIL) {
    lua_pushvalue(L, idx);
    lua_call(L, 1, 1);
    if (!lua_isstring(L, -1)) luaL_error(L, "'__tostring' must return a string");
    return lua_tolstring(L, -1, len);
  }
  switch (lua_type(L, idx)) {
    case LUA_TNUMBER:
    case LUA_TSTRING:
    case LUA_TBOOLEAN:
    case LUA_TNIL:
      return luaL_tolstring(L, idx, len);  // no address in these
    default: {
      const uint64_t id = Sandbox::of(L).identity(L, idx);
      const int tt = visible_metafield(L, idx, "__name");
      const char* kind = tt == LUA_TSTRING ? lua_tostring(L, -1) : luaL_typename(L, idx);
      lua_pushfstring(L, "%s: #%I", kind, static_cast<lua_Integer>(id));
      if (tt != LUA_TNIL) lua_remove(L, -2);
      return lua_tolstring(L, -1, len);
    }
  }
}

namespace {

// A key's place in the fixed iteration order.
struct KeyOrder {
  int rank = 0;  // numbers, strings, booleans, objects, anything else
  bool integer = false;
  lua_Integer i = 0;
  double d = 0;
  const char* s = nullptr;  // points into the key itself, alive while the key is
  size_t len = 0;
  uint64_t id = 0;
};

KeyOrder key_order(Sandbox& sb, lua_State* L, int idx) {
  KeyOrder k;
  switch (lua_type(L, idx)) {
    case LUA_TNUMBER:
      k.rank = 0;
      k.integer = lua_isinteger(L, idx);
      if (k.integer) k.i = lua_tointeger(L, idx);
      else k.d = lua_tonumber(L, idx);
      break;
    case LUA_TSTRING:
      k.rank = 1;
      k.s = lua_tolstring(L, idx, &k.len);
      break;
    case LUA_TBOOLEAN:
      k.rank = 2;
      k.i = lua_toboolean(L, idx);
      break;
    case LUA_TTABLE:
    case LUA_TFUNCTION:
    case LUA_TTHREAD:
    case LUA_TUSERDATA:
      k.rank = 3;
      k.id = sb.identity(L, idx);
      break;
    default: k.rank = 4;
  }
  return k;
}

bool before(const KeyOrder& a, const KeyOrder& b) {
  if (a.rank != b.rank) return a.rank < b.rank;
  switch (a.rank) {
    case 0:
      if (a.integer && b.integer) return a.i < b.i;
      if (a.integer != b.integer) {
        const double x = a.integer ? static_cast<double>(a.i) : a.d;
        const double y = b.integer ? static_cast<double>(b.i) : b.d;
        return x != y ? x < y : a.integer;
      }
      return a.d < b.d;
    case 1: {
      const int c = std::memcmp(a.s, b.s, std::min(a.len, b.len));
      return c != 0 ? c < 0 : a.len < b.len;
    }
    case 2: return a.i < b.i;
    case 3: return a.id < b.id;
    default: return false;
  }
}

int sorted_pairs_next(lua_State* L) {
  for (;;) {
    const lua_Integer i = lua_tointeger(L, lua_upvalueindex(3)) + 1;
    lua_pushinteger(L, i);
    lua_replace(L, lua_upvalueindex(3));
    if (lua_rawgeti(L, lua_upvalueindex(2), i) == LUA_TNIL) return 1;
    lua_pushvalue(L, -1);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 2;
    lua_pop(L, 2);  // removed during the traversal: next visits only keys with values
  }
}

int l_pairs(lua_State* L) {
  luaL_checkany(L, 1);
  if (visible_metafield(L, 1, "__pairs") != LUA_TNIL) {
    lua_pushvalue(L, 1);
    lua_call(L, 1, 3);
    return 3;
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  Sandbox& sb = Sandbox::of(L);
  lua_settop(L, 1);
  lua_newtable(L);  // 2: every key, in Lua's order
  std::vector<std::pair<KeyOrder, lua_Integer>> keys;
  lua_pushnil(L);
  while (lua_next(L, 1) != 0) {
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_rawseti(L, 2, static_cast<lua_Integer>(keys.size() + 1));
    keys.emplace_back(key_order(sb, L, -1), static_cast<lua_Integer>(keys.size() + 1));
  }
  std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) { return before(a.first, b.first); });
  size_t log2 = 1;
  while ((size_t{1} << log2) < keys.size()) ++log2;
  sb.charge(L, keys.size() * log2);
  lua_pushvalue(L, 1);                                                  // upvalue 1: the table
  lua_createtable(L, static_cast<int>(std::min<size_t>(keys.size(), INT32_MAX)), 0);  // 2: sorted keys
  for (size_t i = 0; i < keys.size(); ++i) {
    lua_rawgeti(L, 2, keys[i].second);
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
  lua_pushinteger(L, 0);  // upvalue 3: position
  lua_pushcclosure(L, sorted_pairs_next, 3);
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

// next(t, k): the key after k in the fixed order (the first when k is nil). Each call scans
// the table, so a traversal by next alone costs n squared; pairs sorts once.
int l_next(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 2);
  lua_pushnil(L);  // 3: the best key so far
  Sandbox& sb = Sandbox::of(L);
  const bool from_start = lua_isnil(L, 2);
  const KeyOrder after = from_start ? KeyOrder{} : key_order(sb, L, 2);
  bool found = false;
  KeyOrder best;
  uint64_t n = 0;
  lua_pushnil(L);
  while (lua_next(L, 1) != 0) {
    lua_pop(L, 1);
    ++n;
    const KeyOrder k = key_order(sb, L, -1);
    if ((from_start || before(after, k)) && (!found || before(k, best))) {
      lua_pushvalue(L, -1);
      lua_replace(L, 3);
      best = key_order(sb, L, 3);
      found = true;
    }
  }
  sb.charge(L, n);
  if (!found) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushvalue(L, 3);
  lua_pushvalue(L, 3);
  lua_rawget(L, 1);
  return 2;
}

int l_tostring(lua_State* L) {
  luaL_checkany(L, 1);
  display_tolstring(L, 1, nullptr);
  return 1;
}

// %p becomes %s below, which takes more than Lua's %p does: refuse what Lua 5.4's checkformat
// refuses for %p (flags other than '-', a precision, a width of more than two digits).
void check_pointer_spec(lua_State* L, const char* spec, size_t len) {
  size_t k = 1;
  while (k < len && spec[k] == '-') ++k;
  const size_t width = k;
  while (k < len && spec[k] >= '0' && spec[k] <= '9') ++k;
  if (spec[k] != 'p' || k - width > 2 || (k > width && spec[width] == '0')) {
    luaL_error(L, "invalid conversion specification: '%s'", std::string(spec, len).c_str());
  }
}

// string.format, with %s of an object and %p made deterministic before Lua's own runs.
int l_format(lua_State* L) {
  size_t n = 0;
  const char* f = luaL_checklstring(L, 1, &n);
  const int top = lua_gettop(L);
  std::string out;
  out.reserve(n);
  int arg = 1;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(f[i]);
    if (f[i] != '%') continue;
    if (i + 1 < n && f[i + 1] == '%') {
      out.push_back('%');
      ++i;
      continue;
    }
    size_t j = i + 1;
    while (j < n && f[j] != '\0' && std::strchr("-+ #0", f[j])) ++j;
    while (j < n && f[j] >= '0' && f[j] <= '9') ++j;
    if (j < n && f[j] == '.') {
      ++j;
      while (j < n && f[j] >= '0' && f[j] <= '9') ++j;
    }
    if (j >= n) {  // malformed: Lua's format reports it, as written
      out.append(f + i + 1, n - i - 1);
      break;
    }
    ++arg;
    out.append(f + i + 1, j - i - 1);
    const char conv = f[j];
    if (conv == 'p') check_pointer_spec(L, f + i, j - i + 1);
    if (arg <= top && conv == 'p') {
      const uint64_t id = Sandbox::of(L).identity(L, arg);
      if (id != 0) lua_pushfstring(L, "#%I", static_cast<lua_Integer>(id));
      else lua_pushliteral(L, "(null)");
      lua_replace(L, arg);
      out.push_back('s');
    } else if (arg <= top && conv == 's' && lua_type(L, arg) != LUA_TSTRING && lua_type(L, arg) != LUA_TNUMBER) {
      display_tolstring(L, arg, nullptr);
      lua_replace(L, arg);
      out.push_back('s');
    } else {
      out.push_back(conv);
    }
    i = j;
  }
  lua_pushlstring(L, out.data(), out.size());
  lua_replace(L, 1);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, top, 1);
  return 1;
}

}  // namespace

void install_identity(lua_State* L) {
  lua_pushcfunction(L, l_next);
  lua_setglobal(L, "next");
  lua_pushcfunction(L, l_pairs);
  lua_setglobal(L, "pairs");
  lua_pushcfunction(L, l_tostring);
  lua_setglobal(L, "tostring");
  lua_getglobal(L, LUA_STRLIBNAME);
  lua_getfield(L, -1, "format");
  lua_pushcclosure(L, l_format, 1);
  lua_setfield(L, -2, "format");
  lua_pop(L, 1);
}

}  // namespace sim::lua
