// The transaction coordinator as a broker runs it, driven request by request from a probe
// node (the producer whose every request the test writes), with the data partitions led by a
// broker whose front answers WriteTxnMarkers itself (a fake partition leader the test can make
// fail or hold): InitProducerId and its fencing (TransactionCoordinator.handleInitProducerId),
// AddPartitionsToTxn and its verification (KIP-890), EndTxn with its markers and Complete
// state, CONCURRENT_TRANSACTIONS while a transition is pending, transaction.timeout.ms expiry,
// a new coordinator resuming the markers of a transaction it loads in PrepareCommit, and
// KIP-890 part 2's epoch bump per transaction at Kafka 4.0.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "broker_model/client/partitioner.hpp"
#include "broker_model/protocol/group_messages.hpp"
#include "broker_model/protocol/txn_messages.hpp"
#include "probe_client.hpp"

namespace kafkasim_test {
namespace {

using kafka::Error;
using kafka::TopicPartition;
using kafka::TransactionState;
using sim::Duration;

const std::string kTxnId = "orders-writer";
const std::string kTopic = "orders";
constexpr kafka::BrokerId kDataLeader = 3;

// What the fake partition leader received, and how it answers: `answer` per partition
// (NONE by default), nothing at all while `hold` is set (the test releases them later).
struct MarkerDesk {
  std::vector<std::shared_ptr<const kafka::WriteTxnMarkersRequest>> received;
  std::vector<std::pair<sim::NodeId, std::shared_ptr<const kafka::WriteTxnMarkersRequest>>> held;
  std::function<Error(const TopicPartition&)> answer = [](const TopicPartition&) { return Error::NONE; };
  bool hold = false;
};

std::shared_ptr<kafka::WriteTxnMarkersResponse> answer_markers(const kafka::WriteTxnMarkersRequest& req, MarkerDesk& desk) {
  auto resp = std::make_shared<kafka::WriteTxnMarkersResponse>();
  resp->correlation_id = req.correlation_id;
  for (const auto& marker : req.markers) {
    kafka::WriteTxnMarkersResponse::MarkerResult result;
    result.producer_id = marker.producer_id;
    for (const TopicPartition& tp : marker.partitions) result.partitions.push_back({tp, desk.answer(tp)});
    resp->markers.push_back(std::move(result));
  }
  return resp;
}

// Broker 3 behind a front that takes the coordinator's markers for the data partitions.
class MarkerLeader final : public BrokerFront {
 public:
  MarkerLeader(std::unique_ptr<kafka::Broker> inner, MarkerDesk& desk) : inner_(std::move(inner)), desk_(desk) {}
  const kafka::Broker& broker() const override { return *inner_; }
  void on_start(sim::Context& ctx) override { inner_->on_start(ctx); }
  void on_message(sim::Context& ctx, sim::NodeId from, const sim::MessagePtr& msg) override {
    auto markers = std::dynamic_pointer_cast<const kafka::WriteTxnMarkersRequest>(msg);
    if (!markers) return inner_->on_message(ctx, from, msg);
    desk_.received.push_back(markers);
    if (desk_.hold) desk_.held.emplace_back(from, markers);
    else ctx.send(from, answer_markers(*markers, desk_));
  }
  void on_timer(sim::Context& ctx, uint64_t tag) override { inner_->on_timer(ctx, tag); }
  void on_disconnect(sim::Context& ctx, sim::NodeId peer) override { inner_->on_disconnect(ctx, peer); }
  void on_shutdown(sim::Context& ctx) override { inner_->on_shutdown(ctx); }
  std::string invariants() const override { return inner_->invariants(); }

 private:
  std::unique_ptr<kafka::Broker> inner_;
  MarkerDesk& desk_;
};

class TxnCoordinator : public ::testing::Test {
 protected:
  explicit TxnCoordinator(kafka::KafkaVersion version = {}) : c_(options(version, desk_)) {
    kafka::TopicSpec orders;
    orders.name = kTopic;
    orders.partitions = 2;
    orders.assignment = {{kDataLeader}, {kDataLeader}};
    c_.topic(orders);
    c_.transaction_state_topic();
    probe_.emplace(c_, "producer");
    // The new leader of __transaction_state is still loading it when the first request comes.
    auto early = std::make_shared<kafka::InitProducerIdRequest>();
    early->transactional_id = "early";
    first_error_ = call<kafka::InitProducerIdResponse>(early)->error;
    c_.run_for(Duration::millis(50));
  }

  static TestCluster::Options options(kafka::KafkaVersion version, MarkerDesk& desk) {
    TestCluster::Options o;
    o.kafka_version = version;
    o.broker = {{"transaction.state.log.num.partitions", 1},
                {"transaction.abort.timed.out.transaction.cleanup.interval.ms", 500},
                {"transaction.max.timeout.ms", 120000}};
    o.fronted = {kDataLeader};
    o.front = [&desk](kafka::BrokerId, std::unique_ptr<kafka::Broker> inner) {
      return std::make_unique<MarkerLeader>(std::move(inner), desk);
    };
    return o;
  }

  // Sends `req` to `to` (the coordinator by default) and returns the response, once it came.
  template <typename Resp, typename Req>
  const Resp* call(std::shared_ptr<Req> req, sim::NodeId to = sim::kNoNode) {
    return probe_->call<Resp>(to == sim::kNoNode ? c_.txn_coordinator(kTxnId) : to, std::move(req), Duration::seconds(10));
  }

  const kafka::InitProducerIdResponse* init(int64_t producer_id = kafka::kNoProducerId, int16_t epoch = -1,
                                                            int32_t timeout_ms = 60000) {
    auto req = std::make_shared<kafka::InitProducerIdRequest>();
    req->transactional_id = kTxnId;
    req->transaction_timeout_ms = timeout_ms;
    req->producer_id = producer_id;
    req->producer_epoch = epoch;
    return call<kafka::InitProducerIdResponse>(req);
  }

  // AddPartitionsToTxn (verify_only: KIP-890's question from a leader): each partition's error.
  std::vector<Error> add(int64_t producer_id, int16_t epoch, std::vector<TopicPartition> partitions, bool verify_only = false) {
    auto req = std::make_shared<kafka::AddPartitionsToTxnRequest>();
    req->transactional_id = kTxnId;
    req->producer_id = producer_id;
    req->producer_epoch = epoch;
    req->partitions = std::move(partitions);
    req->verify_only = verify_only;
    auto resp = call<kafka::AddPartitionsToTxnResponse>(req);
    std::vector<Error> errors;
    if (resp)
      for (const auto& r : resp->results) errors.push_back(r.error);
    return errors;
  }

  const kafka::EndTxnResponse* end(int64_t producer_id, int16_t epoch, bool commit) {
    auto req = std::make_shared<kafka::EndTxnRequest>();
    req->transactional_id = kTxnId;
    req->producer_id = producer_id;
    req->producer_epoch = epoch;
    req->committed = commit;
    return call<kafka::EndTxnResponse>(req);
  }

  // The id as its coordinator holds it (null when it holds none).
  const kafka::TransactionMetadata* txn() {
    for (kafka::BrokerId b = 1; b <= 3; ++b) {
      if (c_.node(b) != c_.txn_coordinator(kTxnId)) continue;
      const kafka::Broker* broker = c_.broker(b);
      if (!broker) return nullptr;
      auto it = broker->transactions().find(kTxnId);
      return it == broker->transactions().end() ? nullptr : &it->second;
    }
    return nullptr;
  }

  bool reaches(TransactionState s, Duration limit = Duration::seconds(10)) {
    return c_.run_until([&] { return txn() && txn()->state() == s && !txn()->pending_transition_in_progress(); }, limit);
  }

  // The "from>to" of every txn.state event, in order.
  std::vector<std::string> transitions() {
    std::vector<std::string> out;
    for (const auto* e : c_.events("txn.state")) out.push_back(e->text("from") + ">" + e->text("to"));
    return out;
  }

  // Answers the held markers (with `desk_.answer`) and stops holding.
  void release() {
    desk_.hold = false;
    auto held = std::move(desk_.held);
    desk_.held.clear();
    c_.world().invoke(c_.node(kDataLeader), [this, held](sim::Node&, sim::Context& ctx) {
      for (const auto& [to, req] : held) ctx.send(to, answer_markers(*req, desk_));
    });
  }

  MarkerDesk desk_;  // before the cluster, whose broker 3 holds a reference to it
  TestCluster c_;
  std::optional<ProbeClient> probe_;  // the transactional producer
  Error first_error_ = Error::NONE;
  const TopicPartition p0_{kTopic, 0};
  const TopicPartition p1_{kTopic, 1};
};


// partitionFor: Utils.abs(String.hashCode) % partitions, with Java's values.
TEST(TxnPartitioning, JavaStringHashModuloThePartitions) {
  EXPECT_EQ(kafka::java_string_hash("orders-writer"), 819761243);
  EXPECT_EQ(kafka::java_string_hash("my-txn"), -1061187895);
  EXPECT_EQ(kafka::coordinator_partition("orders-writer", 50), 43);
  EXPECT_EQ(kafka::coordinator_partition("my-txn", 50), 45);  // abs of a negative hash
  // "polygenelubricants".hashCode() is Integer.MIN_VALUE, which Utils.abs maps to 0.
  EXPECT_EQ(kafka::coordinator_partition("polygenelubricants", 50), 0);
}

TEST_F(TxnCoordinator, FindCoordinatorAnswersTheLeaderOfTheIdsPartition) {
  auto find = std::make_shared<kafka::FindCoordinatorRequest>();
  find->key = kTxnId;
  find->key_type = kafka::CoordinatorType::transaction;
  auto resp = call<kafka::FindCoordinatorResponse>(find, c_.node(2));
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->error, Error::NONE);
  EXPECT_EQ(resp->coordinator, c_.leader("__transaction_state", 0));
  // Any other broker is not the coordinator, and says so.
  const kafka::BrokerId other = resp->coordinator == 1 ? 2 : 1;
  auto req = std::make_shared<kafka::InitProducerIdRequest>();
  req->transactional_id = kTxnId;
  auto refused = call<kafka::InitProducerIdResponse>(req, c_.node(other));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->error, Error::NOT_COORDINATOR);
}

TEST(TxnCoordinatorDiscovery, NoTransactionStateTopicIsCoordinatorNotAvailable) {
  TestCluster c;
  ProbeClient probe(c, "producer");
  // Broker 1 takes connections once the controller has unfenced it.
  ASSERT_TRUE(c.run_until([&] { return !c.events("broker.listening", c.node(1)).empty(); }, Duration::seconds(5)));
  auto req = std::make_shared<kafka::InitProducerIdRequest>();
  req->transactional_id = kTxnId;
  const auto* resp = probe.call<kafka::InitProducerIdResponse>(c.node(1), req);
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->error, Error::COORDINATOR_NOT_AVAILABLE);
}

TEST_F(TxnCoordinator, InitProducerIdBumpsTheEpochAndFencesOlderInstances) {
  EXPECT_EQ(first_error_, Error::COORDINATOR_LOAD_IN_PROGRESS);
  auto first = init();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->error, Error::NONE);
  EXPECT_EQ(first->producer_epoch, 0);
  auto second = init();  // a new instance: same producer id, next epoch
  ASSERT_TRUE(second);
  EXPECT_EQ(second->producer_id, first->producer_id);
  EXPECT_EQ(second->producer_epoch, 1);
  // KIP-360: an instance naming an epoch that is neither current nor last is fenced...
  EXPECT_EQ(init(first->producer_id, 0)->error, Error::PRODUCER_FENCED);
  // ...and the current one recovers by bumping its own epoch.
  auto recovered = init(first->producer_id, 1);
  EXPECT_EQ(recovered->error, Error::NONE);
  EXPECT_EQ(recovered->producer_epoch, 2);
  EXPECT_EQ(init(-1, -1, 200000)->error, Error::INVALID_TRANSACTION_TIMEOUT);  // above transaction.max.timeout.ms
  EXPECT_EQ(transitions(), (std::vector<std::string>{"Empty>Empty", "Empty>Empty", "Empty>Empty"}));
}

TEST_F(TxnCoordinator, CommitWritesPrepareThenMarkersThenComplete) {
  auto id = init();
  EXPECT_EQ(add(id->producer_id, 0, {p0_, p1_}), (std::vector<Error>{Error::NONE, Error::NONE}));
  ASSERT_TRUE(txn());
  EXPECT_EQ(txn()->state(), TransactionState::ongoing);
  EXPECT_EQ(add(id->producer_id, 1, {p0_}), (std::vector<Error>{Error::PRODUCER_FENCED}));
  EXPECT_EQ(add(id->producer_id + 1, 0, {p0_}), (std::vector<Error>{Error::INVALID_PRODUCER_ID_MAPPING}));
  auto ended = end(id->producer_id, 0, true);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->error, Error::NONE);
  ASSERT_TRUE(reaches(TransactionState::complete_commit));
  // One COMMIT marker for both partitions, at the transaction's epoch, to their leader.
  ASSERT_EQ(desk_.received.size(), 1u);
  const auto& marker = desk_.received[0]->markers.at(0);
  EXPECT_TRUE(marker.committed);
  EXPECT_EQ(marker.producer_id, id->producer_id);
  EXPECT_EQ(marker.producer_epoch, 0);
  EXPECT_EQ(marker.partitions, (std::vector<TopicPartition>{p0_, p1_}));
  EXPECT_TRUE(txn()->partitions().empty());
  EXPECT_EQ(transitions(), (std::vector<std::string>{"Empty>Empty", "Empty>Ongoing", "Ongoing>PrepareCommit",
                                                     "PrepareCommit>CompleteCommit"}));
  // A retried commit is answered NONE; an abort of a committed transaction is not.
  EXPECT_EQ(end(id->producer_id, 0, true)->error, Error::NONE);
  EXPECT_EQ(end(id->producer_id, 0, false)->error, Error::INVALID_TXN_STATE);
  EXPECT_EQ(end(id->producer_id, 0, true)->producer_epoch, -1) << "no epoch returned before KIP-890 part 2";
}

TEST_F(TxnCoordinator, AddOffsetsAddsTheGroupsOffsetsPartition) {
  c_.offsets_topic();
  auto id = init();
  auto req = std::make_shared<kafka::AddOffsetsToTxnRequest>();
  req->transactional_id = kTxnId;
  req->producer_id = id->producer_id;
  req->producer_epoch = 0;
  req->group_id = "readers";
  ASSERT_EQ(call<kafka::AddOffsetsToTxnResponse>(req)->error, Error::NONE);
  ASSERT_TRUE(txn());  // offsets.topic.num.partitions = 50
  EXPECT_EQ(txn()->partitions(), (std::set<TopicPartition>{{"__consumer_offsets", kafka::coordinator_partition("readers", 50)}}));
}

TEST_F(TxnCoordinator, AbortRetriesAMarkerTheLeaderRefused) {
  auto id = init();
  add(id->producer_id, 0, {p0_, p1_});
  int refusals = 0;
  desk_.answer = [&refusals, this](const TopicPartition& tp) {
    return tp == p0_ && refusals++ == 0 ? Error::NOT_LEADER_OR_FOLLOWER : Error::NONE;
  };
  EXPECT_EQ(end(id->producer_id, 0, false)->error, Error::NONE);
  ASSERT_TRUE(reaches(TransactionState::complete_abort));
  ASSERT_EQ(desk_.received.size(), 2u) << "orders-0's marker is sent again";
  EXPECT_FALSE(desk_.received[1]->markers.at(0).committed);
  EXPECT_EQ(desk_.received[1]->markers.at(0).partitions, (std::vector<TopicPartition>{p0_}));
  EXPECT_EQ(c_.events("txn.marker_answered").size(), 3u);
}

TEST_F(TxnCoordinator, MarkersLostWithTheirLeaderWaitForTheNextOne) {
  auto id = init();
  add(id->producer_id, 0, {p0_});
  desk_.hold = true;
  EXPECT_EQ(end(id->producer_id, 0, true)->error, Error::NONE);
  ASSERT_TRUE(c_.run_until([&] { return desk_.held.size() == 1; }, Duration::seconds(5)));
  // orders-0's only replica goes down with the marker unanswered: the connection breaks, the
  // partition has no leader, and the marker waits for one.
  c_.crash(c_.node(kDataLeader));
  desk_.held.clear();
  desk_.hold = false;
  c_.run_for(Duration::seconds(15));
  EXPECT_EQ(txn()->state(), TransactionState::prepare_commit);
  EXPECT_EQ(desk_.received.size(), 1u);
  c_.restart(c_.node(kDataLeader));
  ASSERT_TRUE(reaches(TransactionState::complete_commit, Duration::seconds(30)));
  ASSERT_EQ(desk_.received.size(), 2u);
  EXPECT_EQ(desk_.received[1]->markers.at(0).partitions, (std::vector<TopicPartition>{p0_}));
}

TEST_F(TxnCoordinator, AWriteBelowTheMinIsrChangesNothing) {
  auto id = init();
  // __transaction_state needs transaction.state.log.min.isr = 2 in sync: leave its leader alone.
  const sim::NodeId coordinator = c_.txn_coordinator(kTxnId);
  std::vector<sim::NodeId> others;
  for (kafka::BrokerId b = 1; b <= 3; ++b)
    if (c_.node(b) != coordinator) others.push_back(c_.node(b));
  for (sim::NodeId n : others) c_.crash(n);
  ASSERT_TRUE(c_.run_until([&] { return c_.registration("__transaction_state", 0)->isr.size() == 1; }, Duration::seconds(60)));
  c_.run_for(Duration::seconds(1));  // the leader learns its ISR from the metadata log
  EXPECT_EQ(add(id->producer_id, 0, {p0_}), (std::vector<Error>{Error::COORDINATOR_NOT_AVAILABLE}));
  EXPECT_EQ(txn()->state(), TransactionState::empty);
  EXPECT_FALSE(txn()->pending_transition_in_progress()) << "the failed transition is dropped";
  for (sim::NodeId n : others) c_.restart(n);
  ASSERT_TRUE(c_.run_until([&] { return c_.registration("__transaction_state", 0)->isr.size() == 3; }, Duration::seconds(60)));
  EXPECT_EQ(add(id->producer_id, 0, {p0_}), (std::vector<Error>{Error::NONE}));
}

TEST_F(TxnCoordinator, RequestsWhileMarkersAreOutAreConcurrentTransactions) {
  auto id = init();
  add(id->producer_id, 0, {p0_});
  desk_.hold = true;
  EXPECT_EQ(end(id->producer_id, 0, true)->error, Error::NONE);  // answered once PrepareCommit is written
  ASSERT_TRUE(c_.run_until([&] { return desk_.held.size() == 1; }, Duration::seconds(5)));
  EXPECT_EQ(txn()->state(), TransactionState::prepare_commit);
  EXPECT_EQ(txn()->pending_state(), TransactionState::complete_commit);
  EXPECT_EQ(add(id->producer_id, 0, {p1_}), (std::vector<Error>{Error::CONCURRENT_TRANSACTIONS}));
  EXPECT_EQ(init()->error, Error::CONCURRENT_TRANSACTIONS);
  EXPECT_EQ(end(id->producer_id, 0, true)->error, Error::CONCURRENT_TRANSACTIONS);
  EXPECT_EQ(end(id->producer_id, 0, false)->error, Error::CONCURRENT_TRANSACTIONS);
  release();
  ASSERT_TRUE(reaches(TransactionState::complete_commit));
  EXPECT_EQ(add(id->producer_id, 0, {p1_}), (std::vector<Error>{Error::NONE}));  // the next transaction
}

TEST_F(TxnCoordinator, ANewInstanceFencesAndAbortsTheOpenTransaction) {
  auto old = init();
  add(old->producer_id, 0, {p0_});
  auto fenced = init();  // the new instance: the old transaction is aborted first
  EXPECT_EQ(fenced->error, Error::CONCURRENT_TRANSACTIONS);
  ASSERT_TRUE(reaches(TransactionState::complete_abort));
  ASSERT_EQ(desk_.received.size(), 1u);
  EXPECT_FALSE(desk_.received[0]->markers.at(0).committed);
  EXPECT_EQ(desk_.received[0]->markers.at(0).producer_epoch, 1) << "the abort is written at the bumped epoch";
  const auto fences = c_.events("txn.fence");
  ASSERT_EQ(fences.size(), 1u);
  EXPECT_EQ(fences[0]->text("reason"), "InitProducerId");
  auto retried = init();
  EXPECT_EQ(retried->error, Error::NONE);
  EXPECT_EQ(retried->producer_epoch, 2);
  // The old instance cannot commit or add any more.
  EXPECT_EQ(end(old->producer_id, 0, true)->error, Error::PRODUCER_FENCED);
  EXPECT_EQ(add(old->producer_id, 0, {p0_}), (std::vector<Error>{Error::PRODUCER_FENCED}));
}

TEST_F(TxnCoordinator, ATransactionPastItsTimeoutIsAbortedAndItsProducerFenced) {
  auto id = init(-1, -1, 1000);
  add(id->producer_id, 0, {p0_});
  ASSERT_TRUE(reaches(TransactionState::complete_abort, Duration::seconds(5)));
  const auto fences = c_.events("txn.fence");
  ASSERT_EQ(fences.size(), 1u);
  EXPECT_EQ(fences[0]->text("reason"), "transaction.timeout.ms");
  EXPECT_EQ(txn()->producer_epoch(), 1);
  EXPECT_EQ(end(id->producer_id, 0, true)->error, Error::PRODUCER_FENCED);
}

TEST_F(TxnCoordinator, VerificationAnswersWhetherPartitionsAreInTheTransaction) {
  auto id = init();
  add(id->producer_id, 0, {p0_});
  // KIP-890 part 1: nothing is added; 3.8+ answers TRANSACTION_ABORTABLE for a partition not in it.
  EXPECT_EQ(add(id->producer_id, 0, {p0_, p1_}, true), (std::vector<Error>{Error::NONE, Error::TRANSACTION_ABORTABLE}));
  EXPECT_EQ(txn()->partitions(), (std::set<TopicPartition>{p0_}));
  EXPECT_EQ(add(id->producer_id, 1, {p0_}, true), (std::vector<Error>{Error::PRODUCER_FENCED}));
}

TEST_F(TxnCoordinator, ANewCoordinatorResumesTheMarkersOfATransactionItLoads) {
  auto id = init();
  add(id->producer_id, 0, {p0_, p1_});
  desk_.hold = true;
  EXPECT_EQ(end(id->producer_id, 0, true)->error, Error::NONE);
  ASSERT_TRUE(c_.run_until([&] { return desk_.held.size() == 1; }, Duration::seconds(5)));
  const sim::NodeId old = c_.txn_coordinator(kTxnId);
  c_.crash(old);
  desk_.held.clear();  // their answers would go to a crashed broker
  desk_.hold = false;
  ASSERT_TRUE(c_.run_until([&] { return c_.txn_coordinator(kTxnId) != old; }, Duration::seconds(30)));
  ASSERT_TRUE(reaches(TransactionState::complete_commit, Duration::seconds(10)));
  const auto loaded = c_.events("txn.loaded", c_.txn_coordinator(kTxnId));
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded[0]->text("state"), "PrepareCommit");
  ASSERT_EQ(desk_.received.size(), 2u);
  EXPECT_TRUE(desk_.received[1]->markers.at(0).committed);
  EXPECT_EQ(desk_.received[1]->markers.at(0).partitions, (std::vector<TopicPartition>{p0_, p1_}));
}

class TxnCoordinatorKafka40 : public TxnCoordinator {
 protected:
  TxnCoordinatorKafka40() : TxnCoordinator(kafka::KafkaVersion{4, 0}) {}
};

TEST_F(TxnCoordinatorKafka40, EveryEndTxnBumpsTheEpochAndReturnsIt) {
  auto id = init();
  add(id->producer_id, 0, {p0_});
  auto ended = end(id->producer_id, 0, true);
  EXPECT_EQ(ended->error, Error::NONE);
  EXPECT_EQ(ended->producer_id, id->producer_id);
  EXPECT_EQ(ended->producer_epoch, 1);
  ASSERT_TRUE(reaches(TransactionState::complete_commit));
  EXPECT_EQ(desk_.received.at(0)->markers.at(0).producer_epoch, 1) << "the markers carry the new epoch";
  EXPECT_EQ(txn()->producer_epoch(), 1);
  EXPECT_EQ(end(id->producer_id, 0, true)->error, Error::NONE) << "a retry from the old epoch is answered";
  EXPECT_EQ(add(id->producer_id, 0, {p0_}), (std::vector<Error>{Error::PRODUCER_FENCED}));
  EXPECT_EQ(add(id->producer_id, 1, {p0_}), (std::vector<Error>{Error::NONE}));
}

}  // namespace
}  // namespace kafkasim_test
