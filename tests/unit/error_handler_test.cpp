// Spring Kafka's DefaultErrorHandler, its parts alone: spring-framework's FixedBackOff and
// ExponentialBackOff (nextBackOff), Spring Kafka's FailedRecordTracker (delivery attempts per
// partition) and the record DeadLetterPublishingRecoverer publishes.
#include <gtest/gtest.h>

#include <vector>

#include "broker_model/app/error_handler.hpp"

using kafka::BackOffExecution;
using kafka::BackOffSpec;
using kafka::FailedRecordTracker;
using kafka::kBackOffStop;

namespace {

std::vector<int64_t> intervals(const BackOffSpec& spec, size_t at_most = 20) {
  BackOffExecution e(spec);
  std::vector<int64_t> out;
  while (out.size() < at_most) {
    const int64_t next = e.next_backoff();
    out.push_back(next);
    if (next == kBackOffStop) break;
  }
  return out;
}

}  // namespace

TEST(BackOff, FixedBackOffMaxAttemptsCountsRetries) {
  // FixedBackOffExecution.nextBackOff: ++currentAttempts <= maxAttempts gives the interval.
  EXPECT_EQ(intervals(BackOffSpec::fixed(200, 2)), (std::vector<int64_t>{200, 200, kBackOffStop}));
  EXPECT_EQ(intervals(BackOffSpec::fixed(200, 0)), (std::vector<int64_t>{kBackOffStop}));
  // DefaultErrorHandler's default, SeekUtils.DEFAULT_BACK_OFF = FixedBackOff(0, 9).
  const std::vector<int64_t> dflt = intervals(BackOffSpec{});
  ASSERT_EQ(dflt.size(), 10u);
  for (size_t i = 0; i < 9; ++i) EXPECT_EQ(dflt[i], 0);
  EXPECT_EQ(dflt[9], kBackOffStop);
}

TEST(BackOff, ExponentialBackOffMultipliesTruncatesAndCaps) {
  // ExponentialBackOff(2000, 1.5), maxInterval 30000: (long) (current * multiplier), capped,
  // with no limit on attempts or elapsed time by default.
  const std::vector<int64_t> got = intervals(BackOffSpec::exponential(2000, 1.5, 30'000), 11);
  EXPECT_EQ(got, (std::vector<int64_t>{2000, 3000, 4500, 6750, 10125, 15187, 22780, 30000, 30000, 30000, 30000}));
  // maxElapsedTime is checked before the interval: 2000 + 4000 = 6000 < 10000 gives 8000 more.
  BackOffSpec limited = BackOffSpec::exponential(2000, 2.0, 30'000);
  limited.max_elapsed_ms = 10'000;
  EXPECT_EQ(intervals(limited), (std::vector<int64_t>{2000, 4000, 8000, kBackOffStop}));
  // ExponentialBackOff.maxAttempts (6.1): that many intervals, then STOP.
  BackOffSpec attempts = BackOffSpec::exponential(100, 2.0, 1000);
  attempts.max_attempts = 3;
  EXPECT_EQ(intervals(attempts), (std::vector<int64_t>{100, 200, 400, kBackOffStop}));
}

TEST(FailedRecordTracker, CountsDeliveriesOfTheSameRecordPerPartition) {
  FailedRecordTracker t(BackOffSpec::fixed(200, 2));
  const kafka::TopicPartition p0{"in", 0}, p1{"in", 1};
  EXPECT_EQ(t.delivery_attempt(p0, 5), 1);
  auto d = t.failed(p0, 5);
  EXPECT_FALSE(d.recover);
  EXPECT_EQ(d.backoff_ms, 200);
  EXPECT_EQ(d.attempts, 1);
  EXPECT_EQ(t.delivery_attempt(p0, 5), 2);
  // Another partition has its own record.
  EXPECT_FALSE(t.failed(p1, 9).recover);
  d = t.failed(p0, 5);
  EXPECT_FALSE(d.recover);
  EXPECT_EQ(d.attempts, 2);
  // The third failure of the same record: FixedBackOff(200, 2) says STOP.
  d = t.failed(p0, 5);
  EXPECT_TRUE(d.recover);
  EXPECT_EQ(d.attempts, 3);
  EXPECT_EQ(t.delivery_attempt(p0, 5), 1) << "recovered: the partition starts afresh";
  // Another offset of a partition replaces the record it tracked.
  EXPECT_EQ(t.failed(p1, 10).attempts, 1);
}

TEST(FailedRecordTracker, NoRetriesRecoversAtTheFirstFailure) {
  FailedRecordTracker t(BackOffSpec::fixed(1000, 0));
  const auto d = t.failed({"in", 0}, 3);
  EXPECT_TRUE(d.recover);
  EXPECT_EQ(d.attempts, 1);
}

TEST(DeadLetterRecord, CarriesTheOriginalHeadersThenSpringsDltHeaders) {
  kafka::ConsumerRecord r{{"orders", 2}, 0x0102030405LL, 0, {}};
  r.record.key = "k";
  r.record.value = "poison";
  r.record.value_bytes = 6;
  r.record.timestamp_ms = 1234;
  r.record.headers = {{"trace", "abc"}};
  kafka::ErrorHandlerSpec spec;
  spec.dead_letter = true;
  const kafka::SendSpec s = kafka::dead_letter_record(r, "billing", "boom", spec);
  EXPECT_EQ(s.topic, "orders.DLT");
  EXPECT_EQ(s.partition, 2);
  EXPECT_EQ(s.key, "k");
  EXPECT_EQ(s.value, "poison");
  ASSERT_GE(s.headers.size(), 9u);
  EXPECT_EQ(s.headers[0], (kafka::Header{"trace", "abc"}));
  auto header = [&](const std::string& name) {
    for (const auto& h : s.headers)
      if (h.key == name) return h.value;
    return std::string("<missing>");
  };
  EXPECT_EQ(header("kafka_dlt-original-topic"), "orders");
  EXPECT_EQ(header("kafka_dlt-original-partition"), std::string("\0\0\0\2", 4));
  EXPECT_EQ(header("kafka_dlt-original-offset"), std::string("\0\0\0\1\2\3\4\5", 8));
  EXPECT_EQ(header("kafka_dlt-original-timestamp"), std::string("\0\0\0\0\0\0\x04\xd2", 8));
  EXPECT_EQ(header("kafka_dlt-original-consumer-group"), "billing");
  EXPECT_EQ(header("kafka_dlt-exception-fqcn"), "org.springframework.kafka.listener.ListenerExecutionFailedException");
  EXPECT_EQ(header("kafka_dlt-exception-cause-fqcn"), "java.lang.RuntimeException");
  EXPECT_EQ(header("kafka_dlt-exception-message"), "Listener failed; boom");
  spec.dead_letter_topic = "poison-pills";
  EXPECT_EQ(kafka::dead_letter_record(r, "billing", "boom", spec).topic, "poison-pills");
}
