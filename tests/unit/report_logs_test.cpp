// The Replica logs view's data (reports/logs_data.hpp): the changes a partition's replicas went
// through, the acknowledged records no replica kept, and the bound on a long run's block.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "reports/logs_data.hpp"

namespace {

using sim::Value;
constexpr int64_t ms = 1'000'000;

class Feed {
 public:
  explicit Feed(report::LogsData& d) : d_(d) {}
  void operator()(int64_t t_ms, std::string_view node, std::string_view kind, std::initializer_list<sim::Field> fields) {
    std::vector<sim::Field> fs(fields);
    d_.write(sim::Event{seq_++, sim::Time{t_ms * ms}, 0, node, kind, fs});
  }
  void append(int64_t t_ms, std::string_view broker, std::string_view role, int64_t base, int64_t count, int64_t epoch, int64_t pid = -1) {
    (*this)(t_ms, broker, "log.append",
            {{"topic", Value("t")}, {"partition", Value(0)}, {"role", Value(role)}, {"base_offset", Value(base)}, {"count", Value(count)},
             {"leader_epoch", Value(epoch)}, {"producer_id", Value(pid)}, {"base_sequence", Value(-1)}, {"leo", Value(base + count)}});
  }
  void acked(int64_t t_ms, int64_t op, int64_t offset) {
    (*this)(t_ms, "w", "op.invoke", {{"process", Value("w")}, {"op", Value(op)}, {"f", Value("send")}, {"topic", Value("t")}});
    (*this)(t_ms, "w", "op.ok",
            {{"process", Value("w")}, {"op", Value(op)}, {"f", Value("send")}, {"partition", Value(0)}, {"offset", Value(offset)}});
  }

 private:
  report::LogsData& d_;
  uint64_t seq_ = 0;
};

const nlohmann::ordered_json* changes_of(const nlohmann::ordered_json& block, const std::string& name) {
  for (const auto& p : block["partitions"])
    if (p["name"] == name) return &p["changes"];
  return nullptr;
}

// Broker 1 leads epoch 0 and acknowledges offsets 0..2 (acks=1) while broker 2 has fetched
// 0..1; broker 1 crashes, broker 2 leads epoch 1 and writes offset 2 anew; broker 1 returns and
// truncates to 2. Offset 2 of epoch 0 was acknowledged and no replica holds it: lost.
TEST(ReportLogs, TruncationAndLostAcknowledgedRecord) {
  report::LogsData data;
  Feed feed(data);
  feed(1, "broker-1", "replica.leader",
       {{"topic", Value("t")}, {"partition", Value(0)}, {"leader", Value(1)}, {"leader_epoch", Value(0)}, {"isr", Value("1,2")},
        {"leo", Value(0)}, {"hw", Value(0)}});
  feed.append(2, "broker-1", "leader", 0, 3, 0);
  for (int64_t o = 0; o < 3; ++o) feed.acked(3, o, o);
  feed.append(4, "broker-2", "follower", 0, 2, 0);
  feed(5, "broker-1", "replica.hw", {{"topic", Value("t")}, {"partition", Value(0)}, {"hw", Value(2)}, {"leader_epoch", Value(0)}});
  feed(6, "", "node.crash", {{"node", Value("broker-1")}, {"unflushed", Value(0)}, {"entries_lost", Value(0)}, {"files_torn", Value(0)}});
  feed.append(8, "broker-2", "leader", 2, 1, 1);
  feed(9, "", "node.restart", {{"node", Value("broker-1")}});
  feed(10, "broker-1", "log.truncate",
       {{"topic", Value("t")}, {"partition", Value(0)}, {"to", Value(2)}, {"from_leo", Value(3)}, {"removed", Value(1)},
        {"leader_epoch", Value(1)}, {"reason", Value("diverging-epoch")}});
  feed.append(11, "broker-1", "follower", 2, 1, 1);
  feed(12, "audit-1", "consumer.commit",
       {{"member", Value("audit-1")}, {"group", Value("audit")}, {"generation", Value(1)}, {"offsets", Value("t-0:3")}, {"why", Value("auto")},
        {"sync", Value(false)}, {"error", Value("NONE")}});

  const auto block = data.json(12 * ms);
  const auto* changes = changes_of(block, "t-0");
  ASSERT_NE(changes, nullptr);
  EXPECT_EQ(changes->size(), 8u);
  EXPECT_EQ((*changes)[0], nlohmann::ordered_json::parse(R"([1000000, "L", 1, 0, 0, 0, "1,2"])"));
  EXPECT_EQ((*changes)[5], nlohmann::ordered_json::parse(R"([10000000, "t", 1, 2, 3])"));
  EXPECT_EQ((*changes)[7], nlohmann::ordered_json::parse(R"([12000000, "c", 0, 3])"));
  EXPECT_EQ(block["down"], nlohmann::ordered_json::parse(R"([[6000000, 1, 1], [9000000, 1, 0]])"));
  EXPECT_EQ(block["groups"], nlohmann::ordered_json::parse(R"(["audit"])"));
  const auto& part = block["partitions"][0];
  EXPECT_EQ(part["acknowledged"], 3);
  EXPECT_EQ(part["lost_count"], 1);
  EXPECT_EQ(part["lost"], nlohmann::ordered_json::parse("[[2, 0, -1]]"));
  std::vector<std::string> said;
  data.summarised(said);
  EXPECT_TRUE(said.empty());
}

// Past the first kChangesInFull changes, one replica's appends fold into one change per window,
// truncations stay exact, the state at the end is whole, and the report says what it folded.
TEST(ReportLogs, LongRunFoldsAppendsAndSaysSo) {
  report::LogsData data;
  Feed feed(data);
  const int64_t n = report::LogsData::kChangesInFull + 5000;
  for (int64_t i = 0; i < n; ++i) feed.append(i, "broker-1", "leader", i, 1, 0);  // one per ms
  feed(n, "broker-1", "log.truncate",
       {{"topic", Value("t")}, {"partition", Value(0)}, {"to", Value(n - 10)}, {"from_leo", Value(n)}, {"removed", Value(10)},
        {"leader_epoch", Value(0)}, {"reason", Value("truncate-to-high-watermark")}});

  const auto block = data.json(n * ms);
  const auto& changes = *changes_of(block, "t-0");
  const size_t windows = 5000 * ms / report::LogsData::kFoldWindowNs;
  EXPECT_LE(changes.size(), report::LogsData::kChangesInFull + windows + 2);
  EXPECT_GE(changes.size(), report::LogsData::kChangesInFull + windows);
  // The folded appends still cover every offset: the last append before the truncation ends at n.
  const auto& last_append = changes[changes.size() - 2];
  EXPECT_EQ(last_append[1], "a");
  EXPECT_EQ(last_append[7], n);
  EXPECT_EQ(changes.back(), nlohmann::ordered_json::array({n * ms, "t", 1, n - 10, n}));
  int64_t covered = 0;
  for (const auto& c : changes)
    if (c[1] == "a") covered += c[4].get<int64_t>();
  EXPECT_EQ(covered, n);
  std::vector<std::string> said;
  data.summarised(said);
  ASSERT_EQ(said.size(), 1u);
  EXPECT_NE(said[0].find("t-0"), std::string::npos);
  EXPECT_NE(said[0].find("folded"), std::string::npos);
}

// A fold ended inside its window (the next batch is another producer's) and a truncation in
// the same window: the block keeps them in the order they happened, so the truncated records
// do not come back after the truncation.
TEST(ReportLogs, FoldsStayBeforeTheTruncationThatFollows) {
  report::LogsData data;
  Feed feed(data);
  const int64_t n = report::LogsData::kChangesInFull;
  for (int64_t i = 0; i < n; ++i) feed.append(i, "broker-1", "leader", i, 1, 0);
  const int64_t t0 = (n / 100 + 1) * 100;  // the start of a fold window, in ms
  feed.append(t0 + 10, "broker-1", "leader", n, 1, 0);
  feed.append(t0 + 20, "broker-1", "leader", n + 1, 1, 0, 7);
  feed(t0 + 30, "broker-1", "log.truncate",
       {{"topic", Value("t")}, {"partition", Value(0)}, {"to", Value(n)}, {"from_leo", Value(n + 2)}, {"removed", Value(2)},
        {"leader_epoch", Value(0)}, {"reason", Value("truncate-to-high-watermark")}});

  const auto block = data.json((t0 + 30) * ms);
  const auto& changes = *changes_of(block, "t-0");
  ASSERT_EQ(changes.size(), static_cast<size_t>(n + 3));
  EXPECT_EQ(changes[n][3], n);
  EXPECT_EQ(changes[n + 1][3], n + 1);
  EXPECT_EQ(changes[n + 1][6], 7);
  EXPECT_EQ(changes.back(), nlohmann::ordered_json::array({(t0 + 30) * ms, "t", 1, n, n + 2}));
}

// Past kChangesMax the block leaves changes out, but says from when: the page shows the state
// of then, and says so, rather than a view that silently stops.
TEST(ReportLogs, ABlockThatLeavesChangesOutSaysFromWhen) {
  report::LogsData data;
  Feed feed(data);
  // Alternating producers never fold: each append is a change of its own.
  const int64_t n = report::LogsData::kChangesMax + 10;
  for (int64_t i = 0; i < n; ++i) feed.append(i, "broker-1", "leader", i, 1, 0, i % 2);
  const auto block = data.json(n * ms);
  const auto& part = block["partitions"][0];
  ASSERT_EQ(part["changes"].size(), report::LogsData::kChangesMax);
  const int64_t last_kept = part["changes"].back()[0].get<int64_t>();
  ASSERT_TRUE(part.contains("complete_until_ns"));
  EXPECT_GT(part["complete_until_ns"].get<int64_t>(), last_kept - 1);
  EXPECT_LT(part["complete_until_ns"].get<int64_t>(), n * ms);
  std::vector<std::string> said;
  data.summarised(said);
  bool says = false;
  for (const auto& line : said) says |= line.find("left out: the view shows it as it was at") != std::string::npos;
  EXPECT_TRUE(says);
}

}  // namespace
