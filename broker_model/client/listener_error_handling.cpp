// What the container does when the application's handler throws (a Lua error, a C++
// listener's failed step). A plain poll loop does not catch it: the application's thread ends,
// and with it the process. Spring's listener container hands it to its CommonErrorHandler,
// DefaultErrorHandler (FixedBackOff(0, 9) unless the group's error_handler says otherwise).
//
// The listener container's side of Spring Kafka's DefaultErrorHandler, for a listener
// whose processing failed (KafkaMessageListenerContainer.ListenerConsumer.invokeErrorHandler,
// DefaultErrorHandler.handleRemaining, SeekUtils.seekOrRecover and doSeeks):
//
//   1. FailedRecordTracker.recovered counts the delivery and asks the BackOff for the next
//      interval. Not STOP: the container thread sleeps it (DefaultBackOffHandler; the member
//      keeps heartbeating, max.poll.interval.ms keeps counting), then seeks the failed record's
//      partition back to it and every other partition of the poll's remaining records to its
//      first one, and polls again: the record is delivered again, its partition blocked behind it.
//   2. STOP: the recoverer runs. The default one logs the record (listener.recovered) and skips
//      it; DeadLetterPublishingRecoverer publishes it with the process's producer and waits for
//      the result (verifySendResult) on the container thread. The remaining records are sought
//      as in 1, and the recovered record is acknowledged (ackAfterHandle, on by default:
//      ackCurrent, which commits at once in RECORD mode and otherwise counts it with the acks).
//   3. A failed publication is the recoverer throwing: the partition's retry state is reset
//      (resetStateOnRecoveryFailure) and the record is sought back, to be retried afresh.
//
// A batch listener's failure (not a BatchListenerFailedException) stands for its whole batch,
// as FallbackBatchErrorHandler treats it: the batch's first record counts the deliveries, the
// whole batch is delivered again, and on STOP the logging recoverer skips every record of it.
// (Spring retries the batch in memory without seeking; here it is sought back and polled again,
// which returns the same records.) The dead-letter recoverer is not modelled for a batch
// listener: the scenario options refuse the combination.
#include <utility>

#include <fmt/format.h>

#include "broker_model/client/consumer_app.hpp"
#include "broker_model/client/consumer_timers.hpp"

namespace kafka {

namespace {
// The policies Spring's listener container runs.
bool spring_container(CommitPolicy p) {
  return p != CommitPolicy::kafka_auto && p != CommitPolicy::after_process && p != CommitPolicy::async &&
         p != CommitPolicy::before_process;
}
}  // namespace

void ApplicationLoop::handle_record_failure(sim::Context& ctx, const ConsumerRecord& record, const std::string& message) {
  SIM_ASSERT(state_ == AppState::processing, "a record failed outside PROCESSING");
  handler_ran_ = false;
  const std::string where = fmt::format("{}-{}@{}", record.tp.topic, record.tp.partition, record.offset);
  coordinator_.trace().emit<event::ConsumerError>(ctx, fmt::format("the listener threw on {}: {}", where, message));
  if (!spring_container(app_.policy)) {
    // Nothing catches it: the thread ends, and with it the process, without close().
    transition(AppState::closed);
    coordinator_.trace().emit<event::ConsumerFatal>(ctx, fmt::format("the handler threw on {}; the application stops", where));
    ctx.exit();
    return;
  }
  const FailedRecordTracker::Decision d = failures_.failed(record.tp, record.offset);
  const bool whole_batch = listener_ && listener_->batch();
  if (whole_batch && d.recover) {
    // The logging recoverer skips every record of the batch: none is sought back.
    recovered_batch_.assign(batch_.begin(), batch_.end());
    batch_.clear();
  }
  // SeekUtils.doSeeks: the failed record's partition (unless recovered), then the first
  // remaining record of every other partition (computeIfAbsent keeps the first).
  std::map<TopicPartition, int64_t> seeks;
  if (!d.recover) seeks[record.tp] = record.offset;
  for (const ConsumerRecord& r : batch_) seeks.emplace(r.tp, r.offset);
  batch_.clear();
  backoff_seeks_ = std::move(seeks);
  const ConsumerTrace& trace = coordinator_.trace();
  if (!d.recover) {
    ctx.trace(event::ListenerRetry{.member = trace.member(),
                                   .group = trace.group_id(),
                                   .topic = record.tp.topic,
                                   .partition = record.tp.partition,
                                   .offset = record.offset,
                                   .attempts = d.attempts,
                                   .backoff = d.backoff_ms,
                                   .error = message});
    ctx.set_timer(sim::Duration::millis(d.backoff_ms), sim::timer_tag(ConsumerTimer::listener_backoff));
    return;
  }
  if (!app_.error_handler.dead_letter) {
    recovered(ctx, record, d.attempts, message, nullptr);
    return;
  }
  // Both live and die with the process: the callback never outlives this loop.
  hosted_producer(ctx, &record.tp)->send(ctx, dead_letter_record(record, trace.group_id(), message, app_.error_handler),
                  [this, record, attempts = d.attempts, message](sim::Context& c, const SendResult& result) {
                    recovered(c, record, attempts, message, &result);
                  });
}

void ApplicationLoop::recovered(sim::Context& ctx, const ConsumerRecord& record, int32_t attempts,
                                const std::string& message, const SendResult* dead_letter) {
  if (state_ != AppState::processing) return;  // close() took over while the publication was out
  const ConsumerTrace& trace = coordinator_.trace();
  const std::string destination = dead_letter ? app_.error_handler.destination(record.tp.topic) : "";
  if (dead_letter && dead_letter->outcome != Outcome::ok) {
    // The recoverer threw (KafkaException from verifySendResult): doSeeks includes the record.
    failures_.forget(record.tp);
    backoff_seeks_[record.tp] = record.offset;
    ctx.trace(event::ListenerRecoveryFailed{.member = trace.member(),
                                            .group = trace.group_id(),
                                            .topic = record.tp.topic,
                                            .partition = record.tp.partition,
                                            .offset = record.offset,
                                            .dead_letter = destination,
                                            .error = std::string(error_name(dead_letter->error))});
    on_listener_backoff(ctx);
    return;
  }
  ctx.trace(event::ListenerRecovered{.member = trace.member(),
                                     .group = trace.group_id(),
                                     .topic = record.tp.topic,
                                     .partition = record.tp.partition,
                                     .offset = record.offset,
                                     .attempts = attempts,
                                     .dead_letter = destination,
                                     .dead_letter_offset = dead_letter ? dead_letter->offset : -1,
                                     .error = message});
  // ackAfterHandle: the recovered record (a batch listener's whole batch) is acknowledged as if
  // it had been processed.
  subscriptions_.processed(record.tp, record.offset + 1, record.leader_epoch);
  ++acked_since_commit_;
  const bool whole_batch = !recovered_batch_.empty();
  for (const ConsumerRecord& r : std::exchange(recovered_batch_, {})) {
    subscriptions_.processed(r.tp, r.offset + 1, r.leader_epoch);
    ++acked_since_commit_;
  }
  seek_remaining(ctx, std::exchange(backoff_seeks_, {}));
  ConsumerCoordinator::Offsets acked = whole_batch ? subscriptions_.uncommitted_processed()
                                                   : ConsumerCoordinator::Offsets{{record.tp, record.offset + 1, record.leader_epoch}};
  if (app_.policy == CommitPolicy::record &&
      commit_sync(ctx, std::move(acked), policy_name(), AppState::committing_after_record)) {
    return;
  }
  process_next(ctx);  // the batch is empty: what the policy does after a batch, then poll()
}

void ApplicationLoop::on_listener_backoff(sim::Context& ctx) {
  if (state_ != AppState::processing) return;  // close() interrupted the sleep
  seek_remaining(ctx, std::exchange(backoff_seeks_, {}));
  process_next(ctx);
}

Producer* ApplicationLoop::hosted_producer(sim::Context& ctx, const TopicPartition* task) {
  if (app_.producer_per_task()) {
    // A record being processed is of an assigned partition, whose task has its producer.
    SIM_ASSERT(task && tasks_ && tasks_->find(*task), "an exactly_once (v1) send is for a record of an assigned task");
    maybe_begin_task_transaction(ctx, *task);
    return tasks_->find(*task);
  }
  if (!producer_) producer_ = start_producer_(ctx);
  return producer_;
}

void ApplicationLoop::seek_remaining(sim::Context& ctx, std::map<TopicPartition, int64_t> seeks) {
  // SeekUtils.seekPartitions: a partition no longer assigned fails its seek, which is logged.
  for (const auto& [tp, offset] : seeks) {
    if (!seek(ctx, tp, offset)) {
      coordinator_.trace().emit<event::ConsumerError>(ctx, fmt::format("Failed to seek {}-{} to {}", tp.topic, tp.partition, offset));
    }
  }
}

}  // namespace kafka
