// The numbered history the checks run over (sim/check/history_ids.hpp), and the order of errors
// when a history is read one line at a time.
#include <gtest/gtest.h>

#include "sim/check/history_ids.hpp"
#include "sim/check/history_json.hpp"
#include "sim/check/jepsen.hpp"

using namespace check;

namespace {

Op completion(int64_t index, std::string process, std::vector<Send> sends, std::map<std::string, std::vector<Read>> polls = {}) {
  Op op;
  op.index = index;
  op.id = index;
  op.process = std::move(process);
  op.type = OpType::ok;
  op.f = polls.empty() ? "send" : "txn";
  op.sends = std::move(sends);
  op.polls = std::move(polls);
  return op;
}

std::vector<std::string_view> texts(const HistoryIds& ids, const KeyRun& run) {
  std::vector<std::string_view> out;
  for (const MicroOp& m : ids.values(run)) out.push_back(ids.text(m.value));
  return out;
}

}  // namespace

TEST(HistoryIds, KeysAndProcessesAreNumberedInNameOrder) {
  History h;
  h.ops.push_back(completion(0, "zed", {{"t-2", "a", 0}}));
  h.ops.push_back(completion(1, "amy", {{"t-10", "b", 0}, {"t-1", "c", 0}}));
  const HistoryIds ids(h);
  EXPECT_EQ(ids.key_names, (std::vector<std::string_view>{"t-1", "t-10", "t-2"}));
  EXPECT_EQ(ids.process_names, (std::vector<std::string_view>{"amy", "zed"}));
  EXPECT_EQ(ids.process, (std::vector<int32_t>{1, 0}));
  EXPECT_EQ(ids.key_id("t-2"), 2);
  EXPECT_EQ(ids.key_id("t-3"), kNone) << "a key no send or read names has no id";
}

TEST(HistoryIds, SendsAreGroupedByKeyInKeyOrderEachInTheOrderSent) {
  History h;
  h.ops.push_back(completion(0, "p", {{"k-b", "1", 0}, {"k-a", "2", 0}, {"k-b", "3", 1}, {"k-a", "4", 1}}));
  const HistoryIds ids(h);
  const auto runs = ids.writes(0);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(ids.key_name(runs[0].key), "k-a");
  EXPECT_EQ(texts(ids, runs[0]), (std::vector<std::string_view>{"2", "4"}));
  EXPECT_EQ(ids.key_name(runs[1].key), "k-b");
  EXPECT_EQ(texts(ids, runs[1]), (std::vector<std::string_view>{"1", "3"}));
}

TEST(HistoryIds, AValueIsAKeyAndItsText) {
  History h;
  h.ops.push_back(completion(0, "p", {{"k-a", "x", 0}, {"k-b", "x", 0}}, {{"k-a", {{0, "x"}}}, {"k-c", {}}}));
  const HistoryIds ids(h);
  const auto writes = ids.writes(0);
  const auto reads = ids.reads(0);
  ASSERT_EQ(writes.size(), 2u);
  ASSERT_EQ(reads.size(), 1u) << "a key polled without records has no run";
  const ValueId sent_a = ids.micro[static_cast<size_t>(writes[0].begin)].value;
  const ValueId sent_b = ids.micro[static_cast<size_t>(writes[1].begin)].value;
  EXPECT_NE(sent_a, sent_b) << "the same text under two keys is two values";
  EXPECT_EQ(ids.micro[static_cast<size_t>(reads[0].begin)].value, sent_a) << "reading a value names the one sent";
  EXPECT_EQ(ids.value_text.size(), 2u);
}

TEST(HistoryIds, CompletionsKnowWhereTheyWereInvoked) {
  History h;
  Op inv = completion(0, "p", {{"k", "a", std::nullopt}});
  inv.type = OpType::invoke;
  inv.id = 7;
  h.ops.push_back(inv);
  Op done = completion(1, "p", {{"k", "a", 0}});
  done.id = 7;
  h.ops.push_back(done);
  h.ops.push_back(completion(2, "p", {{"k", "b", 1}}));  // no invocation: its own index
  const HistoryIds ids(h);
  EXPECT_EQ(ids.invoked, (std::vector<int64_t>{0, 2}));
}

TEST(HistoryJson, ALineThatIsNotJsonIsReportedBeforeAnEarlierWrongOperation) {
  std::string error;
  EXPECT_FALSE(parse_history("{\"process\":0,\"type\":\"okk\",\"f\":\"send\"}\n"
                             "{\"process\":0,\"type\":\"invoke\",\"f\":\"send\"}\n"
                             "not json\n",
                             error));
  EXPECT_EQ(error.rfind("line 3: not JSON", 0), 0u) << error;
  EXPECT_FALSE(parse_history("{\"process\":0,\"type\":\"okk\",\"f\":\"send\"}\n{\"process\":0,\"type\":\"invoke\",\"f\":\"send\"}\n", error));
  EXPECT_EQ(error.rfind("operation 1: type \"okk\"", 0), 0u) << error;
}
