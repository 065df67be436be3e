#pragma once
// Records fetched and not yet returned by poll() (Kafka's FetchBuffer), per partition. The
// Fetcher fills it; poll() drains it up to max.poll.records; a seek, a truncation or a
// revocation drops a partition's records.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <vector>

#include "broker_model/log/record_batch.hpp"
#include "broker_model/protocol/topic_partition.hpp"

namespace kafka {

// One record as poll() returns it (ConsumerRecord), with the leader epoch of its batch.
struct ConsumerRecord {
  TopicPartition tp;
  int64_t offset;
  int32_t leader_epoch;
  Record record;
  // Not a record for the application: a control batch, or a batch of an aborted transaction
  // under read_committed, ending at `offset`. The position moves past it when poll() reaches
  // it (CompletedFetch's nextFetchOffset), and poll() returns nothing for it.
  bool skipped = false;
};

class FetchBuffer {
 public:
  bool empty(const TopicPartition& tp) const {
    auto it = records_.find(tp);
    return it == records_.end() || it->second.empty();
  }
  void add(ConsumerRecord r) {
    auto& q = records_[r.tp];
    q.push_back(std::move(r));
  }
  void drop(const TopicPartition& tp) { records_.erase(tp); }
  void drop(const std::vector<TopicPartition>& partitions) {
    for (const auto& tp : partitions) records_.erase(tp);
  }
  void clear() { records_.clear(); }
  // Partitions in TopicPartition order, records in offset order, at most max in all
  // (skipped entries come along without counting).
  template <typename Assigned>
  std::vector<ConsumerRecord> drain(size_t max, Assigned&& is_assigned) {
    std::vector<ConsumerRecord> out;
    size_t records = 0;
    for (auto& [tp, q] : records_) {
      if (!is_assigned(tp)) continue;
      while (!q.empty() && (records < max || q.front().skipped)) {
        records += q.front().skipped ? 0 : 1;
        out.push_back(std::move(q.front()));
        q.pop_front();
      }
      if (records >= max) break;
    }
    return out;
  }

 private:
  std::map<TopicPartition, std::deque<ConsumerRecord>> records_;
};

}  // namespace kafka
