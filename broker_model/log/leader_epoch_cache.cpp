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
  // LeaderEpochFileCache.endOffsetFor.
  // Only UNDEFINED_EPOCH (-1) is answered as unknown; another negative epoch is older than
  // every entry and gets the first one's start offset below.
  if (requested == -1 || entries_.empty()) return {-1, -1};
  if (entries_.back().epoch == requested) return {requested, log_end_offset};
  size_t higher = 0;
  while (higher < entries_.size() && entries_[higher].epoch <= requested) ++higher;
  if (higher == entries_.size()) return {-1, -1};  // newer than anything known
  // Older than every known epoch: the follower should start where this log starts.
  if (higher == 0) return {requested, entries_.front().start_offset};
  return {entries_[higher - 1].epoch, entries_[higher].start_offset};
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
