// The transaction coordinator's state machine and log records without a cluster: Kafka's
// TransactionState.validPreviousStates, TransactionMetadata's two-step transitions (an illegal
// one stops the run), and TransactionLog records read back as written.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "broker_model/txn/transaction_log.hpp"
#include "broker_model/txn/transaction_metadata.hpp"
#include "sim/assert.hpp"

namespace {

using kafka::TransactionState;
using S = kafka::TransactionState;

TEST(TransactionState, TransitionsAreKafkasValidPreviousStates) {
  const std::vector<TransactionState> all = {S::empty,           S::ongoing,        S::prepare_commit, S::prepare_abort,
                                     S::complete_commit, S::complete_abort, S::dead,           S::prepare_epoch_fence};
  // TransactionState.scala, each state's validPreviousStates (trunk).
  const std::set<std::pair<TransactionState, TransactionState>> legal = {
      {S::empty, S::empty},           {S::complete_commit, S::empty},       {S::complete_abort, S::empty},
      {S::ongoing, S::ongoing},       {S::empty, S::ongoing},               {S::complete_commit, S::ongoing},
      {S::complete_abort, S::ongoing}, {S::ongoing, S::prepare_commit},     {S::ongoing, S::prepare_abort},
      {S::prepare_epoch_fence, S::prepare_abort}, {S::prepare_commit, S::complete_commit},
      {S::prepare_abort, S::complete_abort},      {S::empty, S::dead},  {S::complete_abort, S::dead},
      {S::complete_commit, S::dead},              {S::ongoing, S::prepare_epoch_fence}};
  for (TransactionState from : all)
    for (TransactionState to : all)
      EXPECT_EQ(kafka::is_valid_transition(from, to), legal.count({from, to}) == 1)
          << kafka::to_string(from) << " -> " << kafka::to_string(to);
}

kafka::TransactionMetadata ongoing() {
  kafka::TxnTransitMetadata v;
  v.producer_id = 7;
  v.producer_epoch = 3;
  v.txn_timeout_ms = 60000;
  kafka::TransactionMetadata m("t", v);
  m.complete_transition(m.prepare_add_partitions({{"orders", 0}}, 100));
  return m;
}

TEST(TxnMetadata, ATransitionCompletesOnlyAsPrepared) {
  kafka::TransactionMetadata m = ongoing();
  EXPECT_EQ(m.state(), S::ongoing);
  EXPECT_EQ(m.current().txn_start_ms, 100);
  const kafka::TxnTransitMetadata commit = m.prepare_abort_or_commit(S::prepare_commit, false, kafka::kNoProducerId, 200);
  EXPECT_EQ(m.pending_state(), S::prepare_commit);
  EXPECT_EQ(m.state(), S::ongoing) << "nothing changes before the write is committed";
  EXPECT_THROW(m.prepare_add_partitions({{"orders", 1}}, 300), sim::InvariantViolation) << "one transition at a time";
  m.complete_transition(commit);
  EXPECT_EQ(m.state(), S::prepare_commit);
  EXPECT_THROW(m.prepare_add_partitions({{"orders", 1}}, 300), sim::InvariantViolation) << "PrepareCommit -> Ongoing is illegal";
}

TEST(TxnMetadata, AFenceBumpsTheEpochAndIsAbortedAtIt) {
  kafka::TransactionMetadata m = ongoing();
  const kafka::TxnTransitMetadata fence = m.prepare_fence_producer_epoch();
  EXPECT_EQ(fence.producer_epoch, 4);
  EXPECT_THROW(m.complete_transition(fence), sim::InvariantViolation) << "PrepareEpochFence is never written";
}

TEST(TxnLog, RecordsReadBackAsWritten) {
  kafka::TxnTransitMetadata t;
  t.producer_id = 1000000004;
  t.prev_producer_id = 1000000004;
  t.producer_epoch = 12;
  t.last_producer_epoch = 11;
  t.txn_timeout_ms = 60000;
  t.state = S::prepare_abort;
  t.partitions = {{"orders", 0}, {"my-topic:x", 2}};
  t.txn_start_ms = 5;
  t.txn_last_update_ms = 9;
  const auto read = kafka::read_transaction_record(kafka::transaction_record("writer|1", t));
  ASSERT_TRUE(read);
  EXPECT_EQ(read->first, "writer|1");
  EXPECT_EQ(read->second.partitions, t.partitions);
  EXPECT_EQ(read->second.state, S::prepare_abort);
  EXPECT_EQ(read->second.producer_epoch, 12);
  EXPECT_EQ(read->second.last_producer_epoch, -1) << "TransactionLogValue has no last epoch";
  EXPECT_EQ(read->second.txn_start_ms, 5);
  kafka::Record other;
  other.key = "offset|g|t|0";
  EXPECT_FALSE(kafka::read_transaction_record(other));
}

}  // namespace
