#pragma once
// Test-only nodes: they record what reaches them so tests can assert on it.
#include <memory>
#include <string>
#include <vector>

#include "sim/world.hpp"

namespace kafkasim_test {

using namespace sim;

struct TestMsg final : Message {
  int seq;
  uint32_t bytes;
  explicit TestMsg(int s, uint32_t b = 64) : seq(s), bytes(b) {}
  std::string_view name() const override { return "TestMsg"; }
  uint32_t size_bytes() const override { return bytes; }
  void describe(std::vector<Field>& out) const override { out.push_back({"seq", Value(seq)}); }
};

struct Received {
  Time at;
  NodeId from;
  int seq;
};

// What a node saw; owned by the test so it survives crashes.
struct Record {
  std::vector<Received> messages;
  std::vector<std::pair<Time, uint64_t>> timers;
  std::vector<std::pair<Time, NodeId>> disconnects;
  int starts = 0;
  std::vector<int> seqs() const {
    std::vector<int> out;
    for (const auto& m : messages) out.push_back(m.seq);
    return out;
  }
};

class RecordingNode final : public Node {
 public:
  explicit RecordingNode(Record& r) : r_(r) {}
  void on_start(Context&) override { ++r_.starts; }
  void on_message(Context& ctx, NodeId from, const MessagePtr& msg) override {
    r_.messages.push_back({ctx.now(), from, static_cast<const TestMsg&>(*msg).seq});
  }
  void on_timer(Context& ctx, uint64_t tag) override { r_.timers.emplace_back(ctx.now(), tag); }
  void on_disconnect(Context& ctx, NodeId peer) override { r_.disconnects.emplace_back(ctx.now(), peer); }

 private:
  Record& r_;
};

inline NodeId add_recorder(World& w, const std::string& name, Record& r, std::string rack = "") {
  return w.add_node(name, [&r] { return std::make_unique<RecordingNode>(r); }, std::move(rack));
}

inline void send(World& w, NodeId from, NodeId to, int seq, uint32_t bytes = 64) {
  w.invoke(from, [to, seq, bytes](Node&, Context& ctx) { ctx.send(to, std::make_shared<TestMsg>(seq, bytes)); });
}

inline LinkParams constant_link(Duration latency) {
  LinkParams p;
  p.latency = DurationDist::constant(latency);
  return p;
}

}  // namespace kafkasim_test
