#pragma once
// This broker's replica of one partition (Kafka's cluster.Partition): the log and the state of
// its role. As leader it tracks every follower (a Replica each) and the ISR it has committed
// with the controller plus any change in flight (KIP-497's "maximal ISR"); as follower it
// tracks where it fetches from and whether it must truncate first. The rules of the role live
// here; the ReplicaManager acts on them (sends, traces, completes waiting requests).
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker_model/broker/replica.hpp"
#include "broker_model/log/partition_log.hpp"
#include "broker_model/protocol/messages.hpp"
#include "sim/time.hpp"

namespace kafka {

class Partition {
 public:
  enum class Role { none, leader, follower };
  enum class FollowerState { idle, truncating, fetching };

  explicit Partition(std::unique_ptr<PartitionLog> l) : log(std::move(l)) {}

  TopicPartition tp() const { return {log->topic(), log->partition()}; }
  bool is_leader() const { return role == Role::leader; }
  bool fetching_from(BrokerId b) const { return role == Role::follower && leader == b && follower_state == FollowerState::fetching; }

  std::vector<BrokerId> maximal_isr() const;
  bool in_isr(BrokerId b) const;
  // Whether the ISR has at least min(min.insync.replicas, replication factor) members.
  bool enough_in_sync(int64_t min_isr) const;

  // Partition.makeLeader: this broker leads `s`'s epoch from its log's end; the followers'
  // ends are unknown until they fetch, and those in the ISR count as caught up now
  // (Replica.resetReplicaState).
  void make_leader(const PartitionState& s, BrokerId self, sim::Time now);
  // Partition.makeFollower.
  void make_follower(const PartitionState& s);

  // Records a follower's fetch from `fetch_offset`.
  void update_follower_fetch_state(BrokerId follower, int64_t fetch_offset, sim::Time now);
  // The high watermark Partition.maybeIncrementLeaderHW would take: the smallest log end of
  // the maximal ISR and of the caught-up replicas that could join it (so the HW waits for them).
  int64_t leader_hw_candidate(sim::Time now, sim::Duration lag, const std::function<bool(BrokerId)>& unfenced) const;
  // Partition.isFollowerInSync / canAddReplicaToIsr: caught up to the HW and into this
  // leader's epoch, and not fenced.
  bool can_add_to_isr(BrokerId follower, bool unfenced) const;
  // The ISR without the followers that fell behind for longer than `lag`
  // (Partition.getOutOfSyncReplicas).
  std::vector<BrokerId> isr_without_laggards(BrokerId self, sim::Time now, sim::Duration lag) const;

  // What is wrong with this partition's state, or empty (see sim::Node::invariants).
  std::string invariants(BrokerId self) const;

  std::unique_ptr<PartitionLog> log;
  Role role = Role::none;
  BrokerId leader = kNoLeader;
  int32_t leader_epoch = -1;
  int32_t partition_epoch = -1;
  std::vector<BrokerId> replicas;

  // Leader side.
  std::vector<BrokerId> isr;                         // committed with the controller
  std::optional<std::vector<BrokerId>> pending_isr;  // an AlterPartition in flight
  std::map<BrokerId, Replica> remotes;
  int64_t epoch_start_offset = 0;                    // where this leader's epoch began

  // Follower side.
  FollowerState follower_state = FollowerState::idle;
  int32_t truncation_epoch = -1;  // the epoch asked about in OffsetsForLeaderEpoch
};

}  // namespace kafka
