// Transactions in a partition's log: the producer state of open and completed transactions
// (ProducerStateManager, ProducerAppendInfo), the last stable offset (UnifiedLog), the aborted
// transactions (TransactionIndex), and how recovery and truncation rebuild them.
#include <gtest/gtest.h>

#include "broker_model/log/partition_log.hpp"
#include "broker_model/log/producer_state.hpp"

using namespace kafka;

namespace {
RecordBatch data(int n, int64_t pid, int16_t epoch, int32_t seq, bool transactional = true) {
  RecordBatch b;
  auto recs = std::make_shared<std::vector<Record>>();
  for (int i = 0; i < n; ++i) recs->push_back(Record{"k", "v" + std::to_string(i), true, 10, 0, {}});
  b.records = recs;
  b.producer_id = pid;
  b.producer_epoch = epoch;
  b.base_sequence = seq;
  b.transactional = transactional;
  return b;
}
RecordBatch marker(int64_t pid, int16_t epoch, bool committed, int32_t coordinator_epoch = 0) {
  return txn_marker_batch(pid, epoch, coordinator_epoch, committed, 0);
}
RecordBatch at(RecordBatch b, int64_t offset) {
  b.base_offset = offset;
  return b;
}
}  // namespace

TEST(ProducerStateTxn, AnOpenTransactionHoldsTheFirstUnstableOffsetUntilItsMarkerIsReplicated) {
  ProducerStateManager s;
  EXPECT_FALSE(s.first_unstable_offset());
  s.update(at(data(2, 7, 0, 0), 10));
  s.update(at(data(1, 8, 0, 0), 12));
  EXPECT_EQ(s.first_unstable_offset(), 10);
  EXPECT_EQ(s.ongoing_txns().size(), 2u);
  s.update(at(data(1, 7, 0, 2), 13));  // same transaction: its first offset stays
  EXPECT_EQ(s.ongoing_txns().begin()->first, 10);

  auto done = s.update(at(marker(7, 0, false), 14));
  ASSERT_TRUE(done);
  EXPECT_EQ(*done, (CompletedTxn{7, 10, 14, true}));
  EXPECT_EQ(s.first_unstable_offset(), 10) << "the marker is not yet below the HW (unreplicatedTxns)";
  s.on_high_watermark_updated(14);
  EXPECT_EQ(s.first_unstable_offset(), 10);
  s.on_high_watermark_updated(15);
  EXPECT_EQ(s.first_unstable_offset(), 12) << "now only producer 8's open transaction";
  EXPECT_FALSE(s.update(at(marker(8, 0, true), 15)) == std::nullopt);
  s.on_high_watermark_updated(16);
  EXPECT_FALSE(s.first_unstable_offset());
}

TEST(ProducerStateTxn, AMarkerWithoutDataHereCompletesNothing) {
  ProducerStateManager s;
  EXPECT_FALSE(s.update(at(marker(7, 0, true), 0)));
  EXPECT_FALSE(s.first_unstable_offset());
}

TEST(ProducerStateTxn, EpochAndTransactionChecks) {
  ProducerStateManager s;
  s.update(at(data(1, 7, 1, 0), 0));
  EXPECT_EQ(s.check(data(1, 7, 0, 1)).error, Error::INVALID_PRODUCER_EPOCH) << "an older epoch is fenced";
  EXPECT_EQ(s.check(data(1, 7, 1, 1, false)).error, Error::INVALID_TXN_STATE)
      << "a non-transactional batch inside an open transaction";
  EXPECT_EQ(s.check(data(1, 7, 1, 1)).error, Error::NONE);

  EXPECT_EQ(s.check_marker(7, 0, 0), Error::INVALID_PRODUCER_EPOCH);
  EXPECT_EQ(s.check_marker(7, 2, 0), Error::NONE) << "a fencing abort writes with the bumped epoch";
  // The coordinator fences the open transaction with epoch 2 (the zombie had 1).
  s.update(at(marker(7, 2, false, 3), 1));
  EXPECT_EQ(s.check(data(1, 7, 1, 1)).error, Error::INVALID_PRODUCER_EPOCH) << "the zombie's late write";
  EXPECT_EQ(s.check_marker(7, 2, 2), Error::TRANSACTION_COORDINATOR_FENCED) << "an older coordinator epoch";
  EXPECT_EQ(s.check(data(1, 7, 2, 5)).error, Error::OUT_OF_ORDER_SEQUENCE_NUMBER) << "the new epoch starts at 0";
  EXPECT_EQ(s.check(data(1, 7, 2, 0)).error, Error::NONE);
}

// Only a leader with the bug switch leader_accepts_fenced_epoch appends a fenced epoch's batch
// (and its followers copy it): it joins the producer id's transaction here, whose COMMIT then
// covers it, and the current epoch's sequences go on as if it were not there.
TEST(ProducerStateTxn, AFencedEpochsBatchAppendedAnywayJoinsTheOpenTransaction) {
  ProducerStateManager s;
  s.update(at(data(1, 7, 0, 0), 0));                // the zombie, epoch 0
  s.update(at(marker(7, 1, false), 1));             // fenced: ABORT at epoch 1
  s.update(at(data(2, 7, 2, 0), 2));                // the successor, epoch 2, sequences 0-1
  EXPECT_EQ(s.check(data(1, 7, 0, 1)).error, Error::INVALID_PRODUCER_EPOCH);
  s.update(at(data(1, 7, 0, 1), 4));                // appended anyway
  EXPECT_EQ(s.ongoing_txns().begin()->first, 2) << "the successor's transaction, which the zombie's batch joined";
  EXPECT_EQ(s.check(data(1, 7, 2, 2)).error, Error::NONE) << "the successor's next sequence is unchanged";
  const auto done = s.update(at(marker(7, 2, true), 5));
  ASSERT_TRUE(done);
  EXPECT_EQ(*done, (CompletedTxn{7, 2, 5, false})) << "the COMMIT covers offsets 2 to 5, the zombie's 4 among them";
}

TEST(TransactionIndex, CollectsAbortedTransactionsOverlappingARange) {
  TransactionIndex idx;
  idx.append({1, 0, 5, true});
  idx.append({2, 3, 8, false});  // committed: not indexed
  idx.append({3, 6, 9, true});
  EXPECT_EQ(idx.entries().size(), 2u);
  EXPECT_EQ(idx.collect(6, 7), (std::vector<AbortedTxn>{{3, 6, 9}}));
  EXPECT_EQ(idx.collect(0, 6), (std::vector<AbortedTxn>{{1, 0, 5}}));
  EXPECT_EQ(idx.collect(5, 100).size(), 2u);
  idx.truncate_to(9);
  EXPECT_EQ(idx.entries(), (std::vector<AbortedTxn>{{1, 0, 5}}));
}

namespace {
// Appends as leader: a transaction of producer 7 aborted, one of producer 8 still open.
void write_txns(PartitionLog& log) {
  log.append_as_leader(data(2, 7, 0, 0), 0, 0);       // 0-1
  log.append_as_leader(data(1, 8, 0, 0), 0, 0);       // 2
  log.append_as_leader(marker(7, 0, false), 0, 0);    // 3
  log.append_as_leader(data(1, 9, 0, 0, false), 0, 0);  // 4 (not transactional)
}
}  // namespace

TEST(PartitionLogTxn, LastStableOffsetIsTheFirstUnstableOffsetBoundedByTheHighWatermark) {
  sim::Disk disk;
  PartitionLog log(disk, "t", 0);
  EXPECT_FALSE(log.has_transactions());
  write_txns(log);
  EXPECT_TRUE(log.has_transactions());
  EXPECT_EQ(log.last_stable_offset(), 0) << "the HW is 0";
  log.maybe_increment_hw(5);
  EXPECT_EQ(log.last_stable_offset(), 2) << "producer 8's transaction is open at 2";
  EXPECT_EQ(log.aborted_transactions(0, 5), (std::vector<AbortedTxn>{{7, 0, 3}}));
  log.append_as_leader(marker(8, 0, true), 0, 0);  // 5
  EXPECT_EQ(log.last_stable_offset(), 2) << "its marker is above the HW";
  log.maybe_increment_hw(6);
  EXPECT_EQ(log.last_stable_offset(), 6);
}

TEST(PartitionLogTxn, RecoveryRebuildsOpenTransactionsAndTheAbortedIndexFromTheLog) {
  sim::Disk disk;
  {
    PartitionLog log(disk, "t", 0);
    write_txns(log);
    log.maybe_increment_hw(5);
    log.checkpoint_hw();
    log.flush();
  }
  PartitionLog again(disk, "t", 0);
  EXPECT_EQ(again.high_watermark(), 5);
  EXPECT_EQ(again.last_stable_offset(), 2);
  EXPECT_EQ(again.aborted_transactions(0, 5), (std::vector<AbortedTxn>{{7, 0, 3}}));
  EXPECT_EQ(again.producer_state().ongoing_txns(), (std::map<int64_t, int64_t>{{2, 8}}));
}

TEST(PartitionLogTxn, TruncationDropsMarkersAndReopensTheirTransactions) {
  sim::Disk disk;
  PartitionLog log(disk, "t", 0);
  write_txns(log);
  log.truncate_to(3);  // the ABORT marker goes
  EXPECT_TRUE(log.aborted_transactions(0, 10).empty());
  EXPECT_EQ(log.producer_state().ongoing_txns(), (std::map<int64_t, int64_t>{{0, 7}, {2, 8}}));
  log.maybe_increment_hw(3);
  EXPECT_EQ(log.last_stable_offset(), 0);
}
