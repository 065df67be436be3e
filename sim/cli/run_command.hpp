#pragma once
// kafkasim run SCENARIO [--seed N] [--set name=value]... [--trace FILE] [--history FILE]
// [--json FILE] [--report FILE.html] [--until TIME] [--paranoid] [-q] [-f]: one scenario for one seed, in this process.
#include <string>
#include <vector>

namespace sim::cli {

struct RunArgs {
  std::string scenario;
  std::string seed;  // checked by parse_seed: CLI11 would wrap "-1" and 2^64 around
  bool seed_given = false;
  std::vector<std::string> sets;
  std::string trace;
  std::string history;
  std::string json;
  std::string report;
  std::string until;
  bool paranoid = false;
  bool quiet = false;
  bool force = false;
};

int cmd_run(const RunArgs& args);

}  // namespace sim::cli
