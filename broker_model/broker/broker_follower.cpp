// The follower's side of a partition: fetching from the leader and truncating where the logs
// diverge, by the protocol of the configured inter.broker.protocol.version.
#include <algorithm>

#include "broker_model/broker/broker.hpp"

namespace kafka {

void Broker::start_fetching(sim::Context& ctx, BrokerId leader) {
  Fetcher& f = fetchers_[leader];
  if (f.in_flight || f.backing_off) return;
  auto req = std::make_shared<FetchRequest>();
  req->replica_id = id_;
  req->broker_epoch = broker_epoch_;
  req->max_wait_ms = fetch_wait_ms_;
  req->min_bytes = fetch_min_bytes_;
  for (const auto& [key, r] : replicas_) {
    if (r.role != Replica::Role::follower || r.leader != leader || r.follower_state != Replica::FollowerState::fetching) continue;
    FetchRequest::PartitionData pd;
    pd.topic = key.topic;
    pd.partition = key.partition;
    pd.fetch_offset = r.log->log_end_offset();
    pd.current_leader_epoch = r.leader_epoch;
    // Without the last fetched epoch the leader cannot name a divergence (the bug switch).
    if (truncation_ == TruncationMode::fetch_diverging && !bugs_.follower_skips_truncation) pd.last_fetched_epoch = r.log->latest_epoch();
    req->partitions.push_back(pd);
  }
  if (req->partitions.empty()) return;
  req->correlation_id = ++next_correlation_;
  f.in_flight = true;
  f.correlation_id = req->correlation_id;
  ctx.send(layout_.node_of(leader), req);
}

void Broker::fetcher_failed(sim::Context& ctx, BrokerId leader) {
  Fetcher& f = fetchers_[leader];
  f.in_flight = false;
  if (f.backing_off) return;
  f.backing_off = true;
  ctx.set_timer(sim::Duration::millis(config_.integer("replica.fetch.backoff.ms")), kFetcherBackoffTag + static_cast<uint64_t>(leader));
}

void Broker::resume_fetcher(sim::Context& ctx, BrokerId leader) {
  fetchers_[leader].backing_off = false;
  // Truncation questions asked of that leader may have been lost too: ask again.
  for (auto& [key, r] : replicas_) {
    if (r.role == Replica::Role::follower && r.leader == leader && r.follower_state == Replica::FollowerState::truncating) {
      ask_leader_epoch(ctx, r);
    }
  }
  start_fetching(ctx, leader);
}

void Broker::truncate(sim::Context& ctx, Replica& r, int64_t offset, const char* why) {
  const int64_t before = r.log->log_end_offset();
  const int64_t removed = r.log->truncate_to(offset);
  if (removed == 0) return;
  ctx.trace("log.truncate", {{"topic", sim::Value(r.log->topic())},
                             {"partition", sim::Value(r.log->partition())},
                             {"to", sim::Value(r.log->log_end_offset())},
                             {"from_leo", sim::Value(before)},
                             {"removed", sim::Value(removed)},
                             {"leader_epoch", sim::Value(r.leader_epoch)},
                             {"reason", sim::Value(why)}});
}

void Broker::handle_fetch_response(sim::Context& ctx, sim::NodeId from, const FetchResponse& resp) {
  const BrokerId leader = layout_.broker_of(from);
  Fetcher& f = fetchers_[leader];
  if (!f.in_flight || resp.correlation_id != f.correlation_id) return;  // a stale response
  f.in_flight = false;
  bool all_failed = !resp.partitions.empty();
  for (const auto& pd : resp.partitions) {
    auto it = replicas_.find({pd.topic, pd.partition});
    if (it == replicas_.end()) continue;
    Replica& r = it->second;
    if (r.role != Replica::Role::follower || r.leader != leader || r.follower_state != Replica::FollowerState::fetching) continue;
    if (pd.error == Error::OFFSET_OUT_OF_RANGE) {
      // The leader's log is shorter than ours (an unclean election, or pre-KIP-101 history).
      if (pd.log_end_offset >= 0 && pd.log_end_offset < r.log->log_end_offset()) {
        truncate(ctx, r, pd.log_end_offset, "offset-out-of-range");
      }
      all_failed = false;
      continue;
    }
    if (pd.error != Error::NONE) continue;
    all_failed = false;
    if (pd.diverging_epoch) {
      // KIP-279's rule, applied to the epoch and end offset the leader names.
      const auto [leader_epoch, leader_end] = *pd.diverging_epoch;
      const int64_t leo = r.log->log_end_offset();
      int64_t to = leo;
      if (leader_end < 0) {
        to = r.log->high_watermark();
      } else if (leader_epoch < 0) {
        to = std::min(leader_end, leo);
      } else {
        const auto [mine, my_end] = r.log->epochs().end_offset_for(leader_epoch, leo);
        if (mine < 0) to = std::min(leader_end, leo);
        else if (mine == leader_epoch) to = std::min({leader_end, my_end, leo});
        else to = std::min(my_end, leo);  // not done: the next fetch checks again
      }
      ctx.trace("replica.diverging_epoch", {{"topic", sim::Value(pd.topic)},
                                            {"partition", sim::Value(pd.partition)},
                                            {"epoch", sim::Value(leader_epoch)},
                                            {"end_offset", sim::Value(leader_end)},
                                            {"truncate_to", sim::Value(to)}});
      truncate(ctx, r, to, "diverging-epoch");
      continue;
    }
    const int64_t hw_before = r.log->high_watermark();
    for (const BatchPtr& b : pd.batches) {
      const int64_t leo = r.log->log_end_offset();
      if (b->last_offset() < leo) continue;
      BatchPtr append = b;
      if (b->base_offset < leo) {
        // The logs disagree on batch boundaries (pre-KIP-101 divergence): keep the part past our end.
        auto part = std::make_shared<RecordBatch>(*b);
        auto recs = std::make_shared<std::vector<Record>>(b->records->begin() + (leo - b->base_offset), b->records->end());
        part->records = recs;
        part->base_offset = leo;
        part->base_sequence = b->base_sequence < 0 ? b->base_sequence : b->base_sequence + static_cast<int32_t>(leo - b->base_offset);
        append = part;
      } else if (b->base_offset > leo) {
        break;  // a gap cannot be filled; fetch again from our end
      }
      r.log->append_as_follower(append);
      ctx.trace("log.append", {{"topic", sim::Value(pd.topic)},
                               {"partition", sim::Value(pd.partition)},
                               {"role", sim::Value("follower")},
                               {"base_offset", sim::Value(append->base_offset)},
                               {"count", sim::Value(append->count())},
                               {"leader_epoch", sim::Value(append->partition_leader_epoch)},
                               {"producer_id", sim::Value(append->producer_id)},
                               {"base_sequence", sim::Value(append->base_sequence)},
                               {"leo", sim::Value(r.log->log_end_offset())}});
    }
    r.log->set_follower_hw(pd.high_watermark);
    if (r.log->high_watermark() != hw_before) {
      ctx.trace("replica.hw", {{"topic", sim::Value(pd.topic)},
                               {"partition", sim::Value(pd.partition)},
                               {"hw", sim::Value(r.log->high_watermark())},
                               {"leader_epoch", sim::Value(r.leader_epoch)}});
    }
    maybe_flush(ctx, r);
  }
  if (all_failed) {
    fetcher_failed(ctx, leader);
  } else {
    start_fetching(ctx, leader);
  }
}

void Broker::ask_leader_epoch(sim::Context& ctx, Replica& r) {
  const int32_t epoch = r.log->latest_epoch();
  if (epoch < 0) {
    // Nothing to compare: an empty log, or one written before leader epochs.
    truncate(ctx, r, r.log->high_watermark(), "no-leader-epoch");
    r.follower_state = Replica::FollowerState::fetching;
    return;
  }
  r.truncation_epoch = epoch;
  auto req = std::make_shared<OffsetsForLeaderEpochRequest>();
  req->correlation_id = ++next_correlation_;
  req->replica_id = id_;
  req->version = truncation_ == TruncationMode::epoch_v0 ? 0 : 3;
  req->partitions.push_back({r.log->topic(), r.log->partition(), r.leader_epoch, epoch});
  ctx.send(layout_.node_of(r.leader), req);
}

void Broker::handle_epoch_response(sim::Context& ctx, const OffsetsForLeaderEpochResponse& resp) {
  for (const auto& pd : resp.partitions) {
    auto it = replicas_.find({pd.topic, pd.partition});
    if (it == replicas_.end()) continue;
    Replica& r = it->second;
    if (r.role != Replica::Role::follower || r.follower_state != Replica::FollowerState::truncating) continue;
    if (pd.error != Error::NONE) {
      fetcher_failed(ctx, r.leader);
      continue;
    }
    const int64_t leo = r.log->log_end_offset();
    bool done = true;
    int64_t to = leo;
    if (truncation_ == TruncationMode::epoch_v0) {
      // KIP-101 as first shipped: the end offset of our epoch in the leader's log, or the HW.
      to = pd.end_offset < 0 ? r.log->high_watermark() : std::min(pd.end_offset, leo);
    } else if (pd.end_offset < 0) {
      to = r.log->high_watermark();
    } else if (pd.leader_epoch < 0) {
      to = std::min(pd.end_offset, leo);
    } else {
      const auto [mine, my_end] = r.log->epochs().end_offset_for(pd.leader_epoch, leo);
      if (mine == pd.leader_epoch) {
        to = std::min({pd.end_offset, my_end, leo});
      } else {
        to = mine < 0 ? std::min(pd.end_offset, leo) : std::min(my_end, leo);
        done = mine < 0;  // ask again about the largest epoch we share
      }
    }
    ctx.trace("replica.epoch_end_offset", {{"topic", sim::Value(pd.topic)},
                                           {"partition", sim::Value(pd.partition)},
                                           {"asked_epoch", sim::Value(r.truncation_epoch)},
                                           {"leader_epoch", sim::Value(pd.leader_epoch)},
                                           {"end_offset", sim::Value(pd.end_offset)},
                                           {"truncate_to", sim::Value(to)}});
    truncate(ctx, r, to, truncation_ == TruncationMode::epoch_v0 ? "offsets-for-leader-epoch-v0" : "offsets-for-leader-epoch");
    if (done) {
      r.follower_state = Replica::FollowerState::fetching;
      start_fetching(ctx, r.leader);
    } else {
      ask_leader_epoch(ctx, r);
    }
  }
}

}  // namespace kafka
