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
  if (b.producer_epoch < e.epoch) return {Error::INVALID_PRODUCER_EPOCH, std::nullopt};
  if (b.producer_epoch > e.epoch) {
    // A new epoch must start its sequences at 0.
    if (b.base_sequence != 0) return {Error::OUT_OF_ORDER_SEQUENCE_NUMBER, std::nullopt};
    return {};
  }
  for (const BatchMeta& m : e.batches) {
    if (m.first_seq == b.base_sequence && m.last_seq == b.last_sequence()) return {Error::NONE, m.base_offset};
  }
  if (e.batches.empty()) return {};
  const int32_t expected = next_seq(e.batches.back().last_seq);
  // ProducerAppendInfo.checkSequence (1.1+): anything but the next sequence is out of order,
  // including a duplicate older than the retained batches (0.11 and 1.0 answered that one with
  // DUPLICATE_SEQUENCE_NUMBER; every version modelled here is later).
  if (b.base_sequence != expected) return {Error::OUT_OF_ORDER_SEQUENCE_NUMBER, std::nullopt};
  return {};
}

void ProducerStateManager::update(const RecordBatch& b) {
  if (b.producer_id == kNoProducerId) return;
  Entry& e = producers_[b.producer_id];
  if (b.producer_epoch > e.epoch) {
    e.epoch = b.producer_epoch;
    e.batches.clear();
  }
  e.batches.push_back({b.base_sequence, b.last_sequence(), b.base_offset});
  while (e.batches.size() > kBatchesRetained) e.batches.pop_front();
}

}  // namespace kafka
