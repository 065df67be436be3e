#include "sim/check/timeline.hpp"

#include "sim/check/event_fields.hpp"

namespace check {

namespace {

using K = ReplicaEvent::Kind;

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

}  // namespace

void TimelineSink::write(const sim::Event& e) {
  const EventFields f(e);
  auto node_event = [&](NodeEvent::Kind kind, std::string detail = {}) {
    timeline_.nodes.push_back(NodeEvent{kind, e.time.ns, std::string(f.text("node")), std::move(detail)});
  };
  if (starts_with(e.kind, "node.")) {
    if (e.kind == "node.crash") node_event(NodeEvent::Kind::crashed);
    else if (e.kind == "node.restart") node_event(NodeEvent::Kind::restarted);
    else if (e.kind == "node.pause") node_event(NodeEvent::Kind::paused);
    else if (e.kind == "node.resume") node_event(NodeEvent::Kind::resumed);
    return;
  }
  if (starts_with(e.kind, "fault.")) {
    if (e.kind == "fault.isolate") node_event(NodeEvent::Kind::isolated);
    else if (e.kind == "fault.partition") node_event(NodeEvent::Kind::partitioned, std::string(f.text("groups")));
    else if (e.kind == "fault.heal") node_event(NodeEvent::Kind::healed);
    return;
  }
  if (e.kind == "producer.reset_producer_id") {
    timeline_.nodes.push_back(NodeEvent{NodeEvent::Kind::producer_id_reset, e.time.ns, std::string(e.node_name), {}});
    return;
  }
  if (e.kind == "producer.retry") {
    ReplicaEvent r{K::producer_retry, -1, e.time.ns, std::string(e.node_name), f.integer("base_sequence"), f.integer("attempt"),
                   std::string(f.text("error"))};
    timeline_.partitions[partition_key(f.text("topic"), f.integer("partition"))].push_back(std::move(r));
    return;
  }
  const bool replica = starts_with(e.kind, "replica.") || starts_with(e.kind, "log.");
  if (!replica && e.kind != "controller.elect") return;
  const std::string_view topic = f.text("topic");
  // The offsets topic's appends are group state, not records anyone checks.
  const bool internal = starts_with(topic, "__");
  ReplicaEvent r{K::leader_append, static_cast<int32_t>(f.integer("leader_epoch")), e.time.ns, std::string(e.node_name), -1, -1, {}};
  if (e.kind == "log.append") {
    if (internal) return;
    r.kind = f.text("role") == "leader" ? K::leader_append : K::follower_append;
    r.from = f.integer("base_offset");
    r.to = f.integer("leo");
    r.producer_id = f.integer("producer_id");
    r.sequence = static_cast<int32_t>(f.integer("base_sequence"));
  } else if (e.kind == "replica.hw") {
    if (internal) return;
    r.kind = K::high_watermark;
    r.to = f.integer("hw");
  } else if (e.kind == "replica.leader" || e.kind == "replica.follower") {
    r.kind = e.kind == "replica.leader" ? K::became_leader : K::became_follower;
    r.to = f.integer("leo");
  } else if (e.kind == "log.truncate") {
    r.kind = K::truncated;
    r.from = f.integer("from_leo");
    r.to = f.integer("to");
    r.detail = std::string(f.text("reason"));
  } else if (e.kind == "replica.epoch_end_offset" || e.kind == "replica.diverging_epoch") {
    const bool asked = e.kind == "replica.epoch_end_offset";
    r.kind = K::epoch_answer;
    r.leader_epoch = static_cast<int32_t>(f.integer(asked ? "leader_epoch" : "epoch"));
    r.from = asked ? f.integer("asked_epoch") : -1;
    r.to = f.integer("end_offset");
    r.detail = std::to_string(f.integer("truncate_to"));
  } else if (e.kind == "log.recover") {
    r.kind = K::recovered;
    r.to = f.integer("leo");
  } else if (e.kind == "controller.elect") {
    r.kind = K::elected;
    r.node = std::string(f.text("leader_node"));  // empty: no leader
    r.detail = std::string(f.text("election")) + ": " + std::string(f.text("reason"));
  } else {
    return;
  }
  timeline_.partitions[partition_key(topic, f.integer("partition"))].push_back(std::move(r));
}

}  // namespace check
