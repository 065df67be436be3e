#pragma once
// The consumer client (KafkaConsumer with the classic group protocol) and the application that
// runs its poll loop: poll -> process each record -> commit by the chosen policy.
//
// As in the Java client, heartbeats and the max.poll.interval.ms check run in the background,
// while joining the group, syncing, the rebalance listener and auto-commit happen inside
// poll(), on the application's thread: a slow application holds up the whole group's
// rebalance. Every poll is an operation in the trace (op.invoke / op.poll_record / op.ok,
// f = "poll"), every processed record a consumer.processed event and every commit a
// consumer.commit event.
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "broker_model/cluster_layout.hpp"
#include "broker_model/config/bugs.hpp"
#include "broker_model/config/config.hpp"
#include "broker_model/protocol/group_messages.hpp"
#include "sim/node.hpp"
#include "sim/random.hpp"

namespace kafka {

// When the application commits (see docs/commit-policies.md).
enum class CommitPolicy {
  kafka_auto,        // enable.auto.commit: inside poll(), every auto.commit.interval.ms
  after_process,     // commitSync after processing each poll's records
  async,             // commitAsync after processing, no retry
  before_process,    // commitSync right after poll(), before processing (at-most-once)
  record,            // Spring RECORD: commitSync after each record
  batch,             // Spring BATCH: commitSync of the previous poll's records before the next poll
  time,              // Spring TIME: commit when ack_time has passed since the last commit
  count,             // Spring COUNT: commit when ack_count records were processed since the last commit
  count_time,        // Spring COUNT_TIME: whichever comes first
  manual,            // Spring MANUAL: acknowledged records, committed like BATCH
  manual_immediate,  // Spring MANUAL_IMMEDIATE: each acknowledgement commits at once
};
std::optional<CommitPolicy> parse_commit_policy(std::string_view name);
std::string_view to_string(CommitPolicy p);

// Facts shared by every member of a group handle, kept outside the client objects so that
// scenarios can read them after crashes.
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

struct ConsumerApp {
  std::vector<std::string> topics;
  CommitPolicy policy = CommitPolicy::kafka_auto;
  sim::DurationDist processing_time = sim::DurationDist::constant(sim::Duration::millis(1));
  int64_t ack_count = 1;
  sim::Duration ack_time = sim::Duration::seconds(5);
  std::string crash_at;  // "before-process", "after-process" or "after-commit": die there once
};

class Consumer final : public sim::Node {
 public:
  Consumer(std::string member_name, ClusterLayout layout, ConfigSet config, ConsumerApp app, GroupLedger& ledger,
           Bugs bugs = {});

  void on_start(sim::Context& ctx) override;
  void on_message(sim::Context& ctx, sim::NodeId from, const sim::MessagePtr& msg) override;
  void on_timer(sim::Context& ctx, uint64_t tag) override;
  void on_disconnect(sim::Context& ctx, sim::NodeId peer) override;
  void on_shutdown(sim::Context& ctx) override;

  // Application controls.
  void set_processing_time(sim::DurationDist d) { app_.processing_time = d; }
  void arm_crash(std::string point) { app_.crash_at = std::move(point); }
  // KafkaConsumer.seek: the next records of an assigned partition start at offset. Returns
  // false when the partition is not assigned to this member.
  bool seek(sim::Context& ctx, const TopicPartition& tp, int64_t offset);

  // Read-only views.
  const std::vector<TopicPartition>& assignment() const { return assignment_; }
  int32_t generation() const { return generation_; }
  const std::string& member_id() const { return member_id_; }
  bool stable() const { return group_state_ == GroupState::stable; }

 private:
  enum class GroupState { unjoined, joining, syncing, stable };
  enum class AppState { idle, polling, rebalancing, processing, committing, closing };
  struct Position {
    int64_t offset = -1;        // next offset to hand to the application (-1: unknown)
    int32_t leader_epoch = -1;  // epoch of the last record handed out (KIP-320)
    int64_t fetch_offset = -1;  // next offset to fetch
    bool resetting = false, validating = false, fetching_committed = false;
  };
  struct Buffered {
    TopicPartition tp;
    int64_t offset;
    int32_t epoch;
    Record record;
  };
  enum Timer : uint64_t {
    kHeartbeat = 1,
    kPollTick = 2,
    kProcess = 3,
    kAutoCommitRetry = 4,
    kCoordinatorRetry = 5,
    kMetadataRefresh = 6,
    kRequestTimeout = 7,
    kCommitRetry = 8,
    kShutdownDeadline = 9,
    kFetchBackoff = 10,
    kMetadataRetry = 11,
    kLagReport = 12,
  };

  // the application loop
  void app_poll(sim::Context& ctx);
  void app_process_next(sim::Context& ctx);
  void app_after_batch(sim::Context& ctx);
  void app_continue(sim::Context& ctx);
  bool hit(sim::Context& ctx, const char* point);
  void maybe_commit_by_policy(sim::Context& ctx, bool before_poll, bool after_record);
  std::vector<OffsetCommitRequest::Offset> consumed_offsets() const;
  std::vector<OffsetCommitRequest::Offset> processed_offsets(bool only_uncommitted) const;

  // commits: what the application does once a blocking (sync) commit returns
  enum class Then { nothing, process_next, continue_loop, poll, join, leave };
  void commit(sim::Context& ctx, std::vector<OffsetCommitRequest::Offset> offsets, bool sync, const char* why,
              Then then = Then::nothing);
  void resume(sim::Context& ctx, Then then);
  void leave_and_exit(sim::Context& ctx);
  void send_leave_group(sim::Context& ctx);
  void send_commit(sim::Context& ctx);
  void handle_commit_response(sim::Context& ctx, const OffsetCommitResponse& resp);

  // the group
  void find_coordinator(sim::Context& ctx);
  void handle_find_coordinator(sim::Context& ctx, const FindCoordinatorResponse& resp);
  void send_join(sim::Context& ctx);
  void handle_join(sim::Context& ctx, const JoinGroupResponse& resp);
  void handle_sync(sim::Context& ctx, const SyncGroupResponse& resp);
  void handle_heartbeat(sim::Context& ctx, const HeartbeatResponse& resp);
  void prepare_rejoin(sim::Context& ctx);
  void revoke(sim::Context& ctx, const std::vector<TopicPartition>& partitions, const char* why);
  void lose_partitions(sim::Context& ctx, const char* why);
  void reset_membership(sim::Context& ctx, bool forget_member_id);
  bool cooperative() const;
  bool needs_rejoin() const { return group_state_ == GroupState::unjoined || rejoin_; }
  void coordinator_lost(sim::Context& ctx);

  // fetching
  void request_metadata(sim::Context& ctx);
  void handle_metadata(sim::Context& ctx, const MetadataResponse& resp);
  void init_positions(sim::Context& ctx);
  void handle_offset_fetch(sim::Context& ctx, const OffsetFetchResponse& resp);
  void reset_positions(sim::Context& ctx, const std::vector<TopicPartition>& tps);
  void handle_list_offsets(sim::Context& ctx, const ListOffsetsResponse& resp);
  void validate_position(sim::Context& ctx, const TopicPartition& tp);
  void handle_epoch_response(sim::Context& ctx, const OffsetsForLeaderEpochResponse& resp);
  void send_fetches(sim::Context& ctx);
  void handle_fetch(sim::Context& ctx, sim::NodeId from, const FetchResponse& resp);
  BrokerId leader_of(const TopicPartition& tp) const;
  int32_t leader_epoch_of(const TopicPartition& tp) const;
  sim::NodeId coordinator_node() const { return layout_.node_of(coordinator_); }

  void trace(sim::Context& ctx, const char* kind, const std::string& detail);
  // Partitions revoked or lost, as a list field (the history's rebalance log reads it).
  // The subscribe op in the history, once the subscribed topics' partitions are known.
  void record_subscribe(sim::Context& ctx);
  void trace_partitions(sim::Context& ctx, const char* kind, const std::vector<TopicPartition>& partitions, const char* why);
  // A position set by something other than processing (the committed offset, a reset, a seek),
  // with the offset as a field: the checker excuses the records a reset or seek jumped over
  // (sim/check/commits.hpp) and tells where a member resumed (sim/check/explain.hpp).
  void trace_position(sim::Context& ctx, const char* kind, const TopicPartition& tp, int64_t offset, const std::string& detail);

  std::string name_;
  ClusterLayout layout_;
  ConfigSet config_;
  ConsumerApp app_;
  GroupLedger& ledger_;
  Bugs bugs_;
  std::string group_id_;
  std::optional<std::string> instance_id_;

  // metadata
  std::map<std::string, std::vector<std::pair<BrokerId, int32_t>>> topics_;  // (leader, epoch) per partition
  bool metadata_in_flight_ = false;
  bool subscribe_recorded_ = false;  // the subscribe op is in the history (once the partitions are known)
  size_t next_bootstrap_ = 0;

  // the group
  BrokerId coordinator_ = kNoLeader;
  bool finding_coordinator_ = false;
  GroupState group_state_ = GroupState::unjoined;
  bool rejoin_ = false;
  std::string member_id_;
  int32_t generation_ = -1;
  std::string protocol_;
  std::vector<TopicPartition> assignment_;
  // The last assignment received: the eager StickyAssignor's user data carries it into the next
  // rebalance, after the partitions themselves have been revoked.
  std::vector<TopicPartition> last_assignment_;
  int32_t join_correlation_ = 0, sync_correlation_ = 0, heartbeat_correlation_ = 0;
  bool heartbeat_in_flight_ = false;
  sim::Time last_poll_;
  sim::Time rebalance_started_;
  bool left_for_poll_timeout_ = false;
  std::optional<sim::Time> blocked_since_;
  // poll(timeout): waiting for records until the deadline; an empty poll returns at it.
  std::optional<sim::Time> poll_deadline_;
  sim::Duration poll_timeout() const;
  void block(sim::Context& ctx);
  void unblock(sim::Context& ctx);

  // positions and fetching
  std::map<TopicPartition, Position> positions_;
  std::map<TopicPartition, std::deque<Buffered>> buffers_;
  std::map<TopicPartition, int64_t> high_watermarks_;  // as the last fetch reported them
  std::map<BrokerId, int32_t> fetch_in_flight_;  // broker -> correlation id
  int32_t offset_fetch_correlation_ = 0;
  int32_t next_correlation_ = 0;

  // the application
  AppState app_state_ = AppState::idle;
  std::deque<Buffered> batch_;  // records of the current poll still to process
  uint64_t poll_op_ = 0;
  std::map<TopicPartition, std::pair<int64_t, int32_t>> processed_;  // next offset and epoch
  std::map<TopicPartition, int64_t> committed_;
  int64_t acked_since_commit_ = 0;
  sim::Time last_commit_;
  sim::Time next_auto_commit_;

  // the commit in flight
  struct CommitInFlight {
    std::vector<OffsetCommitRequest::Offset> offsets;
    bool sync;
    std::string why;
    Then then = Then::nothing;
    int32_t correlation_id = 0;
    sim::Time deadline;
    bool sent = false;
  };
  std::optional<CommitInFlight> commit_;
  bool shutting_down_ = false;
};

}  // namespace kafka
