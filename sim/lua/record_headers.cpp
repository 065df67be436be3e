#include "sim/lua/record_headers.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "sim/lua/caps.hpp"
#include "sim/lua/lua_util.hpp"

namespace sim::lua {

namespace {

constexpr size_t kMaxHeaders = 1000;  // kafkasim's cap per record

// The string at idx (a string, or a number as tostring writes it); fails otherwise.
std::string header_text(lua_State* L, int idx, const std::string& what) {
  const int t = lua_type(L, idx);
  if (t != LUA_TSTRING && t != LUA_TNUMBER) fail(fmt::format("{}: expected a string, got {}", what, describe(L, idx)));
  size_t n = 0;
  const char* s = luaL_tolstring(L, idx, &n);  // a copy on the stack: lua_next's key stays intact
  std::string out(s, n);
  lua_pop(L, 1);
  return out;
}

void check_size(const std::vector<kafka::Header>& headers, const std::string& what) {
  if (headers.size() > kMaxHeaders) fail(fmt::format("{}: at most {} headers (kafkasim's cap)", what, kMaxHeaders));
  size_t bytes = 0;
  for (const kafka::Header& h : headers) bytes += h.key.size() + h.value.size();
  if (bytes > static_cast<size_t>(caps::kValueBytes)) fail(fmt::format("{}: at most {} bytes (kafkasim's cap)", what, caps::kValueBytes));
}

std::vector<kafka::Header> read_pairs(lua_State* L, int idx, const std::string& what) {
  std::vector<kafka::Header> out;
  const auto n = static_cast<lua_Integer>(lua_rawlen(L, idx));
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_rawgeti(L, idx, i);
    const std::string item = fmt::format("{}[{}]", what, i);
    if (lua_type(L, -1) != LUA_TTABLE || lua_rawlen(L, -1) != 2) {
      fail(fmt::format("{}: expected a pair {{ key, value }}, got {}", item, describe(L, -1)));
    }
    lua_rawgeti(L, -1, 1);
    std::string key = header_text(L, -1, item + "[1]");
    lua_pop(L, 1);
    lua_rawgeti(L, -1, 2);
    std::string value = header_text(L, -1, item + "[2]");
    lua_pop(L, 2);
    out.push_back({std::move(key), std::move(value)});
    if (out.size() > kMaxHeaders) break;
  }
  return out;
}

std::vector<kafka::Header> read_map(lua_State* L, int idx, const std::string& what) {
  std::vector<kafka::Header> out;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    if (lua_type(L, -2) != LUA_TSTRING) {
      fail(fmt::format("{}: keys are header names (strings), got {}; a list of pairs is {{ {{ \"k\", \"v\" }} }}", what,
                       describe(L, -2)));
    }
    const std::string key = lua_tostring(L, -2);
    out.push_back({key, header_text(L, -1, fmt::format("{}.{}", what, key))});
    lua_pop(L, 1);
    if (out.size() > kMaxHeaders) {
      lua_pop(L, 1);
      break;
    }
  }
  std::sort(out.begin(), out.end(), [](const kafka::Header& a, const kafka::Header& b) { return a.key < b.key; });
  return out;
}

}  // namespace

std::vector<kafka::Header> read_headers(lua_State* L, int idx, const std::string& what) {
  idx = lua_absindex(L, idx);
  if (lua_type(L, idx) != LUA_TTABLE) {
    fail(fmt::format("{}: a table of headers such as {{ trace = \"abc\" }} or {{ {{ \"k\", \"v\" }} }}, got {}", what,
                     describe(L, idx)));
  }
  lua_rawgeti(L, idx, 1);
  const bool pairs = !lua_isnil(L, -1);
  lua_pop(L, 1);
  std::vector<kafka::Header> out = pairs ? read_pairs(L, idx, what) : read_map(L, idx, what);
  check_size(out, what);
  return out;
}

void push_headers(lua_State* L, const std::vector<kafka::Header>& headers) {
  lua_createtable(L, static_cast<int>(headers.size()), 0);
  lua_Integer i = 0;
  for (const kafka::Header& h : headers) {
    lua_createtable(L, 2, 0);
    lua_pushlstring(L, h.key.data(), h.key.size());
    lua_rawseti(L, -2, 1);
    lua_pushlstring(L, h.value.data(), h.value.size());
    lua_rawseti(L, -2, 2);
    lua_rawseti(L, -2, ++i);
  }
}

}  // namespace sim::lua
