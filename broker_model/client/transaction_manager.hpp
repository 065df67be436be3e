#pragma once
// The idempotent producer's bookkeeping: Kafka's TransactionManager without transactions, with
// its TxnPartitionMap / TxnPartitionEntry. Per partition it keeps the next sequence, the last
// acknowledged sequence and offset, and the batches that hold a sequence and are not resolved
// yet (sent or waiting to be retried), ordered by sequence. It decides which failed batches may
// be retried (canRetry), and when a partition's sequence has a gap it bumps the producer epoch
// locally (KIP-360: bumpIdempotentEpochAndResetIdIfNeeded), rewriting the unresolved batches
// of that partition to start again at sequence 0 under the new epoch.
//
// The methods carry Kafka's names and follow the 2.8 to 4.0 source, in which this logic is the
// same (TransactionManager.canRetry, handleFailedBatch, maybeResolveSequences, ...).
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "broker_model/client/producer_batch.hpp"

namespace kafka {

class TransactionManager {
 public:
  const ProducerIdAndEpoch& producer_id_and_epoch() const { return producer_id_and_epoch_; }
  bool has_producer_id() const { return producer_id_and_epoch_.valid(); }
  // InitProducerIdHandler.handleResponse without an error (an idempotent producer's request is
  // never an epoch bump: it bumps locally).
  void set_producer_id_and_epoch(ProducerIdAndEpoch p) { producer_id_and_epoch_ = p; }

  // Sender.runOnce, before anything is sent: partitions whose expired batches left their
  // sequence unresolved are resolved, or marked for an epoch bump.
  void maybe_resolve_sequences();
  // Bumps the epoch if a partition asked for it. Returns how: none, bumped (the epoch went up
  // by one, locally), or reset (the epoch was exhausted: the producer needs a new id).
  enum class Bump { none, bumped, reset };
  Bump bump_idempotent_epoch_and_reset_id_if_needed();

  // RecordAccumulator.shouldStopDrainBatchesForPartition, for the first batch of its queue.
  bool should_stop_drain(const ProducerBatch& first);
  // RecordAccumulator.drainBatchesForOneNode for a batch without a sequence: moves the
  // partition to the current producer id and epoch if it has nothing in flight
  // (maybeUpdateProducerIdAndEpoch), gives the batch the next sequence and tracks it.
  void assign_sequence(const ProducerBatchPtr& batch);

  // Sender.completeBatch's decisions.
  bool can_retry(Error error, const ProducerBatch& batch);
  void handle_completed_batch(const ProducerBatch& batch, int64_t base_offset);
  // `error` is the failure the application is given (CLIENT_DELIVERY_TIMEOUT for an expiry).
  void handle_failed_batch(const ProducerBatch& batch, Error error, bool adjust_sequence_numbers);
  void mark_sequence_unresolved(const ProducerBatch& batch);
  // Only for the producer_resequences_retries bug: the batch takes the partition's next
  // sequence as if it were new.
  void assign_fresh_sequence(const ProducerBatchPtr& batch);

  bool has_inflight_batches(const TopicPartition& tp) const;
  int32_t first_in_flight_sequence(const TopicPartition& tp) const;
  std::optional<int32_t> last_acked_sequence(const TopicPartition& tp) const;
  int32_t sequence_number(const TopicPartition& tp) { return entry(tp).next_sequence; }

 private:
  static constexpr int32_t kNoLastAckedSequence = -1;  // TxnPartitionEntry.NO_LAST_ACKED_SEQUENCE_NUMBER

  struct Entry {  // TxnPartitionEntry
    ProducerIdAndEpoch producer;  // the id and epoch its sequences belong to
    int32_t next_sequence = 0;
    int32_t last_acked_sequence = kNoLastAckedSequence;
    int64_t last_acked_offset = -1;
    // inflightBatchesBySequence: ordered by (producer id, epoch, base sequence).
    std::vector<ProducerBatchPtr> inflight;
  };

  Entry& entry(const TopicPartition& tp) { return partitions_[tp]; }  // getOrCreate
  void remove_in_flight_batch(const ProducerBatch& batch);
  void start_sequences_at_beginning(const TopicPartition& tp);
  void request_epoch_bump_for_partition(const TopicPartition& tp);
  bool has_stale_producer_id_and_epoch(const TopicPartition& tp);
  bool has_unresolved_sequence(const TopicPartition& tp) const { return unresolved_.count(tp) > 0; }
  bool is_next_sequence(const TopicPartition& tp, int32_t sequence) const;
  bool is_next_sequence_for_unresolved_partition(const TopicPartition& tp, int32_t sequence) const;

  ProducerIdAndEpoch producer_id_and_epoch_;
  std::map<TopicPartition, Entry> partitions_;
  std::map<TopicPartition, int32_t> unresolved_;  // partitionsWithUnresolvedSequences: the next sequence
  std::set<TopicPartition> to_rewrite_;            // partitionsToRewriteSequences
  bool epoch_bump_required_ = false;
};

}  // namespace kafka
