#pragma once
// A replica's log as the report's views read it from the trace: runs of offsets, each written in
// one leader epoch (and, when the log tells producers apart, by one producer), in offset order.
// An append cuts what it overwrites and extends the last run when it continues it; a
// truncation cuts the end. A 1M-record log is a few runs, not one entry per batch.
//
// (offset, leader epoch) names one record (KIP-101): the Replica logs and Record fates both ask
// whether a log still holds an acknowledged record by asking for the run holding its offset and
// comparing epochs.
#include <cstdint>
#include <vector>

namespace report {

class EpochLog {
 public:
  // [base, end) written in `epoch` by producer `pid` (-1: not told apart, or none).
  struct Run {
    int64_t base = 0, end = 0, epoch = 0, pid = -1;
  };

  EpochLog() = default;
  explicit EpochLog(bool by_producer) : by_producer_(by_producer) {}

  void append(int64_t base, int64_t count, int64_t epoch, int64_t pid = -1);
  void truncate(int64_t to);
  // The run holding `offset`, or null.
  const Run* holding(int64_t offset) const;
  // The epoch `offset` was written in, or -1 when the log does not hold it.
  int64_t epoch_at(int64_t offset) const {
    const Run* r = holding(offset);
    return r ? r->epoch : -1;
  }
  bool holds(int64_t offset, int64_t epoch) const { return epoch_at(offset) == epoch && epoch >= 0; }
  const std::vector<Run>& runs() const { return runs_; }

 private:
  bool by_producer_ = false;
  std::vector<Run> runs_;
};

}  // namespace report
