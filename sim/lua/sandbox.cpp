#include "sim/lua/sandbox.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "sim/lua/caps.hpp"
#include "sim/lua/errors.hpp"
#include "sim/lua/watchdog.hpp"

namespace sim::lua {

namespace {
constexpr int kHookEvery = 1000;
// One unit of the instruction budget per this many bytes allocated.
constexpr uint64_t kBytesPerWork = 16;
}  // namespace

Sandbox::Sandbox(std::filesystem::path script_dir, SandboxLimits limits)
    : script_dir_(std::move(script_dir)), limits_(limits), heap_(limits.memory_bytes) {
  L_ = lua_newstate(&LuaHeap::allocate, &heap_);
  if (!L_) throw std::runtime_error("cannot create a Lua state");
  *static_cast<Sandbox**>(lua_getextraspace(L_)) = this;
  lua_sethook(L_, &Sandbox::count_hook, LUA_MASKCOUNT, kHookEvery);
  protected_call("the sandbox's set-up", [this](lua_State*) { open_libraries(); });
}

Sandbox::~Sandbox() { close(); }

void Sandbox::close() {
  if (L_) lua_close(L_);
  L_ = nullptr;
}

void mark_usage_error(lua_State* L) { Sandbox::of(L).usage_error_ = true; }

void Sandbox::set_random(Rng rng) { rng_ = std::make_unique<Rng>(rng); }

// ---- limits ----

std::string Sandbox::where(lua_State* L) {
  lua_Debug ar;
  for (int level = 0; lua_getstack(L, level, &ar); ++level) {
    lua_getinfo(L, "Sl", &ar);
    if (ar.currentline > 0) return fmt::format("{}:{}: ", ar.short_src, ar.currentline);
  }
  return {};
}

void Sandbox::terminate(lua_State* L, const std::string& what) {
  if (!terminated_) {
    terminated_ = true;
    std::string at = where(L);
    if (at.empty() && !entry_.empty()) at = entry_ + ": ";
    termination_ = at + what;
  }
  // From now on every Lua instruction of this thread fails at once; other threads fail at their
  // next hook tick.
  lua_sethook(L, &Sandbox::count_hook, LUA_MASKCOUNT, 1);
  rethrow_termination(L);
}

void Sandbox::rethrow_termination(lua_State* L) {
  lua_pushlstring(L, termination_.data(), termination_.size());
  lua_error(L);
  std::abort();  // lua_error does not return
}

void Sandbox::charge(lua_State* L, uint64_t work) {
  work_used_ += work;
  if (work_used_ > limits_.instructions) {
    terminate(L, fmt::format("instruction limit exceeded: more than {} Lua instructions (or the same work in string "
                             "and table functions) in one call from the simulator (an endless loop?)",
                             limits_.instructions));
  }
}

bool Sandbox::fits_after_collection(lua_State* L, size_t bytes) {
  charge(L, heap_.used() / kBytesPerWork);  // a full collection walks what is in use
  lua_gc(L, LUA_GCCOLLECT);
  heap_.recount();
  return !heap_.over_limit() && !heap_.would_exceed(bytes);
}

void Sandbox::reserve(lua_State* L, size_t bytes) {
  if (heap_.would_exceed(bytes) && !fits_after_collection(L, bytes)) {
    terminate(L, fmt::format("memory limit exceeded: this would take the scenario's Lua memory past {} MiB",
                             limits_.memory_bytes >> 20));
  }
  charge(L, bytes / kBytesPerWork);
}

void Sandbox::take_text(lua_State* L, size_t bytes) {
  if (bytes > limits_.text_bytes - std::min<uint64_t>(text_taken_, limits_.text_bytes)) {
    terminate(L, fmt::format("text limit exceeded: the scenario handed the simulator more than {} MiB of text in this run "
                             "(record keys and values, notes, log lines, check names and details)",
                             limits_.text_bytes >> 20));
  }
  text_taken_ += bytes;
  charge(L, bytes / kBytesPerWork);
}

void Sandbox::count_hook(lua_State* L, lua_Debug*) {
  Sandbox& sb = of(L);
  if (sb.terminated_) sb.rethrow_termination(L);
  if (sb.heap_.over_limit() && !sb.fits_after_collection(L, 0)) {
    sb.terminate(L, fmt::format("memory limit exceeded: the scenario's Lua code used more than {} MiB",
                                sb.limits_.memory_bytes >> 20));
  }
  if (watchdog::expired()) {
    sb.terminate(L, fmt::format("CPU time limit exceeded: one call from the simulator into Lua ran for more than {} s "
                                "of CPU time (work the instruction budget does not see, such as comparing very long "
                                "strings)",
                                sb.limits_.cpu_seconds));
  }
  sb.charge(L, kHookEvery + sb.heap_.take_allocated() / kBytesPerWork);
}

// ---- calls from C++ into Lua ----

void Sandbox::enter() {
  if (depth_++ > 0) return;
  work_used_ = 0;
  heap_.take_allocated();
  watchdog::enter(limits_.cpu_seconds);
}

void Sandbox::leave() {
  // As enter: only the outermost call is the watchdog's.
  if (--depth_ == 0) watchdog::leave();
}

int Sandbox::traceback(lua_State* L) {
  Sandbox& sb = of(L);
  std::string msg;
  if (sb.terminated_) {
    msg = sb.termination_;
  } else {
    if (lua_type(L, 1) == LUA_TSTRING) {
      size_t len = 0;
      const char* s = lua_tolstring(L, 1, &len);
      msg.assign(s, len);
    } else if (lua_isnoneornil(L, 1)) {
      msg = "error raised with nil instead of a message";
    } else if (visible_metafield(L, 1, "__tostring") != LUA_TNIL) {
      lua_pop(L, 1);
      size_t len = 0;
      const char* s = display_tolstring(L, 1, &len);
      msg.assign(s, len);
      lua_pop(L, 1);
    } else {
      msg = fmt::format("error raised with a {} value instead of a message", luaL_typename(L, 1));
    }
    // Every error names the scenario line: errors raised inside C functions (a type error in
    // an API call, a yield outside a coroutine, error(x, 0)) carry none of their own.
    const size_t lua_at = msg.find(".lua:");
    const bool located = lua_at != std::string::npos && lua_at < msg.find('\n') &&
                         std::isdigit(static_cast<unsigned char>(msg[lua_at + 5]));
    if (!located) msg = where(L) + msg;
  }
  luaL_traceback(L, L, msg.c_str(), 1);
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
  if (terminated_) {
    msg = termination_;
  } else if (status == LUA_ERRMEM || heap_.refused()) {
    // Lua calls no message handler for a memory error, so the line is that of the function
    // the simulator called.
    msg = fmt::format("{}: memory limit exceeded: the scenario's Lua code asked for more than {} MiB",
                      entry_.empty() ? what : entry_.c_str(), limits_.memory_bytes >> 20);
  } else {
    const char* s = lua_tostring(L_, -1);
    msg = shorten(s ? s : "(error object is not a string)");
  }
  lua_settop(L_, 0);
  if (usage_error_ && !terminated_) {
    usage_error_ = false;
    throw UsageError(msg);
  }
  throw ScenarioError(msg);
}

void Sandbox::pcall(int nargs, const char* what) {
  if (terminated_) raise_error(LUA_ERRRUN, what);
  const int base = lua_gettop(L_) - nargs;  // the function's index
  if (depth_ == 0) {
    // Where this call starts, for the errors that cannot name a line of their own.
    lua_Debug ar;
    lua_pushvalue(L_, base);
    lua_getinfo(L_, ">S", &ar);
    entry_.clear();
    if (ar.what[0] != 'C') entry_ = ar.linedefined > 0 ? fmt::format("{}:{}", ar.short_src, ar.linedefined) : std::string(ar.short_src);
  }
  lua_pushcfunction(L_, &Sandbox::traceback);
  lua_insert(L_, base);
  enter();
  const int status = lua_pcall(L_, nargs, 0, base);
  leave();
  if (status != LUA_OK || terminated_) raise_error(status, what);
  lua_remove(L_, base);
}

int Sandbox::resume(lua_State* co, int nargs, const char* what) {
  if (terminated_) raise_error(LUA_ERRRUN, what);
  if (depth_ == 0) entry_ = what;
  int results = 0;
  enter();
  const int status = lua_resume(co, L_, nargs, &results);
  leave();
  if (terminated_) raise_error(LUA_ERRRUN, what);
  if (status == LUA_ERRMEM || heap_.refused()) raise_error(LUA_ERRMEM, what);
  if (status == LUA_YIELD) lua_pop(co, results);
  return status;
}

void Sandbox::call_ref(int ref, const char* what) {
  lua_rawgeti(L_, LUA_REGISTRYINDEX, ref);
  pcall(0, what);
}

void Sandbox::protected_call(const char* what, const std::function<void(lua_State*)>& body) {
  lua_pushcfunction(L_, [](lua_State* L) {
    const auto* f = static_cast<const std::function<void(lua_State*)>*>(lua_touserdata(L, 1));
    lua_remove(L, 1);
    (*f)(L);
    return 0;
  });
  lua_pushlightuserdata(L_, const_cast<std::function<void(lua_State*)>*>(&body));
  pcall(1, what);
}

void Sandbox::run_file(const std::filesystem::path& path, const std::string& display_name) {
  std::error_code ec;
  if (std::filesystem::file_size(path, ec) > static_cast<uintmax_t>(caps::kScriptBytes) && !ec) {
    throw ScenarioError(fmt::format("{}: a scenario file is at most {} MiB (kafkasim's cap)", display_name, caps::kScriptBytes >> 20));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScenarioError(fmt::format("{}: cannot read the scenario file", display_name));
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string code = buf.str();
  if (!code.empty() && code[0] == LUA_SIGNATURE[0]) {
    throw ScenarioError(fmt::format("{}:1: a scenario is Lua source text; this file is precompiled Lua bytecode",
                                    display_name));
  }
  const std::string chunk = "@" + display_name;
  const int status = luaL_loadbufferx(L_, code.data(), code.size(), chunk.c_str(), "t");
  if (status != LUA_OK) raise_error(status, display_name.c_str());
  pcall(0, display_name.c_str());
}

// ---- the libraries ----

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
  Sandbox& sb = of(L);
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
  if (std::find(sb.requiring_.begin(), sb.requiring_.end(), name) != sb.requiring_.end()) {
    std::string chain;
    for (const auto& m : sb.requiring_) chain += m + " -> ";
    return luaL_error(L, "require \"%s\": the modules require each other in a loop (%s%s)", name.c_str(), chain.c_str(),
                      name.c_str());
  }

  std::string rel = name;
  std::replace(rel.begin(), rel.end(), '.', '/');
  const std::filesystem::path path = sb.script_dir_ / (rel + ".lua");
  std::error_code ec;
  if (std::filesystem::file_size(path, ec) > static_cast<uintmax_t>(caps::kScriptBytes) && !ec) {
    return luaL_error(L, "require \"%s\": a module is at most %d MiB (kafkasim's cap)", name.c_str(),
                      static_cast<int>(caps::kScriptBytes >> 20));
  }
  // Only a regular file: opening a FIFO would wait for a writer, where no CPU limit runs.
  if (!std::filesystem::is_regular_file(path, ec)) {
    return luaL_error(L, "require \"%s\": no file %s (require loads only Lua files beside the scenario)", name.c_str(),
                      path.string().c_str());
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return luaL_error(L, "require \"%s\": cannot read %s", name.c_str(), path.string().c_str());
  sb.modules_.push_back(path);
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string code = buf.str();
  const std::string display = path.lexically_normal().string();
  if (!code.empty() && code[0] == LUA_SIGNATURE[0]) {
    return luaL_error(L, "require \"%s\": %s is precompiled Lua bytecode; modules are Lua source text", name.c_str(),
                      display.c_str());
  }
  const std::string chunk = "@" + display;
  if (luaL_loadbufferx(L, code.data(), code.size(), chunk.c_str(), "t") != LUA_OK) return lua_error(L);
  lua_pushstring(L, name.c_str());
  // Lua errors are C++ exceptions here (liblua5.4-c++), so the guard also unwinds on error.
  sb.requiring_.push_back(name);
  struct Requiring {
    std::vector<std::string>& stack;
    ~Requiring() { stack.pop_back(); }
  } requiring{sb.requiring_};
  lua_call(L, 1, 1);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_pushboolean(L, 1);
  }
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, name.c_str());
  return 1;
}

int Sandbox::random(lua_State* L) {
  Sandbox& sb = of(L);
  if (!sb.rng_) return luaL_error(L, "math.random is available once scenario { ... } has been declared (it draws from the run's seed)");
  Rng& rng = *sb.rng_;
  // Lua 5.4's math.random, argument for argument (lmathlib.c).
  lua_Integer lo = 1, hi = 0;
  switch (lua_gettop(L)) {
    case 0: lua_pushnumber(L, rng.uniform_real()); return 1;
    case 1:
      hi = luaL_checkinteger(L, 1);
      if (hi == 0) {  // math.random(0): every bit random
        lua_pushinteger(L, static_cast<lua_Integer>(rng.next_u64()));
        return 1;
      }
      break;
    case 2:
      lo = luaL_checkinteger(L, 1);
      hi = luaL_checkinteger(L, 2);
      break;
    default: return luaL_error(L, "wrong number of arguments");
  }
  luaL_argcheck(L, lo <= hi, 1, "interval is empty");
  lua_pushinteger(L, rng.uniform_int(lo, hi));
  return 1;
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
  lua_pushcfunction(L, &Sandbox::sandbox_require);
  lua_setglobal(L, "require");
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, "kafkasim.loaded");
  install_identity(L);
  install_guards(L);
  install_patterns(L);
}

}  // namespace sim::lua
