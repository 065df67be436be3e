#pragma once
// The world: the scheduler, the network, the nodes with their disks, and the trace, for one
// run of one seed. It owns node lifecycles: start, crash, clean shutdown, restart, pause.
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/assert.hpp"
#include "sim/disk.hpp"
#include "sim/invariants.hpp"
#include "sim/network.hpp"
#include "sim/node.hpp"
#include "sim/scheduler.hpp"
#include "sim/topology.hpp"
#include "sim/trace.hpp"

namespace sim {

enum class NodeState : uint8_t {
  down,      // never started, or stopped cleanly
  running,
  paused,    // alive but frozen (GC pause, SIGSTOP): arrivals and timers wait
  stopping,  // clean shutdown asked for, not yet exited
  crashed,
};
std::string_view to_string(NodeState s);

// Raised when simulated time stops moving: events keep running at one instant and the run
// could never reach its end (a zero interval or timeout in the configuration, say).
struct SimulationStalled : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct CrashOptions {
  bool torn_writes = false;
};

class World final : private NetworkHost {
 public:
  // How many events may run at one instant before the run is declared stalled. A real burst
  // at one instant (a rebalance of a thousand members) is far below it.
  static constexpr uint64_t kStallEvents = 10'000'000;

  explicit World(uint64_t seed);
  ~World() override;
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  uint64_t seed() const { return seed_; }
  Time now() const { return sched_.now(); }
  Scheduler& scheduler() { return sched_; }
  Trace& trace() { return trace_; }
  Network& network() { return network_; }
  Topology& topology() { return topo_; }
  Invariants& invariants() { return invariants_; }
  // A named random stream of this run, independent of every other name.
  Rng stream(std::string_view name) const { return Rng::stream(seed_, name); }

  // Nodes.
  NodeId add_node(std::string name, NodeFactory factory, std::string rack = "");
  // Sets or replaces how a node is built at start and restart (for nodes that need each
  // other's ids before they can be made).
  void set_factory(NodeId id, NodeFactory factory) { nodes_.at(id).factory = std::move(factory); }
  size_t node_count() const { return nodes_.size(); }
  std::optional<NodeId> find(std::string_view name) const;
  std::string_view name(NodeId id) const { return nodes_.at(id).name; }
  NodeState state(NodeId id) const { return nodes_.at(id).state; }
  bool alive(NodeId id) const override;
  uint32_t incarnation(NodeId id) const override { return nodes_.at(id).incarnation; }
  // The live node object, for read-only queries by the scenario; null when not alive.
  Node* node(NodeId id) { return nodes_.at(id).node.get(); }
  const Node* node(NodeId id) const { return nodes_.at(id).node.get(); }
  Disk& disk(NodeId id) { return nodes_.at(id).disk; }

  // Lifecycle. Each returns false (and changes nothing) when the node is not in a state the
  // action applies to; the caller words the error.
  bool start(NodeId id);
  bool crash(NodeId id, CrashOptions opts = {});
  bool shutdown(NodeId id);
  bool restart(NodeId id);
  bool pause(NodeId id);
  bool resume(NodeId id);

  // Runs f as the node, through its inbox like a message: the way an application drives a
  // client node (a producer's send, a consumer's poll) and tests drive any node. Held while
  // the node is paused or busy; dropped when it is not alive (returns false).
  using Call = std::function<void(Node&, Context&)>;
  bool invoke(NodeId id, Call f);

  // Emits a world event (a fault, a note) at the current time: emit(event::FaultHeal{}).
  template <schema::EventType E>
  void emit(const E& e) {
    schema::emit(trace_, now(), kNoNode, e);
  }

  // Running. Each returns the number of events run.
  uint64_t run_until(Time limit);
  uint64_t run_until_idle(Time limit = Time::max());
  template <typename Pred>
  uint64_t run_while(Pred keep_going, Time limit = Time::max()) {
    uint64_t n = 0;
    while (keep_going() && step(limit)) ++n;
    return n;
  }
  bool step(Time limit = Time::max());
  void set_paranoid(bool on) { paranoid_ = on; }
  // Events allowed at one instant before run_until throws SimulationStalled (tests lower it).
  void set_stall_limit(uint64_t events) { stall_limit_ = events; }

 private:
  friend class Context;
  struct Pending {
    enum class Kind : uint8_t { message, timer, disconnect, call } kind;
    NodeId peer;
    uint64_t tag;
    MessagePtr msg;
    Call call;
  };
  struct Slot {
    std::string name;
    NodeFactory factory;
    std::unique_ptr<Node> node;
    NodeState state = NodeState::down;
    uint32_t incarnation = 0;
    Disk disk;
    Rng rng;
    Rng disk_rng;
    Time busy_until;
    std::deque<Pending> inbox;  // held while paused or busy, in arrival order
    bool wake_scheduled = false;
    bool exit_requested = false;
    bool crash_requested = false;
  };
  uint64_t stall_limit_ = kStallEvents;

  struct TimerRecord {
    NodeId node = 0;
    uint32_t generation = 0;
    uint64_t tag = 0;
    EventId event;
    bool live = false;
  };

  // NetworkHost
  void deliver(NodeId to, NodeId from, uint32_t to_incarnation, MessagePtr msg) override;
  void disconnected(NodeId node, NodeId peer, uint32_t node_incarnation) override;

  void enqueue(NodeId id, Pending p);
  void dispatch(NodeId id, Pending& p);
  void drain(NodeId id);
  void after_dispatch(NodeId id);
  void fire_timer(uint32_t record);
  TimerId set_timer(NodeId id, Duration after, uint64_t tag);
  bool cancel_timer(TimerId id);
  void free_timer(uint32_t record);
  void cancel_timers_of(NodeId id);
  // Runs one callback into a node and then settles what it asked for (busy time, exit).
  template <typename F>
  void call_node(NodeId id, F&& f);
  void finish_shutdown(NodeId id);
  void make_node(NodeId id);

  uint64_t seed_;
  Scheduler sched_;
  Trace trace_;
  Topology topo_;
  Network network_;
  Invariants invariants_;
  bool paranoid_ = false;
  // The instant the last events ran at, how many ran there, and who handled the last one.
  Time stall_time_;
  uint64_t stall_events_ = 0;
  NodeId last_node_ = kNoNode;
  uint64_t last_timer_tag_ = 0;
  std::deque<Slot> nodes_;  // deque: disks handed out by reference stay put
  std::vector<TimerRecord> timers_;
  std::vector<uint32_t> free_timers_;
};

}  // namespace sim
