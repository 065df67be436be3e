#include "sim/lua/lua_util.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "sim/lua/sandbox.hpp"

namespace sim::lua {

namespace {
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}
}  // namespace

std::optional<std::string> did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  // The same word in another case ("record" for "RECORD") first.
  auto lower = [](std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  for (const auto& c : candidates)
    if (c != word && lower(c) == lower(word)) return c;
  std::optional<std::string> best;
  size_t best_d = SIZE_MAX;
  for (const auto& c : candidates) {
    const size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  // A typo is a few edits, relative to the word's length.
  const size_t limit = std::max<size_t>(2, word.size() / 3);
  if (best && best_d <= limit) return best;
  return std::nullopt;
}

std::string suggestion(std::string_view word, const std::vector<std::string>& candidates) {
  auto s = did_you_mean(word, candidates);
  return s ? fmt::format(" (did you mean '{}'?)", *s) : "";
}

std::string describe(lua_State* L, int idx) {
  switch (lua_type(L, idx)) {
    case LUA_TNIL: return "nil";
    case LUA_TBOOLEAN: return lua_toboolean(L, idx) ? "true" : "false";
    case LUA_TNUMBER: return fmt::format("the number {}", lua_tonumber(L, idx));
    case LUA_TSTRING: return fmt::format("the string \"{}\"", lua_tostring(L, idx));
    case LUA_TTABLE: return "a table";
    case LUA_TFUNCTION: return "a function";
    default: return fmt::format("a {}", luaL_typename(L, idx));
  }
}

void fail(const std::string& message) { throw ScenarioError(message); }

std::optional<int64_t> to_whole(lua_State* L, int idx) {
  if (lua_type(L, idx) != LUA_TNUMBER) return std::nullopt;
  if (lua_isinteger(L, idx)) return lua_tointeger(L, idx);
  const double d = lua_tonumber(L, idx);
  if (!std::isfinite(d) || std::floor(d) != d || d < -9223372036854775808.0 || d >= 9223372036854775808.0) return std::nullopt;
  return static_cast<int64_t>(d);
}

Duration to_duration(lua_State* L, int idx, std::string_view what) {
  if (lua_type(L, idx) == LUA_TNUMBER) {
    const double ms = lua_tonumber(L, idx);
    if (!(ms >= 0) || ms > 1e12) fail(fmt::format("{}: expected a non-negative time, got {}", what, ms));
    return Duration{static_cast<int64_t>(ms * 1e6 + 0.5)};
  }
  if (lua_type(L, idx) == LUA_TSTRING) {
    const char* text = lua_tostring(L, idx);
    if (auto d = parse_duration(text)) return *d;
    fail(fmt::format("{}: \"{}\" is not a time; write it like \"250us\", \"5ms\", \"2s\" or \"1m\"", what, text));
  }
  fail(fmt::format("{}: expected a time such as \"5ms\" or a number of milliseconds, got {}", what, describe(L, idx)));
}

DurationDist to_duration_dist(lua_State* L, int idx, std::string_view what) {
  if (lua_type(L, idx) != LUA_TTABLE) return DurationDist::constant(to_duration(L, idx, what));
  idx = lua_absindex(L, idx);
  TableReader r(L, idx, std::string(what), {"dist", "min", "max", "mean", "stddev", "median", "sigma"});
  const auto dist = r.string("dist");
  if (!dist) fail(fmt::format("{}: a distribution table needs dist = \"uniform\" | \"normal\" | \"lognormal\" | \"exponential\"", what));
  auto need = [&](const char* key) {
    auto d = r.duration(key);
    if (!d) fail(fmt::format("{}: dist = \"{}\" needs {}", what, *dist, key));
    return *d;
  };
  DurationDist out;
  if (*dist == "uniform") {
    out.kind = DurationDist::Kind::uniform;
    out.a = need("min");
    out.b = need("max");
    if (out.b < out.a) fail(fmt::format("{}: max must not be below min", what));
  } else if (*dist == "normal") {
    out.kind = DurationDist::Kind::normal;
    out.a = need("mean");
    out.b = need("stddev");
  } else if (*dist == "lognormal") {
    out.kind = DurationDist::Kind::lognormal;
    out.a = need("median");
    const auto sigma = r.number("sigma");
    if (!sigma || *sigma < 0) fail(fmt::format("{}: dist = \"lognormal\" needs sigma >= 0", what));
    out.sigma = *sigma;
  } else if (*dist == "exponential") {
    out.kind = DurationDist::Kind::exponential;
    out.a = need("mean");
  } else {
    fail(fmt::format("{}: unknown dist \"{}\"{}", what, *dist,
                     suggestion(*dist, {"uniform", "normal", "lognormal", "exponential", "constant"})));
  }
  return out;
}

TableReader::TableReader(lua_State* L, int idx, std::string what, std::vector<std::string> allowed)
    : L_(L), idx_(lua_absindex(L, idx)), what_(std::move(what)) {
  if (lua_type(L, idx_) != LUA_TTABLE) fail(fmt::format("{}: expected a table, got {}", what_, describe(L, idx_)));
  // Validate keys in a fixed (sorted) order so the first error reported does not depend on
  // Lua's hash order.
  std::vector<std::string> unknown, not_names;
  lua_pushnil(L);
  while (lua_next(L, idx_) != 0) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING) {
      not_names.push_back(describe(L, -1));
      continue;
    }
    std::string key = lua_tostring(L, -1);
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) unknown.push_back(std::move(key));
  }
  if (!not_names.empty()) {
    std::sort(not_names.begin(), not_names.end());
    fail(fmt::format("{}: keys must be names, found {}", what_, not_names.front()));
  }
  if (!unknown.empty()) {
    std::sort(unknown.begin(), unknown.end());
    std::vector<std::string> sorted = allowed;
    std::sort(sorted.begin(), sorted.end());
    std::string list;
    for (const auto& a : sorted) list += (list.empty() ? "" : ", ") + a;
    fail(fmt::format("{}: unknown key '{}'{}; known keys: {}", what_, unknown.front(),
                     suggestion(unknown.front(), allowed), list));
  }
}

int TableReader::push(const char* key) {
  lua_getfield(L_, idx_, key);
  return lua_gettop(L_);
}

bool TableReader::has(const char* key) {
  const int t = lua_getfield(L_, idx_, key);
  lua_pop(L_, 1);
  return t != LUA_TNIL;
}

std::optional<std::string> TableReader::string(const char* key) {
  const int t = lua_getfield(L_, idx_, key);
  std::optional<std::string> out;
  if (t == LUA_TSTRING) {
    size_t len = 0;
    const char* s = lua_tolstring(L_, -1, &len);
    Sandbox::of(L_).take_text(L_, len);
    out.emplace(s, len);
  } else if (t != LUA_TNIL) {
    std::string got = describe(L_, -1);
    lua_pop(L_, 1);
    fail(fmt::format("{}: expected a string, got {}", name(key), got));
  }
  lua_pop(L_, 1);
  return out;
}

std::optional<double> TableReader::number(const char* key) {
  const int t = lua_getfield(L_, idx_, key);
  std::optional<double> out;
  if (t == LUA_TNUMBER) {
    out = lua_tonumber(L_, -1);
    if (!std::isfinite(*out)) {
      lua_pop(L_, 1);
      fail(fmt::format("{}: expected a finite number, got {}", name(key), std::isnan(*out) ? "NaN" : "infinity"));
    }
  } else if (t != LUA_TNIL) {
    std::string got = describe(L_, -1);
    lua_pop(L_, 1);
    fail(fmt::format("{}: expected a number, got {}", name(key), got));
  }
  lua_pop(L_, 1);
  return out;
}

std::optional<int64_t> TableReader::integer(const char* key) {
  const int t = lua_getfield(L_, idx_, key);
  std::optional<int64_t> out;
  if (t == LUA_TNUMBER && (out = to_whole(L_, -1))) {
  } else if (t == LUA_TNUMBER) {
    const std::string got = describe(L_, -1);
    lua_pop(L_, 1);
    fail(fmt::format("{}: expected a whole number, got {}", name(key), got));
  } else if (t != LUA_TNIL) {
    std::string got = describe(L_, -1);
    lua_pop(L_, 1);
    fail(fmt::format("{}: expected a whole number, got {}", name(key), got));
  }
  lua_pop(L_, 1);
  return out;
}

std::optional<bool> TableReader::boolean(const char* key) {
  const int t = lua_getfield(L_, idx_, key);
  std::optional<bool> out;
  if (t == LUA_TBOOLEAN) out = lua_toboolean(L_, -1) != 0;
  else if (t != LUA_TNIL) {
    std::string got = describe(L_, -1);
    lua_pop(L_, 1);
    fail(fmt::format("{}: expected true or false, got {}", name(key), got));
  }
  lua_pop(L_, 1);
  return out;
}

std::optional<Duration> TableReader::duration(const char* key) {
  const int t = lua_getfield(L_, idx_, key);
  std::optional<Duration> out;
  if (t != LUA_TNIL) {
    try {
      out = to_duration(L_, -1, name(key));
    } catch (...) {
      lua_pop(L_, 1);
      throw;
    }
  }
  lua_pop(L_, 1);
  return out;
}

std::optional<DurationDist> TableReader::duration_dist(const char* key) {
  const int t = lua_getfield(L_, idx_, key);
  std::optional<DurationDist> out;
  if (t != LUA_TNIL) {
    try {
      out = to_duration_dist(L_, -1, name(key));
    } catch (...) {
      lua_pop(L_, 1);
      throw;
    }
  }
  lua_pop(L_, 1);
  return out;
}

}  // namespace sim::lua
