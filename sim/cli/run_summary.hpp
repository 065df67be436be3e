#pragma once
// What `sweep`, `test` and `merge` print about their runs, so a merge of shards prints exactly
// what one machine running the whole plan would have.
#include <ostream>
#include <string>
#include <vector>

#include "sim/cli/child_runs.hpp"

namespace sim::cli {

// sweep: each run that did not pass (by seed) with its anomalies and the line that replays it,
// the anomaly kinds over them, a note when it stopped early, and "N passed, N failed".
void print_sweep_summary(std::ostream& out, const std::vector<const RunReport*>& not_passed, size_t passed, bool stopped,
                         size_t not_run);
// sweep's exit code: 2 when a seed could not be judged, 1 when one failed, else 0.
int sweep_exit_code(const std::vector<const RunReport*>& not_passed);

// test: one run's lines, PASS, or FAIL/ERROR with the line that replays it (and, on GitHub
// Actions, an annotation on the scenario file).
void print_test_run(std::ostream& out, const std::string& file, const RunReport& r, bool github);
// test: "N passed, N failed, N errors".
void print_test_count(std::ostream& out, size_t passed, size_t failed, size_t errors);
// Whether GitHub Actions runs us (its annotations are then printed too).
bool on_github_actions();

}  // namespace sim::cli
