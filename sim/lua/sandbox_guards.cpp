// The guards around Lua's standard library that keep a scenario inside its limits and
// deterministic:
// - the catch points (pcall, xpcall, coroutine.resume, coroutine.close) re-raise a limit, so a
//   runaway script cannot catch the end of its run and loop again;
// - setmetatable, rawset and assignments to a metatable refuse __gc (finalizers run outside any
//   budget, whenever the collector decides, and could reach objects the run has freed) and
//   __mode (weak tables change when the collector runs); getmetatable answers what the script
//   set;
// - the table functions whose work a single call hides (insert, remove, move, concat, unpack,
//   sort) charge it to the instruction budget; table.sort is a deterministic merge sort, since
//   Lua's own picks random pivots on bad inputs;
// - string.rep checks its result against the memory limit before building it, and returns at
//   once for an empty result (Lua's loops n times for nothing); utf8.len and utf8.offset charge
//   the bytes they scan.
#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "sim/lua/sandbox.hpp"

namespace sim::lua {

namespace {

// ---- catch points ----

int after_catch(lua_State* L, int, lua_KContext) {
  Sandbox& sb = Sandbox::of(L);
  if (sb.terminated()) sb.rethrow_termination(L);
  return lua_gettop(L);
}

// Calls the original function (upvalue 1) with every argument; yields pass through.
int catch_point(lua_State* L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_callk(L, lua_gettop(L) - 1, LUA_MULTRET, 0, after_catch);
  return after_catch(L, LUA_OK, 0);
}

// xpcall's message handler runs before the error unwinds anything; after a limit it must not
// run the script's code (an error raised from the instruction hook leaves hooks off there).
int guarded_handler(lua_State* L) {
  if (Sandbox::of(L).terminated()) {
    lua_settop(L, 1);
    return 1;
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

int l_xpcall(lua_State* L) {
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_pushvalue(L, 2);
  lua_pushcclosure(L, guarded_handler, 1);
  lua_replace(L, 2);
  return catch_point(L);
}

void wrap(lua_State* L, int table, const char* name, lua_CFunction f) {
  lua_getfield(L, table, name);
  lua_pushcclosure(L, f, 1);
  lua_setfield(L, table, name);
}

// ---- metatables ----
//
// Finalizers and weak tables (__gc, __mode) are refused wherever a table could get them:
// setmetatable checks the metatable it is given, and from then on that table is guarded.
// A guarded table can gain a key only by rawset, which checks it, or by assignment, which for a
// key the table lacks goes through the __newindex of the table's own metatable. So that
// metatable refuses them, and it is the sandbox's: no script can reach it to remove the check
// (a field of a table the script owns, such as X.__newindex, could be set to nil).
// - A guarded table without a metatable of its own gets the shared guard (kGuardMeta).
// - One that the script gave a metatable X gets a private guard instead, which keeps X. Its
//   every event forwards to X's handler of the moment (so handlers added to X later apply
//   too), as if X were the metatable; getmetatable answers X.

constexpr const char* kGuardMeta = "kafkasim.metatable_guard";
// The key under which a private guard keeps the script's metatable: a light userdata, which no
// script can make.
const char kScriptMetatable = 0;

enum class Guard { none, shared, private_ };

Guard guard_of(lua_State* L, int idx) {
  if (!lua_getmetatable(L, idx)) return Guard::none;
  luaL_getmetatable(L, kGuardMeta);
  if (lua_rawequal(L, -1, -2)) {
    lua_pop(L, 2);
    return Guard::shared;
  }
  const bool keeps = lua_rawgetp(L, -2, &kScriptMetatable) != LUA_TNIL;
  lua_pop(L, 3);
  return keeps ? Guard::private_ : Guard::none;
}

bool forbidden_meta_key(lua_State* L, int key) {
  if (lua_type(L, key) != LUA_TSTRING) return false;
  const char* k = lua_tostring(L, key);
  return std::strcmp(k, "__gc") == 0 || std::strcmp(k, "__mode") == 0;
}

[[noreturn]] void refuse_meta_key(lua_State* L, const char* key) {
  if (std::strcmp(key, "__gc") == 0) {
    luaL_error(L, "__gc finalizers are not available in scenarios: they run whenever the garbage collector decides, "
                  "outside the instruction budget");
  }
  luaL_error(L, "weak tables (__mode) are not available in scenarios: what they hold changes when the garbage "
                "collector runs, which differs between runs");
  std::abort();
}

// __newindex of the shared guard: a plain assignment, except of __gc and __mode.
int guard_newindex(lua_State* L) {
  if (forbidden_meta_key(L, 2)) refuse_meta_key(L, lua_tostring(L, 2));
  lua_settop(L, 3);
  lua_rawset(L, 1);
  return 0;
}

// What Lua's luaT_objtypename says of the value at idx in an error: its metatable's __name, or
// its type.
std::string type_name(lua_State* L, int idx) {
  std::string name = luaL_typename(L, idx);
  if (const int tt = visible_metafield(L, idx, "__name"); tt != LUA_TNIL) {
    if (tt == LUA_TSTRING) name = lua_tostring(L, -1);
    lua_pop(L, 1);
  }
  return name;
}

// ---- a private guard's events, each the script metatable's ----

// Lua follows an __index or __newindex chain in a loop and stops one that never ends; here each
// link is a C call, so a chain is stopped by depth, with Lua's message.
class ChainLink {
 public:
  ChainLink(lua_State* L, const char* event) {
    if (++depth_ > kMaxChain) {
      --depth_;
      const std::string at = Sandbox::where(L);  // the links between are C calls, without a line
      lua_pushfstring(L, "%s'%s' chain too long; possible loop", at.c_str(), event);
      lua_error(L);
    }
  }
  ~ChainLink() { --depth_; }
  ChainLink(const ChainLink&) = delete;
  ChainLink& operator=(const ChainLink&) = delete;

 private:
  static constexpr int kMaxChain = 100;  // below the C stack's LUAI_MAXCCALLS (200)
  static inline int depth_ = 0;
};

int forward_index(lua_State* L) {  // (t, k)
  const ChainLink link(L, "__index");
  lua_settop(L, 2);
  const int tt = visible_metafield(L, 1, "__index");
  if (tt == LUA_TNIL) return 0;
  if (tt == LUA_TFUNCTION) {
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    lua_call(L, 2, 1);
  } else {
    lua_pushvalue(L, 2);
    lua_gettable(L, -2);  // the handler's table or value, with its own metamethods
  }
  return 1;
}

int forward_newindex(lua_State* L) {  // (t, k, v)
  const ChainLink link(L, "__newindex");
  lua_settop(L, 3);
  if (forbidden_meta_key(L, 2)) refuse_meta_key(L, lua_tostring(L, 2));
  const int tt = visible_metafield(L, 1, "__newindex");
  if (tt == LUA_TNIL) {
    lua_rawset(L, 1);
  } else if (tt == LUA_TFUNCTION) {
    lua_insert(L, 1);
    lua_call(L, 3, 0);
  } else {
    lua_replace(L, 1);  // the handler's table takes the assignment, with its own metamethods
    lua_settable(L, 1);
  }
  return 0;
}

int forward_len(lua_State* L) {  // (t, t)
  if (visible_metafield(L, 1, "__len") == LUA_TNIL) {
    lua_pushinteger(L, static_cast<lua_Integer>(lua_rawlen(L, 1)));
    return 1;
  }
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

int all_results(lua_State* L, int, lua_KContext) { return lua_gettop(L); }

int forward_call(lua_State* L) {  // (t, args...)
  if (visible_metafield(L, 1, "__call") == LUA_TNIL) return luaL_error(L, "attempt to call a %s value", type_name(L, 1).c_str());
  lua_insert(L, 1);
  lua_callk(L, lua_gettop(L) - 1, LUA_MULTRET, 0, all_results);
  return lua_gettop(L);
}

int forward_close(lua_State* L) {  // (t, error)
  if (visible_metafield(L, 1, "__close") == LUA_TNIL) return luaL_error(L, "attempt to close a %s value without __close", type_name(L, 1).c_str());
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 0);
  return 0;
}

enum class Op { arith, bitwise, concat, eq, order };
struct BinaryEvent {
  const char* name;
  Op op;
};
constexpr BinaryEvent kBinaryEvents[] = {
    {"__add", Op::arith},      {"__sub", Op::arith},     {"__mul", Op::arith},    {"__mod", Op::arith},  {"__pow", Op::arith},
    {"__div", Op::arith},      {"__idiv", Op::arith},    {"__unm", Op::arith},    {"__band", Op::bitwise},
    {"__bor", Op::bitwise},    {"__bxor", Op::bitwise},  {"__shl", Op::bitwise},  {"__shr", Op::bitwise},
    {"__bnot", Op::bitwise},   {"__concat", Op::concat}, {"__eq", Op::eq},        {"__lt", Op::order},   {"__le", Op::order},
};

// What Lua does when neither operand has a handler (ldebug.c's luaG_opinterror,
// luaG_concaterror, luaG_ordererror), without the variable's name, which only the VM knows.
int no_handler(lua_State* L, Op op) {
  const bool first_wrong = op == Op::concat ? !lua_isstring(L, 1) : lua_type(L, 1) != LUA_TNUMBER;
  const int wrong = first_wrong ? 1 : 2;
  switch (op) {
    case Op::eq: lua_pushboolean(L, 0); return 1;
    case Op::order: {
      const std::string a = type_name(L, 1), b = type_name(L, 2);
      if (a == b) return luaL_error(L, "attempt to compare two %s values", a.c_str());
      return luaL_error(L, "attempt to compare %s with %s", a.c_str(), b.c_str());
    }
    case Op::concat: return luaL_error(L, "attempt to concatenate a %s value", type_name(L, wrong).c_str());
    case Op::bitwise: return luaL_error(L, "attempt to perform bitwise operation on a %s value", type_name(L, wrong).c_str());
    case Op::arith: break;
  }
  return luaL_error(L, "attempt to perform arithmetic on a %s value", type_name(L, wrong).c_str());
}

// Lua asks the first operand with a handler, then the second. A guarded first operand always
// has one (this), so stand in for Lua: its script metatable's, else the second operand's.
int forward_binary(lua_State* L, const BinaryEvent& e) {
  lua_settop(L, 2);
  const bool first = guard_of(L, 1) == Guard::private_;
  int tt = visible_metafield(L, first ? 1 : 2, e.name);
  if (tt == LUA_TNIL && first) tt = visible_metafield(L, 2, e.name);
  if (tt == LUA_TNIL) return no_handler(L, e.op);
  lua_insert(L, 1);
  lua_call(L, 2, 1);
  return 1;
}

template <size_t I>
int forward_binary_event(lua_State* L) {
  return forward_binary(L, kBinaryEvents[I]);
}

template <size_t... I>
void set_binary_forwarders(lua_State* L, int guard, std::index_sequence<I...>) {
  ((lua_pushcfunction(L, forward_binary_event<I>), lua_setfield(L, guard, kBinaryEvents[I].name)), ...);
}

// Gives the table at t a new private guard keeping the script metatable on top of the stack
// (popped).
void install_private_guard(lua_State* L, int t) {
  t = lua_absindex(L, t);
  lua_createtable(L, 0, 24);
  lua_insert(L, -2);
  const int guard = lua_gettop(L) - 1;
  lua_rawsetp(L, guard, &kScriptMetatable);
  static const luaL_Reg events[] = {{"__index", forward_index}, {"__newindex", forward_newindex}, {"__len", forward_len},
                                    {"__call", forward_call},   {"__close", forward_close},       {nullptr, nullptr}};
  luaL_setfuncs(L, events, 0);
  set_binary_forwarders(L, guard, std::make_index_sequence<std::size(kBinaryEvents)>{});
  lua_setmetatable(L, t);
}

// Guards the table at idx from now on (it has become a metatable).
void protect_metatable(lua_State* L, int idx) {
  idx = lua_absindex(L, idx);
  if (guard_of(L, idx) != Guard::none) return;
  if (lua_getmetatable(L, idx)) {
    install_private_guard(L, idx);
    return;
  }
  luaL_getmetatable(L, kGuardMeta);
  lua_setmetatable(L, idx);
}

// Gives the guarded table at t the script metatable on top of the stack (popped; nil: none).
void set_guarded_metatable(lua_State* L, int t) {
  t = lua_absindex(L, t);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    luaL_getmetatable(L, kGuardMeta);
    lua_setmetatable(L, t);
  } else if (guard_of(L, t) == Guard::private_) {
    lua_getmetatable(L, t);
    lua_insert(L, -2);
    lua_rawsetp(L, -2, &kScriptMetatable);
    lua_pop(L, 1);
  } else {
    install_private_guard(L, t);
  }
}

// setmetatable(t, mt), as Lua's, refusing __gc and __mode and guarding mt against them.
int l_setmetatable(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  const int t = lua_type(L, 2);
  luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
  if (visible_metafield(L, 1, "__metatable") != LUA_TNIL) return luaL_error(L, "cannot change a protected metatable");
  lua_settop(L, 2);
  if (t == LUA_TTABLE) {
    for (const char* key : {"__gc", "__mode"}) {
      lua_pushstring(L, key);
      if (lua_rawget(L, 2) != LUA_TNIL) refuse_meta_key(L, key);
      lua_pop(L, 1);
    }
    protect_metatable(L, 2);  // first: setmetatable(t, t) makes t a guarded table
  }
  lua_pushvalue(L, 2);
  if (guard_of(L, 1) == Guard::none) lua_setmetatable(L, 1);
  else set_guarded_metatable(L, 1);
  lua_settop(L, 1);
  return 1;
}

// getmetatable(v), as Lua's, answering what the script set rather than a guard.
int l_getmetatable(lua_State* L) {
  luaL_checkany(L, 1);
  if (!push_visible_metatable(L, 1)) return 0;
  lua_pushliteral(L, "__metatable");
  if (lua_rawget(L, -2) == LUA_TNIL) lua_pop(L, 1);
  return 1;
}

// rawset(t, k, v), as Lua's, refusing __gc and __mode as keys of a table in use as a metatable.
int l_rawset(lua_State* L) {
  if (lua_type(L, 1) == LUA_TTABLE && forbidden_meta_key(L, 2) && guard_of(L, 1) != Guard::none) {
    refuse_meta_key(L, lua_tostring(L, 2));
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

// ---- the table library, metered ----

constexpr uint64_t kChargeEvery = 1024;

// Lua's checks for a table-like first argument (ltablib.c's checktab): a table, or a value
// whose metatable has the fields the function uses.
void check_table(lua_State* L, int arg, bool read, bool write) {
  if (lua_type(L, arg) == LUA_TTABLE) return;
  int n = 1;
  bool ok = lua_getmetatable(L, arg);
  if (ok) {
    auto has = [&](const char* field) {  // a raw get, as Lua's checkfield: no script runs here
      lua_pushstring(L, field);
      return lua_rawget(L, -(++n)) != LUA_TNIL;
    };
    if (read) ok = has("__index");
    if (write) ok = ok && has("__newindex");
    ok = ok && has("__len");
    lua_pop(L, n);
  }
  if (!ok) luaL_checktype(L, arg, LUA_TTABLE);
}

// Charges work in steps, so a long loop costs one budget check per kChargeEvery iterations.
struct Meter {
  lua_State* L;
  Sandbox& sb;
  uint64_t pending = 0;
  explicit Meter(lua_State* s) : L(s), sb(Sandbox::of(s)) {}
  void tick(uint64_t n = 1) {
    pending += n;
    if (pending >= kChargeEvery) flush();
  }
  void flush() {
    sb.charge(L, pending);
    pending = 0;
  }
};

int l_insert(lua_State* L) {
  check_table(L, 1, true, true);
  // The first empty element; wraps around as Lua's luaL_intop does, where a plain + would
  // overflow (a __len of math.maxinteger).
  const auto e = static_cast<lua_Integer>(static_cast<lua_Unsigned>(luaL_len(L, 1)) + 1u);
  lua_Integer pos;
  switch (lua_gettop(L)) {
    case 2: pos = e; break;
    case 3: {
      pos = luaL_checkinteger(L, 2);
      luaL_argcheck(L, static_cast<lua_Unsigned>(pos) - 1u < static_cast<lua_Unsigned>(e), 2, "position out of bounds");
      Meter m(L);
      for (lua_Integer i = e; i > pos; i--) {
        lua_geti(L, 1, i - 1);
        lua_seti(L, 1, i);
        m.tick();
      }
      m.flush();
      break;
    }
    default: return luaL_error(L, "wrong number of arguments to 'insert'");
  }
  lua_seti(L, 1, pos);
  return 0;
}

int l_remove(lua_State* L) {
  check_table(L, 1, true, true);
  const lua_Integer size = luaL_len(L, 1);
  lua_Integer pos = luaL_optinteger(L, 2, size);
  if (pos != size) {
    luaL_argcheck(L, static_cast<lua_Unsigned>(pos) - 1u <= static_cast<lua_Unsigned>(size), 2, "position out of bounds");
  }
  lua_geti(L, 1, pos);
  Meter m(L);
  for (; pos < size; pos++) {
    lua_geti(L, 1, pos + 1);
    lua_seti(L, 1, pos);
    m.tick();
  }
  m.flush();
  lua_pushnil(L);
  lua_seti(L, 1, pos);
  return 1;
}

int l_move(lua_State* L) {
  const lua_Integer f = luaL_checkinteger(L, 2);
  const lua_Integer e = luaL_checkinteger(L, 3);
  luaL_checkinteger(L, 4);
  if (e >= f) {
    luaL_argcheck(L, f > 0 || e < LUA_MAXINTEGER + f, 3, "too many elements to move");
    // Charged before the first element moves: a move too large for the budget never starts.
    Sandbox::of(L).charge(L, static_cast<uint64_t>(e - f) + 1);
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

int l_concat(lua_State* L) {
  check_table(L, 1, true, false);
  lua_Integer last = luaL_len(L, 1);
  size_t lsep = 0;
  const char* sep = luaL_optlstring(L, 2, "", &lsep);
  lua_Integer i = luaL_optinteger(L, 3, 1);
  last = luaL_optinteger(L, 4, last);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  Meter m(L);
  auto add = [&](lua_Integer k) {
    lua_geti(L, 1, k);
    if (!lua_isstring(L, -1)) {
      luaL_error(L, "invalid value (at index %I) in table for 'concat'", static_cast<LUAI_UACINT>(k));
    }
    luaL_addvalue(&b);
    m.tick();
  };
  for (; i < last; i++) {
    add(i);
    luaL_addlstring(&b, sep, lsep);
  }
  if (i == last) add(i);
  m.flush();
  luaL_pushresult(&b);
  return 1;
}

int l_unpack(lua_State* L) {
  lua_Integer i = luaL_optinteger(L, 2, 1);
  const lua_Integer e = luaL_opt(L, luaL_checkinteger, 3, luaL_len(L, 1));
  if (i > e) return 0;
  lua_Unsigned n = static_cast<lua_Unsigned>(e) - static_cast<lua_Unsigned>(i);
  if (n >= static_cast<unsigned int>(INT_MAX) || !lua_checkstack(L, static_cast<int>(++n))) {
    return luaL_error(L, "too many results to unpack");
  }
  Sandbox::of(L).charge(L, n);
  for (; i < e; i++) lua_geti(L, 1, i);
  lua_geti(L, 1, e);
  return static_cast<int>(n);
}

// table.sort(t [, comp]): a bottom-up merge sort. Deterministic and stable, and safe with an
// inconsistent comparator (it never reads outside the array, whatever comp answers).
int l_sort(lua_State* L) {
  check_table(L, 1, true, true);
  const lua_Integer n = luaL_len(L, 1);
  if (n <= 1) return 0;
  luaL_argcheck(L, n < INT_MAX, 1, "array too big");
  const bool comp = !lua_isnoneornil(L, 2);
  if (comp) luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_settop(L, 2);
  Sandbox& sb = Sandbox::of(L);
  sb.reserve(L, static_cast<size_t>(n) * 3 * sizeof(lua_Integer));
  lua_createtable(L, static_cast<int>(n), 0);  // 3: the values, read once
  for (lua_Integer k = 1; k <= n; k++) {
    lua_geti(L, 1, k);
    lua_rawseti(L, 3, k);
  }
  Meter m(L);
  auto less = [&](lua_Integer a, lua_Integer b) {
    m.tick();
    if (comp) {
      lua_pushvalue(L, 2);
      lua_rawgeti(L, 3, a);
      lua_rawgeti(L, 3, b);
      lua_call(L, 2, 1);
      const bool r = lua_toboolean(L, -1);
      lua_pop(L, 1);
      return r;
    }
    lua_rawgeti(L, 3, a);
    lua_rawgeti(L, 3, b);
    const bool r = lua_compare(L, -2, -1, LUA_OPLT);
    lua_pop(L, 2);
    return r;
  };
  std::vector<lua_Integer> order(static_cast<size_t>(n)), scratch(static_cast<size_t>(n));
  for (lua_Integer k = 0; k < n; k++) order[static_cast<size_t>(k)] = k + 1;
  const size_t size = order.size();
  for (size_t width = 1; width < size; width *= 2) {
    for (size_t lo = 0; lo < size; lo += 2 * width) {
      const size_t mid = std::min(lo + width, size), hi = std::min(lo + 2 * width, size);
      size_t a = lo, b = mid, out = lo;
      // Take from the right only when it is strictly less: equal elements keep their order.
      while (a < mid && b < hi) scratch[out++] = less(order[b], order[a]) ? order[b++] : order[a++];
      while (a < mid) scratch[out++] = order[a++];
      while (b < hi) scratch[out++] = order[b++];
    }
    order.swap(scratch);
  }
  m.flush();
  for (lua_Integer k = 1; k <= n; k++) {
    lua_rawgeti(L, 3, order[static_cast<size_t>(k - 1)]);
    lua_seti(L, 1, k);
  }
  return 0;
}

// ---- strings ----

int l_rep(lua_State* L) {
  size_t l = 0, lsep = 0;
  luaL_checklstring(L, 1, &l);
  const lua_Integer n = luaL_checkinteger(L, 2);
  luaL_optlstring(L, 3, "", &lsep);
  if (n <= 0 || l + lsep == 0) {
    lua_pushliteral(L, "");
    return 1;
  }
  const auto count = static_cast<lua_Unsigned>(n);
  constexpr lua_Unsigned kMax = INT_MAX;  // Lua's MAXSIZE: above it, an error a script can catch
  if (l + lsep < l || l + lsep > kMax / count) return luaL_error(L, "resulting string too large");
  Sandbox::of(L).reserve(L, static_cast<size_t>(count * l + (count - 1) * lsep));
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

// utf8.len and utf8.offset scan the string: charge its length first.
int l_scan_charged(lua_State* L) {
  size_t len = 0;
  luaL_checklstring(L, 1, &len);
  Sandbox::of(L).charge(L, len / 16);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

}  // namespace

bool push_visible_metatable(lua_State* L, int idx) {
  if (!lua_getmetatable(L, idx)) return false;
  luaL_getmetatable(L, kGuardMeta);
  const bool shared_guard = lua_rawequal(L, -1, -2);
  lua_pop(L, 1);
  if (shared_guard) {
    lua_pop(L, 1);
    return false;
  }
  if (lua_rawgetp(L, -1, &kScriptMetatable) == LUA_TNIL) lua_pop(L, 1);
  else lua_remove(L, -2);  // a private guard: the script's metatable it keeps
  return true;
}

int visible_metafield(lua_State* L, int idx, const char* field) {
  if (!push_visible_metatable(L, idx)) return LUA_TNIL;
  lua_pushstring(L, field);
  const int tt = lua_rawget(L, -2);
  if (tt == LUA_TNIL) lua_pop(L, 2);
  else lua_remove(L, -2);
  return tt;
}

void install_guards(lua_State* L) {
  // The shared guard of metatables.
  luaL_newmetatable(L, kGuardMeta);
  lua_pushcfunction(L, guard_newindex);
  lua_setfield(L, -2, "__newindex");
  lua_pop(L, 1);

  lua_pushglobaltable(L);
  const int g = lua_gettop(L);
  wrap(L, g, "pcall", catch_point);
  wrap(L, g, "xpcall", l_xpcall);
  lua_pushcfunction(L, l_setmetatable);
  lua_setfield(L, g, "setmetatable");
  lua_pushcfunction(L, l_getmetatable);
  lua_setfield(L, g, "getmetatable");
  wrap(L, g, "rawset", l_rawset);
  lua_getfield(L, g, LUA_COLIBNAME);
  wrap(L, lua_gettop(L), "resume", catch_point);
  wrap(L, lua_gettop(L), "close", catch_point);
  lua_pop(L, 1);
  lua_getfield(L, g, LUA_TABLIBNAME);
  const int t = lua_gettop(L);
  lua_pushcfunction(L, l_insert);
  lua_setfield(L, t, "insert");
  lua_pushcfunction(L, l_remove);
  lua_setfield(L, t, "remove");
  lua_pushcfunction(L, l_concat);
  lua_setfield(L, t, "concat");
  lua_pushcfunction(L, l_unpack);
  lua_setfield(L, t, "unpack");
  lua_pushcfunction(L, l_sort);
  lua_setfield(L, t, "sort");
  wrap(L, t, "move", l_move);
  lua_pop(L, 1);
  lua_getfield(L, g, LUA_STRLIBNAME);
  wrap(L, lua_gettop(L), "rep", l_rep);
  lua_pop(L, 1);
  lua_getfield(L, g, LUA_UTF8LIBNAME);
  wrap(L, lua_gettop(L), "len", l_scan_charged);
  wrap(L, lua_gettop(L), "offset", l_scan_charged);
  lua_pop(L, 2);
}

}  // namespace sim::lua
