#pragma once
// kafkasim test PATH... [--seeds A..B] [--shard K/N] [--junit FILE] [--json FILE] [--timeout SECONDS]
// [-j N]: every scenario under the paths, for each seed, as a test suite for CI; each run in its
// own process. --shard runs this machine's share of the runs; --json writes every run's outcome
// as a result `merge` reads (sim/cli/run_results.hpp).
#include <optional>
#include <string>
#include <vector>

namespace sim::cli {

struct TestArgs {
  std::vector<std::string> paths;
  std::string seeds;  // "A..B" or "N"; empty: each scenario's own seed
  std::string shard;  // "K/N": this machine's share of the runs
  std::string junit;
  std::string json;
  bool force = false;
  double timeout = 600;  // wall-clock seconds per run; 0: no limit
  unsigned jobs = 1;
};

int cmd_test(const TestArgs& args);

}  // namespace sim::cli
