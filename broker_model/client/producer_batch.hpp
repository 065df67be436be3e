#pragma once
// One batch of the producer's record accumulator (Kafka's ProducerBatch) and what the
// application is told about each of its records.
#include <compare>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker_model/log/record_batch.hpp"
#include "broker_model/protocol/errors.hpp"
#include "broker_model/protocol/topic_partition.hpp"
#include "sim/node.hpp"

namespace kafka {

enum class Outcome { ok, fail, info };

struct SendResult {
  uint64_t op = 0;
  Outcome outcome = Outcome::ok;
  Error error = Error::NONE;
  int32_t partition = -1;
  int64_t offset = -1;
  Error cause = Error::NONE;  // the last error from a broker, when the outcome is a timeout
};

using SendCallback = std::function<void(sim::Context&, const SendResult&)>;

// ProducerIdAndEpoch: valid once InitProducerId gave an id.
struct ProducerIdAndEpoch {
  int64_t producer_id = kNoProducerId;
  int16_t epoch = -1;
  bool valid() const { return producer_id > kNoProducerId; }
  auto operator<=>(const ProducerIdAndEpoch&) const = default;
};

struct PendingRecord {
  uint64_t op;
  std::string topic;
  Record record;
  SendCallback done;
  sim::Time enqueued;
};

struct ProducerBatch {
  uint64_t id;
  std::string topic;
  int32_t partition;
  std::vector<PendingRecord> records;
  uint32_t bytes = 61;
  sim::Time created;
  sim::Time last_attempt;  // lastAttemptMs: when it was last re-enqueued (unset: never)
  sim::Time retry_at;      // last_attempt + the retry backoff
  int32_t attempts = 0;  // sends so far (Kafka's attempts() counts re-enqueues: this minus one)
  // ProducerBatch.setProducerState, set when the batch is first drained and kept across retries
  // unless the transaction manager rewrites it (resetProducerState).
  ProducerIdAndEpoch producer;
  int32_t base_sequence = kNoSequence;
  bool reopened = false;  // sequenceHasBeenReset: its sequence was rewritten after it was first sent
  bool retry = false;     // inRetry: re-enqueued at least once
  bool maybe_applied = false;  // some attempt may have reached the log
  Error last_error = Error::NONE;
  // ProducerBatch.FinalState: set once, by the first outcome (unset: still in play).
  std::optional<Outcome> final_state;

  TopicPartition tp() const { return {topic, partition}; }
  int32_t record_count() const { return static_cast<int32_t>(records.size()); }
  bool has_sequence() const { return base_sequence != kNoSequence; }
  // MemoryRecordsBuilder.isFull: the buffer is sized max(batch.size, the first record's
  // estimateSizeInBytesUpperBound), so a batch whose one record outgrows batch.size still has
  // room by that bound and waits linger.ms like any other; only a batch of several can fill.
  bool full(uint32_t batch_size) const { return records.size() > 1 && bytes >= batch_size; }
  // DefaultRecordBatch.incrementSequence: sequences wrap after Integer.MAX_VALUE.
  int32_t last_sequence() const {
    const int64_t last = static_cast<int64_t>(base_sequence) + record_count() - 1;
    return static_cast<int32_t>(last > std::numeric_limits<int32_t>::max() ? last - std::numeric_limits<int32_t>::max() - 1 : last);
  }
  bool done() const { return final_state.has_value(); }
};
using ProducerBatchPtr = std::shared_ptr<ProducerBatch>;

}  // namespace kafka
