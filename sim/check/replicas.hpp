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
#include "sim/check/timeline.hpp"

namespace check {

struct ReplicaLog {
  std::string replica;                                  // "broker-2"
  int64_t high_watermark = 0;
  std::vector<std::pair<int64_t, std::string>> records;  // (offset, value), by offset
};

// partition -> its replicas' final logs. One anomaly per diverging pair of replicas, naming the
// first offset where they differ; explained from `timeline` when given.
std::vector<Anomaly> replica_divergence(const std::map<std::string, std::vector<ReplicaLog>>& replicas,
                                        const Timeline* timeline = nullptr);

// The high watermark never moves back within a leader epoch: a replica that exposed offsets as
// committed must not take that back while the same leader leads. One "hw-regression" anomaly per
// replica and epoch where it did. A restart (log recovery) starts a replica afresh: its HW comes
// back from its checkpoint.
std::vector<Anomaly> hw_regressions(const Timeline& timeline);

// Jepsen's "duplicate" (a value at more than one offset of a partition) seen in the replicas'
// final logs, where no consumer needs to read it: one anomaly per partition and value, naming
// the replica and offsets. Internal topics ("__consumer_offsets") are skipped: their records
// are state, rewritten on purpose. Values in `already` ("partition\x1fvalue") are skipped, and
// so are records of aborted transactions (`aborted`: partition -> replica -> offsets).
std::vector<Anomaly> log_duplicates(const std::map<std::string, std::vector<ReplicaLog>>& replicas,
                                    const std::map<std::string, std::map<std::string, std::set<int64_t>>>& aborted,
                                    const std::set<std::string>& already);

}  // namespace check
