#pragma once
// What the consumer's parts share to reach brokers (Kafka's ConsumerNetworkClient): the
// brokers it was configured with, one sequence of correlation ids for every request, and the
// broker to ask when any broker will do (leastLoadedNode; here the bootstrap brokers in turn).
#include <cstdint>
#include <memory>
#include <utility>

#include "broker_model/cluster_layout.hpp"
#include "sim/assert.hpp"
#include "sim/node.hpp"

namespace kafka {

class ConsumerNetworkClient {
 public:
  explicit ConsumerNetworkClient(ClusterLayout layout) : layout_(std::move(layout)) {}

  int32_t next_correlation_id() { return ++next_correlation_; }

  // The next bootstrap broker, round robin: metadata and FindCoordinator go to any broker.
  BrokerId least_loaded_broker() {
    const auto brokers = layout_.broker_ids();
    SIM_ASSERT(!brokers.empty(), "a consumer needs bootstrap brokers");
    return brokers[next_bootstrap_++ % brokers.size()];
  }

  void send(sim::Context& ctx, BrokerId broker, sim::MessagePtr request) const {
    ctx.send(layout_.node_of(broker), std::move(request));
  }
  BrokerId broker_of(sim::NodeId node) const { return layout_.broker_of(node); }

 private:
  ClusterLayout layout_;
  int32_t next_correlation_ = 0;
  size_t next_bootstrap_ = 0;
};

}  // namespace kafka
