#pragma once
// kafkasim test PATH... [--seeds A..B] [--junit FILE] [--timeout SECONDS] [-j N]: every scenario
// under the paths, for each seed, as a test suite for CI; each run in its own process.
#include <optional>
#include <string>
#include <vector>

namespace sim::cli {

struct TestArgs {
  std::vector<std::string> paths;
  std::string seeds;  // "A..B" or "N"; empty: each scenario's own seed
  std::string junit;
  bool force = false;
  double timeout = 600;  // wall-clock seconds per run; 0: no limit
  unsigned jobs = 1;
};

int cmd_test(const TestArgs& args);

}  // namespace sim::cli
