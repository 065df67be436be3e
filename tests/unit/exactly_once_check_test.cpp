// The end-to-end exactly-once check and the torn-transaction check (sim/check/exactly_once.hpp)
// on hand-made traces, read through the OutputSink as a run reads them: outputs counted per
// handler run, committed only when their transaction is, offsets committed before the output,
// recovered inputs excused, and a committed transaction seen in part.
#include <gtest/gtest.h>

#include "broker_model/trace_schema.hpp"
#include "sim/check/exactly_once.hpp"
#include "sim/check/verdict.hpp"

using namespace check;
namespace ev = kafka::event;

namespace {

sim::Time ms(int64_t n) { return sim::Time{} + sim::Duration::millis(n); }

// A trace of a pipeline from "in" to "out", written event by event into an OutputSink.
struct Pipeline {
  OutputSink sink;
  sim::Trace trace;
  GroundTruth truth;
  History history;
  Timeline timeline;
  int64_t next_op = 0;
  int64_t out_offset = 0;

  Pipeline() {
    trace.add_sink(&sink);
    truth.member_groups = {{"g-1", "g"}, {"g-2", "g"}};
    // The input: three records in "in-0".
    truth.replicas["in-0"].push_back(ReplicaLog{"broker-1", 3, {{0, "a"}, {1, "b"}, {2, "c"}}});
  }
  template <typename E>
  void emit(int64_t t, const E& e) {
    sim::schema::emit(trace, ms(t), sim::kNoNode, e);
  }
  void start(int64_t t, const std::string& member) {
    emit(t, ev::ConsumerStart{.member = member, .group = "g", .member_id = "", .generation = -1, .detail = ""});
  }
  // A handler run's send for input offset `input`; its outcome `result` (ok, fail, info, or
  // none) at t + 1. Returns its op.
  int64_t send(int64_t t, const std::string& member, int64_t invocation, int64_t input, const std::string& value,
               const std::string& result = "ok", const std::string& producer = "g-1-producer") {
    const int64_t op = next_op++;
    emit(t, ev::OpInvoke{.process = producer, .op = op, .f = "send", .topic = "out", .value = value});
    if (txn > 0)
      emit(t, ev::ProducerTxnSend{.client_id = producer, .op = op, .transactional_id = "tx", .producer_id = 7, .producer_epoch = 0, .txn = txn});
    emit(t, ev::ListenerSend{.member = member, .invocation = invocation, .topic = "in", .partition = 0, .offset = input,
                             .producer = producer, .op = op});
    if (result == "ok") {
      emit(t + 1, ev::OpOk{.process = producer, .op = op, .f = "send", .partition = 0, .offset = out_offset++, .error = "NONE", .cause = "NONE"});
      truth.final_logs["out-0"].insert(value);
    } else if (result == "fail") {
      emit(t + 1, ev::OpFail{.process = producer, .op = op, .f = "send", .partition = -1, .offset = -1, .error = "X", .cause = "X"});
    }
    return op;
  }
  void end_txn(int64_t t, const std::string& outcome, const std::string& producer = "g-1-producer") {
    emit(t, ev::ProducerTxnEnd{.client_id = producer, .transactional_id = "tx", .producer_id = 7, .producer_epoch = 0, .txn = txn,
                               .outcome = outcome, .partitions = "out-0", .offsets_groups = "g", .error = "NONE"});
  }
  void commit(int64_t t, int64_t offset, const std::string& member = "g-1") {
    truth.commits.push_back(CommitRecord{"g", member, t * 1'000'000, {{"in-0", offset}}, "after-process", true});
  }
  ExactlyOnceReport report() {
    truth.outputs = std::move(sink.outputs());
    return analyze_exactly_once(history, truth, "g", "in", "out");
  }
  int64_t txn = 0;  // the producer's open transaction (0: none)
};

}  // namespace

TEST(ExactlyOnceCheck, CountsCommittedOutputsPerHandlerRun) {
  Pipeline p;
  p.start(0, "g-1");
  p.send(10, "g-1", 1, 0, "A");        // a: once
  p.send(12, "g-1", 1, 0, "A'");       //    the same run's second send is the same output
  p.send(20, "g-1", 2, 1, "B");        // b: sent, then the member crashed before the commit
  p.commit(15, 1);
  p.start(50, "g-1");                  // the restarted process counts its runs from 1 again
  p.send(60, "g-1", 2, 1, "B");        //    b again: run 2 of the second process, not the first's
  p.send(70, "g-1", 3, 2, "C", "fail");  // c: its only send failed
  p.commit(80, 3);
  const ExactlyOnceReport r = p.report();
  EXPECT_EQ(r.inputs, 3);
  EXPECT_EQ(r.once, 1);
  ASSERT_EQ(r.duplicated.size(), 1u);
  EXPECT_EQ(r.duplicated[0].label(), "b@in-0:1");
  EXPECT_EQ(r.duplicated[0].committed_runs(), 2);
  ASSERT_EQ(r.lost.size(), 1u);
  EXPECT_EQ(r.lost[0].label(), "c@in-0:2");
  // c's offset was committed with no output: offsets without output.
  ASSERT_EQ(r.uncovered.size(), 1u);
  EXPECT_EQ(r.uncovered[0].input.offset, 2);
  EXPECT_FALSE(r.holds());
}

TEST(ExactlyOnceCheck, InputsNotCommittedPastAreNotJudged) {
  Pipeline p;
  p.start(0, "g-1");
  p.send(10, "g-1", 1, 0, "A");
  p.commit(15, 1);  // only a is committed past; b and c owe nothing yet
  const ExactlyOnceReport r = p.report();
  EXPECT_EQ(r.inputs, 1);
  EXPECT_TRUE(r.holds());
}

TEST(ExactlyOnceCheck, OffsetsCommittedBeforeTheOutputIsAcknowledged) {
  Pipeline p;
  p.start(0, "g-1");
  p.send(10, "g-1", 1, 0, "A", "none");  // acknowledged only after the commit
  p.commit(12, 1);
  p.emit(20, ev::OpOk{.process = "g-1-producer", .op = 0, .f = "send", .partition = 0, .offset = 0, .error = "NONE", .cause = "NONE"});
  p.truth.final_logs["out-0"].insert("A");
  const ExactlyOnceReport r = p.report();
  EXPECT_EQ(r.once, 1) << "the output did arrive";
  ASSERT_EQ(r.uncovered.size(), 1u) << "but a crash between the commit and the acknowledgement would have lost it";
  EXPECT_EQ(r.uncovered[0].time_ns, 12'000'000);
}

TEST(ExactlyOnceCheck, AnAbortedTransactionsOutputIsNotCommittedOutput) {
  Pipeline p;
  p.start(0, "g-1");
  p.txn = 1;
  p.send(10, "g-1", 1, 0, "A");  // written to the log, then aborted
  p.end_txn(20, "aborted");
  p.txn = 2;
  p.send(30, "g-1", 2, 0, "A");  // the input again, in a transaction that commits with its offset
  p.emit(38, ev::GroupTxnOffsets{.group = "g", .producer_id = 7, .offsets = "in-0=1", .state = "committed"});
  p.end_txn(40, "committed");
  const ExactlyOnceReport r = p.report();
  EXPECT_EQ(r.inputs, 1);
  EXPECT_EQ(r.once, 1);
  EXPECT_TRUE(r.duplicated.empty());
  EXPECT_TRUE(r.uncovered.empty()) << "offsets and output commit in one transaction, whichever marker lands first";
  EXPECT_TRUE(r.holds());
}

TEST(ExactlyOnceCheck, TheCoordinatorsDecisionSettlesATransactionTheClientNeverSawEnd) {
  Pipeline p;
  p.start(0, "g-1");
  p.txn = 1;
  p.send(10, "g-1", 1, 0, "A");
  // The client crashed after EndTxn(COMMIT) was sent: the coordinator commits it.
  p.emit(20, ev::TxnStateChange{.transactional_id = "tx", .producer_id = 7, .producer_epoch = 0, .from = "Ongoing",
                                .to = "PrepareCommit", .partitions = "out-0"});
  p.emit(21, ev::GroupTxnOffsets{.group = "g", .producer_id = 7, .offsets = "in-0=1", .state = "committed"});
  p.txn = 2;
  p.send(40, "g-2", 1, 1, "B");
  // This one the coordinator aborts (a new instance fenced it): b has no committed output.
  p.emit(50, ev::TxnStateChange{.transactional_id = "tx", .producer_id = 7, .producer_epoch = 1, .from = "Ongoing",
                                .to = "PrepareAbort", .partitions = "out-0"});
  p.commit(60, 2, "g-2");
  const ExactlyOnceReport r = p.report();
  EXPECT_EQ(r.once, 1);
  ASSERT_EQ(r.lost.size(), 1u);
  EXPECT_EQ(r.lost[0].offset, 1);
}

TEST(ExactlyOnceCheck, ARecoveredInputOwesNoOutput) {
  Pipeline p;
  p.start(0, "g-1");
  p.emit(10, ev::ListenerRecovered{.member = "g-1", .group = "g", .topic = "in", .partition = 0, .offset = 0, .attempts = 3,
                                   .dead_letter = "in.DLT", .dead_letter_offset = 0, .error = "bad"});
  p.commit(15, 1);
  const ExactlyOnceReport r = p.report();
  EXPECT_EQ(r.recovered, 1);
  EXPECT_TRUE(r.lost.empty());
  EXPECT_TRUE(r.uncovered.empty());
}

TEST(ExactlyOnceCheck, TheExpectationNamesThePipelineAndExplainsADuplicate) {
  Pipeline p;
  p.start(0, "g-1");
  p.send(10, "g-1", 1, 0, "A");
  p.start(30, "g-1");
  p.send(40, "g-1", 1, 0, "A");
  p.commit(50, 1);
  p.truth.outputs = std::move(p.sink.outputs());
  Expectation x;
  x.group = "g";
  x.eo_input = "in";
  x.eo_output = "out";
  const Evidence e{p.history, {}, &p.truth, &p.timeline, {{"g", {{"in"}, true}}}, RunEnd{false, 100'000'000, 50'000'000}};
  const Verdict v = judge(e, {x});
  ASSERT_EQ(v.expectations.size(), 1u);
  const Judgement& j = v.expectations[0];
  EXPECT_EQ(j.name, "expect exactly_once in -> out (g)");
  EXPECT_FALSE(j.held);
  EXPECT_NE(j.detail.find("duplicated 1"), std::string::npos) << j.detail;
  EXPECT_NE(j.explanation.find("committed 2 times"), std::string::npos) << j.explanation;
  // Found without the expectation too.
  ASSERT_EQ(v.anomalies.anomalies.count("duplicated-output"), 1u);
  EXPECT_EQ(v.anomalies.anomalies.at("duplicated-output").size(), 1u);
  // Nothing committed past: vacuous.
  Pipeline q;
  q.truth.outputs = std::move(q.sink.outputs());
  const Evidence e2{q.history, {}, &q.truth, &q.timeline, {{"g", {{"in"}, true}}}, RunEnd{false, 100, 50}};
  const Verdict v2 = judge(e2, {x});
  EXPECT_FALSE(v2.expectations[0].held);
  EXPECT_NE(v2.expectations[0].detail.find("vacuous"), std::string::npos);
}

// Torn transactions: a reader that read past a committed transaction's records in a partition
// saw all of them or none.
namespace {
History polls(const std::string& process, const std::vector<std::pair<int64_t, std::string>>& reads) {
  History h;
  Op ok;
  ok.f = "poll";
  ok.process = process;
  ok.type = OpType::ok;
  for (const auto& [offset, value] : reads) ok.polls["out-0"].push_back(Read{offset, value});
  h.ops.push_back(ok);
  return h;
}
}  // namespace

TEST(TornTransactions, AReaderPastACommittedTransactionSawOnlyPartOfIt) {
  Pipeline p;
  p.txn = 1;
  p.send(10, "g-1", 1, 0, "T1");
  p.send(10, "g-1", 1, 0, "T2");
  p.send(10, "g-1", 1, 0, "T3");
  p.end_txn(20, "committed");
  p.txn = 0;
  p.send(30, "g-1", 2, 1, "after");  // offset 3
  p.truth.outputs = std::move(p.sink.outputs());
  // Read past offset 2 without T2: torn.
  auto torn = torn_transactions(polls("reader", {{0, "T1"}, {2, "T3"}, {3, "after"}}), p.truth);
  ASSERT_EQ(torn.size(), 1u);
  EXPECT_NE(torn[0].detail.find("saw 2 of the 3"), std::string::npos) << torn[0].detail;
  EXPECT_NE(torn[0].detail.find("missed T2@1"), std::string::npos) << torn[0].detail;
  EXPECT_FALSE(torn[0].explanation.empty());
  // All of it, or not yet past it: not torn.
  EXPECT_TRUE(torn_transactions(polls("reader", {{0, "T1"}, {1, "T2"}, {2, "T3"}, {3, "after"}}), p.truth).empty());
  EXPECT_TRUE(torn_transactions(polls("reader", {{0, "T1"}, {1, "T2"}}), p.truth).empty());
  // A group's members read as one: one saw T1, the other the rest.
  History h = polls("g-1", {{0, "T1"}});
  h.ops.push_back(polls("g-2", {{1, "T2"}, {2, "T3"}, {3, "after"}}).ops[0]);
  EXPECT_TRUE(torn_transactions(h, p.truth).empty());
  // A seek past part of it excuses what it skipped.
  p.truth.jumps.push_back(PositionJump{"", "reader", "out-0", 2, 25'000'000});
  EXPECT_TRUE(torn_transactions(polls("reader", {{0, "T1"}, {2, "T3"}, {3, "after"}}), p.truth).empty());
}

TEST(TornTransactions, AnAbortedTransactionIsNotJudged) {
  Pipeline p;
  p.txn = 1;
  p.send(10, "g-1", 1, 0, "T1");
  p.send(10, "g-1", 1, 0, "T2");
  p.end_txn(20, "aborted");
  p.txn = 0;
  p.send(30, "g-1", 2, 1, "after");
  p.truth.outputs = std::move(p.sink.outputs());
  EXPECT_TRUE(torn_transactions(polls("reader", {{0, "T1"}, {2, "after"}}), p.truth).empty());
}
