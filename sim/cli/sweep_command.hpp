#pragma once
// kafkasim sweep SCENARIO --seeds A..B [-j N] [--shard K/N] [--stop-on-first] [--set name=value]...:
// one scenario over many seeds, each seed in its own process, every core busy.
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
};

int cmd_sweep(const SweepArgs& args);

}  // namespace sim::cli
