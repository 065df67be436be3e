#pragma once
// Small helpers for binding C++ to Lua: argument reading with Kafka-style error messages,
// key validation with "did you mean", and the guard that turns C++ exceptions into Lua errors
// (which then carry the scenario's file:line).
#include <lua5.4/lua.hpp>

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/lua/errors.hpp"
#include "sim/random.hpp"
#include "sim/time.hpp"

namespace sim::lua {

// The closest candidate by edit distance, if it is close enough to be a plausible typo.
std::optional<std::string> did_you_mean(std::string_view word, const std::vector<std::string>& candidates);
// " (did you mean 'x'?)" or "".
std::string suggestion(std::string_view word, const std::vector<std::string>& candidates);

// The whole number at idx: a Lua integer, or a float with an integral value that fits in 64
// bits (scenarios write 1e6); nothing for anything else.
std::optional<int64_t> to_whole(lua_State* L, int idx);

// Describes the Lua value at idx for error messages: "a string", "a table", "nil"...
std::string describe(lua_State* L, int idx);

// Converts a Lua value (time string or number of milliseconds) to a Duration, or throws a
// ScenarioError naming `what`.
Duration to_duration(lua_State* L, int idx, std::string_view what);
// A duration, or a distribution table {dist="uniform", min=, max=} / {dist="normal", mean=,
// stddev=} / {dist="lognormal", median=, sigma=} / {dist="exponential", mean=}.
DurationDist to_duration_dist(lua_State* L, int idx, std::string_view what);

// Reads an options table, rejecting keys it was not asked about (with a suggestion).
class TableReader {
 public:
  // idx: the table; what: how to name it in errors, e.g. "testbed" or "scenario".
  TableReader(lua_State* L, int idx, std::string what, std::vector<std::string> allowed);

  bool has(const char* key);
  std::optional<std::string> string(const char* key);
  std::optional<double> number(const char* key);
  std::optional<int64_t> integer(const char* key);
  std::optional<bool> boolean(const char* key);
  std::optional<Duration> duration(const char* key);
  std::optional<DurationDist> duration_dist(const char* key);
  // Pushes the value of key onto the stack (nil when absent) and returns its absolute index.
  int push(const char* key);
  std::string name(const char* key) const { return what_ + "." + key; }

 private:
  lua_State* L_;
  int idx_;
  std::string what_;
};

// Sets t[key] = value on the table at the top of the stack.
inline void set_field(lua_State* L, const char* key, lua_Integer v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, key);
}
inline void set_field(lua_State* L, const char* key, double v) {
  lua_pushnumber(L, v);
  lua_setfield(L, -2, key);
}
inline void set_field(lua_State* L, const char* key, std::string_view v) {
  lua_pushlstring(L, v.data(), v.size());
  lua_setfield(L, -2, key);
}

// Throws a ScenarioError with a formatted message.
[[noreturn]] void fail(const std::string& message);

// Remembers that the error being raised is a command-line problem, so the run ends with the
// usage exit code rather than "invalid scenario" (defined with the sandbox).
void mark_usage_error(lua_State* L);

// Wraps a C++ binding so that C++ exceptions become Lua errors at the caller's file:line.
template <int (*F)(lua_State*)>
int guarded(lua_State* L) {
  std::string message;
  try {
    return F(L);
  } catch (const ScenarioError& e) {
    message = e.what();
  } catch (const UsageError& e) {
    mark_usage_error(L);
    message = e.what();
  } catch (const std::exception& e) {
    message = std::string("internal error: ") + e.what();
  }
  luaL_where(L, 1);
  lua_pushstring(L, message.c_str());
  lua_concat(L, 2);
  return lua_error(L);
}

}  // namespace sim::lua
