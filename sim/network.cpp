#include "sim/network.hpp"
#include "sim/assert.hpp"
#include "sim/world_events.hpp"

#include <algorithm>
#include <cmath>

namespace sim {

Network::Network(Scheduler& sched, Trace& trace, Topology& topo, NetworkHost& host, uint64_t seed)
    : sched_(sched), trace_(trace), topo_(topo), host_(host), seed_(seed) {}

void Network::add_node(NodeId id, std::string name) {
  if (names_.size() <= id) names_.resize(id + 1);
  names_[id] = std::move(name);
  while (conns_.size() <= id) conns_.emplace_back(conns_.size());
  for (auto& row : rngs_) row.resize(names_.size());
  while (rngs_.size() < names_.size()) rngs_.emplace_back(names_.size());
}

Network::Conn& Network::conn(NodeId a, NodeId b) {
  const NodeId hi = std::max(a, b), lo = std::min(a, b);
  return conns_[hi][lo];
}

Rng& Network::link_rng(NodeId from, NodeId to) {
  auto& slot = rngs_[from][to];
  // Named by the link's endpoints so that adding other nodes never shifts this link's draws.
  if (!slot) slot = std::make_unique<Rng>(Rng::stream(seed_, "net:" + names_[from] + ">" + names_[to]));
  return *slot;
}

Duration Network::transit(NodeId from, NodeId to, Conn& c, uint32_t bytes) {
  const LinkParams& p = topo_.params(from, to);
  Rng& rng = link_rng(from, to);
  const int d = dir(from, to);
  Time depart = sched_.now();
  if (p.bandwidth > 0) {
    // Serialisation delay on a link shared by everything this connection sends that way.
    depart = std::max(depart, c.link_free[d]);
    depart += Duration{static_cast<int64_t>(std::ceil(static_cast<double>(bytes) * 1e9 / p.bandwidth))};
    c.link_free[d] = depart;
  }
  Duration delay = p.latency.sample(rng) + p.extra_delay;
  if (p.jitter.ns > 0) {
    delay += Duration{static_cast<int64_t>(std::fabs(rng.normal(0, static_cast<double>(p.jitter.ns))))};
  }
  if (p.loss > 0) {
    Duration rto = options_.retransmit;
    for (int k = 0; k < options_.max_retransmits && rng.bernoulli(p.loss); ++k) {
      delay += rto;
      rto = rto * 2;
    }
  }
  Time arrival = depart + delay;
  arrival = std::max(arrival, c.last_arrival[d]);  // FIFO per direction
  c.last_arrival[d] = arrival;
  return arrival - sched_.now();
}

uint32_t Network::new_in_flight(InFlight f) {
  uint32_t slot;
  if (!free_in_flight_.empty()) {
    slot = free_in_flight_.back();
    free_in_flight_.pop_back();
  } else {
    slot = static_cast<uint32_t>(in_flight_.size());
    in_flight_.emplace_back();
  }
  in_flight_[slot] = std::move(f);
  return slot;
}

void Network::send(NodeId from, NodeId to, MessagePtr msg) {
  SIM_ASSERT(msg);
  ++stats_.sent;
  const Message& m = *msg;
  if (options_.trace_messages) {
    describe_buf_.clear();
    schema::FieldVector fields(describe_buf_);
    event::NetSend{.to = names_[to], .msg = m.name(), .bytes = m.size_bytes()}.write(fields);
    m.describe(describe_buf_);
    trace_.emit(sched_.now(), from, event::NetSend::spec, describe_buf_);
  }

  if (from == to) {  // loopback: no connection, no delay
    // conns_ holds only pairs of distinct nodes: a loopback message has no connection to outlive.
    const uint32_t slot = new_in_flight(InFlight{from, to, 0, host_.incarnation(to), std::move(msg)});
    sched_.after(Duration{0}, [this, slot] { arrive(slot); });
    return;
  }

  Conn& c = conn(from, to);
  if (c.state == ConnState::failed) {
    // Only the side whose connect failed is stuck until it is told; the other side may
    // connect on its own, as with two independent TCP connects.
    if (c.failed_from == from) {
      drop(from, to, m, "connect-failed");
      return;
    }
    c.state = ConnState::idle;
  }
  if (c.state == ConnState::idle) {
    if (!host_.alive(to)) {
      // Connection refused: the sender hears of it after a round trip.
      drop(from, to, m, "connection-refused");
      fail_connect(from, to, topo_.params(from, to).latency.mean() + topo_.params(to, from).latency.mean(),
                   "connection-refused");
      return;
    }
    if (!topo_.up(from, to) || !topo_.up(to, from)) {
      // The handshake needs both directions; the connect times out.
      drop(from, to, m, "unreachable");
      fail_connect(from, to, options_.detect, "connect-timeout");
      return;
    }
    c.state = ConnState::open;
    ++c.incarnation;
    c.last_arrival[0] = c.last_arrival[1] = sched_.now();
  }
  if (!topo_.up(from, to)) {
    drop(from, to, m, "link-down");
    if (c.state == ConnState::open) reset_later(from, to, options_.detect, "link-down");
    return;
  }

  const Duration d = transit(from, to, c, m.size_bytes());
  const uint32_t slot = new_in_flight(InFlight{from, to, c.incarnation, host_.incarnation(to), std::move(msg)});
  sched_.after(d, [this, slot] { arrive(slot); });
}

void Network::arrive(uint32_t slot) {
  InFlight f = std::move(in_flight_[slot]);
  in_flight_[slot] = InFlight{};
  free_in_flight_.push_back(slot);
  if (f.from != f.to) {
    if (conn(f.from, f.to).incarnation != f.conn_incarnation) {
      drop(f.from, f.to, *f.msg, "connection-reset");
      return;
    }
    if (!topo_.up(f.from, f.to)) {
      drop(f.from, f.to, *f.msg, "link-down");
      return;
    }
  }
  if (!host_.alive(f.to) || host_.incarnation(f.to) != f.to_incarnation) {
    drop(f.from, f.to, *f.msg, "receiver-down");
    return;
  }
  ++stats_.delivered;
  if (options_.trace_messages) {
    schema::emit(trace_, sched_.now(), f.to, event::NetRecv{.from = names_[f.from], .msg = f.msg->name()});
  }
  host_.deliver(f.to, f.from, f.to_incarnation, std::move(f.msg));
}

void Network::drop(NodeId from, NodeId to, const Message& msg, std::string_view reason) {
  ++stats_.dropped;
  schema::emit(trace_, sched_.now(), from, event::NetDrop{.to = names_[to], .msg = msg.name(), .reason = reason});
}

void Network::fail_connect(NodeId from, NodeId to, Duration after, std::string_view reason) {
  Conn& c = conn(from, to);
  c.state = ConnState::failed;
  c.failed_from = from;
  const uint32_t inc = c.incarnation;
  const uint32_t from_inc = host_.incarnation(from);
  sched_.after(after, [this, from, to, inc, from_inc, reason] {
    Conn& cc = conn(from, to);
    if (cc.state == ConnState::failed && cc.incarnation == inc) cc.state = ConnState::idle;
    // The sender is told even if the peer has connected meanwhile: what it sent is lost.
    schema::emit(trace_, sched_.now(), kNoNode, event::NetReset{.a = names_[from], .b = names_[to], .reason = reason});
    host_.disconnected(from, to, from_inc);
  });
}

void Network::reset_later(NodeId a, NodeId b, Duration after, std::string_view reason) {
  Conn& c = conn(a, b);
  if (c.state != ConnState::open) return;  // already closing, or nothing to reset
  c.state = ConnState::closing;
  const uint32_t inc = c.incarnation;
  sched_.after(after, [this, a, b, inc, reason] {
    const Conn& cc = conn(a, b);
    if (cc.state == ConnState::closing && cc.incarnation == inc) reset_now(a, b, reason);
  });
}

void Network::reset_now(NodeId a, NodeId b, std::string_view reason) {
  Conn& c = conn(a, b);
  ++c.incarnation;  // whatever is still in flight arrives at a dead connection
  c.state = ConnState::idle;
  ++stats_.resets;
  schema::emit(trace_, sched_.now(), kNoNode, event::NetReset{.a = names_[a], .b = names_[b], .reason = reason});
  if (host_.alive(a)) host_.disconnected(a, b, host_.incarnation(a));
  if (host_.alive(b)) host_.disconnected(b, a, host_.incarnation(b));
}

void Network::cut(NodeId from, NodeId to, std::string_view reason) {
  if (from == to || !topo_.up(from, to)) return;
  topo_.set_up(from, to, false);
  reset_later(from, to, options_.detect, reason);
}

void Network::partition(const std::vector<std::vector<NodeId>>& groups) {
  for (size_t g = 0; g < groups.size(); ++g)
    for (size_t h = 0; h < groups.size(); ++h) {
      if (g == h) continue;
      for (NodeId a : groups[g])
        for (NodeId b : groups[h]) cut(a, b, "partition");
    }
}

void Network::block(NodeId from, NodeId to) { cut(from, to, "block"); }

void Network::isolate(NodeId n) {
  for (NodeId other = 0; other < names_.size(); ++other) {
    if (other == n) continue;
    cut(n, other, "isolate");
    cut(other, n, "isolate");
  }
}

void Network::heal() {
  topo_.heal_all();
  topo_.clear_overrides();
}

void Network::node_down(NodeId n) {
  for (NodeId peer = 0; peer < names_.size(); ++peer)
    if (peer != n) close_from(n, peer, "peer-closed");
}

void Network::close(NodeId n, NodeId peer) { close_from(n, peer, "closed"); }

void Network::close_from(NodeId n, NodeId peer, std::string_view reason) {
  Conn& c = conn(n, peer);
  if (c.state != ConnState::open) return;
  // What n already put on the wire still arrives; then the peer sees the close. If the link
  // is down, the peer only notices by timeout.
  if (!topo_.up(n, peer)) {
    reset_later(n, peer, options_.detect, "peer-down");
    return;
  }
  const Duration after = std::max(topo_.params(n, peer).latency.mean(), c.last_arrival[dir(n, peer)] - sched_.now());
  reset_later(n, peer, after, reason);
}

}  // namespace sim
