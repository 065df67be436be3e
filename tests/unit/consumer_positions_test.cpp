// Where a consumer starts reading, driven from C++ by TestCluster against real nodes: a committed
// offset is validated against the leader's log before the first fetch (KIP-320), what
// auto.offset.reset=none raises reaches the application's poll(), a failed OffsetFetch or
// ListOffsets is retried, and a new leader that does not know its latest offset yet says so
// (KIP-207).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "node_harness.hpp"

namespace kafkasim_test {
namespace {

using sim::Duration;

const std::string kTopic = "orders";

// orders-0 on brokers 1, 2 and 3 (broker 1 its preferred leader), and __consumer_offsets on
// broker 4 alone, so that the group's coordinator and its committed offsets outlive whatever
// happens to orders' replicas.
TestCluster::Options four_brokers() {
  TestCluster::Options o;
  o.brokers = 4;
  o.broker = {{"flush.messages", 1}, {"offsets.topic.num.partitions", 1}};
  return o;
}

void create_topics(TestCluster& c, bool unclean) {
  kafka::TopicSpec orders = one_partition_topic(kTopic);
  if (unclean) orders.unclean_leader_election = 1;
  c.topic(orders);
  c.topic(one_partition_topic("__consumer_offsets", {4}));
}

std::shared_ptr<SentRecord> send_and_wait(TestCluster& c, sim::NodeId producer, const std::string& value) {
  auto sent = c.send(producer, record_of(kTopic, value));
  EXPECT_TRUE(c.run_until([&] { return sent->done(); })) << value << " got no answer";
  EXPECT_TRUE(sent->ok()) << value << ": " << (sent->done() ? kafka::error_name(sent->result->error) : "pending");
  return sent;
}

// The messages a node sent, by protocol name (net.send).
std::vector<const sim::StoredEvent*> sent(const TestCluster& c, sim::NodeId node, const std::string& msg) {
  std::vector<const sim::StoredEvent*> out;
  for (const sim::StoredEvent* e : c.events("net.send", node))
    if (e->text("msg") == msg) out.push_back(e);
  return out;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

bool stopped(TestCluster& c, sim::NodeId n) { return c.world().state(n) == sim::NodeState::down; }

// ---- KIP-320: a committed offset is validated before the first fetch ----

// A group reads orders-0 to offset 10 and commits it with the leader epoch of the record it
// last read; broker 3 missed offsets 5..9 (it was down) and, once brokers 1 and 2 crash, is
// elected uncleanly and takes three new records at offsets 5..7. Returns the new member, started
// with `reset` after the election, which finds the committed offset 10 past the new leader's log.
struct UncleanRun {
  sim::NodeId reader;
  int64_t committed_epoch = -1;
};
UncleanRun commit_then_elect_uncleanly(TestCluster& c, const std::string& reset) {
  create_topics(c, true);
  const sim::NodeId p = c.producer("app", {{"acks", "all"}});
  for (int i = 0; i < 5; ++i) send_and_wait(c, p, "a" + std::to_string(i));
  EXPECT_TRUE(c.run_until([&] { return c.log(3, kTopic, 0)->log_end_offset() == 5; }));
  c.crash(c.node(3));
  for (int i = 0; i < 5; ++i) send_and_wait(c, p, "b" + std::to_string(i));

  const sim::NodeId first = c.consumer("reader-1", "readers", {kTopic}, {{"auto.offset.reset", "earliest"}, {"enable.auto.commit", false}});
  UncleanRun run;
  EXPECT_TRUE(c.run_until([&] {
    for (const sim::StoredEvent* e : c.events("consumer.commit", first))
      if (e->text("offsets") == kTopic + "-0:10" && e->text("error") == "NONE") return true;
    return false;
  })) << "the first member never committed offset 10";
  run.committed_epoch = c.replica(1, kTopic, 0)->leader_epoch;
  c.world().shutdown(first);
  c.run_until([&] { return stopped(c, first); });

  c.crash(c.node(1));
  c.crash(c.node(2));
  c.restart(c.node(3));
  EXPECT_TRUE(c.run_until([&] {
    const kafka::Partition* r = c.replica(3, kTopic, 0);
    return c.leader(kTopic, 0) == 3 && r && r->is_leader();
  })) << "broker 3 was not elected";
  EXPECT_EQ(c.events("controller.elect").back()->text("election"), "unclean");
  // A new producer: the first one's idempotent sequence runs past what broker 3 knows of it.
  const sim::NodeId after = c.producer("app-2", {{"acks", "all"}});
  for (int i = 0; i < 3; ++i) send_and_wait(c, after, "c" + std::to_string(i));
  run.reader = c.consumer("reader-2", "readers", {kTopic}, {{"auto.offset.reset", reset}, {"enable.auto.commit", false}});
  return run;
}

// SubscriptionState.seekUnvalidated: the committed offset 10 carries its record's leader epoch;
// the new leader answers OffsetsForLeaderEpoch with that epoch's end, offset 5, and the group
// resumes there (the divergence point), rather than fetching at 10, getting
// OFFSET_OUT_OF_RANGE and starting again from offset 0.
TEST(ConsumerPositions, ARestartedGroupResumesAtTheDivergencePointAfterAnUncleanElection) {
  TestCluster c(four_brokers());
  const UncleanRun run = commit_then_elect_uncleanly(c, "earliest");
  ASSERT_TRUE(c.run_until([&] { return c.events("consumer.processed", run.reader).size() >= 3; }))
      << "the restarted group read nothing";
  const auto read = c.events("consumer.processed", run.reader);
  EXPECT_EQ(read[0]->integer("offset"), 5);
  EXPECT_EQ(read[0]->text("value"), "c0");
  EXPECT_EQ(read.size(), 3u) << "records read again from before the divergence";
  const auto positions = c.events("consumer.position", run.reader);
  ASSERT_FALSE(positions.empty());
  EXPECT_TRUE(has(positions[0]->text("detail"), "leader epoch " + std::to_string(run.committed_epoch)))
      << positions[0]->text("detail");
  EXPECT_EQ(c.events("consumer.truncation_detected", run.reader).size(), 1u);
  EXPECT_TRUE(c.events("consumer.offset_out_of_range", run.reader).empty());
  EXPECT_TRUE(c.events("consumer.reset", run.reader).empty());
}

// The validation's connection breaks: it is retried after retry.backoff.ms (requestFailed),
// not dropped (which would fetch from the unvalidated offset 10).
TEST(ConsumerPositions, AValidationWhoseConnectionBreaksIsRetried) {
  TestCluster c(four_brokers());
  const UncleanRun run = commit_then_elect_uncleanly(c, "earliest");
  ASSERT_TRUE(c.run_until([&] { return !sent(c, run.reader, "OffsetsForLeaderEpochRequest").empty(); }));
  c.partition({{run.reader}, {c.node(3)}});
  c.run_for(Duration::millis(500));
  c.heal();
  ASSERT_TRUE(c.run_until([&] { return !c.events("consumer.processed", run.reader).empty(); }));
  EXPECT_GE(sent(c, run.reader, "OffsetsForLeaderEpochRequest").size(), 2u);
  EXPECT_EQ(c.events("consumer.processed", run.reader)[0]->integer("offset"), 5);
  EXPECT_TRUE(c.events("consumer.offset_out_of_range", run.reader).empty());
}

// ---- auto.offset.reset=none: poll() throws ----

// With auto.offset.reset=none the truncation is LogTruncationException from poll(); the plain
// poll loop does not catch it, so the application, and its process, stop.
TEST(ConsumerPositions, ATruncationUnderResetNoneStopsThePlainApplication) {
  TestCluster c(four_brokers());
  const UncleanRun run = commit_then_elect_uncleanly(c, "none");
  ASSERT_TRUE(c.run_until([&] { return stopped(c, run.reader); })) << "the application went on";
  const auto fatal = c.events("consumer.fatal", run.reader);
  ASSERT_EQ(fatal.size(), 1u);
  EXPECT_TRUE(has(fatal[0]->text("detail"), "LogTruncationException")) << fatal[0]->text("detail");
  EXPECT_TRUE(has(fatal[0]->text("detail"), "first divergent offset 5")) << fatal[0]->text("detail");
  EXPECT_TRUE(c.events("consumer.processed", run.reader).empty());
}

// No committed offset and auto.offset.reset=none: NoOffsetForPartitionException from poll()
// (SubscriptionState.resetInitializingPositions), and the application stops.
TEST(ConsumerPositions, NoCommittedOffsetUnderResetNoneStopsThePlainApplication) {
  TestCluster c(four_brokers());
  create_topics(c, false);
  const sim::NodeId reader = c.consumer("reader-1", "readers", {kTopic}, {{"auto.offset.reset", "none"}});
  ASSERT_TRUE(c.run_until([&] { return stopped(c, reader); })) << "the application went on";
  const auto fatal = c.events("consumer.fatal", reader);
  ASSERT_EQ(fatal.size(), 1u);
  EXPECT_TRUE(has(fatal[0]->text("detail"), "NoOffsetForPartitionException")) << fatal[0]->text("detail");
  EXPECT_TRUE(has(fatal[0]->text("detail"), kTopic + "-0")) << fatal[0]->text("detail");
  EXPECT_TRUE(sent(c, reader, "ListOffsetsRequest").empty());
  EXPECT_TRUE(sent(c, reader, "LeaveGroupRequest").empty()) << "close() ran: the process just ends";
}

// ---- failures on the way to a position are retried ----

// The OffsetFetch's connection to the coordinator breaks: ConsumerCoordinator.fetchCommittedOffsets
// asks again (the request's future fails with a retriable error), and the member reads.
TEST(ConsumerPositions, ALostOffsetFetchIsAskedAgain) {
  TestCluster c(four_brokers());
  create_topics(c, false);
  const sim::NodeId p = c.producer("app", {{"acks", "all"}});
  send_and_wait(c, p, "a");
  const sim::NodeId reader = c.consumer("reader-1", "readers", {kTopic}, {{"auto.offset.reset", "earliest"}});
  ASSERT_TRUE(c.run_until([&] { return !sent(c, reader, "OffsetFetchRequest").empty(); }));
  c.partition({{reader}, {c.node(4)}});
  c.run_for(Duration::millis(500));
  c.heal();
  ASSERT_TRUE(c.run_until([&] { return !c.events("consumer.processed", reader).empty(); }))
      << "the member never got a position";
  EXPECT_GE(sent(c, reader, "OffsetFetchRequest").size(), 2u);
}

// KIP-207: broker 2 becomes leader with offset 1 in its log but a high watermark of 1, below the
// start of its epoch (2), while broker 3, cut off, holds the ISR's high watermark back. It
// answers ListOffsets(latest) with OFFSET_NOT_AVAILABLE (Partition.fetchOffsetForTimestamp)
// until the ISR shrinks and the high watermark reaches 2; the consumer keeps its reset pending
// (AWAIT_RESET) and asks again every retry.backoff.ms (OffsetFetcher.resetPositionsAsync),
// without asking for its committed offset again. "latest" is then 2, not the stale 1 that
// would hand it x, written before it started.
TEST(ConsumerPositions, LatestWaitsUntilANewLeadersHighWatermarkReachesItsEpochStart) {
  TestCluster c(four_brokers());
  create_topics(c, false);
  const sim::NodeId all = c.producer("app", {{"acks", "all"}});
  send_and_wait(c, all, "a");
  ASSERT_TRUE(c.run_until([&] { return c.log(2, kTopic, 0)->high_watermark() == 1 && c.log(3, kTopic, 0)->high_watermark() == 1; }));
  c.partition({{c.node(3)}, {c.node(1), c.node(2)}});
  const sim::NodeId one = c.producer("app-1", {{"acks", "1"}});
  send_and_wait(c, one, "x");
  ASSERT_TRUE(c.run_until([&] { return c.log(2, kTopic, 0)->log_end_offset() == 2; }));
  c.crash(c.node(1));
  ASSERT_TRUE(c.run_until([&] {
    const kafka::Partition* r = c.replica(2, kTopic, 0);
    return c.leader(kTopic, 0) == 2 && r && r->is_leader();
  }));
  ASSERT_EQ(c.replica(2, kTopic, 0)->epoch_start_offset, 2);
  ASSERT_EQ(c.log(2, kTopic, 0)->high_watermark(), 1);

  const sim::NodeId reader = c.consumer("reader-1", "readers", {kTopic}, {{"auto.offset.reset", "latest"}});
  ASSERT_TRUE(c.run_until([&] { return !c.events("consumer.reset", reader).empty(); })) << "no reset";
  EXPECT_EQ(c.events("consumer.reset", reader)[0]->integer("offset"), 2);
  const auto asked = sent(c, reader, "ListOffsetsRequest");
  ASSERT_GE(asked.size(), 3u);
  for (size_t i = 1; i < asked.size(); ++i)
    EXPECT_GE(asked[i]->time - asked[i - 1]->time, Duration::millis(100)) << "retried before retry.backoff.ms";
  EXPECT_EQ(sent(c, reader, "OffsetFetchRequest").size(), 1u) << "the failed reset went back to INITIALIZING";
  c.run_for(Duration::seconds(2));
  EXPECT_TRUE(c.events("consumer.processed", reader).empty()) << "read x, written before the member started";
}

// ---- lag ----

// The high watermark behind consumer.lag belongs to the assignment (TopicPartitionState): a
// member that loses orders-0 (its session expired while it could not reach the coordinator) and
// gets it back reports no lag until a fetch of the new assignment says where the log ends, here
// never, as broker 1 is out of its reach. A high watermark kept from the old assignment would
// report a lag the member has not measured.
TEST(ConsumerPositions, LagIsNotReportedFromAHighWatermarkOfAnEarlierAssignment) {
  TestCluster c(four_brokers());
  create_topics(c, false);
  const sim::NodeId p = c.producer("app", {{"acks", "all"}});
  send_and_wait(c, p, "a");
  send_and_wait(c, p, "b");
  const sim::NodeId reader = c.consumer(
      "reader-1", "readers", {kTopic},
      {{"auto.offset.reset", "earliest"}, {"session.timeout.ms", 6000}, {"heartbeat.interval.ms", 1000}});
  ASSERT_TRUE(c.run_until([&] {
    for (const sim::StoredEvent* e : c.events("consumer.commit", reader))
      if (e->text("offsets") == kTopic + "-0:2" && e->text("error") == "NONE") return true;
    return false;
  })) << "no auto-commit of offset 2";
  ASSERT_FALSE(c.events("consumer.lag", reader).empty());

  c.partition({{reader}, {c.node(4)}});
  c.run_for(Duration::seconds(10));  // the coordinator expires the member's session
  c.heal();
  c.partition({{reader}, {c.node(1)}});
  const size_t assignments = c.events("consumer.assigned", reader).size();
  ASSERT_TRUE(c.run_until([&] { return c.events("consumer.assigned", reader).size() > assignments; }))
      << "the member did not join again";
  const sim::Time reassigned = c.events("consumer.assigned", reader).back()->time;
  c.run_for(Duration::seconds(3));
  ASSERT_FALSE(c.events("consumer.position", reader).empty());
  for (const sim::StoredEvent* e : c.events("consumer.lag", reader))
    EXPECT_LT(e->time.as_millis(), reassigned.as_millis()) << "lag " << e->integer("lag") << " reported after the reassignment";
}

}  // namespace
}  // namespace kafkasim_test
