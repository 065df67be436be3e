#pragma once
// Records and record batches as Kafka stores and ships them. A batch is immutable once it has
// offsets; leaders make a new batch object with offsets and epoch, and followers, disks and
// fetch responses share that object.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/disk.hpp"

namespace kafka {

constexpr int64_t kNoProducerId = -1;
constexpr int32_t kNoSequence = -1;
constexpr int32_t kNoEpoch = -1;

struct Record {
  std::string key;
  std::string value;       // unique per record in generated workloads, so the checker can tell them apart
  bool has_key = true;
  uint32_t value_bytes = 0;  // bytes the value stands for (a generated value is not padded in memory)
  int64_t timestamp_ms = 0;
};

// ControlRecordType of an end-transaction marker (the key of a control batch's one record).
enum class ControlType : int8_t { none = -1, abort = 0, commit = 1 };

struct RecordBatch final : sim::DiskEntry {
  int64_t base_offset = -1;
  int32_t partition_leader_epoch = kNoEpoch;
  int64_t producer_id = kNoProducerId;
  int16_t producer_epoch = -1;
  int32_t base_sequence = kNoSequence;
  bool transactional = false;
  bool control = false;
  // A control batch's EndTransactionMarker: Kafka keeps the type in its one record's key and the
  // transaction coordinator's epoch in its value; the batch holds one empty record here, so the
  // marker takes an offset as in Kafka.
  ControlType control_type = ControlType::none;
  int32_t coordinator_epoch = -1;
  std::shared_ptr<const std::vector<Record>> records;

  int32_t count() const { return static_cast<int32_t>(records->size()); }
  int64_t last_offset() const { return base_offset + count() - 1; }
  int64_t next_offset() const { return base_offset + count(); }
  int32_t last_sequence() const { return base_sequence + count() - 1; }
  bool is_txn_marker() const { return control && control_type != ControlType::none; }
  // Kafka's v2 batch overhead (61 bytes) plus about 20 bytes of framing per record.
  uint32_t size_bytes() const override {
    uint32_t n = 61;
    for (const Record& r : *records) n += 20 + static_cast<uint32_t>(r.key.size()) + r.value_bytes;
    return n;
  }
};
using BatchPtr = std::shared_ptr<const RecordBatch>;

// A control batch holding one end-transaction marker (EndTransactionMarker), as the transaction
// coordinator's WriteTxnMarkers makes a leader write it.
inline RecordBatch txn_marker_batch(int64_t producer_id, int16_t producer_epoch, int32_t coordinator_epoch, bool committed,
                                    int64_t timestamp_ms) {
  RecordBatch b;
  b.producer_id = producer_id;
  b.producer_epoch = producer_epoch;
  b.transactional = true;
  b.control = true;
  b.control_type = committed ? ControlType::commit : ControlType::abort;
  b.coordinator_epoch = coordinator_epoch;
  Record marker;
  marker.has_key = true;
  marker.value_bytes = 6;  // version and coordinator epoch
  marker.timestamp_ms = timestamp_ms;
  b.records = std::make_shared<std::vector<Record>>(std::vector<Record>{marker});
  return b;
}

inline uint32_t record_bytes(const Record& r) { return 20 + static_cast<uint32_t>(r.key.size()) + r.value_bytes; }

}  // namespace kafka
