// What the container does when the application's handler throws (a Lua error, a C++
// listener's failed step). A plain poll loop does not catch it: the application's thread ends.
// Spring's listener container hands it to its CommonErrorHandler; without one configured that
// is DefaultErrorHandler with its defaults: FixedBackOff(0, 9), i.e. ten deliveries of the
// record in all, no pause between them, then the default recoverer logs the record and the
// container goes on past it (DefaultErrorHandler.handleRemaining -> SeekUtils.seekOrRecover,
// FailedRecordTracker.recovered).
#include <map>

#include <fmt/format.h>

#include "broker_model/client/consumer_app.hpp"

namespace kafka {

namespace {
// The policies Spring's listener container runs.
bool spring_container(CommitPolicy p) {
  return p != CommitPolicy::kafka_auto && p != CommitPolicy::after_process && p != CommitPolicy::async &&
         p != CommitPolicy::before_process;
}
// FixedBackOff(0, 9): nine retries after the first delivery.
constexpr int kDefaultDeliveries = 10;
}  // namespace

void ApplicationLoop::handle_record_failure(sim::Context& ctx, const ConsumerRecord& record, const std::string& message) {
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
  redeliver(ctx, record, message);
}

void ApplicationLoop::redeliver(sim::Context& ctx, const ConsumerRecord& failed, const std::string& message) {
  // FailedRecordTracker: deliveries of the record that failed last on its partition.
  auto& [offset, deliveries] = failures_[failed.tp];
  if (offset != failed.offset || deliveries == 0) {
    offset = failed.offset;
    deliveries = 0;
  }
  ++deliveries;
  const bool batch_listener = listener_ && listener_->batch();
  if (deliveries >= kDefaultDeliveries) {
    // The back-off is exhausted: the default recoverer logs the record and skips it; the
    // container counts it as handled (ackAfterHandle), so the next commit passes it.
    failures_.erase(failed.tp);
    coordinator_.trace().emit<event::ConsumerError>(
        ctx, fmt::format("Backoff FixedBackOff{{interval=0, currentAttempts={}, maxAttempts=9}} exhausted for "
                         "{}-{}@{}; skipped: {}",
                         kDefaultDeliveries, failed.tp.topic, failed.tp.partition, failed.offset, message));
    const size_t skipped = batch_listener ? batch_.size() : 1;
    for (size_t i = 0; i < skipped; ++i) {
      const ConsumerRecord& r = batch_.front();
      subscriptions_.processed(r.tp, r.offset + 1, r.leader_epoch);
      batch_.pop_front();
    }
    process_next(ctx);
    return;
  }
  // SeekUtils.doSeeks: every partition of the records not yet processed goes back to its first
  // one (the failed record's partition to the failed record), and the next poll returns them.
  std::map<TopicPartition, int64_t> seeks;
  for (const ConsumerRecord& r : batch_) seeks.emplace(r.tp, r.offset);
  for (const auto& [tp, to] : seeks) seek(ctx, tp, to);
  batch_.clear();
  transition(AppState::idle);
  poll(ctx);
}

}  // namespace kafka
