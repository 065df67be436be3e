#include "broker_model/broker/replica_fetcher.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "broker_model/broker/broker_timer.hpp"
#include "broker_model/broker/replica_manager.hpp"
#include "broker_model/broker/replica_trace.hpp"
#include "sim/timer_tag.hpp"

namespace kafka {

TruncationMode truncation_mode_for(const std::string& ibp) {
  auto v = KafkaVersion::parse(ibp);
  if (!v) return TruncationMode::fetch_diverging;
  if (*v < KafkaVersion{0, 11}) return TruncationMode::high_watermark;
  if (*v < KafkaVersion{2, 0}) return TruncationMode::epoch_v0;
  if (*v < KafkaVersion{2, 7}) return TruncationMode::epoch_v1;
  return TruncationMode::fetch_diverging;
}

TruncationPoint truncation_point(const PartitionLog& log, int32_t leader_epoch, int64_t leader_end) {
  const int64_t leo = log.log_end_offset();
  if (leader_end < 0) return {log.high_watermark(), true};  // the leader knows no such epoch
  if (leader_epoch < 0) return {std::min(leader_end, leo), true};
  const auto [mine, my_end] = log.epochs().end_offset_for(leader_epoch, leo);
  if (mine < 0) return {std::min(leader_end, leo), true};
  if (mine == leader_epoch) return {std::min({leader_end, my_end, leo}), true};
  return {std::min(my_end, leo), false};
}

ReplicaFetcher::ReplicaFetcher(BrokerId id, const ClusterLayout& layout, const ConfigSet& config, Bugs bugs,
                               ReplicaManager& replicas)
    : id_(id),
      layout_(layout),
      bugs_(bugs),
      mode_(truncation_mode_for(config.string("inter.broker.protocol.version"))),
      wait_ms_(static_cast<int32_t>(config.integer("replica.fetch.wait.max.ms"))),
      min_bytes_(static_cast<int32_t>(config.integer("replica.fetch.min.bytes"))),
      backoff_(sim::Duration::millis(config.integer("replica.fetch.backoff.ms"))),
      replicas_(replicas) {}

void ReplicaFetcher::add_partition(sim::Context& ctx, Partition& p) {
  if (p.leader == kNoLeader) {
    p.follower_state = Partition::FollowerState::idle;
    return;
  }
  if (bugs_.follower_skips_truncation) {
    p.follower_state = Partition::FollowerState::fetching;
    fetch(ctx, p.leader);
    return;
  }
  switch (mode_) {
    case TruncationMode::high_watermark:
      // Before KIP-101 a new follower cut its log back to its own high watermark.
      truncate(ctx, p, p.log->high_watermark(), "truncate-to-high-watermark");
      p.follower_state = Partition::FollowerState::fetching;
      break;
    case TruncationMode::epoch_v0:
    case TruncationMode::epoch_v1:
      p.follower_state = Partition::FollowerState::truncating;
      ask_leader_epoch(ctx, p);
      break;
    case TruncationMode::fetch_diverging:
      p.follower_state = Partition::FollowerState::fetching;
      break;
  }
  fetch(ctx, p.leader);
}

void ReplicaFetcher::fetch(sim::Context& ctx, BrokerId leader) {
  Session& s = sessions_[leader];
  if (s.in_flight || s.backing_off) return;
  auto req = std::make_shared<FetchRequest>();
  req->replica_id = id_;
  req->broker_epoch = broker_epoch_;
  req->max_wait_ms = wait_ms_;
  req->min_bytes = min_bytes_;
  for (const auto& [tp, p] : replicas_.partitions()) {
    if (!p.fetching_from(leader)) continue;
    FetchRequest::PartitionData pd;
    pd.topic = tp.topic;
    pd.partition = tp.partition;
    pd.fetch_offset = p.log->log_end_offset();
    pd.current_leader_epoch = p.leader_epoch;
    // Without the last fetched epoch the leader cannot name a divergence (the bug switch).
    if (mode_ == TruncationMode::fetch_diverging && !bugs_.follower_skips_truncation) pd.last_fetched_epoch = p.log->latest_epoch();
    req->partitions.push_back(pd);
  }
  if (req->partitions.empty()) return;
  req->correlation_id = ++next_correlation_;
  s.in_flight = true;
  s.correlation_id = req->correlation_id;
  ctx.send(layout_.node_of(leader), req);
}

void ReplicaFetcher::leader_failed(sim::Context& ctx, BrokerId leader) {
  Session& s = sessions_[leader];
  s.in_flight = false;
  if (s.backing_off) return;
  s.backing_off = true;
  ctx.set_timer(backoff_, sim::timer_tag(BrokerTimer::fetcher_backoff, static_cast<uint64_t>(leader)));
}

void ReplicaFetcher::resume(sim::Context& ctx, BrokerId leader) {
  sessions_[leader].backing_off = false;
  // Truncation questions asked of that leader may have been lost too: ask again.
  for (auto& [tp, p] : replicas_.partitions()) {
    if (p.role == Partition::Role::follower && p.leader == leader && p.follower_state == Partition::FollowerState::truncating) {
      ask_leader_epoch(ctx, p);
    }
  }
  fetch(ctx, leader);
}

void ReplicaFetcher::truncate(sim::Context& ctx, Partition& p, int64_t offset, const char* why) {
  const int64_t before = p.log->log_end_offset();
  const int64_t removed = p.log->truncate_to(offset);
  if (removed == 0) return;
  ctx.trace(event::LogTruncate{.topic = p.log->topic(),
                               .partition = p.log->partition(),
                               .to = p.log->log_end_offset(),
                               .from_leo = before,
                               .removed = removed,
                               .leader_epoch = p.leader_epoch,
                               .reason = why});
}

void ReplicaFetcher::handle_fetch_response(sim::Context& ctx, BrokerId leader, const FetchResponse& resp) {
  Session& s = sessions_[leader];
  if (!s.in_flight || resp.correlation_id != s.correlation_id) return;  // a stale response
  s.in_flight = false;
  bool all_failed = !resp.partitions.empty();
  for (const auto& pd : resp.partitions) {
    Partition* p = replicas_.partition(pd.topic, pd.partition);
    if (!p || !p->fetching_from(leader)) continue;
    if (process_partition(ctx, *p, pd)) all_failed = false;
  }
  if (all_failed) leader_failed(ctx, leader);
  else fetch(ctx, leader);
}

bool ReplicaFetcher::process_partition(sim::Context& ctx, Partition& p, const FetchResponse::PartitionData& pd) {
  if (pd.error == Error::OFFSET_OUT_OF_RANGE) {
    // The leader's log is shorter than ours (an unclean election, or pre-KIP-101 history).
    if (pd.log_end_offset >= 0 && pd.log_end_offset < p.log->log_end_offset()) {
      truncate(ctx, p, pd.log_end_offset, "offset-out-of-range");
    }
    return true;
  }
  if (pd.error != Error::NONE) return false;
  if (pd.diverging_epoch) {
    // Not done when our log ends the shared epoch elsewhere: the next fetch checks again.
    const auto [leader_epoch, leader_end] = *pd.diverging_epoch;
    const TruncationPoint point = truncation_point(*p.log, leader_epoch, leader_end);
    ctx.trace(event::ReplicaDivergingEpoch{
        .topic = pd.topic, .partition = pd.partition, .epoch = leader_epoch, .end_offset = leader_end, .truncate_to = point.to});
    truncate(ctx, p, point.to, "diverging-epoch");
    return true;
  }
  append_fetched(ctx, p, pd);
  return true;
}

void ReplicaFetcher::append_fetched(sim::Context& ctx, Partition& p, const FetchResponse::PartitionData& pd) {
  const int64_t hw_before = p.log->high_watermark();
  for (const BatchPtr& b : pd.batches) {
    const int64_t leo = p.log->log_end_offset();
    if (b->last_offset() < leo) continue;
    BatchPtr append = b;
    if (b->base_offset < leo) {
      // The logs disagree on batch boundaries (pre-KIP-101 divergence): keep the part past our end.
      auto part = std::make_shared<RecordBatch>(*b);
      part->records = std::make_shared<std::vector<Record>>(b->records->begin() + (leo - b->base_offset), b->records->end());
      part->base_offset = leo;
      part->base_sequence = b->base_sequence < 0 ? b->base_sequence : b->base_sequence + static_cast<int32_t>(leo - b->base_offset);
      append = part;
    } else if (b->base_offset > leo) {
      break;  // a gap cannot be filled; fetch again from our end
    }
    p.log->append_as_follower(append);
    trace_append(ctx, p, "follower", *append);
  }
  p.log->set_follower_hw(pd.high_watermark);
  if (p.log->high_watermark() != hw_before) trace_high_watermark(ctx, p);
  replicas_.maybe_flush(ctx, p);
}

void ReplicaFetcher::ask_leader_epoch(sim::Context& ctx, Partition& p) {
  const int32_t epoch = p.log->latest_epoch();
  if (epoch < 0) {
    // Nothing to compare: an empty log, or one written before leader epochs.
    truncate(ctx, p, p.log->high_watermark(), "no-leader-epoch");
    p.follower_state = Partition::FollowerState::fetching;
    return;
  }
  p.truncation_epoch = epoch;
  auto req = std::make_shared<OffsetsForLeaderEpochRequest>();
  req->correlation_id = ++next_correlation_;
  req->replica_id = id_;
  req->version = mode_ == TruncationMode::epoch_v0 ? 0 : 3;
  req->partitions.push_back({p.log->topic(), p.log->partition(), p.leader_epoch, epoch});
  ctx.send(layout_.node_of(p.leader), req);
}

void ReplicaFetcher::handle_epoch_response(sim::Context& ctx, const OffsetsForLeaderEpochResponse& resp) {
  for (const auto& pd : resp.partitions) {
    Partition* p = replicas_.partition(pd.topic, pd.partition);
    if (!p || p->role != Partition::Role::follower || p->follower_state != Partition::FollowerState::truncating) continue;
    if (pd.error != Error::NONE) {
      leader_failed(ctx, p->leader);
      continue;
    }
    TruncationPoint point{0, true};
    if (mode_ == TruncationMode::epoch_v0) {
      // KIP-101 as first shipped: the end offset of our epoch in the leader's log, or the HW.
      point.to = pd.end_offset < 0 ? p->log->high_watermark() : std::min(pd.end_offset, p->log->log_end_offset());
    } else {
      point = truncation_point(*p->log, pd.leader_epoch, pd.end_offset);
    }
    ctx.trace(event::ReplicaEpochEndOffset{.topic = pd.topic,
                                           .partition = pd.partition,
                                           .asked_epoch = p->truncation_epoch,
                                           .leader_epoch = pd.leader_epoch,
                                           .end_offset = pd.end_offset,
                                           .truncate_to = point.to});
    truncate(ctx, *p, point.to, mode_ == TruncationMode::epoch_v0 ? "offsets-for-leader-epoch-v0" : "offsets-for-leader-epoch");
    if (point.done) {
      p->follower_state = Partition::FollowerState::fetching;
      fetch(ctx, p->leader);
    } else {
      ask_leader_epoch(ctx, *p);
    }
  }
}

std::string ReplicaFetcher::invariants() const {
  for (const auto& [leader, s] : sessions_) {
    if (s.in_flight && s.backing_off) return fmt::format("the fetch session with broker {} is in flight while backing off", leader);
  }
  return {};
}

}  // namespace kafka
