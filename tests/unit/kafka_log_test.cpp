// The log's parts: leader epoch cache (KIP-101/KIP-279 answers), partition log (offsets,
// truncation, recovery after a crash) and the idempotent-producer state.
#include <gtest/gtest.h>

#include "broker_model/log/leader_epoch_cache.hpp"
#include "broker_model/log/partition_log.hpp"
#include "broker_model/log/producer_state.hpp"

using namespace kafka;

namespace {
std::shared_ptr<RecordBatch> batch(int n, int64_t pid = kNoProducerId, int16_t epoch = -1, int32_t seq = kNoSequence) {
  auto b = std::make_shared<RecordBatch>();
  auto recs = std::make_shared<std::vector<Record>>();
  for (int i = 0; i < n; ++i) recs->push_back(Record{"k", "v" + std::to_string(i), true, 10, 0, {}});
  b->records = recs;
  b->producer_id = pid;
  b->producer_epoch = epoch;
  b->base_sequence = seq;
  return b;
}
}  // namespace

TEST(LeaderEpochCache, Kip279WorkedExample) {
  // A leads epoch 1 (m1@0, m2@1), B leads epoch 2 (m3@1), A leads epoch 3 (m4@2).
  LeaderEpochCache a;
  a.assign(1, 0);
  a.assign(3, 2);
  // B asks about epoch 2: A never had it. KIP-279 answers with epoch 1 ending at 2 ...
  EXPECT_EQ(a.end_offset_for(2, 3), std::make_pair(1, int64_t{2}));
  // ... B's own end for epoch 1 is 1, so B truncates m3 away.
  LeaderEpochCache b;
  b.assign(1, 0);
  b.assign(2, 1);
  EXPECT_EQ(b.end_offset_for(1, 2), std::make_pair(1, int64_t{1}));
  // KIP-101 v0 answered "the first epoch after 2 starts at 2": B (LEO 2) kept m3.
  EXPECT_EQ(a.end_offset_v0(2, 3), 2);
}

TEST(LeaderEpochCache, EndOffsetsFollowLeaderEpochFileCache) {
  LeaderEpochCache c;
  EXPECT_EQ(c.end_offset_for(0, 10), std::make_pair(-1, int64_t{-1})) << "empty cache";
  c.assign(2, 5);
  c.assign(4, 9);
  EXPECT_EQ(c.end_offset_for(4, 12), std::make_pair(4, int64_t{12})) << "latest epoch ends at the LEO";
  EXPECT_EQ(c.end_offset_for(2, 12), std::make_pair(2, int64_t{9}));
  EXPECT_EQ(c.end_offset_for(3, 12), std::make_pair(2, int64_t{9})) << "largest epoch <= requested";
  EXPECT_EQ(c.end_offset_for(1, 12), std::make_pair(1, int64_t{5})) << "older than all: start of the first";
  EXPECT_EQ(c.end_offset_for(7, 12), std::make_pair(-1, int64_t{-1})) << "newer than all";
  EXPECT_EQ(c.end_offset_for(-1, 12), std::make_pair(-1, int64_t{-1})) << "UNDEFINED_EPOCH";
  EXPECT_EQ(c.end_offset_for(-2, 12), std::make_pair(-2, int64_t{5}))
      << "any other epoch below every entry is answered from the first (floorEntry is null)";
  EXPECT_EQ(c.end_offset_v0(1, 12), -1);
  EXPECT_EQ(c.end_offset_v0(3, 12), 9);
}

TEST(LeaderEpochCache, AssignAndTruncate) {
  LeaderEpochCache c;
  EXPECT_TRUE(c.assign(1, 0));
  EXPECT_FALSE(c.assign(1, 4)) << "an epoch's start never moves";
  EXPECT_FALSE(c.assign(0, 7)) << "older epochs are ignored";
  EXPECT_TRUE(c.assign(3, 10));
  EXPECT_TRUE(c.truncate_from_end(10));
  EXPECT_EQ(c.latest_epoch(), 1);
  EXPECT_TRUE(c.assign(5, 4));
  EXPECT_TRUE(c.assign(6, 4)) << "a new epoch at the same offset supersedes the empty one";
  EXPECT_EQ(c.entries(), (std::vector<EpochEntry>{{1, 0}, {6, 4}}));
}

TEST(PartitionLog, LeaderAppendsAssignOffsetsAndEpochs) {
  sim::Disk disk;
  PartitionLog log(disk, "t", 0);
  auto b1 = log.append_as_leader(*batch(3), 1, 0);
  auto b2 = log.append_as_leader(*batch(2), 1, 0);
  EXPECT_EQ(b1->base_offset, 0);
  EXPECT_EQ(b2->base_offset, 3);
  EXPECT_EQ(b2->partition_leader_epoch, 1);
  EXPECT_EQ(log.log_end_offset(), 5);
  EXPECT_EQ(log.epochs().entries(), (std::vector<EpochEntry>{{1, 0}}));
  EXPECT_TRUE(log.maybe_increment_hw(4));
  EXPECT_FALSE(log.maybe_increment_hw(2)) << "the HW never goes back";
  EXPECT_FALSE(log.maybe_increment_hw(99) && log.high_watermark() > 5) << "nor past the LEO";
  EXPECT_EQ(log.read(1, 5, 1 << 20).size(), 2u);
  EXPECT_EQ(log.read(3, 5, 1 << 20).size(), 1u);
  EXPECT_EQ(log.read(0, 4, 1 << 20).size(), 1u) << "only whole batches below the limit";
}

TEST(PartitionLog, TruncationIsAtBatchBoundaries) {
  sim::Disk disk;
  PartitionLog log(disk, "t", 0);
  log.append_as_leader(*batch(3), 1, 0);
  log.append_as_leader(*batch(3), 2, 0);
  EXPECT_EQ(log.truncate_to(4), 3) << "offset 4 is inside the second batch: the whole batch goes";
  EXPECT_EQ(log.log_end_offset(), 3);
  EXPECT_EQ(log.latest_epoch(), 1) << "epoch 2 started at 3 and is gone";
  EXPECT_EQ(log.truncate_to(10), 0);
}

TEST(PartitionLog, RecoveryKeepsOnlyWhatWasFlushed) {
  sim::Disk disk;
  sim::Rng rng(1);
  {
    PartitionLog log(disk, "t", 0);
    log.append_as_leader(*batch(2), 1, 0);
    log.flush();
    log.append_as_leader(*batch(2), 2, 0);  // unflushed, in a new epoch
    log.maybe_increment_hw(4);
    log.checkpoint_hw();
  }
  disk.crash(rng, false);
  PartitionLog recovered(disk, "t", 0);
  EXPECT_EQ(recovered.log_end_offset(), 2);
  EXPECT_EQ(recovered.latest_epoch(), 1) << "the durable epoch checkpoint is cut back to the recovered log";
  EXPECT_EQ(recovered.checkpointed_hw(), 4);
  EXPECT_EQ(recovered.high_watermark(), 2) << "the HW is never above the LEO";
}

TEST(PartitionLog, RecoveryDropsATornBatch) {
  int torn = 0;
  for (uint64_t seed = 0; seed < 16; ++seed) {
    sim::Disk disk;
    sim::Rng rng(seed);
    {
      PartitionLog log(disk, "t", 0);
      log.append_as_leader(*batch(2), 1, 0);
      log.flush();
      log.append_as_leader(*batch(2), 1, 0);
    }
    const auto loss = disk.crash(rng, true);
    PartitionLog recovered(disk, "t", 0);
    EXPECT_EQ(recovered.log_end_offset(), 2);
    EXPECT_EQ(recovered.recovered_torn_batch(), loss.files_torn > 0);
    torn += recovered.recovered_torn_batch() ? 1 : 0;
  }
  EXPECT_GT(torn, 0);
}

TEST(ProducerState, DeduplicatesWithinTheFiveBatchWindow) {
  ProducerStateManager s;
  int64_t offset = 0;
  for (int32_t seq = 0; seq < 30; seq += 5) {
    auto b = batch(5, 42, 0, seq);
    ASSERT_EQ(s.check(*b).error, Error::NONE) << seq;
    b->base_offset = offset;
    s.update(*b);
    offset += 5;
  }
  // The last five batches (sequences 5..29) are retained: a retry of one is answered with
  // its original offset.
  const auto retry = s.check(*batch(5, 42, 0, 20));
  EXPECT_EQ(retry.error, Error::NONE);
  ASSERT_TRUE(retry.duplicate_of.has_value());
  EXPECT_EQ(*retry.duplicate_of, 20);
  // Sequence 0..4 fell out of the window: since 1.1 (ProducerAppendInfo.checkSequence) the
  // broker cannot tell it from a gap and answers OUT_OF_ORDER_SEQUENCE_NUMBER.
  EXPECT_EQ(s.check(*batch(5, 42, 0, 0)).error, Error::OUT_OF_ORDER_SEQUENCE_NUMBER);
  EXPECT_EQ(s.check(*batch(5, 42, 0, 35)).error, Error::OUT_OF_ORDER_SEQUENCE_NUMBER) << "a gap";
  EXPECT_EQ(s.check(*batch(5, 42, 0, 30)).error, Error::NONE) << "the next sequence";
}

TEST(ProducerState, EpochsFence) {
  ProducerStateManager s;
  auto b = batch(1, 7, 3, 0);
  b->base_offset = 0;
  s.update(*b);
  EXPECT_EQ(s.check(*batch(1, 7, 2, 1)).error, Error::INVALID_PRODUCER_EPOCH);
  EXPECT_EQ(s.check(*batch(1, 7, 4, 5)).error, Error::OUT_OF_ORDER_SEQUENCE_NUMBER) << "a new epoch starts at 0";
  EXPECT_EQ(s.check(*batch(1, 7, 4, 0)).error, Error::NONE);
  EXPECT_EQ(s.check(*batch(1, 8, 0, 17)).error, Error::NONE) << "an unknown producer may start anywhere";
  EXPECT_EQ(s.check(*batch(1)).error, Error::NONE) << "non-idempotent batches are not checked";
}
