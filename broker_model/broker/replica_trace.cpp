#include "broker_model/broker/replica_trace.hpp"

namespace kafka {

std::string broker_ids(const std::vector<BrokerId>& v) {
  std::string s;
  for (BrokerId b : v) s += (s.empty() ? "" : ",") + std::to_string(b);
  return s;
}

void trace_replica_state(sim::Context& ctx, const char* kind, const Partition& p) {
  ctx.trace(kind, {{"topic", sim::Value(p.log->topic())},
                   {"partition", sim::Value(p.log->partition())},
                   {"leader", sim::Value(p.leader)},
                   {"leader_epoch", sim::Value(p.leader_epoch)},
                   {"isr", sim::Value(broker_ids(p.isr))},
                   {"leo", sim::Value(p.log->log_end_offset())},
                   {"hw", sim::Value(p.log->high_watermark())}});
}

void trace_append(sim::Context& ctx, const Partition& p, const char* role, const RecordBatch& b) {
  ctx.trace("log.append", {{"topic", sim::Value(p.log->topic())},
                           {"partition", sim::Value(p.log->partition())},
                           {"role", sim::Value(role)},
                           {"base_offset", sim::Value(b.base_offset)},
                           {"count", sim::Value(b.count())},
                           {"leader_epoch", sim::Value(b.partition_leader_epoch)},
                           {"producer_id", sim::Value(b.producer_id)},
                           {"base_sequence", sim::Value(b.base_sequence)},
                           {"leo", sim::Value(p.log->log_end_offset())}});
}

void trace_high_watermark(sim::Context& ctx, const Partition& p) {
  ctx.trace("replica.hw", {{"topic", sim::Value(p.log->topic())},
                           {"partition", sim::Value(p.log->partition())},
                           {"hw", sim::Value(p.log->high_watermark())},
                           {"leader_epoch", sim::Value(p.leader_epoch)}});
}

}  // namespace kafka
