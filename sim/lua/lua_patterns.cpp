// string.find, string.match, string.gmatch and string.gsub with Lua 5.4's pattern language,
// step for step as Lua's lstrlib.c matches, except that every step is charged to the sandbox's
// instruction budget, and so is every walk of a bracket set ([...], %f[...]) or of gsub's
// replacement string, which one step may repeat. Lua's matcher backtracks without bound inside one C call, where no
// instruction hook can stop it: ("a?"):rep(40) .. ("a"):rep(40) against forty a's takes 2^40
// steps, ".-.-.-.-b" against a long string n^5. Here such a call ends the run at its line.
// tests/unit/lua_patterns_test.cpp compares every function with Lua's own on random patterns.
#include <cctype>
#include <cstddef>
#include <cstring>
#include <new>

#include "sim/lua/sandbox.hpp"

namespace sim::lua {

namespace {

constexpr int kMaxCaptures = 32;   // LUA_MAXCAPTURES
constexpr int kMaxCalls = 200;     // MAXCCALLS: how deep a match may recurse
constexpr char kEsc = '%';
constexpr const char* kSpecials = "^$*+?.([%-";
constexpr ptrdiff_t kCapUnfinished = -1;
constexpr ptrdiff_t kCapPosition = -2;
constexpr uint64_t kChargeEvery = 4096;

inline int uc(char c) { return static_cast<unsigned char>(c); }

struct MatchState {
  const char* src_init;  // the subject; like every Lua string, followed by a '\0'
  const char* src_end;
  const char* p_end;     // the pattern's end (also followed by a '\0')
  lua_State* L;
  int matchdepth;
  int level;  // captures, finished or not
  struct {
    const char* init;
    ptrdiff_t len;
  } capture[kMaxCaptures];
  uint64_t steps = 0;

  void step(uint64_t n = 1) {
    steps += n;
    if (steps >= kChargeEvery) flush();
  }
  void flush() {
    Sandbox::of(L).charge(L, steps);
    steps = 0;
  }
};

[[noreturn]] void fail(MatchState* ms, const char* fmt, int arg = 0) {
  luaL_error(ms->L, fmt, arg);
  std::abort();
}

int check_capture(MatchState* ms, int l) {
  l -= '1';
  if (l < 0 || l >= ms->level || ms->capture[l].len == kCapUnfinished) fail(ms, "invalid capture index %%%d", l + 1);
  return l;
}

int capture_to_close(MatchState* ms) {
  int level = ms->level;
  for (level--; level >= 0; level--)
    if (ms->capture[level].len == kCapUnfinished) return level;
  fail(ms, "invalid pattern capture");
}

const char* class_end(MatchState* ms, const char* p) {
  const char* start = p;
  switch (*p++) {
    case kEsc:
      if (p == ms->p_end) fail(ms, "malformed pattern (ends with '%%')");
      return p + 1;
    case '[':
      if (*p == '^') p++;
      do {  // look for a ']'
        if (p == ms->p_end) fail(ms, "malformed pattern (missing ']')");
        if (*(p++) == kEsc && p < ms->p_end) p++;  // skip escapes (e.g. '%]')
      } while (*p != ']');
      ms->step(static_cast<uint64_t>(p - start));  // a set is walked again at every step
      return p + 1;
    default: return p;
  }
}

bool match_class(int c, int cl) {
  bool res;
  switch (std::tolower(cl)) {
    case 'a': res = std::isalpha(c); break;
    case 'c': res = std::iscntrl(c); break;
    case 'd': res = std::isdigit(c); break;
    case 'g': res = std::isgraph(c); break;
    case 'l': res = std::islower(c); break;
    case 'p': res = std::ispunct(c); break;
    case 's': res = std::isspace(c); break;
    case 'u': res = std::isupper(c); break;
    case 'w': res = std::isalnum(c); break;
    case 'x': res = std::isxdigit(c); break;
    case 'z': res = (c == 0); break;  // deprecated, but Debian's Lua still has it
    default: return cl == c;
  }
  return std::isupper(cl) ? !res : res;
}

// p points at the '[' of a set that ends at ec (its ']').
bool match_bracket_class(int c, const char* p, const char* ec) {
  bool sig = true;
  if (*(p + 1) == '^') {
    sig = false;
    p++;
  }
  while (++p < ec) {
    if (*p == kEsc) {
      p++;
      if (match_class(c, uc(*p))) return sig;
    } else if (*(p + 1) == '-' && p + 2 < ec) {
      p += 2;
      if (uc(*(p - 2)) <= c && c <= uc(*p)) return sig;
    } else if (uc(*p) == c) {
      return sig;
    }
  }
  return !sig;
}

bool single_match(MatchState* ms, const char* s, const char* p, const char* ep) {
  if (s >= ms->src_end) return false;
  const int c = uc(*s);
  switch (*p) {
    case '.': return true;
    case kEsc: return match_class(c, uc(*(p + 1)));
    case '[':
      ms->step(static_cast<uint64_t>(ep - p));  // the set is walked for each character
      return match_bracket_class(c, p, ep - 1);
    default: return uc(*p) == c;
  }
}

const char* match(MatchState* ms, const char* s, const char* p);

const char* match_balance(MatchState* ms, const char* s, const char* p) {
  if (p >= ms->p_end - 1) fail(ms, "malformed pattern (missing arguments to '%%b')");
  if (*s != *p) return nullptr;
  const int b = *p, e = *(p + 1);
  int cont = 1;
  const char* start = s;
  while (++s < ms->src_end) {
    if (*s == e) {
      if (--cont == 0) {
        ms->step(static_cast<uint64_t>(s - start));
        return s + 1;
      }
    } else if (*s == b) {
      cont++;
    }
  }
  ms->step(static_cast<uint64_t>(s - start));
  return nullptr;
}

const char* max_expand(MatchState* ms, const char* s, const char* p, const char* ep) {
  ptrdiff_t i = 0;
  while (single_match(ms, s + i, p, ep)) i++;
  ms->step(static_cast<uint64_t>(i));
  // try with the longest repetition, then one less each time
  while (i >= 0) {
    const char* res = match(ms, s + i, ep + 1);
    if (res) return res;
    i--;
  }
  return nullptr;
}

const char* min_expand(MatchState* ms, const char* s, const char* p, const char* ep) {
  for (;;) {
    const char* res = match(ms, s, ep + 1);
    if (res) return res;
    if (!single_match(ms, s, p, ep)) return nullptr;
    s++;
    ms->step();
  }
}

const char* start_capture(MatchState* ms, const char* s, const char* p, ptrdiff_t what) {
  const int level = ms->level;
  if (level >= kMaxCaptures) fail(ms, "too many captures");
  ms->capture[level].init = s;
  ms->capture[level].len = what;
  ms->level = level + 1;
  const char* res = match(ms, s, p);
  if (!res) ms->level--;  // undo capture
  return res;
}

const char* end_capture(MatchState* ms, const char* s, const char* p) {
  const int l = capture_to_close(ms);
  ms->capture[l].len = s - ms->capture[l].init;
  const char* res = match(ms, s, p);
  if (!res) ms->capture[l].len = kCapUnfinished;
  return res;
}

const char* match_capture(MatchState* ms, const char* s, int l) {
  l = check_capture(ms, l);
  const size_t len = static_cast<size_t>(ms->capture[l].len);
  ms->step(len);
  if (static_cast<size_t>(ms->src_end - s) >= len && std::memcmp(ms->capture[l].init, s, len) == 0) return s + len;
  return nullptr;
}

const char* match(MatchState* ms, const char* s, const char* p) {
  if (ms->matchdepth-- == 0) fail(ms, "pattern too complex");
init:  // using goto to optimize tail recursion, as Lua does
  ms->step();
  if (p != ms->p_end) {
    switch (*p) {
      case '(':
        if (*(p + 1) == ')') s = start_capture(ms, s, p + 2, kCapPosition);
        else s = start_capture(ms, s, p + 1, kCapUnfinished);
        break;
      case ')':
        s = end_capture(ms, s, p + 1);
        break;
      case '$':
        if (p + 1 != ms->p_end) goto dflt;  // not the pattern's end: an ordinary '$'
        s = (s == ms->src_end) ? s : nullptr;
        break;
      case kEsc:
        switch (*(p + 1)) {
          case 'b':
            s = match_balance(ms, s, p + 2);
            if (s) {
              p += 4;
              goto init;
            }
            break;
          case 'f': {
            p += 2;
            if (*p != '[') fail(ms, "missing '[' after '%%f' in pattern");
            const char* ep = class_end(ms, p);
            const int previous = (s == ms->src_init) ? '\0' : uc(*(s - 1));
            ms->step(2 * static_cast<uint64_t>(ep - p));  // the set is walked twice below
            if (!match_bracket_class(previous, p, ep - 1) && match_bracket_class(uc(*s), p, ep - 1)) {
              p = ep;
              goto init;
            }
            s = nullptr;
            break;
          }
          case '0': case '1': case '2': case '3': case '4':
          case '5': case '6': case '7': case '8': case '9':
            s = match_capture(ms, s, uc(*(p + 1)));
            if (s) {
              p += 2;
              goto init;
            }
            break;
          default: goto dflt;
        }
        break;
      default:
      dflt: {
        const char* ep = class_end(ms, p);
        if (!single_match(ms, s, p, ep)) {
          if (*ep == '*' || *ep == '?' || *ep == '-') {  // accept empty?
            p = ep + 1;
            goto init;
          }
          s = nullptr;
        } else {
          switch (*ep) {
            case '?': {
              const char* res = match(ms, s + 1, ep + 1);
              if (res) {
                s = res;
              } else {
                p = ep + 1;
                goto init;
              }
              break;
            }
            case '+': s = max_expand(ms, s + 1, p, ep); break;
            case '*': s = max_expand(ms, s, p, ep); break;
            case '-': s = min_expand(ms, s, p, ep); break;
            default:
              s++;
              p = ep;
              goto init;
          }
        }
        break;
      }
    }
  }
  ms->matchdepth++;
  return s;
}

// The text of capture i (or the whole match when there are none), or a position capture
// pushed as an integer (returned length kCapPosition).
ptrdiff_t get_onecapture(MatchState* ms, int i, const char* s, const char* e, const char** cap) {
  if (i >= ms->level) {
    if (i != 0) fail(ms, "invalid capture index %%%d", i + 1);
    *cap = s;
    return e - s;
  }
  const ptrdiff_t capl = ms->capture[i].len;
  *cap = ms->capture[i].init;
  if (capl == kCapUnfinished) fail(ms, "unfinished capture");
  if (capl == kCapPosition) lua_pushinteger(ms->L, (ms->capture[i].init - ms->src_init) + 1);
  return capl;
}

void push_onecapture(MatchState* ms, int i, const char* s, const char* e) {
  const char* cap;
  const ptrdiff_t l = get_onecapture(ms, i, s, e, &cap);
  if (l != kCapPosition) lua_pushlstring(ms->L, cap, static_cast<size_t>(l));
}

int push_captures(MatchState* ms, const char* s, const char* e) {
  const int nlevels = (ms->level == 0 && s) ? 1 : ms->level;
  luaL_checkstack(ms->L, nlevels, "too many captures");
  for (int i = 0; i < nlevels; i++) push_onecapture(ms, i, s, e);
  return nlevels;
}

// Whether the pattern has no special characters (it may contain '\0's).
bool no_specials(const char* p, size_t l) {
  size_t upto = 0;
  do {
    if (std::strpbrk(p + upto, kSpecials)) return false;
    upto += std::strlen(p + upto) + 1;  // may have more after '\0'
  } while (upto <= l);
  return true;
}

const char* mem_find(MatchState& ms, const char* s1, size_t l1, const char* s2, size_t l2) {
  if (l2 == 0) return s1;
  if (l2 > l1) return nullptr;
  const char* init;
  l2--;  // 1st char is checked by memchr
  l1 = l1 - l2;
  while (l1 > 0 && (init = static_cast<const char*>(std::memchr(s1, *s2, l1))) != nullptr) {
    init++;
    ms.step(static_cast<uint64_t>(init - s1) + l2);
    if (std::memcmp(init, s2 + 1, l2) == 0) return init - 1;
    l1 -= static_cast<size_t>(init - s1);
    s1 = init;
  }
  ms.step(l1);
  return nullptr;
}

size_t posrelat_start(lua_Integer pos, size_t len) {
  if (pos > 0) return static_cast<size_t>(pos);
  if (pos == 0) return 1;
  if (pos < -static_cast<lua_Integer>(len)) return 1;
  return len + static_cast<size_t>(pos) + 1;
}

void prepare(MatchState& ms, lua_State* L, const char* s, size_t ls, const char* p, size_t lp) {
  ms.L = L;
  ms.matchdepth = kMaxCalls;
  ms.src_init = s;
  ms.src_end = s + ls;
  ms.p_end = p + lp;
}

void reprepare(MatchState& ms) {
  ms.level = 0;
  ms.matchdepth = kMaxCalls;
}

int find_aux(lua_State* L, bool find) {
  size_t ls, lp;
  const char* s = luaL_checklstring(L, 1, &ls);
  const char* p = luaL_checklstring(L, 2, &lp);
  const size_t init = posrelat_start(luaL_optinteger(L, 3, 1), ls) - 1;
  if (init > ls) {
    luaL_pushfail(L);
    return 1;
  }
  MatchState ms;
  prepare(ms, L, s, ls, p, lp);
  if (find && (lua_toboolean(L, 4) || no_specials(p, lp))) {
    const char* s2 = mem_find(ms, s + init, ls - init, p, lp);
    ms.flush();
    if (s2) {
      lua_pushinteger(L, (s2 - s) + 1);
      lua_pushinteger(L, static_cast<lua_Integer>((s2 - s) + static_cast<ptrdiff_t>(lp)));
      return 2;
    }
  } else {
    const char* s1 = s + init;
    const bool anchor = (*p == '^');
    if (anchor) {
      p++;
      lp--;
      ms.p_end = p + lp;
    }
    do {
      reprepare(ms);
      const char* res = match(&ms, s1, p);
      if (res) {
        ms.flush();
        if (find) {
          lua_pushinteger(L, (s1 - s) + 1);
          lua_pushinteger(L, res - s);
          return push_captures(&ms, nullptr, nullptr) + 2;
        }
        return push_captures(&ms, s1, res);
      }
    } while (s1++ < ms.src_end && !anchor);
    ms.flush();
  }
  luaL_pushfail(L);
  return 1;
}

int l_find(lua_State* L) { return find_aux(L, true); }
int l_match(lua_State* L) { return find_aux(L, false); }

struct GMatchState {
  const char* src;
  const char* p;
  const char* lastmatch;  // end of the last match
  MatchState ms;
};

int gmatch_aux(lua_State* L) {
  auto* gm = static_cast<GMatchState*>(lua_touserdata(L, lua_upvalueindex(3)));
  gm->ms.L = L;  // the iterator may run in another coroutine than the one that made it
  for (const char* src = gm->src; src <= gm->ms.src_end; src++) {
    reprepare(gm->ms);
    const char* e = match(&gm->ms, src, gm->p);
    if (e && e != gm->lastmatch) {
      gm->src = gm->lastmatch = e;
      gm->ms.flush();
      return push_captures(&gm->ms, src, e);
    }
  }
  gm->ms.flush();
  return 0;
}

int l_gmatch(lua_State* L) {
  size_t ls, lp;
  const char* s = luaL_checklstring(L, 1, &ls);
  const char* p = luaL_checklstring(L, 2, &lp);
  size_t init = posrelat_start(luaL_optinteger(L, 3, 1), ls) - 1;
  lua_settop(L, 2);  // keep strings on closure to avoid being collected
  auto* gm = static_cast<GMatchState*>(lua_newuserdatauv(L, sizeof(GMatchState), 0));
  new (gm) GMatchState{};
  if (init > ls) init = ls + 1;  // start after string's end
  prepare(gm->ms, L, s, ls, p, lp);
  gm->src = s + init;
  gm->p = p;
  gm->lastmatch = nullptr;
  lua_pushcclosure(L, gmatch_aux, 3);
  return 1;
}

void add_s(MatchState* ms, luaL_Buffer* b, const char* s, const char* e) {
  size_t l;
  lua_State* L = ms->L;
  const char* news = lua_tolstring(L, 3, &l);
  ms->step(l);  // the replacement is walked for every match
  const char* p;
  while ((p = static_cast<const char*>(std::memchr(news, kEsc, l))) != nullptr) {
    luaL_addlstring(b, news, static_cast<size_t>(p - news));
    p++;  // skip ESC
    if (*p == kEsc) {
      luaL_addchar(b, *p);
    } else if (*p == '0') {
      luaL_addlstring(b, s, static_cast<size_t>(e - s));
    } else if (std::isdigit(uc(*p))) {
      const char* cap;
      const ptrdiff_t resl = get_onecapture(ms, *p - '1', s, e, &cap);
      if (resl == kCapPosition) luaL_addvalue(b);  // add position to accumulated result
      else luaL_addlstring(b, cap, static_cast<size_t>(resl));
    } else {
      luaL_error(L, "invalid use of '%c' in replacement string", kEsc);
    }
    l -= static_cast<size_t>(p + 1 - news);
    news = p + 1;
  }
  luaL_addlstring(b, news, l);
}

// Adds the replacement of the match s..e; returns whether it changed the text.
bool add_value(MatchState* ms, luaL_Buffer* b, const char* s, const char* e, int tr) {
  lua_State* L = ms->L;
  switch (tr) {
    case LUA_TFUNCTION: {
      lua_pushvalue(L, 3);
      const int n = push_captures(ms, s, e);
      lua_call(L, n, 1);
      break;
    }
    case LUA_TTABLE:
      push_onecapture(ms, 0, s, e);
      lua_gettable(L, 3);
      break;
    default:
      add_s(ms, b, s, e);
      return true;
  }
  if (!lua_toboolean(L, -1)) {  // nil or false: keep the original text
    lua_pop(L, 1);
    luaL_addlstring(b, s, static_cast<size_t>(e - s));
    return false;
  }
  if (!lua_isstring(L, -1)) luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
  luaL_addvalue(b);
  return true;
}

int l_gsub(lua_State* L) {
  size_t srcl, lp;
  const char* src = luaL_checklstring(L, 1, &srcl);
  const char* p = luaL_checklstring(L, 2, &lp);
  const char* lastmatch = nullptr;
  const int tr = lua_type(L, 3);
  const lua_Integer max_s = luaL_optinteger(L, 4, static_cast<lua_Integer>(srcl) + 1);
  const bool anchor = (*p == '^');
  lua_Integer n = 0;
  bool changed = false;
  luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION || tr == LUA_TTABLE, 3,
                   "string/function/table");
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  if (anchor) {
    p++;
    lp--;
  }
  MatchState ms;
  prepare(ms, L, src, srcl, p, lp);
  while (n < max_s) {
    reprepare(ms);
    const char* e = match(&ms, src, p);
    if (e && e != lastmatch) {
      n++;
      changed = add_value(&ms, &b, src, e, tr) || changed;
      src = lastmatch = e;
    } else if (src < ms.src_end) {
      luaL_addchar(&b, *src++);
    } else {
      break;
    }
    if (anchor) break;
  }
  ms.flush();
  if (!changed) {
    lua_pushvalue(L, 1);
  } else {
    luaL_addlstring(&b, src, static_cast<size_t>(ms.src_end - src));
    luaL_pushresult(&b);
  }
  lua_pushinteger(L, n);
  return 2;
}

}  // namespace

void install_patterns(lua_State* L) {
  lua_getglobal(L, LUA_STRLIBNAME);
  static const luaL_Reg fns[] = {{"find", l_find}, {"match", l_match}, {"gmatch", l_gmatch}, {"gsub", l_gsub},
                                 {nullptr, nullptr}};
  luaL_setfuncs(L, fns, 0);
  lua_pop(L, 1);
}

}  // namespace sim::lua
