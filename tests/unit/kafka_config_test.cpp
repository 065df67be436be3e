// Kafka's defaults by release and its producer validation rules.
#include <gtest/gtest.h>

#include "broker_model/broker/broker.hpp"
#include "broker_model/config/config.hpp"

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
