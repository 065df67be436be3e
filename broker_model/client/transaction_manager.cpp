#include "broker_model/client/transaction_manager.hpp"

#include <algorithm>
#include <limits>

#include "sim/assert.hpp"

namespace kafka {

namespace {

// TxnPartitionEntry.PRODUCER_BATCH_COMPARATOR.
bool by_sequence(const ProducerBatchPtr& a, const ProducerBatchPtr& b) {
  if (a->producer != b->producer) return a->producer < b->producer;
  return a->base_sequence < b->base_sequence;
}

// DefaultRecordBatch.incrementSequence.
int32_t increment_sequence(int32_t sequence, int32_t increment) {
  if (sequence > std::numeric_limits<int32_t>::max() - increment)
    return increment - (std::numeric_limits<int32_t>::max() - sequence) - 1;
  return sequence + increment;
}

}  // namespace

void TransactionManager::maybe_resolve_sequences(sim::Context& ctx) {
  for (auto it = unresolved_.begin(); it != unresolved_.end();) {
    const TopicPartition tp = it->first;
    if (has_inflight_batches(tp)) {
      ++it;
      continue;
    }
    // Fully drained: resolved if the last acknowledged sequence is just before the next one
    // (a batch expired but the ones after it succeeded); otherwise there is a gap. The
    // idempotent producer bumps its epoch locally. A transactional one cannot: it needs the
    // coordinator's bump, so its transaction becomes abortable and the abort asks for a new
    // epoch (epochBumpRequired, whatever the state: unlike maybeTransitionToErrorState, this
    // branch does not skip it while the transaction is completing). canBumpEpoch holds: every
    // modelled coordinator takes InitProducerId v3 (2.5+).
    if (!is_next_sequence(tp, sequence_number(tp))) {
      if (is_transactional()) {
        txn_epoch_bump_required_ = true;
        transition_to_abortable_error(ctx, Error::CLIENT_UNRESOLVED_SEQUENCE);
      } else {
        request_epoch_bump_for_partition(tp);
      }
    }
    it = unresolved_.erase(it);
  }
}

TransactionManager::Bump TransactionManager::bump_idempotent_epoch_and_reset_id_if_needed() {
  if (!epoch_bump_required_) return Bump::none;
  // bumpIdempotentProducerEpoch: an exhausted epoch means a new producer id instead.
  Bump bump = Bump::bumped;
  if (producer_id_and_epoch_.epoch == std::numeric_limits<int16_t>::max()) {
    producer_id_and_epoch_ = {};  // resetIdempotentProducerId
    bump = Bump::reset;
  } else {
    ++producer_id_and_epoch_.epoch;
  }
  for (const TopicPartition& tp : to_rewrite_) {
    if (partitions_.count(tp)) start_sequences_at_beginning(tp);
    unresolved_.erase(tp);
  }
  to_rewrite_.clear();
  epoch_bump_required_ = false;
  return bump;
}

bool TransactionManager::should_stop_drain(const ProducerBatch& first) {
  const TopicPartition tp = first.tp();
  // isSendToPartitionAllowed: a transactional batch waits until AddPartitionsToTxn added its
  // partition.
  if (!is_send_to_partition_allowed(tp)) return true;
  if (!producer_id_and_epoch_.valid()) return true;  // wait for a producer id
  if (!first.has_sequence()) {
    // A new batch waits while the partition has batches of an older id or epoch in flight (a
    // batch at sequence 0 of the new epoch must not overtake them), or while expired batches
    // left its sequence unresolved.
    if (has_inflight_batches(tp) && has_stale_producer_id_and_epoch(tp)) return true;
    if (has_unresolved_sequence(tp)) return true;
  }
  // A retried batch goes only when it is the first unresolved one of its partition.
  const int32_t first_in_flight = first_in_flight_sequence(tp);
  return first_in_flight != kNoSequence && first.has_sequence() && first.base_sequence != first_in_flight;
}

void TransactionManager::assign_sequence(const ProducerBatchPtr& batch) {
  SIM_ASSERT(!batch->has_sequence(), "a batch keeps the sequence it was first sent with");
  const TopicPartition tp = batch->tp();
  // maybeUpdateProducerIdAndEpoch: safe only once the partition has nothing in flight, which
  // should_stop_drain guarantees.
  if (has_stale_producer_id_and_epoch(tp) && !has_inflight_batches(tp)) start_sequences_at_beginning(tp);
  Entry& e = entry(tp);
  batch->producer = producer_id_and_epoch_;
  batch->base_sequence = e.next_sequence;
  e.next_sequence = increment_sequence(e.next_sequence, batch->record_count());
  e.inflight.insert(std::upper_bound(e.inflight.begin(), e.inflight.end(), batch, by_sequence), batch);
}

void TransactionManager::assign_fresh_sequence(const ProducerBatchPtr& batch) {
  remove_in_flight_batch(*batch);
  batch->base_sequence = kNoSequence;
  assign_sequence(batch);
}

bool TransactionManager::can_retry(Error error, const ProducerBatch& batch) {
  const TopicPartition tp = batch.tp();
  if (error == Error::UNKNOWN_PRODUCER_ID) {
    // Our ProduceResponse carries no log start offset: Kafka retries while it does not know it.
    return true;
  }
  if (error == Error::OUT_OF_ORDER_SEQUENCE_NUMBER) {
    // Not the next batch after the last acknowledged one: an earlier batch failed (it will be
    // resolved first) or this one is an old duplicate. Retry as it is.
    if (!has_unresolved_sequence(tp) && (batch.reopened || !is_next_sequence(tp, batch.base_sequence))) return true;
    if (!is_transactional()) {
      // The next one, and refused: a real gap. Bump the epoch (which rewrites this batch's
      // sequence) unless an unresolved sequence before it may still fill the gap.
      if (!has_unresolved_sequence(tp) || is_next_sequence_for_unresolved_partition(tp, batch.base_sequence))
        request_epoch_bump_for_partition(tp);
      return true;
    }
    // A transactional producer cannot bump its epoch itself: OutOfOrderSequenceException is
    // not retriable, so the batch fails and the transaction must be aborted.
  }
  return is_retriable(error);
}

void TransactionManager::handle_completed_batch(const ProducerBatch& batch, int64_t base_offset) {
  const TopicPartition tp = batch.tp();
  auto it = partitions_.find(tp);
  if (it != partitions_.end()) it->second.last_acked_sequence = std::max(it->second.last_acked_sequence, batch.last_sequence());
  if (base_offset >= 0) {
    // updateLastAckedOffset: the entry may be gone after a reset while this batch was out.
    Entry& e = entry(tp);
    e.last_acked_offset = std::max(e.last_acked_offset, base_offset + batch.record_count() - 1);
  }
  remove_in_flight_batch(batch);
}

void TransactionManager::handle_failed_batch(const ProducerBatch& batch, Error error, bool adjust_sequence_numbers) {
  remove_in_flight_batch(batch);
  if (has_fatal_error()) return;  // nothing more is sent
  const TopicPartition tp = batch.tp();
  if (error == Error::OUT_OF_ORDER_SEQUENCE_NUMBER && !is_transactional()) {
    request_epoch_bump_for_partition(tp);  // a gap in the log: start the partition again at 0
  } else if (error == Error::UNKNOWN_PRODUCER_ID) {
    partitions_.erase(tp);  // resetSequenceForPartition
    unresolved_.erase(tp);
  } else if (adjust_sequence_numbers) {
    // Failed for good before its retries ran out: its sequence is a hole the broker never saw.
    // The idempotent producer starts the partition again under a new epoch; a transactional
    // one closes the hole, since its abort bumps the epoch only when the failure asked for it
    // (not while the transaction was completing) and the next transaction goes on from here.
    if (is_transactional()) {
      adjust_sequences_due_to_failed_batch(batch);
    } else {
      request_epoch_bump_for_partition(tp);
    }
  }
}

void TransactionManager::adjust_sequences_due_to_failed_batch(const ProducerBatch& batch) {
  // TxnPartitionMap.adjustSequencesDueToFailedBatch: the partition's next sequence and the
  // sequences of its unresolved batches after the failed one move down by its record count
  // (each keeps its own id and epoch). Where Kafka throws IllegalStateException (a sequence
  // would go negative) it changes nothing from there on, which is what the throw leaves.
  auto it = partitions_.find(batch.tp());
  if (it == partitions_.end()) return;  // not tracked: reset meanwhile
  Entry& e = it->second;
  const int32_t count = batch.record_count();
  if (e.next_sequence - count < 0) return;  // decrementSequence
  e.next_sequence -= count;
  for (const ProducerBatchPtr& b : e.inflight) {
    if (b->base_sequence < batch.base_sequence) continue;
    if (b->base_sequence - count < 0) break;
    b->base_sequence -= count;  // resetProducerState with its own id and epoch
    b->reopened = true;
  }
  std::sort(e.inflight.begin(), e.inflight.end(), by_sequence);
}

void TransactionManager::mark_sequence_unresolved(const ProducerBatch& batch) {
  const int32_t next = batch.last_sequence() + 1;
  auto [it, inserted] = unresolved_.emplace(batch.tp(), next);
  if (!inserted) it->second = std::max(it->second, next);
}

bool TransactionManager::has_inflight_batches(const TopicPartition& tp) const {
  auto it = partitions_.find(tp);
  return it != partitions_.end() && !it->second.inflight.empty();
}

int32_t TransactionManager::first_in_flight_sequence(const TopicPartition& tp) const {
  if (!has_inflight_batches(tp)) return kNoSequence;
  return partitions_.at(tp).inflight.front()->base_sequence;
}

std::optional<int32_t> TransactionManager::last_acked_sequence(const TopicPartition& tp) const {
  auto it = partitions_.find(tp);
  if (it == partitions_.end() || it->second.last_acked_sequence == kNoLastAckedSequence) return std::nullopt;
  return it->second.last_acked_sequence;
}

void TransactionManager::remove_in_flight_batch(const ProducerBatch& batch) {
  auto it = partitions_.find(batch.tp());
  if (it == partitions_.end()) return;
  auto& v = it->second.inflight;
  v.erase(std::remove_if(v.begin(), v.end(), [&](const ProducerBatchPtr& b) { return b.get() == &batch; }), v.end());
}

void TransactionManager::start_sequences_at_beginning(const TopicPartition& tp) {
  // TxnPartitionEntry.startSequencesAtBeginning: the unresolved batches, in order, get
  // sequences from 0 under the current id and epoch.
  Entry& e = entry(tp);
  int32_t sequence = 0;
  for (const ProducerBatchPtr& b : e.inflight) {
    b->producer = producer_id_and_epoch_;  // resetProducerState
    b->base_sequence = sequence;
    b->reopened = true;
    sequence += b->record_count();
  }
  e.producer = producer_id_and_epoch_;
  e.next_sequence = sequence;
  e.last_acked_sequence = kNoLastAckedSequence;
}

void TransactionManager::request_epoch_bump_for_partition(const TopicPartition& tp) {
  epoch_bump_required_ = true;
  to_rewrite_.insert(tp);
}

bool TransactionManager::has_stale_producer_id_and_epoch(const TopicPartition& tp) {
  return producer_id_and_epoch_ != entry(tp).producer;
}

bool TransactionManager::is_next_sequence(const TopicPartition& tp, int32_t sequence) const {
  const int64_t last = last_acked_sequence(tp).value_or(kNoLastAckedSequence);
  return static_cast<int32_t>(static_cast<int64_t>(sequence) - last) == 1;
}

bool TransactionManager::is_next_sequence_for_unresolved_partition(const TopicPartition& tp, int32_t sequence) const {
  auto it = unresolved_.find(tp);
  return it != unresolved_.end() && sequence == it->second;
}

}  // namespace kafka
