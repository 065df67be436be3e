#pragma once
// The leader epoch cache (KIP-101): for each leader epoch, the first offset written in it.
// Kept in memory and in the durable checkpoint file "leader-epoch-checkpoint", which Kafka
// writes atomically with fsync.
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace kafka {

struct EpochEntry {
  int32_t epoch;
  int64_t start_offset;
  bool operator==(const EpochEntry&) const = default;
};

class LeaderEpochCache {
 public:
  const std::vector<EpochEntry>& entries() const { return entries_; }
  void load(std::vector<EpochEntry> entries) { entries_ = std::move(entries); }

  // Records that `epoch` starts at `start_offset`; returns whether anything changed. A lower
  // epoch than the latest is ignored; a higher one at an offset not after the latest start
  // replaces the entries it overlaps.
  bool assign(int32_t epoch, int64_t start_offset);
  int32_t latest_epoch() const { return entries_.empty() ? -1 : entries_.back().epoch; }

  // KIP-279 (OffsetsForLeaderEpoch v1+): the largest epoch <= requested and its end offset
  // (the start of the next higher epoch, or the log end offset for the latest epoch). For an
  // epoch older than every known one: (requested, the first known epoch's start); for one
  // newer than every known one, or an empty cache: (-1, -1).
  std::pair<int32_t, int64_t> end_offset_for(int32_t requested, int64_t log_end_offset) const;
  // KIP-101 as first shipped (v0): only the end offset, taken as the start of the first
  // higher epoch even if this replica never had the requested epoch; -1 when unknown.
  int64_t end_offset_v0(int32_t requested, int64_t log_end_offset) const;

  // Removes epochs that start at or after offset (the log was truncated there).
  bool truncate_from_end(int64_t offset);

 private:
  std::vector<EpochEntry> entries_;
};

}  // namespace kafka
