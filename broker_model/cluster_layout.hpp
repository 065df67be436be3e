#pragma once
// Static facts every Kafka node is configured with: which kernel node is which broker and
// where the controller is (bootstrap.servers / controller.quorum.voters). Never runtime state.
#include <map>
#include <vector>

#include "broker_model/protocol/messages.hpp"
#include "sim/trace.hpp"

namespace kafka {

struct ClusterLayout {
  sim::NodeId controller = sim::kNoNode;
  std::map<BrokerId, sim::NodeId> brokers;

  sim::NodeId node_of(BrokerId b) const {
    auto it = brokers.find(b);
    return it == brokers.end() ? sim::kNoNode : it->second;
  }
  BrokerId broker_of(sim::NodeId n) const {
    for (const auto& [b, node] : brokers)
      if (node == n) return b;
    return kNoLeader;
  }
  std::vector<BrokerId> broker_ids() const {
    std::vector<BrokerId> out;
    for (const auto& [b, _] : brokers) out.push_back(b);
    return out;
  }
};

}  // namespace kafka
