#pragma once
// Records and record batches as Kafka stores and ships them. A batch is immutable once it has
// offsets; leaders make a new batch object with offsets and epoch, and followers, disks and
// fetch responses share that object.
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "sim/disk.hpp"

namespace kafka {

constexpr int64_t kNoProducerId = -1;
constexpr int32_t kNoSequence = -1;
constexpr int32_t kNoEpoch = -1;

// One record header (Kafka's Header): Headers are an ordered list in which a key may repeat.
struct Header {
  std::string key;
  std::string value;
  bool operator==(const Header&) const = default;
};

// A record's headers behind one pointer: most records carry none, and then cost 8 bytes rather
// than an empty vector's 24 (a million-record run holds every record in its logs).
class Headers {
 public:
  Headers() = default;
  Headers(std::vector<Header> list)  // NOLINT: implicit, as the list it holds
      : list_(list.empty() ? nullptr : std::make_unique<std::vector<Header>>(std::move(list))) {}
  Headers(std::initializer_list<Header> list) : Headers(std::vector<Header>(list)) {}
  Headers(const Headers& o) : list_(o.list_ ? std::make_unique<std::vector<Header>>(*o.list_) : nullptr) {}
  Headers& operator=(const Headers& o) {
    if (this != &o) list_ = o.list_ ? std::make_unique<std::vector<Header>>(*o.list_) : nullptr;
    return *this;
  }
  Headers(Headers&&) noexcept = default;
  Headers& operator=(Headers&&) noexcept = default;

  const std::vector<Header>& list() const {
    static const std::vector<Header> kNone;
    return list_ ? *list_ : kNone;
  }
  std::vector<Header>::const_iterator begin() const { return list().begin(); }
  std::vector<Header>::const_iterator end() const { return list().end(); }
  size_t size() const { return list_ ? list_->size() : 0; }
  bool empty() const { return !list_; }
  bool operator==(const Headers& o) const { return list() == o.list(); }
  bool operator==(const std::vector<Header>& o) const { return list() == o; }

 private:
  std::unique_ptr<std::vector<Header>> list_;
};

struct Record {
  std::string key;
  std::string value;       // unique per record in generated workloads, so the checker can tell them apart
  bool has_key = true;
  uint32_t value_bytes = 0;  // bytes the value stands for (a generated value is not padded in memory)
  int64_t timestamp_ms = 0;
  Headers headers;
};

// A record's bytes in a v2 batch: about 20 bytes of framing (lengths, attributes, deltas, the
// header count) plus key, value and headers; a header costs its key and value and a varint
// length of each (one byte at the sizes used here; DefaultRecord.sizeOf).
inline uint32_t record_bytes(const Record& r) {
  uint32_t n = 20 + static_cast<uint32_t>(r.key.size()) + r.value_bytes;
  for (const Header& h : r.headers) n += 2 + static_cast<uint32_t>(h.key.size() + h.value.size());
  return n;
}
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
    for (const Record& r : *records) n += record_bytes(r);
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

}  // namespace kafka
