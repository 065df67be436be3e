#include "broker_model/log/leader_epoch_cache.hpp"

namespace kafka {

bool LeaderEpochCache::assign(int32_t epoch, int64_t start_offset) {
  if (!entries_.empty()) {
    const EpochEntry& last = entries_.back();
    if (epoch < last.epoch) return false;
    if (epoch == last.epoch) return false;  // the first offset of an epoch never moves forward
  }
  // Entries starting at or after this one are superseded (they were truncated away).
  while (!entries_.empty() && entries_.back().start_offset >= start_offset) entries_.pop_back();
  entries_.push_back({epoch, start_offset});
  return true;
}

std::pair<int32_t, int64_t> LeaderEpochCache::end_offset_for(int32_t requested, int64_t log_end_offset) const {
  if (entries_.empty() || requested < entries_.front().epoch) return {-1, -1};
  for (size_t i = entries_.size(); i-- > 0;) {
    if (entries_[i].epoch <= requested) {
      const int64_t end = i + 1 < entries_.size() ? entries_[i + 1].start_offset : log_end_offset;
      return {entries_[i].epoch, end};
    }
  }
  return {-1, -1};
}

int64_t LeaderEpochCache::end_offset_v0(int32_t requested, int64_t log_end_offset) const {
  if (entries_.empty()) return -1;
  if (requested == entries_.back().epoch) return log_end_offset;
  if (requested < entries_.front().epoch) return -1;
  for (const EpochEntry& e : entries_)
    if (e.epoch > requested) return e.start_offset;
  return -1;
}

bool LeaderEpochCache::truncate_from_end(int64_t offset) {
  bool changed = false;
  while (!entries_.empty() && entries_.back().start_offset >= offset) {
    entries_.pop_back();
    changed = true;
  }
  return changed;
}

}  // namespace kafka
