#pragma once
// This broker's replica of one partition: the log, and the state of its role. As leader it
// tracks every follower's fetch progress (Kafka's Replica) and the ISR it has committed with
// the controller plus any change in flight (KIP-497's "maximal ISR"); as follower it tracks
// where it fetches from and whether it must truncate first.
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "broker_model/log/partition_log.hpp"
#include "broker_model/protocol/messages.hpp"
#include "sim/time.hpp"

namespace kafka {

// How a new follower finds where its log diverges from the leader's (by
// inter.broker.protocol.version).
enum class TruncationMode {
  high_watermark,   // before 0.11: truncate to the local HW (KIP-101's two failure scenarios)
  epoch_v0,         // 0.11 - 1.1: OffsetsForLeaderEpoch v0 (KIP-101 without KIP-279)
  epoch_v1,         // 2.0 - 2.6: OffsetsForLeaderEpoch v1+ (KIP-279)
  fetch_diverging,  // 2.7+: the Fetch response names the diverging epoch (KAFKA-10554)
};

struct RemoteReplica {
  int64_t leo = -1;  // unknown until it fetches
  sim::Time last_caught_up{0};
  sim::Time last_fetch{0};
  int64_t last_fetch_leader_leo = -1;
};

struct Replica {
  enum class Role { none, leader, follower };

  explicit Replica(std::unique_ptr<PartitionLog> l) : log(std::move(l)) {}

  std::unique_ptr<PartitionLog> log;
  Role role = Role::none;
  BrokerId leader = kNoLeader;
  int32_t leader_epoch = -1;
  int32_t partition_epoch = -1;
  std::vector<BrokerId> replicas;

  // Leader side.
  std::vector<BrokerId> isr;                         // committed with the controller
  std::optional<std::vector<BrokerId>> pending_isr;  // an AlterPartition in flight
  std::map<BrokerId, RemoteReplica> remotes;
  int64_t epoch_start_offset = 0;                    // where this leader's epoch began

  // Follower side.
  enum class FollowerState { idle, truncating, fetching };
  FollowerState follower_state = FollowerState::idle;
  int32_t truncation_epoch = -1;  // the epoch asked about in OffsetsForLeaderEpoch

  std::vector<BrokerId> maximal_isr() const {
    std::vector<BrokerId> out = isr;
    if (pending_isr)
      for (BrokerId b : *pending_isr)
        if (std::find(out.begin(), out.end(), b) == out.end()) out.push_back(b);
    return out;
  }
  bool in_isr(BrokerId b) const { return std::find(isr.begin(), isr.end(), b) != isr.end(); }
};

}  // namespace kafka
