// A leader's AlterPartition (ReplicationControlManager.alterPartition): validated as Kafka
// validates it, then recorded as the partition's new ISR (and ELR).
#include <algorithm>

#include "broker_model/controller/controller.hpp"

namespace kafka {

namespace {
bool contains(const std::vector<BrokerId>& v, BrokerId b) { return std::find(v.begin(), v.end(), b) != v.end(); }
void erase(std::vector<BrokerId>& v, BrokerId b) { v.erase(std::remove(v.begin(), v.end(), b), v.end()); }
}  // namespace

bool Controller::isr_eligible(const AlterPartitionRequest::BrokerState& member) const {
  auto it = brokers_.find(member.broker_id);
  if (it == brokers_.end()) return false;  // not registered
  const BrokerInfo& b = it->second;
  if (b.shutting_down || b.fenced) return false;
  return member.broker_epoch == -1 || member.broker_epoch == b.epoch;
}

Error Controller::validate_alter_partition(const AlterPartitionRequest& req, const PartitionState& s) const {
  // A request from the future: this controller is behind (NOT_CONTROLLER, so it is retried).
  if (req.leader_epoch > s.leader_epoch || req.partition_epoch > s.partition_epoch) return Error::NOT_CONTROLLER;
  if (req.leader_epoch < s.leader_epoch) return Error::FENCED_LEADER_EPOCH;
  if (req.broker_id != s.leader) return Error::INVALID_REQUEST;
  if (req.partition_epoch < s.partition_epoch) return Error::INVALID_UPDATE_VERSION;
  std::vector<BrokerId> isr;
  for (const auto& m : req.new_isr_with_epochs) {
    // Replicas.validateIsr: assigned replicas, each once; and the leader among them.
    if (!contains(s.replicas, m.broker_id) || contains(isr, m.broker_id)) return Error::INVALID_REQUEST;
    isr.push_back(m.broker_id);
  }
  if (!contains(isr, s.leader)) return Error::INVALID_REQUEST;
  for (const auto& m : req.new_isr_with_epochs)
    if (!isr_eligible(m)) return Error::INELIGIBLE_REPLICA;
  return Error::NONE;
}

void Controller::handle_alter_partition(sim::Context& ctx, sim::NodeId from, const AlterPartitionRequest& req) {
  auto resp = std::make_shared<AlterPartitionResponse>();
  resp->correlation_id = req.correlation_id;
  resp->topic = req.topic;
  resp->partition = req.partition;
  auto b = brokers_.find(req.broker_id);
  auto p = partitions_.find(TopicPartition{req.topic, req.partition});
  if (b == brokers_.end() || b->second.epoch != req.broker_epoch) {
    resp->error = Error::STALE_BROKER_EPOCH;  // ClusterControlManager.checkBrokerEpoch
  } else if (p == partitions_.end()) {
    resp->error = Error::UNKNOWN_TOPIC_OR_PARTITION;
  } else {
    resp->error = validate_alter_partition(req, p->second);
  }
  if (resp->error != Error::NONE) {
    if (p != partitions_.end()) resp->state = p->second;
    ctx.send(from, resp);
    return;
  }
  PartitionState next = p->second;
  const std::vector<BrokerId> old = next.isr;
  next.isr.clear();
  for (const auto& m : req.new_isr_with_epochs) next.isr.push_back(m.broker_id);
  if (elr_enabled()) {
    // PartitionChangeBuilder.maybePopulateTargetElr.
    if (static_cast<int64_t>(next.isr.size()) >= effective_min_isr(next)) {
      next.elr.clear();
    } else {
      for (BrokerId r : old)
        if (!contains(next.isr, r) && !contains(next.elr, r)) next.elr.push_back(r);
    }
    for (BrokerId r : next.isr) erase(next.elr, r);
  }
  ++next.partition_epoch;
  resp->state = record_partition(ctx, next, next.isr.size() > old.size() ? "isr-expand" : "isr-shrink");
  ctx.send(from, resp);
}

}  // namespace kafka
