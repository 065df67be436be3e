// ConsumerCoordinator: its two state machines, finding the coordinator, poll(), the heartbeat
// thread, leaving, and the rebalance listener. Joining is in consumer_coordinator_join.cpp,
// commits and committed offsets in consumer_coordinator_offsets.cpp.
#include "broker_model/client/consumer_coordinator.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "broker_model/client/consumer_timers.hpp"
#include "broker_model/config/periods.hpp"
#include "broker_model/group/assignors.hpp"

namespace kafka {

std::string_view to_string(MemberState s) {
  switch (s) {
    case MemberState::unjoined: return "UNJOINED";
    case MemberState::preparing_rebalance: return "PREPARING_REBALANCE";
    case MemberState::completing_rebalance: return "COMPLETING_REBALANCE";
    case MemberState::stable: return "STABLE";
  }
  return "?";
}

bool valid_transition(MemberState from, MemberState to) {
  using S = MemberState;
  switch (from) {
    case S::unjoined: return to == S::preparing_rebalance || to == S::unjoined;
    case S::preparing_rebalance:
      return to == S::completing_rebalance || to == S::preparing_rebalance || to == S::unjoined;
    case S::completing_rebalance: return to == S::stable || to == S::preparing_rebalance || to == S::unjoined;
    case S::stable: return to == S::preparing_rebalance || to == S::unjoined;
  }
  return false;
}

std::string_view to_string(CoordinatorState s) {
  switch (s) {
    case CoordinatorState::unknown: return "UNKNOWN";
    case CoordinatorState::finding: return "FINDING";
    case CoordinatorState::known: return "KNOWN";
  }
  return "?";
}

bool valid_transition(CoordinatorState from, CoordinatorState to) {
  using S = CoordinatorState;
  switch (from) {
    case S::unknown: return to == S::finding || to == S::known;
    case S::finding: return to == S::known || to == S::unknown;
    case S::known: return to == S::unknown || to == S::known;
  }
  return false;
}

ConsumerCoordinator::ConsumerCoordinator(CoordinatorSettings settings, ConsumerNetworkClient& client,
                                         const ConfigSet& config, SubscriptionState& subscriptions,
                                         const ConsumerMetadata& metadata, FetchBuffer& buffer)
    : settings_(std::move(settings)),
      client_(client),
      config_(config),
      subscriptions_(subscriptions),
      metadata_(metadata),
      buffer_(buffer),
      trace_(settings_.member, settings_.group_id, generation_) {}

void ConsumerCoordinator::transition(MemberState to) {
  SIM_ASSERT(valid_transition(state_, to),
             "member state " + std::string(to_string(state_)) + " -> " + std::string(to_string(to)));
  state_ = to;
}

void ConsumerCoordinator::transition(CoordinatorState to) {
  SIM_ASSERT(valid_transition(coordinator_state_, to),
             "coordinator state " + std::string(to_string(coordinator_state_)) + " -> " + std::string(to_string(to)));
  coordinator_state_ = to;
  SIM_ASSERT((coordinator_state_ == CoordinatorState::known) == (coordinator_ != kNoLeader),
             "a known coordinator has a broker id, an unknown one none");
}

bool ConsumerCoordinator::cooperative() const {
  // The client's protocol: the highest one every configured assignor supports.
  for (const std::string& a : config_.list("partition.assignment.strategy")) {
    const auto p = supported_protocols(a);
    if (std::find(p.begin(), p.end(), RebalanceProtocol::cooperative) == p.end()) return false;
  }
  return true;
}

// ---- the coordinator ----

void ConsumerCoordinator::find_coordinator(sim::Context& ctx) {
  if (coordinator_state_ != CoordinatorState::unknown) return;
  transition(CoordinatorState::finding);
  auto req = std::make_shared<FindCoordinatorRequest>();
  req->correlation_id = client_.next_correlation_id();
  req->key = settings_.group_id;
  client_.send(ctx, client_.least_loaded_broker(), req);
}

bool ConsumerCoordinator::handle_find_coordinator(sim::Context& ctx, const FindCoordinatorResponse& resp) {
  if (resp.error != Error::NONE) {
    if (coordinator_state_ == CoordinatorState::finding) transition(CoordinatorState::unknown);
    ctx.set_timer(sim::Duration::millis(config_.integer("retry.backoff.ms")), sim::timer_tag(ConsumerTimer::coordinator_retry));
    return false;
  }
  coordinator_ = resp.coordinator;
  transition(CoordinatorState::known);
  trace_.emit<event::ConsumerCoordinator>(ctx, fmt::format("broker {}", coordinator_));
  if (commit_ && !commit_->sent) send_commit(ctx);
  refresh_committed_offsets(ctx);
  return true;
}

void ConsumerCoordinator::coordinator_lost(sim::Context& ctx) {
  if (coordinator_state_ == CoordinatorState::unknown) find_coordinator(ctx);
  if (coordinator_state_ != CoordinatorState::known) return;
  trace_.emit<event::ConsumerCoordinatorLost>(ctx, fmt::format("broker {}", coordinator_));
  coordinator_ = kNoLeader;
  transition(CoordinatorState::unknown);
  heartbeat_in_flight_ = false;
  if (rebalance_in_progress()) transition(MemberState::unjoined);
  if (commit_) commit_->sent = false;
  offset_fetch_lost();
  ctx.set_timer(sim::Duration::millis(config_.integer("retry.backoff.ms")), sim::timer_tag(ConsumerTimer::coordinator_retry));
}

void ConsumerCoordinator::connection_lost(sim::Context& ctx, BrokerId broker) {
  if (broker == coordinator_) {
    coordinator_lost(ctx);
  } else if (coordinator_state_ == CoordinatorState::finding) {
    // The FindCoordinator may have gone out on this connection: ask again after the backoff.
    transition(CoordinatorState::unknown);
    ctx.set_timer(sim::Duration::millis(config_.integer("retry.backoff.ms")), sim::timer_tag(ConsumerTimer::coordinator_retry));
  }
}

// ---- poll() ----

void ConsumerCoordinator::start(sim::Time now) {
  last_poll_ = now;
  next_auto_commit_ = now + sim::Duration::millis(config_.integer("auto.commit.interval.ms"));
}

void ConsumerCoordinator::record_poll(sim::Time now) {
  last_poll_ = now;
  if (poll_timeout_expired_) {
    // The heartbeat thread gave up our membership; this poll rejoins.
    poll_timeout_expired_ = false;
    rejoin_needed_ = true;
  }
}

ConsumerCoordinator::PollResult ConsumerCoordinator::poll(sim::Context& ctx) {
  if (coordinator_state_ != CoordinatorState::known) {
    find_coordinator(ctx);
    return PollResult::rebalancing;
  }
  if (rejoin_needed()) {
    // Cooperative (KIP-429): poll() keeps returning records of owned partitions while the
    // group rebalances. Eager: everything is revoked first and poll() waits for the new
    // assignment.
    const bool keep_consuming = cooperative() && generation_.generation_id >= 0 && subscriptions_.has_assignment();
    if (!rebalance_in_progress()) {
      if (!cooperative()) return prepare_join(ctx) ? PollResult::committing_on_revoke : PollResult::rebalancing;
      rebalance_started_ = ctx.now();
      if (generation_reset()) lose_partitions(ctx, "generation reset");
      send_join(ctx);
    }
    if (!keep_consuming) return PollResult::rebalancing;
  }
  maybe_auto_commit(ctx);
  return PollResult::ready;
}

void ConsumerCoordinator::resume_join(sim::Context& ctx) {
  if (coordinator_state_ != CoordinatorState::known) find_coordinator(ctx);
  else if (!rebalance_in_progress()) send_join(ctx);
}

// ---- the heartbeat thread ----

void ConsumerCoordinator::heartbeat_tick(sim::Context& ctx, bool application_in_poll, bool closing) {
  // AbstractCoordinator.HeartbeatThread: idle while the member has not joined (UNJOINED,
  // PREPARING_REBALANCE) or has failed; otherwise it checks the poll timeout and heartbeats,
  // waiting for its assignment (COMPLETING_REBALANCE) as well as when STABLE.
  auto joined = [this] { return state_ == MemberState::completing_rebalance || state_ == MemberState::stable; };
  const sim::Duration max_poll = sim::Duration::millis(config_.integer("max.poll.interval.ms"));
  if (joined() && !failed_ && !poll_timeout_expired_ && ctx.now() - last_poll_ > max_poll && !application_in_poll) {
    // handlePollTimeoutExpiry: the application stopped polling.
    trace_.emit<event::ConsumerPollTimeout>(ctx, fmt::format("no poll for {}", sim::format_duration(ctx.now() - last_poll_)));
    maybe_leave_group(ctx);
    poll_timeout_expired_ = true;
  }
  if (joined() && !failed_ && coordinator_state_ == CoordinatorState::known && !heartbeat_in_flight_ && !closing) {
    send_heartbeat(ctx);
  }
  ctx.set_timer(loop_interval(config_.integer("heartbeat.interval.ms")), sim::timer_tag(ConsumerTimer::heartbeat));
}

void ConsumerCoordinator::send_heartbeat(sim::Context& ctx) {
  heartbeat_in_flight_ = true;
  heartbeat_generation_ = generation_;
  auto req = std::make_shared<HeartbeatRequest>();
  req->correlation_id = heartbeat_correlation_ = client_.next_correlation_id();
  req->group_id = settings_.group_id;
  req->member_id = generation_.member_id;
  req->group_instance_id = settings_.group_instance_id;
  req->generation = generation_.generation_id;
  client_.send(ctx, coordinator_, req);
}

bool ConsumerCoordinator::handle_heartbeat(sim::Context& ctx, const HeartbeatResponse& resp) {
  if (resp.correlation_id != heartbeat_correlation_) return false;
  heartbeat_in_flight_ = false;
  // HeartbeatResponseHandler: an error about a generation the member has since left is stale.
  const bool generation_unchanged = heartbeat_generation_.generation_id == generation_.generation_id &&
                                    heartbeat_generation_.member_id == generation_.member_id;
  switch (resp.error) {
    case Error::NONE: return false;
    case Error::REBALANCE_IN_PROGRESS:
      // Only a STABLE member rejoins; one completing the rebalance hears of it from SyncGroup.
      if (state_ != MemberState::stable) return false;
      if (!rejoin_needed_) trace_.emit<event::ConsumerRebalanceNeeded>(ctx, "the coordinator started a rebalance");
      rejoin_needed_ = true;
      return true;
    case Error::ILLEGAL_GENERATION:
    case Error::UNKNOWN_MEMBER_ID:
    case Error::FENCED_INSTANCE_ID:
      if (!generation_unchanged) return false;
      reset_generation(resp.error != Error::ILLEGAL_GENERATION);
      lose_partitions(ctx, error_name(resp.error).data());
      // The heartbeat thread fails on FencedInstanceIdException; poll() throws it.
      if (resp.error == Error::FENCED_INSTANCE_ID) fail(ctx, "Heartbeat: FENCED_INSTANCE_ID");
      return true;
    case Error::NOT_COORDINATOR:
    case Error::COORDINATOR_NOT_AVAILABLE:
      coordinator_lost(ctx);
      return false;
    default:
      return false;  // failHeartbeat: the next one goes out after the backoff
  }
}

void ConsumerCoordinator::fail(sim::Context& ctx, const std::string& what) {
  if (failed_) return;
  failed_ = true;
  trace_.emit<event::ConsumerFatal>(ctx, what);
}

// ---- leaving ----

void ConsumerCoordinator::reset_generation(bool forget_member_id) {
  generation_.generation_id = -1;
  last_assignment_.clear();  // a member outside the group has no claim to its old partitions
  if (forget_member_id) generation_.member_id.clear();
  transition(MemberState::unjoined);
  heartbeat_in_flight_ = false;
}

void ConsumerCoordinator::send_leave_group(sim::Context& ctx) {
  if (coordinator_state_ != CoordinatorState::known || generation_.member_id.empty()) return;
  auto leave = std::make_shared<LeaveGroupRequest>();
  leave->correlation_id = client_.next_correlation_id();
  leave->group_id = settings_.group_id;
  leave->member_id = generation_.member_id;
  client_.send(ctx, coordinator_, leave);
}

void ConsumerCoordinator::maybe_leave_group(sim::Context& ctx) {
  // Only dynamic members leave (KIP-345): a static member's place is kept until its session
  // expires or another instance takes its identity.
  if (!settings_.group_instance_id && state_ != MemberState::unjoined) send_leave_group(ctx);
  reset_generation(true);
}

void ConsumerCoordinator::leave_group_on_close(sim::Context& ctx) {
  if (!settings_.group_instance_id && generation_.generation_id >= 0) send_leave_group(ctx);
}

// ---- the rebalance listener ----

ConsumerCoordinator::Offsets ConsumerCoordinator::revocation_offsets() const {
  switch (settings_.on_revoke) {
    case RevocationCommit::consumed_positions: return subscriptions_.all_consumed(settings_.commit_fetch_position);
    case RevocationCommit::processed_records: return subscriptions_.uncommitted_processed();
    case RevocationCommit::nothing: return {};
  }
  return {};
}

ConsumerCoordinator::Offsets ConsumerCoordinator::offsets_to_commit_on_revoke() const {
  if (generation_.generation_id < 0) return {};  // not a member: nothing it could commit
  return revocation_offsets();
}

void ConsumerCoordinator::revoke(sim::Context& ctx, const std::vector<TopicPartition>& partitions, const char* why) {
  if (partitions.empty()) return;
  trace_.partitions<event::ConsumerRevoked>(ctx, partitions, why);
  subscriptions_.remove_assigned(partitions);
  buffer_.drop(partitions);
}

void ConsumerCoordinator::revoke_cooperatively(sim::Context& ctx, const std::vector<TopicPartition>& revoked) {
  // Cooperative: give up what moved, commit it, and rejoin for the follow-up rebalance.
  Offsets offsets;
  for (const auto& o : revocation_offsets())
    if (std::find(revoked.begin(), revoked.end(), o.tp) != revoked.end()) offsets.push_back(o);
  revoke(ctx, revoked, "cooperative rebalance");
  rejoin_needed_ = true;
  if (!offsets.empty()) commit(ctx, offsets, false, "on-revoke");
}

void ConsumerCoordinator::lose_partitions(sim::Context& ctx, const char* why) {
  if (!subscriptions_.has_assignment()) return;
  trace_.partitions<event::ConsumerLost>(ctx, subscriptions_.assigned_partitions(), why);
  subscriptions_.clear_assignment();
  buffer_.clear();
}

}  // namespace kafka
