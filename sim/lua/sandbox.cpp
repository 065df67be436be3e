#include "sim/lua/sandbox.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "sim/lua/errors.hpp"

namespace sim::lua {

namespace {
Sandbox* self(lua_State* L) { return *static_cast<Sandbox**>(lua_getextraspace(L)); }
constexpr int kHookEvery = 1000;
}  // namespace

struct Sandbox::Alloc {
  size_t used = 0;
  size_t limit = 0;
  bool exceeded = false;
};

void* Sandbox::allocate(void* ud, void* ptr, size_t osize, size_t nsize) {
  auto* a = static_cast<Alloc*>(ud);
  const size_t old = ptr ? osize : 0;
  if (nsize == 0) {
    std::free(ptr);
    a->used -= old;
    return nullptr;
  }
  if (nsize > old && a->used - old + nsize > a->limit) {
    a->exceeded = true;
    return nullptr;  // Lua raises a memory error
  }
  void* p = std::realloc(ptr, nsize);
  if (p) a->used = a->used - old + nsize;
  return p;
}

void Sandbox::count_hook(lua_State* L, lua_Debug* ar) {
  Sandbox* sb = self(L);
  sb->instructions_used_ += kHookEvery;
  if (sb->instructions_used_ > sb->limits_.instructions) {
    // Name the line that was running; luaL_where cannot see it from inside a hook.
    lua_getinfo(L, "Sl", ar);
    if (ar->currentline > 0) lua_pushfstring(L, "%s:%d: ", ar->short_src, ar->currentline);
    else lua_pushliteral(L, "");
    luaL_error(L, "%sinstruction limit exceeded: more than %I Lua instructions in one call (an endless loop?)",
               lua_tostring(L, -1), static_cast<lua_Integer>(sb->limits_.instructions));
  }
}

Sandbox::Sandbox(std::filesystem::path script_dir, SandboxLimits limits)
    : script_dir_(std::move(script_dir)), limits_(limits), alloc_(std::make_unique<Alloc>()) {
  alloc_->limit = limits_.memory_bytes;
  L_ = lua_newstate(&Sandbox::allocate, alloc_.get());
  if (!L_) throw std::runtime_error("cannot create a Lua state");
  *static_cast<Sandbox**>(lua_getextraspace(L_)) = this;
  open_libraries();
  lua_sethook(L_, &Sandbox::count_hook, LUA_MASKCOUNT, kHookEvery);
}

Sandbox::~Sandbox() {
  if (L_) lua_close(L_);
}

void mark_usage_error(lua_State* L) { self(L)->usage_error_ = true; }

void Sandbox::set_owner(void* owner) { owner_ = owner; }
void* Sandbox::owner(lua_State* L) { return self(L)->owner_; }
uint64_t Sandbox::memory_used() const { return alloc_->used; }
void Sandbox::set_random(Rng rng) { rng_ = std::make_unique<Rng>(rng); }

int Sandbox::forbidden_library(lua_State* L) {
  const char* lib = lua_tostring(L, lua_upvalueindex(1));
  const char* key = lua_tostring(L, 2);
  std::string why = std::strcmp(lib, "os") == 0
                        ? "scenarios run on simulated time (use now()) and cannot reach the operating system"
                        : "scenarios cannot touch files or the process; they run sandboxed";
  return luaL_error(L, "%s.%s is not available in a scenario: %s", lib, key ? key : "?", why.c_str());
}

namespace {
int forbidden_function(lua_State* L) {
  return luaL_error(L, "%s is not available in a scenario: scenarios run sandboxed (use require for files beside the scenario)",
                    lua_tostring(L, lua_upvalueindex(1)));
}

bool valid_module_name(const std::string& name) {
  if (name.empty() || name.front() == '.' || name.back() == '.') return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '.';
    if (!ok) return false;
    if (c == '.' && i + 1 < name.size() && name[i + 1] == '.') return false;
  }
  return true;
}
}  // namespace

int Sandbox::sandbox_require(lua_State* L) {
  Sandbox* sb = self(L);
  const std::string name = luaL_checkstring(L, 1);
  static const char* const kLibraries[] = {"os", "io", "debug", "package", "ffi", "lfs", "socket"};
  for (const char* lib : kLibraries) {
    if (name == lib) {
      return luaL_error(L, "require \"%s\": the %s library is not available in scenarios; require loads only Lua files beside the scenario",
                        name.c_str(), name.c_str());
    }
  }
  if (!valid_module_name(name)) {
    return luaL_error(L, "require \"%s\": module names are letters, digits, '_', '-' and '.' (for subfolders)", name.c_str());
  }
  lua_getfield(L, LUA_REGISTRYINDEX, "kafkasim.loaded");
  if (lua_getfield(L, -1, name.c_str()) != LUA_TNIL) return 1;
  lua_pop(L, 1);

  std::string rel = name;
  std::replace(rel.begin(), rel.end(), '.', '/');
  const std::filesystem::path path = sb->script_dir_ / (rel + ".lua");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return luaL_error(L, "require \"%s\": no file %s (require loads only Lua files beside the scenario)", name.c_str(),
                      path.string().c_str());
  }
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string code = buf.str();
  const std::string chunk = "@" + path.lexically_normal().string();
  if (luaL_loadbufferx(L, code.data(), code.size(), chunk.c_str(), "t") != LUA_OK) return lua_error(L);
  lua_pushstring(L, name.c_str());
  lua_call(L, 1, 1);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_pushboolean(L, 1);
  }
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, name.c_str());
  return 1;
}

namespace {
int sorted_pairs_next(lua_State* L) {
  const lua_Integer i = lua_tointeger(L, lua_upvalueindex(3)) + 1;
  lua_pushinteger(L, i);
  lua_replace(L, lua_upvalueindex(3));
  if (lua_rawgeti(L, lua_upvalueindex(2), i) == LUA_TNIL) return 1;
  lua_pushvalue(L, -1);
  lua_rawget(L, lua_upvalueindex(1));
  return 2;
}

int type_rank(int type) {
  switch (type) {
    case LUA_TNUMBER: return 0;
    case LUA_TSTRING: return 1;
    case LUA_TBOOLEAN: return 2;
    default: return 3;
  }
}
}  // namespace

int Sandbox::sorted_pairs(lua_State* L) {
  luaL_checkany(L, 1);
  if (luaL_getmetafield(L, 1, "__pairs") != LUA_TNIL) {
    lua_pushvalue(L, 1);
    lua_call(L, 1, 3);
    return 3;
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  struct Key {
    int rank;
    double number;
    std::string text;
    int index;
  };
  std::vector<Key> keys;
  lua_newtable(L);  // all keys, in Lua's order
  const int all = lua_gettop(L);
  int n = 0;
  lua_pushnil(L);
  while (lua_next(L, 1) != 0) {
    lua_pop(L, 1);
    const int type = lua_type(L, -1);
    Key k{type_rank(type), 0, {}, ++n};
    if (type == LUA_TNUMBER) k.number = lua_tonumber(L, -1);
    else if (type == LUA_TSTRING) k.text = lua_tostring(L, -1);
    else if (type == LUA_TBOOLEAN) k.number = lua_toboolean(L, -1);
    keys.push_back(std::move(k));
    lua_pushvalue(L, -1);
    lua_rawseti(L, all, n);
  }
  std::stable_sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) {
    if (a.rank != b.rank) return a.rank < b.rank;
    if (a.rank == 0 || a.rank == 2) return a.number < b.number;
    if (a.rank == 1) return a.text < b.text;
    return false;
  });
  lua_pushvalue(L, 1);     // upvalue 1: the table
  lua_newtable(L);         // upvalue 2: keys in sorted order
  for (size_t i = 0; i < keys.size(); ++i) {
    lua_rawgeti(L, all, keys[i].index);
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
  lua_pushinteger(L, 0);   // upvalue 3: position
  lua_pushcclosure(L, sorted_pairs_next, 3);
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

int Sandbox::random(lua_State* L) {
  Sandbox* sb = self(L);
  if (!sb->rng_) return luaL_error(L, "math.random is available once scenario { ... } has been declared (it draws from the run's seed)");
  Rng& rng = *sb->rng_;
  switch (lua_gettop(L)) {
    case 0: lua_pushnumber(L, rng.uniform_real()); return 1;
    case 1: {
      const lua_Integer m = luaL_checkinteger(L, 1);
      luaL_argcheck(L, 1 <= m, 1, "interval is empty");
      lua_pushinteger(L, rng.uniform_int(1, m));
      return 1;
    }
    default: {
      const lua_Integer lo = luaL_checkinteger(L, 1), hi = luaL_checkinteger(L, 2);
      luaL_argcheck(L, lo <= hi, 2, "interval is empty");
      lua_pushinteger(L, rng.uniform_int(lo, hi));
      return 1;
    }
  }
}

void Sandbox::open_libraries() {
  lua_State* L = L_;
  static const luaL_Reg libs[] = {{LUA_GNAME, luaopen_base},          {LUA_TABLIBNAME, luaopen_table},
                                  {LUA_STRLIBNAME, luaopen_string},   {LUA_MATHLIBNAME, luaopen_math},
                                  {LUA_UTF8LIBNAME, luaopen_utf8},    {LUA_COLIBNAME, luaopen_coroutine}};
  for (const auto& lib : libs) {
    luaL_requiref(L, lib.name, lib.func, 1);
    lua_pop(L, 1);
  }
  for (const char* fn : {"dofile", "loadfile", "load", "collectgarbage"}) {
    lua_pushstring(L, fn);
    lua_pushcclosure(L, forbidden_function, 1);
    lua_setglobal(L, fn);
  }
  for (const char* lib : {"io", "os", "debug", "package"}) {
    lua_newtable(L);
    lua_newtable(L);
    lua_pushstring(L, lib);
    lua_pushcclosure(L, &Sandbox::forbidden_library, 1);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    lua_setglobal(L, lib);
  }
  lua_getglobal(L, LUA_STRLIBNAME);
  lua_pushnil(L);
  lua_setfield(L, -2, "dump");  // bytecode out means bytecode in: never
  lua_pop(L, 1);
  lua_getglobal(L, LUA_MATHLIBNAME);
  lua_pushcfunction(L, &Sandbox::random);
  lua_setfield(L, -2, "random");
  lua_pushstring(L, "math.randomseed (the run's --seed decides every draw)");
  lua_pushcclosure(L, forbidden_function, 1);
  lua_setfield(L, -2, "randomseed");
  lua_pop(L, 1);
  lua_pushcfunction(L, &Sandbox::sorted_pairs);
  lua_setglobal(L, "pairs");
  lua_pushcfunction(L, &Sandbox::sandbox_require);
  lua_setglobal(L, "require");
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, "kafkasim.loaded");
}

int Sandbox::traceback(lua_State* L) {
  const char* msg = lua_tostring(L, 1);
  if (!msg) msg = luaL_tolstring(L, 1, nullptr);
  luaL_traceback(L, L, msg, 1);
  return 1;
}

namespace {
// "file:12: msg\nstack traceback:\n\t[C]: in ?\n\tfile:12: in function 'f'" becomes the
// message plus the Lua frames only, at most five.
std::string shorten(const std::string& full) {
  const size_t tb = full.find("\nstack traceback:");
  if (tb == std::string::npos) return full;
  std::string out = full.substr(0, tb);
  std::istringstream lines(full.substr(tb + 18));
  std::string line;
  std::vector<std::string> frames;
  while (std::getline(lines, line)) {
    while (!line.empty() && (line.front() == '\t' || line.front() == ' ')) line.erase(0, 1);
    if (line.empty() || line.rfind("[C]", 0) == 0 || line.find("(...tail calls...)") != std::string::npos) continue;
    frames.push_back(line);
  }
  if (frames.size() > 1 || (frames.size() == 1 && frames[0].find("in main chunk") == std::string::npos &&
                            frames[0].find("in function <") == std::string::npos)) {
    out += "\n  traceback:";
    for (size_t i = 0; i < frames.size() && i < 5; ++i) out += "\n    " + frames[i];
    if (frames.size() > 5) out += fmt::format("\n    ... {} more", frames.size() - 5);
  }
  return out;
}
}  // namespace

void Sandbox::raise_error(int status, const char* what) {
  std::string msg;
  if (status == LUA_ERRMEM || alloc_->exceeded) {
    alloc_->exceeded = false;
    msg = fmt::format("{}: memory limit exceeded: the scenario's Lua code used more than {} MiB", what,
                      limits_.memory_bytes >> 20);
  } else {
    const char* s = lua_tostring(L_, -1);
    msg = shorten(s ? s : "(error object is not a string)");
  }
  lua_settop(L_, 0);
  if (usage_error_) {
    usage_error_ = false;
    throw UsageError(msg);
  }
  throw ScenarioError(msg);
}

void Sandbox::pcall(int nargs, const char* what) {
  const int base = lua_gettop(L_) - nargs;  // the function's index
  lua_pushcfunction(L_, &Sandbox::traceback);
  lua_insert(L_, base);
  instructions_used_ = 0;
  const int status = lua_pcall(L_, nargs, 0, base);
  if (status != LUA_OK) raise_error(status, what);
  lua_remove(L_, base);
}

void Sandbox::call_ref(int ref, const char* what) {
  lua_rawgeti(L_, LUA_REGISTRYINDEX, ref);
  pcall(0, what);
}

void Sandbox::run_file(const std::filesystem::path& path, const std::string& display_name) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScenarioError(fmt::format("{}: cannot read the scenario file", display_name));
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string code = buf.str();
  const std::string chunk = "@" + display_name;
  const int status = luaL_loadbufferx(L_, code.data(), code.size(), chunk.c_str(), "t");
  if (status != LUA_OK) raise_error(status, display_name.c_str());
  pcall(0, display_name.c_str());
}

}  // namespace sim::lua
