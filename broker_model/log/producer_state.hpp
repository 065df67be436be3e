#pragma once
// Producer state of one partition (Kafka's ProducerStateManager, ProducerAppendInfo,
// ProducerStateEntry): for each producer id its epoch, the metadata of its last five batches
// (to reject out-of-order sequences and answer retried duplicates with the original offsets),
// the coordinator epoch of its last marker and the first offset of its open transaction. The
// open transactions, and the completed ones whose marker is not yet below the high watermark,
// give the first unstable offset, which bounds the last stable offset.
#include <cstdint>
#include <deque>
#include <map>
#include <optional>

#include "broker_model/log/record_batch.hpp"
#include "broker_model/protocol/errors.hpp"

namespace kafka {

// CompletedTxn: a transaction a marker ended, from its first offset to the marker's offset.
struct CompletedTxn {
  int64_t producer_id;
  int64_t first_offset;
  int64_t last_offset;
  bool is_aborted;
  bool operator==(const CompletedTxn&) const = default;
};

class ProducerStateManager {
 public:
  static constexpr size_t kBatchesRetained = 5;  // ProducerStateEntry.NUM_BATCHES_TO_RETAIN

  struct Check {
    Error error = Error::NONE;
    std::optional<int64_t> duplicate_of;  // base offset of the retained original
  };
  // Validates an incoming data batch from the leader's point of view (before offsets are
  // given): ProducerAppendInfo.checkProducerEpoch, checkSequence and appendDataBatch's
  // transaction check.
  Check check(const RecordBatch& batch) const;
  // Validates an end-transaction marker the coordinator asks the leader to write
  // (appendEndTxnMarker with AppendOrigin.COORDINATOR): an older producer epoch is
  // INVALID_PRODUCER_EPOCH, an older coordinator epoch TRANSACTION_COORDINATOR_FENCED.
  Error check_marker(int64_t producer_id, int16_t producer_epoch, int32_t coordinator_epoch) const;
  // Records an appended batch (leader or follower) with its offsets; a marker that ends a
  // transaction with data in this partition returns it, still unreplicated (completeTxn).
  std::optional<CompletedTxn> update(const RecordBatch& batch);
  // The high watermark passed some markers: their transactions no longer hold the first
  // unstable offset back (onHighWatermarkUpdated / removeUnreplicatedTransactions).
  void on_high_watermark_updated(int64_t hw);
  // The smallest first offset of a transaction open or not yet replicated (firstUnstableOffset).
  std::optional<int64_t> first_unstable_offset() const;
  // The producers with a transaction open here, by its first offset (ongoingTxns).
  const std::map<int64_t, int64_t>& ongoing_txns() const { return ongoing_; }
  // Whether `producer_id` has a transaction open here (UnifiedLog.hasOngoingTransaction).
  bool has_ongoing_txn(int64_t producer_id) const;
  // Forgets every producer (recovery, truncation). Verification entries stay: in Kafka they
  // live in memory beside the producers and only an append or expiry removes them.
  void clear();

  // ---- KIP-890 part 1: transaction verification (VerificationStateEntry) ----
  // The producer's verification guard, created with the entry if there is none
  // (maybeCreateVerificationStateEntry); a guard is never 0 and never reused in this log, so a
  // verification that started before a marker cannot let a batch in after it (the ABA case
  // UnifiedLog.analyzeAndValidateProducerState describes).
  uint64_t maybe_create_verification_state_entry(int64_t producer_id, int32_t sequence, int16_t epoch, int64_t now_ms);
  // The producer's current guard, 0 when it has no entry (verificationGuard).
  uint64_t verification_guard(int64_t producer_id) const;

 private:
  struct BatchMeta {
    int32_t first_seq, last_seq;
    int64_t base_offset;
  };
  struct Entry {
    int16_t epoch = -1;
    std::deque<BatchMeta> batches;
    int32_t coordinator_epoch = -1;
    std::optional<int64_t> current_txn_first_offset;
  };
  // ProducerAppendInfo.checkSequence for an epoch not older than the entry's.
  static Error check_sequence(const Entry& e, const RecordBatch& b);
  // ProducerStateEntry.maybeUpdateProducerEpoch: a new epoch forgets the old one's batches.
  static void take_epoch(Entry& e, int16_t epoch);

  std::map<int64_t, Entry> producers_;
  std::map<int64_t, int64_t> ongoing_;         // first offset -> producer id
  std::map<int64_t, CompletedTxn> unreplicated_;  // by first offset: marker not yet below the HW
  // VerificationStateEntry: started when a leader asked the coordinator, cleared by the
  // producer's next transactional batch or marker (UnifiedLog.updateProducers).
  struct VerificationStateEntry {
    int64_t timestamp_ms;
    uint64_t guard;
    int32_t lowest_sequence;
    int16_t epoch;
  };
  std::map<int64_t, VerificationStateEntry> verification_states_;
  uint64_t next_guard_ = 1;
};

}  // namespace kafka
