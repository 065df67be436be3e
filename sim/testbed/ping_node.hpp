#pragma once
// A kernel test node: pings its peers on a timer, answers pings with pongs, and logs every
// pong to its disk (flushed on a timer), recovering the count on restart. It exercises the
// network, timers, disk durability and lifecycle without any Kafka, for kernel tests and the
// example scenario.
#include <cstdint>
#include <vector>

#include "sim/node.hpp"

namespace sim::testbed {

struct PingConfig {
  std::vector<NodeId> peers;
  Duration interval = Duration::millis(100);
  Duration flush_every = Duration::seconds(1);
};

// Counters that survive the node object, so scenarios and tests can read them after a crash.
struct PingStats {
  uint64_t pings_sent = 0;
  uint64_t pongs_received = 0;
  uint64_t disconnects = 0;
  uint64_t recovered = 0;  // pong records found on disk at the last start
  uint64_t starts = 0;
};

class PingNode final : public Node {
 public:
  PingNode(PingConfig config, PingStats& stats) : config_(std::move(config)), stats_(stats) {}
  void on_start(Context& ctx) override;
  void on_message(Context& ctx, NodeId from, const MessagePtr& msg) override;
  void on_timer(Context& ctx, uint64_t tag) override;
  void on_disconnect(Context& ctx, NodeId peer) override;

 private:
  enum Timer : uint64_t { kPing = 1, kFlush = 2 };
  PingConfig config_;
  PingStats& stats_;
  FileId log_ = 0;
  uint64_t seq_ = 0;
};

}  // namespace sim::testbed
