// The producer client against scripted brokers: each test makes a broker answer as it needs
// (late, with an error, after losing its producer state) and asserts on what the producer
// sent and what the application was told, as Kafka's Sender, RecordAccumulator and
// TransactionManager would have it.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "broker_model/client/producer.hpp"
#include "broker_model/cluster_builder.hpp"
#include "broker_model/log/producer_state.hpp"
#include "sim/world.hpp"

namespace {

using namespace kafka;

// One produce attempt as a broker received it.
struct Attempt {
  sim::Time at;
  BrokerId broker;
  int32_t correlation_id;
  int32_t partition;
  int64_t producer_id;
  int16_t epoch;
  int32_t base_sequence;
  int32_t records;
  uint32_t value_bytes;  // of its first record
};

// What a scripted broker does with one batch: answer with `error` (appending first when it is
// NONE and the producer state allows it) after `delay`, or never.
struct Answer {
  Error error = Error::NONE;
  sim::Duration delay{};
  bool never = false;
};

struct Rig;

// One send as the application saw it.
struct Sent {
  std::optional<SendResult> result;
  sim::Time at;
  bool has_value() const { return result.has_value(); }
  const SendResult* operator->() const { return &*result; }
};

// A broker that leads the partitions the rig says, keeps Kafka's producer state per partition
// (ProducerStateManager) and answers each batch as the rig's script says.
class ScriptedBroker final : public sim::Node {
 public:
  ScriptedBroker(Rig& rig, BrokerId id) : rig_(rig), id_(id) {}
  void on_start(sim::Context&) override {}
  void on_message(sim::Context& ctx, sim::NodeId from, const sim::MessagePtr& msg) override;
  void on_timer(sim::Context& ctx, uint64_t tag) override;
  void on_disconnect(sim::Context&, sim::NodeId) override {}

 private:
  void produce(sim::Context& ctx, sim::NodeId from, const ProduceRequest& req);
  Rig& rig_;
  BrokerId id_;
  std::map<uint64_t, std::pair<sim::NodeId, std::shared_ptr<ProduceResponse>>> held_;
  uint64_t next_tag_ = 0;
};

struct Rig {
  sim::World world{1};
  ClusterLayout layout;
  std::vector<BrokerId> leaders;  // per partition of topic "t"
  sim::Duration metadata_delay{};
  std::function<Answer(const Attempt&)> script = [](const Attempt&) { return Answer{}; };
  std::vector<Attempt> attempts;
  std::map<int32_t, ProducerStateManager> state;  // per partition, shared by the brokers
  std::map<int32_t, int64_t> log_end;
  int32_t init_producer_ids = 0;
  sim::NodeId producer = sim::kNoNode;

  explicit Rig(std::vector<BrokerId> partition_leaders) : leaders(std::move(partition_leaders)) {
    std::set<BrokerId> brokers(leaders.begin(), leaders.end());
    for (BrokerId b : brokers) {
      const sim::NodeId n = world.add_node("broker-" + std::to_string(b), [this, b] { return std::make_unique<ScriptedBroker>(*this, b); });
      layout.brokers[b] = n;
      world.start(n);
    }
  }

  void start_producer(std::vector<std::pair<std::string, RawValue>> settings) {
    ConfigSet cfg(ConfigScope::producer, KafkaVersion{});
    for (const auto& [k, v] : settings) ASSERT_EQ(cfg.set(k, v), "") << k;
    ASSERT_EQ(finalize_producer(cfg), "");
    producer = kafka::start_producer(world, layout, "p", cfg, [](const std::string&) { return uint64_t{0}; }, Bugs{});
  }

  // The application sends one record; its result fills in when the callback runs.
  std::shared_ptr<Sent> send(std::optional<int32_t> partition, uint32_t value_bytes = 100) {
    auto out = std::make_shared<Sent>();
    SendSpec spec;
    spec.topic = "t";
    spec.partition = partition;
    spec.value_bytes = value_bytes;
    world.invoke(producer, [spec, out](sim::Node& n, sim::Context& ctx) {
      static_cast<Producer&>(n).send(ctx, spec, [out](sim::Context& c, const SendResult& r) {
        out->result = r;
        out->at = c.now();
      });
    });
    return out;
  }

  void run_for(sim::Duration d) { world.run_until(world.now() + d); }
  std::vector<Attempt> attempts_of(int32_t partition) const {
    std::vector<Attempt> out;
    for (const Attempt& a : attempts)
      if (a.partition == partition) out.push_back(a);
    return out;
  }
};

void ScriptedBroker::on_message(sim::Context& ctx, sim::NodeId from, const sim::MessagePtr& msg) {
  const KafkaMessage& m = kafka_message(msg);
  switch (route(m)) {
    case route_of<MetadataRequest>: {
      const auto& req = message_as<MetadataRequest>(m);
      auto resp = std::make_shared<MetadataResponse>();
      resp->correlation_id = req.correlation_id;
      for (const auto& [b, node] : rig_.layout.brokers) resp->brokers.push_back(b);
      MetadataResponse::Topic t{"t", Error::NONE, {}};
      for (size_t p = 0; p < rig_.leaders.size(); ++p)
        t.partitions.push_back({static_cast<int32_t>(p), Error::NONE, rig_.leaders[p], 0, {rig_.leaders[p]}, {rig_.leaders[p]}});
      if (ctx.now() >= sim::Time{} + rig_.metadata_delay) resp->topics.push_back(std::move(t));
      ctx.send(from, resp);
      break;
    }
    case route_of<InitProducerIdRequest>: {
      auto resp = std::make_shared<InitProducerIdResponse>();
      resp->correlation_id = message_as<InitProducerIdRequest>(m).correlation_id;
      resp->producer_id = 1000 + rig_.init_producer_ids++;
      resp->producer_epoch = 0;
      ctx.send(from, resp);
      break;
    }
    case route_of<ProduceRequest>: produce(ctx, from, message_as<ProduceRequest>(m)); break;
    default: break;
  }
}

void ScriptedBroker::produce(sim::Context& ctx, sim::NodeId from, const ProduceRequest& req) {
  auto resp = std::make_shared<ProduceResponse>();
  resp->correlation_id = req.correlation_id;
  sim::Duration delay{};
  bool never = false;
  for (const auto& pd : req.partitions) {
    const RecordBatch& b = *pd.batch;
    const Attempt a{ctx.now(),        id_,          req.correlation_id, pd.partition, b.producer_id, b.producer_epoch,
                    b.base_sequence, b.count(), b.records->front().value_bytes};
    rig_.attempts.push_back(a);
    Answer answer = rig_.script(a);
    ProduceResponse::PartitionResponse pr{pd.topic, pd.partition, answer.error, -1};
    if (answer.error == Error::NONE) {
      auto& s = rig_.state[pd.partition];
      const auto check = s.check(b);
      pr.error = check.error;
      if (check.duplicate_of) {
        pr.base_offset = *check.duplicate_of;
      } else if (check.error == Error::NONE) {
        RecordBatch appended = b;
        appended.base_offset = rig_.log_end[pd.partition];
        rig_.log_end[pd.partition] += b.count();
        s.update(appended);
        pr.base_offset = appended.base_offset;
      }
    }
    resp->partitions.push_back(pr);
    delay = std::max(delay, answer.delay);
    never |= answer.never;
  }
  if (never) return;
  if (delay == sim::Duration{}) {
    ctx.send(from, resp);
    return;
  }
  held_[next_tag_] = {from, resp};
  ctx.set_timer(delay, next_tag_++);
}

void ScriptedBroker::on_timer(sim::Context& ctx, uint64_t tag) {
  auto it = held_.find(tag);
  if (it == held_.end()) return;
  ctx.send(it->second.first, it->second.second);
  held_.erase(it);
}

int count_events(const sim::MemorySink& sink, std::string_view kind) { return static_cast<int>(sink.of_kind(kind).size()); }

// ---- Sender.completeBatch with TransactionManager.canRetry ----

TEST(ProducerIdempotence, AnOldDuplicateIsRetriedUntilItsDeliveryTimeoutWithoutAnEpochBump) {
  // The first batch is written but its answer never comes; by the time its request times out,
  // later batches pushed it out of the broker's five retained batches, so its retry gets
  // OUT_OF_ORDER_SEQUENCE_NUMBER. It is not the next sequence after the last acknowledged one
  // (TransactionManager.canRetry): the client retries it as it is until delivery.timeout.ms.
  Rig rig({1});
  sim::MemorySink trace;
  rig.world.trace().add_sink(&trace);
  bool first = true;
  rig.script = [&](const Attempt& a) {
    Answer ans;
    if (a.base_sequence == 0 && first) {
      first = false;
      ans.never = true;  // written, the answer lost
    }
    return ans;
  };
  rig.start_producer({{"request.timeout.ms", 2000}, {"delivery.timeout.ms", 6000}});
  rig.run_for(sim::Duration::millis(10));
  std::vector<std::shared_ptr<Sent>> sent;
  for (int i = 0; i < 12; ++i) {
    sent.push_back(rig.send(0));
    rig.run_for(sim::Duration::millis(100));
  }
  rig.run_for(sim::Duration::seconds(10));
  ASSERT_TRUE(sent[0]->has_value());
  EXPECT_EQ((*sent[0]).result->outcome, Outcome::info) << "it may well be in the log: it is";
  EXPECT_EQ((*sent[0]).result->error, Error::CLIENT_DELIVERY_TIMEOUT);
  EXPECT_EQ((*sent[0]).result->cause, Error::OUT_OF_ORDER_SEQUENCE_NUMBER);
  for (size_t i = 1; i < sent.size(); ++i) {
    ASSERT_TRUE(sent[i]->has_value()) << i;
    EXPECT_EQ((*sent[i]).result->outcome, Outcome::ok) << i;
  }
  // The retries went out under the first id, epoch and sequence; nothing was bumped or reset.
  int retries_refused = 0;
  for (const Attempt& a : rig.attempts_of(0)) {
    EXPECT_EQ(a.producer_id, 1000);
    EXPECT_EQ(a.epoch, 0);
    if (a.base_sequence == 0) ++retries_refused;
  }
  EXPECT_GT(retries_refused, 3);
  EXPECT_EQ(count_events(trace, "producer.bump_epoch"), 0);
  EXPECT_EQ(count_events(trace, "producer.reset_producer_id"), 0);
  EXPECT_EQ(rig.init_producer_ids, 1);
}

TEST(ProducerIdempotence, AGapBumpsTheEpochAndTheBatchIsRetriedFromSequenceZero) {
  // The broker lost batches it had acknowledged (as after an unclean election): the next batch
  // is the next sequence after the last acknowledged one, and is refused. Since 2.5 (KIP-360)
  // the idempotent producer bumps its epoch itself and resends the batch at sequence 0 of the
  // new epoch (canRetry, bumpIdempotentEpochAndResetIdIfNeeded); it neither fails the batch nor
  // asks for a new producer id.
  Rig rig({1});
  sim::MemorySink trace;
  rig.world.trace().add_sink(&trace);
  rig.script = [](const Attempt& a) {
    Answer ans;
    if (a.epoch == 0 && a.base_sequence == 3) ans.error = Error::OUT_OF_ORDER_SEQUENCE_NUMBER;
    return ans;
  };
  rig.start_producer({});
  rig.run_for(sim::Duration::millis(10));
  std::vector<std::shared_ptr<Sent>> sent;
  for (int i = 0; i < 5; ++i) {
    sent.push_back(rig.send(0));
    rig.run_for(sim::Duration::millis(50));
  }
  rig.run_for(sim::Duration::seconds(2));
  for (size_t i = 0; i < sent.size(); ++i) {
    ASSERT_TRUE(sent[i]->has_value()) << i;
    EXPECT_EQ((*sent[i]).result->outcome, Outcome::ok) << i;
  }
  const auto attempts = rig.attempts_of(0);
  ASSERT_EQ(attempts.size(), 6u);
  EXPECT_EQ(attempts[4].epoch, 1);
  EXPECT_EQ(attempts[4].base_sequence, 0) << "the refused batch again, first of the new epoch";
  EXPECT_EQ(attempts[5].epoch, 1);
  EXPECT_EQ(attempts[5].base_sequence, 1);
  EXPECT_EQ(count_events(trace, "producer.bump_epoch"), 1);
  EXPECT_EQ(count_events(trace, "producer.reset_producer_id"), 0);
  EXPECT_EQ(rig.init_producer_ids, 1);
}

// ---- RecordAccumulator.drain ----

TEST(ProducerIdempotence, ARetriedFirstSequenceGoesWithoutWaitingForLaterBatchesInFlight) {
  // Batch 0 is refused at once with a retriable error; batch 1 is in flight to a slow broker.
  // Batch 0 holds the partition's first unresolved sequence, so its retry goes out after the
  // backoff (RecordAccumulator.shouldStopDrainBatchesForPartition with firstInFlightSequence),
  // not once batch 1 is answered.
  Rig rig({1});
  std::map<int32_t, int> seen;
  rig.script = [&](const Attempt& a) {
    Answer ans;
    const int n = seen[a.base_sequence]++;
    if (n == 0) {
      ans.error = Error::NOT_ENOUGH_REPLICAS;
      if (a.base_sequence == 1) ans.delay = sim::Duration::seconds(3);
    }
    return ans;
  };
  rig.start_producer({});
  rig.run_for(sim::Duration::millis(10));
  auto a = rig.send(0);
  auto b = rig.send(0);
  rig.run_for(sim::Duration::seconds(5));
  ASSERT_TRUE(a->has_value() && b->has_value());
  EXPECT_EQ(a->result->outcome, Outcome::ok);
  EXPECT_EQ(b->result->outcome, Outcome::ok);
  std::vector<sim::Time> retries_of_first;
  for (const Attempt& at : rig.attempts_of(0))
    if (at.base_sequence == 0) retries_of_first.push_back(at.at);
  ASSERT_EQ(retries_of_first.size(), 2u);
  EXPECT_LT(retries_of_first[1] - retries_of_first[0], sim::Duration::millis(500)) << "after retry.backoff.ms, not after 3 s";
}

TEST(ProducerSender, AReadyBrokerTakesEveryPartitionsFirstBatchLingeringOrNot) {
  // RecordAccumulator.ready finds the broker ready (one partition has a full batch);
  // drainBatchesForOneNode then takes the first batch of each of its partitions, including
  // one still within linger.ms.
  Rig rig({1, 1});
  rig.start_producer({{"linger.ms", 1000}, {"batch.size", 1000}});
  rig.run_for(sim::Duration::millis(10));
  rig.send(1, 100);
  for (int i = 0; i < 12; ++i) rig.send(0, 100);  // more than one batch: partition 0 is ready
  rig.run_for(sim::Duration::millis(100));
  const auto p1 = rig.attempts_of(1);
  ASSERT_EQ(p1.size(), 1u);
  EXPECT_LT(p1[0].at, sim::Time{} + sim::Duration::millis(100));
  ASSERT_FALSE(rig.attempts_of(0).empty());
  EXPECT_EQ(p1[0].correlation_id, rig.attempts_of(0)[0].correlation_id) << "in the same request";
}

TEST(ProducerSender, ABatchOfOneRecordLargerThanBatchSizeWaitsLingerMs) {
  // RecordAccumulator.append sizes the buffer max(batch.size, estimateSizeInBytesUpperBound), so
  // MemoryRecordsBuilder.isFull is false for it: it goes out after linger.ms, unless a second
  // record opens another batch behind it (ready's deque.size() > 1).
  Rig rig({1});
  rig.start_producer({{"batch.size", 1000}, {"linger.ms", 500}});
  rig.run_for(sim::Duration::millis(10));
  const sim::Time sent_at = rig.world.now();
  rig.send(0, 3000);
  rig.run_for(sim::Duration::seconds(1));
  ASSERT_EQ(rig.attempts_of(0).size(), 1u);
  EXPECT_GE(rig.attempts_of(0)[0].at - sent_at, sim::Duration::millis(500));
  const sim::Time second_at = rig.world.now();
  rig.send(0, 3000);
  rig.send(0, 100);
  rig.run_for(sim::Duration::millis(100));
  ASSERT_EQ(rig.attempts_of(0).size(), 2u) << "the second batch behind it makes the first ready";
  EXPECT_LT(rig.attempts_of(0)[1].at - second_at, sim::Duration::millis(100));
}

TEST(ProducerSender, QueuedFullBatchesGoOutTogetherUpToMaxInFlight) {
  // The sender passes again at once while a pass sent something (Sender.sendProducerData
  // returns a zero poll timeout): full batches waiting for metadata all go out together, one
  // request each, up to max.in.flight.requests.per.connection.
  Rig rig({1});
  rig.metadata_delay = sim::Duration::millis(500);
  rig.start_producer({{"batch.size", 1000}, {"linger.ms", 1000}, {"retry.backoff.ms", 400}});
  for (int i = 0; i < 40; ++i) rig.send(0, 100);
  rig.run_for(sim::Duration::seconds(2));
  const auto attempts = rig.attempts_of(0);
  ASSERT_GE(attempts.size(), 5u);
  for (size_t i = 1; i < 5; ++i) EXPECT_EQ(attempts[i].at, attempts[0].at) << i;
}

// ---- delivery.timeout.ms ----

TEST(ProducerSender, ABatchInFlightFailsAtItsDeliveryTimeoutWithoutWaitingForTheRequest) {
  // Sender.getExpiredInflightBatches: a batch still out on the wire when delivery.timeout.ms
  // has passed since it was created fails then, as indefinite; its request stays out.
  Rig rig({1});
  rig.script = [](const Attempt&) {
    Answer ans;
    ans.never = true;
    return ans;
  };
  rig.start_producer({{"request.timeout.ms", 3000}, {"delivery.timeout.ms", 4000}});
  rig.run_for(sim::Duration::millis(10));
  const sim::Time sent_at = rig.world.now();
  auto r = rig.send(0);
  rig.run_for(sim::Duration::seconds(10));
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ(r->result->outcome, Outcome::info);
  EXPECT_EQ(r->result->error, Error::CLIENT_DELIVERY_TIMEOUT);
  // Sent at 0, retried after the request timeout (3 s) and the backoff, failed at 4 s while the
  // retry was still out (its own request would time out only at 6.1 s).
  EXPECT_EQ(rig.attempts_of(0).size(), 2u);
  EXPECT_LT(r->at - sent_at, sim::Duration::millis(4010));
}

// ---- what the application is told when a batch finally fails ----

// Runs one record through a producer whose broker answers attempt n with errors[n]; returns
// what the application was told.
SendResult fail_with(int16_t acks, std::vector<Error> errors) {
  Rig rig({1});
  rig.script = [&](const Attempt&) {
    Answer ans;
    ans.error = errors[std::min(rig.attempts.size(), errors.size()) - 1];
    return ans;
  };
  rig.start_producer({{"acks", static_cast<int64_t>(acks)},
                      {"enable.idempotence", false},
                      {"retries", static_cast<int64_t>(errors.size() - 1)},
                      {"retry.backoff.ms", 10}});
  rig.run_for(sim::Duration::millis(10));
  auto r = rig.send(0);
  rig.run_for(sim::Duration::seconds(5));
  EXPECT_EQ(rig.attempts.size(), errors.size());
  EXPECT_TRUE(r->has_value());
  return r->has_value() ? *r->result : SendResult{};
}

TEST(ProducerOutcome, AnAcksAllBatchLastAnsweredNotLeaderMayHaveBeenWritten) {
  // KAFKA-13574: the leader appends, loses leadership while the ISR catches up, and
  // DelayedProduce answers NOT_LEADER_OR_FOLLOWER (Partition.checkEnoughReplicasReachOffset);
  // the new leader may hold the batch, so its failure is indefinite.
  const SendResult r = fail_with(-1, {Error::NOT_LEADER_OR_FOLLOWER});
  EXPECT_EQ(r.outcome, Outcome::info);
  EXPECT_EQ(r.error, Error::NOT_LEADER_OR_FOLLOWER);
}

TEST(ProducerOutcome, AnyAttemptThatMayHaveBeenWrittenMakesTheFailureIndefinite) {
  // The last answer (rejected before the append) does not undo what the first left open.
  const SendResult r = fail_with(-1, {Error::NOT_LEADER_OR_FOLLOWER, Error::NOT_ENOUGH_REPLICAS});
  EXPECT_EQ(r.outcome, Outcome::info);
  EXPECT_EQ(r.error, Error::NOT_ENOUGH_REPLICAS);
}

TEST(ProducerOutcome, WithAcksOneNotLeaderMeansTheAppendWasRefused) {
  // With acks=1 the leader answers at once after appending; NOT_LEADER_OR_FOLLOWER comes only
  // from ReplicaManager.appendToLocalLog refusing the batch.
  const SendResult r = fail_with(1, {Error::NOT_LEADER_OR_FOLLOWER, Error::NOT_ENOUGH_REPLICAS});
  EXPECT_EQ(r.outcome, Outcome::fail);
}

// ---- BuiltInPartitioner with RecordAccumulator.partitionReady's load stats ----

// Records per broker when broker 2 answers produce requests a second late; keyless records at
// 1000 a second over 3 s.
std::pair<int, int> records_per_broker(bool adaptive) {
  Rig rig({1, 1, 2, 2});
  rig.script = [](const Attempt& a) {
    Answer ans;
    if (a.broker == 2) ans.delay = sim::Duration::seconds(1);
    return ans;
  };
  rig.start_producer({{"batch.size", 1000}, {"linger.ms", 5}, {"partitioner.adaptive.partitioning.enable", adaptive}});
  rig.run_for(sim::Duration::millis(10));
  std::vector<std::shared_ptr<Sent>> sent;
  for (int i = 0; i < 3000; ++i) {
    sent.push_back(rig.send(std::nullopt, 100));
    rig.run_for(sim::Duration::millis(1));
  }
  rig.run_for(sim::Duration::seconds(30));
  int fast = 0, slow = 0;
  for (const auto& r : sent) {
    EXPECT_TRUE(r->has_value() && r->result->outcome == Outcome::ok);
    if (r->has_value()) ++(r->result->partition < 2 ? fast : slow);
  }
  return {fast, slow};
}

TEST(ProducerPartitioner, AdaptivePartitioningSendsFewerRecordsToASlowBrokersPartitions) {
  // RecordAccumulator.partitionReady hands each topic's queue sizes to
  // BuiltInPartitioner.updatePartitionLoadStats: the slow broker's partitions build longer
  // queues and are chosen less often when the sticky partition switches. Without adaptive
  // partitioning the choice is uniform, and the fast broker gets more only because its
  // partitions' batches leave before they fill (the switch waits for twice batch.size).
  const auto [fast, slow] = records_per_broker(true);
  const auto [fast_uniform, slow_uniform] = records_per_broker(false);
  EXPECT_GT(fast, 3 * slow) << fast << " vs " << slow;
  EXPECT_LT(fast_uniform, 2 * slow_uniform) << fast_uniform << " vs " << slow_uniform;
  EXPECT_LT(2 * slow, slow_uniform) << slow << " vs " << slow_uniform;
}

TEST(ProducerPartitioner, TheStickyPartitionMovesOnlyOnceItsLastBatchIsFull) {
  // RecordAccumulator.append enables a switch only when the partition's last batch is full
  // (allBatchesFull); otherwise BuiltInPartitioner.updatePartitionInfo waits for twice
  // batch.size. Here the broker is busy (max.in.flight=1, its answer held), so batches queue
  // up, none of them full (a 120-byte record never fills the last 99 bytes of 1000): the first
  // partition takes 17 records (2040 bytes), not 9 (1080 bytes, the first count past batch.size).
  std::vector<BrokerId> leaders(16, 1);
  Rig rig(leaders);
  bool held = false;
  rig.script = [&](const Attempt&) {
    Answer ans;
    if (!held) ans.delay = sim::Duration::seconds(1);
    held = true;
    return ans;
  };
  rig.start_producer({{"batch.size", 1000}, {"max.in.flight.requests.per.connection", 1}});
  rig.run_for(sim::Duration::millis(10));
  rig.send(0, 100);  // occupies the one request in flight
  rig.run_for(sim::Duration::millis(10));
  std::vector<std::shared_ptr<Sent>> sent;
  for (int i = 0; i < 20; ++i) sent.push_back(rig.send(std::nullopt, 100));
  rig.run_for(sim::Duration::seconds(5));
  for (const auto& r : sent) ASSERT_TRUE(r->has_value() && r->result->outcome == Outcome::ok);
  for (size_t i = 1; i < 17; ++i) EXPECT_EQ(sent[i]->result->partition, sent[0]->result->partition) << i;
}

// Records sent after the first second that went to broker 2, which takes produce requests
// and never answers them.
int late_records_to_a_stuck_broker(int64_t availability_timeout_ms) {
  Rig rig({1, 1, 2, 2});
  rig.script = [](const Attempt& a) {
    Answer ans;
    ans.never = a.broker == 2;
    return ans;
  };
  rig.start_producer({{"batch.size", 1000}, {"linger.ms", 5}, {"partitioner.availability.timeout.ms", availability_timeout_ms}});
  rig.run_for(sim::Duration::millis(10));
  std::vector<std::shared_ptr<Sent>> sent;
  for (int i = 0; i < 3000; ++i) {
    sent.push_back(rig.send(std::nullopt, 100));
    rig.run_for(sim::Duration::millis(1));
  }
  rig.run_for(sim::Duration::seconds(150));
  int late = 0;
  for (size_t i = 1000; i < sent.size(); ++i) {
    EXPECT_TRUE(sent[i]->has_value());
    if (sent[i]->has_value() && sent[i]->result->partition >= 2) ++late;
  }
  return late;
}

TEST(ProducerPartitioner, AvailabilityTimeoutLeavesABrokerThatCannotTakeDataOutOfTheChoice) {
  // RecordAccumulator.updateNodeLatencyStats: broker 2 has data ready but its connection is
  // full (five requests unanswered); after partitioner.availability.timeout.ms its partitions
  // are left out of the load stats (partitionReady) and no switch lands on them again.
  const int with_timeout = late_records_to_a_stuck_broker(200);
  const int without = late_records_to_a_stuck_broker(0);
  EXPECT_EQ(with_timeout, 0);
  EXPECT_GT(without, 0);
}

TEST(ProducerSender, ATimedOutConnectionFailsItsRequestsOldestFirstSoTheNewestBatchRetriesFirst) {
  // NetworkClient.cancelInFlightRequests takes the node's requests oldest first
  // (InFlightRequests.clearAll); without idempotence each failed batch is re-enqueued at the
  // front of its queue (RecordAccumulator.reenqueue), so the later batch is retried first:
  // the reordering max.in.flight.requests.per.connection > 1 allows.
  Rig rig({1});
  std::map<uint32_t, int> seen;
  rig.script = [&](const Attempt& a) {
    Answer ans;
    ans.never = seen[a.value_bytes]++ == 0;  // every first attempt goes unanswered
    return ans;
  };
  rig.start_producer({{"enable.idempotence", false}, {"acks", "1"}, {"request.timeout.ms", 2000}});
  rig.run_for(sim::Duration::millis(10));
  rig.send(0, 100);
  rig.run_for(sim::Duration::millis(10));
  rig.send(0, 200);
  rig.run_for(sim::Duration::seconds(5));
  const auto attempts = rig.attempts_of(0);
  ASSERT_EQ(attempts.size(), 4u);
  EXPECT_EQ(attempts[0].value_bytes, 100u);
  EXPECT_EQ(attempts[1].value_bytes, 200u);
  EXPECT_EQ(attempts[2].value_bytes, 200u) << "the later batch goes again first";
  EXPECT_EQ(attempts[3].value_bytes, 100u);
}

}  // namespace
