#include "broker_model/client/consumer_app.hpp"

#include <iterator>

#include <fmt/format.h>

#include "broker_model/client/consumer_timers.hpp"

namespace kafka {

std::string_view to_string(AppState s) {
  switch (s) {
    case AppState::idle: return "IDLE";
    case AppState::polling: return "POLLING";
    case AppState::awaiting_rebalance: return "AWAITING_REBALANCE";
    case AppState::processing: return "PROCESSING";
    case AppState::committing_before_poll: return "COMMITTING_BEFORE_POLL";
    case AppState::committing_before_process: return "COMMITTING_BEFORE_PROCESS";
    case AppState::committing_after_record: return "COMMITTING_AFTER_RECORD";
    case AppState::committing_after_batch: return "COMMITTING_AFTER_BATCH";
    case AppState::committing_on_revoke: return "COMMITTING_ON_REVOKE";
    case AppState::committing_on_close: return "COMMITTING_ON_CLOSE";
    case AppState::closed: return "CLOSED";
  }
  return "?";
}

bool valid_transition(AppState from, AppState to) {
  using S = AppState;
  // close() may interrupt the loop anywhere but inside poll(); a fatal error of the group
  // stops it wherever it waits (a record being processed finishes first: on_fatal_error), and
  // an exception poll() throws stops it inside poll().
  if (to == S::committing_on_close) return from != S::polling && from != S::committing_on_close;
  // A handler's exception ends a plain loop's thread wherever it ran (PROCESSING).
  if (to == S::closed) return from != S::closed;
  switch (from) {
    case S::idle: return to == S::polling || to == S::committing_before_poll;
    case S::polling:
      return to == S::awaiting_rebalance || to == S::idle || to == S::committing_before_poll ||
             to == S::committing_before_process || to == S::processing;
    case S::awaiting_rebalance: return to == S::polling || to == S::committing_on_revoke || to == S::idle;
    case S::processing:
      return to == S::processing || to == S::committing_after_record || to == S::committing_after_batch ||
             to == S::idle;
    case S::committing_before_process: return to == S::processing;
    case S::committing_after_record:
      return to == S::processing || to == S::committing_after_batch || to == S::idle;
    case S::committing_after_batch: return to == S::idle;
    case S::committing_before_poll: return to == S::idle;
    case S::committing_on_revoke: return to == S::awaiting_rebalance;
    case S::committing_on_close: return false;  // LeaveGroup and exit
    case S::closed: return false;
  }
  return false;
}

ApplicationLoop::ApplicationLoop(ConsumerApp app, const ConfigSet& config, uint64_t first_op, Bugs bugs,
                                 SubscriptionState& subscriptions, ConsumerCoordinator& coordinator, Fetcher& fetcher,
                                 OffsetFetcher& offset_fetcher, FetchBuffer& buffer)
    : app_(std::move(app)),
      config_(config),
      next_op_(first_op),
      bugs_(bugs),
      subscriptions_(subscriptions),
      coordinator_(coordinator),
      fetcher_(fetcher),
      offset_fetcher_(offset_fetcher),
      listener_(app_.listener ? app_.listener() : nullptr),
      buffer_(buffer) {
  if (listener_ && listener_->has_on_assigned()) coordinator_.look_up_positions_after_listener();
}

void ApplicationLoop::transition(AppState to) {
  SIM_ASSERT(valid_transition(state_, to),
             "application state " + std::string(to_string(state_)) + " -> " + std::string(to_string(to)));
  state_ = to;
}

// ---- what wakes the application ----

void ApplicationLoop::on_poll_tick(sim::Context& ctx) {
  if (state_ == AppState::idle) poll(ctx);
}

void ApplicationLoop::on_records_fetched(sim::Context& ctx) {
  if (state_ == AppState::idle) poll(ctx);
}

void ApplicationLoop::on_rejoin_needed(sim::Context& ctx) {
  if (state_ == AppState::idle) poll(ctx);
}

void ApplicationLoop::on_coordinator_found(sim::Context& ctx) {
  if (state_ != AppState::awaiting_rebalance && state_ != AppState::idle) return;
  if (state_ == AppState::awaiting_rebalance) transition(AppState::idle);
  poll(ctx);
}

void ApplicationLoop::on_assigned(sim::Context& ctx) {
  group_metadata_.generation_id = coordinator_.generation().generation_id;
  group_metadata_.member_id = coordinator_.generation().member_id;
  if (app_.producer_per_task()) {
    sync_tasks(ctx);
    // poll() goes on once the new tasks' producers have finished initTransactions.
    if (state_ == AppState::awaiting_rebalance && !producer_ready()) transition(AppState::idle);
  }
  // ConsumerCoordinator.onJoinComplete: the rebalance listener's onPartitionsAssigned runs
  // inside poll(), before updateFetchPositions looks up the new partitions' positions.
  const bool in_poll = state_ == AppState::awaiting_rebalance || state_ == AppState::idle;
  if (in_poll && listener_ && listener_->has_on_assigned() && !coordinator_.last_added().empty()) {
    in_assigned_listener_ = true;
    const std::vector<TopicPartition> added = coordinator_.last_added();
    assigned_step(ctx, call_listener(ctx, kAssignedTask, [&](ListenerServices& s) { return listener_->on_assigned(added, s); }));
    return;
  }
  if (state_ == AppState::awaiting_rebalance) poll(ctx);
}

void ApplicationLoop::assigned_step(sim::Context& ctx, const ListenerStep& step) {
  if (step.status == ListenerStatus::waiting) return;  // resumed by the reply
  in_assigned_listener_ = false;
  // An exception from onPartitionsAssigned: ConsumerCoordinator.onJoinComplete logs it and
  // poll() throws it; the loop goes on here, the trace tells it.
  if (step.status == ListenerStatus::failed) coordinator_.trace().emit<event::ConsumerError>(ctx, step.failure);
  if (state_ == AppState::awaiting_rebalance || state_ == AppState::idle) poll(ctx);
}

void ApplicationLoop::on_fatal_error() {
  // The loop stops where it waits (inside poll(), or in a commitSync that throws). A record
  // being processed is finished first: the coordinator keeps the error, and the next poll()
  // throws it (AbstractCoordinator.joinGroupIfNeeded, pollHeartbeat).
  if (state_ == AppState::processing || state_ == AppState::closed) return;
  transition(AppState::closed);
}

void ApplicationLoop::on_position_retry(sim::Context& ctx) {
  // Inside poll(timeout), the Java consumer waits at most retry.backoff.ms while a position is
  // missing (ClassicKafkaConsumer.pollForFetches), then runs updateFetchPositions again.
  if (state_ != AppState::idle) return;  // the next poll() does it
  if (offset_fetcher_.has_exception()) {
    poll(ctx);
    return;
  }
  update_fetch_positions(ctx);
  fetcher_.send_fetches(ctx);
}

// ---- poll() ----

void ApplicationLoop::update_fetch_positions(sim::Context& ctx) {
  offset_fetcher_.validate_positions_if_needed(ctx);
  coordinator_.refresh_committed_offsets(ctx);
  offset_fetcher_.reset_positions_if_needed(ctx);
}

void ApplicationLoop::poll(sim::Context& ctx) {
  if (state_ != AppState::idle && state_ != AppState::awaiting_rebalance) return;
  if (in_assigned_listener_) return;  // poll() is inside the rebalance listener: it goes on after
  if (coordinator_.failed()) {
    transition(AppState::closed);  // poll() throws the group's fatal error
    return;
  }
  if (app_.exactly_once() && state_ == AppState::idle) {
    // initTransactions first; a transaction due (or one a coming rebalance would strand: its
    // offsets would carry a stale generation) commits before poll() runs.
    if (!producer_ready()) {
      awaiting_producer_ = true;
      return;
    }
    if (commit_transaction(ctx, AppState::committing_before_poll, coordinator_.rejoin_needed())) return;
  }
  if (coordinator_.auto_commit_due(ctx.now()) && subscriptions_.has_assignment()) {
    // The auto-commit inside this poll() is the next commit.
    if (record_crash_point(ctx, "before-commit", 0, 0)) return;
    commit_started();
  }
  coordinator_.record_poll(ctx.now());
  transition(AppState::polling);
  const bool held_partitions = subscriptions_.has_assignment();
  switch (coordinator_.poll(ctx)) {
    case ConsumerCoordinator::PollResult::ready: break;
    case ConsumerCoordinator::PollResult::rebalancing:
      await_rebalance(ctx, held_partitions);
      return;
    case ConsumerCoordinator::PollResult::committing_on_revoke:
      await_rebalance(ctx, held_partitions);
      transition(AppState::committing_on_revoke);
      return;
  }
  unblock(ctx);
  // KafkaConsumer.updateFetchPositions, then Fetcher.sendFetches.
  update_fetch_positions(ctx);
  if (const auto exception = offset_fetcher_.take_exception()) {
    poll_threw(ctx, *exception);
    return;
  }
  fetcher_.send_fetches(ctx);
  if (policy_commit_due(ctx) &&
      commit_sync(ctx, subscriptions_.uncommitted_processed(), policy_name(), AppState::committing_before_poll)) {
    return;  // polls again when the commit is done
  }
  std::vector<ConsumerRecord> records = fetcher_.collect_fetch(static_cast<size_t>(config_.integer("max.poll.records")));
  if (records.empty()) {
    empty_poll(ctx);
    return;
  }
  poll_deadline_.reset();
  hand_out(ctx, std::move(records));
  if (crash_point(ctx, "before-process")) return;
  // The at-most-once pattern: commit what was just returned, then process it.
  if (app_.policy == CommitPolicy::before_process &&
      commit_sync(ctx, subscriptions_.all_consumed(bugs_.consumer_commits_fetched), "before-process",
                  AppState::committing_before_process)) {
    return;
  }
  process_next(ctx);
}

void ApplicationLoop::await_rebalance(sim::Context& ctx, bool held_partitions) {
  transition(AppState::awaiting_rebalance);
  // Only a member that holds partitions is paused by a rebalance; a new or idle member waiting
  // for an assignment is not.
  if (!blocked_since_ && held_partitions) blocked_since_ = ctx.now();
}

void ApplicationLoop::unblock(sim::Context& ctx) {
  if (!blocked_since_) return;
  ctx.trace(event::ConsumerUnblocked{
      .member = coordinator_.trace().member(), .group = coordinator_.trace().group_id(), .blocked = ctx.now() - *blocked_since_});
  blocked_since_.reset();
}

void ApplicationLoop::empty_poll(sim::Context& ctx) {
  transition(AppState::idle);
  const sim::Duration timeout = poll_timeout(app_.policy);
  if (!poll_deadline_) {
    // poll(timeout) blocks until records arrive (a fetch response wakes it) or the timeout.
    poll_deadline_ = ctx.now() + timeout;
    ctx.set_timer(timeout, sim::timer_tag(ConsumerTimer::poll_tick));
    return;
  }
  if (ctx.now() < *poll_deadline_) return;
  // The poll returned nothing. Spring (3.1+): with COUNT, that commits what is pending.
  poll_deadline_.reset();
  if (app_.policy == CommitPolicy::count && acked_since_commit_ > 0 &&
      commit_sync(ctx, subscriptions_.uncommitted_processed(), "COUNT", AppState::committing_before_poll)) {
    return;
  }
  poll(ctx);
}

void ApplicationLoop::poll_threw(sim::Context& ctx, const std::string& exception) {
  const bool spring = app_.policy != CommitPolicy::kafka_auto && app_.policy != CommitPolicy::after_process &&
                      app_.policy != CommitPolicy::async && app_.policy != CommitPolicy::before_process;
  const bool no_offset = exception.starts_with("NoOffsetForPartitionException");
  if (spring && !no_offset) {
    // ListenerConsumer.handleConsumerException: the container's error handler logs it
    // (handleOtherException) and the loop polls again.
    coordinator_.trace().emit<event::ConsumerError>(ctx, exception);
    empty_poll(ctx);
    return;
  }
  transition(AppState::closed);
  if (spring) {
    // ListenerConsumer.run: NoOffsetForPartitionException is fatal; wrapUp() commits nothing
    // and closes the consumer, which leaves the group; the container stops.
    coordinator_.trace().emit<event::ConsumerFatal>(ctx, "poll() threw " + exception + "; the listener container stops");
    leave_and_exit(ctx);
    return;
  }
  // A plain poll loop does not catch it: the application's thread ends, and with it the
  // process, without close() (its partitions move once session.timeout.ms expires).
  coordinator_.trace().emit<event::ConsumerFatal>(ctx, "poll() threw " + exception + "; the application stops");
  ctx.exit();
}

void ApplicationLoop::hand_out(sim::Context& ctx, std::vector<ConsumerRecord> records) {
  const std::string& member = coordinator_.trace().member();
  poll_op_ = take_op();
  ctx.trace(event::OpInvoke{.process = member, .op = poll_op_, .f = "poll"});
  for (const ConsumerRecord& r : records) {
    ctx.trace(event::OpPollRecord{.process = member,
                                  .op = poll_op_,
                                  .topic = r.tp.topic,
                                  .partition = r.tp.partition,
                                  .offset = r.offset,
                                  .key = r.record.key,
                                  .value = r.record.value});
  }
  ctx.trace(event::OpOk{.process = member, .op = poll_op_, .f = "poll", .records = records.size()});
  fetcher_.send_fetches(ctx);
  batch_.assign(std::make_move_iterator(records.begin()), std::make_move_iterator(records.end()));
}

// ---- processing ----

void ApplicationLoop::process_next(sim::Context& ctx) {
  if (batch_.empty()) {
    after_batch(ctx);
    return;
  }
  // A batch listener takes the poll's records at once, in one processing_time.
  const int64_t count = listener_ && listener_->batch() ? static_cast<int64_t>(batch_.size()) : 1;
  const int64_t first = records_begun_ + 1;
  records_begun_ += count;
  if (record_crash_point(ctx, "before-process", first, count)) return;
  transition(AppState::processing);
  ctx.set_timer(app_.processing_time.sample(ctx.rng()), sim::timer_tag(ConsumerTimer::process));
}

void ApplicationLoop::on_record_processed(sim::Context& ctx) {
  if (state_ == AppState::committing_on_close) return;  // close() interrupted the processing
  SIM_ASSERT(state_ == AppState::processing && !batch_.empty(), "a record processed outside PROCESSING");
  handler_step(ctx, run_handler(ctx));
}

void ApplicationLoop::record_processed(sim::Context& ctx, const ConsumerRecord& r) {
  subscriptions_.processed(r.tp, r.offset + 1, r.leader_epoch);
  if (app_.exactly_once()) transaction_processed(ctx.now(), r);
  ++acked_since_commit_;
  const std::string& member = coordinator_.trace().member();
  ctx.trace(event::ConsumerProcessed{.member = member,
                                      .group = coordinator_.trace().group_id(),
                                      .op = poll_op_,
                                      .key = r.record.key,
                                      .topic = r.tp.topic,
                                      .partition = r.tp.partition,
                                      .offset = r.offset,
                                      .value = r.record.value});
}

void ApplicationLoop::finish_record(sim::Context& ctx) {
  const ConsumerRecord r = std::move(batch_.front());
  batch_.pop_front();
  record_processed(ctx, r);
  if (record_crash_point(ctx, "after-process", records_begun_, 1)) return;
  // With a listener, MANUAL_IMMEDIATE commits what app:ack() acknowledged, when it does.
  const bool acks_commit = listener_ && app_.policy == CommitPolicy::manual_immediate;
  if (acks_commit) {
    // nothing: the acknowledgement committed it
  } else if (app_.policy == CommitPolicy::record || app_.policy == CommitPolicy::manual_immediate) {
    if (commit_sync(ctx, {{r.tp, r.offset + 1, r.leader_epoch}}, policy_name(), AppState::committing_after_record)) return;
  } else if (policy_commit_due(ctx) &&
             commit_sync(ctx, subscriptions_.uncommitted_processed(), policy_name(), AppState::committing_after_record)) {
    return;
  }
  process_next(ctx);
}

void ApplicationLoop::after_batch(sim::Context& ctx) {
  if (crash_point(ctx, "after-process")) return;
  if (app_.exactly_once()) {
    if (!commit_transaction(ctx, AppState::committing_after_batch, false)) continue_loop(ctx);
    return;
  }
  switch (app_.policy) {
    case CommitPolicy::manual:
      // With a listener, MANUAL commits only what app:ack() acknowledged.
      if (listener_) {
        ConsumerCoordinator::Offsets acked = acked_offsets();
        acked_.clear();
        if (commit_sync(ctx, std::move(acked), policy_name(), AppState::committing_after_batch)) return;
        break;
      }
      [[fallthrough]];
    case CommitPolicy::after_process:
    case CommitPolicy::batch:
      if (commit_sync(ctx, subscriptions_.uncommitted_processed(), policy_name(), AppState::committing_after_batch)) return;
      break;
    case CommitPolicy::async: {
      ConsumerCoordinator::Offsets offsets = subscriptions_.uncommitted_processed();
      if (!offsets.empty()) {
        if (record_crash_point(ctx, "before-commit", 0, 0)) return;
        commit_started();
      }
      coordinator_.commit(ctx, std::move(offsets), false, "async");
      break;
    }
    default:
      break;
  }
  continue_loop(ctx);
}

void ApplicationLoop::continue_loop(sim::Context& ctx) {
  if (crash_point(ctx, "after-commit")) return;
  transition(AppState::idle);
  poll(ctx);
}

// ---- commits ----

bool ApplicationLoop::policy_commit_due(sim::Context& ctx) const {
  // Spring's TIME, COUNT and COUNT_TIME, checked before each poll and after each record.
  const bool count_due = acked_since_commit_ >= app_.ack_count;
  const bool time_due = ctx.now() - last_commit_ > app_.ack_time;
  switch (app_.policy) {
    case CommitPolicy::time: return time_due;
    case CommitPolicy::count: return count_due;
    case CommitPolicy::count_time: return count_due || time_due;
    default: return false;
  }
}

bool ApplicationLoop::commit_sync(sim::Context& ctx, ConsumerCoordinator::Offsets offsets, const char* why,
                                  AppState waiting) {
  if (!offsets.empty()) {
    if (record_crash_point(ctx, "before-commit", 0, 0)) return true;  // dead: the loop goes no further
    commit_started();
  }
  if (!coordinator_.commit(ctx, std::move(offsets), true, why)) return false;
  transition(waiting);
  return true;
}

void ApplicationLoop::on_commit_completed(sim::Context& ctx, const ConsumerCoordinator::CommitCompletion& c) {
  if (c.error == Error::NONE) {
    acked_since_commit_ = 0;
    last_commit_ = ctx.now();
    if (commit_after_armed_ && record_crash_point(ctx, "after-commit", 0, 0)) return;
  }
  if (!c.sync) return;
  if (handler_commit_ && state_ == AppState::processing) {
    // The commitSync the handler asked for: back into the handler.
    handler_commit_ = false;
    resume_task(ctx, kHandlerTask, ListenerReply{.kind = ListenerReply::Kind::commit, .commit_error = c.error, .store = {}, .send = {}});
    return;
  }
  // Back on the application's thread, where the blocking commit left it (whether it
  // succeeded or failed).
  switch (state_) {
    case AppState::committing_before_process:
    case AppState::committing_after_record: process_next(ctx); break;
    case AppState::committing_after_batch: continue_loop(ctx); break;
    case AppState::committing_before_poll:
      transition(AppState::idle);
      poll(ctx);
      break;
    case AppState::committing_on_revoke:
      transition(AppState::awaiting_rebalance);
      coordinator_.resume_join(ctx);
      break;
    case AppState::committing_on_close: leave_and_exit(ctx); break;
    default: break;  // the loop stopped waiting (a fatal error)
  }
}

// ---- crash points and close() ----

bool ApplicationLoop::crash_point(sim::Context& ctx, const char* point) {
  if (app_.crash_at.record != 0 || app_.crash_at.point != point) return false;
  coordinator_.trace().emit<event::ConsumerCrashPoint>(ctx, point);
  app_.crash_at = {};
  ctx.crash();
  return true;
}

void ApplicationLoop::close(sim::Context& ctx) {
  ctx.set_timer(sim::Duration::seconds(5), sim::timer_tag(ConsumerTimer::shutdown_deadline));
  const ConsumerCoordinator::Offsets offsets = coordinator_.offsets_to_commit_on_revoke();
  if (app_.exactly_once()) {
    // Streams' close: the open transaction commits, then the member leaves.
    coordinator_.trace().emit<event::ConsumerClose>(ctx, fmt::format("committing the transaction of {} partitions", txn_offsets_.size()));
    if (state_ != AppState::closed && commit_transaction(ctx, AppState::committing_on_close, true)) return;
    leave_and_exit(ctx);
    return;
  }
  coordinator_.trace().emit<event::ConsumerClose>(ctx, fmt::format("committing {} partitions", offsets.size()));
  if (!offsets.empty()) {
    coordinator_.abandon_commit();  // the close commit takes over from a commit in flight
    if (commit_sync(ctx, offsets, "close", AppState::committing_on_close)) return;
  }
  leave_and_exit(ctx);
}

void ApplicationLoop::leave_and_exit(sim::Context& ctx) {
  coordinator_.leave_group_on_close(ctx);
  ctx.exit();
}

}  // namespace kafka
