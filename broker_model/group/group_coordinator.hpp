#pragma once
// The group coordinator (Kafka's classic GroupCoordinator), hosted by the broker that leads the
// group's __consumer_offsets partition. Commits and group metadata are records in that
// partition, written through the PartitionWriter like any acks=all produce, so a coordinator
// failover keeps or loses them as replication dictates; the new leader loads them from its log.
//
//   group_coordinator.cpp          discovery, membership and rebalances
//   group_coordinator_offsets.cpp  commits, offset fetches, loading and unloading partitions
//   group_coordinator_txn.cpp      transactional offset commits (TxnOffsetCommit) and their markers
#include <map>
#include <string>
#include <vector>

#include "broker_model/broker/metadata_image.hpp"
#include "broker_model/config/config.hpp"
#include "broker_model/group/group_state.hpp"
#include "broker_model/group/partition_writer.hpp"
#include "broker_model/protocol/group_messages.hpp"
#include "broker_model/protocol/txn_messages.hpp"
#include "sim/node.hpp"

namespace kafka {

inline constexpr const char* kOffsetsTopic = "__consumer_offsets";

// The assignor a completed join phase uses (ClassicGroup.selectProtocol); empty when the
// members share none.
std::string select_protocol(const Group& g);

class GroupCoordinator final : public LeadershipListener, public TxnCompletionListener {
 public:
  // `config` and `image` are the broker's and outlive this.
  GroupCoordinator(BrokerId id, const ConfigSet& config, const MetadataImage& image, PartitionWriter& log);
  GroupCoordinator(const GroupCoordinator&) = delete;
  GroupCoordinator& operator=(const GroupCoordinator&) = delete;

  // The groups coordinated here (this broker leads their __consumer_offsets partition).
  const std::map<std::string, Group>& groups() const { return groups_; }

  void handle_find_coordinator(sim::Context& ctx, sim::NodeId from, const FindCoordinatorRequest& req);
  void handle_join_group(sim::Context& ctx, sim::NodeId from, const JoinGroupRequest& req);
  void handle_sync_group(sim::Context& ctx, sim::NodeId from, const SyncGroupRequest& req);
  void handle_heartbeat(sim::Context& ctx, sim::NodeId from, const HeartbeatRequest& req);
  void handle_leave_group(sim::Context& ctx, sim::NodeId from, const LeaveGroupRequest& req);
  void handle_offset_commit(sim::Context& ctx, sim::NodeId from, const OffsetCommitRequest& req);
  void handle_offset_fetch(sim::Context& ctx, sim::NodeId from, const OffsetFetchRequest& req);
  // GroupCoordinator.handleTxnCommitOffsets: validated as OffsetCommit is (KIP-447: the
  // member and generation when the request names them), written as a transactional batch of
  // the producer, pending until its transaction's marker.
  void handle_txn_offset_commit(sim::Context& ctx, sim::NodeId from, const TxnOffsetCommitRequest& req);
  // Expires silent members' sessions (every kTickEvery).
  void tick(sim::Context& ctx);
  // Ends the join phase of every group whose deadline has come (BrokerTimer::group_join, armed
  // for each deadline, so a phase ends on time rather than on the next tick).
  void complete_due_joins(sim::Context& ctx);
  static constexpr sim::Duration kTickEvery = sim::Duration::millis(50);

  // Each group's state agrees with its phase (ClassicGroup's rules), and is coordinated here.
  std::string invariants() const;

  // LeadershipListener: load or unload the groups of a __consumer_offsets partition.
  void on_election(sim::Context& ctx, const TopicPartition& tp) override;
  void on_resignation(sim::Context& ctx, const TopicPartition& tp) override;
  // TxnCompletionListener: GroupMetadataManager.handleTxnCompletion for the groups of `tp`.
  void on_txn_completed(sim::Context& ctx, const TopicPartition& tp, int64_t producer_id, bool committed) override;

 private:
  int32_t offsets_partition_for(const std::string& group_id) const;
  // The group if this broker coordinates it (creating it if asked), else null.
  Group* coordinated(const std::string& group_id, bool create);
  // Why a request for a group this broker does not coordinate is refused.
  Error not_coordinating(const std::string& group_id) const;
  // event::GroupState or event::GroupLoaded, with the group as it is.
  template <typename E>
  void trace_group(sim::Context& ctx, const Group& g, const std::string& reason);

  // Joining (GroupMetadataManager.classicGroupJoinToClassicGroup and what it calls).
  void refuse_join(sim::Context& ctx, sim::NodeId from, const JoinGroupRequest& req, Error error, const std::string& member_id);
  void join_new_member(sim::Context& ctx, Group& g, sim::NodeId from, const JoinGroupRequest& req);
  void join_existing_member(sim::Context& ctx, Group& g, sim::NodeId from, const JoinGroupRequest& req);
  void add_member(sim::Context& ctx, Group& g, const std::string& id, sim::NodeId from, const JoinGroupRequest& req);
  // A static member rejoining under a new member id `id` in place of `old_id`.
  void replace_static_member(sim::Context& ctx, Group& g, const std::string& old_id, const std::string& id, sim::NodeId from,
                             const JoinGroupRequest& req);
  // maybePrepareRebalanceOrCompleteJoin, after a member joined or changed.
  void rebalance_or_complete_join(sim::Context& ctx, Group& g, const std::string& reason, bool is_new);
  void update_member(sim::Context& ctx, GroupMember& m, sim::NodeId from, const JoinGroupRequest& req);
  void respond_join(sim::Context& ctx, Group& g, GroupMember& m, Error error);
  void prepare_rebalance(sim::Context& ctx, Group& g, const std::string& reason);
  // At the end of an initial-delay window: opens the next one if a member joined during it and
  // the rebalance timeout leaves time; false when the join phase should complete.
  bool extend_initial_delay(sim::Context& ctx, Group& g);
  // Wakes the broker when the group's join deadline comes.
  void arm_join_deadline(sim::Context& ctx, const Group& g);
  void try_complete_join(sim::Context& ctx, Group& g);
  void complete_join(sim::Context& ctx, Group& g);
  // Keeps or makes the leader a member that joined this round; false when none did.
  bool elect_joined_leader(Group& g);
  void remove_member(sim::Context& ctx, Group& g, const std::string& member_id, const std::string& reason);
  // After a member (or a pending one) left: rebalance, or complete the join phase it held up.
  void member_gone(sim::Context& ctx, Group& g, const std::string& reason);
  // Answers the members waiting in SyncGroup with `error`.
  void fail_syncs(sim::Context& ctx, Group& g, Error error);
  // The leader's assignment was stored (or not): the group is stable, or rebalances again.
  void assignment_stored(sim::Context& ctx, const std::string& group_id, int32_t generation, Error error);

  void write(sim::Context& ctx, int32_t partition, std::vector<Record> records, WriteDone done);
  void load_groups(sim::Context& ctx, int32_t partition);
  // Loading one batch of the partition: its offset and group records, a transactional batch's
  // offsets as pending, a marker completing them (GroupMetadataManager.doLoadGroupsAndOffsets).
  static void load_batch(const RecordBatch& b, std::map<std::string, Group>& loaded, int32_t partition, sim::Time now);
  // group.txn_offsets for `offsets` of `producer_id` in `group`.
  static void trace_txn_offsets(sim::Context& ctx, const std::string& group, int64_t producer_id,
                                const std::map<TopicPartition, PendingTxnOffset>& offsets, const char* state);
  void unload_groups(sim::Context& ctx, int32_t partition);

  BrokerId id_;
  const ConfigSet& config_;
  const MetadataImage& image_;
  PartitionWriter& log_;
  std::map<std::string, Group> groups_;
  uint64_t next_member_id_ = 0;
};

}  // namespace kafka
