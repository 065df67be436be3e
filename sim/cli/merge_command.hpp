#pragma once
// kafkasim merge RESULT.json... [--junit FILE] [--json FILE] [--force]: the results that shards
// of one sweep or test wrote (--json), merged into the verdict one machine running the whole
// plan would give: the same lines, JUnit, result and exit code. Results that do not belong
// together (another build, an edited scenario, other seeds or params, a shard missing or twice)
// are refused, naming the file and what differs (exit code 2).
#include <string>
#include <vector>

namespace sim::cli {

struct MergeArgs {
  std::vector<std::string> results;
  std::string junit;
  std::string json;
  bool force = false;
};

int cmd_merge(const MergeArgs& args);

}  // namespace sim::cli
