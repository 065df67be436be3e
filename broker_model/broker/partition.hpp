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

#include "broker_model/broker/metadata_image.hpp"
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
  // Partition.effectiveMinIsr: min.insync.replicas, capped by the replication factor.
  int64_t effective_min_isr(int64_t min_isr) const;
  // Whether the committed ISR has at least the effective min ISR (Partition.isUnderMinIsr,
  // appendRecordsToLeader's check before an acks=all append).
  bool enough_in_sync(int64_t min_isr) const;
  // The same of the maximal ISR (Partition.checkEnoughReplicasReachOffset, after the append).
  bool enough_in_maximal_isr(int64_t min_isr) const;

  // What make_leader did.
  struct LeaderChange {
    bool applied = false;     // false: `s` is older than this replica's partition epoch
    bool new_leader = false;  // this broker did not lead before
    bool new_epoch = false;   // the leader epoch moved on
  };
  // Partition.makeLeader: takes `s`'s assignment and ISR as committed (dropping any
  // AlterPartition in flight, whose answer is then stale). In a new leader epoch, the epoch
  // starts at the log's end and each follower's state is reset (Replica.resetReplicaState):
  // forgotten by a new leader, kept by a re-elected one; those in the ISR count as caught up now.
  LeaderChange make_leader(const PartitionState& s, BrokerId self, sim::Time now);
  // Partition.makeFollower.
  void make_follower(const PartitionState& s);

  // Records a follower's fetch from `fetch_offset`, made with `broker_epoch`.
  void update_follower_fetch_state(BrokerId follower, int64_t fetch_offset, sim::Time now, int64_t broker_epoch = -1);
  // The high watermark Partition.maybeIncrementLeaderHW would take: the smallest log end of
  // the maximal ISR and of the caught-up replicas that could join it (so the HW waits for them).
  // `isr_eligible` is Partition.isReplicaIsrEligible.
  int64_t leader_hw_candidate(sim::Time now, sim::Duration lag, const std::function<bool(BrokerId)>& isr_eligible) const;
  // Partition.isReplicaIsrEligible (KIP-903): an assigned follower whose broker is registered
  // in `image`, not fenced, not in controlled shutdown, and whose fetches name the broker
  // epoch it is registered with (or -1, which skips the check).
  bool is_replica_isr_eligible(BrokerId b, const MetadataImage& image) const;
  // Partition.isFollowerInSync / canAddReplicaToIsr: caught up to the HW and into this
  // leader's epoch, and eligible (isReplicaIsrEligible: not fenced, not shutting down, the
  // broker epoch of its fetches its registered one).
  bool can_add_to_isr(BrokerId follower, bool isr_eligible) const;
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
  int32_t pending_correlation_id = -1;               // which one: a late answer to another is stale
  std::map<BrokerId, Replica> remotes;
  int64_t epoch_start_offset = 0;                    // where this leader's epoch began
  int64_t traced_lso = -1;                           // the last stable offset last traced
  int64_t traced_first_unstable = -1;                // and the first unstable offset with it

  // Follower side.
  FollowerState follower_state = FollowerState::idle;
  int32_t truncation_epoch = -1;  // the epoch asked about in OffsetsForLeaderEpoch
};

}  // namespace kafka
