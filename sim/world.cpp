#include "sim/world.hpp"
#include "sim/assert.hpp"
#include "sim/world_events.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace sim {

std::string_view to_string(NodeState s) {
  switch (s) {
    case NodeState::down: return "down";
    case NodeState::running: return "running";
    case NodeState::paused: return "paused";
    case NodeState::stopping: return "stopping";
    case NodeState::crashed: return "crashed";
  }
  return "?";
}

void Node::on_shutdown(Context& ctx) { ctx.exit(); }

// ---- Context -------------------------------------------------------------------------------

Time Context::now() const { return world_.now(); }
std::string_view Context::name() const { return world_.name(self_); }
std::string_view Context::name_of(NodeId id) const { return world_.name(id); }
void Context::send(NodeId to, MessagePtr msg) { world_.network_.send(self_, to, std::move(msg)); }
void Context::close_connection(NodeId peer) { world_.network_.close(self_, peer); }
TimerId Context::set_timer(Duration after, uint64_t tag) { return world_.set_timer(self_, after, tag); }
bool Context::cancel_timer(TimerId& id) {
  const bool was = world_.cancel_timer(id);
  id = TimerId{};
  return was;
}
Disk& Context::disk() { return world_.nodes_[self_].disk; }
Rng& Context::rng() { return world_.nodes_[self_].rng; }
void Context::trace(const schema::KindSpec& spec, std::span<const Field> fields) {
  world_.trace_.emit(world_.now(), self_, spec, fields);
}
void Context::busy(Duration d) {
  auto& slot = world_.nodes_[self_];
  slot.busy_until = std::max(slot.busy_until, world_.now()) + d;
}
void Context::exit() { world_.nodes_[self_].exit_requested = true; }
void Context::crash() { world_.nodes_[self_].crash_requested = true; }

// ---- World ---------------------------------------------------------------------------------

World::World(uint64_t seed) : seed_(seed), network_(sched_, trace_, topo_, *this, seed) {}
World::~World() = default;

NodeId World::add_node(std::string name, NodeFactory factory, std::string rack) {
  if (find(name)) throw std::invalid_argument(fmt::format("a node named '{}' already exists", name));
  const NodeId id = static_cast<NodeId>(nodes_.size());
  Slot& s = nodes_.emplace_back();
  s.name = name;
  s.factory = std::move(factory);
  s.rng = stream("node:" + name);
  s.disk_rng = stream("disk:" + name);
  topo_.add_node(id, rack);
  network_.add_node(id, name);
  trace_.names().set(id, name);
  emit(event::NodeAdded{.node = s.name, .id = id, .rack = topo_.rack(id)});
  return id;
}

std::optional<NodeId> World::find(std::string_view name) const {
  for (NodeId id = 0; id < nodes_.size(); ++id)
    if (nodes_[id].name == name) return id;
  return std::nullopt;
}

bool World::alive(NodeId id) const {
  const NodeState s = nodes_.at(id).state;
  return s == NodeState::running || s == NodeState::paused || s == NodeState::stopping;
}

template <typename F>
void World::call_node(NodeId id, F&& f) {
  Slot& s = nodes_[id];
  SIM_ASSERT(s.node, "a running node has its object");
  Context ctx(*this, id);
  f(*s.node, ctx);
  if (paranoid_) {
    if (const std::string broken = s.node->invariants(); !broken.empty()) {
      throw InvariantViolation(fmt::format("{} broke an invariant at {}: {}", s.name, format_time(now()), broken));
    }
  }
  const Duration disk_time = s.disk.take_busy();
  if (disk_time.ns > 0) s.busy_until = std::max(s.busy_until, now()) + disk_time;
  if (s.crash_requested) {
    s.crash_requested = false;
    crash(id);
  } else if (s.exit_requested) {
    finish_shutdown(id);
  }
}

void World::make_node(NodeId id) {
  Slot& s = nodes_[id];
  s.node = s.factory();
  s.state = NodeState::running;
  ++s.incarnation;
  s.busy_until = now();
  s.exit_requested = false;
  s.crash_requested = false;
  call_node(id, [](Node& n, Context& ctx) { n.on_start(ctx); });
}

bool World::start(NodeId id) {
  if (alive(id)) return false;
  emit(event::NodeStart{.node = nodes_[id].name});
  make_node(id);
  return true;
}

bool World::restart(NodeId id) {
  if (alive(id)) return false;
  emit(event::NodeRestart{.node = nodes_[id].name});
  make_node(id);
  return true;
}

bool World::crash(NodeId id, CrashOptions opts) {
  if (!alive(id)) return false;
  Slot& s = nodes_[id];
  s.node.reset();  // volatile state is gone
  s.state = NodeState::crashed;
  ++s.incarnation;
  s.inbox.clear();
  s.wake_scheduled = false;
  cancel_timers_of(id);
  const uint64_t unflushed = s.disk.unflushed_entries();
  const Disk::CrashLoss loss = s.disk.crash(s.disk_rng, opts.torn_writes);
  network_.node_down(id);
  emit(event::NodeCrash{.node = s.name, .unflushed = unflushed, .entries_lost = loss.entries_lost, .files_torn = loss.files_torn});
  return true;
}

bool World::shutdown(NodeId id) {
  Slot& s = nodes_[id];
  if (s.state == NodeState::paused) resume(id);
  if (s.state != NodeState::running) return false;
  s.state = NodeState::stopping;
  emit(event::NodeShutdown{.node = s.name});
  call_node(id, [](Node& n, Context& ctx) { n.on_shutdown(ctx); });
  return true;
}

void World::finish_shutdown(NodeId id) {
  Slot& s = nodes_[id];
  s.exit_requested = false;
  s.disk.flush_all();  // a clean shutdown leaves nothing in the page cache
  s.node.reset();
  s.state = NodeState::down;
  ++s.incarnation;
  s.inbox.clear();
  s.wake_scheduled = false;
  cancel_timers_of(id);
  network_.node_down(id);
  emit(event::NodeStopped{.node = s.name});
}

bool World::pause(NodeId id) {
  Slot& s = nodes_[id];
  if (s.state != NodeState::running) return false;
  s.state = NodeState::paused;
  emit(event::NodePause{.node = s.name});
  return true;
}

bool World::resume(NodeId id) {
  Slot& s = nodes_[id];
  if (s.state != NodeState::paused) return false;
  s.state = NodeState::running;
  emit(event::NodeResume{.node = s.name, .held = s.inbox.size()});
  drain(id);
  return true;
}

// ---- delivery ------------------------------------------------------------------------------

void World::deliver(NodeId to, NodeId from, uint32_t to_incarnation, MessagePtr msg) {
  if (nodes_[to].incarnation != to_incarnation) return;
  enqueue(to, Pending{Pending::Kind::message, from, 0, std::move(msg), {}});
}

void World::disconnected(NodeId node, NodeId peer, uint32_t node_incarnation) {
  if (!alive(node) || nodes_[node].incarnation != node_incarnation) return;
  enqueue(node, Pending{Pending::Kind::disconnect, peer, 0, nullptr, {}});
}

bool World::invoke(NodeId id, Call f) {
  if (!alive(id)) return false;
  enqueue(id, Pending{Pending::Kind::call, kNoNode, 0, nullptr, std::move(f)});
  return true;
}

void World::enqueue(NodeId id, Pending p) {
  Slot& s = nodes_[id];
  if (!alive(id)) return;
  const bool held = s.state == NodeState::paused || s.busy_until > now() || !s.inbox.empty();
  if (!held) {
    dispatch(id, p);
    return;
  }
  s.inbox.push_back(std::move(p));
  if (s.state != NodeState::paused && !s.wake_scheduled) {
    s.wake_scheduled = true;
    const uint32_t inc = s.incarnation;
    sched_.at(std::max(now(), s.busy_until), [this, id, inc] {
      if (nodes_[id].incarnation == inc) drain(id);
    });
  }
}

void World::dispatch(NodeId id, Pending& p) {
  last_node_ = id;
  last_timer_tag_ = 0;
  switch (p.kind) {
    case Pending::Kind::message:
      call_node(id, [&](Node& n, Context& ctx) { n.on_message(ctx, p.peer, p.msg); });
      break;
    case Pending::Kind::timer: {
      const auto record = static_cast<uint32_t>(p.tag >> 32);
      const auto generation = static_cast<uint32_t>(p.tag);
      TimerRecord& r = timers_[record];
      if (!r.live || r.generation != generation) return;  // cancelled while held
      const uint64_t tag = r.tag;
      last_timer_tag_ = tag;
      free_timer(record);
      call_node(id, [&](Node& n, Context& ctx) { n.on_timer(ctx, tag); });
      break;
    }
    case Pending::Kind::disconnect:
      call_node(id, [&](Node& n, Context& ctx) { n.on_disconnect(ctx, p.peer); });
      break;
    case Pending::Kind::call:
      call_node(id, [&](Node& n, Context& ctx) { p.call(n, ctx); });
      break;
  }
}

void World::drain(NodeId id) {
  Slot& s = nodes_[id];
  s.wake_scheduled = false;
  while (!s.inbox.empty() && alive(id) && s.state != NodeState::paused) {
    if (s.busy_until > now()) {
      s.wake_scheduled = true;
      const uint32_t inc = s.incarnation;
      sched_.at(s.busy_until, [this, id, inc] {
        if (nodes_[id].incarnation == inc) drain(id);
      });
      return;
    }
    Pending p = std::move(s.inbox.front());
    s.inbox.pop_front();
    dispatch(id, p);
  }
}

// ---- timers --------------------------------------------------------------------------------

TimerId World::set_timer(NodeId id, Duration after, uint64_t tag) {
  // A negative delay (a negative timeout Kafka accepts) is due now, as in Kafka.
  if (after.ns < 0) after = Duration{0};
  uint32_t record;
  if (!free_timers_.empty()) {
    record = free_timers_.back();
    free_timers_.pop_back();
  } else {
    record = static_cast<uint32_t>(timers_.size());
    timers_.emplace_back();
  }
  TimerRecord& r = timers_[record];
  r.node = id;
  r.tag = tag;
  r.live = true;
  r.event = sched_.after(after, [this, record] { fire_timer(record); });
  return TimerId{record, r.generation};
}

void World::fire_timer(uint32_t record) {
  TimerRecord& r = timers_[record];
  r.event = EventId{};
  // The record stays live until dispatched, so a cancel while the node is busy still works.
  enqueue(r.node, Pending{Pending::Kind::timer, 0, (static_cast<uint64_t>(record) << 32) | r.generation, nullptr, {}});
}

bool World::cancel_timer(TimerId id) {
  if (!id.valid() || id.record >= timers_.size()) return false;
  TimerRecord& r = timers_[id.record];
  if (!r.live || r.generation != id.generation) return false;
  sched_.cancel(r.event);
  free_timer(id.record);
  return true;
}

void World::free_timer(uint32_t record) {
  TimerRecord& r = timers_[record];
  r.live = false;
  r.event = EventId{};
  ++r.generation;
  free_timers_.push_back(record);
}

void World::cancel_timers_of(NodeId id) {
  for (uint32_t rec = 0; rec < timers_.size(); ++rec) {
    TimerRecord& r = timers_[rec];
    if (r.live && r.node == id) {
      sched_.cancel(r.event);
      free_timer(rec);
    }
  }
}

// ---- running -------------------------------------------------------------------------------

bool World::step(Time limit) {
  if (!sched_.step(limit)) return false;
  if (now() != stall_time_) {
    stall_time_ = now();
    stall_events_ = 0;
  } else if (++stall_events_ > stall_limit_) {
    std::string who;
    if (last_node_ != kNoNode) {
      who = fmt::format("; the last was handled by {}", nodes_[last_node_].name);
      if (last_timer_tag_ != 0) who += fmt::format(" (a timer, tag {})", last_timer_tag_);
    }
    throw SimulationStalled(fmt::format("the simulation stopped advancing: more than {} events ran at {} without the "
                                        "clock moving{} (a zero interval or timeout in the configuration?)",
                                        stall_limit_, format_time(now()), who));
  }
  if (paranoid_) {
    if (auto v = invariants_.check_all()) {
      throw InvariantViolation(fmt::format("invariant '{}' violated at {}: {}", v->name, format_time(now()), v->detail));
    }
  }
  return true;
}

uint64_t World::run_until(Time limit) {
  uint64_t n = 0;
  while (step(limit)) ++n;
  if (limit != Time::max() && limit > now()) sched_.advance_to(limit);
  return n;
}

uint64_t World::run_until_idle(Time limit) {
  uint64_t n = 0;
  while (step(limit)) ++n;
  return n;
}

}  // namespace sim
