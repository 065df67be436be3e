#pragma once
// One transactional id at its coordinator (kafka.coordinator.transaction.TransactionMetadata):
// its producer id and epoch, its state and the partitions of its open transaction. A change is
// two steps, as in Kafka: prepare_* checks the transition, records it as the pending state and
// returns the new values (TxnTransitMetadata) to write to __transaction_state; once that write is
// committed, complete_transition applies them. While a transition is pending, requests for the
// id are answered CONCURRENT_TRANSACTIONS. An illegal transition is a bug in the coordinator:
// SIM_ASSERT stops the run (Kafka throws IllegalStateException).
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <variant>

#include "broker_model/log/record_batch.hpp"
#include "broker_model/protocol/errors.hpp"
#include "broker_model/protocol/topic_partition.hpp"
#include "broker_model/txn/transaction_state.hpp"

namespace kafka {

// Short.MaxValue: the epoch a producer never gets, so the coordinator can always fence it.
constexpr int16_t kMaxProducerEpoch = 32767;
// TransactionMetadata.isEpochExhausted: the client may not use Short.MaxValue.
inline bool is_epoch_exhausted(int16_t epoch) { return epoch >= kMaxProducerEpoch - 1; }

// The values a transition writes (TxnTransitMetadata), and what a TransactionLog record holds.
struct TxnTransitMetadata {
  int64_t producer_id = kNoProducerId;
  int64_t prev_producer_id = kNoProducerId;
  int64_t next_producer_id = kNoProducerId;  // KIP-890 part 2: the id after an epoch overflow
  int16_t producer_epoch = -1;
  int16_t last_producer_epoch = -1;
  int32_t txn_timeout_ms = 0;
  TransactionState state = TransactionState::empty;
  std::set<TopicPartition> partitions;
  int64_t txn_start_ms = -1;
  int64_t txn_last_update_ms = -1;
  // clientTransactionVersion >= TV_2 (KIP-890 part 2): the epoch is bumped at every EndTxn.
  bool epoch_bump_per_txn = false;
};

class TransactionMetadata {
 public:
  TransactionMetadata(std::string transactional_id, const TxnTransitMetadata& values);

  const std::string& transactional_id() const { return transactional_id_; }
  const TxnTransitMetadata& current() const { return v_; }
  int64_t producer_id() const { return v_.producer_id; }
  int16_t producer_epoch() const { return v_.producer_epoch; }
  TransactionState state() const { return v_.state; }
  const std::set<TopicPartition>& partitions() const { return v_.partitions; }
  std::optional<TransactionState> pending_state() const { return pending_; }
  bool pending_transition_in_progress() const { return pending_.has_value(); }
  bool is_producer_epoch_exhausted() const { return is_epoch_exhausted(v_.producer_epoch); }

  // InitProducerId on an Ongoing transaction: the epoch one up (unless a fence's write failed
  // before), pending PrepareEpochFence; the abort that follows runs at that epoch.
  TxnTransitMetadata prepare_fence_producer_epoch();
  // InitProducerId from Empty or Complete*: the next epoch (KIP-360 checks `expected_epoch`),
  // or PRODUCER_FENCED.
  std::variant<Error, TxnTransitMetadata> prepare_increment_producer_epoch(int32_t txn_timeout_ms,
                                                                           std::optional<int16_t> expected_epoch, int64_t now_ms);
  // A new producer id at epoch 0, when the epochs of the old one are exhausted.
  TxnTransitMetadata prepare_producer_id_rotation(int64_t new_producer_id, int32_t txn_timeout_ms, int64_t now_ms,
                                                  bool record_last_epoch);
  TxnTransitMetadata prepare_add_partitions(const std::set<TopicPartition>& added, int64_t now_ms);
  // EndTxn (or a fence's abort): PrepareCommit or PrepareAbort; with `epoch_bump_per_txn`, at
  // the next epoch (and `next_producer_id` when the epoch overflowed).
  TxnTransitMetadata prepare_abort_or_commit(TransactionState next, bool epoch_bump_per_txn, int64_t next_producer_id, int64_t now_ms);
  // Every marker was written: CompleteCommit or CompleteAbort.
  TxnTransitMetadata prepare_complete(int64_t now_ms);

  // The write of `t` was committed: apply it (completeTransitionTo's checks are assertions).
  void complete_transition(const TxnTransitMetadata& t);
  // The write failed: the transition never happened.
  void abort_pending_transition() { pending_.reset(); }
  // endTransaction taking over a pending fence: the fenced epoch becomes current, to be
  // aborted at (Kafka sets pendingState = None, producerEpoch = the fenced epoch).
  void take_over_fence(int16_t fenced_epoch);
  void set_failed_epoch_fence(bool failed) { has_failed_epoch_fence_ = failed; }

 private:
  TxnTransitMetadata prepare_transition(TxnTransitMetadata t);
  bool valid_producer_epoch(const TxnTransitMetadata& t) const;
  bool valid_producer_epoch_bump(const TxnTransitMetadata& t) const;

  std::string transactional_id_;
  TxnTransitMetadata v_;
  std::optional<TransactionState> pending_;
  bool has_failed_epoch_fence_ = false;
};

}  // namespace kafka
