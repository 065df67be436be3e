// Histories from trace events (HistorySink) and in and out of JSON: subscribe ops with their
// keys, and rebalance logs on the poll after a rebalance; how a history read from JSON pairs
// invocations with completions and says what is wrong with it.
#include <gtest/gtest.h>

#include <initializer_list>
#include <sstream>

#include "sim/check/history_json.hpp"
#include "sim/check/history_sink.hpp"

using namespace check;
using sim::Value;

namespace {
void emit(HistorySink& sink, std::string_view kind, std::initializer_list<sim::Field> fields) {
  std::vector<sim::Field> fs(fields);
  sink.write(sim::Event{0, sim::Time{0}, 0, "g-1", kind, fs});
}
}  // namespace

TEST(HistorySink, RecordsSubscribeWithItsKeysAndRebalancesOnTheNextPoll) {
  HistorySink sink;
  emit(sink, "op.invoke", {{"process", Value("g-1")}, {"op", Value(0)}, {"f", Value("subscribe")}, {"keys", Value("t-0,t-1")}});
  emit(sink, "op.ok", {{"process", Value("g-1")}, {"op", Value(0)}, {"f", Value("subscribe")}});
  emit(sink, "consumer.assigned", {{"member", Value("g-1")}, {"partitions", Value("t-0,t-1")}, {"added", Value("t-0,t-1")}, {"revoked", Value("")}});
  emit(sink, "consumer.revoked", {{"member", Value("g-1")}, {"partitions", Value("t-1")}});
  emit(sink, "consumer.assigned", {{"member", Value("g-2")}, {"added", Value("t-1")}});  // another member's
  emit(sink, "op.invoke", {{"process", Value("g-1")}, {"op", Value(1)}, {"f", Value("poll")}});
  emit(sink, "op.poll_record", {{"process", Value("g-1")}, {"op", Value(1)}, {"topic", Value("t")}, {"partition", Value(0)},
                                {"offset", Value(4)}, {"value", Value("v")}});
  emit(sink, "op.ok", {{"process", Value("g-1")}, {"op", Value(1)}, {"f", Value("poll")}});
  emit(sink, "op.invoke", {{"process", Value("g-1")}, {"op", Value(2)}, {"f", Value("poll")}});
  emit(sink, "op.ok", {{"process", Value("g-1")}, {"op", Value(2)}, {"f", Value("poll")}});

  const History& h = sink.history();
  ASSERT_EQ(h.ops.size(), 6u);
  EXPECT_EQ(h.ops[1].f, "subscribe");
  EXPECT_EQ(h.ops[1].keys, (std::vector<std::string>{"t-0", "t-1"}));
  const Op& first = h.ops[3];
  ASSERT_EQ(first.rebalance_log.size(), 2u);
  EXPECT_EQ(first.rebalance_log[0].type, "assigned");
  EXPECT_EQ(first.rebalance_log[0].keys, (std::vector<std::string>{"t-0", "t-1"}));
  EXPECT_EQ(first.rebalance_log[1].type, "revoked");
  EXPECT_EQ(first.rebalance_log[1].keys, (std::vector<std::string>{"t-1"}));
  EXPECT_EQ(first.polls.at("t-0").front().value, "v");
  EXPECT_TRUE(h.ops[5].rebalance_log.empty()) << "each rebalance is logged once";
}

TEST(HistoryJson, RebalanceLogsRoundTrip) {
  HistorySink sink;
  emit(sink, "consumer.lost", {{"member", Value("g-1")}, {"partitions", Value("t-0")}});
  emit(sink, "op.invoke", {{"process", Value("g-1")}, {"op", Value(1)}, {"f", Value("poll")}});
  emit(sink, "op.ok", {{"process", Value("g-1")}, {"op", Value(1)}, {"f", Value("poll")}});
  std::ostringstream out;
  write_history_jsonl(sink.history(), out);
  EXPECT_NE(out.str().find(R"("rebalance-log":[{"keys":["t-0"],"type":"revoked"}])"), std::string::npos) << out.str();
  std::string error;
  const auto back = parse_history(out.str(), error);
  ASSERT_TRUE(back) << error;
  ASSERT_EQ(back->ops[1].rebalance_log.size(), 1u);
  EXPECT_EQ(back->ops[1].rebalance_log[0].keys, std::vector<std::string>{"t-0"});
}

TEST(HistoryJson, AMalformedRebalanceLogIsAnErrorNamingTheOperation) {
  std::string error;
  EXPECT_FALSE(parse_history(R"([{"process":0,"type":"invoke","f":"poll","value":[["poll"]]},
    {"process":0,"type":"ok","f":"poll","value":[["poll",{}]],"rebalance-log":[{"type":"revoked"}]}])", error));
  EXPECT_NE(error.find("operation 2: a rebalance-log entry is"), std::string::npos) << error;
}

// Operations without an "op" id are paired by process and numbered after the largest id seen,
// never taking one an operation of the history already uses.
TEST(HistoryJson, OperationsWithoutIdsTakeIdsNoOtherOperationUses) {
  std::string error;
  const auto h = parse_history(R"({"op":0,"process":"a","type":"invoke","f":"send","value":[["send","k","v"]]}
{"process":1,"type":"invoke","f":"poll","value":[["poll"]]}
{"op":0,"process":"a","type":"ok","f":"send","value":[["send","k",[3,"v"]]]}
{"op":2,"process":"b","type":"invoke","f":"poll"}
{"process":1,"type":"ok","f":"poll","value":[["poll",{"k":[[3,"v"]]}]]}
{"process":1,"type":"invoke","f":"assign","value":["k"]}
)", error);
  ASSERT_TRUE(h) << error;
  ASSERT_EQ(h->ops.size(), 6u);
  EXPECT_EQ(h->ops[1].id, 1) << "the next id after op 0";
  EXPECT_EQ(h->ops[4].id, 1) << "a completion takes its process's open invocation's id";
  EXPECT_EQ(h->ops[5].id, 3) << "op 2 is taken";
  EXPECT_EQ(h->ops[2].sends.at(0).offset, 3);
  EXPECT_EQ(h->ops[4].polls.at("k").at(0).value, "v");
  EXPECT_EQ(h->ops[5].keys, std::vector<std::string>{"k"});
  for (size_t i = 0; i < h->ops.size(); ++i) EXPECT_EQ(h->ops[i].index, static_cast<int64_t>(i));
}

TEST(HistoryJson, ErrorsNameTheLineOrTheOperation) {
  std::string error;
  EXPECT_FALSE(parse_history("{\"process\":0,\"type\":\"invoke\",\"f\":\"poll\"}\n\n{not json}\n", error));
  EXPECT_EQ(error.rfind("line 3: not JSON", 0), 0u) << error;
  EXPECT_FALSE(parse_history("[{\"process\":0,\"type\":\"invoke\",\"f\":\"poll\"},", error));
  EXPECT_EQ(error.rfind("not a JSON array of operations", 0), 0u) << error;
  EXPECT_FALSE(parse_history(R"({"op":4,"process":0,"type":"invoke","f":"poll"}
{"op":4,"process":1,"type":"invoke","f":"poll"})", error));
  EXPECT_EQ(error, "operation 2: op 4 is invoked twice");
  EXPECT_FALSE(parse_history(R"([{"op":-1,"process":0,"type":"invoke","f":"poll"}])", error));
  EXPECT_EQ(error.rfind("operation 1: \"op\" is the id of the invocation", 0), 0u) << error;
  EXPECT_FALSE(parse_history(R"([{"process":0,"type":"invoke","f":"send","value":[["send","k"]]}])", error));
  EXPECT_EQ(error.rfind("operation 1: a send is", 0), 0u) << error;
  EXPECT_FALSE(parse_history(R"([{"process":0,"type":"ok","f":"poll","value":[["poll",{"k":[[1]]}]]}])", error));
  EXPECT_EQ(error, "operation 1: a read is [offset, value]");
  EXPECT_FALSE(parse_history(R"([{"process":0,"type":"invoke","f":"poll","value":[["peek"]]}])", error));
  EXPECT_EQ(error, "operation 1: unknown micro-operation \"peek\"");
}
