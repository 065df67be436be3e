#include <gtest/gtest.h>

#include "test_nodes.hpp"

using namespace kafkasim_test;

namespace {
struct Pair {
  World w{1};
  Record ra, rb;
  NodeId a, b;
  explicit Pair(Duration latency = Duration::millis(10), Duration detect = Duration::millis(100)) {
    a = add_recorder(w, "a", ra);
    b = add_recorder(w, "b", rb);
    w.topology().set_default(constant_link(latency));
    w.network().options().detect = detect;
    w.start(a);
    w.start(b);
  }
  void at(int64_t ms, std::function<void()> f) { w.scheduler().at(Time{ms * 1'000'000}, std::move(f)); }
  static Time ms(int64_t v) { return Time{v * 1'000'000}; }
};
}  // namespace

TEST(Network, DeliversAfterTheLinkLatency) {
  Pair p;
  send(p.w, p.a, p.b, 1);
  p.w.run_until_idle(Pair::ms(1000));
  ASSERT_EQ(p.rb.messages.size(), 1u);
  EXPECT_EQ(p.rb.messages[0].at, Pair::ms(10));
  EXPECT_EQ(p.rb.messages[0].from, p.a);
}

// A node's message to itself (a transaction coordinator writing markers to a partition it
// leads) arrives at once, without a connection: under ASan a connection lookup for the pair
// (a, a) reads past the table of distinct pairs.
TEST(Network, ALoopbackMessageArrivesAtOnce) {
  Pair p;
  send(p.w, p.b, p.b, 1);
  p.w.run_until_idle(Pair::ms(1000));
  ASSERT_EQ(p.rb.messages.size(), 1u);
  EXPECT_EQ(p.rb.messages[0].at, Pair::ms(0));
  EXPECT_EQ(p.rb.messages[0].from, p.b);
}

TEST(Network, ConnectionsAreFifoEvenWithHeavyJitter) {
  Pair p;
  LinkParams noisy;
  noisy.latency = DurationDist{DurationDist::Kind::uniform, Duration::millis(1), Duration::millis(20), 0};
  noisy.jitter = Duration::millis(5);
  p.w.topology().set_default(noisy);
  for (int i = 0; i < 300; ++i) {
    p.at(0, [&p, i] { send(p.w, p.a, p.b, i); });
  }
  p.w.run_until_idle(Pair::ms(10'000));
  ASSERT_EQ(p.rb.messages.size(), 300u);
  for (int i = 0; i < 300; ++i) EXPECT_EQ(p.rb.messages[i].seq, i);
  // The jitter is real: arrival times spread out even though everything was sent at once.
  EXPECT_GT(p.rb.messages.back().at - p.rb.messages.front().at, Duration::millis(5));
}

TEST(Network, PartitionLosesInFlightMessagesAndResetsAfterDetection) {
  Pair p;
  p.at(0, [&] { send(p.w, p.a, p.b, 1); });
  p.at(5, [&] { p.w.network().partition({{p.a}, {p.b}}); });
  p.at(50, [&] { send(p.w, p.b, p.a, 2); });  // into the cut: lost
  p.w.run_until_idle(Pair::ms(10'000));
  EXPECT_TRUE(p.rb.messages.empty()) << "the message in flight when the partition began is lost";
  EXPECT_TRUE(p.ra.messages.empty());
  ASSERT_EQ(p.ra.disconnects.size(), 1u);
  ASSERT_EQ(p.rb.disconnects.size(), 1u);
  EXPECT_EQ(p.ra.disconnects[0].first, Pair::ms(105)) << "both ends learn after the detection delay";
  EXPECT_EQ(p.rb.disconnects[0].first, Pair::ms(105));
  EXPECT_FALSE(p.w.topology().reachable(p.a, p.b));
}

TEST(Network, HealedLinksCarryNewConnections) {
  Pair p;
  p.at(0, [&] { send(p.w, p.a, p.b, 1); });
  p.at(20, [&] { p.w.network().partition({{p.a}, {p.b}}); });
  p.at(30, [&] { p.w.network().heal(); });
  p.at(200, [&] { send(p.w, p.a, p.b, 2); });
  p.w.run_until_idle(Pair::ms(10'000));
  EXPECT_EQ(p.rb.seqs(), (std::vector<int>{1, 2}));
  EXPECT_EQ(p.rb.messages[1].at, Pair::ms(210));
  EXPECT_TRUE(p.w.topology().reachable(p.a, p.b));
}

TEST(Network, OneWayBlockStillCarriesTheOtherDirectionUntilTheReset) {
  Pair p;
  p.at(0, [&] { send(p.w, p.b, p.a, 0); });       // opens the connection
  p.at(20, [&] { p.w.network().block(p.a, p.b); });
  p.at(30, [&] {
    send(p.w, p.a, p.b, 100);  // the blocked direction: lost
    send(p.w, p.b, p.a, 1);    // the open direction: arrives
  });
  p.at(130, [&] { send(p.w, p.b, p.a, 2); });  // after the reset a new connect cannot complete
  p.at(300, [&] { p.w.network().heal(); });
  p.at(400, [&] { send(p.w, p.b, p.a, 3); });
  p.w.run_until_idle(Pair::ms(10'000));
  EXPECT_TRUE(p.rb.messages.empty());
  EXPECT_EQ(p.ra.seqs(), (std::vector<int>{0, 1, 3}));
  ASSERT_GE(p.rb.disconnects.size(), 2u);
  EXPECT_EQ(p.rb.disconnects[0].first, Pair::ms(120)) << "reset one detection delay after the block";
  EXPECT_EQ(p.rb.disconnects[1].first, Pair::ms(230)) << "the failed connect is noticed by timeout";
  EXPECT_TRUE(p.w.topology().reachable(p.b, p.a) && p.w.topology().reachable(p.a, p.b));
}

TEST(Network, CrashedSenderMessagesOnTheWireStillArrive) {
  Pair p;
  p.at(0, [&] { send(p.w, p.a, p.b, 1); });
  p.at(5, [&] { p.w.crash(p.a); });
  p.at(7, [&] { send(p.w, p.b, p.a, 2); });
  p.w.run_until_idle(Pair::ms(30));
  EXPECT_EQ(p.rb.seqs(), (std::vector<int>{1}));
  EXPECT_TRUE(p.ra.messages.empty());
  ASSERT_EQ(p.rb.disconnects.size(), 1u);
  EXPECT_EQ(p.rb.disconnects[0].first, Pair::ms(15)) << "the close follows the last byte a sent";
}

TEST(Network, SendingToADownNodeIsRefused) {
  Pair p;
  p.at(0, [&] { p.w.crash(p.a); });
  p.at(1, [&] { send(p.w, p.b, p.a, 1); });
  p.at(2, [&] { send(p.w, p.b, p.a, 2); });
  p.w.run_until_idle(Pair::ms(1000));
  ASSERT_EQ(p.rb.disconnects.size(), 1u);
  EXPECT_EQ(p.rb.disconnects[0].first, Pair::ms(21)) << "refused after a round trip";
  EXPECT_EQ(p.w.network().stats().delivered, 0u);
  EXPECT_EQ(p.w.network().stats().dropped, 2u);
}

TEST(Network, AFailedConnectDoesNotStopThePeerFromConnecting) {
  Pair p;
  p.at(0, [&] { p.w.crash(p.b); });
  p.at(1, [&] { send(p.w, p.a, p.b, 1); });  // refused; a is told at 21
  p.at(5, [&] { p.w.restart(p.b); });
  p.at(6, [&] { send(p.w, p.b, p.a, 2); });  // b connects on its own
  p.w.run_until_idle(Pair::ms(1000));
  EXPECT_EQ(p.ra.seqs(), (std::vector<int>{2}));
  ASSERT_EQ(p.ra.disconnects.size(), 1u);
  EXPECT_EQ(p.ra.disconnects[0].first, Pair::ms(21));
}

TEST(Network, MessagesToARestartedNodeFromItsOldConnectionAreLost) {
  Pair p;
  p.at(0, [&] { send(p.w, p.b, p.a, 0); });
  p.at(20, [&] {
    send(p.w, p.b, p.a, 1);  // arrives at 30, after a has crashed and restarted
    p.w.crash(p.a);
    p.w.restart(p.a);
  });
  p.w.run_until_idle(Pair::ms(1000));
  EXPECT_EQ(p.ra.seqs(), (std::vector<int>{0})) << "a fresh process has no part in the old connection";
}

TEST(Network, LossDelaysButNeverDropsOrReorders) {
  Pair p(Duration::millis(1));
  LinkParams lossy = constant_link(Duration::millis(1));
  lossy.loss = 0.3;
  p.w.topology().set_default(lossy);
  for (int i = 0; i < 200; ++i) p.at(i, [&p, i] { send(p.w, p.a, p.b, i); });
  p.w.run_until_idle(Pair::ms(100'000));
  ASSERT_EQ(p.rb.messages.size(), 200u);
  Duration worst{};
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(p.rb.messages[i].seq, i);
    worst = std::max(worst, p.rb.messages[i].at - Pair::ms(i));
  }
  EXPECT_GE(worst, Duration::millis(200)) << "a lost segment waits for the retransmission timeout";
}

TEST(Network, BandwidthSerialisesMessages) {
  Pair p(Duration::millis(1));
  LinkParams slow = constant_link(Duration::millis(1));
  slow.bandwidth = 1000;  // bytes per second
  p.w.topology().set_default(slow);
  p.at(0, [&] {
    send(p.w, p.a, p.b, 1, 100);
    send(p.w, p.a, p.b, 2, 100);
  });
  p.w.run_until_idle(Pair::ms(10'000));
  ASSERT_EQ(p.rb.messages.size(), 2u);
  EXPECT_EQ(p.rb.messages[0].at, Pair::ms(101));  // 100 bytes at 1000 B/s, then 1 ms latency
  EXPECT_EQ(p.rb.messages[1].at, Pair::ms(201));
}

TEST(Network, IsolateCutsEveryLinkOfTheNode) {
  World w(1);
  Record r[3];
  NodeId ids[3];
  for (int i = 0; i < 3; ++i) {
    ids[i] = add_recorder(w, "n" + std::to_string(i), r[i]);
    w.start(ids[i]);
  }
  w.network().isolate(ids[0]);
  EXPECT_FALSE(w.topology().reachable(ids[0], ids[1]));
  EXPECT_FALSE(w.topology().reachable(ids[2], ids[0]));
  EXPECT_TRUE(w.topology().reachable(ids[1], ids[2]));
  send(w, ids[1], ids[2], 7);
  send(w, ids[1], ids[0], 8);
  w.run_until_idle(Time{Duration::seconds(10).ns});
  EXPECT_EQ(r[2].seqs(), (std::vector<int>{7}));
  EXPECT_TRUE(r[0].messages.empty());
}

TEST(Network, JitterDrawsOfOneLinkDoNotDependOnOtherTraffic) {
  auto arrivals = [](bool extra_traffic) {
    World w(5);
    Record ra, rb, rc;
    const NodeId a = add_recorder(w, "a", ra), b = add_recorder(w, "b", rb), c = add_recorder(w, "c", rc);
    LinkParams noisy;
    noisy.latency = DurationDist{DurationDist::Kind::uniform, Duration::millis(1), Duration::millis(9), 0};
    w.topology().set_default(noisy);
    for (NodeId n : {a, b, c}) w.start(n);
    for (int i = 0; i < 50; ++i) {
      w.scheduler().at(Time{i * 20'000'000LL}, [&w, a, b, c, i, extra_traffic] {
        send(w, a, b, i);
        if (extra_traffic) send(w, c, b, 1000 + i);
      });
    }
    w.run_until_idle(Time{Duration::seconds(10).ns});
    std::vector<Time> out;
    for (const auto& m : rb.messages)
      if (m.from == a) out.push_back(m.at);
    return out;
  };
  EXPECT_EQ(arrivals(false), arrivals(true));
}
