// Fuzz target: the sandbox's counted pattern matcher against Lua's own string library on the
// same subject, pattern and function; any difference in results or errors is a crash.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include <lua5.4/lua.hpp>

#include "sim/lua/sandbox.hpp"

namespace {

// Results first..top of the stack, or the error.
std::string describe(lua_State* L, int status, int first) {
  if (status != LUA_OK) return std::string("error: ") + (lua_tostring(L, -1) ? lua_tostring(L, -1) : "?");
  std::string out;
  for (int i = first; i <= lua_gettop(L); ++i) {
    if (lua_type(L, i) == LUA_TNIL) {
      out += "nil,";
      continue;
    }
    size_t n = 0;
    const char* s = luaL_tolstring(L, i, &n);
    out.append(s, n).push_back(',');
    lua_pop(L, 1);
  }
  return out;
}

std::string call(lua_State* L, const char* fn, const std::string& s, const std::string& p, lua_Integer init) {
  lua_settop(L, 0);
  lua_getglobal(L, "string");
  lua_getfield(L, -1, fn);
  lua_remove(L, 1);
  lua_pushlstring(L, s.data(), s.size());
  lua_pushlstring(L, p.data(), p.size());
  const bool gsub = std::strcmp(fn, "gsub") == 0;
  if (gsub) lua_pushliteral(L, "<%0%1>");
  lua_pushinteger(L, gsub ? (init < 0 ? -init : init) : init);
  const int nargs = gsub ? 4 : 3;
  if (std::strcmp(fn, "gmatch") != 0) return describe(L, lua_pcall(L, nargs, LUA_MULTRET, 0), 1);
  int status = lua_pcall(L, nargs, 1, 0);
  if (status != LUA_OK) return describe(L, status, 1);
  std::string out;
  for (int i = 0; i < 8; ++i) {  // the iterator (slot 1), a few rounds
    lua_settop(L, 1);
    lua_pushvalue(L, 1);
    status = lua_pcall(L, 0, LUA_MULTRET, 0);
    out += "{" + describe(L, status, 2) + "}";
    if (status != LUA_OK || lua_gettop(L) < 2 || lua_isnil(L, 2)) break;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3 || size > 40) return 0;  // Lua's own matcher is exponential on long inputs
  static lua_State* ref = [] {
    lua_State* L = luaL_newstate();
    luaL_openlibs(L);
    return L;
  }();
  // Ours runs on a small budget of work. Lua's own matcher has no budget: an input ours gives up
  // on (9 nested lazy repetitions over 18 characters, "GG---...\x01---...+", took Lua's over
  // 20 s) is not handed to it, and the sandbox, ended for good by the limit, is made anew.
  static std::unique_ptr<sim::lua::Sandbox> sandbox;
  if (!sandbox || sandbox->terminated()) {
    sim::lua::SandboxLimits limits;
    limits.instructions = 5'000'000;
    sandbox = std::make_unique<sim::lua::Sandbox>(".", limits);
  }
  static const char* const fns[] = {"find", "match", "gmatch", "gsub"};
  const char* fn = fns[data[0] % 4];
  const auto init = static_cast<lua_Integer>(static_cast<int8_t>(data[1]) / 16);
  const std::string rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  const size_t cut = rest.find('\x01');
  const std::string subject = cut == std::string::npos ? rest : rest.substr(0, cut);
  const std::string pattern = cut == std::string::npos ? std::string() : rest.substr(cut + 1);
  std::string ours;
  // A protected call gives every comparison a fresh instruction budget.
  try {
    sandbox->protected_call("fuzz", [&](lua_State* L) { ours = call(L, fn, subject, pattern, init); });
  } catch (...) {
    if (sandbox->terminated()) return 0;  // the budget ran out: too much work to compare
    throw;
  }
  if (sandbox->terminated()) return 0;
  if (call(ref, fn, subject, pattern, init) != ours) __builtin_trap();
  return 0;
}
