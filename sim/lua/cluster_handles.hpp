#pragma once
// The Lua handles of a Kafka cluster and its clients, shared by the cluster and group bindings.
#include <lua5.4/lua.hpp>

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "broker_model/broker/broker.hpp"
#include "broker_model/client/consumer.hpp"
#include "broker_model/client/producer.hpp"
#include "sim/check/client_outcomes.hpp"
#include "broker_model/controller/controller.hpp"
#include "sim/lua/caps.hpp"
#include "sim/lua/faults.hpp"

namespace sim::lua {

// Reads a table of Kafka config keys into cfg; `extra` keys belong to the caller and are
// skipped. Keys are visited in sorted order so the first error reported never depends on
// Lua's hash order.
void read_config(lua_State* L, int idx, kafka::ConfigSet& cfg, const std::string& what,
                 const std::vector<std::string>& extra);
// Traces (`config`) each key of cfg whose value differs from `defaults` (a ConfigSet's
// describe()), so the run's report can say what it changed from Kafka's defaults; with
// `only_set`, only the keys the scenario set.
void trace_config_changes(World& w, const std::string& entity, const kafka::ConfigSet& cfg, const std::map<std::string, std::string>& defaults,
                          bool only_set = false);
// A partition number argument (0 .. 2^31-1), or a ScenarioError naming `what`.
int32_t partition_arg(lua_State* L, int idx, const char* what);
// A topic name argument, legal by Kafka's rules (Topic.validate), or a ScenarioError.
std::string topic_arg(lua_State* L, int idx, const char* what);
void check_topic_name(const std::string& name, const std::string& what);

class Cluster;
class GroupHandle;

class GroupHandle final : public LuaObject {
 public:
  const char* kind() const override { return "group"; }
  Cluster* cluster = nullptr;
  std::string id;
  kafka::ConfigSet config;
  kafka::ConsumerApp app;
  bool static_members = false;
  const check::ClientOutcomes* outcomes = nullptr;  // where a restarted member learns its next op id
  std::vector<NodeId> members;  // each slot's current process, slots in the order they were added
  std::vector<bool> retired;    // scaled down
  std::vector<int> instances;   // processes started in each slot (m:replace() adds one)
};

class MemberHandle final : public LuaObject {
 public:
  const char* kind() const override { return "group member"; }
  GroupHandle* group = nullptr;
  NodeId node = kNoNode;
};

class ProducerHandle final : public LuaObject {
 public:
  const char* kind() const override { return "producer"; }
  Cluster* cluster = nullptr;
  NodeId node = kNoNode;
  std::string id;
  int64_t loads = 0;  // p:load calls so far
  // Transactions as the script calls them: whether the producer has a transactional.id, and
  // whether the script's calls so far leave a transaction open (p:begin without its p:commit
  // or p:abort). Misuse is caught here, at the call, so its error carries the script's line.
  bool transactional = false;
  bool in_transaction = false;
};

// c:store(name, options): the application's database, a node of its own.
class StoreHandle final : public LuaObject {
 public:
  const char* kind() const override { return "store"; }
  Cluster* cluster = nullptr;
  NodeId node = kNoNode;
  std::string name;
};
// p:begin, p:send_offsets, p:commit, p:abort (producer_txn_binding.cpp).
int l_producer_begin(lua_State* L);
int l_producer_send_offsets(lua_State* L);
int l_producer_commit(lua_State* L);
int l_producer_abort(lua_State* L);

class Cluster final : public FaultTarget {
 public:
  Cluster(World& w, kafka::KafkaVersion v) : world_(w), version(v), broker_config(kafka::ConfigScope::broker, v) {}
  const char* kind() const override { return "cluster"; }
  World& world() override { return world_; }

  std::vector<NodeId> nodes() override {
    std::vector<NodeId> out = {layout.controller};
    for (const auto& [b, n] : layout.brokers) out.push_back(n);
    out.insert(out.end(), clients.begin(), clients.end());
    for (const auto& [name, n] : layout.stores) out.push_back(n);
    return out;
  }

  NodeId resolve(lua_State* L, int idx, const std::string& what) override {
    if (lua_type(L, idx) == LUA_TNUMBER && lua_isinteger(L, idx)) {
      const lua_Integer b = lua_tointeger(L, idx);
      const NodeId n = layout.node_of(static_cast<kafka::BrokerId>(b));
      if (n == kNoNode) fail(fmt::format("{}: there is no broker {} (brokers are {})", what, b, broker_list()));
      return n;
    }
    if (lua_type(L, idx) == LUA_TSTRING) {
      const std::string name = lua_tostring(L, idx);
      std::vector<std::string> names;
      for (NodeId n : nodes()) {
        if (world_.name(n) == name) return n;
        names.emplace_back(world_.name(n));
      }
      fail(fmt::format("{}: there is no node named '{}'{}", what, name, suggestion(name, names)));
    }
    if (lua_type(L, idx) == LUA_TUSERDATA) {
      auto* box = static_cast<HandleBox*>(lua_touserdata(L, idx));
      if (auto* ph = box ? dynamic_cast<ProducerHandle*>(box->object) : nullptr) return ph->node;
      if (auto* mh = box ? dynamic_cast<MemberHandle*>(box->object) : nullptr) return mh->node;
      if (auto* sh = box ? dynamic_cast<StoreHandle*>(box->object) : nullptr) return sh->node;
    }
    fail(fmt::format("{}: expected a broker id, a node name, a client handle or a store, got {}", what, describe(L, idx)));
  }

  // A topic a client names: one the scenario did not declare will be auto-created (when the
  // brokers allow it) with num.partitions and default.replication.factor, and counts against
  // the cap from now on. It is known only once it fits: a script that catches the cap's error
  // and names the topic again meets the cap again.
  void client_names_topic(const std::string& topic, bool client_allows, const char* what) {
    if (topics.count(topic)) return;
    if (!client_allows || !broker_config.boolean("auto.create.topics.enable")) return;
    const int64_t rf = std::min<int64_t>(broker_config.integer("default.replication.factor"), static_cast<int64_t>(layout.brokers.size()));
    reserve_replicas(broker_config.integer("num.partitions") * std::max<int64_t>(rf, 1), what);
    topics.insert(topic);
  }

  // Counts partitions times replicas against the cap of one cluster.
  void reserve_replicas(int64_t n, const char* what) {
    if (n > caps::kReplicasPerCluster - replicas) {
      fail(fmt::format("{}: this would take the cluster past kafkasim's cap of {} partition replicas (partitions times "
                       "replication factor, over every topic)", what, caps::kReplicasPerCluster));
    }
    replicas += n;
  }

  // Checks that n more client processes fit under the cap of one run (one cluster a run).
  void reserve_clients(int64_t n, const char* what) const {
    if (n > caps::kClientProcesses - static_cast<int64_t>(clients.size())) {
      fail(fmt::format("{}: this would take the run past kafkasim's cap of {} client processes (producers and group "
                       "members, replaced and scaled-away ones included)", what, caps::kClientProcesses));
    }
  }

  std::string broker_list() const {
    std::string s;
    for (const auto& [b, n] : layout.brokers) s += (s.empty() ? "" : ", ") + std::to_string(b);
    return s;
  }
  kafka::Controller* controller() { return dynamic_cast<kafka::Controller*>(world_.node(layout.controller)); }
  kafka::Broker* broker(kafka::BrokerId b) {
    const NodeId n = layout.node_of(b);
    return n == kNoNode ? nullptr : dynamic_cast<kafka::Broker*>(world_.node(n));
  }
  // The partition as the controller sees it, or as a live broker last heard it.
  const kafka::PartitionState* partition(const std::string& topic, int32_t p) {
    if (auto* c = controller()) return c->partition(topic, p);
    for (const auto& [b, n] : layout.brokers)
      if (auto* br = broker(b))
        if (const auto* s = br->image().partition(topic, p)) return s;
    return nullptr;
  }

  World& world_;
  kafka::KafkaVersion version;
  kafka::ConfigSet broker_config;
  kafka::Bugs bugs;  // switched on for every broker and client of the cluster
  kafka::ClusterLayout layout;
  std::vector<ProducerHandle*> producers;
  std::vector<NodeId> clients;  // producer and consumer nodes, every one the run started
  bool offsets_topic_requested = false;
  bool transaction_state_topic_requested = false;
  int64_t replicas = 0;  // partition replicas of every topic so far
  std::set<std::string> topics;  // declared, or named by a client and so auto-created
};


}  // namespace sim::lua
