#include "reports/epoch_log.hpp"

#include <algorithm>

namespace report {

void EpochLog::append(int64_t base, int64_t count, int64_t epoch, int64_t pid) {
  truncate(base);
  if (count <= 0) return;
  if (!by_producer_) pid = -1;
  if (!runs_.empty() && runs_.back().end == base && runs_.back().epoch == epoch && runs_.back().pid == pid) {
    runs_.back().end = base + count;
    return;
  }
  runs_.push_back({base, base + count, epoch, pid});
}

void EpochLog::truncate(int64_t to) {
  while (!runs_.empty() && runs_.back().base >= to) runs_.pop_back();
  if (!runs_.empty() && runs_.back().end > to) runs_.back().end = to;
}

const EpochLog::Run* EpochLog::holding(int64_t offset) const {
  auto it = std::upper_bound(runs_.begin(), runs_.end(), offset, [](int64_t o, const Run& r) { return o < r.base; });
  if (it == runs_.begin()) return nullptr;
  --it;
  return offset < it->end ? &*it : nullptr;
}

}  // namespace report
