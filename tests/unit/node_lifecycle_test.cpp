#include <gtest/gtest.h>

#include "test_nodes.hpp"

using namespace kafkasim_test;

namespace {
Time ms(int64_t v) { return Time{v * 1'000'000}; }

struct Entry final : DiskEntry {
  uint32_t size_bytes() const override { return 8; }
};

// Sets a timer at start, writes to disk on each message, flushes on request.
class DiskNode final : public Node {
 public:
  DiskNode(Record& r, std::vector<size_t>& recovered) : r_(r), recovered_(recovered) {}
  void on_start(Context& ctx) override {
    ++r_.starts;
    f_ = ctx.disk().open("data");
    recovered_.push_back(ctx.disk().size(f_));
    ctx.set_timer(Duration::millis(50), 1);
  }
  void on_message(Context& ctx, NodeId from, const MessagePtr& msg) override {
    r_.messages.push_back({ctx.now(), from, static_cast<const TestMsg&>(*msg).seq});
    if (static_cast<const TestMsg&>(*msg).seq < 0) ctx.disk().flush(f_);
    else ctx.disk().append(f_, std::make_shared<Entry>());
  }
  void on_timer(Context& ctx, uint64_t tag) override { r_.timers.emplace_back(ctx.now(), tag); }

 private:
  Record& r_;
  std::vector<size_t>& recovered_;
  FileId f_ = 0;
};
}  // namespace

TEST(NodeLifecycle, PauseHoldsArrivalsAndTimersInOrderUntilResume) {
  World w(1);
  Record ra, rb;
  const NodeId a = add_recorder(w, "a", ra), b = add_recorder(w, "b", rb);
  w.topology().set_default(constant_link(Duration::millis(1)));
  w.start(a);
  w.start(b);
  w.invoke(b, [](Node&, Context& ctx) { ctx.set_timer(Duration::millis(5), 77); });
  w.pause(b);
  for (int i = 0; i < 3; ++i) send(w, a, b, i);
  w.scheduler().at(ms(20), [&] { w.resume(b); });
  w.run_until_idle(ms(1000));
  ASSERT_EQ(rb.messages.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(rb.messages[i].seq, i);
    EXPECT_EQ(rb.messages[i].at, ms(20)) << "nothing runs on a paused node";
  }
  ASSERT_EQ(rb.timers.size(), 1u);
  EXPECT_EQ(rb.timers[0].first, ms(20)) << "the timer was due at 5ms and fires late, at resume";
  EXPECT_EQ(w.state(b), NodeState::running);
}

TEST(NodeLifecycle, BusyNodesHandleArrivalsLaterButInOrder) {
  World w(1);
  Record ra, rb;
  const NodeId a = add_recorder(w, "a", ra), b = add_recorder(w, "b", rb);
  w.topology().set_default(constant_link(Duration::millis(1)));
  w.start(a);
  w.start(b);
  w.invoke(b, [](Node&, Context& ctx) { ctx.busy(Duration::millis(10)); });
  send(w, a, b, 1);
  w.scheduler().at(ms(10), [&] { send(w, a, b, 2); });  // arrives at 11, after the busy spell
  w.run_until_idle(ms(1000));
  ASSERT_EQ(rb.messages.size(), 2u);
  EXPECT_EQ(rb.messages[0].at, ms(10));
  EXPECT_EQ(rb.messages[1].at, ms(11));
}

TEST(NodeLifecycle, CrashDropsVolatileStateTimersAndUnflushedWrites) {
  World w(1);
  Record ra, rb;
  std::vector<size_t> recovered;
  const NodeId a = add_recorder(w, "a", ra);
  const NodeId b = w.add_node("b", [&] { return std::make_unique<DiskNode>(rb, recovered); });
  w.topology().set_default(constant_link(Duration::millis(1)));
  w.start(a);
  w.start(b);
  send(w, a, b, 1);
  send(w, a, b, 2);
  send(w, a, b, -1);  // flush: 2 durable entries
  send(w, a, b, 3);   // unflushed
  w.scheduler().at(ms(10), [&] { w.crash(b); });
  w.scheduler().at(ms(200), [&] { w.restart(b); });
  w.run_until(ms(220));
  EXPECT_TRUE(rb.timers.empty()) << "the 50ms timer died with the crash";
  EXPECT_EQ(recovered, (std::vector<size_t>{0, 2})) << "the restart recovers only what was flushed";
  EXPECT_EQ(rb.starts, 2);
  w.run_until(ms(300));
  ASSERT_EQ(rb.timers.size(), 1u);
  EXPECT_EQ(rb.timers[0].first, ms(250)) << "the new incarnation's own timer fires";
  EXPECT_FALSE(w.crash(a) && w.crash(a)) << "crashing a crashed node is refused";
}

TEST(NodeLifecycle, CleanShutdownFlushesEverything) {
  World w(1);
  Record ra, rb;
  std::vector<size_t> recovered;
  const NodeId a = add_recorder(w, "a", ra);
  const NodeId b = w.add_node("b", [&] { return std::make_unique<DiskNode>(rb, recovered); });
  w.topology().set_default(constant_link(Duration::millis(1)));
  w.start(a);
  w.start(b);
  for (int i = 0; i < 4; ++i) send(w, a, b, i);
  w.scheduler().at(ms(10), [&] { EXPECT_TRUE(w.shutdown(b)); });
  w.scheduler().at(ms(20), [&] { EXPECT_TRUE(w.restart(b)); });
  w.run_until(ms(30));
  EXPECT_EQ(recovered, (std::vector<size_t>{0, 4}));
  EXPECT_EQ(w.state(b), NodeState::running);
}

TEST(NodeLifecycle, ATimerCancelledWhileHeldNeverFires) {
  // The node is busy until 10ms. A call queued at 3ms cancels a timer that fell due at 5ms and
  // waits behind it: the node must never see the cancelled timer.
  World w(1);
  Record r;
  const NodeId n = add_recorder(w, "n", r);
  w.start(n);
  TimerId keep, cancel;
  w.invoke(n, [&](Node&, Context& ctx) {
    keep = ctx.set_timer(Duration::millis(5), 1);
    cancel = ctx.set_timer(Duration::millis(5), 2);
    ctx.busy(Duration::millis(10));
  });
  bool cancelled = false;
  w.scheduler().at(ms(3), [&] { w.invoke(n, [&](Node&, Context& ctx) { cancelled = ctx.cancel_timer(cancel); }); });
  w.run_until(ms(20));
  EXPECT_TRUE(cancelled);
  ASSERT_EQ(r.timers.size(), 1u);
  EXPECT_EQ(r.timers[0].second, 1u);
  EXPECT_EQ(r.timers[0].first, ms(10));
}

TEST(NodeLifecycle, ANodeCanCrashAtAPointOfItsOwnCode) {
  World w(1);
  Record r;
  const NodeId n = add_recorder(w, "n", r);
  w.start(n);
  bool after = false;
  w.invoke(n, [&](Node&, Context& ctx) {
    ctx.set_timer(Duration::millis(5), 1);
    ctx.crash();
    after = true;  // the callback finishes; the crash takes effect afterwards
  });
  w.run_until(ms(10));
  EXPECT_TRUE(after);
  EXPECT_EQ(w.state(n), NodeState::crashed);
  EXPECT_TRUE(r.timers.empty()) << "the crash cancelled the timer";
}

TEST(NodeLifecycle, InvokeIsRefusedForADeadNode) {
  World w(1);
  Record r;
  const NodeId n = add_recorder(w, "n", r);
  EXPECT_FALSE(w.invoke(n, [](Node&, Context&) {})) << "never started";
  w.start(n);
  EXPECT_TRUE(w.invoke(n, [](Node&, Context&) {}));
  w.crash(n);
  EXPECT_FALSE(w.invoke(n, [](Node&, Context&) {}));
  EXPECT_EQ(w.state(n), NodeState::crashed);
}

TEST(NodeLifecycle, ParanoidRunsStopAtTheFirstBrokenInvariant) {
  World w(1);
  int counter = 0;
  w.invariants().add("counter stays below 3", [&] { return counter < 3 ? std::string() : "counter is 3"; });
  for (int i = 0; i < 5; ++i) w.scheduler().at(ms(i), [&] { ++counter; });
  w.set_paranoid(true);
  EXPECT_THROW(w.run_until(ms(100)), InvariantViolation);
  EXPECT_EQ(counter, 3);
  EXPECT_EQ(w.now(), ms(2));
}

namespace {
// A node whose own state breaks its invariant once its counter reaches 2.
class CountingNode final : public Node {
 public:
  void on_start(Context&) override {}
  void on_message(Context&, NodeId, const MessagePtr&) override {}
  void on_timer(Context&, uint64_t) override { ++count_; }
  std::string invariants() const override { return count_ >= 2 ? "count reached " + std::to_string(count_) : std::string(); }

 private:
  int count_ = 0;
};
}  // namespace

TEST(NodeLifecycle, ANodesOwnInvariantsAreCheckedAfterEachOfItsEventsWhenParanoid) {
  for (bool paranoid : {false, true}) {
    World w(1);
    const NodeId n = w.add_node("n", [] { return std::make_unique<CountingNode>(); });
    w.set_paranoid(paranoid);
    w.start(n);
    for (int i = 1; i <= 3; ++i) w.invoke(n, [i](Node&, Context& ctx) { ctx.set_timer(Duration::millis(i), 0); });
    if (!paranoid) {
      EXPECT_NO_THROW(w.run_until(ms(100))) << "only --paranoid runs check";
      continue;
    }
    try {
      w.run_until(ms(100));
      ADD_FAILURE() << "the broken invariant went unnoticed";
    } catch (const InvariantViolation& e) {
      EXPECT_NE(std::string(e.what()).find("n broke an invariant"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("count reached 2"), std::string::npos) << e.what();
      EXPECT_EQ(w.now(), ms(2)) << "stopped at the event that broke it";
    }
  }
}
