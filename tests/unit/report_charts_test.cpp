// The Charts view's data (reports/charts_data.hpp): rates, latency percentiles, lag and unseen
// records per bucket, and the bucket's width for a long run.
#include <gtest/gtest.h>

#include "reports/charts_data.hpp"
#include "report_view_feed.hpp"

using namespace kafkasim_test;
using namespace kafka::event;

namespace {

OpInvoke send(const char* process, int op) { return {.process = process, .op = op, .f = "send", .topic = "t"}; }
OpOk acked(const char* process, int op, int partition, int offset) {
  return {.process = process, .op = op, .f = "send", .partition = partition, .offset = offset};
}
OpPollRecord polled(const char* process, int partition, int offset) {
  return {.process = process, .op = 1, .topic = "t", .partition = partition, .offset = offset, .key = "", .value = ""};
}
sim::event::Scenario scenario(int64_t duration_s) {
  return {.name = "s", .seed = 1, .duration = duration_s * 1'000'000'000, .kafka_version = "3.9"};
}

}  // namespace

TEST(ReportCharts, RatesAndLatencyPercentilesPerSecond) {
  report::ChartsData d;
  ViewFeed f(d);
  f.at_ms(0, scenario(10));
  // 100 sends in the first second, acknowledged after 1..100 ms.
  for (int i = 0; i < 100; ++i) f.at_ms(i, send("p", i));
  for (int i = 0; i < 100; ++i) f.at_ms(i + (i + 1), acked("p", i, 0, i));
  f.at_ms(1500, send("p", 100));
  f.at_ms(2500, OpFail{.process = "p", .op = 100, .f = "send", .partition = -1, .offset = -1, .error = "E", .cause = "E"});
  const auto j = d.json(3'000'000'000);
  EXPECT_EQ(j["bucket_ns"], 1'000'000'000);
  EXPECT_EQ(j["buckets"], 4);
  EXPECT_EQ(j["produce"][0], 100.0);
  EXPECT_EQ(j["produce"][1], 1.0);
  EXPECT_EQ(j["acknowledged"][0], 100.0);
  EXPECT_EQ(j["latency"]["p50_ms"][0], 50.0);
  EXPECT_EQ(j["latency"]["p99_ms"][0], 99.0);
  EXPECT_EQ(j["latency"]["max_ms"][0], 100.0);
  EXPECT_TRUE(j["latency"]["p50_ms"][1].is_null()) << "nothing completed in the second second";
  EXPECT_EQ(j["latency"]["max_ms"][2], 1000.0) << "a failed send's latency counts where it completed";
}

TEST(ReportCharts, UnseenIsAcknowledgedRecordsTheGroupHasNotPolledOnce) {
  report::ChartsData d;
  ViewFeed f(d);
  f.at_ms(0, scenario(10));
  f.at_ms(0, ConsumerStart{.member = "c", .group = "g", .member_id = "", .generation = -1, .detail = ""});
  for (int i = 0; i < 5; ++i) f.at_ms(10, send("p", i));
  for (int i = 0; i < 5; ++i) f.at_ms(20, acked("p", i, 0, i));
  // Records of a topic the group does not read are not unseen by it.
  f.at_ms(30, OpInvoke{.process = "q", .op = 0, .f = "send", .topic = "other"});
  f.at_ms(40, acked("q", 0, 0, 0));
  f.at_ms(1100, polled("c", 0, 0));
  f.at_ms(1100, polled("c", 0, 1));
  f.at_ms(2100, polled("c", 0, 1));  // polled again: still one record seen
  f.at_ms(2100, polled("c", 0, 7));  // never acknowledged (say, written but its send timed out)
  f.at_ms(2200, ConsumerLag{.member = "c", .group = "g", .topic = "t", .partition = 0, .lag = 3});
  f.at_ms(2300, ConsumerLag{.member = "c", .group = "g", .topic = "t", .partition = 1, .lag = 4});
  const auto j = d.json(3'000'000'000);
  EXPECT_EQ(j["unseen"]["g"], nlohmann::json::parse("[null, 3, 3, 3]"))
      << "not known before the group is seen reading t (its first poll); then t's 5, less the 2 it polled";
  EXPECT_EQ(j["consume"][2], 2.0);
  EXPECT_EQ(j["lag"]["g"], nlohmann::json::parse("[null, null, 7, 7]")) << "the sum of each partition's latest lag";
}

TEST(ReportCharts, ALongRunGetsWiderBucketsAndSaysSo) {
  report::ChartsData d;
  ViewFeed f(d);
  f.at_ms(0, scenario(10'000));  // 10,000 s and a drain: 6 s buckets keep it under 2,000
  for (int s = 0; s < 10'000; s += 10) f.at_ms(s * 1000.0, send("p", s));
  const auto j = d.json(10'000'000'000'000);
  EXPECT_EQ(j["bucket_ns"], 6'000'000'000);
  EXPECT_LE(j["buckets"].get<int>(), 2000);
  std::vector<std::string> said;
  d.summarised(said);
  ASSERT_EQ(said.size(), 1u);
  EXPECT_EQ(said[0], "charts: each point is 6 s of the run (at most 2000 points)");
}

TEST(ReportCharts, ARunThatOutlastsItsPlanMergesBuckets) {
  report::ChartsData d(/*max_buckets=*/10);
  ViewFeed f(d);
  f.at_ms(0, scenario(0));  // 30 s planned in 10 buckets of 3 s
  for (int s = 0; s < 40; ++s) f.at_ms(s * 1000.0, send("p", s));
  const auto j = d.json(39'000'000'000);
  EXPECT_EQ(j["bucket_ns"], 6'000'000'000);
  int64_t sends = 0;
  for (const auto& r : j["produce"]) sends += static_cast<int64_t>(r.get<double>() * 6);
  EXPECT_EQ(sends, 40) << "merging keeps every send";
}
