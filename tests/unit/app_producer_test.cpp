// The application's side of a consumer process, driven in a whole cluster: record headers from
// a producer to the records poll() returns; the producer a consumer's process hosts (Spring's
// KafkaTemplate in a listener); and Spring's DefaultErrorHandler retrying a poison pill with its
// back off, blocking the partition, then publishing it to the dead-letter topic.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker_model/app/error_handler.hpp"
#include "broker_model/log/log_files.hpp"
#include "node_harness.hpp"

using kafkasim_test::TestCluster;
using sim::Duration;

namespace {

// What the application saw: every record handed to processing, when.
struct Delivery {
  sim::Time at;
  kafka::ConsumerRecord record;
};
using Deliveries = std::shared_ptr<std::vector<Delivery>>;

// The application's code: notes each record it is handed, and throws on the poison pill.
class NotingListener final : public kafka::Listener {
 public:
  NotingListener(Deliveries seen, std::optional<std::string> poison) : seen_(std::move(seen)), poison_(std::move(poison)) {}
  bool batch() const override { return false; }
  kafka::ListenerStep on_record(const kafka::ConsumerRecord& r, kafka::ListenerServices& s) override {
    seen_->push_back({s.now(), r});
    if (poison_ && r.record.value == *poison_) return kafka::ListenerStep::failed("boom");
    return kafka::ListenerStep::done();
  }
  kafka::ListenerStep on_batch(const std::vector<kafka::ConsumerRecord>&, kafka::ListenerServices&) override {
    return kafka::ListenerStep::done();
  }
  kafka::ListenerStep on_every(uint64_t, kafka::ListenerServices&) override { return kafka::ListenerStep::done(); }
  kafka::ListenerStep resume(uint64_t, const kafka::ListenerReply&, kafka::ListenerServices&) override {
    return kafka::ListenerStep::done();
  }

 private:
  Deliveries seen_;
  std::optional<std::string> poison_;
};

// A Spring container (BATCH: commits after the poll's records) running NotingListener.
kafka::ConsumerApp app_of(TestCluster&, const std::vector<std::string>& topics, Deliveries seen,
                          std::optional<std::string> poison = std::nullopt) {
  kafka::ConsumerApp app;
  app.topics = topics;
  app.policy = kafka::CommitPolicy::batch;
  app.listener = [seen, poison] { return std::make_unique<NotingListener>(seen, poison); };
  return app;
}

const kafkasim_test::Settings kFromStart = {{"auto.offset.reset", "earliest"}, {"enable.auto.commit", false}};

// The hosted producer's send, as the application calls it; the result fills in at its callback.
std::shared_ptr<kafkasim_test::SentRecord> app_send(TestCluster& c, sim::NodeId member, kafka::SendSpec spec) {
  auto sent = std::make_shared<kafkasim_test::SentRecord>();
  const bool ok = c.world().invoke(member, [spec, sent](sim::Node& n, sim::Context& ctx) {
    const bool hosted = static_cast<kafka::Consumer&>(n).send(ctx, spec, [sent](sim::Context& cc, const kafka::SendResult& r) {
      sent->result = r;
      sent->completed = cc.now();
    });
    if (!hosted) throw std::logic_error("the member hosts no producer");
  });
  if (!ok) throw std::logic_error("the member is not running");
  return sent;
}

std::vector<kafka::Record> log_records(TestCluster& c, const std::string& topic) {
  std::vector<kafka::Record> out;
  const kafka::BrokerId leader = c.leader(topic, 0);
  for (const kafka::BatchPtr& b : kafka::log_files::read_batches(c.world().disk(c.node(leader)), {topic, 0}))
    out.insert(out.end(), b->records->begin(), b->records->end());
  return out;
}

std::vector<const sim::StoredEvent*> ops_of(TestCluster& c, std::string_view kind, const std::string& process) {
  std::vector<const sim::StoredEvent*> out;
  for (const sim::StoredEvent* e : c.events(kind))
    if (e->text("process") == process) out.push_back(e);
  return out;
}

}  // namespace

// ProducerRecord headers reach the log and come back with the record poll() returns, in their
// order and with a repeated key kept; they count in the record's size.
TEST(RecordHeaders, RoundTripFromProducerToConsumer) {
  TestCluster c;
  c.topic(kafkasim_test::one_partition_topic("in"));
  const sim::NodeId feed = c.producer("feed", {});
  kafka::SendSpec s = kafkasim_test::record_of("in", "v0");
  s.headers = {{"trace", "abc"}, {"retry", "1"}, {"retry", "2"}};
  auto sent = c.send(feed, s);
  auto seen = std::make_shared<std::vector<Delivery>>();
  c.consumer("reader-1", "g", app_of(c, {"in"}, seen), kFromStart);
  ASSERT_TRUE(c.run_until([&] { return !seen->empty(); }));
  ASSERT_TRUE(sent->ok());
  EXPECT_EQ(seen->front().record.record.headers, s.headers);
  const auto stored = log_records(c, "in");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].headers, s.headers);
  // 20 bytes of framing, the value, and each header's key, value and their two lengths.
  EXPECT_EQ(kafka::record_bytes(stored[0]), 20u + 2u + (2 + 5 + 3) + (2 + 5 + 1) * 2);
}

// The producer a consumer's process hosts: its sends are operations of "<member>-producer" in
// the trace, acknowledged like any producer's, and they ride out a leader's crash.
TEST(HostedProducer, SendsAreOperationsAndSurviveALeaderFailover) {
  TestCluster c;
  c.topic(kafkasim_test::one_partition_topic("in"));
  c.topic(kafkasim_test::one_partition_topic("out"));
  auto seen = std::make_shared<std::vector<Delivery>>();
  kafka::ConsumerApp app = app_of(c, {"in"}, seen);
  app.producer = c.producer_config({{"acks", "all"}});
  const sim::NodeId member = c.consumer("reader-1", "g", app, kFromStart);
  ASSERT_TRUE(c.run_until([&] { return c.consumer_at(member)->stable(); }));
  kafka::SendSpec s = kafkasim_test::record_of("out", "first");
  s.headers = {{"source", "reader-1"}};
  auto first = app_send(c, member, s);
  ASSERT_TRUE(c.run_until([&] { return first->done(); }));
  EXPECT_TRUE(first->ok());
  EXPECT_EQ(ops_of(c, "op.invoke", "reader-1-producer").size(), 1u);
  EXPECT_EQ(ops_of(c, "op.ok", "reader-1-producer").size(), 1u);
  // The leader of out-0 dies: the next send waits for the new leader and is acknowledged.
  const kafka::BrokerId old_leader = c.leader("out", 0);
  c.crash(c.node(old_leader));
  auto second = app_send(c, member, kafkasim_test::record_of("out", "second"));
  ASSERT_TRUE(c.run_until([&] { return second->done(); }, Duration::seconds(120)));
  EXPECT_TRUE(second->ok()) << kafka::error_name(second->result->error);
  EXPECT_NE(c.leader("out", 0), old_leader);
  const auto stored = log_records(c, "out");
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].headers, s.headers);
  // The consumer's own requests went on beside the producer's.
  EXPECT_TRUE(c.consumer_at(member)->stable());
}

// A crash takes the producer with the member: a send in flight never completes; the restarted
// process has a fresh producer whose operations number on from its predecessor's.
TEST(HostedProducer, DiesWithTheMemberAndRestartsFresh) {
  TestCluster c;
  c.topic(kafkasim_test::one_partition_topic("in"));
  c.topic(kafkasim_test::one_partition_topic("out"));
  auto seen = std::make_shared<std::vector<Delivery>>();
  kafka::ConsumerApp app = app_of(c, {"in"}, seen);
  app.producer = c.producer_config({});
  const sim::NodeId member = c.consumer("reader-1", "g", app, kFromStart);
  ASSERT_TRUE(c.run_until([&] { return c.consumer_at(member)->stable(); }));
  auto lost = app_send(c, member, kafkasim_test::record_of("out", "lost"));
  c.run_for(Duration::micros(10));  // the send has started; its response has not come back
  ASSERT_EQ(ops_of(c, "op.invoke", "reader-1-producer").size(), 1u);
  c.crash(member);
  c.run_for(Duration::seconds(1));
  EXPECT_FALSE(lost->done());
  EXPECT_TRUE(ops_of(c, "op.ok", "reader-1-producer").empty());
  c.restart(member);
  ASSERT_TRUE(c.run_until([&] { return c.consumer_at(member) && c.consumer_at(member)->stable(); }));
  auto again = app_send(c, member, kafkasim_test::record_of("out", "again"));
  ASSERT_TRUE(c.run_until([&] { return again->done(); }));
  EXPECT_TRUE(again->ok());
  size_t starts = 0;
  for (const sim::StoredEvent* e : c.events("producer.start")) starts += e->text("client_id") == "reader-1-producer";
  EXPECT_EQ(starts, 2u) << "a fresh producer after the restart";
  const auto invokes = ops_of(c, "op.invoke", "reader-1-producer");
  ASSERT_EQ(invokes.size(), 2u);
  EXPECT_GT(invokes[1]->integer("op"), invokes[0]->integer("op"));
}

// A poison pill under Spring's DefaultErrorHandler with FixedBackOff(200, 2) and the
// DeadLetterPublishingRecoverer, RECORD ack mode: delivered three times, 200 ms apart, the
// records behind it held back meanwhile; then published to in.DLT with Spring's headers and
// its offset committed, and the partition goes on.
TEST(ListenerErrorHandling, APoisonPillIsRetriedWithBackOffThenDeadLettered) {
  TestCluster c;
  c.topic(kafkasim_test::one_partition_topic("in"));
  c.topic(kafkasim_test::one_partition_topic("in.DLT"));
  const sim::NodeId feed = c.producer("feed", {});
  std::vector<std::shared_ptr<kafkasim_test::SentRecord>> sent;
  for (int i = 0; i < 5; ++i) sent.push_back(c.send(feed, kafkasim_test::record_of("in", "v" + std::to_string(i))));
  ASSERT_TRUE(c.run_until([&] { return sent.back()->ok(); }));
  auto seen = std::make_shared<std::vector<Delivery>>();
  kafka::ConsumerApp app = app_of(c, {"in"}, seen, "v2");
  app.policy = kafka::CommitPolicy::record;
  app.producer = c.producer_config({});
  app.error_handler.backoff = kafka::BackOffSpec::fixed(200, 2);
  app.error_handler.dead_letter = true;
  // A fetch sent before the failure may wait at the broker up to fetch.max.wait.ms before the
  // one from the sought position can go (one fetch in flight per broker): keep it short.
  kafkasim_test::Settings config = kFromStart;
  config.emplace_back("fetch.max.wait.ms", 50);
  c.consumer("reader-1", "g", app, config);
  auto committed = [&]() -> int64_t {
    const kafka::Group* g = c.group("g");
    if (!g) return -1;
    auto it = g->offsets.find({"in", 0});
    return it == g->offsets.end() ? -1 : it->second.offset;
  };
  ASSERT_TRUE(c.run_until([&] { return committed() == 5; }, Duration::seconds(30)));

  std::vector<sim::Time> pill;
  std::optional<sim::Time> first_v3;
  for (const Delivery& d : *seen) {
    if (d.record.record.value == "v2") pill.push_back(d.at);
    if (d.record.record.value == "v3" && !first_v3) first_v3 = d.at;
  }
  ASSERT_EQ(pill.size(), 3u) << "one delivery and two retries";
  for (size_t i = 1; i < pill.size(); ++i) {
    const Duration gap = pill[i] - pill[i - 1];
    EXPECT_GE(gap, Duration::millis(200)) << "the back off before delivery " << i + 1;
    EXPECT_LT(gap, Duration::millis(300)) << "the back off, then at most a fetch's wait and a record's processing";
  }
  const auto retries = c.events("listener.retry");
  ASSERT_EQ(retries.size(), 2u);
  EXPECT_EQ(retries[0]->integer("attempts"), 1);
  EXPECT_EQ(retries[1]->integer("attempts"), 2);
  EXPECT_EQ(retries[1]->integer("backoff"), 200);
  const auto recovered = c.events("listener.recovered");
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(recovered[0]->integer("offset"), 2);
  EXPECT_EQ(recovered[0]->integer("attempts"), 3);
  EXPECT_EQ(recovered[0]->text("dead_letter"), "in.DLT");
  // The partition was blocked behind the pill: v3 came only after it was recovered.
  ASSERT_TRUE(first_v3.has_value());
  EXPECT_GT(*first_v3, recovered[0]->time);
  EXPECT_GT(*first_v3, pill.back());
  // In the dead-letter topic with Spring's headers, written by the member's producer.
  const auto dlt = log_records(c, "in.DLT");
  ASSERT_EQ(dlt.size(), 1u);
  EXPECT_EQ(dlt[0].value, "v2");
  auto header = [&](const std::string& name) {
    for (const auto& h : dlt[0].headers)
      if (h.key == name) return h.value;
    return std::string("<missing>");
  };
  EXPECT_EQ(header("kafka_dlt-original-topic"), "in");
  EXPECT_EQ(header("kafka_dlt-original-partition"), kafka::int_bytes(0));
  EXPECT_EQ(header("kafka_dlt-original-offset"), kafka::long_bytes(2));
  EXPECT_EQ(header("kafka_dlt-exception-fqcn"), kafka::kListenerFailedFqcn);
  EXPECT_EQ(header("kafka_dlt-exception-message"), "Listener failed; boom");
  EXPECT_EQ(ops_of(c, "op.ok", "reader-1-producer").size(), 1u);
  // Never processed, yet committed past: 2 is not among the processed records.
  for (const sim::StoredEvent* e : c.events("consumer.processed")) EXPECT_NE(e->integer("offset"), 2);
}

// Without a dead-letter topic the default recoverer logs and skips the pill; with no retries
// allowed (FixedBackOff(0, 0)) at its first failure.
TEST(ListenerErrorHandling, WithoutRetriesTheLoggingRecovererSkipsAtOnce) {
  TestCluster c;
  c.topic(kafkasim_test::one_partition_topic("in"));
  const sim::NodeId feed = c.producer("feed", {});
  std::shared_ptr<kafkasim_test::SentRecord> last;
  for (int i = 0; i < 3; ++i) last = c.send(feed, kafkasim_test::record_of("in", "v" + std::to_string(i)));
  ASSERT_TRUE(c.run_until([&] { return last->ok(); }));
  auto seen = std::make_shared<std::vector<Delivery>>();
  kafka::ConsumerApp app = app_of(c, {"in"}, seen, "v1");
  app.error_handler.backoff = kafka::BackOffSpec::fixed(0, 0);
  c.consumer("reader-1", "g", app, kFromStart);
  ASSERT_TRUE(c.run_until([&] {
    const kafka::Group* g = c.group("g");
    return g && g->offsets.count({"in", 0}) && g->offsets.at({"in", 0}).offset == 3;
  }));
  EXPECT_TRUE(c.events("listener.retry").empty());
  const auto recovered = c.events("listener.recovered");
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(recovered[0]->text("dead_letter"), "");
  size_t v1 = 0;
  for (const Delivery& d : *seen) v1 += d.record.record.value == "v1";
  EXPECT_EQ(v1, 1u);
}

// KafkaProducer.flush(): batches go at once whatever linger.ms says, and the flush completes
// once every earlier send has.
TEST(HostedProducer, FlushSendsLingeringBatchesAndWaitsForThem) {
  TestCluster c;
  c.topic(kafkasim_test::one_partition_topic("in"));
  c.topic(kafkasim_test::one_partition_topic("out"));
  auto seen = std::make_shared<std::vector<Delivery>>();
  kafka::ConsumerApp app = app_of(c, {"in"}, seen);
  app.producer = c.producer_config({{"linger.ms", 60'000}});
  const sim::NodeId member = c.consumer("reader-1", "g", app, kFromStart);
  ASSERT_TRUE(c.run_until([&] { return c.consumer_at(member)->stable(); }));
  std::vector<std::shared_ptr<kafkasim_test::SentRecord>> sends;
  for (int i = 0; i < 3; ++i) sends.push_back(app_send(c, member, kafkasim_test::record_of("out", "r" + std::to_string(i))));
  c.run_for(Duration::seconds(1));
  for (const auto& s : sends) EXPECT_FALSE(s->done()) << "lingering for linger.ms";
  auto flushed = std::make_shared<std::optional<sim::Time>>();
  c.world().invoke(member, [flushed](sim::Node& n, sim::Context& ctx) {
    static_cast<kafka::Consumer&>(n).flush(ctx, [flushed](sim::Context& cc) { *flushed = cc.now(); });
  });
  ASSERT_TRUE(c.run_until([&] { return flushed->has_value(); }, Duration::seconds(5)));
  for (const auto& s : sends) {
    ASSERT_TRUE(s->ok());
    EXPECT_LE(s->completed, **flushed);
  }
}

// The back off blocks the container thread, not the heartbeat thread: a back off longer than
// max.poll.interval.ms makes the member leave the group (Spring warns of exactly this).
TEST(ListenerErrorHandling, ABackOffCountsAgainstMaxPollInterval) {
  TestCluster c;
  c.topic(kafkasim_test::one_partition_topic("in"));
  const sim::NodeId feed = c.producer("feed", {});
  auto sent = c.send(feed, kafkasim_test::record_of("in", "pill"));
  ASSERT_TRUE(c.run_until([&] { return sent->ok(); }));
  auto seen = std::make_shared<std::vector<Delivery>>();
  kafka::ConsumerApp app = app_of(c, {"in"}, seen, "pill");
  app.error_handler.backoff = kafka::BackOffSpec::fixed(5000, 1);
  kafkasim_test::Settings config = kFromStart;
  config.emplace_back("max.poll.interval.ms", 2000);
  config.emplace_back("heartbeat.interval.ms", 500);
  const sim::NodeId member = c.consumer("reader-1", "g", app, config);
  ASSERT_TRUE(c.run_until([&] { return !c.events("listener.retry").empty(); }));
  EXPECT_TRUE(c.run_until([&] { return !c.events("consumer.poll_timeout", member).empty(); }, Duration::seconds(4)))
      << "max.poll.interval.ms passed during the 5 s back off";
}
