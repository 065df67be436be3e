#pragma once
// Builds a Kafka cluster in a world: the controller and brokers as nodes with the factories
// that rebuild them at every restart, its topics (CreateTopics to the controller), and client
// nodes. The one way a cluster is made, whether a scenario asks for it (cluster { ... } in
// sim/lua) or a C++ test does (tests/unit/node_harness.hpp). Callers validate their input
// first: what reaches these functions is a cluster Kafka would accept.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "broker_model/app/store.hpp"
#include "broker_model/cluster_layout.hpp"
#include "broker_model/config/bugs.hpp"
#include "broker_model/config/config.hpp"
#include "broker_model/controller/controller.hpp"

namespace sim {
class World;
}

namespace kafka {

struct ConsumerApp;

// The number a client's next operation takes, asked each time the client (re)starts: a
// restarted client numbers its operations on from its predecessor's, so ids and the values
// generated from them stay unique. The trace knows it; the caller reads it from there.
using FirstOp = std::function<uint64_t(const std::string& process)>;

struct ClusterSpec {
  int32_t brokers = 3;
  // Assigned to brokers 1..n in turn; the controller stands in the first. Empty: no racks.
  std::vector<std::string> racks;
  ConfigSet broker_config{ConfigScope::broker, KafkaVersion{}};  // accepted by finalize_broker
  Bugs bugs;  // switched on for every broker (and for the clients the caller adds)
};

// The kernel node names of a cluster, which trace readers and scenarios see.
inline constexpr const char* kControllerNodeName = "controller";
std::string broker_node_name(BrokerId b);

// Adds the controller, then brokers 1..n, with their factories; starts none of them, so the
// caller may still shape the network between them (rack links need the nodes' racks).
ClusterLayout add_cluster_nodes(sim::World& world, const ClusterSpec& spec);

// Starts the controller, then the brokers, and registers the cluster invariants that a
// paranoid world checks after every event.
void start_cluster(sim::World& world, const ClusterLayout& layout, const ClusterSpec& spec);

// CreateTopics from an admin client, arriving at the controller as an application call; a
// refusal is traced as admin.error. False when the controller is not running.
bool create_topic(sim::World& world, const ClusterLayout& layout, const TopicSpec& spec);

// Adds and starts a producer (client.id `client_id`, also its node name). `config` is finalized.
sim::NodeId start_producer(sim::World& world, const ClusterLayout& layout, const std::string& client_id,
                           const ConfigSet& config, FirstOp first_op, const Bugs& bugs);

// Adds and starts one consumer group member (node `member_name`), running `app` with `config`
// (group.id set, finalized).
sim::NodeId start_consumer(sim::World& world, const ClusterLayout& layout, const std::string& member_name,
                           const ConfigSet& config, const ConsumerApp& app, FirstOp first_op, const Bugs& bugs);

// Adds and starts a store node named `name` (the application's database) and records it in
// `layout.stores`, so clients added after it find it by name.
sim::NodeId start_store(sim::World& world, ClusterLayout& layout, const std::string& name, const StoreConfig& config);

}  // namespace kafka
