#pragma once
// Static facts every Kafka node is configured with: which kernel node is which broker and
// where the controller is (bootstrap.servers / controller.quorum.voters). Never runtime state.
#include <map>
#include <string>
#include <vector>

#include "broker_model/protocol/messages.hpp"
#include "sim/trace.hpp"

namespace kafka {

struct ClusterLayout {
  sim::NodeId controller = sim::kNoNode;
  std::map<BrokerId, sim::NodeId> brokers;
  // The application's stores (broker_model/app/store.hpp) by name: where a process finds the
  // database it is configured with, as a JDBC URL names a host. Only stores declared before a
  // client was added are in that client's copy.
  std::map<std::string, sim::NodeId> stores;

  sim::NodeId store_of(const std::string& name) const {
    auto it = stores.find(name);
    return it == stores.end() ? sim::kNoNode : it->second;
  }

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
