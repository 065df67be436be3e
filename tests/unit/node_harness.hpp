#pragma once
// A Kafka cluster driven from C++, without Lua: the real controller, brokers and clients,
// built by broker_model/cluster_builder exactly as cluster { ... } builds them, in a world whose
// virtual time the test runs forward (quinn-proto's test `Pair`, for a whole cluster). A test
// sets up topics and clients, injects faults, and asserts on partition state as the nodes hold
// it and on what the clients saw, as trace events. The world is paranoid: every node and
// cluster invariant is checked after every event, and a broken one throws InvariantViolation.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "broker_model/broker/broker.hpp"
#include "broker_model/client/consumer.hpp"
#include "broker_model/client/producer.hpp"
#include "broker_model/cluster_builder.hpp"
#include "broker_model/cluster_invariants.hpp"
#include "broker_model/controller/controller.hpp"
#include "sim/check/client_outcomes.hpp"
#include "sim/world.hpp"

namespace kafkasim_test {

// Kafka config keys and values, e.g. {{"acks", "all"}, {"flush.messages", 1}}.
using Settings = std::vector<std::pair<std::string, kafka::RawValue>>;

// One record of a replica's log.
struct LogRecord {
  int64_t offset;
  std::string value;
  int32_t leader_epoch;  // of its batch
};

// One send as the application saw it: empty until its callback ran.
struct SentRecord {
  std::optional<kafka::SendResult> result;
  sim::Time completed;
  bool done() const { return result.has_value(); }
  bool ok() const { return done() && result->outcome == kafka::Outcome::ok; }
};

// A topic of one partition on `replicas`, the first its preferred leader.
kafka::TopicSpec one_partition_topic(const std::string& name, std::vector<kafka::BrokerId> replicas = {1, 2, 3});
// A record of `topic` with `value` and no key, for TestCluster::send.
kafka::SendSpec record_of(const std::string& topic, const std::string& value);

// A node in front of a real broker, which sees every message first (a test's fake partition
// leader answering what the broker would): the harness reads the broker behind it.
class BrokerFront : public sim::Node {
 public:
  virtual const kafka::Broker& broker() const = 0;
};
using BrokerFrontFactory = std::function<std::unique_ptr<BrokerFront>(kafka::BrokerId, std::unique_ptr<kafka::Broker>)>;

class TestCluster {
 public:
  struct Options {
    int32_t brokers = 3;
    uint64_t seed = 1;
    Settings broker;  // broker configs, as cluster { broker = { ... } }
    kafka::KafkaVersion kafka_version;  // as scenario { kafka_version = ... }
    kafka::Bugs bugs;  // switched on for the brokers and the clients
    // Brokers that run behind a BrokerFront (made by `front`), e.g. fake partition leaders.
    std::vector<kafka::BrokerId> fronted;
    BrokerFrontFactory front;
  };
  explicit TestCluster(Options options);
  TestCluster() : TestCluster(Options{}) {}

  sim::World& world() { return world_; }
  const kafka::ClusterLayout& layout() const { return layout_; }
  sim::NodeId node(kafka::BrokerId b) const { return layout_.node_of(b); }

  // Setup. topic() returns once the controller has a leader for every partition and that
  // broker leads it. A test may create __consumer_offsets itself (to place it); otherwise the
  // first consumer() creates it.
  void topic(const kafka::TopicSpec& spec);
  sim::NodeId producer(const std::string& client_id, const Settings& config);
  // A group member running the application loop (commit policy from enable.auto.commit).
  sim::NodeId consumer(const std::string& member, const std::string& group, const std::vector<std::string>& topics,
                       const Settings& config = {});
  // A member running `app` (its topics, commit policy, listener, producer, error handler),
  // with auto-commit on exactly when the policy is Kafka's auto-commit.
  sim::NodeId consumer(const std::string& member, const std::string& group, kafka::ConsumerApp app,
                       const Settings& config = {});
  // A finalized producer config, for a producer a consumer's process hosts (ConsumerApp::producer).
  kafka::ConfigSet producer_config(const Settings& config) const;
  // __consumer_offsets, created as the first consumer would; returns once each partition has a leader.
  void offsets_topic();
  // __transaction_state, created as the first transactional producer would (its min ISR
  // transaction.state.log.min.isr); returns once each partition has a leader.
  void transaction_state_topic();
  // The broker node coordinating `transactional_id` (the leader of its __transaction_state
  // partition), and the broker running at `b` (null when down), behind a front or not.
  sim::NodeId txn_coordinator(const std::string& transactional_id) const;
  const kafka::Broker* broker(kafka::BrokerId b) const;
  // The broker node coordinating `group` (the leader of its __consumer_offsets partition), and
  // the group as that broker holds it (null before anything joined).
  sim::NodeId coordinator(const std::string& group) const;
  const kafka::Group* group(const std::string& group) const;
  const kafka::Consumer* consumer_at(sim::NodeId n) const { return dynamic_cast<const kafka::Consumer*>(world_.node(n)); }
  // What the clients saw, read from the trace (as p:acked() and g:processed() are).
  const check::ClientOutcomes& outcomes() const { return outcomes_; }

  // The application's send() of one record; the result fills in when the callback runs.
  std::shared_ptr<SentRecord> send(sim::NodeId producer, kafka::SendSpec spec);

  // Virtual time.
  void run_for(sim::Duration d);
  // Runs until `done` holds (checked after every event) or `limit` passes; returns `done()`.
  bool run_until(const std::function<bool()>& done, sim::Duration limit = sim::Duration::seconds(60));

  // Faults on any node (a broker's is node(b)), traced as a scenario's are.
  void crash(sim::NodeId n);
  void restart(sim::NodeId n);
  void pause(sim::NodeId n);
  void resume(sim::NodeId n);
  // A clean shutdown (a broker's is a controlled shutdown).
  void shutdown(sim::NodeId n);
  // Every message from `from` to `to` takes `latency` (until heal()).
  void slow_link(sim::NodeId from, sim::NodeId to, sim::Duration latency);
  void partition(const std::vector<std::vector<sim::NodeId>>& groups);
  void heal();
  // Checks `invariant` after every event too (one the cluster's configuration would not apply).
  void watch(std::shared_ptr<kafka::ClusterInvariant> invariant);

  // Partition state. registration(): the controller's (null when it has none); replica() and
  // log(): a live broker's (null when it is down or has no replica); records(): what the
  // broker's disk holds, page cache included, whether the broker runs or not.
  const kafka::PartitionState* registration(const std::string& topic, int32_t p) const;
  kafka::BrokerId leader(const std::string& topic, int32_t p) const;
  const kafka::Partition* replica(kafka::BrokerId b, const std::string& topic, int32_t p) const;
  const kafka::PartitionLog* log(kafka::BrokerId b, const std::string& topic, int32_t p) const;
  std::vector<LogRecord> records(kafka::BrokerId b, const std::string& topic, int32_t p);

  // The trace so far: every event of `kind`, or only those of `node`.
  std::vector<const sim::StoredEvent*> events(std::string_view kind) const { return trace_.of_kind(kind); }
  std::vector<const sim::StoredEvent*> events(std::string_view kind, sim::NodeId node) const;

 private:
  kafka::FirstOp next_op() const;

  // The sinks outlive the world, whose trace and client factories point at them.
  check::ClientOutcomes outcomes_;
  sim::MemorySink trace_;
  kafka::ClusterSpec spec_;
  sim::World world_;
  kafka::ClusterLayout layout_;
  bool offsets_topic_ = false;
  bool transaction_state_topic_ = false;
};

}  // namespace kafkasim_test
