#include "sim/testbed/ping_node.hpp"

#include <memory>

#include "sim/world_events.hpp"

namespace sim::testbed {

namespace {
struct Ping final : Message {
  uint64_t seq;
  explicit Ping(uint64_t s) : seq(s) {}
  std::string_view name() const override { return "Ping"; }
  void describe(std::vector<Field>& out) const override { out.push_back(event::message::seq(seq)); }
};
struct Pong final : Message {
  uint64_t seq;
  explicit Pong(uint64_t s) : seq(s) {}
  std::string_view name() const override { return "Pong"; }
  void describe(std::vector<Field>& out) const override { out.push_back(event::message::seq(seq)); }
};
struct PongRecord final : DiskEntry {
  NodeId from;
  uint64_t seq;
  PongRecord(NodeId f, uint64_t s) : from(f), seq(s) {}
  uint32_t size_bytes() const override { return 16; }
};
}  // namespace

void PingNode::on_start(Context& ctx) {
  ++stats_.starts;
  log_ = ctx.disk().open("pongs.log");
  if (ctx.disk().last_entry_torn(log_)) ctx.disk().truncate(log_, ctx.disk().size(log_) - 1);
  stats_.recovered = ctx.disk().size(log_);
  ctx.trace(event::PingRecovered{.records = stats_.recovered});
  ctx.set_timer(config_.interval, kPing);
  ctx.set_timer(config_.flush_every, kFlush);
}

void PingNode::on_message(Context& ctx, NodeId from, const MessagePtr& msg) {
  if (auto* ping = dynamic_cast<const Ping*>(msg.get())) {
    ctx.send(from, std::make_shared<Pong>(ping->seq));
  } else if (auto* pong = dynamic_cast<const Pong*>(msg.get())) {
    ++stats_.pongs_received;
    ctx.disk().append(log_, std::make_shared<PongRecord>(from, pong->seq));
  }
}

void PingNode::on_timer(Context& ctx, uint64_t tag) {
  if (tag == kPing) {
    ++seq_;
    for (NodeId peer : config_.peers) {
      ctx.send(peer, std::make_shared<Ping>(seq_));
      ++stats_.pings_sent;
    }
    ctx.set_timer(config_.interval, kPing);
  } else if (tag == kFlush) {
    ctx.disk().flush(log_);
    ctx.set_timer(config_.flush_every, kFlush);
  }
}

void PingNode::on_disconnect(Context& ctx, NodeId peer) {
  ++stats_.disconnects;
  ctx.trace(event::PingDisconnect{.peer = ctx.name_of(peer)});
}

}  // namespace sim::testbed
