#pragma once
// Idempotent-producer state of one partition (Kafka's ProducerStateManager): for each
// producer id its epoch and the metadata of its last five batches, used to reject
// out-of-order sequences and to answer retried duplicates with the original offsets
// (ProducerStateEntry.findDuplicateBatch, ProducerAppendInfo.checkSequence).
#include <cstdint>
#include <deque>
#include <map>
#include <optional>

#include "broker_model/log/record_batch.hpp"
#include "broker_model/protocol/errors.hpp"

namespace kafka {

class ProducerStateManager {
 public:
  static constexpr size_t kBatchesRetained = 5;  // ProducerStateEntry.NUM_BATCHES_TO_RETAIN

  struct Check {
    Error error = Error::NONE;
    std::optional<int64_t> duplicate_of;  // base offset of the retained original
  };
  // Validates an incoming batch from the leader's point of view (before offsets are given).
  Check check(const RecordBatch& batch) const;
  // Records an appended batch (leader or follower) with its offsets.
  void update(const RecordBatch& batch);
  void clear() { producers_.clear(); }

 private:
  struct BatchMeta {
    int32_t first_seq, last_seq;
    int64_t base_offset;
  };
  struct Entry {
    int16_t epoch = -1;
    std::deque<BatchMeta> batches;
  };
  std::map<int64_t, Entry> producers_;
};

}  // namespace kafka
