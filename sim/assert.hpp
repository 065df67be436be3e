#pragma once
// Invariants that hold in every build. assert() vanishes when NDEBUG is set (Release); a
// SIM_ASSERT never does: a broken invariant is a bug in kafkasim, and a run that goes on past
// one produces results nobody should trust. A failure throws InvariantViolation, which ends the
// run with exit code 70 and a message naming the condition and the place; the run's summary
// adds the seed and the line that replays it.
#include <stdexcept>
#include <string>

namespace sim {

struct InvariantViolation : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void assertion_failed(const char* condition, const char* file, int line, const std::string& detail = {});

}  // namespace sim

// SIM_ASSERT(cond) or SIM_ASSERT(cond, "what it means", ...more text).
#define SIM_ASSERT(cond, ...)                                                        \
  do {                                                                               \
    if (!(cond)) [[unlikely]]                                                        \
      ::sim::assertion_failed(#cond, __FILE__, __LINE__ __VA_OPT__(, ) __VA_ARGS__); \
  } while (0)
