// Committed offsets, and the groups of a __consumer_offsets partition loaded when this broker
// becomes its leader and dropped when it stops.
#include "broker_model/group/group_coordinator.hpp"

#include <fmt/format.h>

#include "broker_model/trace_schema.hpp"

namespace kafka {

namespace {
constexpr sim::Duration kOffsetCommitTimeout = sim::Duration::millis(5000);  // offsets.commit.timeout.ms
}  // namespace

void GroupCoordinator::write(sim::Context& ctx, int32_t partition, std::vector<Record> records, WriteDone done) {
  log_.append(ctx, {kOffsetsTopic, partition}, std::move(records), kOffsetCommitTimeout, std::move(done));
}

void GroupCoordinator::handle_offset_commit(sim::Context& ctx, sim::NodeId from, const OffsetCommitRequest& req) {
  auto reply = [&](Error e) {
    auto resp = std::make_shared<OffsetCommitResponse>();
    resp->correlation_id = req.correlation_id;
    resp->error = e;
    ctx.send(from, resp);
  };
  Group* gp = coordinated(req.group_id, true);
  if (!gp) return reply(not_coordinating(req.group_id));
  Group& g = *gp;
  // ClassicGroup.validateOffsetCommit: a commit from outside the group protocol (generation -1,
  // no member id) only while the group is empty; a member's, when validateMember accepts it, in
  // its generation, and not while the group completes a rebalance.
  if (req.generation < 0 && g.phase == GroupPhase::empty) {
    // accepted: nobody in the group could object
  } else if (req.generation >= 0 || !req.member_id.empty() || req.group_instance_id) {
    if (const Error e = g.validate_member(req.member_id, req.group_instance_id); e != Error::NONE) return reply(e);
    if (req.generation != g.generation) return reply(Error::ILLEGAL_GENERATION);
    if (g.phase == GroupPhase::completing_rebalance) return reply(Error::REBALANCE_IN_PROGRESS);
  } else {
    return reply(Error::UNKNOWN_MEMBER_ID);
  }
  std::vector<Record> records;
  for (const auto& o : req.offsets) records.push_back(offset_record(g.id, o.tp, {o.offset, o.leader_epoch}));
  // The offsets count once committed (they are what a new coordinator would load).
  write(ctx, g.offsets_partition, std::move(records),
        [this, group_id = g.id, offsets = req.offsets, from, correlation_id = req.correlation_id](sim::Context& c, Error e) {
          if (e == Error::NONE) {
            auto it = groups_.find(group_id);
            if (it != groups_.end())
              for (const auto& o : offsets) it->second.offsets[o.tp] = {o.offset, o.leader_epoch};
          }
          auto resp = std::make_shared<OffsetCommitResponse>();
          resp->correlation_id = correlation_id;
          resp->error = e;
          c.send(from, resp);
        });
}

void GroupCoordinator::handle_offset_fetch(sim::Context& ctx, sim::NodeId from, const OffsetFetchRequest& req) {
  auto resp = std::make_shared<OffsetFetchResponse>();
  resp->correlation_id = req.correlation_id;
  const int32_t p = offsets_partition_for(req.group_id);
  if (p < 0) {
    resp->error = Error::COORDINATOR_NOT_AVAILABLE;
  } else if (!log_.leads({kOffsetsTopic, p})) {
    resp->error = Error::NOT_COORDINATOR;
  } else {
    const Group* g = coordinated(req.group_id, false);
    for (const auto& tp : req.partitions) {
      CommittedOffset o;
      if (g) {
        auto it = g->offsets.find(tp);
        if (it != g->offsets.end()) o = it->second;
      }
      // GroupMetadataManager.getOffsets (KIP-447): with require_stable, a partition with a
      // transactional commit still pending has no offset to give yet.
      if (g && req.require_stable && g->has_pending_txn_offset(tp)) {
        resp->offsets.push_back({tp, -1, -1, Error::UNSTABLE_OFFSET_COMMIT});
        continue;
      }
      resp->offsets.push_back({tp, o.offset, o.leader_epoch});
    }
  }
  ctx.send(from, resp);
}

void GroupCoordinator::on_election(sim::Context& ctx, const TopicPartition& tp) {
  if (tp.topic == kOffsetsTopic) load_groups(ctx, tp.partition);
}

void GroupCoordinator::on_resignation(sim::Context& ctx, const TopicPartition& tp) {
  if (tp.topic == kOffsetsTopic) unload_groups(ctx, tp.partition);
}

void GroupCoordinator::load_groups(sim::Context& ctx, int32_t partition) {
  unload_groups(ctx, partition);
  std::map<std::string, Group> loaded;
  for (const BatchPtr& b : log_.read_all({kOffsetsTopic, partition})) load_batch(*b, loaded, partition, ctx.now());
  for (auto& [id, g] : loaded) {
    trace_group<event::GroupLoaded>(ctx, g, "became coordinator");
    groups_[id] = std::move(g);
  }
}

void GroupCoordinator::unload_groups(sim::Context& ctx, int32_t partition) {
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

std::string GroupCoordinator::invariants() const {
  for (const auto& [id, g] : groups_) {
    if (!log_.leads({kOffsetsTopic, g.offsets_partition})) return fmt::format("group {}: coordinated without its partition", id);
    if (g.join_order.size() != g.members.size()) return fmt::format("group {}: join order and members disagree", id);
    for (const std::string& m : g.join_order)
      if (!g.members.count(m)) return fmt::format("group {}: {} is in the join order but not a member", id, m);
    const bool settled = g.phase == GroupPhase::completing_rebalance || g.phase == GroupPhase::stable;
    if (settled && (!g.members.count(g.leader) || g.protocol.empty())) {
      return fmt::format("group {}: {} without a leader and a protocol", id, to_string(g.phase));
    }
    if ((g.phase == GroupPhase::empty || g.phase == GroupPhase::dead) && !g.members.empty()) {
      return fmt::format("group {}: {} with {} members", id, to_string(g.phase), g.members.size());
    }
    for (const auto& [mid, m] : g.members) {
      if (m.sync && g.phase != GroupPhase::completing_rebalance) return fmt::format("group {}: {} awaits a sync while {}", id, mid, to_string(g.phase));
      if (m.join && g.phase != GroupPhase::preparing_rebalance) return fmt::format("group {}: {} awaits a join while {}", id, mid, to_string(g.phase));
    }
  }
  return {};
}

}  // namespace kafka
