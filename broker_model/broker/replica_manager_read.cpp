// Reading as leader: Fetch from consumers and followers (ReplicaManager.fetchMessages, with
// the follower's fetch state updated as it reads), ListOffsets and OffsetsForLeaderEpoch.
#include "broker_model/broker/replica_manager.hpp"

namespace kafka {

namespace {
constexpr int8_t kReadCommitted = 1;  // IsolationLevel.READ_COMMITTED
}  // namespace

int64_t ReplicaManager::consumer_fetch_limit(const Partition& p, const FetchRequest& req) {
  return req.isolation_level == kReadCommitted ? p.log->last_stable_offset() : p.log->high_watermark();
}

std::optional<std::pair<int32_t, int64_t>> ReplicaManager::diverging_epoch(const Partition& p, const FetchRequest& req,
                                                                           const FetchRequest::PartitionData& pd) const {
  if (req.replica_id < 0 || fetcher_.mode() != TruncationMode::fetch_diverging || pd.last_fetched_epoch < 0) return std::nullopt;
  const auto [epoch, end] = p.log->epochs().end_offset_for(pd.last_fetched_epoch, p.log->log_end_offset());
  if (epoch == pd.last_fetched_epoch && end >= pd.fetch_offset) return std::nullopt;
  return std::make_pair(epoch, end);
}

void ReplicaManager::handle_fetch(sim::Context& ctx, sim::NodeId from, const std::shared_ptr<const FetchRequest>& req) {
  // Answered at once when there is something to say; otherwise it waits for records.
  bool ready = req->max_wait_ms <= 0;
  for (const auto& pd : req->partitions) {
    Partition* p = led({pd.topic, pd.partition});
    if (!p || (pd.current_leader_epoch >= 0 && pd.current_leader_epoch != p->leader_epoch)) {
      ready = true;
      continue;
    }
    if (req->replica_id >= 0) {
      // The response names a divergence; the follower's state is not updated.
      if (diverging_epoch(*p, *req, pd) || pd.fetch_offset > p->log->log_end_offset()) {
        ready = true;
        continue;
      }
      update_follower(ctx, *p, req->replica_id, pd.fetch_offset, req->broker_epoch);
      if (pd.fetch_offset < p->log->log_end_offset()) ready = true;
    } else if (pd.fetch_offset < consumer_fetch_limit(*p, *req) || pd.fetch_offset > p->log->log_end_offset()) {
      ready = true;
    }
  }
  if (ready) respond_fetch(ctx, from, *req);
  else purgatory_.add(ctx, DelayedFetch{from, req}, sim::Duration::millis(req->max_wait_ms));
}

void ReplicaManager::respond_fetch(sim::Context& ctx, sim::NodeId from, const FetchRequest& req) {
  auto resp = std::make_shared<FetchResponse>();
  resp->correlation_id = req.correlation_id;
  for (const auto& pd : req.partitions) {
    FetchResponse::PartitionData out;
    out.topic = pd.topic;
    out.partition = pd.partition;
    const Partition* p = led({pd.topic, pd.partition});
    if (p) out.high_watermark = p->log->high_watermark();
    out.error = leader_error(p, pd.current_leader_epoch);
    if (out.error == Error::NONE) {
      const int64_t leo = p->log->log_end_offset();
      if (auto diverged = diverging_epoch(*p, req, pd)) {
        out.diverging_epoch = diverged;
      } else if (pd.fetch_offset > leo) {
        out.error = Error::OFFSET_OUT_OF_RANGE;
        out.log_end_offset = leo;
      } else {
        // Consumers read up to the high watermark (READ_COMMITTED: the last stable offset),
        // followers to the log's end.
        const int64_t up_to = req.replica_id >= 0 ? leo : consumer_fetch_limit(*p, req);
        out.batches = p->log->read(pd.fetch_offset, up_to, static_cast<uint32_t>(pd.max_bytes));
        if (req.isolation_level == kReadCommitted && !out.batches.empty()) {
          // UnifiedLog.collectAbortedTransactions from the fetch offset to the end of what is
          // returned: the consumer drops these producers' batches from each first offset on.
          for (const AbortedTxn& t : p->log->aborted_transactions(pd.fetch_offset, out.batches.back()->next_offset()))
            out.aborted_transactions.push_back({t.producer_id, t.first_offset});
        }
      }
      out.last_stable_offset = p->log->last_stable_offset();
    }
    resp->partitions.push_back(std::move(out));
  }
  ctx.send(from, resp);
}

void ReplicaManager::handle_list_offsets(sim::Context& ctx, sim::NodeId from, const ListOffsetsRequest& req) {
  auto resp = std::make_shared<ListOffsetsResponse>();
  resp->correlation_id = req.correlation_id;
  for (const auto& pd : req.partitions) {
    ListOffsetsResponse::PartitionData out{pd.tp, Error::NONE, -1, -1};
    const Partition* p = led(pd.tp);
    out.error = leader_error(p, pd.current_leader_epoch);
    if (out.error == Error::NONE && pd.timestamp == ListOffsetsRequest::kLatest &&
        p->epoch_start_offset > p->log->high_watermark()) {
      // Partition.fetchOffsetForTimestamp (KIP-207): a new leader whose high watermark has not
      // yet reached the start of its epoch does not know the latest offset yet; the client
      // retries.
      out.error = Error::OFFSET_NOT_AVAILABLE;
    }
    if (out.error == Error::NONE) {
      // "Latest" is the high watermark for a read_uncommitted consumer, the last stable offset
      // for a read_committed one (Partition.fetchOffsetForTimestamp).
      const int64_t latest = req.isolation_level == kReadCommitted ? p->log->last_stable_offset() : p->log->high_watermark();
      out.offset = pd.timestamp == ListOffsetsRequest::kEarliest ? p->log->log_start_offset() : latest;
      out.leader_epoch = p->leader_epoch;
    }
    resp->partitions.push_back(out);
  }
  ctx.send(from, resp);
}

void ReplicaManager::handle_offsets_for_leader_epoch(sim::Context& ctx, sim::NodeId from, const OffsetsForLeaderEpochRequest& req) {
  auto resp = std::make_shared<OffsetsForLeaderEpochResponse>();
  resp->correlation_id = req.correlation_id;
  for (const auto& pd : req.partitions) {
    OffsetsForLeaderEpochResponse::PartitionData out{pd.topic, pd.partition, Error::NONE, kNoEpoch, -1};
    const Partition* p = led({pd.topic, pd.partition});
    out.error = leader_error(p, pd.current_leader_epoch);
    if (out.error == Error::NONE) {
      const PartitionLog& log = *p->log;
      if (req.version == 0) {
        out.end_offset = log.epochs().end_offset_v0(pd.leader_epoch, log.log_end_offset());
      } else {
        const auto [epoch, end] = log.epochs().end_offset_for(pd.leader_epoch, log.log_end_offset());
        out.leader_epoch = epoch;
        out.end_offset = end;
      }
    }
    resp->partitions.push_back(out);
  }
  ctx.send(from, resp);
}

}  // namespace kafka
