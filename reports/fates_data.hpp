#pragma once
// The Record fates view's data: for each acknowledged record, where it landed, whether it
// survived, and how often each group processed it.
//
// A record is known by its partition, offset and the leader epoch it was written in: one epoch
// has one leader, so (offset, epoch) names one record, as Kafka's own truncation logic assumes
// (KIP-101). The acknowledged record's epoch is the one of the leader's append that covered its
// offset when the acknowledgement came; it survived if the partition's last leader still holds
// that offset in that epoch when the trace ends. A group processed it when one of its members
// reported a record at that offset with the same value (consumer.processed).
//
// Flags, each a filter of the view: lost (acknowledged, not in the last leader's log),
// duplicated (a group processed it twice or more), never (it survived, and a group that reads
// its topic never processed it), skipped (never, though the group processed a later offset of
// the partition), reordered (an earlier send of the same producer to the same partition landed
// after it).
//
// The per-partition and per-group counts are whole; the records listed are every flagged one
// up to a cap per flag and the first ones of the rest, and the block says so.
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "reports/epoch_log.hpp"
#include "reports/view_data.hpp"

namespace report {

class FatesData final : public ViewData {
 public:
  const char* name() const override { return "fates"; }
  void write(const sim::Event& e) override;
  nlohmann::ordered_json json(int64_t end_ns) const override;
  void summarised(std::vector<std::string>& out) const override;

  struct Record {
    uint32_t partition = 0;  // index into partitions_
    uint32_t producer = 0;   // index into names_
    int64_t op = 0;
    int64_t offset = 0;
    int64_t epoch = -1;
    int64_t sent_ns = 0, acked_ns = 0;
    uint64_t value_hash = 0;
    uint32_t key_at = 0, value_at = 0;  // into text_
    uint32_t key_len = 0, value_len = 0;
    uint32_t earlier = 0;  // the record acknowledged at the same offset before this one, + 1 (0: none)
  };

 private:
  struct Partition {
    std::string name;  // topic-partition
    std::string topic;
    std::map<std::string, EpochLog, std::less<>> replicas;  // by broker
    EpochLog leader_view;    // what the partition's leaders appended, newest wins
    std::string last_leader;  // the broker that last became leader
  };
  struct Pending {
    std::string topic;
    int64_t sent_ns = 0;
    uint32_t key_at = 0, value_at = 0, key_len = 0, value_len = 0;
    uint64_t value_hash = 0;
  };
  // How often one group processed each acknowledged record (a record at its offset with its
  // value: a later record acknowledged at a reused offset is another record).
  struct GroupProcessing {
    std::vector<uint8_t> counts;       // [record]
    std::vector<int64_t> max_offset;   // [partition]: the highest offset it processed
    std::map<std::string, bool, std::less<>> topics;
  };

  uint32_t partition_index(std::string_view topic, int64_t partition);
  uint32_t name_index(std::string_view name);
  // A process's operation as one number: its process's index and its op.
  uint64_t op_key(std::string_view process, int64_t op) { return (uint64_t{name_index(process)} << 40) ^ static_cast<uint64_t>(op); }
  EpochLog& replica(uint32_t partition, std::string_view broker);
  // s kept in text_, or nothing once text_ holds kMaxText bytes (the record's hash still counts).
  uint32_t keep_text(std::string_view s, uint32_t& len);
  std::string_view text(uint32_t at, uint32_t len) const { return std::string_view(text_).substr(at, len); }
  // The record acknowledged at (partition, offset) with this value, the latest if several: its
  // index + 1, or 0.
  uint32_t acked_at(uint32_t partition, int64_t offset, uint64_t value_hash) const;

  std::vector<Partition> partitions_;
  std::map<std::string, std::vector<uint32_t>, std::less<>> partition_ids_;  // topic -> [partition] index + 1
  std::vector<std::string> names_;
  std::map<std::string, uint32_t, std::less<>> name_ids_;
  std::unordered_map<uint64_t, Pending> pending_;  // sends invoked, by op_key(process, op)
  std::vector<Record> records_;
  std::vector<std::vector<uint32_t>> acked_by_offset_;  // [partition][offset] -> record + 1 (0: none)
  std::map<std::string, GroupProcessing, std::less<>> groups_;
  std::string text_;  // every kept key and value, end to end
  size_t texts_left_out_ = 0;
};

}  // namespace report
