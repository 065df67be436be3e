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
  auto reply_error = [&](Error e, const std::string& member_id) {
    auto resp = std::make_shared<JoinGroupResponse>();
    resp->correlation_id = req.correlation_id;
    resp->error = e;
    resp->member_id = member_id;
    ctx.send(from, resp);
  };
  Group* gp = coordinated(req.group_id, true);
  if (!gp) return reply_error(Error::NOT_COORDINATOR, req.member_id);
  Group& g = *gp;
  if (req.session_timeout_ms < config_.integer("group.min.session.timeout.ms") ||
      req.session_timeout_ms > config_.integer("group.max.session.timeout.ms")) {
    return reply_error(Error::INVALID_SESSION_TIMEOUT, req.member_id);
  }
  std::string id = req.member_id;
  if (id.empty() && !req.group_instance_id) {
    // KIP-394: a new dynamic member gets its id first and must join again with it.
    id = fmt::format("consumer-{}-{}", id_, next_member_id_++);
    g.pending_member_ids.insert(id);
    return reply_error(Error::MEMBER_ID_REQUIRED, id);
  }
  bool is_new = false;
  if (id.empty()) {
    // A static member (KIP-345): its instance id is its identity across restarts.
    id = fmt::format("{}-{}-{}", *req.group_instance_id, id_, next_member_id_++);
    if (replace_static_member(ctx, g, id, from, req)) return;
    is_new = true;
  } else if (!g.members.count(id)) {
    if (!g.pending_member_ids.count(id)) return reply_error(Error::UNKNOWN_MEMBER_ID, id);
    g.pending_member_ids.erase(id);
    is_new = true;
  }
  if (is_new) {
    GroupMember m;
    m.id = id;
    m.instance_id = req.group_instance_id;
    g.members[id] = std::move(m);
    g.join_order.push_back(id);
  }
  join_member(ctx, g, g.members.at(id), is_new, from, req);
}

void GroupCoordinator::join_member(sim::Context& ctx, Group& g, GroupMember& m, bool is_new, sim::NodeId from,
                                   const JoinGroupRequest& req) {
  const bool changed = m.subscription.topics != req.subscription.topics || m.protocols != req.protocols;
  update_member(ctx, m, from, req);
  ctx.trace(event::GroupJoin{.group = g.id, .member_id = m.id, .is_new = is_new});
  switch (g.phase) {
    case GroupPhase::empty:
    case GroupPhase::dead:
      prepare_rebalance(ctx, g, "member joined an empty group");
      break;
    case GroupPhase::stable:
    case GroupPhase::completing_rebalance:
      if (!is_new && !changed && m.id != g.leader && g.phase == GroupPhase::stable) {
        respond_join(ctx, g, m, Error::NONE);  // nothing changed: the current generation stands
        return;
      }
      prepare_rebalance(ctx, g, is_new ? "new member " + m.id : "member " + m.id + " rejoined");
      break;
    case GroupPhase::preparing_rebalance:
      // A newcomer during the initial delay earns the group one more window when this one ends
      // (GroupMetadataManager.classicGroupJoinNewMember sets newMemberAdded).
      if (is_new && g.initial_delay_running) g.new_member_added = true;
      break;
  }
  try_complete_join(ctx, g);
}

bool GroupCoordinator::replace_static_member(sim::Context& ctx, Group& g, const std::string& id, sim::NodeId from,
                                             const JoinGroupRequest& req) {
  auto old = std::find_if(g.members.begin(), g.members.end(),
                          [&](const auto& kv) { return kv.second.instance_id == req.group_instance_id; });
  if (old == g.members.end()) return false;
  // The new member id replaces the old one, and fences whoever still uses it.
  GroupMember m = std::move(old->second);
  const std::string old_id = m.id;
  g.members.erase(old);
  if (m.join) respond_join(ctx, g, m, Error::FENCED_INSTANCE_ID);
  const bool same = m.subscription.topics == req.subscription.topics && m.protocols == req.protocols;
  m.id = id;
  std::replace(g.join_order.begin(), g.join_order.end(), old_id, id);
  if (g.leader == old_id) g.leader = id;
  update_member(ctx, m, from, req);
  GroupMember& placed = g.members[id] = std::move(m);
  ctx.trace(event::GroupStaticRejoin{.group = g.id, .instance_id = *req.group_instance_id, .old_member_id = old_id, .member_id = id});
  if (g.phase == GroupPhase::stable && same) {
    // Same instance, same subscription: the current assignment stands, no rebalance.
    write(ctx, g.offsets_partition, {group_record(g)}, [](sim::Context&, Error) {});
    respond_join(ctx, g, placed, Error::NONE);
    return true;
  }
  prepare_rebalance(ctx, g, "static member rejoined with a new subscription");
  try_complete_join(ctx, g);
  return true;
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
  // Members that did not rejoin in time leave the group.
  std::vector<std::string> gone;
  for (const auto& [id, m] : g.members)
    if (!m.join) gone.push_back(id);
  for (const auto& id : gone) {
    ctx.trace(event::GroupMemberRemoved{.group = g.id, .member_id = id, .reason = "did not rejoin in time"});
    g.members.erase(id);
    g.join_order.erase(std::remove(g.join_order.begin(), g.join_order.end(), id), g.join_order.end());
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
  const std::string chosen = select_protocol(g);
  if (chosen.empty()) {
    for (auto& [id, m] : g.members) respond_join(ctx, g, m, Error::INCONSISTENT_GROUP_PROTOCOL);
    g.members.clear();
    g.join_order.clear();
    g.phase = GroupPhase::empty;
    return;
  }
  g.protocol = chosen;
  if (!g.members.count(g.leader)) g.leader = g.join_order.front();
  g.phase = GroupPhase::completing_rebalance;
  trace_group<event::GroupState>(ctx, g, "join complete");
  for (const auto& id : g.join_order) respond_join(ctx, g, g.members.at(id), Error::NONE);
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
  auto it = g.members.find(req.member_id);
  if (it == g.members.end()) return refuse(Error::UNKNOWN_MEMBER_ID);
  if (req.generation != g.generation) return refuse(Error::ILLEGAL_GENERATION);
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
  Error error = Error::NONE;
  Group* g = coordinated(req.group_id, false);
  if (!g) {
    error = not_coordinating(req.group_id);
  } else if (!g->members.count(req.member_id)) {
    error = Error::UNKNOWN_MEMBER_ID;
  } else if (req.generation != g->generation) {
    error = Error::ILLEGAL_GENERATION;
  } else {
    g->members.at(req.member_id).last_heartbeat = ctx.now();
    if (g->phase == GroupPhase::preparing_rebalance) error = Error::REBALANCE_IN_PROGRESS;
  }
  reply<HeartbeatResponse>(ctx, from, req.correlation_id, error);
}

void GroupCoordinator::remove_member(sim::Context& ctx, Group& g, const std::string& member_id, const std::string& reason) {
  auto it = g.members.find(member_id);
  if (it == g.members.end()) return;
  if (it->second.join) respond_join(ctx, g, it->second, Error::UNKNOWN_MEMBER_ID);
  g.members.erase(it);
  g.join_order.erase(std::remove(g.join_order.begin(), g.join_order.end(), member_id), g.join_order.end());
  ctx.trace(event::GroupMemberRemoved{.group = g.id, .member_id = member_id, .reason = reason});
  switch (g.phase) {
    case GroupPhase::stable:
    case GroupPhase::completing_rebalance:
      prepare_rebalance(ctx, g, member_id + " left: " + reason);
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
  Error error = Error::NONE;
  Group* g = coordinated(req.group_id, false);
  if (!g) error = Error::NOT_COORDINATOR;
  else if (!g->members.count(req.member_id)) error = Error::UNKNOWN_MEMBER_ID;
  else remove_member(ctx, *g, req.member_id, "LeaveGroup");
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
