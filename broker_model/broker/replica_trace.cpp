#include "broker_model/broker/replica_trace.hpp"

namespace kafka {

std::string broker_ids(const std::vector<BrokerId>& v) {
  std::string s;
  for (BrokerId b : v) s += (s.empty() ? "" : ",") + std::to_string(b);
  return s;
}

void trace_append(sim::Context& ctx, const Partition& p, const char* role, const RecordBatch& b) {
  ctx.trace(event::LogAppend{.topic = p.log->topic(),
                             .partition = p.log->partition(),
                             .role = role,
                             .base_offset = b.base_offset,
                             .count = b.count(),
                             .leader_epoch = b.partition_leader_epoch,
                             .producer_id = b.producer_id,
                             .base_sequence = b.base_sequence,
                             .leo = p.log->log_end_offset()});
}

void trace_high_watermark(sim::Context& ctx, const Partition& p) {
  ctx.trace(event::ReplicaHw{.topic = p.log->topic(),
                             .partition = p.log->partition(),
                             .hw = p.log->high_watermark(),
                             .leader_epoch = p.leader_epoch});
}

}  // namespace kafka
