// ConsumerCoordinator: joining the group. onJoinPrepare, JoinGroup, the leader's assignment,
// SyncGroup and onJoinComplete.
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "broker_model/client/consumer_coordinator.hpp"
#include "broker_model/group/assignors.hpp"

namespace kafka {

namespace {
bool contains(const std::vector<TopicPartition>& v, const TopicPartition& tp) {
  return std::find(v.begin(), v.end(), tp) != v.end();
}
}  // namespace

bool ConsumerCoordinator::prepare_join(sim::Context& ctx) {
  // ConsumerCoordinator.onJoinPrepare: commit (auto-commit synchronously, or the application's
  // listener committing what it processed), then, with the eager protocol, give up everything.
  rebalance_started_ = ctx.now();
  const Offsets offsets = offsets_to_commit_on_revoke();
  if (generation_reset()) lose_partitions(ctx, "generation reset");
  else if (!cooperative()) revoke(ctx, subscriptions_.assigned_partitions(), "eager rebalance");
  // The JoinGroup waits for a commitSync (resume_join); a refused one does not hold it up.
  if (commit(ctx, offsets, true, "on-revoke")) return true;
  send_join(ctx);
  return false;
}

void ConsumerCoordinator::send_join(sim::Context& ctx) {
  SIM_ASSERT(coordinator_state_ == CoordinatorState::known, "JoinGroup needs a coordinator");
  transition(MemberState::preparing_rebalance);
  auto req = std::make_shared<JoinGroupRequest>();
  req->correlation_id = join_correlation_ = client_.next_correlation_id();
  req->group_id = settings_.group_id;
  req->member_id = generation_.member_id;
  req->group_instance_id = settings_.group_instance_id;
  req->session_timeout_ms = static_cast<int32_t>(config_.integer("session.timeout.ms"));
  req->rebalance_timeout_ms = static_cast<int32_t>(config_.integer("max.poll.interval.ms"));
  req->protocols = config_.list("partition.assignment.strategy");
  req->subscription.topics = metadata_.subscribed_topics();
  req->subscription.owned = cooperative() ? subscriptions_.assigned_partitions() : last_assignment_;
  req->subscription.generation = generation_.generation_id;
  client_.send(ctx, coordinator_, req);
}

bool ConsumerCoordinator::handle_join(sim::Context& ctx, const JoinGroupResponse& resp) {
  if (resp.correlation_id != join_correlation_ || state_ != MemberState::preparing_rebalance) return false;
  switch (resp.error) {
    case Error::NONE: break;
    case Error::MEMBER_ID_REQUIRED:
      generation_.member_id = resp.member_id;
      send_join(ctx);
      return false;
    case Error::UNKNOWN_MEMBER_ID:
    case Error::ILLEGAL_GENERATION:
      reset_generation(true);
      send_join(ctx);
      return false;
    case Error::REBALANCE_IN_PROGRESS:
      send_join(ctx);
      return false;
    case Error::NOT_COORDINATOR:
    case Error::COORDINATOR_NOT_AVAILABLE:
      coordinator_lost(ctx);
      return false;
    default:
      // FENCED_INSTANCE_ID, INCONSISTENT_GROUP_PROTOCOL and the like: joinGroupIfNeeded throws
      // them from poll(), which ends the application.
      fail(ctx, std::string("JoinGroup: ") + std::string(error_name(resp.error)));
      transition(MemberState::unjoined);
      return true;
  }
  generation_ = Generation{resp.generation, resp.member_id, resp.protocol};
  transition(MemberState::completing_rebalance);
  send_sync(ctx, resp);
  return false;
}

void ConsumerCoordinator::send_sync(sim::Context& ctx, const JoinGroupResponse& resp) {
  auto req = std::make_shared<SyncGroupRequest>();
  req->correlation_id = sync_correlation_ = client_.next_correlation_id();
  req->group_id = settings_.group_id;
  req->member_id = generation_.member_id;
  req->group_instance_id = settings_.group_instance_id;
  req->generation = generation_.generation_id;
  if (resp.leader == generation_.member_id) perform_assignment(ctx, resp, *req);
  client_.send(ctx, coordinator_, req);
}

void ConsumerCoordinator::perform_assignment(sim::Context& ctx, const JoinGroupResponse& resp,
                                             SyncGroupRequest& req) const {
  // ConsumerCoordinator.onLeaderElected: the leader runs the chosen assignor over every
  // member's subscription, with the partition counts its own metadata knows.
  std::map<std::string, int32_t> partitions;
  std::vector<MemberSubscription> members;
  for (const auto& m : resp.members) {
    members.push_back(
        {m.member_id, m.group_instance_id, m.subscription.topics, m.subscription.owned, m.subscription.generation});
    for (const auto& t : m.subscription.topics)
      if (const int32_t n = metadata_.partition_count(t); n > 0) partitions[t] = n;
  }
  try {
    for (const auto& [member, tps] : assign(generation_.protocol_name, partitions, members))
      req.assignments.emplace_back(member, tps);
  } catch (const std::exception& e) {
    trace_.emit<event::ConsumerAssignorFailed>(ctx, e.what());
  }
  trace_.emit<event::ConsumerLeader>(ctx, fmt::format("assigning with {} for {} members", generation_.protocol_name, members.size()));
}

bool ConsumerCoordinator::handle_sync(sim::Context& ctx, const SyncGroupResponse& resp) {
  if (resp.correlation_id != sync_correlation_ || state_ != MemberState::completing_rebalance) return false;
  switch (resp.error) {
    case Error::NONE: break;
    case Error::REBALANCE_IN_PROGRESS:
      send_join(ctx);
      return false;
    case Error::UNKNOWN_MEMBER_ID:
    case Error::ILLEGAL_GENERATION:
      reset_generation(resp.error == Error::UNKNOWN_MEMBER_ID);
      lose_partitions(ctx, error_name(resp.error).data());
      send_join(ctx);
      return false;
    case Error::FENCED_INSTANCE_ID:
      // SyncGroupResponseHandler: always fatal, another instance holds this identity.
      reset_generation(true);
      lose_partitions(ctx, "FENCED_INSTANCE_ID");
      fail(ctx, "SyncGroup: FENCED_INSTANCE_ID");
      return false;
    default:
      coordinator_lost(ctx);
      return false;
  }
  transition(MemberState::stable);
  rejoin_needed_ = false;
  poll_timeout_expired_ = false;
  complete_rebalance(ctx, resp.assignment);
  return true;
}

void ConsumerCoordinator::complete_rebalance(sim::Context& ctx, const std::vector<TopicPartition>& assignment) {
  // ConsumerCoordinator.onJoinComplete.
  std::vector<TopicPartition> revoked, added;
  for (const auto& tp : subscriptions_.assigned_partitions())
    if (!contains(assignment, tp)) revoked.push_back(tp);
  for (const auto& tp : assignment)
    if (!subscriptions_.is_assigned(tp)) added.push_back(tp);
  ctx.trace(event::ConsumerAssigned{.member = settings_.member,
                                     .group = settings_.group_id,
                                     .member_id = generation_.member_id,
                                     .generation = generation_.generation_id,
                                     .partitions = partitions_text(assignment),
                                     .added = partitions_text(added),
                                     .revoked = partitions_text(revoked),
                                     .pause_ms = (ctx.now() - rebalance_started_).as_millis()});
  if (!revoked.empty()) revoke_cooperatively(ctx, revoked);
  for (const auto& tp : added) subscriptions_.add_assigned(tp);
  last_assignment_ = assignment;
  last_added_ = std::move(added);
  if (!refresh_after_listener_) refresh_committed_offsets(ctx);
}

}  // namespace kafka
