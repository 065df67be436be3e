// The timeline from trace events, the high-watermark check, and the explanations built from it,
// on hand-made events: the KIP-101 style loss of an acks=1 write and a follower that kept a
// record the new leader never had.
#include <gtest/gtest.h>

#include <initializer_list>

#include "sim/check/explain.hpp"
#include "sim/check/replicas.hpp"
#include "sim/check/timeline.hpp"

using namespace check;

namespace {

constexpr int64_t ms = 1'000'000;

// Feeds one trace event to the sink.
void emit(TimelineSink& sink, int64_t t_ms, std::string_view node, std::string_view kind,
          std::initializer_list<sim::Field> fields) {
  std::vector<sim::Field> fs(fields);
  sink.write(sim::Event{0, sim::Time{t_ms * ms}, 0, node, kind, fs});
}

using sim::Value;

// Broker 1 leads t-0 in epoch 0 and acknowledges offsets 0..2 (acks=1) while broker 2 has
// fetched offsets 0..1; broker 1 crashes, broker 2 leads epoch 1 from offset 2, and broker 1
// returns and truncates to 2.
Timeline acks1_loss() {
  TimelineSink s;
  emit(s, 10, "broker-1", "replica.leader", {{"topic", Value("t")}, {"partition", Value(0)}, {"leader_epoch", Value(0)}, {"leo", Value(0)}});
  emit(s, 11, "broker-2", "replica.follower", {{"topic", Value("t")}, {"partition", Value(0)}, {"leader_epoch", Value(0)}, {"leo", Value(0)}});
  emit(s, 100, "broker-1", "log.append", {{"topic", Value("t")}, {"partition", Value(0)}, {"role", Value("leader")},
                                          {"base_offset", Value(0)}, {"leader_epoch", Value(0)}, {"leo", Value(2)}});
  emit(s, 105, "broker-2", "log.append", {{"topic", Value("t")}, {"partition", Value(0)}, {"role", Value("follower")},
                                          {"base_offset", Value(0)}, {"leader_epoch", Value(0)}, {"leo", Value(2)}});
  emit(s, 106, "broker-1", "replica.hw", {{"topic", Value("t")}, {"partition", Value(0)}, {"hw", Value(2)}, {"leader_epoch", Value(0)}});
  emit(s, 200, "broker-1", "log.append", {{"topic", Value("t")}, {"partition", Value(0)}, {"role", Value("leader")},
                                          {"base_offset", Value(2)}, {"leader_epoch", Value(0)}, {"leo", Value(3)}});
  emit(s, 201, "", "node.crash", {{"node", Value("broker-1")}});
  emit(s, 2000, "controller", "controller.elect", {{"topic", Value("t")}, {"partition", Value(0)}, {"leader", Value(2)}, {"leader_node", Value("broker-2")},
                                                   {"leader_epoch", Value(1)}, {"election", Value("isr")}, {"reason", Value("session-timeout")}});
  emit(s, 2001, "broker-2", "replica.leader", {{"topic", Value("t")}, {"partition", Value(0)}, {"leader_epoch", Value(1)}, {"leo", Value(2)}});
  emit(s, 3000, "", "node.restart", {{"node", Value("broker-1")}});
  emit(s, 3000, "broker-1", "log.recover", {{"topic", Value("t")}, {"partition", Value(0)}, {"leo", Value(3)}});
  emit(s, 3010, "broker-1", "replica.follower", {{"topic", Value("t")}, {"partition", Value(0)}, {"leader_epoch", Value(1)}, {"leo", Value(3)}});
  emit(s, 3020, "broker-1", "log.truncate", {{"topic", Value("t")}, {"partition", Value(0)}, {"from_leo", Value(3)}, {"to", Value(2)},
                                             {"leader_epoch", Value(1)}, {"reason", Value("diverging-epoch")}});
  return s.timeline();
}

}  // namespace

TEST(Timeline, KeepsReplicationEventsPerPartitionAndNodeFaults) {
  const Timeline t = acks1_loss();
  ASSERT_EQ(t.partitions.count("t-0"), 1u);
  EXPECT_EQ(t.partitions.at("t-0").size(), 11u);
  ASSERT_EQ(t.nodes.size(), 2u);
  EXPECT_EQ(t.nodes[0].kind, NodeEvent::Kind::crashed);
  EXPECT_EQ(t.nodes[0].node, "broker-1");
  const ReplicaEvent& elected = t.partitions.at("t-0")[6];
  EXPECT_EQ(elected.kind, ReplicaEvent::Kind::elected);
  EXPECT_EQ(elected.node, "broker-2");
  EXPECT_EQ(elected.leader_epoch, 1);
}

TEST(ExplainLostWrite, TellsTheAppendTheCrashTheElectionAndTheTruncation) {
  const std::string why = explain_lost_write(acks1_loss(), "t-0", "v2", int64_t{2}, 205 * ms, "writer");
  for (const char* fact : {"v2 was appended at offset 2 of t-0 by broker-1, leader in epoch 0, at 0.200s",
                           "acknowledged to writer at 0.205s", "broker-1 crashed at 0.201s",
                           "broker-2's log end offset was 2", "elected broker-2 leader in epoch 1 at 2.000s",
                           "its log end offset was 2: it did not have offset 2",
                           "broker-1 truncated its log from 3 to 2 at 3.020s (diverging-epoch)",
                           "No replica's log holds v2"}) {
    EXPECT_NE(why.find(fact), std::string::npos) << "missing: " << fact << "\nin: " << why;
  }
}

TEST(ExplainLostWrite, SaysWhenTheTraceDoesNotKnowTheOffset) {
  const std::string why = explain_lost_write(acks1_loss(), "t-0", "v9", std::nullopt, 205 * ms, "writer");
  EXPECT_NE(why.find("no record of where it was written"), std::string::npos) << why;
}

TEST(ExplainDivergence, NamesBothWritersAndTheMissingTruncation) {
  // As above, but broker 1 returns without truncating while broker 2 wrote w at offset 2.
  TimelineSink s;
  emit(s, 10, "broker-1", "replica.leader", {{"topic", Value("t")}, {"partition", Value(0)}, {"leader_epoch", Value(0)}, {"leo", Value(0)}});
  emit(s, 200, "broker-1", "log.append", {{"topic", Value("t")}, {"partition", Value(0)}, {"role", Value("leader")},
                                          {"base_offset", Value(2)}, {"leader_epoch", Value(0)}, {"leo", Value(3)}});
  emit(s, 2001, "broker-2", "replica.leader", {{"topic", Value("t")}, {"partition", Value(0)}, {"leader_epoch", Value(1)}, {"leo", Value(2)}});
  emit(s, 2100, "broker-2", "log.append", {{"topic", Value("t")}, {"partition", Value(0)}, {"role", Value("leader")},
                                          {"base_offset", Value(2)}, {"leader_epoch", Value(1)}, {"leo", Value(4)}});
  emit(s, 3010, "broker-1", "replica.follower", {{"topic", Value("t")}, {"partition", Value(0)}, {"leader_epoch", Value(1)}, {"leo", Value(3)}});
  emit(s, 3020, "broker-1", "log.append", {{"topic", Value("t")}, {"partition", Value(0)}, {"role", Value("follower")},
                                          {"base_offset", Value(3)}, {"leader_epoch", Value(1)}, {"leo", Value(4)}});
  const std::string why = explain_divergence(s.timeline(), "t-0", 2, "broker-1", "broker-2");
  for (const char* fact : {"broker-1 holds the record it appended as leader in epoch 0 at 0.200s",
                           "broker-2 holds the record it appended as leader in epoch 1 at 2.100s",
                           "broker-1 became a follower in epoch 1 at 3.010s with its log ending at offset 3",
                           "broker-2 began epoch 1 at offset 2", "never truncated below offset 2"}) {
    EXPECT_NE(why.find(fact), std::string::npos) << "missing: " << fact << "\nin: " << why;
  }
}

TEST(HwRegression, TheHighWatermarkMovingBackWithinAnEpochIsReported) {
  TimelineSink s;
  auto hw = [&](int64_t t, const char* node, int64_t value, int64_t epoch) {
    emit(s, t, node, "replica.hw", {{"topic", Value("t")}, {"partition", Value(0)}, {"hw", Value(value)}, {"leader_epoch", Value(epoch)}});
  };
  hw(1, "broker-1", 5, 0);
  hw(2, "broker-1", 9, 0);
  hw(3, "broker-2", 7, 0);
  EXPECT_TRUE(hw_regressions(s.timeline()).empty());
  hw(4, "broker-2", 3, 1);  // a new epoch may start lower (a new leader's HW catches up)
  EXPECT_TRUE(hw_regressions(s.timeline()).empty());
  emit(s, 5, "broker-1", "log.recover", {{"topic", Value("t")}, {"partition", Value(0)}, {"leo", Value(9)}});
  hw(6, "broker-1", 4, 0);  // a restarted replica starts from its checkpoint
  EXPECT_TRUE(hw_regressions(s.timeline()).empty());
  hw(7, "broker-1", 2, 0);
  hw(8, "broker-1", 1, 0);
  const auto found = hw_regressions(s.timeline());
  ASSERT_EQ(found.size(), 1u) << "once per replica and epoch";
  EXPECT_NE(found[0].detail.find("broker-1's high watermark went back from 4 to 2"), std::string::npos) << found[0].detail;
  EXPECT_NE(found[0].explanation.find("broker-1 had exposed offsets below 4 as committed at 0.006s"), std::string::npos)
      << found[0].explanation;
}

TEST(ExplainDuplicate, NamesBothAppendsTheRetryAndWhyTheLeaderTookIt) {
  TimelineSink s;
  auto append = [](TimelineSink& sink, int64_t t, const char* node, int64_t base, int64_t epoch, int64_t pid, int64_t seq) {
    emit(sink, t, node, "log.append", {{"topic", Value("t")}, {"partition", Value(0)}, {"role", Value("leader")}, {"base_offset", Value(base)},
                                    {"leader_epoch", Value(epoch)}, {"leo", Value(base + 1)}, {"producer_id", Value(pid)},
                                    {"base_sequence", Value(seq)}});
  };
  append(s, 100, "broker-1", 7, 0, -1, -1);
  emit(s, 150, "writer", "producer.retry", {{"topic", Value("t")}, {"partition", Value(0)}, {"attempt", Value(1)},
                                            {"error", Value("NOT_LEADER_OR_FOLLOWER")}, {"base_sequence", Value(-1)}});
  append(s, 200, "broker-2", 9, 1, -1, -1);
  const std::string why = explain_duplicate(s.timeline(), "t-0", "v", {7, 9});
  for (const char* fact : {"v is at offsets 7 and 9 of t-0", "broker-1, leader in epoch 0, appended it at 0.100s (no producer id)",
                           "broker-2, leader in epoch 1, appended it again at 0.200s",
                           "writer retried a batch of t-0 (attempt 1) after NOT_LEADER_OR_FOLLOWER at 0.150s",
                           "Without idempotence the leader cannot tell a retry from new records"}) {
    EXPECT_NE(why.find(fact), std::string::npos) << "missing: " << fact << "\nin: " << why;
  }
  TimelineSink resequenced;
  append(resequenced, 100, "broker-1", 7, 0, 42, 7);
  append(resequenced, 200, "broker-1", 9, 0, 42, 9);
  EXPECT_NE(explain_duplicate(resequenced.timeline(), "t-0", "v", {7, 9}).find("new sequence numbers"), std::string::npos);
}

TEST(ExplainAnomalies, InconsistentOffsetsG1aAndUnseenGetTheirStories) {
  // acks1_loss(): broker-1 appended offsets 0..2 in epoch 0; broker-2 leads epoch 1 from offset 2.
  TimelineSink s;
  emit(s, 100, "broker-1", "log.append", {{"topic", Value("t")}, {"partition", Value(0)}, {"role", Value("leader")},
                                          {"base_offset", Value(2)}, {"leader_epoch", Value(0)}, {"leo", Value(3)}});
  emit(s, 150, "broker-1", "log.truncate", {{"topic", Value("t")}, {"partition", Value(0)}, {"from_leo", Value(3)}, {"to", Value(2)},
                                            {"reason", Value("diverging-epoch")}});
  emit(s, 200, "broker-2", "log.append", {{"topic", Value("t")}, {"partition", Value(0)}, {"role", Value("leader")},
                                          {"base_offset", Value(2)}, {"leader_epoch", Value(1)}, {"leo", Value(3)}});
  const std::string twice = explain_inconsistent_offset(s.timeline(), "t-0", 2);
  for (const char* fact : {"Offset 2 of t-0 was written more than once", "broker-1, leader in epoch 0, appended a record there at 0.100s",
                           "broker-1 truncated its log from 3 to 2 at 0.150s (diverging-epoch)",
                           "broker-2, leader in epoch 1, appended a record there at 0.200s"}) {
    EXPECT_NE(twice.find(fact), std::string::npos) << "missing: " << fact << "\nin: " << twice;
  }

  History h;
  Op send{0, 0, "p", OpType::invoke, "send", 90 * ms, {{"t-0", "v", std::nullopt}}, {}, {}, {}};
  Op failed = send;
  failed.index = 1;
  failed.type = OpType::fail;
  failed.time_ns = 120 * ms;
  Op poll{2, 1, "c", OpType::ok, "poll", 300 * ms, {}, {{"t-0", {{2, "v"}}}}, {}, {}};
  h.ops = {send, failed, poll};
  const std::string g1a = explain_failed_send_read(h, s.timeline(), "t-0", "v", 1, 2);
  // In time order: the failure, the append (the failed request's batch was written after all), the read.
  EXPECT_NE(g1a.find("p was told its send of v failed at 0.120s. broker-2, leader in epoch 1, appended v at offset 2 of t-0 at "
                     "0.200s. c read v at 0.300s. A send reported as failed must not have been written"),
            std::string::npos)
      << g1a;

  History acked;
  Op ok = send;
  ok.index = 1;
  ok.type = OpType::ok;
  ok.time_ns = 210 * ms;
  ok.sends[0].offset = 2;
  acked.ops = {send, ok};
  const std::string unseen = explain_unseen(acked, s.timeline(), "t-0", "v");
  EXPECT_NE(unseen.find("v was written at offset 2 of t-0: broker-2, leader in epoch 1, appended it at 0.200s. It was acknowledged "
                        "at 0.210s."),
            std::string::npos) << unseen;
  EXPECT_NE(unseen.find("No ok poll ever returned a record of t-0"), std::string::npos) << unseen;
}

TEST(ExplainAnomalies, APollThatWentBackTellsTheCrashAndTheResume) {
  History h;
  Op first{0, 0, "g-1", OpType::ok, "poll", 100 * ms, {}, {{"t-0", {{40, "a"}, {41, "b"}}}}, {}, {}};
  Op second{1, 1, "g-1", OpType::ok, "poll", 900 * ms, {}, {{"t-0", {{30, "c"}}}}, {}, {{"assigned", {"t-0"}}}};
  h.ops = {first, second};
  TimelineSink s;
  emit(s, 200, "", "node.crash", {{"node", Value("g-1")}});
  emit(s, 500, "", "node.restart", {{"node", Value("g-1")}});
  GroundTruth truth;
  truth.resumes = {PositionJump{"g", "g-1", "t-0", 30, 800 * ms}};
  const std::string why = explain_poll_step(h, truth, s.timeline(), "t-0", 0, 1);
  // In time order: the first poll, what happened to the member, the next poll.
  for (const char* fact : {"g-1's poll at 0.100s ended its reads of t-0 at offset 41 (b). g-1 crashed at 0.200s. g-1 restarted at "
                           "0.500s. g-1 resumed t-0 at the committed offset 30 at 0.800s. g-1 was assigned t-0 (logged at 0.900s). "
                           "Then g-1's next poll at 0.900s began at offset 30 (c)."}) {
    EXPECT_NE(why.find(fact), std::string::npos) << "missing: " << fact << "\nin: " << why;
  }
}

TEST(ExplainAnomalies, ASendThatLandedBeforeAnEarlierOneTellsTheRetry) {
  History h;
  Op invoke_a{0, 0, "p", OpType::invoke, "send", 10 * ms, {{"t", "a", std::nullopt}}, {}, {}, {}};
  Op invoke_b{1, 1, "p", OpType::invoke, "send", 20 * ms, {{"t", "b", std::nullopt}}, {}, {}, {}};
  Op ok_a{2, 0, "p", OpType::ok, "send", 300 * ms, {{"t-0", "a", 5}}, {}, {}, {}};
  Op ok_b{3, 1, "p", OpType::ok, "send", 310 * ms, {{"t-0", "b", 4}}, {}, {}, {}};
  h.ops = {invoke_a, invoke_b, ok_a, ok_b};
  TimelineSink s;
  emit(s, 50, "p", "producer.retry", {{"topic", Value("t")}, {"partition", Value(0)}, {"attempt", Value(1)},
                                       {"error", Value("NOT_LEADER_OR_FOLLOWER")}});
  emit(s, 60, "broker-1", "log.append", {{"topic", Value("t")}, {"partition", Value(0)}, {"role", Value("leader")},
                                         {"base_offset", Value(4)}, {"leader_epoch", Value(0)}, {"leo", Value(5)}});
  emit(s, 70, "broker-1", "log.append", {{"topic", Value("t")}, {"partition", Value(0)}, {"role", Value("leader")},
                                         {"base_offset", Value(5)}, {"leader_epoch", Value(0)}, {"leo", Value(6)}});
  // A later leader's append at offset 4, after both sends were acknowledged, is not b's.
  emit(s, 900, "broker-2", "log.append", {{"topic", Value("t")}, {"partition", Value(0)}, {"role", Value("leader")},
                                          {"base_offset", Value(4)}, {"leader_epoch", Value(1)}, {"leo", Value(5)}});
  const std::string why = explain_send_order(h, s.timeline(), "t-0", 2, 3);
  EXPECT_EQ(why.find("broker-2"), std::string::npos) << why;
  // In time order: the retry, then the appends of b and of a.
  for (const char* fact : {"p sent a before b, yet b landed at offset 4 of t-0, at or before a's offset 5. p retried a batch (attempt "
                           "1) after NOT_LEADER_OR_FOLLOWER at 0.050s. broker-1, leader in epoch 0, appended b at offset 4 at 0.060s. "
                           "broker-1, leader in epoch 0, appended a at offset 5 at 0.070s",
                           "only idempotence"}) {
    EXPECT_NE(why.find(fact), std::string::npos) << "missing: " << fact << "\nin: " << why;
  }
}

TEST(ExplainAnomalies, AStepInsideOnePollNamesTheRecordsBetween) {
  History h;
  Op poll{0, 0, "c", OpType::ok, "poll", 500 * ms, {}, {{"t-0", {{3, "a"}, {6, "d"}}}}, {}, {}};
  h.ops = {poll};
  TimelineSink s;
  emit(s, 100, "broker-1", "log.append", {{"topic", Value("t")}, {"partition", Value(0)}, {"role", Value("leader")},
                                          {"base_offset", Value(4)}, {"leader_epoch", Value(0)}, {"leo", Value(6)}, {"producer_id", Value(7)}});
  const std::string why = explain_internal_step(h, s.timeline(), "t-0", 0, "d", false);
  for (const char* fact : {"c's poll at 0.500s returned a at offset 3 of t-0, then d at offset 6", "Offsets 4 to 5 lie between",
                           "appended by broker-1 (leader in epoch 0) at 0.100s, producer id 7", "The poll went past records"}) {
    EXPECT_NE(why.find(fact), std::string::npos) << "missing: " << fact << "\nin: " << why;
  }
  EXPECT_TRUE(explain_internal_step(h, s.timeline(), "t-0", 0, "zzz", false).empty()) << "no such step";
  EXPECT_TRUE(explain_internal_step(h, s.timeline(), "t-0", 0, "d", true).empty()) << "the poll sent nothing";
}

// A member polls a record and crashes with its commit in flight; the coordinator took the commit,
// so the next owner resumes past the record and later commits further. The story is the crash
// and the resume at the lost commit's offset, in time order; the later commit caused nothing.
TEST(ExplainDelivery, ASkipByACommitWhoseResponseWasLostFollowsTheChain) {
  History h;
  h.ops = {Op{0, 0, "w", OpType::ok, "send", 500 * ms, {Send{"t-0", "v", 10}}, {}, {}, {}},
           Op{1, 1, "g-1", OpType::ok, "poll", 1000 * ms, {}, {{"t-0", {{10, "v"}}}}, {}, {}}};
  TimelineSink s;
  emit(s, 2000, "", "node.crash", {{"node", Value("g-1")}});
  GroundTruth truth;
  truth.member_groups = {{"g-1", "g"}, {"g-2", "g"}};
  truth.resumes = {PositionJump{"g", "g-2", "t-0", 20, 3000 * ms}};
  truth.commits = {CommitRecord{"g", "g-2", 4000 * ms, {{"t-0", 30}}, "auto", true}};
  const std::string why = explain_skipped(h, truth, s.timeline(), "g", "t-0", "v");
  EXPECT_EQ(why,
            "v at offset 10 of t-0 was returned by a poll to g-1 at 1.000s. g-1 crashed at 2.000s. g-2 resumed t-0 at the committed "
            "offset 20 at 3.000s, past offset 10 (no member saw a commit of that offset complete: the coordinator took one whose "
            "response never arrived). No member of g processed v.");
}
