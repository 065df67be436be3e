#pragma once
// The trace events of a partition's replica, emitted alike by the leader's and the follower's
// paths (broker_model/trace_events.def declares their fields).
#include <string>
#include <vector>

#include "broker_model/broker/partition.hpp"
#include "broker_model/trace_schema.hpp"
#include "sim/node.hpp"

namespace kafka {

std::string broker_ids(const std::vector<BrokerId>& v);

// event::ReplicaLeader, ReplicaFollower or ReplicaIsr: the partition's role and ISR.
template <typename E>
void trace_replica_state(sim::Context& ctx, const Partition& p) {
  ctx.trace(E{.topic = p.log->topic(),
              .partition = p.log->partition(),
              .leader = p.leader,
              .leader_epoch = p.leader_epoch,
              .isr = broker_ids(p.isr),
              .leo = p.log->log_end_offset(),
              .hw = p.log->high_watermark()});
}
// log.append: `b` was appended as leader or follower.
void trace_append(sim::Context& ctx, const Partition& p, const char* role, const RecordBatch& b);
// replica.hw: the partition's high watermark moved.
void trace_high_watermark(sim::Context& ctx, const Partition& p);

}  // namespace kafka
