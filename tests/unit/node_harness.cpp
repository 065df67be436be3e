#include "node_harness.hpp"

#include <algorithm>
#include <stdexcept>

#include "broker_model/client/partitioner.hpp"
#include "broker_model/log/log_files.hpp"
#include "sim/world_events.hpp"

namespace kafkasim_test {

namespace {

kafka::ConfigSet config_of(kafka::ConfigScope scope, const Settings& settings, kafka::KafkaVersion version = {}) {
  kafka::ConfigSet cfg(scope, version);
  for (const auto& [key, value] : settings) {
    if (const std::string error = cfg.set(key, value); !error.empty()) throw std::invalid_argument(key + ": " + error);
  }
  return cfg;
}

void require(const std::string& error, const char* what) {
  if (!error.empty()) throw std::invalid_argument(std::string(what) + ": " + error);
}

}  // namespace

kafka::TopicSpec one_partition_topic(const std::string& name, std::vector<kafka::BrokerId> replicas) {
  kafka::TopicSpec spec;
  spec.name = name;
  spec.replication_factor = static_cast<int32_t>(replicas.size());
  spec.assignment = {std::move(replicas)};
  return spec;
}

kafka::SendSpec record_of(const std::string& topic, const std::string& value) {
  kafka::SendSpec s;
  s.topic = topic;
  s.value = value;
  return s;
}

TestCluster::TestCluster(Options options) : world_(options.seed) {
  world_.trace().add_sink(&trace_);
  world_.trace().add_sink(&outcomes_);
  world_.set_paranoid(true);
  spec_.brokers = options.brokers;
  spec_.broker_config = config_of(kafka::ConfigScope::broker, options.broker, options.kafka_version);
  require(kafka::finalize_broker(spec_.broker_config), "broker config");
  spec_.bugs = options.bugs;
  layout_ = kafka::add_cluster_nodes(world_, spec_);
  for (const kafka::BrokerId b : options.fronted) {
    world_.set_factory(node(b), [b, front = options.front, layout = layout_,
                                 config = spec_.broker_config, bugs = spec_.bugs]() -> std::unique_ptr<sim::Node> {
      return front(b, std::make_unique<kafka::Broker>(b, "", layout, config, bugs));  // the harness sets no racks
    });
  }
  kafka::start_cluster(world_, layout_, spec_);
}

void TestCluster::topic(const kafka::TopicSpec& spec) {
  // A test that places __consumer_offsets itself keeps it where it put it.
  if (spec.name == "__consumer_offsets") offsets_topic_ = true;
  if (spec.name == "__transaction_state") transaction_state_topic_ = true;
  if (!kafka::create_topic(world_, layout_, spec)) throw std::logic_error("topic: the controller is down");
  const bool led = run_until([&] {
    for (int32_t p = 0; p < spec.partitions; ++p) {
      const kafka::Partition* r = replica(leader(spec.name, p), spec.name, p);
      if (!r || !r->is_leader()) return false;
    }
    return true;
  });
  if (!led) throw std::runtime_error("topic " + spec.name + ": no leader for every partition within a minute");
}

sim::NodeId TestCluster::producer(const std::string& client_id, const Settings& config) {
  kafka::ConfigSet cfg = config_of(kafka::ConfigScope::producer, config);
  require(kafka::finalize_producer(cfg), "producer config");
  return kafka::start_producer(world_, layout_, client_id, cfg, next_op(), spec_.bugs);
}

sim::NodeId TestCluster::consumer(const std::string& member, const std::string& group, const std::vector<std::string>& topics,
                                  const Settings& config) {
  offsets_topic();
  // group.instance.id is set for the member here, as static = true sets it (scenarios may not).
  Settings rest;
  std::optional<std::string> instance;
  for (const auto& [key, value] : config) {
    if (key == "group.instance.id") instance = std::get<std::string>(value);
    else rest.emplace_back(key, value);
  }
  kafka::ConfigSet cfg = config_of(kafka::ConfigScope::consumer, rest);
  cfg.put("group.id", group);
  if (instance) cfg.put("group.instance.id", *instance);
  require(kafka::finalize_consumer(cfg), "consumer config");
  kafka::ConsumerApp app;
  app.topics = topics;
  app.policy = cfg.boolean("enable.auto.commit") ? kafka::CommitPolicy::kafka_auto : kafka::CommitPolicy::after_process;
  return kafka::start_consumer(world_, layout_, member, cfg, app, next_op(), spec_.bugs);
}

sim::NodeId TestCluster::consumer(const std::string& member, const std::string& group, kafka::ConsumerApp app,
                                  const Settings& config) {
  offsets_topic();
  kafka::ConfigSet cfg = config_of(kafka::ConfigScope::consumer, config);
  cfg.put("group.id", group);
  cfg.put("enable.auto.commit", app.policy == kafka::CommitPolicy::kafka_auto);
  require(kafka::finalize_consumer(cfg), "consumer config");
  return kafka::start_consumer(world_, layout_, member, cfg, app, next_op(), spec_.bugs);
}

kafka::ConfigSet TestCluster::producer_config(const Settings& config) const {
  kafka::ConfigSet cfg = config_of(kafka::ConfigScope::producer, config);
  require(kafka::finalize_producer(cfg), "producer config");
  return cfg;
}

void TestCluster::offsets_topic() {
  if (offsets_topic_) return;
  // Kafka creates __consumer_offsets at the first FindCoordinator; here, with the first member.
  offsets_topic_ = true;
  kafka::TopicSpec offsets;
  offsets.name = "__consumer_offsets";
  offsets.partitions = static_cast<int32_t>(spec_.broker_config.integer("offsets.topic.num.partitions"));
  offsets.replication_factor = static_cast<int32_t>(
      std::min<int64_t>(spec_.broker_config.integer("offsets.topic.replication.factor"), spec_.brokers));
  topic(offsets);
}

void TestCluster::transaction_state_topic() {
  if (transaction_state_topic_) return;
  transaction_state_topic_ = true;
  kafka::TopicSpec spec;
  spec.name = "__transaction_state";
  spec.partitions = static_cast<int32_t>(spec_.broker_config.integer("transaction.state.log.num.partitions"));
  spec.replication_factor = static_cast<int32_t>(
      std::min<int64_t>(spec_.broker_config.integer("transaction.state.log.replication.factor"), spec_.brokers));
  spec.min_insync_replicas = spec_.broker_config.integer("transaction.state.log.min.isr");
  topic(spec);
}

sim::NodeId TestCluster::txn_coordinator(const std::string& transactional_id) const {
  const auto partitions = static_cast<int32_t>(spec_.broker_config.integer("transaction.state.log.num.partitions"));
  return node(leader("__transaction_state", kafka::coordinator_partition(transactional_id, partitions)));
}

const kafka::Broker* TestCluster::broker(kafka::BrokerId b) const {
  if (node(b) == sim::kNoNode) return nullptr;
  const sim::Node* n = world_.node(node(b));
  if (const auto* front = dynamic_cast<const BrokerFront*>(n)) return &front->broker();
  return dynamic_cast<const kafka::Broker*>(n);
}

sim::NodeId TestCluster::coordinator(const std::string& group) const {
  const auto partitions = static_cast<int32_t>(spec_.broker_config.integer("offsets.topic.num.partitions"));
  return node(leader("__consumer_offsets", kafka::coordinator_partition(group, partitions)));
}

const kafka::Group* TestCluster::group(const std::string& group) const {
  const auto* broker = dynamic_cast<const kafka::Broker*>(world_.node(coordinator(group)));
  if (!broker) return nullptr;
  auto it = broker->groups().find(group);
  return it == broker->groups().end() ? nullptr : &it->second;
}

kafka::FirstOp TestCluster::next_op() const {
  return [this](const std::string& process) { return outcomes_.next_op(process); };
}

std::shared_ptr<SentRecord> TestCluster::send(sim::NodeId producer, kafka::SendSpec spec) {
  auto sent = std::make_shared<SentRecord>();
  const bool running = world_.invoke(producer, [spec, sent](sim::Node& n, sim::Context& ctx) {
    static_cast<kafka::Producer&>(n).app_send(ctx, spec, false, [sent](sim::Context& c, const kafka::SendResult& r) {
      sent->result = r;
      sent->completed = c.now();
    });
  });
  if (!running) throw std::logic_error("send: the producer is not running");
  return sent;
}

void TestCluster::run_for(sim::Duration d) { world_.run_until(world_.now() + d); }

bool TestCluster::run_until(const std::function<bool()>& done, sim::Duration limit) {
  world_.run_while([&] { return !done(); }, world_.now() + limit);
  return done();
}

void TestCluster::crash(sim::NodeId n) {
  if (!world_.crash(n)) throw std::logic_error("crash: " + std::string(world_.name(n)) + " is not running");
}

void TestCluster::restart(sim::NodeId n) {
  if (!world_.restart(n)) throw std::logic_error("restart: " + std::string(world_.name(n)) + " is running");
}

void TestCluster::pause(sim::NodeId n) {
  if (!world_.pause(n)) throw std::logic_error("pause: " + std::string(world_.name(n)) + " is not running");
}

void TestCluster::resume(sim::NodeId n) {
  if (!world_.resume(n)) throw std::logic_error("resume: " + std::string(world_.name(n)) + " is not paused");
}

void TestCluster::shutdown(sim::NodeId n) {
  if (!world_.shutdown(n)) throw std::logic_error("shutdown: " + std::string(world_.name(n)) + " is not running");
}

void TestCluster::slow_link(sim::NodeId from, sim::NodeId to, sim::Duration latency) {
  sim::LinkParams link;
  link.latency = sim::DurationDist::constant(latency);
  world_.network().topology().set_override(from, to, link);
}

void TestCluster::partition(const std::vector<std::vector<sim::NodeId>>& groups) {
  std::string desc;
  for (const auto& group : groups) {
    std::string names;
    for (sim::NodeId n : group) names += (names.empty() ? "" : ",") + std::string(world_.name(n));
    desc += (desc.empty() ? "" : " | ") + names;
  }
  world_.emit(sim::event::FaultPartition{.groups = desc});
  world_.network().partition(groups);
}

void TestCluster::heal() {
  world_.emit(sim::event::FaultHeal{});
  world_.network().heal();
}

void TestCluster::watch(std::shared_ptr<kafka::ClusterInvariant> invariant) {
  world_.invariants().add(invariant->name(), [this, invariant] { return invariant->check(kafka::snapshot(world_, layout_)); });
}

const kafka::PartitionState* TestCluster::registration(const std::string& topic, int32_t p) const {
  const auto* controller = dynamic_cast<const kafka::Controller*>(world_.node(layout_.controller));
  return controller ? controller->partition(topic, p) : nullptr;
}

kafka::BrokerId TestCluster::leader(const std::string& topic, int32_t p) const {
  const kafka::PartitionState* s = registration(topic, p);
  return s ? s->leader : kafka::kNoLeader;
}

const kafka::Partition* TestCluster::replica(kafka::BrokerId b, const std::string& topic, int32_t p) const {
  const kafka::Broker* running = broker(b);
  return running ? running->partition(topic, p) : nullptr;
}

const kafka::PartitionLog* TestCluster::log(kafka::BrokerId b, const std::string& topic, int32_t p) const {
  const kafka::Partition* r = replica(b, topic, p);
  return r ? r->log.get() : nullptr;
}

std::vector<LogRecord> TestCluster::records(kafka::BrokerId b, const std::string& topic, int32_t p) {
  std::vector<LogRecord> out;
  for (const kafka::BatchPtr& batch : kafka::log_files::read_batches(world_.disk(node(b)), kafka::TopicPartition{topic, p})) {
    int64_t offset = batch->base_offset;
    for (const kafka::Record& rec : *batch->records) out.push_back({offset++, rec.value, batch->partition_leader_epoch});
  }
  return out;
}

std::vector<const sim::StoredEvent*> TestCluster::events(std::string_view kind, sim::NodeId node) const {
  std::vector<const sim::StoredEvent*> out;
  for (const sim::StoredEvent* e : trace_.of_kind(kind))
    if (e->node == node) out.push_back(e);
  return out;
}

}  // namespace kafkasim_test
