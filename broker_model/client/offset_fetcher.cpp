#include "broker_model/client/offset_fetcher.hpp"

#include <memory>

#include <fmt/format.h>

#include "broker_model/client/consumer_timers.hpp"

namespace kafka {

// ---- auto.offset.reset ----

void OffsetFetcher::reset_initializing_positions(sim::Context& ctx, const std::vector<TopicPartition>& partitions) {
  std::vector<TopicPartition> without_offset;
  for (const auto& tp : partitions) {
    if (!subscriptions_.is_assigned(tp) || subscriptions_.state(tp).state != FetchState::initializing) continue;
    if (config_.string("auto.offset.reset") == "none") {
      without_offset.push_back(tp);
    } else {
      subscriptions_.request_reset(tp);
    }
  }
  // The partitions stay INITIALIZING: the next poll asks for their committed offset again.
  if (!without_offset.empty()) {
    raise("NoOffsetForPartitionException: undefined offset with no reset policy for partitions: " +
                   partitions_text(without_offset));
  }
  reset_positions_if_needed(ctx);
}

void OffsetFetcher::handle_offset_out_of_range(sim::Context& ctx, const TopicPartition& tp) {
  const int64_t fetch_offset = subscriptions_.state(tp).fetch_offset;
  trace_.emit<event::ConsumerOffsetOutOfRange>(ctx, fmt::format("{}-{} at {}", tp.topic, tp.partition, fetch_offset));
  if (config_.string("auto.offset.reset") == "none") {
    // The position stays; every fetch from it fails the same way until the application seeks.
    raise(fmt::format("OffsetOutOfRangeException: fetch position {} is out of range for partition {}-{}", fetch_offset,
                           tp.topic, tp.partition));
    return;
  }
  subscriptions_.request_reset(tp);
  buffer_.drop(tp);
  reset_positions_if_needed(ctx);
}

void OffsetFetcher::reset_positions_if_needed(sim::Context& ctx) {
  const bool earliest = config_.string("auto.offset.reset") == "earliest";
  for (auto& [leader, partitions] : by_leader(ctx, subscriptions_.partitions_needing(FetchState::await_reset, ctx.now()))) {
    auto req = std::make_shared<ListOffsetsRequest>();
    req->correlation_id = client_.next_correlation_id();
    // ListOffsets v2+: a read_committed consumer's latest is the last stable offset.
    req->isolation_level = config_.string("isolation.level") == "read_committed" ? 1 : 0;
    for (const auto& tp : partitions)
      req->partitions.push_back(
          {tp, earliest ? ListOffsetsRequest::kEarliest : ListOffsetsRequest::kLatest, metadata_.leader_epoch_of(tp)});
    const int32_t id = req->correlation_id;
    send(ctx, RequestKind::list_offsets, leader, std::move(partitions), std::move(req), id);
  }
}

void OffsetFetcher::handle_list_offsets(sim::Context& ctx, const ListOffsetsResponse& resp) {
  auto it = in_flight_.find(resp.correlation_id);
  if (it == in_flight_.end()) return;
  in_flight_.erase(it);
  // OffsetFetcherUtils.handleListOffsetResponse: every partition error the model answers with
  // (NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH, OFFSET_NOT_AVAILABLE...)
  // is retried after the backoff with fresh metadata.
  std::vector<TopicPartition> retry;
  for (const auto& pd : resp.partitions) {
    if (pd.error != Error::NONE) {
      retry.push_back(pd.tp);
      continue;
    }
    // SubscriptionState.maybeSeekUnvalidated: only a partition still awaiting its reset.
    if (!subscriptions_.is_assigned(pd.tp) || subscriptions_.state(pd.tp).state != FetchState::await_reset) continue;
    subscriptions_.complete_reset(pd.tp, pd.offset);
    buffer_.drop(pd.tp);
    trace_.position<event::ConsumerReset>(ctx, pd.tp, pd.offset,
                                          fmt::format("{}-{} to {} (auto.offset.reset={})", pd.tp.topic, pd.tp.partition, pd.offset,
                                                      config_.string("auto.offset.reset")));
  }
  if (!retry.empty()) request_failed(ctx, retry);
}

// ---- KIP-320 validation ----

void OffsetFetcher::leaders_changed(const std::vector<TopicPartition>& partitions) {
  for (const auto& tp : partitions)
    if (subscriptions_.is_assigned(tp) && metadata_.leader_of(tp) != kNoLeader) subscriptions_.maybe_validate_position(tp);
}

void OffsetFetcher::validate_positions_if_needed(sim::Context& ctx) {
  for (auto& [leader, partitions] :
       by_leader(ctx, subscriptions_.partitions_needing(FetchState::await_validation, ctx.now()))) {
    auto req = std::make_shared<OffsetsForLeaderEpochRequest>();
    req->correlation_id = client_.next_correlation_id();
    req->replica_id = -1;
    req->version = 3;
    for (const auto& tp : partitions)
      req->partitions.push_back({tp.topic, tp.partition, metadata_.leader_epoch_of(tp), subscriptions_.state(tp).offset_epoch});
    const int32_t id = req->correlation_id;
    send(ctx, RequestKind::offsets_for_leader_epoch, leader, std::move(partitions), std::move(req), id);
  }
}

void OffsetFetcher::handle_epoch_response(sim::Context& ctx, const OffsetsForLeaderEpochResponse& resp) {
  auto it = in_flight_.find(resp.correlation_id);
  if (it == in_flight_.end()) return;
  in_flight_.erase(it);
  // OffsetsForLeaderEpochUtils.handleResponse: a partition error is retried after the backoff.
  std::vector<TopicPartition> retry;
  for (const auto& pd : resp.partitions) {
    const TopicPartition tp{pd.topic, pd.partition};
    if (pd.error != Error::NONE) {
      retry.push_back(tp);
      continue;
    }
    if (subscriptions_.is_assigned(tp) && subscriptions_.state(tp).state == FetchState::await_validation)
      complete_validation(ctx, tp, pd);
  }
  if (!retry.empty()) request_failed(ctx, retry);
}

void OffsetFetcher::complete_validation(sim::Context& ctx, const TopicPartition& tp,
                                        const OffsetsForLeaderEpochResponse::PartitionData& pd) {
  const int64_t position = subscriptions_.state(tp).offset;
  const bool unknown = pd.end_offset < 0 || pd.leader_epoch < 0;
  if (!unknown && pd.end_offset >= position) {
    subscriptions_.complete_validation(tp);
    return;
  }
  // KIP-320: the leader's log diverges below our position (an unclean election, or the leader
  // lost records we had already read).
  trace_.emit<event::ConsumerTruncationDetected>(
      ctx, unknown ? fmt::format("{}-{}: the leader knows no epoch up to the position {}'s", pd.topic, pd.partition, position)
                   : fmt::format("{}-{}: position {} is past the leader's end {} of epoch {}", pd.topic, pd.partition,
                                 position, pd.end_offset, pd.leader_epoch));
  if (config_.string("auto.offset.reset") == "none") {
    // The partition stays AWAIT_VALIDATION; the application hears of it from poll().
    raise(unknown ? fmt::format("LogTruncationException: truncation detected for partition {}-{} at offset {}",
                                     pd.topic, pd.partition, position)
                       : fmt::format("LogTruncationException: truncation detected for partition {}-{} at offset {}, "
                                     "first divergent offset {}",
                                     pd.topic, pd.partition, position, pd.end_offset));
    return;
  }
  buffer_.drop(tp);
  if (unknown) {
    subscriptions_.request_reset(tp);  // how far back is unknown: auto.offset.reset decides
    return;
  }
  subscriptions_.truncate_position(tp, pd.end_offset, pd.leader_epoch);
}

// ---- requests ----

std::map<BrokerId, std::vector<TopicPartition>> OffsetFetcher::by_leader(sim::Context& ctx,
                                                                        const std::vector<TopicPartition>& partitions) {
  std::map<BrokerId, std::vector<TopicPartition>> out;
  for (const auto& tp : partitions) {
    const BrokerId leader = metadata_.leader_of(tp);
    if (leader == kNoLeader) {
      metadata_.request_update(ctx);  // it waits in its state for a leader
      continue;
    }
    out[leader].push_back(tp);
  }
  return out;
}

void OffsetFetcher::send(sim::Context& ctx, RequestKind kind, BrokerId leader, std::vector<TopicPartition> partitions,
                         sim::MessagePtr request, int32_t correlation_id) {
  // setNextAllowedRetry: not sent again while this one may still be answered.
  subscriptions_.set_next_retry(partitions, ctx.now() + sim::Duration::millis(config_.integer("request.timeout.ms")));
  in_flight_[correlation_id] = InFlight{kind, leader, std::move(partitions)};
  client_.send(ctx, leader, std::move(request));
}

void OffsetFetcher::request_failed(sim::Context& ctx, const std::vector<TopicPartition>& partitions) {
  const sim::Duration backoff = sim::Duration::millis(config_.integer("retry.backoff.ms"));
  subscriptions_.set_next_retry(partitions, ctx.now() + backoff);
  metadata_.request_update(ctx);
  // poll() waits at most retry.backoff.ms while a position is missing (pollForFetches).
  ctx.set_timer(backoff, sim::timer_tag(ConsumerTimer::position_retry));
}

void OffsetFetcher::connection_lost(sim::Context& ctx, BrokerId broker) {
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    if (it->second.broker != broker) {
      ++it;
      continue;
    }
    request_failed(ctx, it->second.partitions);
    it = in_flight_.erase(it);
  }
}

// ---- exceptions for the application ----

void OffsetFetcher::raise(std::string exception) {
  // cachedValidatePositionsException and the like keep the first until poll() throws it.
  if (!exception_) exception_ = std::move(exception);
}

std::optional<std::string> OffsetFetcher::take_exception() {
  std::optional<std::string> e = std::move(exception_);
  exception_.reset();
  return e;
}

}  // namespace kafka
