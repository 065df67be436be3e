#pragma once
// The trace events of a partition's replica, emitted alike by the leader's and the follower's
// paths (see docs/trace.md for the fields).
#include "broker_model/broker/partition.hpp"
#include "sim/node.hpp"

namespace kafka {

// "replica.leader", "replica.follower", "replica.isr": the partition's role and ISR.
void trace_replica_state(sim::Context& ctx, const char* kind, const Partition& p);
// "log.append": `b` was appended as leader or follower.
void trace_append(sim::Context& ctx, const Partition& p, const char* role, const RecordBatch& b);
// "replica.hw": the partition's high watermark moved.
void trace_high_watermark(sim::Context& ctx, const Partition& p);

std::string broker_ids(const std::vector<BrokerId>& v);

}  // namespace kafka
