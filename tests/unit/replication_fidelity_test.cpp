// Replication and the controller against Kafka's own rules, with real nodes in virtual time:
// a leader takes the controller's ISR over its own change in flight (Partition.makeLeader),
// the controller's min ISR is capped by the replication factor, metadata before 3.6 bumps
// the leader epoch on an ISR shrink (KAFKA-15021), and from 4.0 a new broker incarnation
// leaves every ISR (ClusterControlManager.registerBroker).
#include <gtest/gtest.h>

#include <algorithm>

#include "node_harness.hpp"

namespace kafkasim_test {
namespace {

using kafka::BrokerId;
using sim::Duration;

const std::string kTopic = "orders";

kafka::TopicSpec orders(std::vector<BrokerId> replicas = {1, 2, 3}) { return one_partition_topic(kTopic, std::move(replicas)); }

kafka::SendSpec record(const std::string& value) { return record_of(kTopic, value); }

std::vector<BrokerId> isr_at_controller(const TestCluster& c) { return c.registration(kTopic, 0)->isr; }

size_t failures_with(const TestCluster& c, sim::NodeId n, std::string_view error) {
  size_t count = 0;
  for (const sim::StoredEvent* e : c.events("replica.alter_partition_failed", n))
    count += e->text("error") == error ? 1 : 0;
  return count;
}

// Broker 3 falls out of the ISR, then catches up, and the leader proposes it back; while that
// AlterPartition is on its (slow) way, broker 2's controlled shutdown makes the controller
// shrink the ISR. The leader must take the controller's ISR when the metadata arrives, and
// its own proposal is refused with INVALID_UPDATE_VERSION.
TEST(ReplicationFidelity, MetadataReplacesTheLeadersIsrChangeInFlight) {
  TestCluster::Options o;
  o.broker = {{"replica.lag.time.max.ms", int64_t{2000}}};
  TestCluster c(o);
  c.topic(orders());
  const sim::NodeId p = c.producer("app", {{"acks", "1"}});
  c.partition({{c.node(3)}, {c.node(1), c.node(2)}});
  auto a = c.send(p, record("a"));
  ASSERT_TRUE(c.run_until([&] { return isr_at_controller(c) == std::vector<BrokerId>{1, 2}; }));
  ASSERT_TRUE(a->ok());
  ASSERT_TRUE(c.run_until([&] { return !c.replica(1, kTopic, 0)->pending_isr; }));
  c.heal();
  c.slow_link(c.node(1), c.layout().controller, Duration::seconds(3));
  ASSERT_TRUE(c.run_until([&] { return c.replica(1, kTopic, 0)->pending_isr.has_value(); }));
  EXPECT_EQ(*c.replica(1, kTopic, 0)->pending_isr, (std::vector<BrokerId>{1, 2, 3}));
  c.shutdown(c.node(2));
  ASSERT_TRUE(c.run_until([&] { return isr_at_controller(c) == std::vector<BrokerId>{1}; }));
  const int32_t epoch = c.registration(kTopic, 0)->partition_epoch;
  ASSERT_TRUE(c.run_until([&] { return c.replica(1, kTopic, 0)->partition_epoch >= epoch; }));
  EXPECT_EQ(c.replica(1, kTopic, 0)->isr, (std::vector<BrokerId>{1})) << "the leader kept a stale ISR";
  ASSERT_TRUE(c.run_until([&] { return failures_with(c, c.node(1), "INVALID_UPDATE_VERSION") > 0; }, Duration::seconds(10)));
  // Proposed again from the new ISR, broker 3 joins it.
  ASSERT_TRUE(c.run_until([&] { return isr_at_controller(c) == std::vector<BrokerId>{1, 3}; }, Duration::seconds(20)));
  ASSERT_TRUE(c.run_until([&] { return c.replica(1, kTopic, 0)->isr == std::vector<BrokerId>{1, 3}; }));
}

// ReplicationControlManager.getTopicEffectiveMinIsr.
TEST(ReplicationFidelity, TheControllersMinIsrIsCappedByTheReplicationFactor) {
  TestCluster c;
  kafka::TopicSpec spec = orders({1, 2});
  spec.min_insync_replicas = 3;
  c.topic(spec);
  const auto* controller = dynamic_cast<const kafka::Controller*>(c.world().node(c.layout().controller));
  ASSERT_NE(controller, nullptr);
  EXPECT_EQ(controller->effective_min_isr(*c.registration(kTopic, 0)), 2);
}

// PartitionChangeBuilder.triggerLeaderEpochBumpForIsrShrinkIfNeeded: before metadata 3.6
// (KAFKA-15021) an ISR shrink also starts a new leader epoch, with the same leader.
class IsrShrink : public ::testing::TestWithParam<kafka::KafkaVersion> {};

TEST_P(IsrShrink, BumpsTheLeaderEpochOnlyBefore3_6) {
  TestCluster::Options o;
  o.kafka_version = GetParam();
  o.broker = {{"replica.lag.time.max.ms", int64_t{2000}}};
  TestCluster c(o);
  c.topic(orders());
  const sim::NodeId p = c.producer("app", {{"acks", "1"}});
  c.partition({{c.node(3)}, {c.node(1), c.node(2)}});
  c.send(p, record("a"));
  ASSERT_TRUE(c.run_until([&] { return isr_at_controller(c) == std::vector<BrokerId>{1, 2}; }));
  const bool bump = GetParam() < kafka::KafkaVersion{3, 6};
  EXPECT_EQ(c.registration(kTopic, 0)->leader, 1);
  EXPECT_EQ(c.registration(kTopic, 0)->leader_epoch, bump ? 1 : 0);
  // The leader answers the new epoch as a re-elected leader and keeps leading.
  ASSERT_TRUE(c.run_until([&] { return c.replica(1, kTopic, 0)->isr == std::vector<BrokerId>{1, 2}; }));
  EXPECT_EQ(c.replica(1, kTopic, 0)->leader_epoch, bump ? 1 : 0);
  EXPECT_TRUE(c.replica(1, kTopic, 0)->is_leader());
}

INSTANTIATE_TEST_SUITE_P(MetadataVersion, IsrShrink, ::testing::Values(kafka::KafkaVersion{3, 5}, kafka::KafkaVersion{3, 9}),
                         [](const ::testing::TestParamInfo<kafka::KafkaVersion>& v) { return "v" + std::to_string(v.param.major) + "_" + std::to_string(v.param.minor); });

}  // namespace
}  // namespace kafkasim_test

namespace kafkasim_test {
namespace {

// The leader crashes and loses its unflushed log, and its new incarnation registers once the
// old session has expired but before the controller got round to fencing it: it is still the
// leader and in the ISR. Before 4.0 it leads again with an empty log and the followers
// truncate committed records (scenarios/teaching/06_retries_reorder_idempotence.lua, seed 1); from 4.0 its
// registration first takes it out of every ISR and elects another leader
// (ReplicationControlManager.handleBrokerUncleanShutdown from ClusterControlManager.registerBroker).
class NewIncarnation : public ::testing::TestWithParam<kafka::KafkaVersion> {};

TEST_P(NewIncarnation, LeavesEveryIsrFrom4_0) {
  TestCluster::Options o;
  o.kafka_version = GetParam();
  TestCluster c(o);
  c.topic(orders());
  const sim::NodeId p = c.producer("app", {{"acks", "all"}});
  for (const char* v : {"a", "b", "c"}) {
    auto sent = c.send(p, record(v));
    ASSERT_TRUE(c.run_until([&] { return sent->done(); }));
    ASSERT_TRUE(sent->ok());
  }
  // Timed so that the restarted broker's registration lands between its old session's expiry
  // and the controller's next check for expired sessions.
  c.run_for(Duration::millis(1100));
  c.crash(c.node(1));
  c.run_for(Duration::seconds(5));
  c.restart(c.node(1));
  ASSERT_TRUE(c.run_until([&] { return c.events("controller.register", c.layout().controller).size() == 4; }));
  const kafka::PartitionState* s = c.registration(kTopic, 0);
  EXPECT_TRUE(c.events("controller.fence").empty()) << "the controller never fenced the old incarnation";
  if (GetParam() < kafka::kV4_0) {
    // Kafka before 4.0: still the leader in its epoch, with an empty log.
    EXPECT_EQ(s->leader, 1);
    ASSERT_TRUE(c.run_until([&] { return c.log(2, kTopic, 0) && c.log(2, kTopic, 0)->log_end_offset() == 0; }));
    return;
  }
  EXPECT_NE(s->leader, 1) << "a new incarnation never leads at once";
  EXPECT_EQ(std::count(s->isr.begin(), s->isr.end(), 1), 0);
  c.run_for(Duration::seconds(10));
  EXPECT_EQ(c.records(2, kTopic, 0).size(), 3u);
  EXPECT_EQ(c.records(3, kTopic, 0).size(), 3u);
  ASSERT_TRUE(c.run_until([&] { return c.log(1, kTopic, 0) && c.log(1, kTopic, 0)->log_end_offset() == 3; }))
      << "broker 1 follows and catches up";
}

INSTANTIATE_TEST_SUITE_P(Versions, NewIncarnation, ::testing::Values(kafka::KafkaVersion{3, 9}, kafka::kV4_0),
                         [](const ::testing::TestParamInfo<kafka::KafkaVersion>& v) {
                           return "v" + std::to_string(v.param.major) + "_" + std::to_string(v.param.minor);
                         });

}  // namespace
}  // namespace kafkasim_test
