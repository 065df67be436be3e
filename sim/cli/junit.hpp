#pragma once
// JUnit XML for CI, one testcase per run (`test --junit`, `sweep --junit`, `merge --junit`):
// classname the scenario file, name the scenario and its seed, a failure (an expectation did
// not hold) or an error (the run could not be judged) with the line that replays it, and the
// expectations it could not judge as its output.
#include <ostream>
#include <string>
#include <vector>

#include "sim/cli/child_runs.hpp"

namespace sim::cli {

struct JunitCase {
  std::string file;
  const RunReport* report;
};

void write_junit(std::ostream& x, const std::vector<JunitCase>& cases);

}  // namespace sim::cli
