// cluster { ... } and its handles: topics, producers, queries and the fault methods.
#include "sim/lua/cluster.hpp"
#include "sim/lua/app_binding.hpp"
#include "sim/lua/cluster_handles.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "broker_model/broker/broker.hpp"
#include "broker_model/cluster_builder.hpp"
#include "broker_model/client/producer.hpp"
#include "broker_model/controller/controller.hpp"
#include "broker_model/log/log_files.hpp"
#include "broker_model/trace_schema.hpp"
#include "sim/lua/bindings.hpp"
#include "sim/lua/caps.hpp"
#include "sim/lua/faults.hpp"
#include "sim/lua/record_headers.hpp"
#include "sim/lua/runtime.hpp"
#include "sim/escape.hpp"

namespace sim::lua {

// Reads a table of Kafka config keys into cfg; `extra` keys belong to the caller and are
// skipped. Keys are visited in sorted order so the first error reported never depends on
// Lua's hash order.
namespace {
// The string at idx, counted as text the scenario hands to the simulator.
std::string taken_text(lua_State* L, int idx) {
  size_t len = 0;
  const char* s = lua_tolstring(L, idx, &len);
  Sandbox::of(L).take_text(L, len);
  return std::string(s, len);
}
}  // namespace

void read_config(lua_State* L, int idx, kafka::ConfigSet& cfg, const std::string& what,
                 const std::vector<std::string>& extra) {
  idx = lua_absindex(L, idx);
  if (lua_type(L, idx) != LUA_TTABLE) fail(fmt::format("{}: expected a table of settings, got {}", what, describe(L, idx)));
  std::vector<std::string> keys;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING) fail(fmt::format("{}: keys must be names", what));
    keys.emplace_back(lua_tostring(L, -1));
  }
  std::sort(keys.begin(), keys.end());
  std::vector<std::string> known = kafka::known_keys(cfg.scope());
  known.insert(known.end(), extra.begin(), extra.end());
  for (const std::string& key : keys) {
    if (std::find(extra.begin(), extra.end(), key) != extra.end()) continue;
    lua_getfield(L, idx, key.c_str());
    kafka::RawValue raw;
    switch (lua_type(L, -1)) {
      case LUA_TBOOLEAN: raw = lua_toboolean(L, -1) != 0; break;
      case LUA_TNUMBER:
        if (lua_isinteger(L, -1)) raw = static_cast<int64_t>(lua_tointeger(L, -1));
        else raw = lua_tonumber(L, -1);
        break;
      case LUA_TSTRING: raw = taken_text(L, -1); break;
      case LUA_TTABLE: {
        // A list value, such as partition.assignment.strategy = { "range", "cooperative-sticky" }.
        std::vector<std::string> items;
        for (lua_Integer i = 1; i <= static_cast<lua_Integer>(lua_rawlen(L, -1)); ++i) {
          lua_rawgeti(L, -1, i);
          if (lua_type(L, -1) != LUA_TSTRING) fail(fmt::format("{}: {}[{}] must be a string", what, key, i));
          items.push_back(taken_text(L, -1));
          lua_pop(L, 1);
        }
        raw = std::move(items);
        break;
      }
      default: fail(fmt::format("{}: {} must be a number, a string or a boolean, got {}", what, key, describe(L, -1)));
    }
    lua_pop(L, 1);
    const std::string error = cfg.set(key, raw);
    if (!error.empty()) {
      if (error.rfind("unknown config", 0) == 0) {
        fail(fmt::format("{}: unknown setting '{}'{}", what, key, suggestion(key, known)));
      }
      fail(fmt::format("{}: {}", what, error));
    }
  }
}

void trace_config_changes(World& w, const std::string& entity, const kafka::ConfigSet& cfg, const std::map<std::string, std::string>& defaults,
                          bool only_set) {
  for (const kafka::ConfigChange& c : kafka::config_changes(cfg, defaults)) {
    if (c.key == "group.id" || (only_set && !c.set)) continue;  // group.id: the group's name, said by the entity
    w.emit(kafka::event::ConfigChange{.entity = entity, .key = c.key, .value = c.value, .kafka_default = c.default_value, .set = c.set});
  }
}

namespace {

constexpr const char* kClusterMeta = "kafkasim.cluster";

// A topic's defaults: Kafka's for the version, with the brokers' value for every key the
// brokers also have (a topic created without overrides takes theirs).
std::map<std::string, std::string> topic_cfg_defaults(const Cluster& c) {
  std::map<std::string, std::string> defaults = kafka::default_config(kafka::ConfigScope::topic, c.version).describe();
  const auto brokers = c.broker_config.describe();
  for (auto& [key, value] : defaults)
    if (auto b = brokers.find(key); b != brokers.end()) value = b->second;
  return defaults;
}
constexpr const char* kProducerMeta = "kafkasim.producer";

Cluster& self(lua_State* L) { return check_object<Cluster>(L, 1, "a cluster"); }

// Invariants a --paranoid run checks after every event. They read node state and change nothing.
}  // namespace

// Kafka's Topic.validate: what a topic name may be.
void check_topic_name(const std::string& name, const std::string& what) {
  if (name.empty() || name == "." || name == "..") fail(fmt::format("{}: \"{}\" is not a topic name", what, name));
  if (name.size() > 249) fail(fmt::format("{}: a topic name is at most 249 characters", what));
  for (char ch : name) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
                    ch == '_' || ch == '-';
    if (!ok) {
      fail(fmt::format("{}: \"{}\" is not a legal topic name: Kafka allows only ASCII letters, digits, '.', '_' and '-'", what,
                       valid_utf8(name)));
    }
  }
}

std::string topic_arg(lua_State* L, int idx, const char* what) {
  if (lua_type(L, idx) != LUA_TSTRING) fail(fmt::format("{}: expected a topic name, got {}", what, describe(L, idx)));
  std::string name = lua_tostring(L, idx);
  check_topic_name(name, what);
  return name;
}

int32_t partition_arg(lua_State* L, int idx, const char* what) {
  const auto p = to_whole(L, idx);
  if (!p || *p < 0 || *p > INT32_MAX) fail(fmt::format("{}: expected a partition number, got {}", what, describe(L, idx)));
  return static_cast<int32_t>(*p);
}

void ensure_internal_topic(Cluster& c, const InternalTopic& t) {
  if (c.*t.requested) return;
  c.*t.requested = true;
  // A scenario may have declared the topic itself (to place its replicas): then it exists, as
  // for Kafka's auto-creation of a topic that does.
  if (c.topics.count(t.name)) return;
  kafka::TopicSpec spec;
  spec.name = t.name;
  const int64_t partitions = c.broker_config.integer(t.partitions_key);
  const int64_t rf =
      std::min<int64_t>(c.broker_config.integer(t.replication_factor_key), static_cast<int64_t>(c.layout.brokers.size()));
  if (partitions > caps::kPartitionsPerTopic) {
    fail(fmt::format("{}: {} = {} is more than kafkasim's cap of {} partitions per topic", t.who, t.partitions_key, partitions,
                     caps::kPartitionsPerTopic));
  }
  const std::string what = fmt::format("{} (creating {})", t.who, t.name);
  c.reserve_replicas(partitions * rf, what.c_str());
  spec.partitions = static_cast<int32_t>(partitions);
  spec.replication_factor = static_cast<int32_t>(rf);
  if (t.min_isr_key) spec.min_insync_replicas = c.broker_config.integer(t.min_isr_key);
  if (!kafka::create_topic(c.world(), c.layout, spec)) fail(fmt::format("{}: the controller is not running", t.who));
}

namespace {

void push_ids(lua_State* L, const std::vector<kafka::BrokerId>& ids) {
  lua_newtable(L);
  for (size_t i = 0; i < ids.size(); ++i) {
    lua_pushinteger(L, ids[i]);
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
}

// ---- cluster { ... } ----

// cluster.racks: rack names, assigned to brokers in turn.
std::vector<std::string> read_racks(lua_State* L, TableReader& r) {
  std::vector<std::string> racks;
  if (!r.has("racks")) return racks;
  const int idx = r.push("racks");
  if (lua_type(L, idx) != LUA_TTABLE) fail("cluster.racks: expected a list of rack names, assigned to brokers in turn");
  for (lua_Integer i = 1; i <= static_cast<lua_Integer>(lua_rawlen(L, idx)); ++i) {
    lua_rawgeti(L, idx, i);
    if (lua_type(L, -1) != LUA_TSTRING) fail(fmt::format("cluster.racks[{}]: expected a rack name", i));
    racks.emplace_back(lua_tostring(L, -1));
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return racks;
}

// cluster.bugs at idx: the names of the bug switches to turn on.
void read_bugs(lua_State* L, int idx, kafka::Bugs& bugs) {
  if (lua_type(L, idx) != LUA_TTABLE) fail("cluster.bugs: expected a list of bug switch names, such as { \"acks_all_before_isr\" }");
  for (lua_Integer i = 1; i <= static_cast<lua_Integer>(lua_rawlen(L, idx)); ++i) {
    lua_rawgeti(L, idx, i);
    const char* name = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : nullptr;
    if (!name || !bugs.enable(name)) {
      std::string known;
      for (const auto& k : kafka::Bugs::names()) known += (known.empty() ? "" : ", ") + k;
      fail(fmt::format("cluster.bugs[{}]: not a bug switch (known: {})", i, known));
    }
    lua_pop(L, 1);
  }
}

// What the checker reads of the cluster at the end of the run: every record in any replica's
// final log (the page cache of live brokers included), and each live replica's log with its HW.
void report_final_logs(Runtime& rt, Cluster* cluster) {
  rt.on_final_state([cluster](check::GroundTruth& truth) {
    truth.txn_max_timeout_ns = cluster->broker_config.integer("transaction.max.timeout.ms") * 1'000'000;
    for (const auto& [b, node] : cluster->layout.brokers) {
      Disk& disk = cluster->world().disk(node);
      for (const std::string& file : disk.list()) {
        const auto tp = kafka::log_files::partition_of_log(file);
        if (!tp) continue;
        const std::string partition = tp->to_string();
        // A live replica's log with its HW, for the replica consistency check.
        const kafka::Broker* br = cluster->broker(b);
        const kafka::Partition* replica = br ? br->partition(tp->topic, tp->partition) : nullptr;
        check::ReplicaLog* log = nullptr;
        if (replica) {
          log = &truth.replicas[partition].emplace_back();
          log->replica = kafka::broker_node_name(b);
          log->high_watermark = replica->log->high_watermark();
        }
        // Each producer's open transaction in this log: the offsets its records took.
        std::map<int64_t, std::vector<int64_t>> open_txns;
        for (const kafka::BatchPtr& batch : kafka::log_files::read_batches(disk, *tp)) {
          // A transaction marker is not a record any application wrote or reads; it ends its
          // producer's transaction here.
          if (batch->control) {
            auto open = open_txns.find(batch->producer_id);
            if (open == open_txns.end()) continue;
            if (log && batch->control_type == kafka::ControlType::abort)
              truth.aborted[partition][log->replica].insert(open->second.begin(), open->second.end());
            open_txns.erase(open);
            continue;
          }
          int64_t offset = batch->base_offset;
          for (const kafka::Record& rec : *batch->records) {
            truth.final_logs[partition].insert(rec.value);
            if (log) log->records.emplace_back(offset, rec.value);
            if (batch->transactional) open_txns[batch->producer_id].push_back(offset);
            ++offset;
          }
        }
      }
    }
  });
}

int l_cluster(lua_State* L) {
  Runtime& rt = Runtime::of(L);
  World& w = rt.world();
  TableReader r(L, 1, "cluster", {"brokers", "controllers", "racks", "network", "broker", "bugs"});
  if (rt.has_cluster()) fail("cluster { ... } is declared twice: a scenario has one cluster");
  const int64_t n = r.integer("brokers").value_or(3);
  if (n < 1 || n > 100) fail("cluster.brokers: between 1 and 100 brokers");
  for (int64_t b = 0; b <= n; ++b) {
    const std::string name = b == 0 ? kafka::kControllerNodeName : kafka::broker_node_name(static_cast<kafka::BrokerId>(b));
    if (w.find(name)) fail(fmt::format("cluster: a node of the scenario is already named '{}', the name of a cluster node", name));
  }
  if (r.integer("controllers").value_or(1) != 1) {
    fail("cluster.controllers: only a single controller is modelled so far (see docs/fidelity.md)");
  }
  const auto version = kafka::KafkaVersion::parse(rt.info().kafka_version).value_or(kafka::KafkaVersion{});
  auto c = std::make_unique<Cluster>(w, version);
  if (r.has("broker")) {
    read_config(L, r.push("broker"), c->broker_config, "cluster.broker", {});
    lua_pop(L, 1);
  }
  if (const std::string error = kafka::finalize_broker(c->broker_config); !error.empty()) fail("cluster.broker: " + error);
  trace_config_changes(w, "brokers", c->broker_config, kafka::default_config(kafka::ConfigScope::broker, version).describe());
  kafka::ClusterSpec spec;
  spec.brokers = static_cast<int32_t>(n);
  spec.racks = read_racks(L, r);
  if (r.has("bugs")) {
    read_bugs(L, r.push("bugs"), c->bugs);
    lua_pop(L, 1);
  }
  spec.broker_config = c->broker_config;
  spec.bugs = c->bugs;
  c->layout = kafka::add_cluster_nodes(w, spec);
  if (r.has("network")) {
    configure_network(w, L, r.push("network"), "cluster.network");
    lua_pop(L, 1);
  }
  kafka::start_cluster(w, c->layout, spec);
  report_final_logs(rt, c.get());
  rt.adopt(L, std::move(c), kClusterMeta);
  rt.set_has_cluster();
  return 1;
}

// The manual assignment { {1,2,3}, {2,3,1} }, checked as Kafka's controller checks it
// (ReplicationControlManager.validateManualPartitionAssignment).
std::vector<std::vector<kafka::BrokerId>> read_assignment(lua_State* L, int idx, Cluster& c) {
  if (lua_type(L, idx) != LUA_TTABLE) fail("topic.replicas: a list, per partition, of broker lists: { {1,2,3}, {2,3,1} }");
  const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, idx));
  if (n < 1) fail("topic.replicas: give one list of brokers per partition");
  if (n > caps::kPartitionsPerTopic) fail(fmt::format("topic.replicas: at most {} partitions per topic", caps::kPartitionsPerTopic));
  std::vector<std::vector<kafka::BrokerId>> out;
  for (lua_Integer p = 1; p <= n; ++p) {
    lua_rawgeti(L, idx, p);
    if (lua_type(L, -1) != LUA_TTABLE) fail(fmt::format("topic.replicas[{}]: expected a list of broker ids, got {}", p, describe(L, -1)));
    const lua_Integer m = static_cast<lua_Integer>(lua_rawlen(L, -1));
    if (m < 1) fail(fmt::format("topic.replicas[{}]: The manual partition assignment includes an empty replica list.", p));
    std::vector<kafka::BrokerId> replicas;
    for (lua_Integer i = 1; i <= m; ++i) {
      lua_rawgeti(L, -1, i);
      const auto id = to_whole(L, -1);
      if (!id) fail(fmt::format("topic.replicas[{}][{}]: expected a broker id, got {}", p, i, describe(L, -1)));
      const int64_t b = *id;
      if (b < INT32_MIN || b > INT32_MAX || c.layout.node_of(static_cast<kafka::BrokerId>(b)) == kNoNode) {
        fail(fmt::format("topic.replicas[{}]: The manual partition assignment includes broker {}, but no such broker is "
                         "registered (brokers are {}).", p, b, c.broker_list()));
      }
      if (std::find(replicas.begin(), replicas.end(), static_cast<kafka::BrokerId>(b)) != replicas.end()) {
        fail(fmt::format("topic.replicas[{}]: The manual partition assignment includes the broker {} more than once.", p, b));
      }
      replicas.push_back(static_cast<kafka::BrokerId>(b));
      lua_pop(L, 1);
    }
    if (!out.empty() && replicas.size() != out.back().size()) {
      fail(fmt::format("topic.replicas[{}]: The manual partition assignment includes a partition with {} replica(s), but "
                       "this is not consistent with previous partitions, which have {} replica(s).",
                       p, replicas.size(), out.back().size()));
    }
    out.push_back(std::move(replicas));
    lua_pop(L, 1);
  }
  return out;
}

int l_topic(lua_State* L) {
  Cluster& c = self(L);
  kafka::TopicSpec spec;
  spec.name = topic_arg(L, 2, "topic(name, options)");
  if (c.topics.count(spec.name)) fail(fmt::format("topic: '{}' is declared twice (or a client named it first, so it was auto-created)", spec.name));
  kafka::ConfigSet topic_cfg(kafka::ConfigScope::topic, c.version);
  int64_t partitions = c.broker_config.integer("num.partitions");
  int64_t rf = c.broker_config.integer("default.replication.factor");
  if (!lua_isnoneornil(L, 3)) {
    TableReader r(L, 3, "topic options", {"partitions", "replication_factor", "replicas", "min.insync.replicas",
                                          "unclean.leader.election.enable", "flush.messages", "flush.ms"});
    if (r.has("replicas")) {
      spec.assignment = read_assignment(L, r.push("replicas"), c);
      lua_pop(L, 1);
      // The assignment says how many partitions and replicas; options that disagree are an error.
      if (auto n = r.integer("partitions"); n && *n != static_cast<int64_t>(spec.assignment.size())) {
        fail(fmt::format("topic.replicas: {} lists for {} partitions", spec.assignment.size(), *n));
      }
      if (auto n = r.integer("replication_factor"); n && *n != static_cast<int64_t>(spec.assignment.front().size())) {
        fail(fmt::format("topic.replicas: lists of {} brokers for replication_factor {}", spec.assignment.front().size(), *n));
      }
      partitions = static_cast<int64_t>(spec.assignment.size());
      rf = static_cast<int64_t>(spec.assignment.front().size());
    } else {
      partitions = r.integer("partitions").value_or(partitions);
      rf = r.integer("replication_factor").value_or(rf);
    }
    read_config(L, 3, topic_cfg, "topic options", {"partitions", "replication_factor", "replicas"});
  }
  if (partitions < 1) fail(fmt::format("topic.partitions: {}: Number of partitions was set to an invalid non-positive value.", partitions));
  if (partitions > caps::kPartitionsPerTopic) {
    fail(fmt::format("topic.partitions: {} is more than kafkasim's cap of {} partitions per topic", partitions, caps::kPartitionsPerTopic));
  }
  const auto brokers = static_cast<int64_t>(c.layout.brokers.size());
  if (rf < 1) fail(fmt::format("topic.replication_factor: {}: Replication factor must be larger than 0.", rf));
  if (rf > brokers) {
    fail(fmt::format("topic.replication_factor: {} is more than the {} brokers of the cluster", rf, brokers));
  }
  c.reserve_replicas(partitions * rf, "topic");
  c.topics.insert(spec.name);
  spec.partitions = static_cast<int32_t>(partitions);
  spec.replication_factor = static_cast<int32_t>(rf);
  if (topic_cfg.is_explicit("min.insync.replicas")) spec.min_insync_replicas = topic_cfg.integer("min.insync.replicas");
  if (topic_cfg.is_explicit("unclean.leader.election.enable")) {
    spec.unclean_leader_election = topic_cfg.boolean("unclean.leader.election.enable") ? 1 : 0;
  }
  if (topic_cfg.is_explicit("flush.messages")) spec.flush_messages = topic_cfg.integer("flush.messages");
  if (topic_cfg.is_explicit("flush.ms")) spec.flush_ms = topic_cfg.integer("flush.ms");
  if (!kafka::create_topic(c.world(), c.layout, spec)) fail("topic: the controller is not running");
  // A topic's keys override the brokers' (min.insync.replicas...): its defaults are theirs.
  std::map<std::string, std::string> defaults = topic_cfg_defaults(c);
  trace_config_changes(c.world(), "topic " + spec.name, topic_cfg, defaults, true);
  return 0;
}

}  // namespace

// Kafka creates __transaction_state at the first FindCoordinator for a transactional id (with
// transaction.state.log.min.isr as its min.insync.replicas); here, with the first
// transactional producer, as __consumer_offsets comes with the first group.
void ensure_transaction_state_topic(Cluster& c, const char* what) {
  ensure_internal_topic(c, {"__transaction_state", "transaction.state.log.num.partitions",
                            "transaction.state.log.replication.factor", "transaction.state.log.min.isr", what,
                            &Cluster::transaction_state_topic_requested});
}

namespace {

int l_producer(lua_State* L) {
  Cluster& c = self(L);
  Runtime& rt = Runtime::of(L);
  const std::string id = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "";
  if (id.empty()) fail("producer(id, config): give the producer a name, e.g. c:producer(\"orders\", { acks = \"all\" })");
  if (c.world().find(id)) fail(fmt::format("producer: the name '{}' is taken", id));
  kafka::ConfigSet cfg(kafka::ConfigScope::producer, c.version);
  if (!lua_isnoneornil(L, 3)) read_config(L, 3, cfg, "producer config", {});
  if (const std::string error = kafka::finalize_producer(cfg); !error.empty()) fail("producer config: " + error);
  trace_config_changes(c.world(), "producer " + id, cfg, kafka::default_config(kafka::ConfigScope::producer, c.version).describe());
  c.reserve_clients(1, "producer");
  if (!cfg.string("transactional.id").empty()) ensure_transaction_state_topic(c, "producer");
  auto handle = std::make_unique<ProducerHandle>();
  handle->cluster = &c;
  handle->id = id;
  handle->transactional = !cfg.string("transactional.id").empty();
  const check::ClientOutcomes* outcomes = &rt.client_outcomes();
  handle->node = kafka::start_producer(
      c.world(), c.layout, id, cfg, [outcomes](const std::string& process) { return outcomes->next_op(process); }, c.bugs);
  c.producers.push_back(handle.get());
  c.clients.push_back(handle->node);
  rt.register_producer(id);
  const NodeId node = handle->node;
  rt.on_drain([node](World& w) { w.invoke(node, [](Node& n, Context&) { static_cast<kafka::Producer&>(n).stop_load(); }); });
  rt.adopt(L, std::move(handle), kProducerMeta);
  return 1;
}

// ---- queries ----

int l_leader(lua_State* L) {
  Cluster& c = self(L);
  const auto* s = c.partition(topic_arg(L, 2, "leader(topic, partition)"), partition_arg(L, 3, "leader(topic, partition)"));
  if (!s || s->leader == kafka::kNoLeader) lua_pushnil(L);
  else lua_pushinteger(L, s->leader);
  return 1;
}

int l_isr(lua_State* L) {
  Cluster& c = self(L);
  const auto* s = c.partition(topic_arg(L, 2, "isr(topic, partition)"), partition_arg(L, 3, "isr(topic, partition)"));
  push_ids(L, s ? s->isr : std::vector<kafka::BrokerId>{});
  return 1;
}

int l_replicas(lua_State* L) {
  Cluster& c = self(L);
  const auto* s = c.partition(topic_arg(L, 2, "replicas(topic, partition)"), partition_arg(L, 3, "replicas(topic, partition)"));
  push_ids(L, s ? s->replicas : std::vector<kafka::BrokerId>{});
  return 1;
}

int l_hw(lua_State* L) {
  Cluster& c = self(L);
  const std::string topic = topic_arg(L, 2, "hw(topic, partition)");
  const int32_t p = partition_arg(L, 3, "hw(topic, partition)");
  const auto* s = c.partition(topic, p);
  const kafka::Broker* b = s && s->leader != kafka::kNoLeader ? c.broker(s->leader) : nullptr;
  const kafka::Partition* r = b ? b->partition(topic, p) : nullptr;
  if (!r) lua_pushnil(L);
  else lua_pushinteger(L, r->log->high_watermark());
  return 1;
}

// The batches of a replica's log as its disk holds them (the page cache included).
std::vector<kafka::BatchPtr> disk_log(Cluster& c, kafka::BrokerId b, const std::string& topic, int32_t p) {
  return kafka::log_files::read_batches(c.world().disk(c.layout.node_of(b)), kafka::TopicPartition{topic, p});
}

int l_leo(lua_State* L) {
  Cluster& c = self(L);
  const NodeId node = c.resolve(L, 2, "leo(broker, topic, partition)");
  const kafka::BrokerId b = c.layout.broker_of(node);
  if (b == kafka::kNoLeader) fail("leo: the first argument must be a broker");
  const auto batches = disk_log(c, b, topic_arg(L, 3, "leo(broker, topic, partition)"), partition_arg(L, 4, "leo(broker, topic, partition)"));
  lua_pushinteger(L, batches.empty() ? 0 : batches.back()->next_offset());
  return 1;
}

int l_log(lua_State* L) {
  Cluster& c = self(L);
  const NodeId node = c.resolve(L, 2, "log(broker, topic, partition)");
  const kafka::BrokerId b = c.layout.broker_of(node);
  if (b == kafka::kNoLeader) fail("log: the first argument must be a broker");
  const auto batches = disk_log(c, b, topic_arg(L, 3, "log(broker, topic, partition)"), partition_arg(L, 4, "log(broker, topic, partition)"));
  lua_newtable(L);
  lua_Integer i = 0;
  for (const auto& batch : batches) {
    for (size_t k = 0; k < batch->records->size(); ++k) {
      const kafka::Record& rec = (*batch->records)[k];
      lua_newtable(L);
      set_field(L, "offset", static_cast<lua_Integer>(batch->base_offset + static_cast<int64_t>(k)));
      if (rec.has_key) {
        set_field(L, "key", std::string_view(rec.key));
      }
      set_field(L, "value", std::string_view(rec.value));
      set_field(L, "epoch", static_cast<lua_Integer>(batch->partition_leader_epoch));
      lua_rawseti(L, -2, ++i);
    }
  }
  return 1;
}

int l_controller(lua_State* L) {
  Cluster& c = self(L);
  lua_pushstring(L, std::string(c.world().name(c.layout.controller)).c_str());
  return 1;
}

int l_brokers_down(lua_State* L) {
  Cluster& c = self(L);
  std::vector<kafka::BrokerId> down;
  for (const auto& [b, n] : c.layout.brokers)
    if (!c.world().alive(n)) down.push_back(b);
  push_ids(L, down);
  return 1;
}

int l_brokers(lua_State* L) {
  Cluster& c = self(L);
  push_ids(L, c.layout.broker_ids());
  return 1;
}

// ---- producers ----

ProducerHandle& producer(lua_State* L) { return check_object<ProducerHandle>(L, 1, "a producer"); }

int64_t value_size(int64_t bytes, const char* what) {
  if (bytes < 0 || bytes > caps::kValueBytes) fail(fmt::format("{}: between 0 and {} bytes (kafkasim's cap)", what, caps::kValueBytes));
  return bytes;
}

// Calls the send callback at registry reference `ref` with the record's outcome.
void call_send_callback(Sandbox& sb, int ref, const kafka::SendResult& res) {
  sb.protected_call("send callback", [&](lua_State* S) {
    lua_rawgeti(S, LUA_REGISTRYINDEX, ref);
    luaL_unref(S, LUA_REGISTRYINDEX, ref);
    lua_newtable(S);
    set_field(S, "outcome", std::string_view(res.outcome == kafka::Outcome::ok     ? "ok"
                                             : res.outcome == kafka::Outcome::fail ? "fail"
                                                                                   : "info"));
    set_field(S, "partition", static_cast<lua_Integer>(res.partition));
    set_field(S, "offset", static_cast<lua_Integer>(res.offset));
    set_field(S, "error", kafka::error_name(res.error));
    lua_call(S, 1, 0);
  });
}

int l_send(lua_State* L) {
  ProducerHandle& p = producer(L);
  kafka::SendSpec spec;
  spec.topic = topic_arg(L, 2, "send(topic, record)");
  if (p.transactional && !p.in_transaction) {
    // TransactionManager.maybeAddPartition's IllegalStateException.
    fail(fmt::format("send: the producer '{}' is transactional: its sends go inside a transaction, p:begin() ... "
                     "p:commit() (Kafka: \"Cannot add partition ... to transaction while in state READY\")", p.id));
  }
  p.cluster->client_names_topic(spec.topic, true, "send");
  bool sync = false;
  int callback_ref = LUA_NOREF;
  if (!lua_isnoneornil(L, 3)) {
    TableReader r(L, 3, "send record", {"key", "value", "partition", "sync", "value_size", "callback", "headers"});
    spec.key = r.string("key");
    spec.value = r.string("value");
    if (spec.value && spec.value->size() > static_cast<size_t>(caps::kValueBytes)) {
      fail(fmt::format("send record.value: at most {} bytes (kafkasim's cap)", caps::kValueBytes));
    }
    if (auto part = r.integer("partition")) {
      // ProducerRecord's constructor; a partition past the topic's count fails the send later,
      // after max.block.ms, as in Kafka.
      if (*part < 0 || *part > INT32_MAX) {
        fail(fmt::format("send record.partition: Invalid partition: {}. Partition number should always be non-negative "
                         "(and a 32-bit integer).", *part));
      }
      spec.partition = static_cast<int32_t>(*part);
    }
    if (auto size = r.integer("value_size")) spec.value_bytes = static_cast<uint32_t>(value_size(*size, "send record.value_size"));
    sync = r.boolean("sync").value_or(false);
    if (r.has("headers")) spec.headers = read_headers(L, r.push("headers"), r.name("headers"));
    if (r.has("callback")) {
      const int idx = r.push("callback");
      if (lua_type(L, idx) != LUA_TFUNCTION) fail("send record.callback: expected a function(result)");
      callback_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    }
  }
  kafka::Producer::Callback done;
  if (callback_ref != LUA_NOREF) {
    // The application's callback, in Lua: called with the record's outcome, as an event of its
    // own at the instant the send completed (Kafka calls it on the producer's I/O thread). It
    // never runs inside the producer's update, which an error in it would leave half done, nor
    // inside the scenario's call that sent (an acks=0 send completes within p:send).
    Runtime* rt = &Runtime::of(L);
    done = [rt, callback_ref](Context&, const kafka::SendResult& res) {
      World& w = rt->world();
      w.scheduler().at(w.now(), [rt, callback_ref, res] { call_send_callback(rt->sandbox(), callback_ref, res); });
    };
  }
  if (!p.cluster->world().invoke(p.node, [spec, sync, done](Node& n, Context& ctx) {
        static_cast<kafka::Producer&>(n).app_send(ctx, spec, sync, done);
      })) {
    fail(fmt::format("send: the producer '{}' is not running", p.id));
  }
  return 0;
}

int l_load(lua_State* L) {
  ProducerHandle& p = producer(L);
  if (p.transactional) fail(fmt::format("load: the producer '{}' is transactional; a load sends outside transactions", p.id));
  TableReader r(L, 2, "load", {"topic", "rate", "count", "keys", "value_size", "sync", "threads"});
  kafka::LoadSpec spec;
  auto topic = r.string("topic");
  if (!topic) fail("load: topic is required");
  check_topic_name(*topic, "load.topic");
  spec.topic = *topic;
  p.cluster->client_names_topic(spec.topic, true, "load");
  spec.rate = r.number("rate").value_or(100);
  if (!(spec.rate > 0) || spec.rate > caps::kLoadRate) {
    fail(fmt::format("load.rate: records per simulated second, above 0 and at most kafkasim's cap of {:.0f}", caps::kLoadRate));
  }
  spec.count = r.integer("count").value_or(-1);
  if (spec.count < -1) fail("load.count: a number of records (or leave it out to send until the scenario ends)");
  spec.value_size = static_cast<uint32_t>(value_size(r.integer("value_size").value_or(100), "load.value_size"));
  spec.sync = r.boolean("sync").value_or(false);
  const int64_t threads = r.integer("threads").value_or(1);
  if (threads < 1 || threads > caps::kLoadThreads) fail(fmt::format("load.threads: between 1 and {}", caps::kLoadThreads));
  spec.threads = static_cast<int32_t>(threads);
  if (++p.loads > caps::kLoadsPerProducer) {
    fail(fmt::format("load: at most {} loads per producer (kafkasim's cap)", caps::kLoadsPerProducer));
  }
  if (r.has("keys")) {
    const int idx = r.push("keys");
    if (lua_type(L, idx) == LUA_TNUMBER) {
      const auto whole = to_whole(L, idx);
      if (!whole) fail(fmt::format("load.keys: a whole number of distinct keys, got {}", describe(L, idx)));
      const int64_t n = *whole;
      if (n < 1 || n > caps::kLoadKeys) {
        fail(fmt::format("load.keys: a number of distinct keys between 1 and kafkasim's cap of {}, or a list of keys",
                         caps::kLoadKeys));
      }
      for (int64_t i = 0; i < n; ++i) spec.keys.push_back(fmt::format("k{}", i));
    } else if (lua_type(L, idx) == LUA_TTABLE) {
      for (lua_Integer i = 1; i <= static_cast<lua_Integer>(lua_rawlen(L, idx)); ++i) {
        lua_rawgeti(L, idx, i);
        size_t len = 0;
        const char* k = display_tolstring(L, -1, &len);
        Runtime::of(L).sandbox().take_text(L, len);
        spec.keys.emplace_back(k, len);
        lua_pop(L, 2);
      }
    } else {
      fail("load.keys: a number of distinct keys or a list of keys");
    }
    lua_pop(L, 1);
  }
  if (!p.cluster->world().invoke(p.node, [spec](Node& n, Context& ctx) { static_cast<kafka::Producer&>(n).start_load(ctx, spec); })) {
    fail(fmt::format("load: the producer '{}' is not running", p.id));
  }
  return 0;
}

int l_acked(lua_State* L) {
  ProducerHandle& p = producer(L);
  const check::ClientOutcomes& seen = Runtime::of(L).client_outcomes();
  lua_newtable(L);
  lua_Integer i = 0;
  for (const auto& a : seen.producer(p.id).acked) {
    lua_newtable(L);
    set_field(L, "topic", std::string_view(seen.topic(a.topic)));
    set_field(L, "partition", static_cast<lua_Integer>(a.partition));
    set_field(L, "offset", static_cast<lua_Integer>(a.offset));
    if (a.has_key) set_field(L, "key", seen.text(a.key));
    set_field(L, "value", seen.text(a.value));
    lua_rawseti(L, -2, ++i);
  }
  return 1;
}

// { p50, p99, max } of the acknowledged sends' latencies in milliseconds, by nearest rank (the
// smallest latency at least that share of the sends had); an empty table before any
// acknowledgement.
void push_latency_ms(lua_State* L, const std::deque<int64_t>& latencies_ns) {
  lua_newtable(L);
  if (latencies_ns.empty()) return;
  std::vector<int64_t> sorted(latencies_ns.begin(), latencies_ns.end());
  std::sort(sorted.begin(), sorted.end());
  auto rank = [&](double q) {
    const size_t n = sorted.size();
    const size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(n)));
    return sorted[std::min(n, std::max<size_t>(i, 1)) - 1];
  };
  auto set = [&](const char* k, int64_t ns) {
    lua_pushnumber(L, static_cast<double>(ns) / 1e6);
    lua_setfield(L, -2, k);
  };
  set("p50", rank(0.50));
  set("p99", rank(0.99));
  set("max", sorted.back());
}

int l_producer_stats(lua_State* L) {
  ProducerHandle& p = producer(L);
  lua_newtable(L);
  auto set = [&](const char* k, uint64_t v) {
    lua_pushinteger(L, static_cast<lua_Integer>(v));
    lua_setfield(L, -2, k);
  };
  const check::ProducerOutcomes& o = Runtime::of(L).client_outcomes().producer(p.id);
  set("sent", o.sent);
  set("ok", o.ok);
  set("failed", o.failed);
  set("indefinite", o.indefinite);
  set("pending", o.sent - o.ok - o.failed - o.indefinite);
  lua_newtable(L);
  for (const auto& [name, n] : o.errors) set(name.c_str(), n);
  lua_setfield(L, -2, "errors");
  lua_newtable(L);
  for (const auto& [name, n] : o.causes) set(name.c_str(), n);
  lua_setfield(L, -2, "causes");
  push_latency_ms(L, o.latencies_ns);
  lua_setfield(L, -2, "latency_ms");
  return 1;
}

int l_producer_crash(lua_State* L) {
  ProducerHandle& p = producer(L);
  if (!p.cluster->world().crash(p.node)) fail(fmt::format("crash: the producer '{}' is not running", p.id));
  p.in_transaction = false;  // a restarted process begins with no transaction open
  return 0;
}

int l_producer_restart(lua_State* L) {
  ProducerHandle& p = producer(L);
  if (!p.cluster->world().restart(p.node)) fail(fmt::format("restart: the producer '{}' is running", p.id));
  return 0;
}

}  // namespace

void register_cluster(lua_State* L) {
  static const luaL_Reg methods[] = {
      {"topic", guarded<l_topic>},       {"producer", guarded<l_producer>},  {"leader", guarded<l_leader>},
      {"isr", guarded<l_isr>},           {"replicas", guarded<l_replicas>},  {"hw", guarded<l_hw>},
      {"leo", guarded<l_leo>},           {"log", guarded<l_log>},            {"controller", guarded<l_controller>},
      {"brokers_down", guarded<l_brokers_down>}, {"brokers", guarded<l_brokers>}, {"group", cluster_group},
      {"store", cluster_store},
      {nullptr, nullptr}};
  register_handle(L, kClusterMeta, "cluster", methods, /*with_faults=*/true);

  static const luaL_Reg pmethods[] = {{"send", guarded<l_send>},       {"load", guarded<l_load>},
                                      {"acked", guarded<l_acked>},     {"stats", guarded<l_producer_stats>},
                                      {"crash", guarded<l_producer_crash>}, {"restart", guarded<l_producer_restart>},
                                      {"begin", guarded<l_producer_begin>}, {"send_offsets", guarded<l_producer_send_offsets>},
                                      {"commit", guarded<l_producer_commit>}, {"abort", guarded<l_producer_abort>},
                                      {nullptr, nullptr}};
  register_handle(L, kProducerMeta, "producer", pmethods);

  register_group_metatables(L);
  register_store_metatable(L);
  register_app_metatables(L);
  lua_register(L, "cluster", guarded<l_cluster>);
}

}  // namespace sim::lua
