#pragma once
// A Lua 5.4 state fit for running scenario files that strangers wrote:
// - no io, os, debug, loadfile, dofile, load, string.dump or C modules; `require` loads only
//   Lua files beside the scenario;
// - `pairs` iterates in sorted key order (Lua's own order depends on a per-process hash seed)
//   and math.random draws from the run's seeded stream, so scripts stay deterministic;
// - an instruction budget per entry from C++ and a memory cap, each ending the run with a
//   clear error instead of hanging or exhausting the machine.
#include <lua5.4/lua.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "sim/random.hpp"

namespace sim::lua {

struct SandboxLimits {
  uint64_t instructions = 200'000'000;  // per call from C++ into Lua
  size_t memory_bytes = 512u << 20;
};

class Sandbox {
 public:
  Sandbox(std::filesystem::path script_dir, SandboxLimits limits);
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  lua_State* state() { return L_; }
  // math.random's stream; until set, math.random raises an error.
  void set_random(Rng rng);

  // Loads and runs a file; throws ScenarioError with file:line and a short traceback.
  void run_file(const std::filesystem::path& path, const std::string& display_name);
  // Calls the function at the top of the stack with nargs arguments below it... (see .cpp);
  // here: calls the registry reference `ref` with no arguments.
  void call_ref(int ref, const char* what);
  // A protected call of the function + nargs on the stack, results discarded.
  void pcall(int nargs, const char* what);

  // Hands the C functions a pointer back to their owner (stored in the state's extra space).
  void set_owner(void* owner);
  static void* owner(lua_State* L);

  uint64_t memory_used() const;

 private:
  struct Alloc;
  static void* allocate(void* ud, void* ptr, size_t osize, size_t nsize);
  static void count_hook(lua_State* L, lua_Debug* ar);
  static int traceback(lua_State* L);
  static int sandbox_require(lua_State* L);
  static int sorted_pairs(lua_State* L);
  static int random(lua_State* L);
  static int forbidden_library(lua_State* L);
  void open_libraries();
  [[noreturn]] void raise_error(int status, const char* what);

  std::filesystem::path script_dir_;
  SandboxLimits limits_;
  std::unique_ptr<Alloc> alloc_;
  lua_State* L_ = nullptr;
  std::unique_ptr<Rng> rng_;
  uint64_t instructions_used_ = 0;
  void* owner_ = nullptr;
  bool usage_error_ = false;
  friend void mark_usage_error(lua_State* L);
};

}  // namespace sim::lua
