// KIP-890 part 1 at the partition leaders (Kafka 3.6+): a transactional produce for a producer
// with no transaction open on the partition is held while the coordinator is asked
// (ReplicaManager.appendRecords -> AddPartitionsToTxnManager, AddPartitionsToTxn verifyOnly),
// appended only if the partition is in the ongoing transaction, and refused otherwise; the
// verification guard (VerificationStateEntry) stops a batch whose verification a marker
// overtook. A probe stands for the transactional producer; the coordinator is a real broker's.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker_model/log/producer_state.hpp"
#include "broker_model/protocol/txn_messages.hpp"
#include "probe_client.hpp"

namespace kafkasim_test {
namespace {

using kafka::Error;
using sim::Duration;

const std::string kTopic = "events";

class TxnVerify : public ::testing::Test {
 protected:
  explicit TxnVerify(kafka::KafkaVersion version = {}) : c_(options(version)) {
    c_.topic(one_partition_topic(kTopic));
    c_.transaction_state_topic();
    probe_.emplace(c_, "probe");
    // An id coordinated by a broker other than the partition's leader, so the verification
    // crosses the network.
    for (int i = 0; txn_id_.empty() || c_.txn_coordinator(txn_id_) == leader(); ++i) txn_id_ = "tx-" + std::to_string(i);
  }

  static TestCluster::Options options(kafka::KafkaVersion version) {
    TestCluster::Options o;
    o.kafka_version = version;
    o.broker = {{"transaction.state.log.num.partitions", 10}};
    return o;
  }

  sim::NodeId leader() const { return c_.node(c_.leader(kTopic, 0)); }
  sim::NodeId coordinator() const { return c_.txn_coordinator(txn_id_); }

  // InitProducerId, as the transactional producer starts.
  void init() {
    auto req = std::make_shared<kafka::InitProducerIdRequest>();
    req->transactional_id = txn_id_;
    const auto* resp = probe_->call<kafka::InitProducerIdResponse>(coordinator(), req);
    ASSERT_TRUE(resp);
    ASSERT_EQ(resp->error, Error::NONE);
    pid_ = resp->producer_id;
    epoch_ = resp->producer_epoch;
  }

  // AddPartitionsToTxn for the topic's partition, as the producer's first send in a transaction.
  void add_partition() {
    auto req = std::make_shared<kafka::AddPartitionsToTxnRequest>();
    req->transactional_id = txn_id_;
    req->producer_id = pid_;
    req->producer_epoch = epoch_;
    req->partitions = {{kTopic, 0}};
    const auto* resp = probe_->call<kafka::AddPartitionsToTxnResponse>(coordinator(), req);
    ASSERT_TRUE(resp);
    ASSERT_EQ(resp->first_error(), Error::NONE);
  }

  // Sends a transactional batch of one record to the leader; its correlation id.
  int32_t send_batch(int32_t sequence = 0) {
    auto b = std::make_shared<kafka::RecordBatch>();
    b->records = std::make_shared<std::vector<kafka::Record>>(std::vector<kafka::Record>{kafka::Record{"", "v", false, 10, 0, {}}});
    b->producer_id = pid_;
    b->producer_epoch = epoch_;
    b->base_sequence = sequence;
    b->transactional = true;
    auto req = std::make_shared<kafka::ProduceRequest>();
    req->transactional_id = txn_id_;
    req->acks = -1;
    req->partitions.push_back({kTopic, 0, std::move(b)});
    return probe_->send(leader(), req);
  }

  Error produce() {
    const auto* resp = probe_->await<kafka::ProduceResponse>(send_batch());
    return resp ? resp->partitions.at(0).error : Error::REQUEST_TIMED_OUT;
  }

  bool transaction_open_at_leader() const {
    const kafka::PartitionLog* log = c_.log(c_.leader(kTopic, 0), kTopic, 0);
    return log && log->producer_state().has_ongoing_txn(pid_);
  }

  TestCluster c_;
  std::optional<ProbeClient> probe_;  // the transactional producer
  std::string txn_id_;
  int64_t pid_ = kafka::kNoProducerId;
  int16_t epoch_ = -1;
};

TEST_F(TxnVerify, APartitionInTheTransactionIsAppendedAfterTheCoordinatorSaysSo) {
  init();
  add_partition();
  EXPECT_EQ(produce(), Error::NONE);
  EXPECT_TRUE(transaction_open_at_leader());
  ASSERT_EQ(c_.events("replica.txn_verify").size(), 1u);
  ASSERT_EQ(c_.events("replica.txn_verified").size(), 1u);
  EXPECT_EQ(c_.events("replica.txn_verified")[0]->text("error"), "NONE");
  // The transaction is open here now: the next batch needs no verification.
  const auto* again = probe_->await<kafka::ProduceResponse>(send_batch(1));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->partitions.at(0).error, Error::NONE);
  EXPECT_EQ(c_.events("replica.txn_verify").size(), 1u);
}

TEST_F(TxnVerify, APartitionNotInTheTransactionIsRefusedAndOpensNothing) {
  init();  // no AddPartitionsToTxn: the coordinator knows no transaction on the partition
  // 3.8+ coordinators answer TRANSACTION_ABORTABLE, which produce v11 clients understand.
  EXPECT_EQ(produce(), Error::TRANSACTION_ABORTABLE);
  EXPECT_FALSE(transaction_open_at_leader());
  EXPECT_EQ(c_.log(c_.leader(kTopic, 0), kTopic, 0)->log_end_offset(), 0);
}

TEST_F(TxnVerify, TheProduceIsHeldUntilTheCoordinatorAnswers) {
  init();
  add_partition();
  c_.slow_link(coordinator(), leader(), Duration::millis(500));  // the answer takes half a second
  const int32_t cid = send_batch();
  EXPECT_FALSE(probe_->await<kafka::ProduceResponse>(cid, Duration::millis(300)));
  EXPECT_FALSE(transaction_open_at_leader());  // nothing appended while it waits
  const auto* resp = probe_->await<kafka::ProduceResponse>(cid);
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->partitions.at(0).error, Error::NONE);
  EXPECT_TRUE(transaction_open_at_leader());
}

TEST_F(TxnVerify, AnUnreachableCoordinatorIsARetriableError) {
  init();
  add_partition();
  c_.partition({{leader()}, {coordinator()}});  // the probe still reaches both
  // The connection to the coordinator breaks: NETWORK_EXCEPTION, which the producer is told as
  // NOT_ENOUGH_REPLICAS, retriable without a metadata refresh.
  EXPECT_EQ(produce(), Error::NOT_ENOUGH_REPLICAS);
  EXPECT_FALSE(transaction_open_at_leader());
  c_.heal();
  c_.run_for(Duration::seconds(1));
  EXPECT_EQ(produce(), Error::NONE);
}

TEST_F(TxnVerify, ACoordinatorThatNeverAnswersTimesOutAsARetriableError) {
  init();
  add_partition();
  const sim::NodeId paused = coordinator();
  c_.pause(paused);  // a GC pause: the connection stays up, nothing answers
  const int32_t cid = send_batch();
  EXPECT_FALSE(probe_->await<kafka::ProduceResponse>(cid, Duration::seconds(29)));
  // The broker's request.timeout.ms (30 s): the verification fails as a disconnection would.
  const auto* resp = probe_->await<kafka::ProduceResponse>(cid, Duration::seconds(2));
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->partitions.at(0).error, Error::NOT_ENOUGH_REPLICAS);
  EXPECT_FALSE(transaction_open_at_leader());
  // The coordinator's late answer finds nothing held: nothing is appended.
  c_.resume(paused);
  c_.run_for(Duration::seconds(1));
  EXPECT_FALSE(transaction_open_at_leader());
}

class TxnVerify37 : public TxnVerify {
 protected:
  TxnVerify37() : TxnVerify({3, 7}) {}
};

TEST_F(TxnVerify37, BeforeKafka38APartitionNotInTheTransactionIsInvalidTxnState) {
  init();
  EXPECT_EQ(produce(), Error::INVALID_TXN_STATE);
  EXPECT_FALSE(transaction_open_at_leader());
}

class TxnVerify35 : public TxnVerify {
 protected:
  TxnVerify35() : TxnVerify({3, 5}) {}
};

TEST_F(TxnVerify35, BeforeKafka36ALateBatchOpensATransactionUnasked) {
  init();  // no AddPartitionsToTxn, and the leader does not ask
  EXPECT_EQ(produce(), Error::NONE);
  EXPECT_TRUE(transaction_open_at_leader());
  EXPECT_TRUE(c_.events("replica.txn_verify").empty());
}

// The ABA case of UnifiedLog.analyzeAndValidateProducerState: a verification that started
// before a marker must not let a batch open a transaction after it.
TEST(VerificationGuard, AMarkerClearsTheGuardAVerifiedBatchPresents) {
  kafka::ProducerStateManager s;
  const uint64_t guard = s.maybe_create_verification_state_entry(7, 0, 0, 0);
  EXPECT_NE(guard, 0u);
  EXPECT_EQ(s.maybe_create_verification_state_entry(7, 3, 0, 0), guard);  // the same verification
  EXPECT_EQ(s.verification_guard(7), guard);
  kafka::RecordBatch marker = kafka::txn_marker_batch(7, 0, 0, false, 0);
  marker.base_offset = 0;
  s.update(marker);
  EXPECT_EQ(s.verification_guard(7), 0u);
  const uint64_t next = s.maybe_create_verification_state_entry(7, 0, 0, 0);
  EXPECT_NE(next, guard);  // a new verification never hands out the old guard
}

}  // namespace
}  // namespace kafkasim_test
