// ConsumerCoordinator: offsets. Commits (OffsetCommit), auto-commit, and the committed offsets
// of partitions without a position (OffsetFetch).
#include <fmt/format.h>

#include "broker_model/client/consumer_coordinator.hpp"
#include "broker_model/client/consumer_timers.hpp"

namespace kafka {

namespace {
// The errors commitSync retries until default.api.timeout.ms (RetriableCommitFailedException).
bool retriable_commit_error(Error e) {
  return e == Error::COORDINATOR_NOT_AVAILABLE || e == Error::NOT_COORDINATOR || e == Error::REQUEST_TIMED_OUT ||
         e == Error::COORDINATOR_LOAD_IN_PROGRESS || e == Error::CLIENT_DISCONNECTED || e == Error::CLIENT_TIMEOUT;
}

std::string offsets_text(const std::vector<OffsetCommitRequest::Offset>& offsets) {
  std::string s;
  for (const auto& o : offsets) s += fmt::format("{}{}-{}:{}", s.empty() ? "" : ",", o.tp.topic, o.tp.partition, o.offset);
  return s;
}
}  // namespace

std::string_view commit_refusal(MemberState state) {
  // AbstractCoordinator.rebalanceInProgress alone names it, whatever the generation: a member
  // rejoining after it lost its generation is rebalancing too, and may retry after poll().
  return state == MemberState::preparing_rebalance || state == MemberState::completing_rebalance
             ? "REBALANCE_IN_PROGRESS (client)"                        // RebalanceInProgressException
             : "COMMIT_FAILED (not a member of the active generation)";  // CommitFailedException
}

void ConsumerCoordinator::maybe_auto_commit(sim::Context& ctx) {
  // Auto-commit commits the positions of records returned by earlier polls.
  if (!settings_.auto_commit || ctx.now() < next_auto_commit_) return;
  next_auto_commit_ = ctx.now() + sim::Duration::millis(config_.integer("auto.commit.interval.ms"));
  commit(ctx, subscriptions_.all_consumed(settings_.commit_fetch_position), false, "auto");
}

bool ConsumerCoordinator::commit(sim::Context& ctx, Offsets offsets, bool sync, const char* why) {
  if (offsets.empty()) return false;
  if (state_ != MemberState::stable) {
    // ConsumerCoordinator.sendOffsetCommitRequest: a consumer outside a stable generation
    // (generationIfStable() is null; a stable member always holds one) does not send the
    // commit; it fails at once. commitSync throws at once: the caller goes on as after any
    // completed commit.
    const std::string_view error = commit_refusal(state_);
    ctx.trace(event::ConsumerCommit{.member = settings_.member,
                                    .group = settings_.group_id,
                                    .generation = generation_.generation_id,
                                    .offsets = offsets.size(),  // a count: the list was never sent
                                    .why = why,
                                    .sync = sync,
                                    .error = error});
    rejoin_needed_ = true;
    return false;
  }
  // One commit in flight: an async commit meanwhile is dropped (the next one covers it); a
  // sync one takes over (the earlier response is then ignored).
  if (commit_ && !sync) return false;
  commit_ = CommitInFlight{std::move(offsets), sync, why, 0,
                           ctx.now() + sim::Duration::millis(config_.integer("default.api.timeout.ms")), false, {}};
  send_commit(ctx);
  return sync;
}

void ConsumerCoordinator::send_commit(sim::Context& ctx) {
  SIM_ASSERT(commit_.has_value(), "no commit to send");
  if (coordinator_state_ != CoordinatorState::known) {
    find_coordinator(ctx);
    return;  // sent again once the coordinator is known
  }
  auto req = std::make_shared<OffsetCommitRequest>();
  req->correlation_id = commit_->correlation_id = client_.next_correlation_id();
  req->group_id = settings_.group_id;
  req->member_id = generation_.member_id;
  req->group_instance_id = settings_.group_instance_id;
  req->generation = generation_.generation_id;
  req->offsets = commit_->offsets;
  commit_->sent = true;
  commit_->sent_generation = generation_;
  client_.send(ctx, coordinator_, req);
}

void ConsumerCoordinator::retry_commit(sim::Context& ctx) {
  if (commit_ && !commit_->sent) send_commit(ctx);
}

void ConsumerCoordinator::trace_commit(sim::Context& ctx, const std::string& offsets, const std::string& why, bool sync,
                                       std::string_view error) const {
  ctx.trace(event::ConsumerCommit{.member = settings_.member,
                                  .group = settings_.group_id,
                                  .generation = generation_.generation_id,
                                  .offsets = offsets,
                                  .why = why,
                                  .sync = sync,
                                  .error = error});
}

std::optional<ConsumerCoordinator::CommitCompletion> ConsumerCoordinator::handle_commit_response(
    sim::Context& ctx, const OffsetCommitResponse& resp) {
  if (!commit_ || resp.correlation_id != commit_->correlation_id) return std::nullopt;
  const CommitInFlight c = *commit_;
  if (resp.error != Error::NONE && retriable_commit_error(resp.error) && c.sync && ctx.now() < c.deadline) {
    // commitSync retries retriable errors until default.api.timeout.ms.
    if (resp.error == Error::NOT_COORDINATOR || resp.error == Error::COORDINATOR_NOT_AVAILABLE) coordinator_lost(ctx);
    commit_->sent = false;
    ctx.set_timer(sim::Duration::millis(config_.integer("retry.backoff.ms")), sim::timer_tag(ConsumerTimer::commit_retry));
    return std::nullopt;
  }
  commit_.reset();
  trace_commit(ctx, offsets_text(c.offsets), c.why, c.sync, error_name(resp.error));
  if (resp.error == Error::NONE) {
    subscriptions_.commit_acknowledged(c.offsets);
  } else if (resp.error == Error::FENCED_INSTANCE_ID) {
    // OffsetCommitResponseHandler: in a generation the member has since left, the fence is
    // stale and the commit just fails (RebalanceInProgressException, CommitFailedException).
    const bool generation_unchanged = c.sent_generation.generation_id == generation_.generation_id &&
                                      c.sent_generation.member_id == generation_.member_id;
    if (!generation_unchanged) return CommitCompletion{c.sync, resp.error};
    // FencedInstanceIdException, thrown by commitSync (an async commit's by the next poll):
    // another instance holds this identity. The application stops (Spring's container too).
    reset_generation(true);
    lose_partitions(ctx, "commit fenced");
    fail(ctx, "OffsetCommit: FENCED_INSTANCE_ID");
  } else if (resp.error == Error::ILLEGAL_GENERATION || resp.error == Error::UNKNOWN_MEMBER_ID) {
    // CommitFailedException: this member was removed from the group; its partitions are gone.
    reset_generation(resp.error == Error::UNKNOWN_MEMBER_ID);
    lose_partitions(ctx, "commit fenced");
    rejoin_needed_ = true;
  } else if (resp.error == Error::REBALANCE_IN_PROGRESS) {
    rejoin_needed_ = true;
  } else if (retriable_commit_error(resp.error)) {
    coordinator_lost(ctx);
  }
  return CommitCompletion{c.sync, resp.error};
}

// ---- committed offsets ----

void ConsumerCoordinator::refresh_committed_offsets(sim::Context& ctx) {
  if (coordinator_state_ != CoordinatorState::known) return;
  auto req = std::make_shared<OffsetFetchRequest>();
  req->group_id = settings_.group_id;
  // KIP-447: a read_committed consumer waits for offsets a transaction has still pending.
  req->require_stable = config_.string("isolation.level") == "read_committed";
  for (const auto& [tp, s] : subscriptions_.assignment()) {
    if (s.state != FetchState::initializing || s.committed_offset_pending) continue;
    req->partitions.push_back(tp);
  }
  if (req->partitions.empty()) return;
  for (const auto& tp : req->partitions) subscriptions_.set_committed_offset_pending(tp);
  req->correlation_id = offset_fetch_correlation_ = client_.next_correlation_id();
  client_.send(ctx, coordinator_, req);
}

std::optional<std::vector<TopicPartition>> ConsumerCoordinator::handle_offset_fetch(sim::Context& ctx,
                                                                                    const OffsetFetchResponse& resp) {
  if (resp.correlation_id != offset_fetch_correlation_) return std::nullopt;
  // Every partition asked for is answered or given up: one OffsetFetch counts at a time (an
  // earlier one still on its way is ignored when it arrives, and its partitions asked again).
  offset_fetch_correlation_ = 0;
  subscriptions_.clear_committed_offset_pending();
  if (resp.error != Error::NONE) {
    // OffsetFetchResponseHandler: NOT_COORDINATOR looks for the coordinator again,
    // COORDINATOR_LOAD_IN_PROGRESS just retries; fetchCommittedOffsets asks again after
    // retry.backoff.ms.
    if (resp.error == Error::NOT_COORDINATOR || resp.error == Error::COORDINATOR_NOT_AVAILABLE) coordinator_lost(ctx);
    ctx.set_timer(sim::Duration::millis(config_.integer("retry.backoff.ms")), sim::timer_tag(ConsumerTimer::position_retry));
    return std::nullopt;
  }
  // OffsetFetchResponseHandler: a partition whose transactional commit is still pending fails
  // the whole fetch with the retriable UnstableOffsetCommitException; asked again after
  // retry.backoff.ms.
  for (const auto& o : resp.offsets) {
    if (o.error == Error::UNSTABLE_OFFSET_COMMIT) {
      ctx.set_timer(sim::Duration::millis(config_.integer("retry.backoff.ms")), sim::timer_tag(ConsumerTimer::position_retry));
      return std::nullopt;
    }
  }
  std::vector<TopicPartition> reset;
  for (const auto& o : resp.offsets) {
    if (!subscriptions_.is_assigned(o.tp)) continue;
    if (o.offset < 0) {
      reset.push_back(o.tp);
      continue;
    }
    // refreshCommittedOffsets: seekUnvalidated with the committed leader epoch (KIP-320).
    subscriptions_.seek_unvalidated(o.tp, o.offset, o.leader_epoch, metadata_.leader_epoch_of(o.tp));
    buffer_.drop(o.tp);
    subscriptions_.committed_offset_fetched(o.tp, o.offset);
    trace_.position<event::ConsumerPosition>(
        ctx, o.tp, o.offset,
        o.leader_epoch >= 0 ? fmt::format("{}-{} at committed offset {} (leader epoch {})", o.tp.topic, o.tp.partition, o.offset, o.leader_epoch)
                            : fmt::format("{}-{} at committed offset {}", o.tp.topic, o.tp.partition, o.offset));
  }
  return reset;
}

void ConsumerCoordinator::offset_fetch_lost() {
  // The coordinator's connection broke or it moved: the OffsetFetch will not be answered
  // (its future fails with a retriable error); the next poll asks again.
  if (offset_fetch_correlation_ == 0) return;
  offset_fetch_correlation_ = 0;
  subscriptions_.clear_committed_offset_pending();
}

}  // namespace kafka
