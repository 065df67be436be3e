// Kafka's defaults by release and its producer validation rules.
#include <gtest/gtest.h>

#include "broker_model/broker/broker.hpp"
#include "broker_model/config/config.hpp"

#include <limits>
#include <optional>
#include <vector>

using namespace kafka;

TEST(KafkaConfig, DefaultsFollowTheRelease) {
  ConfigSet p28(ConfigScope::producer, kV2_8), p39(ConfigScope::producer, {3, 9}), p40(ConfigScope::producer, kV4_0);
  EXPECT_EQ(p28.string("acks"), "1");
  EXPECT_FALSE(p28.boolean("enable.idempotence"));
  EXPECT_EQ(p39.string("acks"), "all");
  EXPECT_TRUE(p39.boolean("enable.idempotence"));
  EXPECT_EQ(p39.integer("linger.ms"), 0);
  EXPECT_EQ(p40.integer("linger.ms"), 5) << "KIP-1030";
  EXPECT_EQ(p39.integer("delivery.timeout.ms"), 120000);
  EXPECT_EQ(p39.integer("retries"), 2147483647);
  ConfigSet b(ConfigScope::broker, {3, 9});
  EXPECT_EQ(b.integer("replica.lag.time.max.ms"), 30000);
  EXPECT_EQ(b.integer("min.insync.replicas"), 1);
  EXPECT_FALSE(b.boolean("unclean.leader.election.enable"));
  EXPECT_EQ(b.string("inter.broker.protocol.version"), "3.9");
}

TEST(KafkaConfig, ParsesScenarioValues) {
  ConfigSet b(ConfigScope::broker, {3, 9});
  EXPECT_EQ(b.set("replica.lag.time.max.ms", std::string("10s")), "");
  EXPECT_EQ(b.integer("replica.lag.time.max.ms"), 10000);
  EXPECT_EQ(b.set("replica.lag.time.max.ms", 2500.0), "");
  EXPECT_EQ(b.integer("replica.lag.time.max.ms"), 2500);
  EXPECT_NE(b.set("replica.lag.time.max.ms", std::string("soon")), "");
  EXPECT_NE(b.set("min.insync.replicas", 1.5), "");
  EXPECT_NE(b.set("unclean.leader.election.enable", 1.0), "");
  EXPECT_EQ(b.set("no.such.key", 1.0).rfind("unknown config", 0), 0u);
  ConfigSet t(ConfigScope::topic, {3, 9});
  EXPECT_EQ(t.set("min.insync.replicas", 2.0), "");
  EXPECT_NE(t.set("replica.lag.time.max.ms", 1.0), "") << "not a topic-level config";
}

TEST(KafkaConfig, ExplicitIdempotenceConflictsAreErrors) {
  ConfigSet p(ConfigScope::producer, {3, 9});
  p.set("enable.idempotence", true);
  p.set("acks", std::string("1"));
  EXPECT_NE(finalize_producer(p).find("acks=all"), std::string::npos);
  ConfigSet q(ConfigScope::producer, {3, 9});
  q.set("enable.idempotence", true);
  q.set("max.in.flight.requests.per.connection", 6.0);
  EXPECT_NE(finalize_producer(q), "");
}

TEST(KafkaConfig, DefaultIdempotenceQuietlyYields) {
  ConfigSet p(ConfigScope::producer, {3, 9});
  p.set("acks", std::string("1"));
  EXPECT_EQ(finalize_producer(p), "");
  EXPECT_FALSE(p.boolean("enable.idempotence")) << "KAFKA-13673: a conflict turns the default off";
  ConfigSet q(ConfigScope::producer, {3, 9});
  q.set("max.in.flight.requests.per.connection", 6.0);
  EXPECT_EQ(finalize_producer(q), "");
  EXPECT_FALSE(q.boolean("enable.idempotence"));
  ConfigSet r(ConfigScope::producer, kV4_0);
  r.set("max.in.flight.requests.per.connection", 6.0);
  EXPECT_NE(finalize_producer(r), "") << "4.0 rejects it";
  EXPECT_EQ(producer_acks(p), 1);
}

TEST(KafkaConfig, Before30IdempotenceSetsAcksToAllUnlessAcksWasGiven) {
  // ProducerConfig.maybeOverrideAcksAndRetries (2.8): acks defaults to 1 but an idempotent
  // producer without an explicit acks gets acks=all.
  ConfigSet p(ConfigScope::producer, kV2_8);
  p.set("enable.idempotence", true);
  EXPECT_EQ(finalize_producer(p), "");
  EXPECT_EQ(producer_acks(p), -1);
  EXPECT_TRUE(p.boolean("enable.idempotence"));
  ConfigSet q(ConfigScope::producer, kV2_8);
  q.set("enable.idempotence", true);
  q.set("acks", std::string("1"));
  EXPECT_NE(finalize_producer(q).find("acks=all"), std::string::npos) << "an explicit acks=1 still conflicts";
}

TEST(KafkaConfig, ATransactionalIdNeedsIdempotenceAndBefore30ImpliesIt) {
  // 2.8: ProducerConfig.maybeOverrideEnableIdempotence turns idempotence (and so acks=all) on
  // for a transactional.id unless enable.idempotence was given.
  ConfigSet p(ConfigScope::producer, kV2_8);
  p.set("transactional.id", std::string("tx"));
  EXPECT_EQ(finalize_producer(p), "");
  EXPECT_TRUE(p.boolean("enable.idempotence"));
  EXPECT_EQ(producer_acks(p), -1);
  // 3.0+: postProcessAndValidateIdempotenceConfigs, after the default idempotence yielded to acks=1.
  ConfigSet q(ConfigScope::producer, kV3_0);
  q.set("transactional.id", std::string("tx"));
  q.set("acks", std::string("1"));
  EXPECT_NE(finalize_producer(q).find("Cannot set a transactional.id without also enabling idempotence."), std::string::npos);
  ConfigSet r(ConfigScope::producer, kV2_8);
  r.set("transactional.id", std::string("tx"));
  r.set("enable.idempotence", false);
  EXPECT_NE(finalize_producer(r).find("Cannot set a transactional.id"), std::string::npos);
}

TEST(KafkaConfig, From40TooManyInFlightIsAnErrorWheneverIdempotenceIsOnAtTheCheck) {
  // KAFKA-17927: the check sits inside postProcessAndValidateIdempotenceConfigs's
  // idempotenceEnabled block, which an earlier conflict (acks=1) does not leave.
  ConfigSet p(ConfigScope::producer, kV4_0);
  p.set("acks", std::string("1"));
  p.set("max.in.flight.requests.per.connection", 6.0);
  EXPECT_NE(finalize_producer(p), "");
  ConfigSet q(ConfigScope::producer, kV4_0);
  q.set("enable.idempotence", false);
  q.set("max.in.flight.requests.per.connection", 6.0);
  EXPECT_EQ(finalize_producer(q), "") << "off from the start: no check";
  ConfigSet r(ConfigScope::producer, {3, 9});
  r.set("acks", std::string("1"));
  r.set("max.in.flight.requests.per.connection", 6.0);
  EXPECT_EQ(finalize_producer(r), "") << "before 4.0 the default yields";
  EXPECT_FALSE(r.boolean("enable.idempotence"));
}

TEST(KafkaConfig, DeliveryTimeoutCoversLingerAndRequestTimeout) {
  ConfigSet p(ConfigScope::producer, {3, 9});
  p.set("request.timeout.ms", std::string("200s"));
  EXPECT_EQ(finalize_producer(p), "");
  EXPECT_EQ(p.integer("delivery.timeout.ms"), 200000) << "raised to fit when not set";
  ConfigSet q(ConfigScope::producer, {3, 9});
  q.set("request.timeout.ms", std::string("200s"));
  q.set("delivery.timeout.ms", std::string("100s"));
  EXPECT_NE(finalize_producer(q), "") << "an explicit value too low is an error";
}

TEST(KafkaConfig, InterBrokerProtocolSelectsTheTruncationProtocol) {
  EXPECT_EQ(truncation_mode_for("0.10.2"), TruncationMode::high_watermark);
  EXPECT_EQ(truncation_mode_for("0.11.0"), TruncationMode::epoch_v0);
  EXPECT_EQ(truncation_mode_for("1.1"), TruncationMode::epoch_v0);
  EXPECT_EQ(truncation_mode_for("2.0"), TruncationMode::epoch_v1);
  EXPECT_EQ(truncation_mode_for("2.6"), TruncationMode::epoch_v1);
  EXPECT_EQ(truncation_mode_for("2.7"), TruncationMode::fetch_diverging);
  EXPECT_EQ(truncation_mode_for("3.9"), TruncationMode::fetch_diverging);
}

// Every key's type and validator as Kafka defines it (apache/kafka: LogConfig, ReplicationConfigs,
// KRaftConfigs, GroupCoordinatorConfig, ProducerConfig, ConsumerConfig), written out here
// independently of the model's table: the bounds are accepted, one past them is refused.
namespace {
struct KafkaKey {
  ConfigScope scope;
  const char* key;
  char type;  // 'S' short, 'I' int, 'L' long
  std::optional<int64_t> at_least, at_most;
};
}  // namespace

TEST(KafkaConfig, EveryNumericKeyHasKafkasTypeAndRange) {
  using S = ConfigScope;
  constexpr auto none = std::nullopt;
  const std::vector<KafkaKey> keys = {
      {S::broker, "min.insync.replicas", 'I', 1, none},               // LogConfig: atLeast(1)
      {S::topic, "min.insync.replicas", 'I', 1, none},
      {S::broker, "replica.lag.time.max.ms", 'L', none, none},        // ReplicationConfigs: no validator
      {S::broker, "replica.fetch.wait.max.ms", 'I', none, none},      // no validator (validateValues bounds it)
      {S::broker, "replica.fetch.backoff.ms", 'I', 0, none},          // atLeast(0)
      {S::broker, "replica.high.watermark.checkpoint.interval.ms", 'L', none, none},
      {S::broker, "flush.messages", 'L', 1, none},                    // LogConfig: atLeast(1)
      {S::topic, "flush.messages", 'L', 1, none},
      {S::broker, "flush.ms", 'L', 0, none},                          // atLeast(0)
      {S::topic, "flush.ms", 'L', 0, none},
      {S::broker, "broker.session.timeout.ms", 'I', none, none},      // KRaftConfigs: none
      {S::broker, "broker.heartbeat.interval.ms", 'I', none, none},
      {S::broker, "default.replication.factor", 'I', none, none},
      {S::broker, "num.partitions", 'I', 1, none},                    // atLeast(1)
      {S::broker, "offsets.topic.replication.factor", 'S', 1, none},  // GroupCoordinatorConfig: SHORT, atLeast(1)
      {S::broker, "offsets.topic.num.partitions", 'I', 1, none},
      {S::broker, "transaction.state.log.num.partitions", 'I', 1, none},  // TransactionLogConfig: atLeast(1)
      {S::broker, "transaction.state.log.replication.factor", 'S', 1, none},
      {S::broker, "transaction.state.log.min.isr", 'I', 1, none},
      {S::broker, "transaction.max.timeout.ms", 'I', 1, none},  // TransactionStateManagerConfig: atLeast(1)
      {S::broker, "transaction.abort.timed.out.transaction.cleanup.interval.ms", 'I', 1, none},
      {S::broker, "group.initial.rebalance.delay.ms", 'I', none, none},
      {S::broker, "group.min.session.timeout.ms", 'I', none, none},
      {S::broker, "group.max.session.timeout.ms", 'I', none, none},
      {S::producer, "retries", 'I', 0, INT32_MAX},                    // ProducerConfig: between(0, MAX)
      {S::producer, "retry.backoff.ms", 'L', 0, none},
      {S::producer, "retry.backoff.max.ms", 'L', 0, none},
      {S::producer, "delivery.timeout.ms", 'I', 0, none},
      {S::producer, "request.timeout.ms", 'I', 0, none},
      {S::producer, "linger.ms", 'L', 0, none},
      {S::producer, "batch.size", 'I', 0, none},
      {S::producer, "max.in.flight.requests.per.connection", 'I', 1, none},
      {S::producer, "metadata.max.age.ms", 'L', 0, none},
      {S::producer, "max.block.ms", 'L', 0, none},
      {S::consumer, "auto.commit.interval.ms", 'I', 0, none},         // ConsumerConfig
      {S::consumer, "session.timeout.ms", 'I', none, none},
      {S::consumer, "heartbeat.interval.ms", 'I', none, none},
      {S::consumer, "max.poll.interval.ms", 'I', 1, none},
      {S::consumer, "max.poll.records", 'I', 1, none},
      {S::consumer, "fetch.max.wait.ms", 'I', 0, none},
      {S::consumer, "max.partition.fetch.bytes", 'I', 0, none},
      {S::consumer, "request.timeout.ms", 'I', 0, none},
      {S::consumer, "default.api.timeout.ms", 'I', 0, none},
      {S::consumer, "retry.backoff.ms", 'L', 0, none},
      {S::consumer, "metadata.max.age.ms", 'L', 0, none},
  };
  for (const KafkaKey& k : keys) {
    const int64_t type_min = k.type == 'S' ? INT16_MIN : k.type == 'I' ? INT32_MIN : INT64_MIN;
    const int64_t type_max = k.type == 'S' ? INT16_MAX : k.type == 'I' ? INT32_MAX : INT64_MAX;
    const int64_t lo = k.at_least.value_or(type_min), hi = k.at_most.value_or(type_max);
    ConfigSet c(k.scope, {3, 9});
    EXPECT_EQ(c.set(k.key, lo), "") << k.key << " accepts " << lo;
    EXPECT_EQ(c.set(k.key, hi), "") << k.key << " accepts " << hi;
    if (lo > INT64_MIN) {
      EXPECT_NE(c.set(k.key, lo - 1), "") << k.key << " refuses " << lo - 1;
      // As text too: Kafka parses it (Long.parseLong) before its validator runs.
      const std::string below = c.set(k.key, std::to_string(lo - 1));
      EXPECT_NE(below, "") << k.key << " refuses \"" << lo - 1 << "\"";
      if (k.at_least) {
        EXPECT_NE(below.find("Value must be at least"), std::string::npos) << below;
      }
    }
    if (hi < INT64_MAX) {
      EXPECT_NE(c.set(k.key, hi + 1), "") << k.key << " refuses " << hi + 1;
    }
    EXPECT_EQ(c.set(k.key, std::to_string(hi)), "") << k.key << " accepts \"" << hi << "\"";
    EXPECT_EQ(c.set(k.key, std::to_string(lo)), "") << k.key << " accepts \"" << lo << "\"";
    EXPECT_NE(c.set(k.key, 1.5), "") << k.key << " refuses a fraction";
    EXPECT_NE(c.set(k.key, std::string("1.0")), "") << k.key << " refuses a fraction as text, as Long.parseLong does";
    EXPECT_NE(c.set(k.key, std::numeric_limits<double>::quiet_NaN()), "") << k.key << " refuses NaN";
    EXPECT_EQ(c.set(k.key, std::string(" 7 ")), "") << k.key << ": a number as text, trimmed, as ConfigDef.parseType reads it";
    EXPECT_EQ(c.integer(k.key), 7);
    EXPECT_EQ(c.set(k.key, std::string("+7")), "") << k.key << ": Java's parseLong takes a plus sign";
    EXPECT_NE(c.set(k.key, std::string("+-7")), "");
  }
}

TEST(KafkaConfig, DeliveryTimeoutFloorIsCappedAtAnInt) {
  // KafkaProducer: (int) Math.min((long) lingerMs + requestTimeoutMs, Integer.MAX_VALUE).
  ConfigSet p(ConfigScope::producer, {3, 9});
  p.set("linger.ms", int64_t{2147483647});
  p.set("delivery.timeout.ms", int64_t{2147483647});
  EXPECT_EQ(finalize_producer(p), "");
  ConfigSet q(ConfigScope::producer, {3, 9});
  q.set("linger.ms", int64_t{2147483647});
  EXPECT_EQ(finalize_producer(q), "");
  EXPECT_EQ(q.integer("delivery.timeout.ms"), 2147483647) << "raised to fit, within an int";
}

TEST(KafkaConfig, ListsKeepTheirItemsAsKafkaParsesThem) {
  ConfigSet c(ConfigScope::consumer, {3, 9});
  EXPECT_EQ(c.set("partition.assignment.strategy", std::string(" range , ,roundrobin ")), "");
  EXPECT_EQ(c.list("partition.assignment.strategy"), (std::vector<std::string>{"range", "", "roundrobin"}))
      << "split(trimmed, -1) keeps the empty item";
  EXPECT_NE(finalize_consumer(c).find("unknown assignor \"\""), std::string::npos) << "which Kafka then fails to load";
  ConfigSet d(ConfigScope::consumer, {3, 9});
  EXPECT_EQ(d.set("partition.assignment.strategy", std::vector<std::string>{"range,roundrobin"}), "");
  EXPECT_EQ(d.list("partition.assignment.strategy").size(), 1u) << "a list's items are taken whole";
  ConfigSet e(ConfigScope::consumer, {3, 9});
  EXPECT_EQ(e.set("partition.assignment.strategy", std::string("  ")), "");
  EXPECT_TRUE(e.list("partition.assignment.strategy").empty()) << "blank text is the empty list";
}

TEST(KafkaConfig, StringKeysTakeKafkasValuesOnly) {
  ConfigSet p(ConfigScope::producer, {3, 9});
  for (const char* ok : {"all", "-1", "0", "1", " all "}) EXPECT_EQ(p.set("acks", std::string(ok)), "") << ok;
  EXPECT_NE(p.set("acks", std::string("ALL")), "") << "ValidString is case-sensitive";
  EXPECT_NE(p.set("acks", std::string("2")), "");
  ConfigSet c(ConfigScope::consumer, {3, 9});
  for (const char* ok : {"latest", "earliest", "none"}) EXPECT_EQ(c.set("auto.offset.reset", std::string(ok)), "");
  EXPECT_NE(c.set("auto.offset.reset", std::string("smallest")), "");
  EXPECT_EQ(c.set("isolation.level", std::string("read_committed")), "");
  EXPECT_NE(c.set("isolation.level", std::string("dirty")), "");
  EXPECT_NE(c.set("enable.auto.commit", std::string("yes")), "");
  EXPECT_EQ(c.set("enable.auto.commit", std::string(" TRUE ")), "") << "BOOLEAN text is trimmed and case-insensitive";
  ConfigSet b(ConfigScope::broker, {3, 9});
  for (const char* ok : {"3.9", "3.9-IV0", "3.7-IV4", "0.10.2", "0.10.2-IV0", "2.8.1", "4.0", "0.8.2.1"}) {
    EXPECT_EQ(b.set("inter.broker.protocol.version", std::string(ok)), "") << ok;
  }
  for (const char* bad : {"banana", "3.9-iv0", "0.10", "3.10", "4.0-IV4", ""}) {
    EXPECT_NE(b.set("inter.broker.protocol.version", std::string(bad)), "") << bad;
  }
  // MetadataVersion.fromVersionString splits with String.split, which drops trailing empty
  // segments: "3.9." has two segments, is looked up whole and is not a version; "3.9.x" has
  // three and is read as "3.9".
  for (const char* bad : {"3.9.", "3.9..", "0.10.2.", "..."}) {
    EXPECT_NE(b.set("inter.broker.protocol.version", std::string(bad)), "") << bad;
  }
  EXPECT_EQ(b.set("inter.broker.protocol.version", std::string("3.9.x")), "");
  EXPECT_EQ(b.set("inter.broker.protocol.version", std::string("0.10.2.x.")), "") << "four segments, read as 0.10.2";
  EXPECT_EQ(b.set("replica.fetch.wait.max.ms", int64_t{40000}), "") << "accepted by its type";
  EXPECT_EQ(b.set("replica.lag.time.max.ms", int64_t{60000}), "");
  EXPECT_NE(finalize_broker(b), "") << "but not above replica.socket.timeout.ms (KafkaConfig.validateValues)";
}
