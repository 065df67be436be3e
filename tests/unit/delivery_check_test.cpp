// The ground-truth delivery checks on hand-made inputs.
#include <gtest/gtest.h>

#include "sim/check/commits.hpp"
#include "sim/check/delivery.hpp"
#include "sim/check/history_sink.hpp"

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

// Spring's DefaultErrorHandler acknowledges a record it gave up on (dead-lettered, or logged
// and skipped): the group handled it, though it never processed it. It is neither lost nor
// late, and the report names it apart; recovered twice (a crash before the acknowledgement's
// commit) it is handled twice. Another group's recovery is not this group's.
TEST(DeliveryCheck, ARecordTheErrorHandlerRecoveredIsHandledNotUnprocessed) {
  History h = acked({{"t-0", "a"}, {"t-0", "pill"}, {"t-0", "c"}, {"t-0", "bad"}});
  for (Op& op : h.ops) {  // the acknowledgements name offsets 0..3
    if (op.type == OpType::ok) op.sends[0].offset = op.index / 2;
  }
  GroundTruth truth;
  truth.final_logs["t-0"] = {"a", "pill", "c", "bad"};
  truth.processed = {processed("t-0", 0, "a"), processed("t-0", 2, "c")};
  const DeliveryReport before = analyze_delivery(h, truth, "g", {});
  EXPECT_EQ(before.late, (std::vector<std::string>{"bad@t-0", "pill@t-0"})) << "without recoveries: never processed";

  truth.recovered = {{"g", "g-1", "t-0", 1, "t.DLT", 0}, {"g", "g-1", "t-0", 3, "", 0}, {"other", "o-1", "t-0", 1, "t.DLT", 0}};
  const DeliveryReport r = analyze_delivery(h, truth, "g", {});
  EXPECT_TRUE(r.late.empty());
  EXPECT_TRUE(r.lost.empty());
  EXPECT_TRUE(r.exactly_once());
  EXPECT_EQ(r.processed_once, 2) << "recovered records are not counted as processed";
  EXPECT_EQ(r.recovered, (std::vector<std::string>{"bad@t-0:3 logged and skipped", "pill@t-0:1 dead-lettered to t.DLT"}));
  EXPECT_EQ(analyze_delivery(h, truth, "other", {}).late.size(), 3u) << "another group's recovery handles one record of its own";

  truth.recovered.push_back({"g", "g-1#2", "t-0", 1, "t.DLT", 0});  // recovered again after a crash
  const DeliveryReport twice = analyze_delivery(h, truth, "g", {});
  EXPECT_EQ(twice.processed_more, 1);
  EXPECT_EQ(twice.reprocessed, (std::vector<std::pair<std::string, std::string>>{{"t-0", "pill"}}));
  EXPECT_FALSE(twice.exactly_once());
  EXPECT_TRUE(twice.at_least_once());
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
  auto found = log_duplicates(replicas, {}, {});
  ASSERT_EQ(found.size(), 1u) << "one anomaly for the partition and value, whatever the replicas";
  EXPECT_EQ(found[0].key, "t-0");
  EXPECT_EQ(found[0].value, "a");
  EXPECT_NE(found[0].detail.find("offsets of broker-1's final log: 0, 2"), std::string::npos) << found[0].detail;
  EXPECT_TRUE(log_duplicates(replicas, {}, {std::string("t-0") + '\x1f' + "a"}).empty()) << "already reported from the history";
}

TEST(LogDuplicates, AnAbortedTransactionsRecordAndItsCommittedRetryAreNot) {
  std::map<std::string, std::vector<ReplicaLog>> replicas;
  replicas["t-0"] = {{"broker-1", 5, {{0, "a"}, {1, "x"}, {3, "a"}, {4, "x"}}}};  // 2: the ABORT marker
  std::map<std::string, std::map<std::string, std::set<int64_t>>> aborted;
  aborted["t-0"]["broker-1"] = {0};
  const auto found = log_duplicates(replicas, aborted, {});
  ASSERT_EQ(found.size(), 1u) << "a, aborted once and committed once, is in the log a reader sees once; x twice";
  EXPECT_EQ(found[0].value, "x");
}

TEST(LogDuplicates, InternalTopicsRewriteValuesOnPurpose) {
  std::map<std::string, std::vector<ReplicaLog>> replicas;
  replicas["__consumer_offsets-0"] = {{"broker-1", 2, {{0, "g/t-0=5"}, {1, "g/t-0=5"}}}};
  EXPECT_TRUE(log_duplicates(replicas, {}, {}).empty());
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

namespace {
constexpr int64_t kMs = 1'000'000;

// Records a..d at offsets 0..3 of t-0, sent at 1..4 ms, on one replica with HW 4.
GroundTruth four_records() {
  GroundTruth truth;
  truth.replicas["t-0"] = {{"broker-1", 4, {{0, "a"}, {1, "b"}, {2, "c"}, {3, "d"}}}};
  return truth;
}
History sent_at_ms(const std::vector<std::string>& values) {
  History h = acked({});
  int64_t t = 1;
  for (const std::string& v : values) {
    Op invoke;
    invoke.index = static_cast<int64_t>(h.ops.size());
    invoke.f = "send";
    invoke.type = OpType::invoke;
    invoke.time_ns = t++ * kMs;
    invoke.sends.push_back({"t", v, std::nullopt});
    h.ops.push_back(invoke);
  }
  return h;
}
ProcessedRecord processed_at(int64_t offset, const std::string& value, int64_t ms) {
  ProcessedRecord p = processed("t-0", offset, value);
  p.time_ns = ms * kMs;
  return p;
}
CommitRecord commit_at(int64_t offset, int64_t ms, bool ok = true) {
  return CommitRecord{"g", "g-1", ms * kMs, {{"t-0", offset}}, "auto", ok};
}
}  // namespace

TEST(CommitsPastUnprocessed, ACommitCoveringOnlyProcessedRecordsIsFine) {
  const History h = sent_at_ms({"a", "b", "c", "d"});
  GroundTruth truth = four_records();
  truth.processed = {processed_at(0, "a", 10), processed_at(1, "b", 11), processed_at(2, "c", 30)};
  truth.commits = {commit_at(2, 20), commit_at(3, 31)};
  EXPECT_TRUE(commits_past_unprocessed(h, truth, "g").empty());
}

TEST(CommitsPastUnprocessed, ACommitPastARecordProcessedLaterOrNeverIsReportedWithItsWitness) {
  const History h = sent_at_ms({"a", "b", "c", "d"});
  GroundTruth truth = four_records();
  truth.processed = {processed_at(0, "a", 10), processed_at(2, "c", 12), processed_at(1, "b", 40)};
  truth.commits = {commit_at(3, 20), commit_at(4, 50), commit_at(4, 60, false)};
  const auto found = commits_past_unprocessed(h, truth, "g");
  ASSERT_EQ(found.size(), 2u) << "the failed commit does not count";
  EXPECT_NE(found[0].detail.find("g-1 committed t-0 offset 3 at 0.020s (auto) while b at offset 1 was not processed until 0.040s"),
            std::string::npos) << found[0].detail;
  EXPECT_NE(found[1].detail.find("d at offset 3 was never processed"), std::string::npos) << found[1].detail;
  EXPECT_NE(found[1].explanation.find("No poll had returned d by then"), std::string::npos) << found[1].explanation;
  EXPECT_EQ(found[1].value, "d");
  EXPECT_TRUE(commits_past_unprocessed(h, truth, "other-group").empty());
}

TEST(CommitsPastUnprocessed, RecordsWrittenAfterTheCommitOrJumpedOverByAResetAreExcused) {
  const History h = sent_at_ms({"a", "b", "c", "d"});
  GroundTruth truth = four_records();
  truth.processed = {processed_at(3, "d", 10)};
  truth.commits = {commit_at(4, 20)};
  truth.jumps = {PositionJump{"g", "g-1", "t-0", 3, 5 * kMs}};  // auto.offset.reset=latest at offset 3
  EXPECT_TRUE(commits_past_unprocessed(h, truth, "g").empty());
  truth.jumps.clear();
  EXPECT_EQ(commits_past_unprocessed(h, truth, "g").size(), 1u) << "without the reset, a..c were skipped by the commit";
  const History late = sent_at_ms({"x", "y", "z", "w", "a", "b", "c"});  // a..c sent at 5..7 ms: after a 4 ms commit
  truth.commits = {commit_at(4, 4)};
  truth.processed = {processed_at(3, "d", 3)};
  EXPECT_TRUE(commits_past_unprocessed(late, truth, "g").empty());
}

TEST(GroupSink, ReadsCommitsWithTheirOffsetsAndResets) {
  GroupSink sink;
  std::vector<sim::Field> commit{{"member", sim::Value("g-1")}, {"group", sim::Value("g")}, {"offsets", sim::Value("orders-0:57,my-topic-12:3")},
                                 {"why", sim::Value("auto")}, {"error", sim::Value("NONE")}};
  sink.write(sim::Event{0, sim::Time{7}, 0, "g-1", "consumer.commit", commit});
  std::vector<sim::Field> failed{{"member", sim::Value("g-1")}, {"group", sim::Value("g")}, {"offsets", sim::Value(int64_t{2})},
                                 {"why", sim::Value("auto")}, {"error", sim::Value("REBALANCE_IN_PROGRESS (client)")}};
  sink.write(sim::Event{1, sim::Time{8}, 0, "g-1", "consumer.commit", failed});
  std::vector<sim::Field> reset{{"member", sim::Value("g-1")}, {"group", sim::Value("g")}, {"topic", sim::Value("orders")},
                                {"partition", sim::Value(int64_t{0})}, {"offset", sim::Value(int64_t{40})}};
  sink.write(sim::Event{2, sim::Time{9}, 0, "g-1", "consumer.reset", reset});
  ASSERT_EQ(sink.commits().size(), 2u);
  EXPECT_TRUE(sink.commits()[0].ok);
  EXPECT_EQ(sink.commits()[0].offsets, (std::vector<std::pair<std::string, int64_t>>{{"orders-0", 57}, {"my-topic-12", 3}}));
  EXPECT_FALSE(sink.commits()[1].ok);
  EXPECT_TRUE(sink.commits()[1].offsets.empty());
  EXPECT_EQ(sink.member_groups(), (std::map<std::string, std::string>{{"g-1", "g"}}));
  ASSERT_EQ(sink.jumps().size(), 1u);
  EXPECT_EQ(sink.jumps()[0].partition, "orders-0");
  EXPECT_EQ(sink.jumps()[0].offset, 40);
}

// ---- the verdict (sim/check/verdict.hpp), as run and check assemble it ----

#include "sim/check/verdict.hpp"

TEST(Verdict, AHistoryAloneGetsJepsensChecksOnly) {
  History h = acked({{"t-0", "a"}});
  h.ops.back().sends[0].offset = 0;
  Evidence alone{h, {}, nullptr, nullptr, {}, {}};
  const CheckResult r = find_anomalies(alone);
  const CheckResult jepsen = check_history(h, {});
  EXPECT_EQ(r.valid, jepsen.valid);
  std::vector<std::string> names, jepsen_names;
  for (const auto& [name, list] : r.anomalies) names.push_back(name);
  for (const auto& [name, list] : jepsen.anomalies) jepsen_names.push_back(name);
  EXPECT_EQ(names, jepsen_names);
  EXPECT_EQ(r.anomalies.count("duplicate"), 0u) << "no final logs to look for duplicates in";
}

TEST(Verdict, TheFinalLogsAddOurAnomalies) {
  History h = acked({{"t-0", "a"}});
  GroundTruth truth;
  truth.replicas["t-0"].push_back({"broker-1", 2, {{0, "a"}, {1, "a"}}});  // written twice
  Timeline timeline;
  Evidence e{h, {}, &truth, &timeline, {}, {}};
  const CheckResult r = find_anomalies(e);
  EXPECT_FALSE(r.valid);
  ASSERT_EQ(r.anomalies.count("duplicate"), 1u);
  EXPECT_EQ(r.anomalies.at("duplicate").size(), 1u);
}

TEST(Verdict, AnExpectationThatJudgedNothingFailsAsVacuous) {
  History h;  // nothing acknowledged
  GroundTruth truth;
  Timeline timeline;
  Evidence e{h, {}, &truth, &timeline, {{"g", {{"orders"}, true}}}, {}};
  Expectation delivery;
  delivery.delivery = "at-least-once";
  Expectation allowed = delivery;
  allowed.allow_empty = true;
  const Verdict v = judge(e, {delivery, allowed});
  ASSERT_EQ(v.expectations.size(), 2u);
  EXPECT_FALSE(v.expectations[0].held);
  EXPECT_NE(v.expectations[0].detail.find("vacuous"), std::string::npos);
  EXPECT_EQ(v.expectations[0].name, "expect delivery at-least-once (g)");
  EXPECT_TRUE(v.expectations[1].held) << "allow_empty: nothing to judge is what the scenario means";
}

TEST(Verdict, DeliveryIsJudgedPerGroup) {
  const History h = acked({{"orders-0", "a"}, {"orders-0", "b"}});
  GroundTruth truth;
  truth.final_logs["orders-0"] = {"a", "b"};
  truth.processed = {{"g", "g-1", "orders-0", 0, "k", "a"}, {"g", "g-1", "orders-0", 1, "k", "b"}, {"g", "g-1", "orders-0", 1, "k", "b"}};
  truth.member_groups = {{"g-1", "g"}};
  Timeline timeline;
  Evidence e{h, {}, &truth, &timeline, {{"g", {{"orders"}, false}}}, {}};
  Expectation once;
  once.delivery = "exactly-once";
  Expectation least = once;
  least.delivery = "at-least-once";
  const Verdict v = judge(e, {once, least});
  ASSERT_EQ(v.expectations.size(), 2u);
  EXPECT_FALSE(v.expectations[0].held) << "b was processed twice";
  EXPECT_TRUE(v.expectations[1].held);
}

TEST(Verdict, AProducerScopeJudgesOnlyTheRecordsItSent) {
  // Two producers on one partition: "fast" lost a1 and wrote a2 twice; "safe" lost nothing.
  History h = acked({{"t-0", "a1"}, {"t-0", "a2"}, {"t-0", "b1"}});
  for (Op& op : h.ops) op.process = op.id < 4 ? "fast" : "safe";
  GroundTruth truth;
  truth.final_logs["t-0"] = {"a2", "b1"};
  truth.replicas["t-0"].push_back({"broker-1", 3, {{0, "a2"}, {1, "b1"}, {2, "a2"}}});
  Timeline timeline;
  Evidence e{h, {}, &truth, &timeline, {}, {}};
  Expectation whole;
  whole.name = "expect";
  whole.max_lost = 0;
  whole.max_duplicates = 0;
  Expectation fast = whole, safe = whole;
  fast.producer = "fast";
  safe.producer = "safe";
  const Verdict v = judge(e, {whole, fast, safe});
  ASSERT_EQ(v.expectations.size(), 6u);
  EXPECT_EQ(v.expectations[0].name, "expect lost_acked_writes");
  EXPECT_FALSE(v.expectations[0].held);
  EXPECT_FALSE(v.expectations[1].held) << "a2 is twice in the log";
  EXPECT_EQ(v.expectations[2].name, "expect lost_acked_writes (fast)");
  EXPECT_FALSE(v.expectations[2].held);
  EXPECT_EQ(v.expectations[2].detail, "1 acknowledged writes in no replica's log (at most 0): a1@t-0");
  EXPECT_EQ(v.expectations[3].name, "expect max_duplicates (fast)");
  EXPECT_FALSE(v.expectations[3].held);
  EXPECT_EQ(v.expectations[4].name, "expect lost_acked_writes (safe)");
  EXPECT_TRUE(v.expectations[4].held) << "a1 was fast's, not safe's: " << v.expectations[4].detail;
  EXPECT_EQ(v.expectations[5].name, "expect max_duplicates (safe)");
  EXPECT_TRUE(v.expectations[5].held) << "a2 was fast's, not safe's: " << v.expectations[5].detail;
}

TEST(Verdict, AProducerScopeIsVacuousWhenThatProducerHadNothingAcknowledged) {
  History h = acked({{"t-0", "a1"}});
  for (Op& op : h.ops) op.process = "fast";
  GroundTruth truth;
  truth.final_logs["t-0"] = {"a1"};
  Timeline timeline;
  Evidence e{h, {}, &truth, &timeline, {}, {}};
  Expectation idle;
  idle.name = "expect";
  idle.max_lost = 0;
  idle.producer = "idle";
  Expectation allowed = idle;
  allowed.allow_empty = true;
  const Verdict v = judge(e, {idle, allowed});
  ASSERT_EQ(v.expectations.size(), 2u);
  EXPECT_FALSE(v.expectations[0].held) << "the run acknowledged a1, but not to this producer";
  EXPECT_EQ(v.expectations[0].name, "expect (idle)");
  EXPECT_NE(v.expectations[0].detail.find("vacuous: producer idle had no acknowledged record"), std::string::npos) << v.expectations[0].detail;
  EXPECT_TRUE(v.expectations[1].held);
}

TEST(SentRecords, ValuesSentToATopicCountForEachOfItsPartitions) {
  History h;
  Op invoke;
  invoke.process = "p";
  invoke.f = "send";
  invoke.sends.push_back({"my-topic", "v", std::nullopt});  // not yet placed: the topic only
  h.ops.push_back(invoke);
  const SentRecords sent(h, "p");
  EXPECT_EQ(sent.acknowledged(), 0);
  EXPECT_TRUE(sent.contains("my-topic-3", "v"));
  EXPECT_FALSE(sent.contains("my-topic-3", "w"));
  EXPECT_FALSE(sent.contains("other-3", "v"));
  EXPECT_FALSE(SentRecords(h, "q").contains("my-topic-3", "v"));
}
