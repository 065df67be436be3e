// The ground-truth delivery checks on hand-made inputs.
#include <gtest/gtest.h>

#include "sim/check/delivery.hpp"

using namespace check;

namespace {
History acked(const std::vector<std::pair<std::string, std::string>>& sends) {  // (partition, value)
  History h;
  int64_t i = 0;
  for (const auto& [partition, value] : sends) {
    Op invoke;
    invoke.index = i++;
    invoke.id = invoke.index;
    invoke.f = "send";
    invoke.type = OpType::invoke;
    h.ops.push_back(invoke);
    Op ok = invoke;
    ok.index = i++;
    ok.type = OpType::ok;
    ok.sends.push_back({partition, value, std::nullopt});
    h.ops.push_back(ok);
  }
  return h;
}

ProcessedRecord processed(const std::string& partition, int64_t offset, const std::string& value, const std::string& key = "k") {
  return {"g", "g-1", partition, offset, key, value};
}
}  // namespace

TEST(DeliveryCheck, CountsEachAcknowledgedRecordsProcessings) {
  const History h = acked({{"t-0", "a"}, {"t-0", "b"}, {"t-0", "c"}, {"t-0", "d"}});
  GroundTruth truth;
  truth.processed = {processed("t-0", 0, "a"), processed("t-0", 1, "b"), processed("t-0", 1, "b"), processed("t-0", 2, "c")};
  truth.final_logs["t-0"] = {"a", "b", "c"};  // d is in no log: lost
  const DeliveryReport r = analyze_delivery(h, truth, "g", {});
  EXPECT_EQ(r.acknowledged, 4);
  EXPECT_EQ(r.processed_once, 2);
  EXPECT_EQ(r.processed_more, 1);
  EXPECT_EQ(r.duplicates, 1);
  EXPECT_EQ(r.lost, (std::vector<std::string>{"d@t-0"}));
  EXPECT_TRUE(r.late.empty());
  EXPECT_FALSE(r.at_most_once());
  EXPECT_FALSE(r.at_least_once());
}

TEST(DeliveryCheck, SplitsUnprocessedIntoLostAndLate) {
  const History h = acked({{"t-0", "a"}, {"t-0", "b"}});
  GroundTruth truth;
  truth.final_logs["t-0"] = {"a", "b"};
  truth.processed = {processed("t-0", 0, "a")};
  const DeliveryReport r = analyze_delivery(h, truth, "g", {});
  EXPECT_TRUE(r.lost.empty());
  EXPECT_EQ(r.late, (std::vector<std::string>{"b@t-0"})) << "in the log, never processed: late, not lost";
  EXPECT_TRUE(r.at_most_once());
  EXPECT_FALSE(r.exactly_once());
}

TEST(DeliveryCheck, ExactlyOnceHoldsOnlyWhenEveryRecordIsProcessedOnce) {
  const History h = acked({{"t-0", "a"}, {"t-1", "b"}});
  GroundTruth truth;
  truth.processed = {processed("t-0", 0, "a"), processed("t-1", 0, "b")};
  const DeliveryReport r = analyze_delivery(h, truth, "g", {});
  EXPECT_TRUE(r.exactly_once());
  EXPECT_EQ(analyze_delivery(h, truth, "other-group", {}).lost.size() + analyze_delivery(h, truth, "other-group", {}).late.size(), 2u)
      << "another group processed nothing";
}

TEST(DeliveryCheck, OrderOfFirstDeliveries) {
  const History h = acked({{"t-0", "a"}, {"t-0", "b"}, {"t-0", "c"}});
  GroundTruth truth;
  // Redelivery of a after c is not an order violation (first deliveries are a, b, c).
  truth.processed = {processed("t-0", 0, "a"), processed("t-0", 1, "b"), processed("t-0", 2, "c"), processed("t-0", 0, "a")};
  EXPECT_TRUE(analyze_delivery(h, truth, "g", {}).partition_order_violations.empty());
  // c first delivered before b: a violation per partition, and per key when they share a key.
  truth.processed = {processed("t-0", 0, "a"), processed("t-0", 2, "c"), processed("t-0", 1, "b")};
  EXPECT_EQ(analyze_delivery(h, truth, "g", {}).partition_order_violations.size(), 1u);
  EXPECT_EQ(analyze_delivery(h, truth, "g", {}).key_order_violations.size(), 1u);
  // With different keys, per-key order holds even though per-partition order does not.
  truth.processed = {processed("t-0", 0, "a", "x"), processed("t-0", 2, "c", "y"), processed("t-0", 1, "b", "x")};
  EXPECT_EQ(analyze_delivery(h, truth, "g", {}).partition_order_violations.size(), 1u);
  EXPECT_TRUE(analyze_delivery(h, truth, "g", {}).key_order_violations.empty());
}

TEST(DeliveryCheck, TopicsLimitTheRecordsConsidered) {
  const History h = acked({{"orders-0", "a"}, {"audit-0", "b"}});
  GroundTruth truth;
  truth.processed = {processed("orders-0", 0, "a")};
  const DeliveryReport r = analyze_delivery(h, truth, "g", {"orders"});
  EXPECT_EQ(r.acknowledged, 1);
  EXPECT_TRUE(r.exactly_once());
}

TEST(DeliveryCheck, LostAcknowledgedWritesNeedNoConsumer) {
  History h = acked({{"t-0", "a"}, {"t-0", "b"}, {"t-1", "c"}});
  Op failed;  // a send that failed was never acknowledged: its absence is no loss
  failed.index = 100;
  failed.f = "send";
  failed.type = OpType::fail;
  failed.sends.push_back({"t-1", "x", std::nullopt});
  h.ops.push_back(failed);
  GroundTruth truth;
  truth.final_logs["t-0"] = {"a"};
  std::vector<std::string> lost;
  for (const auto& w : lost_acknowledged_writes(h, truth)) lost.push_back(w.label());
  EXPECT_EQ(lost, (std::vector<std::string>{"b@t-0", "c@t-1"}));
  truth.final_logs["t-0"].insert("b");
  truth.final_logs["t-1"] = {"c"};
  EXPECT_TRUE(lost_acknowledged_writes(h, truth).empty());
}

TEST(ReplicaDivergence, DifferentRecordsBelowBothHighWatermarks) {
  std::map<std::string, std::vector<ReplicaLog>> replicas;
  replicas["t-0"] = {{"broker-1", 3, {{0, "m1"}, {1, "m2"}, {2, "m4"}}},
                     {"broker-2", 3, {{0, "m1"}, {1, "m3"}, {2, "m4"}}},
                     {"broker-3", 3, {{0, "m1"}, {1, "m2"}, {2, "m4"}}}};
  const auto found = replica_divergence(replicas);
  ASSERT_EQ(found.size(), 2u) << "broker-2 diverges from both others";
  EXPECT_EQ(found[0].key, "t-0");
  EXPECT_NE(found[0].detail.find("offset 1: broker-1 has m2, broker-2 has m3"), std::string::npos) << found[0].detail;
}

TEST(ReplicaDivergence, UncommittedSuffixesAndLaggingReplicasAreNotDivergence) {
  std::map<std::string, std::vector<ReplicaLog>> replicas;
  // broker-2 has an uncommitted record at offset 2 that the leader lacks (above its HW 2), and
  // broker-3 lags: it holds less, with a lower HW.
  replicas["t-0"] = {{"broker-1", 2, {{0, "a"}, {1, "b"}, {2, "c"}}},
                     {"broker-2", 2, {{0, "a"}, {1, "b"}, {2, "x"}}},
                     {"broker-3", 1, {{0, "a"}}}};
  EXPECT_TRUE(replica_divergence(replicas).empty());
  // A record missing below both HWs is divergence too.
  replicas["t-0"][2] = {"broker-3", 2, {{0, "a"}}};
  const auto found = replica_divergence(replicas);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_NE(found[0].detail.find("broker-3 has nothing"), std::string::npos) << found[0].detail;
}

TEST(LogDuplicates, AValueTwiceInAReplicasLogIsADuplicateOnce) {
  std::map<std::string, std::vector<ReplicaLog>> replicas;
  replicas["t-0"] = {{"broker-1", 4, {{0, "a"}, {1, "b"}, {2, "a"}, {3, "c"}}},
                     {"broker-2", 4, {{0, "a"}, {1, "b"}, {2, "a"}, {3, "c"}}}};
  replicas["t-1"] = {{"broker-1", 2, {{0, "a"}, {1, "b"}}}};  // the same value in another partition is no duplicate
  auto found = log_duplicates(replicas, {});
  ASSERT_EQ(found.size(), 1u) << "one anomaly for the partition and value, whatever the replicas";
  EXPECT_EQ(found[0].key, "t-0");
  EXPECT_EQ(found[0].value, "a");
  EXPECT_NE(found[0].detail.find("offsets of broker-1's final log: 0, 2"), std::string::npos) << found[0].detail;
  EXPECT_TRUE(log_duplicates(replicas, {std::string("t-0") + '\x1f' + "a"}).empty()) << "already reported from the history";
}

TEST(LogDuplicates, InternalTopicsRewriteValuesOnPurpose) {
  std::map<std::string, std::vector<ReplicaLog>> replicas;
  replicas["__consumer_offsets-0"] = {{"broker-1", 2, {{0, "g/t-0=5"}, {1, "g/t-0=5"}}}};
  EXPECT_TRUE(log_duplicates(replicas, {}).empty());
}

TEST(DeliveryCheck, LateRecordsTheGroupNeverReachedAreALivenessFailure) {
  History h = acked({{"t-0", "a"}, {"t-0", "b"}, {"t-0", "c"}, {"t-0", "d"}});
  for (auto& op : h.ops)  // the acks name offsets 0..3
    if (op.type == OpType::ok) op.sends[0].offset = (op.index - 1) / 2;
  GroundTruth truth;
  truth.final_logs["t-0"] = {"a", "b", "c", "d"};
  truth.processed = {processed("t-0", 0, "a"), processed("t-0", 2, "c")};
  const DeliveryReport r = analyze_delivery(h, truth, "g", {});
  EXPECT_EQ(r.late, (std::vector<std::string>{"b@t-0", "d@t-0"}));
  EXPECT_EQ(r.unreached, (std::vector<std::string>{"d@t-0"})) << "b was skipped (c, later, was processed); d was never reached";
}
