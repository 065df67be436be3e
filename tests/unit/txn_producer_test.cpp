// The transactional producer against a scripted broker that is at once the transaction
// coordinator, the group coordinator and the leader of every partition: each test scripts the
// broker's answers and asserts on the requests the producer sent, in their order, and on what
// the application was told, as Kafka's TransactionManager and Sender would have it.
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker_model/client/producer.hpp"
#include "broker_model/cluster_builder.hpp"
#include "sim/world.hpp"

namespace {

using namespace kafka;

// A request as the broker received it.
struct Received {
  ApiKey api = ApiKey::produce;
  sim::Time at;
  std::vector<TopicPartition> partitions;  // AddPartitionsToTxn, Produce
  int64_t producer_id = -1;
  int16_t epoch = -1;
  int32_t base_sequence = -1;              // Produce
  bool committed = false;                  // EndTxn
  std::string key;                         // FindCoordinator
  CoordinatorType key_type = CoordinatorType::group;
  std::string transactional_id;            // Produce, InitProducerId
  bool transactional_batches = false;      // Produce
  int32_t generation = -1;                 // TxnOffsetCommit
  std::string member_id;
  std::optional<std::string> instance_id;
  std::vector<TxnOffsetCommitRequest::Offset> offsets;
};

struct Rig;

class ScriptedBroker final : public sim::Node {
 public:
  explicit ScriptedBroker(Rig& rig) : rig_(rig) {}
  void on_start(sim::Context&) override {}
  void on_message(sim::Context& ctx, sim::NodeId from, const sim::MessagePtr& msg) override;
  void on_timer(sim::Context&, uint64_t) override {}
  void on_disconnect(sim::Context&, sim::NodeId) override {}

 private:
  Rig& rig_;
};

struct Rig {
  sim::World world{1};
  ClusterLayout layout;
  sim::MemorySink trace;
  sim::NodeId producer = sim::kNoNode;
  std::vector<Received> received;
  // The next answers' errors, per API, taken one a request (NONE once used up).
  std::map<ApiKey, std::deque<Error>> errors;
  int64_t producer_id = 1000;
  int16_t epoch = -1;
  bool end_txn_bumps_epoch = false;  // KIP-890 part 2 (EndTxn v5)
  int unanswered_produces = 0;       // the next this many produces get no answer (lost on the way)
  int64_t log_end = 0;

  Rig() {
    const sim::NodeId n = world.add_node("broker-1", [this] { return std::make_unique<ScriptedBroker>(*this); });
    layout.brokers[1] = n;
    world.start(n);
    world.trace().add_sink(&trace);
  }

  Error next_error(ApiKey api) {
    auto& q = errors[api];
    if (q.empty()) return Error::NONE;
    const Error e = q.front();
    q.pop_front();
    return e;
  }

  void start(std::vector<std::pair<std::string, RawValue>> settings, KafkaVersion version = {}) {
    ConfigSet cfg(ConfigScope::producer, version);
    ASSERT_EQ(cfg.set("transactional.id", std::string("tx-1")), "");
    for (const auto& [k, v] : settings) ASSERT_EQ(cfg.set(k, v), "") << k;
    ASSERT_EQ(finalize_producer(cfg), "");
    producer = start_producer(world, layout, "p", cfg, [](const std::string&) { return uint64_t{0}; }, Bugs{});
  }

  Producer& node() { return static_cast<Producer&>(*world.node(producer)); }
  TxnState state() { return node().transaction_manager().state(); }

  // Runs one of the producer's calls on its node.
  void call(std::function<void(Producer&, sim::Context&)> f) {
    world.invoke(producer, [f](sim::Node& n, sim::Context& ctx) { f(static_cast<Producer&>(n), ctx); });
  }
  // The application's send of one record to partition `p` of "t".
  std::shared_ptr<std::optional<SendResult>> send(int32_t p) {
    auto out = std::make_shared<std::optional<SendResult>>();
    SendSpec spec;
    spec.topic = "t";
    spec.partition = p;
    spec.value = "v" + std::to_string(p);
    call([spec, out](Producer& pr, sim::Context& ctx) {
      pr.send(ctx, spec, [out](sim::Context&, const SendResult& r) { *out = r; });
    });
    return out;
  }
  // A transactional call whose result fills in when its callback runs.
  using Result = std::shared_ptr<std::optional<Error>>;
  static TxnCallback into(const Result& r) {
    return [r](sim::Context&, Error e) { *r = e; };
  }
  Result commit() {
    auto r = std::make_shared<std::optional<Error>>();
    call([r](Producer& p, sim::Context& ctx) { p.commit_transaction(ctx, into(r)); });
    return r;
  }
  Result abort() {
    auto r = std::make_shared<std::optional<Error>>();
    call([r](Producer& p, sim::Context& ctx) { p.abort_transaction(ctx, into(r)); });
    return r;
  }
  Result begin() {
    auto r = std::make_shared<std::optional<Error>>();
    call([r](Producer& p, sim::Context& ctx) { p.begin_transaction(ctx, into(r)); });
    return r;
  }

  void run_for(sim::Duration d) { world.run_until(world.now() + d); }
  std::vector<ApiKey> apis() const {
    std::vector<ApiKey> out;
    for (const Received& r : received)
      if (r.api != ApiKey::metadata) out.push_back(r.api);
    return out;
  }
  std::vector<const Received*> of(ApiKey api) const {
    std::vector<const Received*> out;
    for (const Received& r : received)
      if (r.api == api) out.push_back(&r);
    return out;
  }
  std::vector<const sim::StoredEvent*> events(std::string_view kind) const { return trace.of_kind(kind); }
};

template <typename Resp>
std::shared_ptr<Resp> answer(int32_t correlation_id) {
  auto r = std::make_shared<Resp>();
  r->correlation_id = correlation_id;
  return r;
}

void ScriptedBroker::on_message(sim::Context& ctx, sim::NodeId from, const sim::MessagePtr& msg) {
  const KafkaMessage& m = kafka_message(msg);
  Received rec;
  rec.api = m.api();
  rec.at = ctx.now();
  switch (route(m)) {
    case route_of<MetadataRequest>: {
      auto resp = answer<MetadataResponse>(message_as<MetadataRequest>(m).correlation_id);
      resp->brokers = {1};
      MetadataResponse::Topic t{"t", Error::NONE, {}};
      for (int32_t p = 0; p < 2; ++p) t.partitions.push_back({p, Error::NONE, 1, 0, {1}, {1}});
      resp->topics.push_back(std::move(t));
      ctx.send(from, resp);
      break;
    }
    case route_of<FindCoordinatorRequest>: {
      const auto& req = message_as<FindCoordinatorRequest>(m);
      rec.key = req.key;
      rec.key_type = req.key_type;
      auto resp = answer<FindCoordinatorResponse>(req.correlation_id);
      resp->error = rig_.next_error(m.api());
      resp->coordinator = 1;
      ctx.send(from, resp);
      break;
    }
    case route_of<InitProducerIdRequest>: {
      const auto& req = message_as<InitProducerIdRequest>(m);
      rec.transactional_id = req.transactional_id;
      rec.producer_id = req.producer_id;
      rec.epoch = req.producer_epoch;
      auto resp = answer<InitProducerIdResponse>(req.correlation_id);
      resp->error = rig_.next_error(m.api());
      if (resp->error == Error::NONE) ++rig_.epoch;
      resp->producer_id = rig_.producer_id;
      resp->producer_epoch = rig_.epoch;
      ctx.send(from, resp);
      break;
    }
    case route_of<AddPartitionsToTxnRequest>: {
      const auto& req = message_as<AddPartitionsToTxnRequest>(m);
      rec.partitions = req.partitions;
      rec.producer_id = req.producer_id;
      rec.epoch = req.producer_epoch;
      auto resp = answer<AddPartitionsToTxnResponse>(req.correlation_id);
      const Error e = rig_.next_error(m.api());
      for (const TopicPartition& tp : req.partitions) resp->results.push_back({tp, e});
      ctx.send(from, resp);
      break;
    }
    case route_of<AddOffsetsToTxnRequest>: {
      const auto& req = message_as<AddOffsetsToTxnRequest>(m);
      rec.key = req.group_id;
      auto resp = answer<AddOffsetsToTxnResponse>(req.correlation_id);
      resp->error = rig_.next_error(m.api());
      ctx.send(from, resp);
      break;
    }
    case route_of<TxnOffsetCommitRequest>: {
      const auto& req = message_as<TxnOffsetCommitRequest>(m);
      rec.key = req.group_id;
      rec.generation = req.generation_id;
      rec.member_id = req.member_id;
      rec.instance_id = req.group_instance_id;
      rec.offsets = req.offsets;
      rec.producer_id = req.producer_id;
      rec.epoch = req.producer_epoch;
      auto resp = answer<TxnOffsetCommitResponse>(req.correlation_id);
      const Error e = rig_.next_error(m.api());
      for (const auto& o : req.offsets) resp->results.push_back({o.tp, e});
      ctx.send(from, resp);
      break;
    }
    case route_of<EndTxnRequest>: {
      const auto& req = message_as<EndTxnRequest>(m);
      rec.committed = req.committed;
      rec.producer_id = req.producer_id;
      rec.epoch = req.producer_epoch;
      auto resp = answer<EndTxnResponse>(req.correlation_id);
      resp->error = rig_.next_error(m.api());
      if (resp->error == Error::NONE && rig_.end_txn_bumps_epoch) {
        resp->producer_id = rig_.producer_id;
        resp->producer_epoch = ++rig_.epoch;
      }
      ctx.send(from, resp);
      break;
    }
    case route_of<ProduceRequest>: {
      const auto& req = message_as<ProduceRequest>(m);
      rec.transactional_id = req.transactional_id;
      if (rig_.unanswered_produces > 0) {
        --rig_.unanswered_produces;
        for (const auto& pd : req.partitions) {
          rec.partitions.push_back({pd.topic, pd.partition});
          rec.epoch = pd.batch->producer_epoch;
        }
        rig_.received.push_back(std::move(rec));
        return;
      }
      auto resp = answer<ProduceResponse>(req.correlation_id);
      const Error e = rig_.next_error(m.api());
      for (const auto& pd : req.partitions) {
        rec.partitions.push_back({pd.topic, pd.partition});
        rec.transactional_batches = pd.batch->transactional;
        rec.producer_id = pd.batch->producer_id;
        rec.epoch = pd.batch->producer_epoch;
        rec.base_sequence = pd.batch->base_sequence;
        resp->partitions.push_back({pd.topic, pd.partition, e, e == Error::NONE ? rig_.log_end : -1});
        if (e == Error::NONE) rig_.log_end += pd.batch->count();
      }
      ctx.send(from, resp);
      break;
    }
    default: return;
  }
  rig_.received.push_back(std::move(rec));
}

// A producer that has finished initTransactions.
void ready(Rig& rig, std::vector<std::pair<std::string, RawValue>> settings = {}, KafkaVersion version = {}) {
  rig.start(std::move(settings), version);
  rig.run_for(sim::Duration::seconds(1));
  ASSERT_EQ(rig.state(), TxnState::READY);
}

// ---- the state machine ----

TEST(TxnStates, TransitionsAreKafkasIsTransitionValid) {
  using S = TxnState;
  EXPECT_TRUE(is_transition_valid(S::READY, S::IN_TRANSACTION));
  EXPECT_FALSE(is_transition_valid(S::IN_TRANSACTION, S::IN_TRANSACTION)) << "begin twice";
  EXPECT_FALSE(is_transition_valid(S::READY, S::COMMITTING_TRANSACTION)) << "commit without begin";
  EXPECT_FALSE(is_transition_valid(S::ABORTABLE_ERROR, S::COMMITTING_TRANSACTION)) << "an abortable error must be aborted";
  EXPECT_TRUE(is_transition_valid(S::ABORTABLE_ERROR, S::ABORTING_TRANSACTION));
  EXPECT_TRUE(is_transition_valid(S::ABORTING_TRANSACTION, S::INITIALIZING)) << "the abort's epoch bump";
  EXPECT_FALSE(is_transition_valid(S::FATAL_ERROR, S::ABORTING_TRANSACTION)) << "nothing leaves FATAL_ERROR";
  EXPECT_FALSE(is_transition_valid(S::FATAL_ERROR, S::READY));
  for (S s : {S::UNINITIALIZED, S::READY, S::IN_TRANSACTION, S::ABORTABLE_ERROR}) EXPECT_TRUE(is_transition_valid(s, S::FATAL_ERROR));
}

// ---- initTransactions ----

TEST(TxnProducer, InitFindsTheTransactionCoordinatorThenGetsItsIdWithTheTransactionalId) {
  Rig rig;
  rig.errors[ApiKey::init_producer_id] = {Error::CONCURRENT_TRANSACTIONS, Error::COORDINATOR_LOAD_IN_PROGRESS};
  ready(rig, {{"transaction.timeout.ms", 30000}});
  const auto finds = rig.of(ApiKey::find_coordinator);
  ASSERT_EQ(finds.size(), 1u);
  EXPECT_EQ(finds[0]->key, "tx-1");
  EXPECT_EQ(finds[0]->key_type, CoordinatorType::transaction);
  // CONCURRENT_TRANSACTIONS (the previous instance's transaction is being aborted) and a loading
  // coordinator are retried, after retry.backoff.ms each.
  const auto inits = rig.of(ApiKey::init_producer_id);
  ASSERT_EQ(inits.size(), 3u);
  EXPECT_EQ(inits[0]->transactional_id, "tx-1");
  EXPECT_EQ(inits[0]->producer_id, kNoProducerId) << "not an epoch bump";
  EXPECT_GE(inits[2]->at - inits[1]->at, sim::Duration::millis(100));
  EXPECT_EQ(rig.node().transaction_manager().producer_id_and_epoch().producer_id, 1000);
}

// ---- a committed transaction ----

TEST(TxnProducer, PartitionsAreAddedBeforeTheirBatchesAndCommitFlushesBeforeEndTxn) {
  Rig rig;
  ready(rig);
  auto began = rig.begin();
  auto a = rig.send(0);
  auto b = rig.send(1);
  auto committed = rig.commit();
  rig.run_for(sim::Duration::seconds(1));
  ASSERT_EQ(*began, Error::NONE);
  ASSERT_TRUE(*committed);
  EXPECT_EQ(**committed, Error::NONE);
  ASSERT_TRUE(*a && *b);
  EXPECT_EQ((*a)->outcome, Outcome::ok);
  EXPECT_EQ((*b)->outcome, Outcome::ok);
  // AddPartitionsToTxn for each partition as its first record is appended (the second waits
  // for the first's answer: one transactional request at a time), then the produce, then
  // EndTxn(commit) once every batch is done.
  const std::vector<ApiKey> order{ApiKey::find_coordinator, ApiKey::init_producer_id, ApiKey::add_partitions_to_txn,
                                  ApiKey::add_partitions_to_txn, ApiKey::produce, ApiKey::end_txn};
  EXPECT_EQ(rig.apis(), order);
  const auto added = rig.of(ApiKey::add_partitions_to_txn);
  EXPECT_EQ(added[0]->partitions, (std::vector<TopicPartition>{{"t", 0}}));
  EXPECT_EQ(added[1]->partitions, (std::vector<TopicPartition>{{"t", 1}}));
  const auto produced = rig.of(ApiKey::produce);
  EXPECT_EQ(produced[0]->transactional_id, "tx-1");
  EXPECT_TRUE(produced[0]->transactional_batches);
  EXPECT_TRUE(rig.of(ApiKey::end_txn)[0]->committed);
  EXPECT_EQ(rig.state(), TxnState::READY);
  // The trace names the transaction, its sends and its outcome.
  const auto sends = rig.events("producer.txn_send");
  ASSERT_EQ(sends.size(), 2u);
  EXPECT_EQ(sends[0]->integer("txn"), 1);
  const auto ends = rig.events("producer.txn_end");
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_EQ(ends[0]->text("outcome"), "committed");
  EXPECT_EQ(ends[0]->text("partitions"), "t-0,t-1");
  EXPECT_EQ(ends[0]->integer("producer_id"), 1000);
}

TEST(TxnProducer, ABatchWaitsForItsPartitionToBeAdded) {
  // The coordinator answers CONCURRENT_TRANSACTIONS (the last transaction is still completing):
  // nothing is produced until the partition is in the transaction.
  Rig rig;
  ready(rig);
  rig.errors[ApiKey::add_partitions_to_txn] = {Error::CONCURRENT_TRANSACTIONS, Error::CONCURRENT_TRANSACTIONS};
  rig.begin();
  auto a = rig.send(0);
  rig.run_for(sim::Duration::seconds(1));
  ASSERT_TRUE(*a);
  const auto adds = rig.of(ApiKey::add_partitions_to_txn);
  ASSERT_EQ(adds.size(), 3u);
  // The first AddPartitionsToTxn of a transaction retries after 20 ms, not retry.backoff.ms.
  EXPECT_LT(adds[1]->at - adds[0]->at, sim::Duration::millis(50));
  EXPECT_GT(rig.of(ApiKey::produce)[0]->at, adds[2]->at);
}

// ---- abort ----

TEST(TxnProducer, AbortDropsBatchesNotYetSent) {
  // The abort comes while the partition is being added: its batch was never drained, so it is
  // dropped (abortUndrainedBatches) and never produced; the partition was added, so EndTxn(abort).
  Rig rig;
  ready(rig);
  rig.begin();
  auto a = rig.send(0);
  auto aborted = rig.abort();
  rig.run_for(sim::Duration::seconds(1));
  ASSERT_TRUE(*a);
  EXPECT_EQ((*a)->outcome, Outcome::fail) << "never sent";
  EXPECT_EQ((*a)->error, Error::CLIENT_TRANSACTION_ABORTED);
  EXPECT_EQ(**aborted, Error::NONE);
  EXPECT_TRUE(rig.of(ApiKey::produce).empty());
  ASSERT_EQ(rig.of(ApiKey::end_txn).size(), 1u);
  EXPECT_FALSE(rig.of(ApiKey::end_txn)[0]->committed);
  EXPECT_EQ(rig.events("producer.txn_end")[0]->text("outcome"), "aborted");
  EXPECT_EQ(rig.state(), TxnState::READY);
}

TEST(TxnProducer, ATransactionThatAddedNothingEndsWithoutEndTxn) {
  Rig rig;
  ready(rig);
  rig.begin();
  auto committed = rig.commit();
  rig.run_for(sim::Duration::millis(100));
  EXPECT_EQ(**committed, Error::NONE);
  EXPECT_TRUE(rig.of(ApiKey::end_txn).empty());
  EXPECT_EQ(rig.events("producer.txn_end")[0]->text("outcome"), "committed");
  EXPECT_EQ(rig.state(), TxnState::READY);
}

TEST(TxnProducer, AbortAfterWritesSendsEndTxnAbort) {
  Rig rig;
  ready(rig);
  rig.begin();
  auto a = rig.send(0);
  rig.run_for(sim::Duration::millis(500));
  ASSERT_TRUE(*a);
  auto aborted = rig.abort();
  rig.run_for(sim::Duration::millis(500));
  EXPECT_EQ(**aborted, Error::NONE);
  const auto ends = rig.of(ApiKey::end_txn);
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_FALSE(ends[0]->committed);
  EXPECT_EQ(rig.events("producer.txn_end")[0]->text("outcome"), "aborted");
}

// ---- errors ----

TEST(TxnProducer, FencedIsFatalAndFailsEveryLaterCall) {
  Rig rig;
  ready(rig);
  rig.errors[ApiKey::end_txn] = {Error::PRODUCER_FENCED};
  rig.begin();
  rig.send(0);
  auto committed = rig.commit();
  rig.run_for(sim::Duration::seconds(1));
  EXPECT_EQ(**committed, Error::PRODUCER_FENCED);
  EXPECT_EQ(rig.state(), TxnState::FATAL_ERROR);
  const auto ends = rig.events("producer.txn_end");
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_EQ(ends[0]->text("outcome"), "failed");
  EXPECT_EQ(ends[0]->text("error"), "PRODUCER_FENCED");
  // Nothing works any more.
  EXPECT_EQ(**rig.begin(), Error::PRODUCER_FENCED);
  auto late = rig.send(1);
  rig.run_for(sim::Duration::millis(100));
  ASSERT_TRUE(*late);
  EXPECT_EQ((*late)->outcome, Outcome::fail);
  EXPECT_EQ(rig.of(ApiKey::end_txn).size(), 1u);
}

TEST(TxnProducer, TheCoordinatorsInvalidProducerEpochIsFencedToo) {
  Rig rig;
  ready(rig);
  rig.errors[ApiKey::add_partitions_to_txn] = {Error::INVALID_PRODUCER_EPOCH};
  rig.begin();
  auto a = rig.send(0);
  rig.run_for(sim::Duration::seconds(1));
  EXPECT_EQ(rig.state(), TxnState::FATAL_ERROR);
  EXPECT_EQ(rig.node().transaction_manager().last_error(), Error::PRODUCER_FENCED);
  ASSERT_TRUE(*a);
  EXPECT_EQ((*a)->outcome, Outcome::fail) << "its batch was never sent";
}

// The abort's InitProducerId bumped the epoch of the same producer id (1000, epoch 0 to 1), and
// the next transaction, sending to `partition`, goes under the new epoch and commits.
void expect_epoch_bumped_and_next_commits(Rig& rig, int32_t partition) {
  const auto inits = rig.of(ApiKey::init_producer_id);
  ASSERT_EQ(inits.size(), 2u) << "the abort bumps the epoch";
  EXPECT_EQ(inits[1]->producer_id, 1000) << "an epoch bump of the same id";
  EXPECT_EQ(inits[1]->epoch, 0);
  rig.begin();
  rig.send(partition);
  rig.commit();
  rig.run_for(sim::Duration::millis(500));
  EXPECT_EQ(rig.of(ApiKey::produce).back()->epoch, 1);
  EXPECT_EQ(rig.events("producer.txn_end").back()->text("outcome"), "committed");
}

TEST(TxnProducer, AFailedBatchMakesTheTransactionAbortableAndTheAbortBumpsTheEpoch) {
  // A produce's INVALID_PRODUCER_EPOCH is abortable since KIP-588: commit fails, the
  // application aborts, and the abort asks the coordinator for a new epoch (KIP-360).
  Rig rig;
  ready(rig);
  rig.errors[ApiKey::produce] = {Error::INVALID_PRODUCER_EPOCH};
  rig.begin();
  auto a = rig.send(0);
  rig.run_for(sim::Duration::millis(500));
  ASSERT_TRUE(*a);
  EXPECT_EQ((*a)->outcome, Outcome::fail);
  EXPECT_EQ(rig.state(), TxnState::ABORTABLE_ERROR);
  auto committed = rig.commit();
  EXPECT_EQ(**committed, Error::INVALID_PRODUCER_EPOCH) << "commitTransaction throws; the app must abort";
  EXPECT_TRUE(rig.of(ApiKey::end_txn).empty());
  auto aborted = rig.abort();
  rig.run_for(sim::Duration::millis(500));
  EXPECT_EQ(**aborted, Error::NONE);
  EXPECT_EQ(rig.state(), TxnState::READY);
  const auto ends = rig.of(ApiKey::end_txn);
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_FALSE(ends[0]->committed);
  expect_epoch_bumped_and_next_commits(rig, 1);
}

TEST(TxnProducer, ABatchRetriedThenExpiredDuringCommitStillBumpsTheEpochOnAbort) {
  // The batch is sent, gets no answer, is retried, and expires while commitTransaction waits for
  // it: maybeTransitionToErrorState does not ask for a bump while completing, but the batch left
  // its sequence unresolved (it was retried), and once nothing of the partition is in flight
  // maybeResolveSequences makes a transactional producer abortable with epochBumpRequired. The
  // abort's InitProducerId then bumps the epoch, so a late first attempt cannot join a later
  // transaction under the old epoch.
  Rig rig;
  ready(rig, {{"request.timeout.ms", 2000}, {"delivery.timeout.ms", 3000}, {"linger.ms", 0}});
  rig.unanswered_produces = 2;
  rig.begin();
  auto a = rig.send(0);
  rig.run_for(sim::Duration::millis(100));
  auto committed = rig.commit();
  rig.run_for(sim::Duration::seconds(6));
  ASSERT_EQ(rig.of(ApiKey::produce).size(), 2u) << "the first attempt and its retry";
  ASSERT_TRUE(*a);
  EXPECT_EQ((*a)->error, Error::CLIENT_DELIVERY_TIMEOUT);
  ASSERT_TRUE(*committed);
  EXPECT_NE(**committed, Error::NONE);
  EXPECT_EQ(rig.state(), TxnState::ABORTABLE_ERROR);
  EXPECT_EQ(rig.node().transaction_manager().last_error(), Error::CLIENT_UNRESOLVED_SEQUENCE);
  auto aborted = rig.abort();
  rig.run_for(sim::Duration::seconds(1));
  EXPECT_EQ(**aborted, Error::NONE);
  EXPECT_EQ(rig.state(), TxnState::READY);
  expect_epoch_bumped_and_next_commits(rig, 0);
}

TEST(TxnProducer, AGapFoundWhileAbortingLeavesTheProducerInitializingWithNoBumpSent) {
  // Kafka 3.9's own quirk, kept: the batch expires in retry while abortTransaction waits for it
  // (no bump asked: the transaction is completing). When its partition is resolved the gap sets
  // epochBumpRequired, but the abort's requests were queued already without InitProducerId
  // (beginCompletingTransaction). EndTxn's success then moves to INITIALIZING
  // (completeTransaction) and nothing sends InitProducerId (bumpIdempotentEpochAndResetIdIfNeeded
  // is not for transactional producers): beginTransaction fails from then on.
  Rig rig;
  ready(rig, {{"request.timeout.ms", 2000}, {"delivery.timeout.ms", 3000}, {"linger.ms", 0}});
  rig.unanswered_produces = 2;
  rig.begin();
  auto a = rig.send(0);
  rig.run_for(sim::Duration::millis(100));
  auto aborted = rig.abort();
  rig.run_for(sim::Duration::seconds(6));
  ASSERT_TRUE(*a);
  EXPECT_EQ((*a)->error, Error::CLIENT_DELIVERY_TIMEOUT);
  ASSERT_TRUE(*aborted);
  EXPECT_EQ(**aborted, Error::NONE);
  EXPECT_EQ(rig.of(ApiKey::end_txn).size(), 1u);
  EXPECT_EQ(rig.of(ApiKey::init_producer_id).size(), 1u) << "no epoch bump is sent";
  EXPECT_EQ(rig.state(), TxnState::INITIALIZING);
  EXPECT_EQ(**rig.begin(), Error::INVALID_TXN_STATE);
}

TEST(TxnProducer, OutOfOrderSequenceIsNotRetriedByATransactionalProducer) {
  // TransactionManager.canRetry bumps the epoch and retries OUT_OF_ORDER_SEQUENCE_NUMBER only
  // for an idempotent producer; a transactional one cannot bump locally, so the batch fails
  // (OutOfOrderSequenceException is not retriable) and the transaction must be aborted.
  Rig rig;
  ready(rig);
  rig.errors[ApiKey::produce] = {Error::OUT_OF_ORDER_SEQUENCE_NUMBER};
  rig.begin();
  auto a = rig.send(0);
  rig.run_for(sim::Duration::millis(500));
  ASSERT_TRUE(*a);
  EXPECT_EQ((*a)->outcome, Outcome::fail);
  EXPECT_EQ((*a)->error, Error::OUT_OF_ORDER_SEQUENCE_NUMBER);
  EXPECT_EQ(rig.of(ApiKey::produce).size(), 1u) << "not retried";
  EXPECT_EQ(rig.state(), TxnState::ABORTABLE_ERROR);
  EXPECT_EQ(rig.node().transaction_manager().producer_id_and_epoch().epoch, 0) << "no local bump";
}

TEST(TxnProducer, ABatchFailedDuringCommitGivesItsSequenceBackToTheNextTransaction) {
  // A batch refused for good with retries left while commitTransaction waits: no epoch bump
  // (the transaction is completing), so the abort keeps the epoch, and the next transaction
  // must start at the sequence the refused batch would have taken
  // (TxnPartitionMap.adjustSequencesDueToFailedBatch), or the partition would see a gap.
  Rig rig;
  ready(rig);
  rig.errors[ApiKey::produce] = {Error::INVALID_RECORD};
  rig.begin();
  auto a = rig.send(0);
  auto committed = rig.commit();
  rig.run_for(sim::Duration::millis(500));
  ASSERT_TRUE(*a);
  EXPECT_EQ((*a)->error, Error::INVALID_RECORD);
  EXPECT_EQ(**committed, Error::INVALID_RECORD);
  auto aborted = rig.abort();
  rig.run_for(sim::Duration::millis(500));
  EXPECT_EQ(**aborted, Error::NONE);
  EXPECT_EQ(rig.of(ApiKey::init_producer_id).size(), 1u) << "no epoch bump";
  rig.begin();
  auto b = rig.send(0);
  rig.commit();
  rig.run_for(sim::Duration::millis(500));
  const auto produced = rig.of(ApiKey::produce);
  ASSERT_EQ(produced.size(), 2u);
  EXPECT_EQ(produced[1]->epoch, 0);
  EXPECT_EQ(produced[1]->base_sequence, 0) << "the refused batch's sequence, given back";
  EXPECT_EQ((*b)->outcome, Outcome::ok);
}

TEST(TxnProducer, CallsTheStateDoesNotAllowFailWithoutChangingIt) {
  Rig rig;
  ready(rig);
  EXPECT_EQ(**rig.commit(), Error::INVALID_TXN_STATE) << "commit without begin";
  auto out = rig.send(0);
  rig.run_for(sim::Duration::millis(100));
  EXPECT_EQ((*out)->error, Error::INVALID_TXN_STATE) << "a send outside a transaction";
  EXPECT_EQ(**rig.begin(), Error::NONE);
  EXPECT_EQ(**rig.begin(), Error::INVALID_TXN_STATE) << "begin twice";
  EXPECT_EQ(rig.state(), TxnState::IN_TRANSACTION);
  EXPECT_EQ(rig.events("producer.txn_call").size(), 2u + 0u) << "commit and the second begin";
}

// ---- offsets ----

TEST(TxnProducer, OffsetsGoToTheGroupCoordinatorWithTheMembersMetadata) {
  Rig rig;
  ready(rig);
  rig.begin();
  auto sent = std::make_shared<std::optional<Error>>();
  rig.call([sent](Producer& p, sim::Context& ctx) {
    p.send_offsets_to_transaction(ctx, {{{"in", 0}, 42, -1}}, {"g", 5, "m-1", std::string("i-1")}, Rig::into(sent));
  });
  auto committed = rig.commit();
  rig.run_for(sim::Duration::seconds(1));
  EXPECT_EQ(**sent, Error::NONE);
  EXPECT_EQ(**committed, Error::NONE);
  // AddOffsetsToTxn to the transaction coordinator, then the group's coordinator found and
  // TxnOffsetCommit; EndTxn goes although no partition was written.
  const std::vector<ApiKey> order{ApiKey::find_coordinator, ApiKey::init_producer_id, ApiKey::add_offsets_to_txn,
                                  ApiKey::find_coordinator, ApiKey::txn_offset_commit, ApiKey::end_txn};
  EXPECT_EQ(rig.apis(), order);
  EXPECT_EQ(rig.of(ApiKey::add_offsets_to_txn)[0]->key, "g");
  EXPECT_EQ(rig.of(ApiKey::find_coordinator)[1]->key_type, CoordinatorType::group);
  const Received& commit = *rig.of(ApiKey::txn_offset_commit)[0];
  EXPECT_EQ(commit.generation, 5);
  EXPECT_EQ(commit.member_id, "m-1");
  EXPECT_EQ(commit.instance_id, std::optional<std::string>("i-1"));
  ASSERT_EQ(commit.offsets.size(), 1u);
  EXPECT_EQ(commit.offsets[0].offset, 42);
  EXPECT_EQ(rig.events("producer.txn_end")[0]->text("offsets_groups"), "g");
}

TEST(TxnProducer, AStaleGenerationsOffsetsMakeTheTransactionAbortable) {
  // KIP-447: the group coordinator refuses a zombie's offsets; only this transaction is lost.
  Rig rig;
  ready(rig);
  rig.errors[ApiKey::txn_offset_commit] = {Error::ILLEGAL_GENERATION};
  rig.begin();
  auto sent = std::make_shared<std::optional<Error>>();
  rig.call([sent](Producer& p, sim::Context& ctx) {
    p.send_offsets_to_transaction(ctx, {{{"in", 0}, 7, -1}}, {"g", 3, "m-1", std::nullopt}, Rig::into(sent));
  });
  rig.run_for(sim::Duration::seconds(1));
  EXPECT_EQ(**sent, Error::ILLEGAL_GENERATION);
  EXPECT_EQ(rig.state(), TxnState::ABORTABLE_ERROR);
}

// ---- the application thread (p:begin, p:commit, ... in a scenario) ----

void app(Rig& rig, Producer::TxnCall call) {
  rig.call([call](Producer& p, sim::Context& ctx) { p.app_txn(ctx, call); });
}
void app_send(Rig& rig, int32_t partition) {
  SendSpec spec;
  spec.topic = "t";
  spec.partition = partition;
  rig.call([spec](Producer& p, sim::Context& ctx) { p.app_send(ctx, spec, false); });
}

TEST(TxnAppThread, CallsQueuedBehindInitTransactionsRunInOrderOnceItIsDone) {
  // The script's calls are made at once; the thread is blocked in initTransactions, then in
  // each commit, so every transaction begins after the previous one ended.
  Rig rig;
  rig.start({});
  app(rig, Producer::TxnCall::begin);
  app(rig, Producer::TxnCall::commit);  // an empty transaction: it ends without EndTxn
  for (int i = 0; i < 2; ++i) {
    app(rig, Producer::TxnCall::begin);
    app_send(rig, i);
    app(rig, Producer::TxnCall::commit);
  }
  rig.run_for(sim::Duration::seconds(2));
  const auto ends = rig.events("producer.txn_end");
  ASSERT_EQ(ends.size(), 3u);
  for (const auto* e : ends) EXPECT_EQ(e->text("outcome"), "committed");
  EXPECT_TRUE(rig.events("producer.txn_call").empty()) << "no call failed";
  EXPECT_EQ(rig.of(ApiKey::end_txn).size(), 2u);
}

TEST(TxnAppThread, ACommitThatFailsAbortablyIsFollowedByAnAbort) {
  // TRANSACTION_ABORTABLE from EndTxn(commit): commitTransaction throws, and the application
  // aborts as KafkaProducer's javadoc does; the next transaction runs.
  Rig rig;
  rig.errors[ApiKey::end_txn] = {Error::TRANSACTION_ABORTABLE};
  rig.start({});
  app(rig, Producer::TxnCall::begin);
  app_send(rig, 0);
  app(rig, Producer::TxnCall::commit);
  app(rig, Producer::TxnCall::begin);
  app_send(rig, 1);
  app(rig, Producer::TxnCall::commit);
  rig.run_for(sim::Duration::seconds(2));
  const auto ends = rig.of(ApiKey::end_txn);
  ASSERT_EQ(ends.size(), 3u);
  EXPECT_TRUE(ends[0]->committed);
  EXPECT_FALSE(ends[1]->committed) << "the application's abort";
  EXPECT_TRUE(ends[2]->committed);
  const auto outcomes = rig.events("producer.txn_end");
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0]->text("outcome"), "aborted");
  EXPECT_EQ(outcomes[1]->text("outcome"), "committed");
  EXPECT_EQ(rig.state(), TxnState::READY);
}

// ---- Kafka 4.0 (KIP-890 part 2) ----

TEST(TxnProducer, From40TheEpochEndTxnReturnsIsTheNextTransactions) {
  Rig rig;
  rig.end_txn_bumps_epoch = true;
  ready(rig, {}, KafkaVersion{4, 0});
  for (int i = 0; i < 2; ++i) {
    rig.begin();
    rig.send(0);
    rig.commit();
    rig.run_for(sim::Duration::millis(500));
  }
  const auto produced = rig.of(ApiKey::produce);
  ASSERT_EQ(produced.size(), 2u);
  EXPECT_EQ(produced[0]->epoch, 0);
  EXPECT_EQ(produced[1]->epoch, 1);
}

}  // namespace
