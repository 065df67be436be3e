#include "sim/check/timeline.hpp"

#include <optional>

#include "sim/check/event_fields.hpp"

namespace check {

namespace {

using K = ReplicaEvent::Kind;

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// What a node fault or lifecycle event (node.*, fault.*) or a producer's new id says of a node;
// nothing for every other event.
std::optional<NodeEvent> node_event(const sim::Event& e, const EventFields& f) {
  auto of = [&](NodeEvent::Kind kind, std::string detail = {}) {
    return NodeEvent{kind, e.time.ns, std::string(f.text("node")), std::move(detail)};
  };
  if (starts_with(e.kind, "node.")) {
    if (e.kind == "node.crash") return of(NodeEvent::Kind::crashed);
    if (e.kind == "node.restart") return of(NodeEvent::Kind::restarted);
    if (e.kind == "node.pause") return of(NodeEvent::Kind::paused);
    if (e.kind == "node.resume") return of(NodeEvent::Kind::resumed);
  } else if (starts_with(e.kind, "fault.")) {
    if (e.kind == "fault.isolate") return of(NodeEvent::Kind::isolated);
    if (e.kind == "fault.partition") return of(NodeEvent::Kind::partitioned, std::string(f.text("groups")));
    if (e.kind == "fault.heal") return of(NodeEvent::Kind::healed);
  } else if (e.kind == "producer.reset_producer_id") {
    return NodeEvent{NodeEvent::Kind::producer_id_reset, e.time.ns, std::string(e.node_name), {}};
  }
  return std::nullopt;
}

// What a replica, log or election event (or a producer's retry of a batch) says of its
// partition; nothing for every other event, and for the offsets topic's appends and high
// watermarks (group state, not records anyone checks).
std::optional<ReplicaEvent> replica_event(const sim::Event& e, const EventFields& f) {
  if (e.kind == "producer.retry") {
    return ReplicaEvent{K::producer_retry, -1, e.time.ns, std::string(e.node_name), f.integer("base_sequence"), f.integer("attempt"),
                        std::string(f.text("error"))};
  }
  const bool replica = starts_with(e.kind, "replica.") || starts_with(e.kind, "log.");
  if (!replica && e.kind != "controller.elect") return std::nullopt;
  const bool internal = starts_with(f.text("topic"), "__");
  ReplicaEvent r{K::leader_append, static_cast<int32_t>(f.integer("leader_epoch")), e.time.ns, std::string(e.node_name), -1, -1, {}};
  if (e.kind == "log.append") {
    if (internal) return std::nullopt;
    r.kind = f.text("role") == "leader" ? K::leader_append : K::follower_append;
    r.from = f.integer("base_offset");
    r.to = f.integer("leo");
    r.producer_id = f.integer("producer_id");
    r.sequence = static_cast<int32_t>(f.integer("base_sequence"));
  } else if (e.kind == "replica.hw") {
    if (internal) return std::nullopt;
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
    return std::nullopt;
  }
  return r;
}

}  // namespace

void TimelineSink::write(const sim::Event& e) {
  const EventFields f(e);
  if (auto n = node_event(e, f)) {
    timeline_.nodes.push_back(std::move(*n));
  } else if (auto r = replica_event(e, f)) {
    timeline_.partitions[partition_key(f.text("topic"), f.integer("partition"))].push_back(std::move(*r));
  }
}

}  // namespace check
