#pragma once
// The aborted transactions of one partition's log (Kafka's TransactionIndex, one .txnindex
// file per segment): each aborted transaction's producer, first offset and marker offset, so
// a READ_COMMITTED fetch can list those overlapping what it returns
// (UnifiedLog.collectAbortedTransactions). Kafka keeps the file durable for flushed segments
// and rebuilds it for the segments it recovers (LogSegment.recover); this log recovers by
// replaying all of itself, so the index is rebuilt from the log at every start and after every
// truncation, with the same result (TransactionIndex.truncateTo).
#include <cstdint>
#include <vector>

#include "broker_model/log/producer_state.hpp"

namespace kafka {

struct AbortedTxn {
  int64_t producer_id;
  int64_t first_offset;
  int64_t last_offset;  // the ABORT marker's offset
  bool operator==(const AbortedTxn&) const = default;
};

class TransactionIndex {
 public:
  // Appends in marker order, as LogSegment.updateTxnIndex does.
  void append(const CompletedTxn& txn) {
    if (txn.is_aborted) entries_.push_back({txn.producer_id, txn.first_offset, txn.last_offset});
  }
  // Drops the transactions whose marker is at or after offset.
  void truncate_to(int64_t offset) {
    std::erase_if(entries_, [offset](const AbortedTxn& t) { return t.last_offset >= offset; });
  }
  // The aborted transactions overlapping [from, up_to): marker at or after `from`, first
  // offset before `up_to` (TransactionIndex.collectAbortedTxns).
  std::vector<AbortedTxn> collect(int64_t from, int64_t up_to) const {
    std::vector<AbortedTxn> out;
    for (const AbortedTxn& t : entries_)
      if (t.last_offset >= from && t.first_offset < up_to) out.push_back(t);
    return out;
  }
  const std::vector<AbortedTxn>& entries() const { return entries_; }
  void clear() { entries_.clear(); }

 private:
  std::vector<AbortedTxn> entries_;
};

}  // namespace kafka
