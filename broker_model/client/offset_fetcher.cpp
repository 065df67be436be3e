#include "broker_model/client/offset_fetcher.hpp"

#include <map>
#include <memory>

#include <fmt/format.h>

namespace kafka {

void OffsetFetcher::reset_positions(sim::Context& ctx, const std::vector<TopicPartition>& partitions) {
  if (partitions.empty()) return;
  const std::string& policy = config_.string("auto.offset.reset");
  if (policy == "none") {
    trace_.emit<event::ConsumerError>(ctx, "NoOffsetForPartitionException: " + partitions_text(partitions) + " (auto.offset.reset=none)");
    return;
  }
  std::map<BrokerId, std::shared_ptr<ListOffsetsRequest>> by_leader;
  for (const auto& tp : partitions) {
    const BrokerId leader = metadata_.leader_of(tp);
    if (leader == kNoLeader) {
      metadata_.request_update(ctx);
      continue;
    }
    auto& req = by_leader[leader];
    if (!req) req = std::make_shared<ListOffsetsRequest>();
    req->partitions.push_back({tp, policy == "earliest" ? ListOffsetsRequest::kEarliest : ListOffsetsRequest::kLatest,
                               metadata_.leader_epoch_of(tp)});
    subscriptions_.request_reset(tp);
  }
  for (auto& [leader, req] : by_leader) {
    req->correlation_id = client_.next_correlation_id();
    client_.send(ctx, leader, req);
  }
}

void OffsetFetcher::handle_list_offsets(sim::Context& ctx, const ListOffsetsResponse& resp) {
  for (const auto& pd : resp.partitions) {
    if (!subscriptions_.is_assigned(pd.tp) || subscriptions_.state(pd.tp).state != FetchState::await_reset) continue;
    if (pd.error != Error::NONE) {
      subscriptions_.abandon_reset(pd.tp);
      metadata_.request_update(ctx);
      continue;
    }
    subscriptions_.complete_reset(pd.tp, pd.offset, pd.leader_epoch);
    trace_.position<event::ConsumerReset>(ctx, pd.tp, pd.offset,
                                          fmt::format("{}-{} to {} (auto.offset.reset={})", pd.tp.topic, pd.tp.partition, pd.offset,
                                                      config_.string("auto.offset.reset")));
  }
}

void OffsetFetcher::validate_positions(sim::Context& ctx, const std::vector<TopicPartition>& partitions) {
  for (const auto& tp : partitions)
    if (subscriptions_.is_assigned(tp)) validate_position(ctx, tp);
}

void OffsetFetcher::validate_position(sim::Context& ctx, const TopicPartition& tp) {
  const TopicPartitionState& s = subscriptions_.state(tp);
  const BrokerId leader = metadata_.leader_of(tp);
  // Only a position read from a known epoch can be checked against the new leader's log.
  if (s.state != FetchState::fetching || s.offset_epoch < 0 || leader == kNoLeader) return;
  subscriptions_.request_validation(tp);
  auto req = std::make_shared<OffsetsForLeaderEpochRequest>();
  req->correlation_id = client_.next_correlation_id();
  req->replica_id = -1;
  req->version = 3;
  req->partitions.push_back({tp.topic, tp.partition, metadata_.leader_epoch_of(tp), s.offset_epoch});
  client_.send(ctx, leader, req);
}

void OffsetFetcher::handle_epoch_response(sim::Context& ctx, const OffsetsForLeaderEpochResponse& resp) {
  for (const auto& pd : resp.partitions) {
    const TopicPartition tp{pd.topic, pd.partition};
    if (!subscriptions_.is_assigned(tp) || subscriptions_.state(tp).state != FetchState::await_validation) continue;
    if (pd.error == Error::NONE && pd.end_offset >= 0 && pd.end_offset < subscriptions_.state(tp).offset) {
      detect_truncation(ctx, tp, pd);
      continue;
    }
    subscriptions_.complete_validation(tp);
  }
}

void OffsetFetcher::detect_truncation(sim::Context& ctx, const TopicPartition& tp,
                                      const OffsetsForLeaderEpochResponse::PartitionData& pd) {
  // KIP-320: the log was truncated below our position (an unclean election, or the leader
  // lost records we had already read).
  trace_.emit<event::ConsumerTruncationDetected>(
      ctx, fmt::format("{}-{}: position {} is past the leader's end {} of epoch {}", pd.topic, pd.partition,
                       subscriptions_.state(tp).offset, pd.end_offset, pd.leader_epoch));
  if (config_.string("auto.offset.reset") == "none") {
    // LogTruncationException for the application; the position stays where it was.
    subscriptions_.complete_validation(tp);
    trace_.emit<event::ConsumerError>(ctx, "LogTruncationException");
    return;
  }
  subscriptions_.truncate_position(tp, pd.end_offset);
  buffer_.drop(tp);
  subscriptions_.complete_validation(tp);
}

void OffsetFetcher::connection_lost(BrokerId broker) {
  for (const auto& tp : subscriptions_.assigned_partitions()) {
    if (metadata_.leader_of(tp) != broker) continue;
    switch (subscriptions_.state(tp).state) {
      case FetchState::await_reset: subscriptions_.abandon_reset(tp); break;
      case FetchState::await_validation: subscriptions_.complete_validation(tp); break;
      default: break;
    }
  }
}

}  // namespace kafka
