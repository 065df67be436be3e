#include "broker_model/txn/transaction_metadata.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "sim/assert.hpp"

namespace kafka {

TransactionMetadata::TransactionMetadata(std::string transactional_id, const TxnTransitMetadata& values)
    : transactional_id_(std::move(transactional_id)), v_(values) {}

TxnTransitMetadata TransactionMetadata::prepare_transition(TxnTransitMetadata t) {
  // TransactionMetadata.prepareTransitionTo: one transition at a time, to a legal state.
  SIM_ASSERT(!pending_, fmt::format("{}: transition to {} while {} is pending", transactional_id_, to_string(t.state),
                                    to_string(pending_.value_or(TransactionState::empty))));
  SIM_ASSERT(t.producer_id >= 0, fmt::format("{}: illegal producer id {}", transactional_id_, t.producer_id));
  SIM_ASSERT(t.state == TransactionState::dead || t.producer_epoch >= 0,
             fmt::format("{}: illegal producer epoch {}", transactional_id_, t.producer_epoch));
  SIM_ASSERT(is_valid_transition(v_.state, t.state),
             fmt::format("{}: {} is not a valid previous state of {}", transactional_id_, to_string(v_.state), to_string(t.state)));
  t.prev_producer_id = v_.producer_id;
  pending_ = t.state;
  return t;
}

TxnTransitMetadata TransactionMetadata::prepare_fence_producer_epoch() {
  SIM_ASSERT(v_.producer_epoch < kMaxProducerEpoch, "fencing would overflow the epoch");
  // A fence whose write failed already bumped the epoch, which no client ever saw: keep it.
  TxnTransitMetadata t = v_;
  t.state = TransactionState::prepare_epoch_fence;
  t.producer_epoch = has_failed_epoch_fence_ ? v_.producer_epoch : static_cast<int16_t>(v_.producer_epoch + 1);
  t.last_producer_epoch = -1;
  t.next_producer_id = kNoProducerId;
  t.epoch_bump_per_txn = false;
  return prepare_transition(t);
}

std::variant<Error, TxnTransitMetadata> TransactionMetadata::prepare_increment_producer_epoch(
    int32_t txn_timeout_ms, std::optional<int16_t> expected_epoch, int64_t now_ms) {
  SIM_ASSERT(!is_producer_epoch_exhausted(), fmt::format("{}: no epoch left for producer id {}", transactional_id_, v_.producer_id));
  const auto bumped = static_cast<int16_t>(v_.producer_epoch + 1);
  int16_t epoch = bumped;
  int16_t last = -1;  // no expected epoch: a new instance, which fences every older one
  if (expected_epoch) {
    if (v_.producer_epoch == -1 || *expected_epoch == v_.producer_epoch) {
      last = v_.producer_epoch;  // KIP-360: the same instance recovering; bump and remember
    } else if (*expected_epoch == v_.last_producer_epoch) {
      epoch = v_.producer_epoch;  // a retry of a bump that succeeded: answer it again
      last = v_.last_producer_epoch;
    } else {
      return Error::PRODUCER_FENCED;
    }
  }
  TxnTransitMetadata t = v_;
  t.state = TransactionState::empty;
  t.producer_epoch = epoch;
  t.last_producer_epoch = last;
  t.txn_timeout_ms = txn_timeout_ms;
  t.partitions.clear();
  t.txn_start_ms = -1;
  t.txn_last_update_ms = now_ms;
  t.next_producer_id = kNoProducerId;
  t.epoch_bump_per_txn = false;
  return prepare_transition(t);
}

TxnTransitMetadata TransactionMetadata::prepare_producer_id_rotation(int64_t new_producer_id, int32_t txn_timeout_ms,
                                                                     int64_t now_ms, bool record_last_epoch) {
  SIM_ASSERT(!has_open_transaction(v_.state), "rotating producer ids while a transaction is open");
  TxnTransitMetadata t = v_;
  t.state = TransactionState::empty;
  t.producer_id = new_producer_id;
  t.producer_epoch = 0;
  t.last_producer_epoch = record_last_epoch ? v_.producer_epoch : static_cast<int16_t>(-1);
  t.txn_timeout_ms = txn_timeout_ms;
  t.partitions.clear();
  t.txn_start_ms = -1;
  t.txn_last_update_ms = now_ms;
  t.next_producer_id = kNoProducerId;
  t.epoch_bump_per_txn = false;
  return prepare_transition(t);
}

TxnTransitMetadata TransactionMetadata::prepare_add_partitions(const std::set<TopicPartition>& added, int64_t now_ms) {
  TxnTransitMetadata t = v_;
  // A transaction starts with its first partition.
  if (v_.state == TransactionState::empty || v_.state == TransactionState::complete_abort || v_.state == TransactionState::complete_commit)
    t.txn_start_ms = now_ms;
  t.state = TransactionState::ongoing;
  t.partitions.insert(added.begin(), added.end());
  t.txn_last_update_ms = now_ms;
  t.next_producer_id = kNoProducerId;
  t.epoch_bump_per_txn = false;
  return prepare_transition(t);
}

TxnTransitMetadata TransactionMetadata::prepare_abort_or_commit(TransactionState next, bool epoch_bump_per_txn, int64_t next_producer_id,
                                                                int64_t now_ms) {
  TxnTransitMetadata t = v_;
  t.state = next;
  if (epoch_bump_per_txn) {
    t.producer_epoch = static_cast<int16_t>(v_.producer_epoch + 1);
    t.last_producer_epoch = v_.producer_epoch;
  }
  t.next_producer_id = next_producer_id;
  t.txn_last_update_ms = now_ms;
  t.epoch_bump_per_txn = epoch_bump_per_txn;
  return prepare_transition(t);
}

TxnTransitMetadata TransactionMetadata::prepare_complete(int64_t now_ms) {
  has_failed_epoch_fence_ = false;  // the fence's abort was written
  TxnTransitMetadata t = v_;
  t.state = v_.state == TransactionState::prepare_commit ? TransactionState::complete_commit : TransactionState::complete_abort;
  // KIP-890 part 2: an overflowed epoch moves to the next producer id once the markers are in.
  if (v_.epoch_bump_per_txn && v_.next_producer_id != kNoProducerId) {
    t.producer_id = v_.next_producer_id;
    t.producer_epoch = 0;
  }
  t.last_producer_epoch = v_.producer_epoch;
  t.next_producer_id = kNoProducerId;
  t.partitions.clear();
  t.txn_last_update_ms = now_ms;
  return prepare_transition(t);
}

void TransactionMetadata::take_over_fence(int16_t fenced_epoch) {
  SIM_ASSERT(pending_ == TransactionState::prepare_epoch_fence, "taking over a fence that is not pending");
  pending_.reset();
  v_.producer_epoch = fenced_epoch;
  v_.last_producer_epoch = -1;
}

bool TransactionMetadata::valid_producer_epoch(const TxnTransitMetadata& t) const {
  const bool complete = t.state == TransactionState::complete_commit || t.state == TransactionState::complete_abort;
  const bool prepare = t.state == TransactionState::prepare_commit || t.state == TransactionState::prepare_abort;
  const bool overflow_complete = t.epoch_bump_per_txn && complete && t.producer_epoch == 0;
  const int16_t epoch = overflow_complete || (t.epoch_bump_per_txn && prepare) ? t.last_producer_epoch : t.producer_epoch;
  const int64_t id = overflow_complete ? t.prev_producer_id : t.producer_id;
  return epoch == v_.producer_epoch && id == v_.producer_id;
}

bool TransactionMetadata::valid_producer_epoch_bump(const TxnTransitMetadata& t) const {
  return t.producer_epoch == v_.producer_epoch + 1 || (t.producer_epoch == 0 && t.producer_id != v_.producer_id);
}

void TransactionMetadata::complete_transition(const TxnTransitMetadata& t) {
  // TransactionMetadata.completeTransitionTo: what was prepared is what completes, and each
  // state's values move only as that transition allows.
  const std::string who = fmt::format("{}: completing {}", transactional_id_, to_string(t.state));
  SIM_ASSERT(pending_ == t.state, who + " which is not the pending transition");
  switch (t.state) {
    case TransactionState::empty:
      SIM_ASSERT((t.producer_epoch == v_.producer_epoch || valid_producer_epoch_bump(t)) && t.partitions.empty() &&
                     t.txn_start_ms == -1,
                 who);
      v_ = t;
      break;
    case TransactionState::ongoing:
      SIM_ASSERT(valid_producer_epoch(t) && std::includes(t.partitions.begin(), t.partitions.end(), v_.partitions.begin(),
                                                          v_.partitions.end()) &&
                     t.txn_timeout_ms == v_.txn_timeout_ms,
                 who);
      v_.txn_start_ms = t.txn_start_ms;
      v_.partitions = t.partitions;
      break;
    case TransactionState::prepare_commit:
    case TransactionState::prepare_abort:
      SIM_ASSERT(valid_producer_epoch(t) && t.partitions == v_.partitions && t.txn_timeout_ms == v_.txn_timeout_ms &&
                     t.txn_start_ms == v_.txn_start_ms,
                 who);
      if (t.epoch_bump_per_txn) {
        v_.producer_epoch = t.producer_epoch;
        v_.last_producer_epoch = t.last_producer_epoch;
        v_.next_producer_id = t.next_producer_id;
      }
      break;
    case TransactionState::complete_commit:
    case TransactionState::complete_abort:
      SIM_ASSERT(valid_producer_epoch(t) && t.txn_timeout_ms == v_.txn_timeout_ms && t.txn_start_ms != -1, who);
      v_.partitions.clear();
      if (t.epoch_bump_per_txn) {
        v_.producer_epoch = t.producer_epoch;
        v_.last_producer_epoch = t.last_producer_epoch;
        v_.prev_producer_id = t.prev_producer_id;
        v_.producer_id = t.producer_id;
        v_.next_producer_id = t.next_producer_id;
      }
      break;
    case TransactionState::prepare_epoch_fence:
    case TransactionState::dead: SIM_ASSERT(false, who + ", which is never written");
  }
  v_.epoch_bump_per_txn = t.epoch_bump_per_txn;
  v_.txn_last_update_ms = t.txn_last_update_ms;
  v_.state = t.state;
  pending_.reset();
}

}  // namespace kafka
