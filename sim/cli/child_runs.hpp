#pragma once
// Runs of a scenario in child processes, for `sweep` and `test`: each run in its own process,
// so that a run which crashes, hangs or exhausts memory is reported as that run's outcome
// instead of taking the whole suite down, and so that runs can go in parallel.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sim/lua/runtime.hpp"

namespace sim::cli {

// How one run ended, as its child reported it (or as the parent saw the child end).
struct RunReport {
  enum class End { finished, crashed, timed_out };
  End end = End::finished;
  int exit_code = 0;
  std::string scenario;            // the scenario's name, when it got that far
  uint64_t seed = 0;
  std::vector<std::string> kinds;  // anomaly kinds found
  std::string failure;             // empty when the run passed
  std::string replay;              // the line that replays it
  std::string not_judged;          // expectations it could not judge, "name: why" a line
  double seconds = 0;              // wall time, measured by the parent
};

// What a run counts as, in test's suite and sweep's tally: it passed, an expectation failed, or
// it could not be judged (an invalid scenario, a crash, a timeout).
enum class Verdict { passed, failed, error };
Verdict verdict_of(const RunReport& r);

class ChildRuns {
 public:
  // What a child does with its options (tests give their own).
  using Runner = std::function<lua::RunResult(const lua::RunOptions&)>;

  // `jobs` children at once; each run may take `timeout_seconds` of wall time (0: no limit).
  ChildRuns(unsigned jobs, double timeout_seconds, Runner runner = lua::run_scenario)
      : jobs_(jobs < 1 ? 1 : jobs), timeout_(timeout_seconds), runner_(std::move(runner)) {}

  // Runs `count` option sets, options_of(i) making the i-th as it starts (so a sweep of ten
  // million seeds holds only the runs in flight); calls done(index, report) as each run ends,
  // in the order they end. When done returns false no more runs start and those in flight are
  // stopped (not reported). Returns how many runs were not reported.
  size_t run(size_t count, const std::function<lua::RunOptions(size_t)>& options_of,
             const std::function<bool(size_t, const RunReport&)>& done);

 private:
  unsigned jobs_;
  double timeout_;
  Runner runner_;
};

}  // namespace sim::cli
