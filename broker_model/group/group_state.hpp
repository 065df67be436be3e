#pragma once
// A consumer group as its coordinator keeps it (Kafka's ClassicGroup): members, generation,
// the chosen assignor and leader, committed offsets, and the pending JoinGroup and SyncGroup
// requests that a rebalance answers together. States and transitions follow
// ClassicGroupState: Empty, PreparingRebalance, CompletingRebalance, Stable, Dead.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "broker_model/protocol/group_messages.hpp"
#include "sim/node.hpp"

namespace kafka {

enum class GroupPhase { empty, preparing_rebalance, completing_rebalance, stable, dead };
std::string_view to_string(GroupPhase p);

struct PendingReply {
  sim::NodeId from;
  int32_t correlation_id;
};

struct GroupMember {
  std::string id;
  std::optional<std::string> instance_id;
  std::string client;
  int32_t session_timeout_ms = 45000;
  int32_t rebalance_timeout_ms = 300000;
  std::vector<std::string> protocols;
  Subscription subscription;
  std::vector<TopicPartition> assignment;
  sim::Time last_heartbeat;
  std::optional<PendingReply> join;  // awaiting the end of the join phase
  std::optional<PendingReply> sync;  // awaiting the leader's assignment

  // ClassicGroupMember.matches: the same protocols with the same metadata (the whole
  // subscription, owned partitions and generation included).
  bool matches(const std::vector<std::string>& other_protocols, const Subscription& other) const {
    return protocols == other_protocols && subscription == other;
  }
};

struct CommittedOffset {
  int64_t offset = -1;
  int32_t leader_epoch = -1;
};

// A transactional offset commit waiting for its transaction's marker
// (GroupMetadata.pendingTransactionalOffsetCommits): `appended` once its write is committed.
struct PendingTxnOffset {
  CommittedOffset offset;
  bool appended = false;
};

struct Group {
  std::string id;
  int32_t offsets_partition = 0;
  GroupPhase phase = GroupPhase::empty;
  int32_t generation = 0;
  std::string protocol;
  std::string leader;
  std::map<std::string, GroupMember> members;  // by member id
  std::vector<std::string> join_order;         // member ids, first joined first
  std::set<std::string> pending_member_ids;    // told MEMBER_ID_REQUIRED, not joined yet
  std::map<TopicPartition, CommittedOffset> offsets;
  // TxnOffsetCommit's offsets by producer id, invisible to OffsetFetch until a COMMIT marker.
  std::map<int64_t, std::map<TopicPartition, PendingTxnOffset>> pending_txn_offsets;
  // GroupMetadata.hasPendingOffsetCommitsForTopicPartition (the transactional ones).
  bool has_pending_txn_offset(const TopicPartition& tp) const {
    for (const auto& [pid, by_partition] : pending_txn_offsets)
      if (by_partition.count(tp)) return true;
    return false;
  }
  // GroupMetadata.completePendingTxnOffsetCommit: a COMMIT makes the producer's appended
  // offsets committed, an ABORT drops them. Returns how many were pending.
  size_t complete_pending_txn_offsets(int64_t producer_id, bool committed) {
    auto it = pending_txn_offsets.find(producer_id);
    if (it == pending_txn_offsets.end()) return 0;
    const size_t n = it->second.size();
    if (committed)
      for (const auto& [tp, p] : it->second)
        if (p.appended) offsets[tp] = p.offset;
    pending_txn_offsets.erase(it);
    return n;
  }
  // The initial rebalance of an empty group waits in windows of group.initial.rebalance.delay.ms
  // (GroupMetadataManager.tryCompleteInitialRebalanceElseSchedule): a window in which a new
  // member joined is followed by another, until the rebalance timeout is used up.
  bool initial_delay_running = false;
  bool new_member_added = false;
  int64_t initial_delay_ms = 0;      // the current window's length
  int64_t initial_remaining_ms = 0;  // what the windows after it may still take
  sim::Time join_deadline;

  bool all_joined() const {
    if (!pending_member_ids.empty()) return false;
    for (const auto& [member_id, m] : members)
      if (!m.join) return false;
    return true;
  }
  // ClassicGroup.staticMemberId: the member id `instance_id` maps to, or empty.
  std::string static_member_id(const std::string& instance_id) const;
  // ClassicGroup.validateMember: FENCED_INSTANCE_ID when the instance id maps to another member
  // id, UNKNOWN_MEMBER_ID when it maps to none or the member id is not a member, else NONE.
  Error validate_member(const std::string& member_id, const std::optional<std::string>& instance_id) const;
  // ClassicGroup.supportsProtocols: an empty group takes any protocols; otherwise one of them
  // must be supported by every member.
  bool supports_protocols(const std::vector<std::string>& candidate) const;
  int32_t rebalance_timeout_ms() const {
    int32_t t = 0;
    for (const auto& [member_id, m] : members) t = std::max(t, m.rebalance_timeout_ms);
    return t;
  }
};

// How groups are stored in their __consumer_offsets partition: an offset record per commit
// and a metadata record per generation, so a new coordinator can load them.
Record offset_record(const std::string& group, const TopicPartition& tp, const CommittedOffset& o);
Record group_record(const Group& g);
// Applies one record of the offsets log to the groups it names (loading a partition).
void apply_offsets_record(const Record& r, std::map<std::string, Group>& groups, int32_t partition, sim::Time now);

}  // namespace kafka
