#pragma once
// Facts shared by every member of a group handle, kept outside the client objects so that
// scenarios can read them after crashes (g:processed(), g:stats()).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/time.hpp"

namespace kafka {

struct GroupLedger {
  struct Processed {
    std::string member;
    std::string topic;
    int32_t partition;
    int64_t offset;
    std::string key;
    std::string value;
    sim::Time time;
  };
  std::vector<Processed> processed;
  uint64_t next_op = 0;
  uint64_t rebalances = 0;
  // Time members holding partitions spent stopped inside poll() waiting for a rebalance.
  double blocked_ms = 0;
  std::map<std::string, uint64_t> commit_errors;  // failed commits by error
  uint64_t truncations = 0;                       // KIP-320 truncations detected
};

}  // namespace kafka
