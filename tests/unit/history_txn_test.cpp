// A producer's transactions in a run's history: one operation (f = "txn") per transaction, as
// Jepsen's txn workload writes them, invoked at its first send and completed with its outcome;
// fenced ones completed at the fence; written to and read from JSON; and the checks that read
// sends counting a transaction's.
#include <gtest/gtest.h>

#include <initializer_list>
#include <sstream>

#include "sim/check/delivery.hpp"
#include "sim/check/history_json.hpp"
#include "sim/check/history_sink.hpp"

using namespace check;
using sim::Value;

namespace {

class TraceRun {
 public:
  void at(int64_t ms) { now_ = sim::Time{ms * 1'000'000}; }
  void emit(std::string_view kind, std::initializer_list<sim::Field> fields) {
    std::vector<sim::Field> fs(fields);
    sink.write(sim::Event{0, now_, 0, "p", kind, fs});
  }
  // A send by "p" of `value` to topic t, in transaction `txn` (0: none) at producer id 7, `epoch`.
  void send(int64_t op, const std::string& value, int64_t txn, int64_t epoch = 0) {
    emit("op.invoke", {{"process", Value("p")}, {"op", Value(op)}, {"f", Value("send")}, {"topic", Value("t")}, {"value", Value(value)}});
    if (txn > 0)
      emit("producer.txn_send", {{"client_id", Value("p")}, {"op", Value(op)}, {"transactional_id", Value("tx")}, {"producer_id", Value(7)},
                                 {"producer_epoch", Value(epoch)}, {"txn", Value(txn)}});
  }
  void acked(int64_t op, int64_t partition, int64_t offset) {
    emit("op.ok", {{"process", Value("p")}, {"op", Value(op)}, {"f", Value("send")}, {"partition", Value(partition)}, {"offset", Value(offset)}});
  }
  void ended(int64_t txn, const char* outcome, int64_t epoch = 0) {
    emit("producer.txn_end", {{"client_id", Value("p")}, {"transactional_id", Value("tx")}, {"producer_id", Value(7)},
                              {"producer_epoch", Value(epoch)}, {"txn", Value(txn)}, {"outcome", Value(outcome)}});
  }
  HistorySink sink;

 private:
  sim::Time now_{0};
};

}  // namespace

TEST(HistoryTxn, ATransactionsSendsAreOneOperationCompletedByItsOutcome) {
  TraceRun run;
  run.at(1);
  run.send(0, "a", 1);
  run.at(2);
  run.send(1, "b", 1);
  run.at(3);
  run.send(2, "plain", 0);  // a send outside any transaction is its own operation
  run.acked(0, 0, 10);
  run.acked(1, 1, 4);
  run.acked(2, 0, 11);
  run.at(5);
  run.ended(1, "committed");
  run.send(3, "c", 2);
  run.acked(3, 0, 12);
  run.at(6);
  run.ended(2, "aborted");
  run.send(4, "d", 3);  // never ends: the producer crashed with it open

  const History& h = run.sink.history();
  ASSERT_EQ(h.ops.size(), 7u);
  const Op& invoke = h.ops[0];
  EXPECT_EQ(invoke.f, "txn");
  EXPECT_EQ(invoke.type, OpType::invoke);
  EXPECT_EQ(invoke.time_ns, 1'000'000) << "invoked at its first send";
  ASSERT_EQ(invoke.sends.size(), 2u) << "each send of the transaction is a micro-operation of its invocation";
  EXPECT_EQ(invoke.sends[1].value, "b");
  EXPECT_EQ(h.ops[1].f, "send");
  EXPECT_EQ(h.ops[2].f, "send");
  EXPECT_EQ(h.ops[2].type, OpType::ok);
  const Op& committed = h.ops[3];
  EXPECT_EQ(committed.f, "txn");
  EXPECT_EQ(committed.type, OpType::ok);
  EXPECT_EQ(committed.id, invoke.id);
  EXPECT_EQ(committed.time_ns, 5'000'000) << "completed when the client learned the outcome";
  ASSERT_EQ(committed.sends.size(), 2u);
  EXPECT_EQ(committed.sends[0].key, "t-0");
  EXPECT_EQ(committed.sends[0].offset, 10);
  EXPECT_EQ(committed.sends[1].key, "t-1");
  EXPECT_EQ(committed.sends[1].offset, 4);
  EXPECT_EQ(h.ops[4].type, OpType::invoke);
  EXPECT_EQ(h.ops[5].f, "txn");
  EXPECT_EQ(h.ops[5].type, OpType::fail) << "an aborted transaction's sends never happened";
  EXPECT_EQ(h.ops[5].sends.at(0).value, "c");
  EXPECT_EQ(h.ops[6].type, OpType::invoke) << "a transaction that never ended stays invoked: indefinite";
  EXPECT_EQ(h.ops[6].sends.at(0).value, "d");
  // Ids pair invocations with completions and stay dense: 0 the first transaction, 1 the plain send...
  EXPECT_EQ(h.ops[1].id, 1);
  EXPECT_EQ(h.ops[4].id, 2);
  EXPECT_EQ(h.ops[6].id, 3);
  // How each transaction ended, and when its sends were acknowledged, for explanations.
  const auto& how = h.txn_outcomes.at(5);
  EXPECT_NE(how.told.find("aborted"), std::string::npos) << how.told;
  EXPECT_EQ(how.acknowledged_ns.at("c"), 5'000'000);
}

TEST(HistoryTxn, AFencedTransactionFailsAtTheFenceAndTheZombiesLaterSendsFailToo) {
  TraceRun run;
  run.send(0, "a", 1);
  run.acked(0, 0, 3);
  run.at(4);
  run.emit("txn.fence", {{"transactional_id", Value("tx")}, {"producer_id", Value(7)}, {"producer_epoch", Value(1)},
                         {"reason", Value("InitProducerId")}});
  run.at(6);
  run.send(1, "late", 1);  // the zombie, unaware, sends on in the same transaction
  run.acked(1, 0, 4);
  run.ended(1, "failed");

  const History& h = run.sink.history();
  ASSERT_EQ(h.ops.size(), 4u);
  EXPECT_EQ(h.ops[1].f, "txn");
  EXPECT_EQ(h.ops[1].type, OpType::fail);
  EXPECT_EQ(h.ops[1].time_ns, 4'000'000) << "completed at the fence: the coordinator aborts it";
  EXPECT_EQ(h.ops[2].f, "send");
  EXPECT_EQ(h.ops[3].f, "send");
  EXPECT_EQ(h.ops[3].type, OpType::fail) << "a leader acknowledged it, but its transaction never commits";
  EXPECT_NE(h.txn_outcomes.at(3).told.find("fenced"), std::string::npos);
  ASSERT_EQ(run.sink.fenced().size(), 1u);
  const FencedTxn& f = run.sink.fenced()[0];
  ASSERT_EQ(f.sends.size(), 2u);
  EXPECT_EQ(f.sends[0], std::make_pair(std::string("a"), h.ops[1].id));
  EXPECT_EQ(f.sends[1], std::make_pair(std::string("late"), h.ops[3].id));
}

TEST(HistoryTxn, TransactionsRoundTripThroughJson) {
  TraceRun run;
  run.send(0, "a", 1);
  run.send(1, "b", 1);
  run.acked(0, 0, 10);
  run.acked(1, 0, 11);
  run.ended(1, "committed");
  std::ostringstream out;
  write_history_jsonl(run.sink.history(), out);
  EXPECT_NE(out.str().find(R"("f":"txn","value":[["send","t-0",[10,"a"]],["send","t-0",[11,"b"]]])"), std::string::npos) << out.str();
  std::string error;
  const auto back = parse_history(out.str(), error);
  ASSERT_TRUE(back) << error;
  ASSERT_EQ(back->ops.size(), 2u);
  EXPECT_EQ(back->ops[1].f, "txn");
  ASSERT_EQ(back->ops[1].sends.size(), 2u);
  EXPECT_EQ(back->ops[1].sends[1].offset, 11);
}

TEST(HistoryTxn, ACommittedTransactionsSendMissingFromTheLogsIsALostWrite) {
  std::string error;
  const auto h = parse_history(R"({"process":"p","type":"invoke","f":"txn","value":[["send","t-0","a"],["send","t-1","b"]]}
{"process":"p","type":"ok","f":"txn","value":[["send","t-0",[0,"a"]],["send","t-1",[0,"b"]]]}
{"process":"q","type":"invoke","f":"txn","value":[["poll"]]}
{"process":"q","type":"ok","f":"txn","value":[["poll",{"t-0":[[0,"a"]]}]]}
)",
                               error);
  ASSERT_TRUE(h) << error;
  GroundTruth truth;
  truth.final_logs["t-0"] = {"a"};
  truth.final_logs["t-1"] = {};
  const auto lost = lost_acknowledged_writes(*h, truth);
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].value, "b");
  SentRecords sent(*h, "p");
  EXPECT_EQ(sent.acknowledged(), 2);
}
