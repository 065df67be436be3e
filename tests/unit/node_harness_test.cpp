// Protocol behaviour of the real nodes, driven from C++ by TestCluster: when acks=all answers,
// what a consumer may read, who leads after a crash, how a returning follower truncates
// (KIP-101/279), and that the committed-data invariant catches a follower that does not.
#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>

#include "node_harness.hpp"

namespace kafkasim_test {
namespace {

using sim::Duration;

const std::string kTopic = "orders";

// One partition on brokers 1, 2 and 3, broker 1 its preferred leader.
kafka::TopicSpec orders() { return one_partition_topic(kTopic); }

kafka::SendSpec record(const std::string& value) { return record_of(kTopic, value); }

std::vector<std::string> values(const std::vector<LogRecord>& log) {
  std::vector<std::string> out;
  for (const LogRecord& r : log) out.push_back(r.value);
  return out;
}

// Sends one record and runs until its outcome is known.
std::shared_ptr<SentRecord> send_and_wait(TestCluster& c, sim::NodeId producer, const std::string& value) {
  auto sent = c.send(producer, record(value));
  EXPECT_TRUE(c.run_until([&] { return sent->done(); })) << value << " got no answer";
  return sent;
}

// A leader cut off from its followers still takes an acks=all record into its own log, but
// answers only once the followers have it and the high watermark passes it
// (Partition.checkEnoughReplicasReachOffset). The bug switch acks_all_before_isr answers at once.
TEST(NodeHarness, AcksAllAnswersOnlyOnceTheHighWatermarkPassesTheRecord) {
  for (const bool bug : {false, true}) {
    SCOPED_TRACE(bug ? "with acks_all_before_isr" : "as Kafka");
    TestCluster::Options o;
    o.bugs.acks_all_before_isr = bug;
    TestCluster c(o);
    c.topic(orders());
    const sim::NodeId p = c.producer("app", {{"acks", "all"}});
    ASSERT_TRUE(send_and_wait(c, p, "a")->ok());
    ASSERT_TRUE(c.run_until([&] { return c.log(1, kTopic, 0)->high_watermark() == 1; }));

    c.partition({{c.node(1)}, {c.node(2), c.node(3)}});
    auto x = c.send(p, record("x"));
    ASSERT_TRUE(c.run_until([&] { return c.log(1, kTopic, 0)->log_end_offset() == 2; }));
    c.run_for(Duration::seconds(3));  // well inside replica.lag.time.max.ms: the ISR stays whole
    EXPECT_EQ(c.log(1, kTopic, 0)->high_watermark(), 1);
    if (bug) {
      EXPECT_TRUE(x->ok()) << "the bug answers from the leader's log alone";
      continue;
    }
    EXPECT_FALSE(x->done()) << "acks=all answered while only the leader had the record";

    c.heal();
    int64_t hw_when_answered = -1;
    ASSERT_TRUE(c.run_until([&] {
      if (x->done()) hw_when_answered = c.log(1, kTopic, 0)->high_watermark();
      return x->done();
    }));
    ASSERT_TRUE(x->ok()) << kafka::error_name(x->result->error);
    EXPECT_EQ(x->result->offset, 1);
    EXPECT_GT(hw_when_answered, x->result->offset);
    for (kafka::BrokerId b : {2, 3}) EXPECT_EQ(values(c.records(b, kTopic, 0)), (std::vector<std::string>{"a", "x"}));
  }
}

// An acks=0 produce the broker refuses gets no answer, but KafkaApis.handleProduceRequest closes
// the connection (requestChannel.closeConnection): the producer sees the disconnect, refreshes
// its metadata and sends the next record to the new leader instead of losing it too.
TEST(NodeHarness, AFailedAcksZeroProduceClosesTheConnection) {
  TestCluster c;
  c.topic(orders());
  const sim::NodeId p = c.producer("app", {{"acks", "0"}});
  ASSERT_TRUE(send_and_wait(c, p, "a")->ok());
  ASSERT_TRUE(c.run_until([&] { return c.log(1, kTopic, 0)->high_watermark() == 1; }));

  // Broker 1 loses leadership; the producer, which kept its connection to it, does not hear.
  c.partition({{c.node(1)}, {c.node(2), c.node(3), c.layout().controller}});
  ASSERT_TRUE(c.run_until([&] {
    const kafka::BrokerId l = c.leader(kTopic, 0);
    return l != 1 && l != kafka::kNoLeader && c.replica(l, kTopic, 0) && c.replica(l, kTopic, 0)->is_leader();
  }));
  c.heal();
  ASSERT_TRUE(c.run_until([&] { return c.replica(1, kTopic, 0) && !c.replica(1, kTopic, 0)->is_leader(); }));
  const kafka::BrokerId leader = c.leader(kTopic, 0);

  ASSERT_TRUE(send_and_wait(c, p, "y")->ok()) << "acks=0: counted as sent";
  c.run_for(sim::Duration::seconds(2));
  ASSERT_TRUE(send_and_wait(c, p, "z")->ok());
  ASSERT_TRUE(c.run_until([&] {
    const auto v = values(c.records(leader, kTopic, 0));
    return std::find(v.begin(), v.end(), "z") != v.end();
  }, sim::Duration::seconds(10))) << "z went to the old leader as well";
  bool closed = false;
  for (const sim::StoredEvent* e : c.events("net.reset")) closed |= e->text("reason") == "closed";
  EXPECT_TRUE(closed);
}

// The trace names a response's error on its net.send (the space-time diagram draws it on the
// arrow), and a request the producer stops waiting for is an event of its own.
TEST(NodeHarness, TheTraceNamesAResponsesErrorAndARequestTimeout) {
  TestCluster c;
  kafka::TopicSpec spec = orders();
  spec.min_insync_replicas = 3;
  c.topic(spec);
  const sim::NodeId p = c.producer("app", {{"acks", "all"}, {"enable.idempotence", "false"}, {"retries", "0"}});
  const auto first = send_and_wait(c, p, "a");
  ASSERT_TRUE(first->ok()) << (first->done() ? kafka::error_name(first->result->error) : "no answer");
  c.crash(c.node(3));
  ASSERT_TRUE(c.run_until([&] { return c.registration(kTopic, 0)->isr.size() == 2; }));
  c.run_for(Duration::seconds(2));  // the leader learns the smaller ISR from the metadata log
  const auto refused = send_and_wait(c, p, "b");
  ASSERT_FALSE(refused->ok());
  EXPECT_EQ(refused->result->error, kafka::Error::NOT_ENOUGH_REPLICAS);
  const auto produce_errors = [&] {
    std::vector<std::string> out;
    for (const sim::StoredEvent* e : c.events("net.send"))
      if (e->text("msg") == "ProduceResponse" && !e->text("error").empty()) out.emplace_back(e->text("error"));
    return out;
  };
  EXPECT_EQ(produce_errors(), std::vector<std::string>{"NOT_ENOUGH_REPLICAS"}) << "only the failed answer names an error";

  // A paused leader answers nothing: the producer gives up after request.timeout.ms (30 s).
  const kafka::BrokerId leader = c.leader(kTopic, 0);
  c.pause(c.node(leader));
  auto waiting = c.send(p, record("c"));
  c.run_for(Duration::seconds(31));
  const auto timeouts = c.events("producer.request_timeout", p);
  ASSERT_EQ(timeouts.size(), 1u);
  EXPECT_EQ(timeouts[0]->text("api"), "Produce");
  EXPECT_EQ(timeouts[0]->text("peer"), "broker-" + std::to_string(leader));
  bool request_sent = false;
  for (const sim::StoredEvent* e : c.events("net.send", p))
    request_sent |= e->text("msg") == "ProduceRequest" && e->integer("correlation_id") == timeouts[0]->integer("correlation_id");
  EXPECT_TRUE(request_sent) << "the timeout names the request it gave up on";
}

// A consumer reads only below the high watermark: a record the followers do not have yet is
// invisible to it, however long it sits in the leader's log (Kafka's fetch isolation for
// consumers, FetchIsolation.HIGH_WATERMARK).
TEST(NodeHarness, AConsumerReadsOnlyBelowTheHighWatermark) {
  TestCluster::Options o;
  o.broker = {{"offsets.topic.num.partitions", 1}};
  TestCluster c(o);
  c.topic(orders());
  const sim::NodeId p = c.producer("app", {{"acks", "1"}});
  c.consumer("reader-1", "readers", {kTopic}, {{"auto.offset.reset", "earliest"}});
  auto has_read = [&](const std::string& value) {
    const auto& read = c.outcomes().group("readers").processed;
    return std::any_of(read.begin(), read.end(), [&](const auto& r) { return c.outcomes().text(r.value) == value; });
  };
  ASSERT_TRUE(send_and_wait(c, p, "a")->ok());
  ASSERT_TRUE(c.run_until([&] { return has_read("a"); })) << "the member never read the first record";

  c.partition({{c.node(1)}, {c.node(2), c.node(3)}});
  ASSERT_TRUE(send_and_wait(c, p, "x")->ok()) << "acks=1: the leader alone answers";
  c.run_for(Duration::seconds(3));
  EXPECT_EQ(c.log(1, kTopic, 0)->log_end_offset(), 2);
  EXPECT_FALSE(has_read("x")) << "the consumer read a record above the high watermark";
  EXPECT_EQ(c.events("op.poll_record").size(), 1u);

  c.heal();
  int64_t hw_when_read = -1;
  ASSERT_TRUE(c.run_until([&] {
    if (has_read("x")) hw_when_read = c.log(1, kTopic, 0)->high_watermark();
    return has_read("x");
  }));
  EXPECT_EQ(hw_when_read, 2);
}

// The controller moves leadership of a crashed leader's partitions to another member of the ISR
// (PartitionChangeBuilder's election from the ISR) in a higher leader epoch, and the new leader
// has every record acks=all acknowledged.
TEST(NodeHarness, ALeaderCrashElectsAnIsrMemberInAHigherEpoch) {
  TestCluster c;
  c.topic(orders());
  const sim::NodeId p = c.producer("app", {{"acks", "all"}});
  for (const char* v : {"a", "b", "c"}) ASSERT_TRUE(send_and_wait(c, p, v)->ok());
  const kafka::PartitionState before = *c.registration(kTopic, 0);
  ASSERT_EQ(before.leader, 1);
  ASSERT_EQ(before.isr.size(), 3u);

  c.crash(c.node(1));
  ASSERT_TRUE(c.run_until([&] {
    const kafka::Partition* r = c.replica(c.leader(kTopic, 0), kTopic, 0);
    return r && r->is_leader() && c.leader(kTopic, 0) != 1;
  })) << "no new leader within a minute";
  const kafka::PartitionState after = *c.registration(kTopic, 0);
  EXPECT_NE(std::find(before.isr.begin(), before.isr.end(), after.leader), before.isr.end());
  EXPECT_GT(after.leader_epoch, before.leader_epoch);
  EXPECT_EQ(std::count(after.isr.begin(), after.isr.end(), 1), 0) << "a fenced broker left in the ISR";
  EXPECT_EQ(c.replica(after.leader, kTopic, 0)->leader_epoch, after.leader_epoch);
  const auto elections = c.events("controller.elect");
  ASSERT_FALSE(elections.empty());
  EXPECT_EQ(elections.back()->text("election"), "isr");
  EXPECT_EQ(values(c.records(after.leader, kTopic, 0)), (std::vector<std::string>{"a", "b", "c"}));
}

// The classic divergence of KIP-101: broker 1 leads and appends x (acks=1) while cut off from
// its followers, then crashes; another ISR member takes over in a new epoch and commits y at the
// same offset; broker 1 returns as a follower with x still on its disk (flush.messages = 1).
// Runs until broker 1's high watermark reaches 2, which puts offset 1 below it.
void diverge_and_return(TestCluster& c) {
  c.topic(orders());
  const sim::NodeId p = c.producer("app", {{"acks", "1"}});
  ASSERT_TRUE(send_and_wait(c, p, "a")->ok());
  ASSERT_TRUE(c.run_until([&] { return c.log(2, kTopic, 0)->high_watermark() == 1 && c.log(3, kTopic, 0)->high_watermark() == 1; }));

  c.partition({{c.node(1)}, {c.node(2), c.node(3)}});
  ASSERT_TRUE(send_and_wait(c, p, "x")->ok());
  ASSERT_EQ(c.log(2, kTopic, 0)->log_end_offset(), 1) << "x reached a follower";
  c.crash(c.node(1));
  c.heal();
  ASSERT_TRUE(c.run_until([&] {
    const kafka::BrokerId l = c.leader(kTopic, 0);
    return l != 1 && l != kafka::kNoLeader && c.replica(l, kTopic, 0) && c.replica(l, kTopic, 0)->is_leader();
  }));
  auto y = send_and_wait(c, p, "y");
  ASSERT_TRUE(y->ok());
  ASSERT_EQ(y->result->offset, 1) << "y takes the offset x holds on broker 1";
  ASSERT_TRUE(c.run_until([&] { return c.log(c.leader(kTopic, 0), kTopic, 0)->high_watermark() == 2; }));

  c.restart(c.node(1));
  c.run_until([&] { return c.log(1, kTopic, 0) && c.log(1, kTopic, 0)->high_watermark() == 2; });
}

struct Protocol {
  const char* inter_broker_protocol;
  const char* truncation;  // the reason log.truncate gives
};
void PrintTo(const Protocol& p, std::ostream* os) { *os << "inter.broker.protocol.version " << p.inter_broker_protocol; }

class ReturningFollower : public ::testing::TestWithParam<Protocol> {};

// Broker 1 truncates x away to where the new leader's record of its epoch ends (offset 1) and
// then fetches y: by OffsetsForLeaderEpoch before fetching (KIP-101, with KIP-279's rule of
// asking about its own latest epoch) or by the diverging epoch in a Fetch response (2.7+).
TEST_P(ReturningFollower, TruncatesToTheLeadersEpochEndOffset) {
  TestCluster::Options o;
  o.broker = {{"flush.messages", 1}, {"inter.broker.protocol.version", GetParam().inter_broker_protocol}};
  TestCluster c(o);
  ASSERT_NO_FATAL_FAILURE(diverge_and_return(c));
  const auto truncations = c.events("log.truncate", c.node(1));
  ASSERT_EQ(truncations.size(), 1u);
  EXPECT_EQ(truncations[0]->text("reason"), GetParam().truncation);
  EXPECT_EQ(truncations[0]->integer("to"), 1);
  EXPECT_EQ(truncations[0]->integer("removed"), 1);
  EXPECT_EQ(values(c.records(1, kTopic, 0)), (std::vector<std::string>{"a", "y"}));
  EXPECT_EQ(values(c.records(1, kTopic, 0)), values(c.records(2, kTopic, 0)));
  EXPECT_EQ(c.log(1, kTopic, 0)->high_watermark(), 2);
}
INSTANTIATE_TEST_SUITE_P(InterBrokerProtocol, ReturningFollower,
                         ::testing::Values(Protocol{"2.0", "offsets-for-leader-epoch"}, Protocol{"3.9", "diverging-epoch"}),
                         [](const auto& test) { return "ibp_" + std::string(test.param.inter_broker_protocol).replace(1, 1, "_"); });

// The same sequence with the bug switch follower_skips_truncation: broker 1 keeps x and fetches
// from its end, its high watermark passes x, and ConsistentCommittedData (which the cluster
// does not register for a configuration with that switch on) sees two committed records at
// offset 1. Without the switch the invariant holds all along.
TEST(NodeHarness, ConsistentCommittedDataCatchesAFollowerThatSkipsTruncation) {
  for (const bool bug : {false, true}) {
    SCOPED_TRACE(bug ? "with follower_skips_truncation" : "as Kafka");
    TestCluster::Options o;
    o.broker = {{"flush.messages", 1}};
    o.bugs.follower_skips_truncation = bug;
    TestCluster c(o);
    c.watch(std::make_shared<kafka::ConsistentCommittedData>());
    std::string violation;
    try {
      diverge_and_return(c);
    } catch (const sim::InvariantViolation& e) {
      violation = e.what();
    }
    if (!bug) {
      EXPECT_EQ(violation, "");
      EXPECT_EQ(values(c.records(1, kTopic, 0)), (std::vector<std::string>{"a", "y"}));
      continue;
    }
    EXPECT_NE(violation.find("committed records are the same on every replica"), std::string::npos) << violation;
    EXPECT_NE(violation.find("orders-0 offset 1: broker 1 holds x"), std::string::npos) << violation;
    EXPECT_EQ(values(c.records(1, kTopic, 0)), (std::vector<std::string>{"a", "x"}));
  }
}

}  // namespace
}  // namespace kafkasim_test
