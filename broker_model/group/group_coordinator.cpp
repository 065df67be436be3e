#include "broker_model/group/group_coordinator.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "broker_model/broker/broker_timer.hpp"
#include "broker_model/client/partitioner.hpp"
#include "broker_model/group/java_collections.hpp"
#include "broker_model/trace_schema.hpp"
#include "sim/timer_tag.hpp"

namespace kafka {

namespace {
std::string assignment_text(const std::vector<TopicPartition>& a) {
  std::string s;
  for (const auto& tp : a) s += (s.empty() ? "" : ",") + tp.to_string();
  return s;
}

template <typename Response>
void reply(sim::Context& ctx, sim::NodeId to, int32_t correlation_id, Error error) {
  auto resp = std::make_shared<Response>();
  resp->correlation_id = correlation_id;
  resp->error = error;
  ctx.send(to, resp);
}

}  // namespace

std::string select_protocol(const Group& g) {
  // ClassicGroup.selectProtocol: among the assignors every member supports (candidateProtocols),
  // each member votes for its first (ClassicGroupMember.vote); the most votes win. Java counts
  // the votes in a HashMap and takes the max of its entries in iteration order, which keeps the
  // first of equal counts: a tie goes to the assignor Java's HashMap iterates first.
  if (g.members.empty()) return {};
  std::vector<std::string> candidates = g.members.begin()->second.protocols;
  for (const auto& [id, m] : g.members) {
    std::vector<std::string> keep;
    for (const auto& c : candidates)
      if (std::find(m.protocols.begin(), m.protocols.end(), c) != m.protocols.end()) keep.push_back(c);
    candidates = keep;
  }
  if (candidates.empty()) return {};
  std::map<std::string, int> votes;
  java::HashOrder<std::string> order;
  for (const auto& [id, m] : g.members) {
    for (const auto& p : m.protocols) {
      if (std::find(candidates.begin(), candidates.end(), p) == candidates.end()) continue;
      ++votes[p];
      order.insert(p, java::string_hash(p));
      break;
    }
  }
  std::string chosen;
  for (const std::string& p : order.keys())
    if (chosen.empty() || votes[p] > votes[chosen]) chosen = p;
  return chosen;
}

GroupCoordinator::GroupCoordinator(BrokerId id, const ConfigSet& config, const MetadataImage& image, PartitionWriter& log)
    : id_(id), config_(config), image_(image), log_(log) {}

int32_t GroupCoordinator::offsets_partition_for(const std::string& group_id) const {
  auto it = image_.topics.find(kOffsetsTopic);
  if (it == image_.topics.end() || it->second.partitions <= 0) return -1;
  return coordinator_partition(group_id, it->second.partitions);
}

Group* GroupCoordinator::coordinated(const std::string& group_id, bool create) {
  const int32_t p = offsets_partition_for(group_id);
  if (p < 0 || !log_.leads({kOffsetsTopic, p})) return nullptr;
  auto it = groups_.find(group_id);
  if (it != groups_.end()) return &it->second;
  if (!create) return nullptr;
  Group& g = groups_[group_id];
  g.id = group_id;
  g.offsets_partition = p;
  return &g;
}

Error GroupCoordinator::not_coordinating(const std::string& group_id) const {
  return offsets_partition_for(group_id) < 0 ? Error::COORDINATOR_NOT_AVAILABLE : Error::NOT_COORDINATOR;
}

template <typename E>
void GroupCoordinator::trace_group(sim::Context& ctx, const Group& g, const std::string& reason) {
  std::string members;
  for (const auto& id : g.join_order) members += (members.empty() ? "" : ",") + id;
  ctx.trace(E{.group = g.id,
              .state = to_string(g.phase),
              .generation = g.generation,
              .protocol = g.protocol,
              .leader = g.leader,
              .members = members,
              .reason = reason});
}
template void GroupCoordinator::trace_group<event::GroupState>(sim::Context&, const Group&, const std::string&);
template void GroupCoordinator::trace_group<event::GroupLoaded>(sim::Context&, const Group&, const std::string&);

// ---- discovery ----

void GroupCoordinator::handle_find_coordinator(sim::Context& ctx, sim::NodeId from, const FindCoordinatorRequest& req) {
  auto resp = std::make_shared<FindCoordinatorResponse>();
  resp->correlation_id = req.correlation_id;
  const int32_t p = offsets_partition_for(req.key);
  const PartitionState* s = p < 0 ? nullptr : image_.partition(kOffsetsTopic, p);
  if (!s || s->leader == kNoLeader) resp->error = Error::COORDINATOR_NOT_AVAILABLE;
  else resp->coordinator = s->leader;
  ctx.send(from, resp);
}

// ---- joining ----

void GroupCoordinator::respond_join(sim::Context& ctx, Group& g, GroupMember& m, Error error) {
  if (!m.join) return;
  auto resp = std::make_shared<JoinGroupResponse>();
  resp->correlation_id = m.join->correlation_id;
  resp->error = error;
  resp->generation = g.generation;
  resp->protocol = g.protocol;
  resp->leader = g.leader;
  resp->member_id = m.id;
  if (error == Error::NONE && m.id == g.leader) {
    for (const std::string& id : g.join_order) {
      const GroupMember& other = g.members.at(id);
      resp->members.push_back({other.id, other.instance_id, other.subscription});
    }
  }
  ctx.send(m.join->from, resp);
  m.join.reset();
}

void GroupCoordinator::update_member(sim::Context& ctx, GroupMember& m, sim::NodeId from, const JoinGroupRequest& req) {
  m.protocols = req.protocols;
  m.subscription = req.subscription;
  m.session_timeout_ms = req.session_timeout_ms;
  m.rebalance_timeout_ms = req.rebalance_timeout_ms;
  m.last_heartbeat = ctx.now();
  m.join = PendingReply{from, req.correlation_id};
}

void GroupCoordinator::handle_join_group(sim::Context& ctx, sim::NodeId from, const JoinGroupRequest& req) {
  Group* gp = coordinated(req.group_id, true);
  if (!gp) return refuse_join(ctx, from, req, Error::NOT_COORDINATOR, req.member_id);
  Group& g = *gp;
  if (req.session_timeout_ms < config_.integer("group.min.session.timeout.ms") ||
      req.session_timeout_ms > config_.integer("group.max.session.timeout.ms")) {
    return refuse_join(ctx, from, req, Error::INVALID_SESSION_TIMEOUT, req.member_id);
  }
  // classicGroupJoinNewMember and classicGroupJoinExistingMember: a joiner whose protocols the
  // members cannot all run is refused alone; the group goes on as it was.
  if (!g.supports_protocols(req.protocols)) return refuse_join(ctx, from, req, Error::INCONSISTENT_GROUP_PROTOCOL, req.member_id);
  if (req.member_id.empty()) join_new_member(ctx, g, from, req);
  else join_existing_member(ctx, g, from, req);
}

void GroupCoordinator::refuse_join(sim::Context& ctx, sim::NodeId from, const JoinGroupRequest& req, Error error,
                                   const std::string& member_id) {
  auto resp = std::make_shared<JoinGroupResponse>();
  resp->correlation_id = req.correlation_id;
  resp->error = error;
  resp->member_id = member_id;
  ctx.send(from, resp);
}

void GroupCoordinator::join_new_member(sim::Context& ctx, Group& g, sim::NodeId from, const JoinGroupRequest& req) {
  if (!req.group_instance_id) {
    // KIP-394: a new dynamic member gets its id first and must join again with it.
    const std::string id = fmt::format("consumer-{}-{}", id_, next_member_id_++);
    g.pending_member_ids.insert(id);
    return refuse_join(ctx, from, req, Error::MEMBER_ID_REQUIRED, id);
  }
  // A static member (KIP-345): its instance id is its identity across restarts.
  const std::string id = fmt::format("{}-{}-{}", *req.group_instance_id, id_, next_member_id_++);
  const std::string existing = g.static_member_id(*req.group_instance_id);
  if (!existing.empty()) return replace_static_member(ctx, g, existing, id, from, req);
  add_member(ctx, g, id, from, req);
}

void GroupCoordinator::add_member(sim::Context& ctx, Group& g, const std::string& id, sim::NodeId from,
                                  const JoinGroupRequest& req) {
  GroupMember m;
  m.id = id;
  m.instance_id = req.group_instance_id;
  g.members[id] = std::move(m);
  g.join_order.push_back(id);
  GroupMember& added = g.members.at(id);
  update_member(ctx, added, from, req);
  ctx.trace(event::GroupJoin{.group = g.id, .member_id = id, .is_new = true});
  rebalance_or_complete_join(ctx, g, "new member " + id, true);
}

void GroupCoordinator::join_existing_member(sim::Context& ctx, Group& g, sim::NodeId from, const JoinGroupRequest& req) {
  const std::string& id = req.member_id;
  if (g.pending_member_ids.erase(id)) return add_member(ctx, g, id, from, req);
  if (const Error e = g.validate_member(id, req.group_instance_id); e != Error::NONE) return refuse_join(ctx, from, req, e, id);
  GroupMember& m = g.members.at(id);
  ctx.trace(event::GroupJoin{.group = g.id, .member_id = id, .is_new = false});
  // The same metadata during CompletingRebalance (the member missed its JoinGroup response),
  // or from a follower of a stable group: the current generation stands.
  const bool same = m.matches(req.protocols, req.subscription);
  if ((g.phase == GroupPhase::completing_rebalance && same) || (g.phase == GroupPhase::stable && same && id != g.leader)) {
    m.join = PendingReply{from, req.correlation_id};
    respond_join(ctx, g, m, Error::NONE);
    return;
  }
  update_member(ctx, m, from, req);
  rebalance_or_complete_join(ctx, g, "member " + id + " rejoined", false);
}

void GroupCoordinator::rebalance_or_complete_join(sim::Context& ctx, Group& g, const std::string& reason, bool is_new) {
  switch (g.phase) {
    case GroupPhase::empty:
    case GroupPhase::dead:
      prepare_rebalance(ctx, g, "member joined an empty group");
      break;
    case GroupPhase::stable:
    case GroupPhase::completing_rebalance:
      prepare_rebalance(ctx, g, reason);
      break;
    case GroupPhase::preparing_rebalance:
      // A newcomer during the initial delay earns the group one more window when this one ends
      // (GroupMetadataManager.classicGroupJoinNewMember sets newMemberAdded).
      if (is_new && g.initial_delay_running) g.new_member_added = true;
      break;
  }
  try_complete_join(ctx, g);
}

void GroupCoordinator::replace_static_member(sim::Context& ctx, Group& g, const std::string& old_id, const std::string& id,
                                             sim::NodeId from, const JoinGroupRequest& req) {
  // ClassicGroup.replaceStaticMember: the new member id takes the old one's place, and whoever
  // still waits under the old one is fenced at once.
  GroupMember m = std::move(g.members.at(old_id));
  g.members.erase(old_id);
  respond_join(ctx, g, m, Error::FENCED_INSTANCE_ID);
  if (m.sync) {
    reply<SyncGroupResponse>(ctx, m.sync->from, m.sync->correlation_id, Error::FENCED_INSTANCE_ID);
    m.sync.reset();
  }
  m.id = id;
  std::replace(g.join_order.begin(), g.join_order.end(), old_id, id);
  if (g.leader == old_id) g.leader = id;
  update_member(ctx, m, from, req);
  GroupMember& placed = g.members[id] = std::move(m);
  ctx.trace(event::GroupStaticRejoin{.group = g.id, .instance_id = *req.group_instance_id, .old_member_id = old_id, .member_id = id});
  switch (g.phase) {
    case GroupPhase::stable:
      if (select_protocol(g) == g.protocol) {
        // updateStaticMemberThenRebalanceOrCompleteJoin: the group's protocol would not change,
        // so the current assignment stands: no rebalance, the member id persisted.
        write(ctx, g.offsets_partition, {group_record(g)}, [](sim::Context&, Error) {});
        respond_join(ctx, g, placed, Error::NONE);
        return;
      }
      prepare_rebalance(ctx, g, "static member " + id + " rejoined with a change of protocol");
      break;
    case GroupPhase::completing_rebalance:
      // The leader may be assigning to the old member id: rebalance again.
      prepare_rebalance(ctx, g, "static member " + id + " rejoined during CompletingRebalance");
      break;
    default:
      break;
  }
  try_complete_join(ctx, g);
}

void GroupCoordinator::prepare_rebalance(sim::Context& ctx, Group& g, const std::string& reason) {
  if (g.phase == GroupPhase::completing_rebalance) fail_syncs(ctx, g, Error::REBALANCE_IN_PROGRESS);
  const bool initial = g.phase == GroupPhase::empty || g.phase == GroupPhase::dead;
  const int64_t initial_delay = config_.integer("group.initial.rebalance.delay.ms");
  g.phase = GroupPhase::preparing_rebalance;
  // GroupMetadataManager.prepareRebalance: an empty group's first window is the whole delay,
  // whatever the rebalance timeout; the windows after it share what the timeout leaves.
  g.initial_delay_running = initial && initial_delay > 0;
  g.new_member_added = false;
  g.initial_delay_ms = initial_delay;
  g.initial_remaining_ms = std::max<int64_t>(g.rebalance_timeout_ms() - initial_delay, 0);
  g.join_deadline = ctx.now() + sim::Duration::millis(initial ? initial_delay : g.rebalance_timeout_ms());
  arm_join_deadline(ctx, g);
  trace_group<event::GroupState>(ctx, g, reason);
}

void GroupCoordinator::arm_join_deadline(sim::Context& ctx, const Group& g) {
  // Kafka's coordinator schedules a timer per join phase (classicGroupJoinKey). One broker timer
  // kind serves every group: a wake whose group moved on finds nothing due and does nothing.
  ctx.set_timer(std::max(g.join_deadline - ctx.now(), sim::Duration{0}), sim::timer_tag(BrokerTimer::group_join));
}

bool GroupCoordinator::extend_initial_delay(sim::Context& ctx, Group& g) {
  // GroupMetadataManager.tryCompleteInitialRebalanceElseSchedule.
  if (!g.initial_delay_running || !g.new_member_added || g.initial_remaining_ms == 0) return false;
  g.new_member_added = false;
  const int64_t delay = std::min(config_.integer("group.initial.rebalance.delay.ms"), g.initial_remaining_ms);
  g.initial_remaining_ms = std::max<int64_t>(g.initial_remaining_ms - g.initial_delay_ms, 0);
  g.initial_delay_ms = delay;
  g.join_deadline = g.join_deadline + sim::Duration::millis(delay);
  arm_join_deadline(ctx, g);
  return true;
}

void GroupCoordinator::try_complete_join(sim::Context& ctx, Group& g) {
  if (g.phase != GroupPhase::preparing_rebalance || g.initial_delay_running) return;
  if (g.all_joined()) complete_join(ctx, g);
}

void GroupCoordinator::complete_join(sim::Context& ctx, Group& g) {
  // completeClassicGroupJoin: dynamic members that did not rejoin in time leave the group; a
  // static member keeps its place (and gets an assignment) until its session expires.
  std::vector<std::string> gone;
  for (const auto& [id, m] : g.members)
    if (!m.join && !m.instance_id) gone.push_back(id);
  for (const auto& id : gone) {
    ctx.trace(event::GroupMemberRemoved{.group = g.id, .member_id = id, .reason = "did not rejoin in time"});
    g.members.erase(id);
    g.join_order.erase(std::remove(g.join_order.begin(), g.join_order.end(), id), g.join_order.end());
  }
  if (!elect_joined_leader(g) && !g.members.empty()) {
    // Only absent static members are left: wait another rebalance timeout for one to rejoin,
    // or for the sessions to expire.
    g.join_deadline = ctx.now() + sim::Duration::millis(g.rebalance_timeout_ms());
    return;
  }
  g.pending_member_ids.clear();
  ++g.generation;
  if (g.members.empty()) {
    g.phase = GroupPhase::empty;
    g.leader.clear();
    g.protocol.clear();
    trace_group<event::GroupState>(ctx, g, "no members");
    write(ctx, g.offsets_partition, {group_record(g)}, [](sim::Context&, Error) {});
    return;
  }
  // Every joiner shares a protocol with every member (Group::supports_protocols).
  const std::string chosen = select_protocol(g);
  SIM_ASSERT(!chosen.empty(), "group " + g.id + ": members without a common protocol");
  g.protocol = chosen;
  g.phase = GroupPhase::completing_rebalance;
  trace_group<event::GroupState>(ctx, g, "join complete");
  for (const auto& id : g.join_order) respond_join(ctx, g, g.members.at(id), Error::NONE);
}

bool GroupCoordinator::elect_joined_leader(Group& g) {
  // ClassicGroup.maybeElectNewJoinedLeader: the leader must be among the members that joined.
  auto it = g.members.find(g.leader);
  if (it != g.members.end() && it->second.join) return true;
  for (const std::string& id : g.join_order) {
    if (!g.members.at(id).join) continue;
    g.leader = id;
    return true;
  }
  return false;
}

// ---- syncing, heartbeats, leaving ----

void GroupCoordinator::fail_syncs(sim::Context& ctx, Group& g, Error error) {
  for (auto& [id, m] : g.members) {
    if (!m.sync) continue;
    reply<SyncGroupResponse>(ctx, m.sync->from, m.sync->correlation_id, error);
    m.sync.reset();
  }
}

void GroupCoordinator::handle_sync_group(sim::Context& ctx, sim::NodeId from, const SyncGroupRequest& req) {
  auto refuse = [&](Error e) { reply<SyncGroupResponse>(ctx, from, req.correlation_id, e); };
  Group* gp = coordinated(req.group_id, false);
  if (!gp) return refuse(not_coordinating(req.group_id));
  Group& g = *gp;
  // GroupMetadataManager.validateSyncGroup.
  if (const Error e = g.validate_member(req.member_id, req.group_instance_id); e != Error::NONE) return refuse(e);
  if (req.generation != g.generation) return refuse(Error::ILLEGAL_GENERATION);
  auto it = g.members.find(req.member_id);
  GroupMember& m = it->second;
  m.last_heartbeat = ctx.now();
  switch (g.phase) {
    case GroupPhase::empty:
    case GroupPhase::dead:
      return refuse(Error::UNKNOWN_MEMBER_ID);
    case GroupPhase::preparing_rebalance:
      return refuse(Error::REBALANCE_IN_PROGRESS);
    case GroupPhase::stable: {
      auto resp = std::make_shared<SyncGroupResponse>();
      resp->correlation_id = req.correlation_id;
      resp->assignment = m.assignment;
      ctx.send(from, resp);
      return;
    }
    case GroupPhase::completing_rebalance:
      break;
  }
  m.sync = PendingReply{from, req.correlation_id};
  if (req.member_id != g.leader) return;
  // The leader's assignment: stored in the offsets log, then handed to every member.
  for (auto& [id, member] : g.members) member.assignment.clear();
  for (const auto& [id, tps] : req.assignments)
    if (g.members.count(id)) g.members.at(id).assignment = tps;
  write(ctx, g.offsets_partition, {group_record(g)},
        [this, group_id = g.id, generation = g.generation](sim::Context& c, Error e) { assignment_stored(c, group_id, generation, e); });
}

void GroupCoordinator::assignment_stored(sim::Context& ctx, const std::string& group_id, int32_t generation, Error error) {
  auto it = groups_.find(group_id);
  if (it == groups_.end()) return;
  Group& g = it->second;
  if (g.generation != generation || g.phase != GroupPhase::completing_rebalance) return;
  if (error != Error::NONE) {
    // The assignment could not be stored: every member must rejoin.
    fail_syncs(ctx, g, Error::COORDINATOR_NOT_AVAILABLE);
    prepare_rebalance(ctx, g, "the assignment could not be stored");
    return;
  }
  g.phase = GroupPhase::stable;
  trace_group<event::GroupState>(ctx, g, "assignment stored");
  for (const std::string& id : g.join_order) {
    GroupMember& member = g.members.at(id);
    ctx.trace(event::GroupAssignment{
        .group = g.id, .generation = g.generation, .member_id = id, .partitions = assignment_text(member.assignment)});
    if (!member.sync) continue;
    auto resp = std::make_shared<SyncGroupResponse>();
    resp->correlation_id = member.sync->correlation_id;
    resp->assignment = member.assignment;
    ctx.send(member.sync->from, resp);
    member.sync.reset();
  }
}

void GroupCoordinator::handle_heartbeat(sim::Context& ctx, sim::NodeId from, const HeartbeatRequest& req) {
  // GroupMetadataManager.classicGroupHeartbeatToClassicGroup: members heartbeat while the
  // group completes its rebalance too; only PreparingRebalance asks them to rejoin.
  auto answer = [&](Error e) { reply<HeartbeatResponse>(ctx, from, req.correlation_id, e); };
  Group* g = coordinated(req.group_id, false);
  if (!g) return answer(not_coordinating(req.group_id));
  if (const Error e = g->validate_member(req.member_id, req.group_instance_id); e != Error::NONE) return answer(e);
  if (req.generation != g->generation) return answer(Error::ILLEGAL_GENERATION);
  g->members.at(req.member_id).last_heartbeat = ctx.now();
  answer(g->phase == GroupPhase::preparing_rebalance ? Error::REBALANCE_IN_PROGRESS : Error::NONE);
}

void GroupCoordinator::remove_member(sim::Context& ctx, Group& g, const std::string& member_id, const std::string& reason) {
  auto it = g.members.find(member_id);
  if (it == g.members.end()) return;
  if (it->second.join) respond_join(ctx, g, it->second, Error::UNKNOWN_MEMBER_ID);
  g.members.erase(it);
  g.join_order.erase(std::remove(g.join_order.begin(), g.join_order.end(), member_id), g.join_order.end());
  ctx.trace(event::GroupMemberRemoved{.group = g.id, .member_id = member_id, .reason = reason});
  member_gone(ctx, g, member_id + " left: " + reason);
}

void GroupCoordinator::member_gone(sim::Context& ctx, Group& g, const std::string& reason) {
  switch (g.phase) {
    case GroupPhase::stable:
    case GroupPhase::completing_rebalance:
      prepare_rebalance(ctx, g, reason);
      if (g.members.empty()) g.initial_delay_running = false;
      try_complete_join(ctx, g);
      break;
    case GroupPhase::preparing_rebalance:
      try_complete_join(ctx, g);
      break;
    default:
      break;
  }
}

void GroupCoordinator::handle_leave_group(sim::Context& ctx, sim::NodeId from, const LeaveGroupRequest& req) {
  // GroupMetadataManager.classicGroupLeaveToClassicGroup, for the one MemberIdentity a consumer
  // sends: by instance id alone (an administrator's removal), a pending member, or a member
  // that validateMember accepts.
  Error error = Error::NONE;
  Group* g = coordinated(req.group_id, false);
  if (!g) {
    error = Error::NOT_COORDINATOR;
  } else if (req.member_id.empty()) {
    const std::string id = req.group_instance_id ? g->static_member_id(*req.group_instance_id) : std::string();
    if (id.empty()) error = Error::UNKNOWN_MEMBER_ID;
    else remove_member(ctx, *g, id, "LeaveGroup");
  } else if (g->pending_member_ids.erase(req.member_id)) {
    member_gone(ctx, *g, "pending member " + req.member_id + " left: LeaveGroup");
  } else if (error = g->validate_member(req.member_id, req.group_instance_id); error == Error::NONE) {
    remove_member(ctx, *g, req.member_id, "LeaveGroup");
  }
  reply<LeaveGroupResponse>(ctx, from, req.correlation_id, error);
}

void GroupCoordinator::tick(sim::Context& ctx) {
  for (auto& [gid, g] : groups_) {
    std::vector<std::string> expired;
    for (const auto& [id, m] : g.members) {
      if (m.join || m.sync) continue;  // waiting on the coordinator, not silent
      if (ctx.now() - m.last_heartbeat > sim::Duration::millis(m.session_timeout_ms)) expired.push_back(id);
    }
    for (const auto& id : expired) remove_member(ctx, g, id, "session timeout");
  }
}

void GroupCoordinator::complete_due_joins(sim::Context& ctx) {
  for (auto& [gid, g] : groups_) {
    if (g.phase == GroupPhase::preparing_rebalance && ctx.now() >= g.join_deadline && !extend_initial_delay(ctx, g)) {
      g.initial_delay_running = false;
      complete_join(ctx, g);
    }
  }
}

}  // namespace kafka
