// The Record fates view's data (reports/fates_data.hpp): a record is known by its offset and the
// leader epoch it was written in, so a record acknowledged above the high watermark and
// truncated is lost even when another record is written at its offset later; processing is
// counted per record, not per offset; the flags and the whole counts.
#include <gtest/gtest.h>

#include "report_view_feed.hpp"
#include "reports/fates_data.hpp"

namespace ev = kafka::event;

namespace {

struct FatesRun {
  report::FatesData fates;
  kafkasim_test::ViewFeed feed{fates};
  int64_t t = 0;
  int64_t op = 0;
  // e from broker-`node` (0: a client or the world), one millisecond after the last.
  template <typename E>
  void emit(sim::NodeId node, const E& e) {
    feed.at_ms(static_cast<double>(++t), e, node == 1 ? "broker-1" : node == 2 ? "broker-2" : "");
  }
  void leader(sim::NodeId b, int64_t epoch) {
    emit(b, ev::ReplicaLeader{.topic = "t", .partition = 0, .leader = b, .leader_epoch = epoch, .isr = "1,2", .leo = 0, .hw = 0});
  }
  void append(sim::NodeId b, const char* role, int64_t base, int64_t count, int64_t epoch) {
    emit(b, ev::LogAppend{.topic = "t", .partition = 0, .role = role, .base_offset = base, .count = count, .leader_epoch = epoch,
                          .producer_id = -1, .base_sequence = -1, .leo = base + count});
  }
  // A send acknowledged at `offset`, appended by leader `b` in `epoch` and replicated to the
  // other broker when `replicated`.
  void send(const std::string& producer, const std::string& value, int64_t offset, sim::NodeId b, int64_t epoch, bool replicated) {
    const int64_t n = op++;
    emit(0, ev::OpInvoke{.process = producer, .op = n, .f = "send", .topic = "t", .key = "k", .has_key = true, .value = value});
    append(b, "leader", offset, 1, epoch);
    if (replicated) append(b == 1 ? 2 : 1, "follower", offset, 1, epoch);
    emit(0, ev::OpOk{.process = producer, .op = n, .f = "send", .partition = 0, .offset = offset, .error = "NONE", .cause = "NONE"});
  }
  void processed(const std::string& group, int64_t offset, const std::string& value) {
    emit(0, ev::ConsumerProcessed{.member = group + "-1", .group = group, .op = 0, .key = "k", .topic = "t", .partition = 0, .offset = offset,
                                  .value = value});
  }
  nlohmann::ordered_json json() { return fates.json(t); }
};

const nlohmann::ordered_json* record(const nlohmann::ordered_json& j, const std::string& value) {
  for (const auto& r : j["records"])
    if (r["value"] == value) return &r;
  return nullptr;
}

}  // namespace

TEST(ReportFates, ARecordTruncatedAndItsOffsetReusedIsLostAndProcessingCountsPerRecord) {
  FatesRun run;
  run.leader(1, 0);
  run.send("p", "a", 0, 1, 0, true);
  run.send("p", "b", 1, 1, 0, false);  // acks=1: only the leader has it
  run.processed("g", 0, "a");
  run.processed("g", 1, "b");  // read, then lost
  // broker-2 becomes leader in epoch 1 without offset 1; broker-1 truncates to it.
  run.leader(2, 1);
  run.emit(1, ev::LogTruncate{.topic = "t", .partition = 0, .to = 1, .from_leo = 2, .removed = 1, .leader_epoch = 1,
                              .reason = "diverging-epoch"});
  run.send("p", "c", 1, 2, 1, true);  // a new record at the reused offset
  run.processed("g", 1, "c");
  run.processed("g", 1, "c");  // processed twice
  const auto j = run.json();
  EXPECT_EQ(j["total"]["acked"], 3);
  EXPECT_EQ(j["total"]["survived"], 2);
  EXPECT_EQ(j["total"]["lost"], 1);
  const auto* b = record(j, "b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ((*b)["fate"], "lost");
  EXPECT_EQ((*b)["epoch"], 0);
  EXPECT_EQ((*b)["processed"][0], 1) << "b was processed once before it was lost; c's processing is c's";
  const auto* c = record(j, "c");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ((*c)["fate"], "survived");
  EXPECT_EQ((*c)["processed"][0], 2);
  EXPECT_EQ((*c)["flags"], nlohmann::ordered_json::array({"duplicated"}));
  // Per group: of the survivors, a once, c more than once; the lost b is not "never".
  EXPECT_EQ(j["total"]["groups"][0]["once"], 1);
  EXPECT_EQ(j["total"]["groups"][0]["more"], 1);
  EXPECT_EQ(j["total"]["groups"][0]["never"], 0);
}

TEST(ReportFates, NeverSkippedAndReorderedAreFlagged) {
  FatesRun run;
  run.leader(1, 0);
  // The producer's second send lands first (a retry without idempotence).
  run.op = 1;
  run.emit(0, ev::OpInvoke{.process = "p", .op = 0, .f = "send", .topic = "t", .key = "k", .has_key = true, .value = "first"});
  run.send("p", "second", 0, 1, 0, true);
  run.append(1, "leader", 1, 1, 0);
  run.emit(0, ev::OpOk{.process = "p", .op = 0, .f = "send", .partition = 0, .offset = 1, .error = "NONE", .cause = "NONE"});
  run.send("p", "third", 2, 1, 0, true);
  run.processed("g", 0, "second");
  run.processed("g", 2, "third");  // offset 1 skipped
  run.processed("h", 0, "second");  // h stops there: 1 and 2 never, not skipped
  const auto j = run.json();
  const auto* first = record(j, "first");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ((*first)["flags"], nlohmann::ordered_json::array({"never", "skipped"}));
  const auto* second = record(j, "second");
  ASSERT_NE(second, nullptr);
  EXPECT_EQ((*second)["flags"], nlohmann::ordered_json::array({"reordered"})) << "first was sent before it and landed after it";
  EXPECT_EQ(j["flag_counts"]["reordered"], 1);
  const auto* third = record(j, "third");
  ASSERT_NE(third, nullptr);
  EXPECT_EQ((*third)["flags"], nlohmann::ordered_json::array({"never"})) << "h never processed it, and processed nothing later";
  EXPECT_EQ(j["groups"], nlohmann::ordered_json::array({"g", "h"}));
}
