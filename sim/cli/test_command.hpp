#pragma once
// kafkasim test PATH... [--seeds A..B] [--junit FILE]: every scenario under the paths, for each
// seed, as a test suite for CI.
#include <optional>
#include <string>
#include <vector>

namespace sim::cli {

struct TestArgs {
  std::vector<std::string> paths;
  std::string seeds;  // "A..B" or "N"; empty: each scenario's own seed
  std::string junit;
  bool force = false;
};

int cmd_test(const TestArgs& args);

}  // namespace sim::cli
