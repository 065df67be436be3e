// The sandbox's string.find, match, gmatch and gsub (sim/lua/lua_patterns.cpp) against Lua's
// own, on random patterns and subjects: the same results, the same errors.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/lua/errors.hpp"
#include "sim/lua/sandbox.hpp"

using sim::lua::Sandbox;
using sim::lua::SandboxLimits;

namespace {

// A replacement function for gsub: joins its captures, or keeps the match when the first
// capture starts with 'b'.
int repl(lua_State* L) {
  const int n = lua_gettop(L);
  if (n >= 1 && lua_type(L, 1) == LUA_TSTRING && lua_tostring(L, 1)[0] == 'b') {
    lua_pushboolean(L, 0);
    return 1;
  }
  std::string out = "<";
  for (int i = 1; i <= n; ++i) out += std::string(luaL_tolstring(L, i, nullptr)) + (i < n ? "|" : ""), lua_pop(L, 1);
  lua_pushstring(L, (out + ">").c_str());
  return 1;
}

std::string results(lua_State* L, int base, int status) {
  if (status != LUA_OK) return std::string("error: ") + lua_tostring(L, -1);
  std::string out;
  for (int i = base; i <= lua_gettop(L); ++i) {
    switch (lua_type(L, i)) {
      case LUA_TNIL: out += "nil,"; break;
      case LUA_TBOOLEAN: out += lua_toboolean(L, i) ? "true," : "false,"; break;
      case LUA_TNUMBER: out += fmt::format("{},", lua_tointeger(L, i)); break;
      case LUA_TSTRING: out += fmt::format("'{}',", lua_tostring(L, i)); break;
      default: out += "?,";
    }
  }
  return out;
}

// Calls string[fn](subject, pattern, extra...) in L and describes the results.
std::string call(lua_State* L, const std::string& fn, const std::string& s, const std::string& p, int kind, int arg) {
  lua_settop(L, 0);
  lua_getglobal(L, "string");
  lua_getfield(L, -1, fn.c_str());
  lua_remove(L, 1);
  lua_pushlstring(L, s.data(), s.size());
  lua_pushlstring(L, p.data(), p.size());
  int nargs = 2;
  if (fn == "find" || fn == "match" || fn == "gmatch") {
    lua_pushinteger(L, arg);
    ++nargs;
    if (fn == "find" && kind == 1) {
      lua_pushboolean(L, 1);  // plain
      ++nargs;
    }
  } else {  // gsub
    switch (kind) {
      case 0: lua_pushstring(L, "[%0/%1]"); break;
      case 1: lua_pushcfunction(L, repl); break;
      case 2:
        lua_newtable(L);
        lua_pushstring(L, "A");
        lua_setfield(L, -2, "a");
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "b");
        break;
      default: lua_pushstring(L, "%2%%"); break;
    }
    lua_pushinteger(L, arg + 3);  // max replacements
    nargs += 2;
  }
  if (fn != "gmatch") return results(L, 1, lua_pcall(L, nargs, LUA_MULTRET, 0));
  const int status = lua_pcall(L, nargs, 1, 0);
  if (status != LUA_OK) return results(L, 1, status);
  std::string out;
  for (int i = 0; i < 20; ++i) {  // the iterator, until it ends
    const int top = lua_gettop(L);
    lua_pushvalue(L, 1);
    const int st = lua_pcall(L, 0, LUA_MULTRET, 0);
    const std::string r = results(L, top + 1, st);
    lua_settop(L, 1);
    out += "{" + r + "}";
    if (st != LUA_OK || r.empty() || r.rfind("nil,", 0) == 0) break;
  }
  return out;
}

}  // namespace

TEST(LuaPatterns, MatchLuasOwnOnRandomPatterns) {
  lua_State* ref = luaL_newstate();
  luaL_openlibs(ref);
  Sandbox sandbox(".", SandboxLimits{});
  lua_State* ours = sandbox.state();

  const std::vector<std::string> atoms = {"a", "b", "c", ".", "%a", "%d", "%s", "%w", "%A", "%l", "%z", "%Z", "[ab]", "[^a]",
                                          "[a-c]", "[%d%s]", "[]a]", "%b()", "%bab", "%f[%w]", "%f[%s]", "(", ")",
                                          "()", "*", "+", "-", "?", "^", "$", "%1", "%2", "%%", "%]", "%", "[", "]",
                                          "(a)", "(%w+)", "x", " ", "\\0"};
  const std::string letters = std::string("aabbc (1)x") + '\0';
  std::mt19937 rng(20261128);
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  int compared = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string p, s;
    const size_t np = 1 + pick(6), ns = pick(14);
    for (size_t k = 0; k < np; ++k) {
      std::string a = atoms[pick(atoms.size())];
      if (a == "\\0") a = std::string(1, '\0');
      p += a;
    }
    for (size_t k = 0; k < ns; ++k) s += letters[pick(letters.size())];
    static const char* const fns[] = {"find", "match", "gmatch", "gsub"};
    const std::string fn = fns[pick(4)];
    const int kind = static_cast<int>(pick(4));
    const int arg = static_cast<int>(pick(9)) - 4;
    const std::string want = call(ref, fn, s, p, kind, arg);
    const std::string got = call(ours, fn, s, p, kind, arg);
    ASSERT_EQ(got, want) << "string." << fn << "(\"" << s << "\", \"" << p << "\") kind " << kind << " arg " << arg;
    ++compared;
  }
  EXPECT_EQ(compared, 200000);
  lua_close(ref);
}

TEST(LuaPatterns, CatastrophicBacktrackingEndsAtTheBudget) {
  SandboxLimits limits;
  limits.instructions = 5'000'000;
  for (const char* code : {"return ('a'):rep(40):find(('a?'):rep(40) .. ('a'):rep(40))",
                           "return ('a'):rep(200000):find('.-.-.-.-b')",
                           "return ('a'):rep(30):match(('(a*)'):rep(8) .. 'b')",
                           "return ('a'):rep(200000):gsub('.-.-b', '')",
                           "for w in ('a'):rep(100000):gmatch('.-.-b') do end"}) {
    Sandbox sandbox(".", limits);
    lua_State* L = sandbox.state();
    ASSERT_EQ(luaL_loadbufferx(L, code, std::strlen(code), "@p.lua", "t"), LUA_OK);
    try {
      sandbox.pcall(0, "test");
      ADD_FAILURE() << "no limit: " << code;
    } catch (const sim::lua::ScenarioError& e) {
      EXPECT_NE(std::string(e.what()).find("p.lua:1: instruction limit exceeded"), std::string::npos) << e.what();
    }
  }
}
