#pragma once
// The virtual network: TCP-like connections between nodes.
//
// - One connection per pair of nodes, opened by the first send. Messages on it arrive in the
//   order sent (FIFO per direction), at most once.
// - A cut link (partition, one-way block, isolation) loses what is in flight across it and
//   what is sent across it afterwards. The connection is reset after the detection delay:
//   both ends are told (on_disconnect) and the next send opens a new connection. Until then
//   the direction that is not cut still carries data, as TCP does.
// - Opening a connection needs both directions; a send to a peer that cannot be reached, or
//   whose process is down, is lost and the sender is told after the detection delay (or a
//   round trip, for a refused connection).
// - A node that goes down (crash or clean shutdown) closes its connections: what it already
//   sent still arrives, then its peers are told; what is sent to it is lost.
// - Link loss is TCP loss: a lost segment is retransmitted after a timeout (200 ms, doubling),
//   delaying the message and everything behind it on that connection.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/message.hpp"
#include "sim/random.hpp"
#include "sim/scheduler.hpp"
#include "sim/topology.hpp"
#include "sim/trace.hpp"

namespace sim {

// What the network needs from the world that holds the nodes.
class NetworkHost {
 public:
  virtual ~NetworkHost() = default;
  virtual bool alive(NodeId id) const = 0;
  virtual uint32_t incarnation(NodeId id) const = 0;
  virtual void deliver(NodeId to, NodeId from, uint32_t to_incarnation, MessagePtr msg) = 0;
  virtual void disconnected(NodeId node, NodeId peer, uint32_t node_incarnation) = 0;
};

struct NetworkOptions {
  Duration detect = Duration::seconds(1);          // how long until a broken connection is noticed
  Duration retransmit = Duration::millis(200);     // first retransmission timeout (Linux min RTO)
  int max_retransmits = 8;                         // after this many losses the segment gets through
  bool trace_messages = true;                      // net.send / net.recv events for every message
};

struct NetworkStats {
  uint64_t sent = 0;
  uint64_t delivered = 0;
  uint64_t dropped = 0;
  uint64_t resets = 0;
};

class Network {
 public:
  Network(Scheduler& sched, Trace& trace, Topology& topo, NetworkHost& host, uint64_t seed);

  void add_node(NodeId id, std::string name);
  void send(NodeId from, NodeId to, MessagePtr msg);

  // Faults. Cuts accumulate until heal().
  // Nodes in different groups cannot reach each other; nodes in no group keep their links.
  void partition(const std::vector<std::vector<NodeId>>& groups);
  void block(NodeId from, NodeId to);  // one way
  void isolate(NodeId n);
  void heal();                         // restores every link and clears link overrides
  // A node went down: its connections close once what it sent has arrived.
  void node_down(NodeId n);
  // n closes its connection to peer (a server dropping a client): what n already sent still
  // arrives, then both ends are told and the next send opens a new connection.
  void close(NodeId n, NodeId peer);

  NetworkOptions& options() { return options_; }
  const NetworkStats& stats() const { return stats_; }
  Topology& topology() { return topo_; }

 private:
  // idle: no connection; open: carrying data; closing: a link was cut and the reset is
  // scheduled; failed: a connect failed and the sender has not been told yet.
  enum class ConnState : uint8_t { idle, open, closing, failed };
  struct Conn {
    uint32_t incarnation = 0;
    ConnState state = ConnState::idle;
    NodeId failed_from = kNoNode;  // in state failed: the side whose connect failed
    Time reopen_at;
    Time last_arrival[2];
    Time link_free[2];
  };
  struct InFlight {
    NodeId from = 0, to = 0;
    uint32_t conn_incarnation = 0;
    uint32_t to_incarnation = 0;
    MessagePtr msg;
  };

  Conn& conn(NodeId a, NodeId b);
  static int dir(NodeId from, NodeId to) { return from < to ? 0 : 1; }
  Rng& link_rng(NodeId from, NodeId to);
  Duration transit(NodeId from, NodeId to, Conn& c, uint32_t bytes);
  void arrive(uint32_t slot);
  void drop(NodeId from, NodeId to, const Message& msg, std::string_view reason);
  // A connect that cannot succeed: the sender is told after `after`.
  void fail_connect(NodeId from, NodeId to, Duration after, std::string_view reason);
  // Resets an open connection after `after`: what is still in flight then is lost and both
  // ends are told.
  void reset_later(NodeId a, NodeId b, Duration after, std::string_view reason);
  void reset_now(NodeId a, NodeId b, std::string_view reason);
  void cut(NodeId from, NodeId to, std::string_view reason);
  void close_from(NodeId n, NodeId peer, std::string_view reason);  // reason: a literal
  uint32_t new_in_flight(InFlight f);

  Scheduler& sched_;
  Trace& trace_;
  Topology& topo_;
  NetworkHost& host_;
  uint64_t seed_;
  NetworkOptions options_;
  NetworkStats stats_;
  std::vector<std::string> names_;
  std::vector<std::vector<Conn>> conns_;                    // conns_[max][min]
  std::vector<std::vector<std::unique_ptr<Rng>>> rngs_;     // per directed link, made on first use
  std::vector<InFlight> in_flight_;
  std::vector<uint32_t> free_in_flight_;
  std::vector<Field> describe_buf_;
};

}  // namespace sim
