#pragma once
// The member's life in its group with the classic protocol (Kafka's AbstractCoordinator and
// ConsumerCoordinator): finding the coordinator, JoinGroup and SyncGroup, the leader's
// assignment, heartbeats and the max.poll.interval.ms check of the heartbeat thread,
// LeaveGroup, revoking and losing partitions (the rebalance listener), eager and cooperative
// (KIP-429) rebalances, static membership (KIP-345), the committed offsets of newly assigned
// partitions (OffsetFetch), and commits (OffsetCommit: commitSync retrying retriable errors
// until default.api.timeout.ms, commitAsync, auto-commit).
//
// Two state machines, each with its transitions declared once and asserted:
//
// MemberState (AbstractCoordinator.MemberState)
//   UNJOINED              not in the group (or fenced out of it)
//   PREPARING_REBALANCE   JoinGroup sent, no answer yet
//   COMPLETING_REBALANCE  JoinGroup answered, SyncGroup sent, no assignment yet
//   STABLE                assigned; heartbeating
//
//   UNJOINED             -> PREPARING_REBALANCE (JoinGroup), UNJOINED (fenced again)
//   PREPARING_REBALANCE  -> COMPLETING_REBALANCE (joined), PREPARING_REBALANCE (JoinGroup
//                           again: MEMBER_ID_REQUIRED, REBALANCE_IN_PROGRESS...), UNJOINED
//   COMPLETING_REBALANCE -> STABLE (assignment), PREPARING_REBALANCE (REBALANCE_IN_PROGRESS),
//                           UNJOINED
//   STABLE               -> PREPARING_REBALANCE (rejoin), UNJOINED (fenced, left)
//
// CoordinatorState: where the group's coordinator is (AbstractCoordinator's `coordinator`
// field and its pending FindCoordinator; orthogonal to the member state: a STABLE member
// keeps its generation while it looks for a new coordinator)
//   UNKNOWN -> FINDING (FindCoordinator sent), KNOWN (an answer that arrives after all)
//   FINDING -> KNOWN (answered), UNKNOWN (refused, or its connection broke)
//   KNOWN   -> UNKNOWN (NOT_COORDINATOR, disconnect...), KNOWN (a second answer)
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker_model/client/commit_policy.hpp"
#include "broker_model/client/consumer_metadata.hpp"
#include "broker_model/client/consumer_network_client.hpp"
#include "broker_model/client/consumer_trace.hpp"
#include "broker_model/client/fetch_buffer.hpp"
#include "sim/time.hpp"
#include "broker_model/client/subscription_state.hpp"
#include "broker_model/config/config.hpp"
#include "broker_model/protocol/group_messages.hpp"

namespace kafka {

enum class MemberState { unjoined, preparing_rebalance, completing_rebalance, stable };
std::string_view to_string(MemberState s);
bool valid_transition(MemberState from, MemberState to);
// What a commit outside a stable generation fails with, unsent (sendOffsetCommitRequest): the
// error of the trace's consumer.commit.
std::string_view commit_refusal(MemberState state);

enum class CoordinatorState { unknown, finding, known };
std::string_view to_string(CoordinatorState s);
bool valid_transition(CoordinatorState from, CoordinatorState to);

struct CoordinatorSettings {
  std::string member;  // the process name, for the trace
  std::string group_id;
  std::optional<std::string> group_instance_id;  // static membership (KIP-345)
  bool auto_commit = false;                      // enable.auto.commit
  RevocationCommit on_revoke = RevocationCommit::processed_records;
  bool commit_fetch_position = false;  // the consumer_commits_fetched bug
};

class ConsumerCoordinator {
 public:
  using Offsets = std::vector<OffsetCommitRequest::Offset>;

  ConsumerCoordinator(CoordinatorSettings settings, ConsumerNetworkClient& client, const ConfigSet& config,
                      SubscriptionState& subscriptions, const ConsumerMetadata& metadata, FetchBuffer& buffer);
  ConsumerCoordinator(const ConsumerCoordinator&) = delete;
  ConsumerCoordinator& operator=(const ConsumerCoordinator&) = delete;

  const ConsumerTrace& trace() const { return trace_; }
  const Generation& generation() const { return generation_; }
  MemberState state() const { return state_; }
  bool cooperative() const;
  // An error that ends the application (FencedInstanceIdException, a fatal JoinGroup error):
  // the next poll() throws it, however long the application takes to call it.
  bool failed() const { return failed_; }

  // ---- driven by the application's poll() ----
  void start(sim::Time now);
  // Heartbeat.poll: the application called poll(). A member the heartbeat thread took out of
  // the group for not polling rejoins.
  void record_poll(sim::Time now);
  enum class PollResult {
    ready,                 // poll() may return records
    rebalancing,           // poll() waits for the group
    committing_on_revoke,  // poll() waits for the commit of onJoinPrepare, then joins
  };
  // ConsumerCoordinator.poll: find the coordinator, (re)join when needed, auto-commit.
  PollResult poll(sim::Context& ctx);
  // After the commit of onJoinPrepare: on to JoinGroup.
  void resume_join(sim::Context& ctx);
  // ConsumerCoordinator.refreshCommittedOffsetsIfNeeded: OffsetFetch for INITIALIZING partitions.
  void refresh_committed_offsets(sim::Context& ctx);
  // What a member commits before giving its partitions up (a rebalance, close()).
  Offsets offsets_to_commit_on_revoke() const;
  // KafkaConsumer.close(): dynamic members leave; static ones keep their place (KIP-345).
  void leave_group_on_close(sim::Context& ctx);

  // ---- commits ----
  // Starts a commit. Returns true when a commitSync is now on its way: the application waits
  // for it. An empty or refused commit returns false at once.
  bool commit(sim::Context& ctx, Offsets offsets, bool sync, const char* why);
  // The auto-commit inside the next poll() is due (maybeAutoCommitOffsetsAsync).
  bool auto_commit_due(sim::Time now) const { return settings_.auto_commit && now >= next_auto_commit_; }
  struct CommitCompletion {
    bool sync;
    Error error;
  };
  std::optional<CommitCompletion> handle_commit_response(sim::Context& ctx, const OffsetCommitResponse& resp);
  void retry_commit(sim::Context& ctx);
  void abandon_commit() { commit_.reset(); }

  // ---- responses and timers; each returns what the application must hear of ----
  bool handle_find_coordinator(sim::Context& ctx, const FindCoordinatorResponse& resp);  // found
  bool handle_join(sim::Context& ctx, const JoinGroupResponse& resp);                     // a fatal error
  // The partitions the last completed rebalance added (onPartitionsAssigned's argument).
  const std::vector<TopicPartition>& last_added() const { return last_added_; }
  // An application with a rebalance listener: the committed offsets of new partitions are
  // looked up by the poll() after the listener ran (KafkaConsumer.updateFetchPositions), not as
  // soon as the assignment arrives, so that a seek in the listener stands.
  void look_up_positions_after_listener() { refresh_after_listener_ = true; }
  bool handle_sync(sim::Context& ctx, const SyncGroupResponse& resp);                     // assigned
  bool handle_heartbeat(sim::Context& ctx, const HeartbeatResponse& resp);  // must rejoin
  // The partitions that have no committed offset (to reset), or nothing when ignored.
  std::optional<std::vector<TopicPartition>> handle_offset_fetch(sim::Context& ctx, const OffsetFetchResponse& resp);
  void find_coordinator(sim::Context& ctx);
  // The heartbeat thread's tick. application_in_poll: the application waits inside poll().
  void heartbeat_tick(sim::Context& ctx, bool application_in_poll, bool closing);
  void connection_lost(sim::Context& ctx, BrokerId broker);

  // The next poll() joins the group again (a heartbeat said it rebalances, or it left).
  bool rejoin_needed() const { return state_ == MemberState::unjoined || rejoin_needed_; }

 private:
  struct CommitInFlight {
    Offsets offsets;
    bool sync;
    std::string why;
    int32_t correlation_id = 0;
    sim::Time deadline;
    bool sent = false;
    Generation sent_generation;  // the member's generation when it was last sent
  };

  void transition(MemberState to);
  void transition(CoordinatorState to);
  bool rebalance_in_progress() const {
    return state_ == MemberState::preparing_rebalance || state_ == MemberState::completing_rebalance;
  }
  // onJoinPrepare: a member whose generation or member id was reset (by the heartbeat thread,
  // a poll timeout) has lost what it owned, rather than giving it up.
  bool generation_reset() const { return generation_.generation_id < 0 || generation_.member_id.empty(); }
  void coordinator_lost(sim::Context& ctx);
  void offset_fetch_lost();
  void reset_generation(bool forget_member_id);
  // Records the error the next poll() throws (and the trace's consumer.fatal).
  void fail(sim::Context& ctx, const std::string& what);
  // AbstractCoordinator.maybeLeaveGroup: a dynamic member sends LeaveGroup; every member
  // resets its generation and member id (resetGenerationOnLeaveGroup).
  void maybe_leave_group(sim::Context& ctx);

  void send_heartbeat(sim::Context& ctx);
  void send_leave_group(sim::Context& ctx);

  // joining (consumer_coordinator_join.cpp)
  bool prepare_join(sim::Context& ctx);
  void send_join(sim::Context& ctx);
  void send_sync(sim::Context& ctx, const JoinGroupResponse& resp);
  void perform_assignment(sim::Context& ctx, const JoinGroupResponse& resp, SyncGroupRequest& req) const;
  void complete_rebalance(sim::Context& ctx, const std::vector<TopicPartition>& assignment);

  // the rebalance listener: what is revoked or lost leaves the subscription and the buffer
  Offsets revocation_offsets() const;
  void revoke(sim::Context& ctx, const std::vector<TopicPartition>& partitions, const char* why);
  void revoke_cooperatively(sim::Context& ctx, const std::vector<TopicPartition>& revoked);
  void lose_partitions(sim::Context& ctx, const char* why);

  // commits (consumer_coordinator_offsets.cpp)
  void send_commit(sim::Context& ctx);
  void trace_commit(sim::Context& ctx, const std::string& offsets, const std::string& why, bool sync,
                    std::string_view error) const;
  void maybe_auto_commit(sim::Context& ctx);

  CoordinatorSettings settings_;
  ConsumerNetworkClient& client_;
  const ConfigSet& config_;
  SubscriptionState& subscriptions_;
  const ConsumerMetadata& metadata_;
  FetchBuffer& buffer_;
  Generation generation_;
  ConsumerTrace trace_;  // reads generation_

  MemberState state_ = MemberState::unjoined;
  CoordinatorState coordinator_state_ = CoordinatorState::unknown;
  BrokerId coordinator_ = kNoLeader;
  bool rejoin_needed_ = false;
  bool heartbeat_in_flight_ = false;
  Generation heartbeat_generation_;  // the generation the heartbeat in flight was sent with
  bool failed_ = false;
  // The heartbeat thread found no poll() for max.poll.interval.ms and gave the membership up;
  // the next poll() rejoins.
  bool poll_timeout_expired_ = false;
  int32_t join_correlation_ = 0, sync_correlation_ = 0, heartbeat_correlation_ = 0, offset_fetch_correlation_ = 0;
  // The last assignment received: the eager StickyAssignor's user data carries it into the next
  // rebalance, after the partitions themselves have been revoked.
  std::vector<TopicPartition> last_assignment_;
  std::vector<TopicPartition> last_added_;     // what the last completed rebalance added
  bool refresh_after_listener_ = false;        // see look_up_positions_after_listener()
  sim::Time last_poll_;
  sim::Time rebalance_started_;
  sim::Time next_auto_commit_;
  std::optional<CommitInFlight> commit_;
};

}  // namespace kafka
