#pragma once
// A Kafka broker: hosts partition replicas on its disk, serves Produce, Fetch, Metadata and
// InitProducerId, replicates as follower by fetching from leaders, manages the ISR as leader
// through AlterPartition, and follows the controller's metadata log. Implemented over
// broker.cpp (lifecycle, controller, metadata, roles), broker_leader.cpp (produce, serving
// fetches, ISR and HW) and broker_follower.cpp (fetchers and truncation).
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "broker_model/broker/metadata_image.hpp"
#include "broker_model/broker/replica.hpp"
#include "broker_model/cluster_layout.hpp"
#include "broker_model/config/config.hpp"
#include "broker_model/group/group_state.hpp"
#include "broker_model/protocol/group_messages.hpp"
#include "broker_model/config/bugs.hpp"
#include "sim/node.hpp"

namespace kafka {

TruncationMode truncation_mode_for(const std::string& inter_broker_protocol_version);

class Broker final : public sim::Node {
 public:
  Broker(BrokerId id, std::string rack, ClusterLayout layout, ConfigSet config, Bugs bugs = {});

  void on_start(sim::Context& ctx) override;
  void on_message(sim::Context& ctx, sim::NodeId from, const sim::MessagePtr& msg) override;
  void on_timer(sim::Context& ctx, uint64_t tag) override;
  void on_disconnect(sim::Context& ctx, sim::NodeId peer) override;
  void on_shutdown(sim::Context& ctx) override;

  // Read-only views for scenario queries.
  BrokerId id() const { return id_; }
  const Replica* replica(const std::string& topic, int32_t p) const;
  const MetadataImage& image() const { return image_; }
  // The groups this broker coordinates (it leads their __consumer_offsets partition).
  const std::map<std::string, Group>& groups() const { return groups_; }

 private:
  enum Timer : uint64_t {
    kHeartbeat = 1,
    kIsrCheck = 2,
    kHwCheckpoint = 3,
    kFlushCheck = 4,
    kControllerRetry = 5,
    kShutdownDeadline = 6,
    kGroupTick = 7,
  };
  static constexpr uint64_t kDelayedProduceTag = 1ULL << 40;
  static constexpr uint64_t kParkedFetchTag = 2ULL << 40;
  static constexpr uint64_t kFetcherBackoffTag = 3ULL << 40;
  static constexpr uint64_t kGroupWriteTag = 4ULL << 40;
  static constexpr const char* kOffsetsTopic = "__consumer_offsets";

  struct DelayedProduce {
    sim::NodeId from;
    int32_t correlation_id;
    sim::TimerId timer;
    std::vector<ProduceResponse::PartitionResponse> results;
    std::vector<int64_t> required;  // per result: the offset the HW must pass (-1 = settled)
  };
  struct ParkedFetch {
    sim::NodeId from;
    std::shared_ptr<const FetchRequest> request;
    sim::TimerId timer;
  };
  // A write to __consumer_offsets that completes once the HW passes it (acks=all).
  using WriteDone = std::function<void(sim::Context&, Error)>;
  struct GroupWrite {
    int32_t partition;
    int64_t required;
    WriteDone done;
    sim::TimerId timer;
  };
  struct Fetcher {
    bool in_flight = false;
    int32_t correlation_id = 0;
    bool backing_off = false;
  };

  // broker.cpp
  void load_logs(sim::Context& ctx);
  Replica& replica_for(sim::Context& ctx, const std::string& topic, int32_t p);
  void register_with_controller(sim::Context& ctx);
  void send_heartbeat(sim::Context& ctx);
  void fetch_metadata(sim::Context& ctx);
  void handle_metadata(sim::Context& ctx, const MetadataFetchResponse& resp);
  void handle_heartbeat_response(sim::Context& ctx, const BrokerHeartbeatResponse& resp);
  void handle_registration_response(sim::Context& ctx, const BrokerRegistrationResponse& resp);
  void apply_partition(sim::Context& ctx, const PartitionState& s);
  void become_leader(sim::Context& ctx, Replica& r, const PartitionState& s);
  void become_follower(sim::Context& ctx, Replica& r, const PartitionState& s);
  void handle_metadata_request(sim::Context& ctx, sim::NodeId from, const MetadataRequest& req);
  void handle_init_producer_id(sim::Context& ctx, sim::NodeId from, const InitProducerIdRequest& req);
  int64_t min_isr(const std::string& topic) const;
  // flush.messages and flush.ms of a topic: its override, else the broker's.
  int64_t flush_messages(const std::string& topic) const;
  int64_t flush_ms(const std::string& topic) const;
  bool strict_min_isr() const { return config_.version() >= kV3_7; }
  void maybe_flush(sim::Context& ctx, Replica& r);
  void trace_state(sim::Context& ctx, const char* kind, const Replica& r);

  // broker_leader.cpp
  void handle_produce(sim::Context& ctx, sim::NodeId from, const ProduceRequest& req);
  void handle_fetch(sim::Context& ctx, sim::NodeId from, const std::shared_ptr<const FetchRequest>& req);
  void respond_fetch(sim::Context& ctx, sim::NodeId from, const FetchRequest& req);
  void handle_offsets_for_leader_epoch(sim::Context& ctx, sim::NodeId from, const OffsetsForLeaderEpochRequest& req);
  void handle_alter_partition_response(sim::Context& ctx, const AlterPartitionResponse& resp);
  void update_follower(sim::Context& ctx, Replica& r, BrokerId follower, int64_t fetch_offset);
  bool maybe_increment_hw(sim::Context& ctx, Replica& r);
  void maybe_expand_isr(sim::Context& ctx, Replica& r, BrokerId follower);
  void check_isr_shrink(sim::Context& ctx);
  void propose_isr(sim::Context& ctx, Replica& r, std::vector<BrokerId> isr);
  void complete_delayed_produces(sim::Context& ctx);
  void finish_delayed(sim::Context& ctx, uint64_t id, bool timed_out);
  // Answers parked fetches that include key: followers' when data arrives, consumers' also
  // when the HW moves (new records became visible).
  void wake_parked_fetches(sim::Context& ctx, const TopicPartition& tp, bool consumers_only = false);

  // broker_group.cpp: the group coordinator
  Group* coordinated(sim::Context& ctx, const std::string& group_id, bool create);
  int32_t offsets_partition_for(const std::string& group_id) const;
  void handle_find_coordinator(sim::Context& ctx, sim::NodeId from, const FindCoordinatorRequest& req);
  void handle_join_group(sim::Context& ctx, sim::NodeId from, const JoinGroupRequest& req);
  void handle_sync_group(sim::Context& ctx, sim::NodeId from, const SyncGroupRequest& req);
  void handle_heartbeat(sim::Context& ctx, sim::NodeId from, const HeartbeatRequest& req);
  void handle_leave_group(sim::Context& ctx, sim::NodeId from, const LeaveGroupRequest& req);
  void handle_offset_commit(sim::Context& ctx, sim::NodeId from, const OffsetCommitRequest& req);
  void handle_offset_fetch(sim::Context& ctx, sim::NodeId from, const OffsetFetchRequest& req);
  void handle_list_offsets(sim::Context& ctx, sim::NodeId from, const ListOffsetsRequest& req);
  void prepare_rebalance(sim::Context& ctx, Group& g, const std::string& reason);
  void try_complete_join(sim::Context& ctx, Group& g);
  void complete_join(sim::Context& ctx, Group& g);
  void remove_member(sim::Context& ctx, Group& g, const std::string& member_id, const std::string& reason);
  void group_tick(sim::Context& ctx);
  void write_group_records(sim::Context& ctx, int32_t partition, std::vector<Record> records, WriteDone done);
  void complete_group_writes(sim::Context& ctx);
  void load_groups(sim::Context& ctx, Replica& r);
  void unload_groups(sim::Context& ctx, int32_t partition);
  void trace_group(sim::Context& ctx, const Group& g, const char* kind, const std::string& reason);
  void respond_join(sim::Context& ctx, Group& g, GroupMember& m, Error error);

  // broker_follower.cpp
  void start_fetching(sim::Context& ctx, BrokerId leader);
  void handle_fetch_response(sim::Context& ctx, sim::NodeId from, const FetchResponse& resp);
  void handle_epoch_response(sim::Context& ctx, const OffsetsForLeaderEpochResponse& resp);
  void ask_leader_epoch(sim::Context& ctx, Replica& r);
  void truncate(sim::Context& ctx, Replica& r, int64_t offset, const char* why);
  void fetcher_failed(sim::Context& ctx, BrokerId leader);
  void resume_fetcher(sim::Context& ctx, BrokerId leader);

  BrokerId id_;
  std::string rack_;
  ClusterLayout layout_;
  ConfigSet config_;
  TruncationMode truncation_;
  Bugs bugs_;
  // Settings read on every produce and fetch, resolved once from config_.
  sim::Duration lag_max_;
  bool flush_check_armed_ = false;
  std::set<std::string> auto_creating_;  // topics a CreateTopics is in flight for
  int32_t fetch_wait_ms_, fetch_min_bytes_;

  int64_t broker_epoch_ = -1;
  bool registered_ = false;
  bool fenced_ = true;
  bool registering_ = false;
  bool metadata_in_flight_ = false;
  bool shutting_down_ = false;
  bool previous_clean_shutdown_ = true;
  MetadataImage image_;
  std::map<TopicPartition, Replica> replicas_;
  std::map<uint64_t, DelayedProduce> delayed_;
  std::map<uint64_t, ParkedFetch> parked_;
  uint64_t next_delayed_ = 0;
  uint64_t next_parked_ = 0;
  std::map<BrokerId, Fetcher> fetchers_;
  int32_t next_correlation_ = 0;
  std::map<std::string, Group> groups_;
  std::map<uint64_t, GroupWrite> group_writes_;
  uint64_t next_group_write_ = 0;
  uint64_t next_member_id_ = 0;
  sim::FileId clean_marker_ = 0;
  sim::FileId pid_file_ = 0;
  int64_t next_producer_id_ = 0;
};

}  // namespace kafka
