// Fuzz target: a scenario file, through the sandbox and the model, with small limits: one
// second of simulated time, a million instructions per call, 64 MiB of Lua memory. Whatever
// the bytes, the run ends with an exit code and, unless it is 0 or 1, a message.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "sim/lua/runtime.hpp"

namespace {
const std::filesystem::path& scenario_path() {
  static const std::filesystem::path p = [] {
    const auto dir = std::filesystem::temp_directory_path() / ("kafkasim-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    return dir / "scenario.lua";
  }();
  return p;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  {
    std::ofstream out(scenario_path(), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  sim::lua::RunOptions o;
  o.path = scenario_path();
  o.until = sim::Duration::seconds(1);
  o.limits.instructions = 1'000'000;
  o.limits.memory_bytes = 64u << 20;
  o.limits.cpu_seconds = 5;
  o.stall_events = 200'000;
  const sim::lua::RunResult r = sim::lua::run_scenario(o);
  if (r.exit_code != 0 && r.exit_code != 1 && r.error.empty()) __builtin_trap();  // every error says what it is
  if (r.exit_code == sim::lua::kExitInternal) __builtin_trap();                    // an internal error is a bug
  return 0;
}
