#include "sim/check/timeline.hpp"

#include "sim/check/event_fields.hpp"

namespace check {

namespace {

using K = ReplicaEvent::Kind;
using NK = NodeEvent::Kind;
namespace ev = kafka::event;
namespace world = sim::event;

// The offsets topic's appends are group state, not records anyone checks.
bool internal(std::string_view topic) { return topic.substr(0, 2) == "__"; }

// One event's place in the timeline, by its kind.
class Reader {
 public:
  Reader(Timeline& t, const sim::Event& e) : t_(t), e_(e) {}

  void operator()(const world::NodeCrash::View& v) { node(NK::crashed, v.node); }
  void operator()(const world::NodeRestart::View& v) { node(NK::restarted, v.node); }
  void operator()(const world::NodePause::View& v) { node(NK::paused, v.node); }
  void operator()(const world::NodeResume::View& v) { node(NK::resumed, v.node); }
  void operator()(const world::FaultIsolate::View& v) { node(NK::isolated, v.node); }
  void operator()(const world::FaultPartition::View& v) { node(NK::partitioned, {}, std::string(v.groups)); }
  void operator()(const world::FaultHeal::View&) { node(NK::healed, {}); }
  void operator()(const ev::ProducerBumpEpoch::View&) { node(NK::producer_epoch_bump, e_.node_name); }

  void operator()(const ev::ProducerRetry::View& v) {
    add(v.topic, v.partition, {K::producer_retry, -1, e_.time.ns, std::string(e_.node_name), v.base_sequence, v.attempt, std::string(v.error)});
  }
  void operator()(const ev::LogAppend::View& v) {
    if (internal(v.topic)) return;
    ReplicaEvent r = replica(v.role == "leader" ? K::leader_append : K::follower_append, v.leader_epoch);
    r.from = v.base_offset;
    r.to = v.leo;
    r.producer_id = v.producer_id;
    r.sequence = static_cast<int32_t>(v.base_sequence);
    add(v.topic, v.partition, std::move(r));
  }
  void operator()(const ev::ReplicaHw::View& v) {
    if (internal(v.topic)) return;
    ReplicaEvent r = replica(K::high_watermark, v.leader_epoch);
    r.to = v.hw;
    add(v.topic, v.partition, std::move(r));
  }
  void operator()(const ev::ReplicaLeader::View& v) { became(K::became_leader, v.topic, v.partition, v.leader_epoch, v.leo); }
  void operator()(const ev::ReplicaFollower::View& v) { became(K::became_follower, v.topic, v.partition, v.leader_epoch, v.leo); }
  void operator()(const ev::LogTruncate::View& v) {
    ReplicaEvent r = replica(K::truncated, v.leader_epoch);
    r.from = v.from_leo;
    r.to = v.to;
    r.detail = std::string(v.reason);
    add(v.topic, v.partition, std::move(r));
  }
  void operator()(const ev::ReplicaEpochEndOffset::View& v) {
    ReplicaEvent r = replica(K::epoch_answer, v.leader_epoch);
    r.from = v.asked_epoch;
    r.to = v.end_offset;
    r.detail = std::to_string(v.truncate_to);
    add(v.topic, v.partition, std::move(r));
  }
  void operator()(const ev::ReplicaDivergingEpoch::View& v) {
    ReplicaEvent r = replica(K::epoch_answer, v.epoch);
    r.to = v.end_offset;
    r.detail = std::to_string(v.truncate_to);
    add(v.topic, v.partition, std::move(r));
  }
  void operator()(const ev::LogRecover::View& v) {
    ReplicaEvent r = replica(K::recovered, -1);
    r.to = v.leo;
    add(v.topic, v.partition, std::move(r));
  }
  void operator()(const ev::ControllerElect::View& v) {
    ReplicaEvent r = replica(K::elected, v.leader_epoch);
    r.node = std::string(v.leader_node);  // empty: no leader
    r.detail = std::string(v.election) + ": " + std::string(v.reason);
    add(v.topic, v.partition, std::move(r));
  }
  void operator()(const ev::ReplicaLso::View& v) {
    if (internal(v.topic)) return;
    t_.lso[partition_key(v.topic, v.partition)].push_back(
        LsoEvent{e_.time.ns, std::string(e_.node_name), v.lso, v.hw, v.first_unstable_offset});
  }
  void operator()(const ev::TxnStateChange::View& v) {
    t_.txn_states.push_back(
        TxnStateEvent{e_.time.ns, std::string(v.transactional_id), v.producer_id, std::string(v.to), std::string(v.partitions)});
  }

 private:
  void node(NK kind, std::string_view name, std::string detail = {}) {
    t_.nodes.push_back(NodeEvent{kind, e_.time.ns, std::string(name), std::move(detail)});
  }
  ReplicaEvent replica(K kind, int64_t leader_epoch) const {
    return ReplicaEvent{kind, static_cast<int32_t>(leader_epoch), e_.time.ns, std::string(e_.node_name), -1, -1, {}};
  }
  void became(K kind, std::string_view topic, int64_t partition, int64_t leader_epoch, int64_t leo) {
    ReplicaEvent r = replica(kind, leader_epoch);
    r.to = leo;
    add(topic, partition, std::move(r));
  }
  void add(std::string_view topic, int64_t partition, ReplicaEvent r) {
    t_.partitions[partition_key(topic, partition)].push_back(std::move(r));
  }

  Timeline& t_;
  const sim::Event& e_;
};

}  // namespace

void TimelineSink::write(const sim::Event& e) { Reads::visit(e, Reader(timeline_, e)); }

}  // namespace check
