#include "broker_model/log/producer_state.hpp"

#include <limits>

namespace kafka {

namespace {
// Sequences wrap after Integer.MAX_VALUE.
int32_t next_seq(int32_t s) { return s == std::numeric_limits<int32_t>::max() ? 0 : s + 1; }
}  // namespace

ProducerStateManager::Check ProducerStateManager::check(const RecordBatch& b) const {
  if (b.producer_id == kNoProducerId) return {};
  auto it = producers_.find(b.producer_id);
  if (it == producers_.end()) return {};  // no state: any sequence is accepted
  const Entry& e = it->second;
  // checkProducerEpoch: code 47 in every version; before 2.7 (KIP-588) clients read it as
  // ProducerFencedException, since then as the abortable InvalidProducerEpochException.
  if (b.producer_epoch < e.epoch) return {Error::INVALID_PRODUCER_EPOCH, std::nullopt};
  if (b.producer_epoch == e.epoch) {
    // findDuplicateBatch comes before any other check (UnifiedLog.analyzeAndValidateProducerState).
    for (const BatchMeta& m : e.batches) {
      if (m.first_seq == b.base_sequence && m.last_seq == b.last_sequence()) return {Error::NONE, m.base_offset};
    }
  }
  if (const Error seq = check_sequence(e, b); seq != Error::NONE) return {seq, std::nullopt};
  // appendDataBatch, after the sequence: a producer with a transaction open here writes only
  // transactional batches.
  if (e.current_txn_first_offset && !b.transactional) return {Error::INVALID_TXN_STATE, std::nullopt};
  return {};
}

Error ProducerStateManager::check_sequence(const Entry& e, const RecordBatch& b) {
  // A new epoch must start its sequences at 0.
  if (b.producer_epoch > e.epoch) return b.base_sequence == 0 ? Error::NONE : Error::OUT_OF_ORDER_SEQUENCE_NUMBER;
  // A marker took this epoch and no batch followed yet: the epoch's sequences start at 0
  // (checkSequence with currentLastSeq NO_SEQUENCE).
  const int32_t expected = e.batches.empty() ? 0 : next_seq(e.batches.back().last_seq);
  // ProducerAppendInfo.checkSequence (1.1+): anything but the next sequence is out of order,
  // including a duplicate older than the retained batches (0.11 and 1.0 answered that one with
  // DUPLICATE_SEQUENCE_NUMBER; every version modelled here is later).
  return b.base_sequence == expected ? Error::NONE : Error::OUT_OF_ORDER_SEQUENCE_NUMBER;
}

Error ProducerStateManager::check_marker(int64_t producer_id, int16_t producer_epoch, int32_t coordinator_epoch) const {
  auto it = producers_.find(producer_id);
  if (it == producers_.end()) return Error::NONE;
  if (producer_epoch < it->second.epoch) return Error::INVALID_PRODUCER_EPOCH;
  if (it->second.coordinator_epoch > coordinator_epoch) return Error::TRANSACTION_COORDINATOR_FENCED;
  return Error::NONE;
}

void ProducerStateManager::take_epoch(Entry& e, int16_t epoch) {
  if (epoch == e.epoch) return;
  e.epoch = epoch;
  e.batches.clear();
}

std::optional<CompletedTxn> ProducerStateManager::update(const RecordBatch& b) {
  if (b.producer_id == kNoProducerId) return std::nullopt;
  // UnifiedLog.updateProducers: a data batch opened (or continued) the transaction, a marker
  // ended it; either way the verification is over.
  if (b.transactional || b.control) verification_states_.erase(b.producer_id);
  Entry& e = producers_[b.producer_id];
  if (b.control) {
    // appendEndTxnMarker: only a transaction with data here is completed; the marker takes
    // its epoch and coordinator epoch either way (replicated markers are not checked).
    std::optional<CompletedTxn> done;
    if (b.is_txn_marker() && e.current_txn_first_offset) {
      done = CompletedTxn{b.producer_id, *e.current_txn_first_offset, b.base_offset, b.control_type == ControlType::abort};
      ongoing_.erase(*e.current_txn_first_offset);
      unreplicated_[done->first_offset] = *done;
    }
    if (b.producer_epoch > e.epoch) take_epoch(e, b.producer_epoch);
    e.coordinator_epoch = b.coordinator_epoch;
    e.current_txn_first_offset.reset();
    return done;
  }
  if (b.producer_epoch < e.epoch) {
    // A batch of a fenced epoch, which only a leader with the bug switch
    // leader_accepts_fenced_epoch appends (and its followers copy): it joins the producer id's
    // open transaction here, or opens one, and leaves the current epoch's sequences alone.
    if (b.transactional && !e.current_txn_first_offset) {
      e.current_txn_first_offset = b.base_offset;
      ongoing_[b.base_offset] = b.producer_id;
    }
    return std::nullopt;
  }
  if (b.producer_epoch > e.epoch) take_epoch(e, b.producer_epoch);
  e.batches.push_back({b.base_sequence, b.last_sequence(), b.base_offset});
  while (e.batches.size() > kBatchesRetained) e.batches.pop_front();
  if (b.transactional && !e.current_txn_first_offset) {
    e.current_txn_first_offset = b.base_offset;  // a transaction begins here
    ongoing_[b.base_offset] = b.producer_id;
  }
  return std::nullopt;
}

void ProducerStateManager::on_high_watermark_updated(int64_t hw) {
  // removeUnreplicatedTransactions: every transaction whose marker is below the HW.
  std::erase_if(unreplicated_, [hw](const auto& kv) { return kv.second.last_offset < hw; });
}

std::optional<int64_t> ProducerStateManager::first_unstable_offset() const {
  std::optional<int64_t> out;
  if (!unreplicated_.empty()) out = unreplicated_.begin()->first;
  if (!ongoing_.empty() && (!out || ongoing_.begin()->first < *out)) out = ongoing_.begin()->first;
  return out;
}

bool ProducerStateManager::has_ongoing_txn(int64_t producer_id) const {
  auto it = producers_.find(producer_id);
  return it != producers_.end() && it->second.current_txn_first_offset.has_value();
}

uint64_t ProducerStateManager::maybe_create_verification_state_entry(int64_t producer_id, int32_t sequence, int16_t epoch,
                                                                     int64_t now_ms) {
  auto [it, created] = verification_states_.try_emplace(producer_id, VerificationStateEntry{now_ms, next_guard_, sequence, epoch});
  if (created) {
    ++next_guard_;
    return it->second.guard;
  }
  // VerificationStateEntry.maybeUpdateLowestSequenceAndEpoch: a lower sequence of the same
  // epoch, or a newer epoch, becomes the entry's.
  VerificationStateEntry& e = it->second;
  if (epoch == e.epoch && sequence < e.lowest_sequence) e.lowest_sequence = sequence;
  if (epoch > e.epoch) {
    e.epoch = epoch;
    e.lowest_sequence = sequence;
  }
  return e.guard;
}

uint64_t ProducerStateManager::verification_guard(int64_t producer_id) const {
  auto it = verification_states_.find(producer_id);
  return it == verification_states_.end() ? 0 : it->second.guard;
}

void ProducerStateManager::clear() {
  producers_.clear();
  ongoing_.clear();
  unreplicated_.clear();
}

}  // namespace kafka
