#include "broker_model/client/fetcher.hpp"

#include <algorithm>
#include <memory>
#include <set>

#include <fmt/format.h>

namespace kafka {

void Fetcher::send_fetches(sim::Context& ctx) {
  // An exception waits for poll() to throw it (an OFFSET_OUT_OF_RANGE under
  // auto.offset.reset=none would only come back again): fetching resumes after that poll, as
  // Kafka's sendFetches runs inside poll().
  if (offset_fetcher_.has_exception()) return;
  std::map<BrokerId, std::shared_ptr<FetchRequest>> by_leader;
  for (const auto& [tp, s] : subscriptions_.assignment()) {
    if (s.state != FetchState::fetching || s.committed_offset_pending) continue;
    if (!buffer_.empty(tp)) continue;  // poll() has not returned what was fetched yet
    const BrokerId leader = metadata_.leader_of(tp);
    if (leader == kNoLeader) {
      metadata_.request_update(ctx);
      continue;
    }
    if (in_flight_.count(leader)) continue;
    auto& req = by_leader[leader];
    if (!req) {
      req = std::make_shared<FetchRequest>();
      req->replica_id = -1;
      req->max_wait_ms = static_cast<int32_t>(config_.integer("fetch.max.wait.ms"));
      req->min_bytes = static_cast<int32_t>(config_.integer("fetch.min.bytes"));
      req->isolation_level = read_committed() ? 1 : 0;
    }
    FetchRequest::PartitionData pd;
    pd.topic = tp.topic;
    pd.partition = tp.partition;
    pd.fetch_offset = s.fetch_offset;
    pd.current_leader_epoch = metadata_.leader_epoch_of(tp);
    pd.max_bytes = static_cast<int32_t>(config_.integer("max.partition.fetch.bytes"));
    req->partitions.push_back(pd);
  }
  for (auto& [leader, req] : by_leader) {
    req->correlation_id = client_.next_correlation_id();
    in_flight_[leader] = req->correlation_id;
    client_.send(ctx, leader, req);
  }
}

Fetcher::FetchOutcome Fetcher::handle_fetch(sim::Context& ctx, sim::NodeId from, const FetchResponse& resp) {
  auto in = in_flight_.find(client_.broker_of(from));
  if (in == in_flight_.end() || in->second != resp.correlation_id) return FetchOutcome::ignored;
  in_flight_.erase(in);
  bool any = false;
  for (const auto& pd : resp.partitions) {
    const TopicPartition tp{pd.topic, pd.partition};
    // FetchCollector: a partition no longer fetchable (awaiting a reset or a validation
    // since) ignores what the fetch brought.
    if (!subscriptions_.is_assigned(tp) || subscriptions_.state(tp).state != FetchState::fetching) continue;
    if (pd.error == Error::OFFSET_OUT_OF_RANGE) {
      offset_fetcher_.handle_offset_out_of_range(ctx, tp);
      continue;
    }
    if (pd.error != Error::NONE) {
      metadata_.request_update(ctx);
      continue;
    }
    subscriptions_.update_high_watermark(tp, pd.high_watermark);
    subscriptions_.update_last_stable_offset(tp, pd.last_stable_offset);
    buffer_records(tp, pd, any);
  }
  return any ? FetchOutcome::records : FetchOutcome::no_records;
}

void Fetcher::buffer_records(const TopicPartition& tp, const FetchResponse::PartitionData& pd, bool& any) {
  // CompletedFetch.nextFetchedRecord: the aborted transactions in first-offset order; a
  // producer's batches are dropped from its aborted transaction's first offset until its ABORT
  // marker. Control batches are never returned, in either isolation level.
  const bool committed_only = read_committed();
  std::vector<FetchResponse::PartitionData::AbortedTransaction> aborted = pd.aborted_transactions;
  std::stable_sort(aborted.begin(), aborted.end(), [](const auto& a, const auto& b) { return a.first_offset < b.first_offset; });
  size_t next_aborted = 0;
  std::set<int64_t> aborted_producers;
  int64_t next = subscriptions_.state(tp).fetch_offset;
  for (const BatchPtr& b : pd.batches) {
    if (b->last_offset() < next) continue;  // before the fetch position: already buffered or returned
    bool skip = b->control;
    if (committed_only && b->producer_id != kNoProducerId) {
      // consumeAbortedTransactionsUpTo(batch.lastOffset)
      while (next_aborted < aborted.size() && aborted[next_aborted].first_offset <= b->last_offset())
        aborted_producers.insert(aborted[next_aborted++].producer_id);
      if (b->is_txn_marker() && b->control_type == ControlType::abort) aborted_producers.erase(b->producer_id);
      else if (b->transactional && aborted_producers.count(b->producer_id)) skip = true;  // isBatchAborted
    }
    if (skip) {
      buffer_.add(ConsumerRecord{tp, b->last_offset(), b->partition_leader_epoch, Record{}, true});
      next = b->next_offset();
      any = true;
      continue;
    }
    for (size_t i = 0; i < b->records->size(); ++i) {
      const int64_t offset = b->base_offset + static_cast<int64_t>(i);
      if (offset < next) continue;
      // Bug switch consumer_drops_txn_record: the batch's first record taken for its header.
      const bool dropped = drops_txn_record_ && committed_only && b->transactional && i == 0;
      buffer_.add(ConsumerRecord{tp, offset, b->partition_leader_epoch, (*b->records)[i], dropped});
      next = offset + 1;
      any = true;
    }
  }
  if (next != subscriptions_.state(tp).fetch_offset) subscriptions_.advance_fetch_offset(tp, next);
}

std::vector<ConsumerRecord> Fetcher::collect_fetch(size_t max_poll_records) {
  std::vector<ConsumerRecord> records =
      buffer_.drain(max_poll_records, [this](const TopicPartition& tp) {
        return subscriptions_.is_assigned(tp) && subscriptions_.state(tp).state == FetchState::fetching;
      });
  std::vector<ConsumerRecord> out;
  for (ConsumerRecord& r : records) {
    subscriptions_.consumed(r.tp, r.offset + 1, r.leader_epoch);
    if (!r.skipped) out.push_back(std::move(r));
  }
  return out;
}

void Fetcher::report_lag(sim::Context& ctx) const {
  for (const auto& [tp, s] : subscriptions_.assignment()) {
    const int64_t end = read_committed() ? s.last_stable_offset : s.high_watermark;
    if (!s.has_position() || end < 0) continue;
    ctx.trace(event::ConsumerLag{.member = trace_.member(),
                                 .group = trace_.group_id(),
                                 .topic = tp.topic,
                                 .partition = tp.partition,
                                 .lag = std::max<int64_t>(0, end - s.offset)});
  }
}

}  // namespace kafka
