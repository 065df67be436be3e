#include "broker_model/cluster_builder.hpp"

#include <memory>

#include <fmt/format.h>

#include "broker_model/broker/broker.hpp"
#include "broker_model/client/consumer.hpp"
#include "broker_model/client/producer.hpp"
#include "broker_model/cluster_invariants.hpp"
#include "broker_model/trace_schema.hpp"
#include "sim/world.hpp"

namespace kafka {

std::string broker_node_name(BrokerId b) { return fmt::format("broker-{}", b); }

ClusterLayout add_cluster_nodes(sim::World& world, const ClusterSpec& spec) {
  SIM_ASSERT(spec.brokers >= 1, "a cluster has a broker");
  const std::vector<std::string>& racks = spec.racks;
  auto rack_of = [&racks](int32_t b) { return racks.empty() ? std::string() : racks[static_cast<size_t>(b - 1) % racks.size()]; };
  ClusterLayout layout;
  layout.controller = world.add_node(kControllerNodeName, nullptr, rack_of(1));
  for (int32_t b = 1; b <= spec.brokers; ++b) layout.brokers[b] = world.add_node(broker_node_name(b), nullptr, rack_of(b));
  // The factories hold copies: a restarted node is built from the static configuration alone,
  // as a restarted Kafka process reads its server.properties.
  const ConfigSet config = spec.broker_config;
  world.set_factory(layout.controller, [layout, config] { return std::make_unique<Controller>(layout, config); });
  for (const auto& [b, node] : layout.brokers) {
    const std::string rack = rack_of(b);
    world.set_factory(node, [b = b, rack, layout, config, bugs = spec.bugs] {
      return std::make_unique<Broker>(b, rack, layout, config, bugs);
    });
  }
  return layout;
}

void start_cluster(sim::World& world, const ClusterLayout& layout, const ClusterSpec& spec) {
  world.start(layout.controller);
  for (const auto& [b, node] : layout.brokers) world.start(node);
  register_cluster_invariants(world, layout, spec.broker_config, spec.bugs);
}

bool create_topic(sim::World& world, const ClusterLayout& layout, const TopicSpec& spec) {
  return world.invoke(layout.controller, [spec](sim::Node& n, sim::Context& ctx) {
    const std::string error = static_cast<Controller&>(n).create_topic(ctx, spec);
    if (!error.empty()) ctx.trace(event::AdminError{.request = "CreateTopics", .error = error});
  });
}

sim::NodeId start_producer(sim::World& world, const ClusterLayout& layout, const std::string& client_id,
                           const ConfigSet& config, FirstOp first_op, const Bugs& bugs) {
  const sim::NodeId node = world.add_node(client_id, nullptr);
  world.set_factory(node, [client_id, layout, config, first_op = std::move(first_op), bugs] {
    return std::make_unique<Producer>(client_id, layout, config, first_op(client_id), bugs);
  });
  world.start(node);
  return node;
}

sim::NodeId start_consumer(sim::World& world, const ClusterLayout& layout, const std::string& member_name,
                           const ConfigSet& config, const ConsumerApp& app, FirstOp first_op, const Bugs& bugs) {
  const sim::NodeId node = world.add_node(member_name, nullptr);
  world.set_factory(node, [member_name, layout, config, app, first_op = std::move(first_op), bugs] {
    // The hosted producer's operations continue across restarts too, under its own client id,
    // whether it was configured or is made at the first send.
    const uint64_t producer_first_op = first_op(hosted_producer_client_id(member_name));
    return std::make_unique<Consumer>(member_name, layout, config, app, first_op(member_name), bugs, producer_first_op,
                                      first_op);
  });
  world.start(node);
  return node;
}

sim::NodeId start_store(sim::World& world, ClusterLayout& layout, const std::string& name, const StoreConfig& config) {
  const sim::NodeId node = world.add_node(name, nullptr);
  world.set_factory(node, [name, config] { return std::make_unique<Store>(name, config); });
  layout.stores[name] = node;
  world.start(node);
  return node;
}

}  // namespace kafka
