// Histories from trace events (HistorySink) and in and out of JSON: subscribe ops with their
// keys, and rebalance logs on the poll after a rebalance.
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
