// The group coordinator (Kafka's classic GroupCoordinator), hosted by the broker that leads the
// group's __consumer_offsets partition. Commits and group metadata are records in that
// partition, written like any acks=all produce, so a coordinator failover keeps or loses them
// as replication dictates; the new leader loads them from its log.
#include <algorithm>

#include <fmt/format.h>

#include "broker_model/broker/broker.hpp"
#include "broker_model/client/partitioner.hpp"

namespace kafka {

namespace {
constexpr sim::Duration kGroupTickEvery = sim::Duration::millis(50);
constexpr sim::Duration kOffsetCommitTimeout = sim::Duration::millis(5000);  // offsets.commit.timeout.ms

std::string assignment_text(const std::vector<TopicPartition>& a) {
  std::string s;
  for (const auto& tp : a) s += (s.empty() ? "" : ",") + tp.to_string();
  return s;
}
}  // namespace

int32_t Broker::offsets_partition_for(const std::string& group_id) const {
  auto it = image_.topics.find(kOffsetsTopic);
  if (it == image_.topics.end() || it->second.partitions <= 0) return -1;
  return coordinator_partition(group_id, it->second.partitions);
}

Group* Broker::coordinated(sim::Context& ctx, const std::string& group_id, bool create) {
  const int32_t p = offsets_partition_for(group_id);
  if (p < 0) return nullptr;
  auto r = replicas_.find({kOffsetsTopic, p});
  if (r == replicas_.end() || r->second.role != Replica::Role::leader) return nullptr;
  auto it = groups_.find(group_id);
  if (it != groups_.end()) return &it->second;
  if (!create) return nullptr;
  Group& g = groups_[group_id];
  g.id = group_id;
  g.offsets_partition = p;
  (void)ctx;
  return &g;
}

void Broker::trace_group(sim::Context& ctx, const Group& g, const char* kind, const std::string& reason) {
  std::string members;
  for (const auto& id : g.join_order) members += (members.empty() ? "" : ",") + id;
  ctx.trace(kind, {{"group", sim::Value(g.id)},
                   {"state", sim::Value(to_string(g.phase))},
                   {"generation", sim::Value(g.generation)},
                   {"protocol", sim::Value(g.protocol)},
                   {"leader", sim::Value(g.leader)},
                   {"members", sim::Value(members)},
                   {"reason", sim::Value(reason)}});
}

// ---- discovery ----

void Broker::handle_find_coordinator(sim::Context& ctx, sim::NodeId from, const FindCoordinatorRequest& req) {
  auto resp = std::make_shared<FindCoordinatorResponse>();
  resp->correlation_id = req.correlation_id;
  const int32_t p = offsets_partition_for(req.key);
  const PartitionState* s = p < 0 ? nullptr : image_.partition(kOffsetsTopic, p);
  if (!s || s->leader == kNoLeader) resp->error = Error::COORDINATOR_NOT_AVAILABLE;
  else resp->coordinator = s->leader;
  ctx.send(from, resp);
}

// ---- joining ----

void Broker::respond_join(sim::Context& ctx, Group& g, GroupMember& m, Error error) {
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

void Broker::handle_join_group(sim::Context& ctx, sim::NodeId from, const JoinGroupRequest& req) {
  auto reply_error = [&](Error e, const std::string& member_id) {
    auto resp = std::make_shared<JoinGroupResponse>();
    resp->correlation_id = req.correlation_id;
    resp->error = e;
    resp->member_id = member_id;
    ctx.send(from, resp);
  };
  Group* gp = coordinated(ctx, req.group_id, true);
  if (!gp) return reply_error(Error::NOT_COORDINATOR, req.member_id);
  Group& g = *gp;
  if (req.session_timeout_ms < config_.integer("group.min.session.timeout.ms") ||
      req.session_timeout_ms > config_.integer("group.max.session.timeout.ms")) {
    return reply_error(Error::INVALID_SESSION_TIMEOUT, req.member_id);
  }
  const PendingReply pending{from, req.correlation_id};
  auto fill = [&](GroupMember& m) {
    m.protocols = req.protocols;
    m.subscription = req.subscription;
    m.session_timeout_ms = req.session_timeout_ms;
    m.rebalance_timeout_ms = req.rebalance_timeout_ms;
    m.last_heartbeat = ctx.now();
    m.join = pending;
  };

  std::string id = req.member_id;
  bool is_new = false;
  if (id.empty()) {
    if (!req.group_instance_id) {
      // KIP-394: a new dynamic member gets its id first and must join again with it.
      id = fmt::format("consumer-{}-{}", id_, next_member_id_++);
      g.pending_member_ids.insert(id);
      return reply_error(Error::MEMBER_ID_REQUIRED, id);
    }
    // A static member (KIP-345): its instance id is its identity across restarts.
    id = fmt::format("{}-{}-{}", *req.group_instance_id, id_, next_member_id_++);
    auto old = std::find_if(g.members.begin(), g.members.end(),
                            [&](const auto& kv) { return kv.second.instance_id == req.group_instance_id; });
    if (old != g.members.end()) {
      GroupMember m = std::move(old->second);
      const std::string old_id = m.id;
      g.members.erase(old);
      if (m.join) respond_join(ctx, g, m, Error::FENCED_INSTANCE_ID);
      const bool same = m.subscription.topics == req.subscription.topics && m.protocols == req.protocols;
      m.id = id;
      std::replace(g.join_order.begin(), g.join_order.end(), old_id, id);
      if (g.leader == old_id) g.leader = id;
      fill(m);
      GroupMember& placed = g.members[id] = std::move(m);
      ctx.trace("group.static_rejoin", {{"group", sim::Value(g.id)},
                                        {"instance_id", sim::Value(*req.group_instance_id)},
                                        {"old_member_id", sim::Value(old_id)},
                                        {"member_id", sim::Value(id)}});
      if (g.phase == GroupPhase::stable && same) {
        // Same instance, same subscription: the current assignment stands, no rebalance.
        write_group_records(ctx, g.offsets_partition, {group_record(g)}, [](sim::Context&, Error) {});
        respond_join(ctx, g, placed, Error::NONE);
        return;
      }
      prepare_rebalance(ctx, g, "static member rejoined with a new subscription");
      try_complete_join(ctx, g);
      return;
    }
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
  GroupMember& m = g.members.at(id);
  const bool changed = m.subscription.topics != req.subscription.topics || m.protocols != req.protocols;
  fill(m);
  ctx.trace("group.join", {{"group", sim::Value(g.id)}, {"member_id", sim::Value(id)}, {"new", sim::Value(is_new)}});
  switch (g.phase) {
    case GroupPhase::empty:
    case GroupPhase::dead:
      prepare_rebalance(ctx, g, "member joined an empty group");
      break;
    case GroupPhase::stable:
    case GroupPhase::completing_rebalance:
      if (!is_new && !changed && id != g.leader && g.phase == GroupPhase::stable) {
        respond_join(ctx, g, m, Error::NONE);  // nothing changed: the current generation stands
        return;
      }
      prepare_rebalance(ctx, g, is_new ? "new member " + id : "member " + id + " rejoined");
      break;
    case GroupPhase::preparing_rebalance:
      if (is_new && g.initial_delay_running) {
        // group.initial.rebalance.delay.ms is extended by each newcomer, up to the rebalance timeout.
        const sim::Time cap = g.rebalance_started + sim::Duration::millis(g.rebalance_timeout_ms());
        g.join_deadline = std::min(cap, ctx.now() + sim::Duration::millis(config_.integer("group.initial.rebalance.delay.ms")));
      }
      break;
  }
  try_complete_join(ctx, g);
}

void Broker::prepare_rebalance(sim::Context& ctx, Group& g, const std::string& reason) {
  if (g.phase == GroupPhase::completing_rebalance) {
    for (auto& [id, m] : g.members) {
      if (!m.sync) continue;
      auto resp = std::make_shared<SyncGroupResponse>();
      resp->correlation_id = m.sync->correlation_id;
      resp->error = Error::REBALANCE_IN_PROGRESS;
      ctx.send(m.sync->from, resp);
      m.sync.reset();
    }
  }
  const bool initial = g.phase == GroupPhase::empty || g.phase == GroupPhase::dead;
  g.phase = GroupPhase::preparing_rebalance;
  g.rebalance_started = ctx.now();
  g.initial_delay_running = initial && config_.integer("group.initial.rebalance.delay.ms") > 0;
  g.join_deadline = ctx.now() + sim::Duration::millis(initial ? std::min<int64_t>(config_.integer("group.initial.rebalance.delay.ms"),
                                                                                g.rebalance_timeout_ms())
                                                              : g.rebalance_timeout_ms());
  trace_group(ctx, g, "group.state", reason);
}

void Broker::try_complete_join(sim::Context& ctx, Group& g) {
  if (g.phase != GroupPhase::preparing_rebalance || g.initial_delay_running) return;
  if (g.all_joined()) complete_join(ctx, g);
}

void Broker::complete_join(sim::Context& ctx, Group& g) {
  // Members that did not rejoin in time leave the group.
  std::vector<std::string> gone;
  for (const auto& [id, m] : g.members)
    if (!m.join) gone.push_back(id);
  for (const auto& id : gone) {
    ctx.trace("group.member_removed", {{"group", sim::Value(g.id)}, {"member_id", sim::Value(id)}, {"reason", sim::Value("did not rejoin in time")}});
    g.members.erase(id);
    g.join_order.erase(std::remove(g.join_order.begin(), g.join_order.end(), id), g.join_order.end());
  }
  g.pending_member_ids.clear();
  ++g.generation;
  if (g.members.empty()) {
    g.phase = GroupPhase::empty;
    g.leader.clear();
    g.protocol.clear();
    trace_group(ctx, g, "group.state", "no members");
    write_group_records(ctx, g.offsets_partition, {group_record(g)}, [](sim::Context&, Error) {});
    return;
  }
  // ClassicGroup.selectProtocol: among the assignors every member supports, each member votes
  // for its first; the most votes wins.
  std::vector<std::string> candidates = g.members.begin()->second.protocols;
  for (const auto& [id, m] : g.members) {
    std::vector<std::string> keep;
    for (const auto& c : candidates)
      if (std::find(m.protocols.begin(), m.protocols.end(), c) != m.protocols.end()) keep.push_back(c);
    candidates = keep;
  }
  if (candidates.empty()) {
    for (auto& [id, m] : g.members) respond_join(ctx, g, m, Error::INCONSISTENT_GROUP_PROTOCOL);
    g.members.clear();
    g.join_order.clear();
    g.phase = GroupPhase::empty;
    return;
  }
  std::map<std::string, int> votes;
  for (const auto& [id, m] : g.members)
    for (const auto& p : m.protocols)
      if (std::find(candidates.begin(), candidates.end(), p) != candidates.end()) {
        ++votes[p];
        break;
      }
  std::string chosen = candidates.front();
  for (const auto& c : candidates)
    if (votes[c] > votes[chosen]) chosen = c;
  g.protocol = chosen;
  if (!g.members.count(g.leader)) g.leader = g.join_order.front();
  g.phase = GroupPhase::completing_rebalance;
  trace_group(ctx, g, "group.state", "join complete");
  for (const auto& id : g.join_order) respond_join(ctx, g, g.members.at(id), Error::NONE);
}

// ---- syncing, heartbeats, leaving ----

void Broker::handle_sync_group(sim::Context& ctx, sim::NodeId from, const SyncGroupRequest& req) {
  auto reply = [&](Error e, std::vector<TopicPartition> a = {}) {
    auto resp = std::make_shared<SyncGroupResponse>();
    resp->correlation_id = req.correlation_id;
    resp->error = e;
    resp->assignment = std::move(a);
    ctx.send(from, resp);
  };
  Group* gp = coordinated(ctx, req.group_id, false);
  if (!gp) return reply(offsets_partition_for(req.group_id) < 0 ? Error::COORDINATOR_NOT_AVAILABLE : Error::NOT_COORDINATOR);
  Group& g = *gp;
  auto it = g.members.find(req.member_id);
  if (it == g.members.end()) return reply(Error::UNKNOWN_MEMBER_ID);
  if (req.generation != g.generation) return reply(Error::ILLEGAL_GENERATION);
  GroupMember& m = it->second;
  m.last_heartbeat = ctx.now();
  switch (g.phase) {
    case GroupPhase::empty:
    case GroupPhase::dead:
      return reply(Error::UNKNOWN_MEMBER_ID);
    case GroupPhase::preparing_rebalance:
      return reply(Error::REBALANCE_IN_PROGRESS);
    case GroupPhase::stable:
      return reply(Error::NONE, m.assignment);
    case GroupPhase::completing_rebalance:
      break;
  }
  m.sync = PendingReply{from, req.correlation_id};
  if (req.member_id != g.leader) return;
  // The leader's assignment: stored in the offsets log, then handed to every member.
  for (auto& [id, member] : g.members) member.assignment.clear();
  for (const auto& [id, tps] : req.assignments)
    if (g.members.count(id)) g.members.at(id).assignment = tps;
  const std::string group_id = g.id;
  const int32_t generation = g.generation;
  write_group_records(ctx, g.offsets_partition, {group_record(g)}, [this, group_id, generation](sim::Context& c, Error e) {
    auto git = groups_.find(group_id);
    if (git == groups_.end()) return;
    Group& gg = git->second;
    if (gg.generation != generation || gg.phase != GroupPhase::completing_rebalance) return;
    if (e != Error::NONE) {
      // The assignment could not be stored: every member must rejoin.
      for (auto& [id, member] : gg.members) {
        if (!member.sync) continue;
        auto resp = std::make_shared<SyncGroupResponse>();
        resp->correlation_id = member.sync->correlation_id;
        resp->error = Error::COORDINATOR_NOT_AVAILABLE;
        c.send(member.sync->from, resp);
        member.sync.reset();
      }
      prepare_rebalance(c, gg, "the assignment could not be stored");
      return;
    }
    gg.phase = GroupPhase::stable;
    trace_group(c, gg, "group.state", "assignment stored");
    for (const std::string& id : gg.join_order) {
      GroupMember& member = gg.members.at(id);
      c.trace("group.assignment", {{"group", sim::Value(gg.id)},
                                   {"generation", sim::Value(gg.generation)},
                                   {"member_id", sim::Value(id)},
                                   {"partitions", sim::Value(assignment_text(member.assignment))}});
      if (!member.sync) continue;
      auto resp = std::make_shared<SyncGroupResponse>();
      resp->correlation_id = member.sync->correlation_id;
      resp->assignment = member.assignment;
      c.send(member.sync->from, resp);
      member.sync.reset();
    }
  });
}

void Broker::handle_heartbeat(sim::Context& ctx, sim::NodeId from, const HeartbeatRequest& req) {
  auto resp = std::make_shared<HeartbeatResponse>();
  resp->correlation_id = req.correlation_id;
  Group* g = coordinated(ctx, req.group_id, false);
  if (!g) {
    resp->error = offsets_partition_for(req.group_id) < 0 ? Error::COORDINATOR_NOT_AVAILABLE : Error::NOT_COORDINATOR;
  } else if (!g->members.count(req.member_id)) {
    resp->error = Error::UNKNOWN_MEMBER_ID;
  } else if (req.generation != g->generation) {
    resp->error = Error::ILLEGAL_GENERATION;
  } else {
    g->members.at(req.member_id).last_heartbeat = ctx.now();
    if (g->phase == GroupPhase::preparing_rebalance) resp->error = Error::REBALANCE_IN_PROGRESS;
  }
  ctx.send(from, resp);
}

void Broker::remove_member(sim::Context& ctx, Group& g, const std::string& member_id, const std::string& reason) {
  auto it = g.members.find(member_id);
  if (it == g.members.end()) return;
  if (it->second.join) respond_join(ctx, g, it->second, Error::UNKNOWN_MEMBER_ID);
  g.members.erase(it);
  g.join_order.erase(std::remove(g.join_order.begin(), g.join_order.end(), member_id), g.join_order.end());
  ctx.trace("group.member_removed", {{"group", sim::Value(g.id)}, {"member_id", sim::Value(member_id)}, {"reason", sim::Value(reason)}});
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

void Broker::handle_leave_group(sim::Context& ctx, sim::NodeId from, const LeaveGroupRequest& req) {
  auto resp = std::make_shared<LeaveGroupResponse>();
  resp->correlation_id = req.correlation_id;
  Group* g = coordinated(ctx, req.group_id, false);
  if (!g) resp->error = Error::NOT_COORDINATOR;
  else if (!g->members.count(req.member_id)) resp->error = Error::UNKNOWN_MEMBER_ID;
  else remove_member(ctx, *g, req.member_id, "LeaveGroup");
  ctx.send(from, resp);
}

void Broker::group_tick(sim::Context& ctx) {
  for (auto& [gid, g] : groups_) {
    std::vector<std::string> expired;
    for (const auto& [id, m] : g.members) {
      if (m.join || m.sync) continue;  // waiting on the coordinator, not silent
      if (ctx.now() - m.last_heartbeat > sim::Duration::millis(m.session_timeout_ms)) expired.push_back(id);
    }
    for (const auto& id : expired) remove_member(ctx, g, id, "session timeout");
    if (g.phase == GroupPhase::preparing_rebalance && ctx.now() >= g.join_deadline) {
      g.initial_delay_running = false;
      complete_join(ctx, g);
    }
  }
  ctx.set_timer(kGroupTickEvery, kGroupTick);
}

// ---- offsets ----

void Broker::handle_offset_commit(sim::Context& ctx, sim::NodeId from, const OffsetCommitRequest& req) {
  auto reply = [&](Error e) {
    auto resp = std::make_shared<OffsetCommitResponse>();
    resp->correlation_id = req.correlation_id;
    resp->error = e;
    ctx.send(from, resp);
  };
  Group* gp = coordinated(ctx, req.group_id, true);
  if (!gp) return reply(offsets_partition_for(req.group_id) < 0 ? Error::COORDINATOR_NOT_AVAILABLE : Error::NOT_COORDINATOR);
  Group& g = *gp;
  if (req.generation >= 0 || !req.member_id.empty()) {
    if (!g.members.count(req.member_id)) return reply(Error::UNKNOWN_MEMBER_ID);
    if (req.generation != g.generation) return reply(Error::ILLEGAL_GENERATION);
    if (g.phase == GroupPhase::completing_rebalance) return reply(Error::REBALANCE_IN_PROGRESS);
  }
  std::vector<Record> records;
  for (const auto& o : req.offsets) records.push_back(offset_record(g.id, o.tp, {o.offset, o.leader_epoch}));
  const std::string group_id = g.id;
  const auto offsets = req.offsets;
  const int32_t correlation_id = req.correlation_id;
  write_group_records(ctx, g.offsets_partition, std::move(records),
                      [this, group_id, offsets, from, correlation_id](sim::Context& c, Error e) {
                        if (e == Error::NONE) {
                          auto git = groups_.find(group_id);
                          if (git != groups_.end())
                            for (const auto& o : offsets) git->second.offsets[o.tp] = {o.offset, o.leader_epoch};
                        }
                        auto resp = std::make_shared<OffsetCommitResponse>();
                        resp->correlation_id = correlation_id;
                        resp->error = e;
                        c.send(from, resp);
                      });
}

void Broker::handle_offset_fetch(sim::Context& ctx, sim::NodeId from, const OffsetFetchRequest& req) {
  auto resp = std::make_shared<OffsetFetchResponse>();
  resp->correlation_id = req.correlation_id;
  if (offsets_partition_for(req.group_id) < 0) {
    resp->error = Error::COORDINATOR_NOT_AVAILABLE;
  } else if (auto r = replicas_.find({kOffsetsTopic, offsets_partition_for(req.group_id)});
             r == replicas_.end() || r->second.role != Replica::Role::leader) {
    resp->error = Error::NOT_COORDINATOR;
  } else {
    const Group* g = coordinated(ctx, req.group_id, false);
    for (const auto& tp : req.partitions) {
      CommittedOffset o;
      if (g) {
        auto it = g->offsets.find(tp);
        if (it != g->offsets.end()) o = it->second;
      }
      resp->offsets.push_back({tp, o.offset, o.leader_epoch});
    }
  }
  ctx.send(from, resp);
}

void Broker::write_group_records(sim::Context& ctx, int32_t partition, std::vector<Record> records, WriteDone done) {
  auto it = replicas_.find({kOffsetsTopic, partition});
  if (it == replicas_.end() || it->second.role != Replica::Role::leader) {
    done(ctx, Error::NOT_COORDINATOR);
    return;
  }
  Replica& r = it->second;
  const int64_t min = std::min<int64_t>(min_isr(kOffsetsTopic), static_cast<int64_t>(r.replicas.size()));
  if (static_cast<int64_t>(r.isr.size()) < min) {
    done(ctx, Error::COORDINATOR_NOT_AVAILABLE);  // NOT_ENOUGH_REPLICAS, as the coordinator reports it
    return;
  }
  RecordBatch incoming;
  incoming.records = std::make_shared<std::vector<Record>>(std::move(records));
  BatchPtr b = r.log->append_as_leader(incoming, r.leader_epoch, ctx.now().ns / 1'000'000);
  ctx.trace("log.append", {{"topic", sim::Value(kOffsetsTopic)},
                           {"partition", sim::Value(partition)},
                           {"role", sim::Value("leader")},
                           {"base_offset", sim::Value(b->base_offset)},
                           {"count", sim::Value(b->count())},
                           {"leader_epoch", sim::Value(b->partition_leader_epoch)},
                           {"producer_id", sim::Value(int64_t{-1})},
                           {"base_sequence", sim::Value(-1)},
                           {"leo", sim::Value(r.log->log_end_offset())}});
  const uint64_t id = next_group_write_++;
  GroupWrite w{partition, b->next_offset(), std::move(done), {}};
  w.timer = ctx.set_timer(kOffsetCommitTimeout, kGroupWriteTag + id);
  group_writes_.emplace(id, std::move(w));
  maybe_flush(ctx, r);
  maybe_increment_hw(ctx, r);
  wake_parked_fetches(ctx, {kOffsetsTopic, partition});
  complete_group_writes(ctx);
}

void Broker::complete_group_writes(sim::Context& ctx) {
  std::vector<std::pair<uint64_t, Error>> done;
  for (const auto& [id, w] : group_writes_) {
    auto it = replicas_.find({kOffsetsTopic, w.partition});
    if (it == replicas_.end() || it->second.role != Replica::Role::leader) done.push_back({id, Error::NOT_COORDINATOR});
    else if (it->second.log->high_watermark() >= w.required) done.push_back({id, Error::NONE});
  }
  for (const auto& [id, e] : done) {
    auto it = group_writes_.find(id);
    if (it == group_writes_.end()) continue;
    GroupWrite w = std::move(it->second);
    group_writes_.erase(it);
    ctx.cancel_timer(w.timer);
    w.done(ctx, e);
  }
}

void Broker::load_groups(sim::Context& ctx, Replica& r) {
  const int32_t p = r.log->partition();
  unload_groups(ctx, p);
  std::map<std::string, Group> loaded;
  for (const BatchPtr& b : r.log->all_batches())
    for (const Record& rec : *b->records) apply_offsets_record(rec, loaded, p, ctx.now());
  for (auto& [id, g] : loaded) {
    trace_group(ctx, g, "group.loaded", "became coordinator");
    groups_[id] = std::move(g);
  }
}

void Broker::unload_groups(sim::Context& ctx, int32_t partition) {
  for (auto it = groups_.begin(); it != groups_.end();) {
    if (it->second.offsets_partition != partition) {
      ++it;
      continue;
    }
    for (auto& [id, m] : it->second.members) {
      respond_join(ctx, it->second, m, Error::NOT_COORDINATOR);
      if (m.sync) {
        auto resp = std::make_shared<SyncGroupResponse>();
        resp->correlation_id = m.sync->correlation_id;
        resp->error = Error::NOT_COORDINATOR;
        ctx.send(m.sync->from, resp);
      }
    }
    it = groups_.erase(it);
  }
}

}  // namespace kafka
