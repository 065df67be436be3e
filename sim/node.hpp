#pragma once
// Nodes are sans-IO state machines. They react to start, message, timer and disconnect, and
// act only through their Context: send, set or cancel a timer, use their disk, trace, or
// spend node time. A crash destroys the object; a restart builds a fresh one that recovers
// from the disk, which is all that survives.
#include <cstdint>
#include <functional>
#include <string>
#include <initializer_list>
#include <memory>
#include <string_view>

#include "sim/disk.hpp"
#include "sim/message.hpp"
#include "sim/random.hpp"
#include "sim/scheduler.hpp"
#include "sim/trace.hpp"
#include "sim/trace_schema.hpp"

namespace sim {

class World;
class Context;

struct TimerId {
  uint32_t record = UINT32_MAX;
  uint32_t generation = 0;
  bool valid() const { return record != UINT32_MAX; }
};

class Node {
 public:
  virtual ~Node() = default;
  virtual void on_start(Context& ctx) = 0;
  virtual void on_message(Context& ctx, NodeId from, const MessagePtr& msg) = 0;
  virtual void on_timer(Context& ctx, uint64_t tag) = 0;
  // The connection to peer broke; whatever was in flight on it is lost.
  virtual void on_disconnect(Context& ctx, NodeId peer) { (void)ctx, (void)peer; }
  // A clean shutdown was asked for. The node may send final messages and must call
  // ctx.exit() when done (the default exits at once). The disk is flushed on exit.
  virtual void on_shutdown(Context& ctx);
  // What is wrong with the node's own state, or empty when nothing is: the pre- and
  // postconditions of its classes that are cheap to check whole. The world checks it after
  // each of the node's events under --paranoid (and so in every test).
  virtual std::string invariants() const { return {}; }
};

using NodeFactory = std::function<std::unique_ptr<Node>()>;

class Context {
 public:
  Context(World& world, NodeId self) : world_(world), self_(self) {}

  Time now() const;
  NodeId self() const { return self_; }
  std::string_view name() const;
  std::string_view name_of(NodeId id) const;

  void send(NodeId to, MessagePtr msg);
  // Closes this node's connection to peer (Network::close); both ends get on_disconnect.
  void close_connection(NodeId peer);
  TimerId set_timer(Duration after, uint64_t tag);
  bool cancel_timer(TimerId& id);  // also clears id
  Disk& disk();
  Rng& rng();
  // Emits an event of a declared kind: ctx.trace(kafka::event::LogAppend{.topic = ..., ...}).
  template <schema::EventType E>
  void trace(const E& e) {
    schema::with_fields(e, [this](std::span<const Field> fields) { trace(E::spec, fields); });
  }
  void trace(const schema::KindSpec& spec, std::span<const Field> fields);
  // Spend node time: nothing else reaches this node for d (CPU work, a slow disk).
  void busy(Duration d);
  // Finish a clean shutdown.
  void exit();
  // Die here, as a kill -9 at this point of the node's code would: after the current callback
  // returns the node is crashed like World::crash (for faults placed at a program point).
  void crash();

 private:
  World& world_;
  NodeId self_;
};

}  // namespace sim
