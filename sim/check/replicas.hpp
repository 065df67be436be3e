#pragma once
// Replica consistency from the final state, beyond what a client history can show: no two
// replicas of a partition disagree below both their high watermarks. Records below a replica's
// HW are committed as far as that replica knows; two replicas holding different records at such
// an offset (or one holding a record the other lacks) is the divergence of KIP-101's second
// scenario and KIP-279, reported as the anomaly "replica-divergence".
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sim/check/jepsen.hpp"

namespace check {

struct ReplicaLog {
  std::string replica;                                  // "broker-2"
  int64_t high_watermark = 0;
  std::vector<std::pair<int64_t, std::string>> records;  // (offset, value), by offset
};

// partition -> its replicas' final logs. One anomaly per diverging pair of replicas, naming the
// first offset where they differ.
std::vector<Anomaly> replica_divergence(const std::map<std::string, std::vector<ReplicaLog>>& replicas);

// Jepsen's "duplicate" (a value at more than one offset of a partition) seen in the replicas'
// final logs, where no consumer needs to read it: one anomaly per partition and value, naming
// the replica and offsets. Internal topics ("__consumer_offsets") are skipped: their records
// are state, rewritten on purpose. Values in `already` ("partition\x1fvalue") are skipped.
std::vector<Anomaly> log_duplicates(const std::map<std::string, std::vector<ReplicaLog>>& replicas,
                                    const std::set<std::string>& already);

}  // namespace check
