#pragma once
// A Lua 5.4 state fit for running scenario files that strangers wrote:
// - no io, os, debug, loadfile, dofile, load, string.dump or C modules; `require` loads only
//   Lua files beside the scenario;
// - deterministic: `next`, `pairs`, `tostring` and string.format's %s/%p order and name tables,
//   functions and coroutines by creation number instead of address (sandbox_identity.cpp),
//   math.random draws from the run's seeded stream, and the features whose effect depends on
//   when the garbage collector runs (__gc finalizers, weak tables) are refused;
// - bounded: each call from the simulator into Lua has an instruction budget that also meters
//   the work of string and table functions (sandbox_guards.cpp, lua_patterns.cpp) and the bytes
//   allocated; the state's memory is capped, and so is the text a run hands to the simulator
//   (which keeps it outside that memory); a CPU-time watchdog is the last line (watchdog.hpp).
//   A limit ends the run: pcall, xpcall and coroutine.resume cannot catch it.
#include <lua5.4/lua.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sim/lua/lua_heap.hpp"
#include "sim/random.hpp"

namespace sim::lua {

struct SandboxLimits {
  uint64_t instructions = 200'000'000;  // per call from C++ into Lua (work units, see docs)
  size_t memory_bytes = 512u << 20;
  double cpu_seconds = 60;  // watchdog: CPU time of one call from C++ into Lua
  // Text the scenario hands to the simulator over the whole run (record keys and values, notes,
  // log lines, check names and details): kept in the model and the trace, outside Lua's memory.
  size_t text_bytes = 128u << 20;
};

class Sandbox {
 public:
  Sandbox(std::filesystem::path script_dir, SandboxLimits limits);
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  static Sandbox& of(lua_State* L) { return **static_cast<Sandbox**>(lua_getextraspace(L)); }

  lua_State* state() { return L_; }
  // Closes the Lua state (idempotent). The owner calls it before freeing what the scripts'
  // handles point to.
  void close();
  // math.random's stream; until set, math.random raises an error.
  void set_random(Rng rng);
  // Numbers the library's C functions, in a fixed order, for iteration and tostring. Called
  // once every global is registered.
  void seal();

  // Loads and runs a file; throws ScenarioError with file:line and a short traceback.
  void run_file(const std::filesystem::path& path, const std::string& display_name);
  // Calls the registry reference `ref` with no arguments.
  void call_ref(int ref, const char* what);
  // A protected call of the function + nargs on the stack, results discarded.
  void pcall(int nargs, const char* what);
  // Resumes the coroutine co with the nargs values on its stack, inside the limits of one call
  // from the simulator (a handler's run up to its next blocking call). Returns LUA_OK when it
  // finished, LUA_YIELD, or an error status with the message on co's stack. A limit ends the
  // run (ScenarioError), as in any other call.
  int resume(lua_State* co, int nargs, const char* what);
  // Runs `body` inside a protected call (so that what it pushes or calls is covered by the
  // limits and errors end the run with a message instead of aborting the process).
  void protected_call(const char* what, const std::function<void(lua_State*)>& body);

  // Hands the C functions a pointer back to their owner.
  void set_owner(void* owner) { owner_ = owner; }
  static void* owner(lua_State* L) { return of(L).owner_; }

  uint64_t memory_used() const { return heap_.used(); }
  const SandboxLimits& limits() const { return limits_; }
  LuaHeap& heap() { return heap_; }

  // Charges `work` to the current call's instruction budget; past it, ends the run.
  void charge(lua_State* L, uint64_t work);
  // Ends the run: records `what` with the line that was running, makes every later Lua
  // instruction fail, and raises. Nothing in the script can catch it.
  [[noreturn]] void terminate(lua_State* L, const std::string& what);
  bool terminated() const { return terminated_; }
  // Raises the termination error again (for the catch points: pcall, xpcall, resume).
  [[noreturn]] void rethrow_termination(lua_State* L);
  // Memory that a function is about to allocate: ends the run first if it would cross the limit.
  void reserve(lua_State* L, size_t bytes);
  // Bytes in use count garbage the collector has not freed yet, which must not end a run:
  // collects it (charged as work) and says whether `bytes` more then fit under the limit.
  bool fits_after_collection(lua_State* L, size_t bytes);
  // Text the simulator takes out of Lua to keep or to write (a record's value, a note): charged
  // as allocated bytes are, and counted against the run's text limit; past it, ends the run.
  void take_text(lua_State* L, size_t bytes);

  // The files `require` has read so far: inputs of the run, as the scenario is.
  const std::vector<std::filesystem::path>& modules() const { return modules_; }

  // The creation number of the object at idx, 0 for values that are not objects.
  uint64_t identity(lua_State* L, int idx);
  // "file:line: " of the innermost Lua function running, or "".
  static std::string where(lua_State* L);

 private:
  static void count_hook(lua_State* L, lua_Debug* ar);
  static int traceback(lua_State* L);
  static int sandbox_require(lua_State* L);
  static int random(lua_State* L);
  static int forbidden_library(lua_State* L);
  void open_libraries();
  [[noreturn]] void raise_error(int status, const char* what);
  void enter();
  void leave();

  std::filesystem::path script_dir_;
  SandboxLimits limits_;
  LuaHeap heap_;
  lua_State* L_ = nullptr;
  std::unique_ptr<Rng> rng_;
  uint64_t work_used_ = 0;
  uint64_t text_taken_ = 0;  // over the whole run
  int depth_ = 0;  // nested calls from C++ into Lua; the budget is per outermost call
  bool terminated_ = false;
  std::string termination_;
  std::string entry_;  // "file:line" of the function the current outermost call runs
  std::vector<std::string> requiring_;  // modules being loaded, innermost last
  std::vector<std::filesystem::path> modules_;
  std::map<const void*, uint64_t> builtins_;  // C functions without upvalues -> their numbers
  void* owner_ = nullptr;
  bool usage_error_ = false;
  friend void mark_usage_error(lua_State* L);
  friend void install_identity(lua_State* L);
};

// luaL_tolstring, except that tables, functions, coroutines and userdata show their creation
// number ("table: #12") instead of their address. Pushes the string and returns it.
const char* display_tolstring(lua_State* L, int idx, size_t* len);

// The metatable of the value at idx as the script set it, looking through the sandbox's guard
// of metatables (sandbox_guards.cpp): pushes it and returns true, or pushes nothing.
bool push_visible_metatable(lua_State* L, int idx);
// luaL_getmetafield on that metatable: pushes the field and returns its type, or returns
// LUA_TNIL and pushes nothing.
int visible_metafield(lua_State* L, int idx, const char* field);

// The pieces of the sandbox, installed by open_libraries.
void install_identity(lua_State* L);  // next, pairs, tostring, string.format
void install_guards(lua_State* L);    // catch points, metatables, string and table functions
void install_patterns(lua_State* L);  // string.find, match, gmatch, gsub

}  // namespace sim::lua
