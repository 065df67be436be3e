#pragma once
// kafkasim sweep SCENARIO --seeds A..B [-j N] [--shard K/N] [--stop-on-first] [--set name=value]...
// [--json FILE] [--junit FILE] [--force]: one scenario over many seeds, each seed in its own
// process, every core busy. --json writes every seed's outcome as a result `merge` reads
// (sim/cli/run_results.hpp).
#include <string>
#include <vector>

namespace sim::cli {

struct SweepArgs {
  std::string scenario;
  std::string seeds;               // "A..B" or "N"
  unsigned jobs = 0;               // 0: one per core
  std::string shard;               // "K/N": this machine's share of the seeds
  bool stop_on_first = false;
  std::vector<std::string> sets;   // name=value, as for run
  double timeout = 600;            // wall-clock seconds per seed; 0: no limit
  std::string json;                // the result, for merge
  std::string junit;
  bool force = false;
};

int cmd_sweep(const SweepArgs& args);

}  // namespace sim::cli
