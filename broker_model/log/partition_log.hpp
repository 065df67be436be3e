#pragma once
// One replica's log of one partition, on its broker's simulated disk: the batches, the log end
// offset (LEO), the high watermark (HW), the leader epoch cache and the idempotent-producer
// state, in the files log_files.hpp lays out.
#include <cstdint>
#include <string>
#include <vector>

#include "broker_model/log/leader_epoch_cache.hpp"
#include "broker_model/log/producer_state.hpp"
#include "broker_model/log/record_batch.hpp"
#include "broker_model/log/transaction_index.hpp"
#include "sim/disk.hpp"

namespace kafka {

class PartitionLog {
 public:
  // Opens the partition's files and recovers: drops a torn last batch, truncates the epoch
  // cache to the recovered log end, rebuilds producer state, reads the checkpointed HW.
  PartitionLog(sim::Disk& disk, std::string topic, int32_t partition);

  const std::string& topic() const { return topic_; }
  int32_t partition() const { return partition_; }
  int64_t log_start_offset() const { return 0; }
  int64_t log_end_offset() const { return leo_; }
  int64_t high_watermark() const { return hw_; }
  // The leader only moves its HW forward; a follower takes min(leader's HW, its LEO).
  bool maybe_increment_hw(int64_t hw);
  void set_follower_hw(int64_t leader_hw);
  // Writes the HW checkpoint (what a restart will read back).
  void checkpoint_hw();
  int64_t checkpointed_hw() const { return checkpointed_hw_; }
  // What recovery found: torn batches dropped and whether the HW checkpoint was above the LEO.
  bool recovered_torn_batch() const { return recovered_torn_; }

  const LeaderEpochCache& epochs() const { return epochs_; }
  int32_t latest_epoch() const { return epochs_.latest_epoch(); }
  // A leader starting epoch e records that e starts at its LEO.
  void assign_epoch_start(int32_t epoch, int64_t offset);

  ProducerStateManager::Check check_producer(const RecordBatch& b) const { return producers_.check(b); }
  Error check_marker(int64_t producer_id, int16_t producer_epoch, int32_t coordinator_epoch) const {
    return producers_.check_marker(producer_id, producer_epoch, coordinator_epoch);
  }
  const ProducerStateManager& producer_state() const { return producers_; }

  // ---- transactions ----
  // Whether this log ever held a transactional batch (LSO traces only appear then).
  bool has_transactions() const { return has_transactions_; }
  // UnifiedLog.lastStableOffset: the first unstable offset if below the HW, else the HW.
  int64_t last_stable_offset() const;
  // UnifiedLog.collectAbortedTransactions: aborted transactions overlapping [from, up_to).
  std::vector<AbortedTxn> aborted_transactions(int64_t from, int64_t up_to) const { return txn_index_.collect(from, up_to); }
  const TransactionIndex& txn_index() const { return txn_index_; }
  // UnifiedLog.maybeStartTransactionVerification: 0 when the producer's transaction is already
  // open here (nothing to verify), else the guard the verified append must present.
  uint64_t maybe_start_transaction_verification(int64_t producer_id, int32_t sequence, int16_t epoch, int64_t now_ms) {
    if (producers_.has_ongoing_txn(producer_id)) return 0;
    return producers_.maybe_create_verification_state_entry(producer_id, sequence, epoch, now_ms);
  }
  // analyzeAndValidateProducerState with verification on: a transactional batch that would
  // open a transaction needs the producer's current guard (batchMissingRequiredVerification).
  bool missing_required_verification(const RecordBatch& b, uint64_t guard) const {
    return b.transactional && !producers_.has_ongoing_txn(b.producer_id) &&
           (guard == 0 || guard != producers_.verification_guard(b.producer_id));
  }

  // Appends a batch from a producer, giving it offsets and the leader's epoch.
  BatchPtr append_as_leader(const RecordBatch& incoming, int32_t leader_epoch, int64_t now_ms);
  // Appends a batch fetched from the leader, as it is.
  void append_as_follower(const BatchPtr& batch);
  // Drops every batch from the one containing `offset` on (Kafka truncates at batch
  // boundaries). Returns the number of records removed.
  int64_t truncate_to(int64_t offset);

  // Batches holding offsets in [from, up_to), at most about max_bytes (at least one batch).
  std::vector<BatchPtr> read(int64_t from, int64_t up_to, uint32_t max_bytes) const;
  std::vector<BatchPtr> all_batches() const;
  // Every batch holding an offset in [from, up_to), however large.
  std::vector<BatchPtr> batches_overlapping(int64_t from, int64_t up_to) const;
  // The batch holding offset, or null.
  BatchPtr batch_at(int64_t offset) const;

  void flush();
  uint64_t unflushed_messages() const { return unflushed_messages_; }
  int64_t last_flush_ms() const { return last_flush_ms_; }
  void set_last_flush_ms(int64_t t) { last_flush_ms_ = t; }

 private:
  void save_epochs();
  // UnifiedLog.updateProducers: producer state, and the transaction index for an abort.
  void record_producer_state(const RecordBatch& b);
  // Rebuilds producer state and the transaction index from the batches (recovery, truncation).
  void rebuild_producer_state();
  size_t index_of(int64_t offset) const;  // first batch with last_offset >= offset

  sim::Disk& disk_;
  std::string topic_;
  int32_t partition_;
  sim::FileId log_file_, epoch_file_, hw_file_;
  std::vector<BatchPtr> batches_;  // mirrors the log file's entries
  int64_t leo_ = 0;
  int64_t hw_ = 0;
  int64_t checkpointed_hw_ = 0;
  bool recovered_torn_ = false;
  LeaderEpochCache epochs_;
  ProducerStateManager producers_;
  TransactionIndex txn_index_;
  bool has_transactions_ = false;
  uint64_t unflushed_messages_ = 0;
  int64_t last_flush_ms_ = 0;
};

}  // namespace kafka
