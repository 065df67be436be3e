// processing_guarantee = "exactly_once" (v1, Kafka Streams' EXACTLY_ONCE_ALPHA; KIP-732
// deprecated it in 3.0, 4.0 removed it): each assigned input partition is a task with its own
// transactional producer (task_producers.hpp), and each task's outputs and offsets commit in
// that producer's transaction.
//
// - A task's producer is made when its partition is assigned; its initTransactions fences the
//   previous owner's producer of the same transactional.id (aborting its open transaction). The
//   loop polls only once every assigned task's producer has finished it.
// - A record's app:send goes through its partition's producer, in that task's transaction
//   (StreamsProducer.maybeBeginTransaction); an app:every timer has no task (app_binding.cpp).
// - A commit (after a poll's records, when commit_interval has passed, before a rebalance, at
//   close) commits each task with offsets or an open transaction, one after another, as
//   TaskExecutor.commitOffsetsOrTransaction does for alpha: sendOffsetsToTransaction with the
//   group id only (StreamsProducer.commitTransaction downgrades the group metadata for alpha),
//   then commitTransaction. The group coordinator does not check a generation (-1, no member
//   id): a zombie's offsets pass, and only its producer's epoch stops it.
// - An abortable error aborts that task's transaction and sends its partition back to where the
//   transaction began; the other tasks commit.
// - A fatal one (PRODUCER_FENCED: the partition's new owner took the transactional.id) ends the
//   application, as under v2. Streams throws TaskMigratedException, closes the task dirty and
//   rejoins; here the process stops (docs/exactly-once.md).
// - A task whose partition is no longer assigned has its producer closed when the next
//   assignment arrives (its transaction was committed before the member rejoined).
#include <fmt/format.h>

#include "broker_model/client/consumer_app.hpp"

namespace kafka {

void ApplicationLoop::sync_tasks(sim::Context& ctx) {
  const std::vector<TopicPartition> assigned = subscriptions_.assigned_partitions();
  for (const TopicPartition& tp : tasks_->tasks()) {
    if (subscriptions_.is_assigned(tp)) continue;
    // ActiveTaskCreator.closeAndRemoveTaskProducerIfNeeded.
    forget_task_transaction(tp);
    tasks_->close(tp);
  }
  for (const TopicPartition& tp : assigned) {
    if (!tasks_->find(tp)) tasks_->open(ctx, tp);
  }
}

bool ApplicationLoop::maybe_begin_task_transaction(sim::Context& ctx, const TopicPartition& tp) {
  if (open_tasks_.contains(tp)) return true;
  Producer* producer = tasks_->find(tp);
  if (!producer) return false;
  const TxnState s = producer->transaction_manager().state();
  if (s == TxnState::UNINITIALIZED || s == TxnState::INITIALIZING) return false;
  Error failed = Error::NONE;
  producer->begin_transaction(ctx, [&failed](sim::Context&, Error e) { failed = e; });
  if (failed != Error::NONE) {
    producer_failed(ctx, failed);
    return false;
  }
  if (!txn_open_ && txn_offsets_.empty()) txn_started_ = ctx.now();
  txn_open_ = true;
  open_tasks_.insert(tp);
  return true;
}

void ApplicationLoop::commit_tasks(sim::Context& ctx) {
  commit_queue_ = open_tasks_;
  for (const auto& [tp, o] : txn_offsets_) commit_queue_.insert(tp);
  task_aborted_ = false;
  commit_next_task(ctx);
}

void ApplicationLoop::commit_next_task(sim::Context& ctx) {
  while (!commit_queue_.empty()) {
    const TopicPartition tp = *commit_queue_.begin();
    Producer* producer = tasks_->find(tp);
    if (!producer) {  // closed since: nothing of it to commit
      commit_queue_.erase(tp);
      forget_task_transaction(tp);
      continue;
    }
    if (!maybe_begin_task_transaction(ctx, tp)) {
      if (state_ != AppState::closed) producer_failed(ctx, Error::INVALID_TXN_STATE);
      return;
    }
    std::vector<TxnOffset> offsets;
    if (auto it = txn_offsets_.find(tp); it != txn_offsets_.end()) {
      offsets.push_back({it->second.tp, it->second.offset, it->second.leader_epoch});
    }
    // new ConsumerGroupMetadata(groupId): no generation, no member id, no group.instance.id.
    ConsumerGroupMetadata group;
    group.group_id = coordinator_.trace().group_id();
    auto commit = [this, tp](sim::Context& c, Error e) {
      Producer* p = tasks_->find(tp);
      if (e != Error::NONE || !p) return task_committed(c, tp, e);
      p->commit_transaction(c, [this, tp](sim::Context& c2, Error e2) { task_committed(c2, tp, e2); });
    };
    if (offsets.empty()) commit(ctx, Error::NONE);
    else producer->send_offsets_to_transaction(ctx, std::move(offsets), std::move(group), commit);
    return;
  }
  tasks_committed(ctx);
}

void ApplicationLoop::task_committed(sim::Context& ctx, const TopicPartition& tp, Error error) {
  if (state_ == AppState::closed) return;
  if (error == Error::NONE) {
    forget_task_transaction(tp);
    commit_queue_.erase(tp);
    commit_next_task(ctx);
    return;
  }
  Producer* producer = tasks_->find(tp);
  if (!producer || producer->transaction_manager().has_fatal_error()) {
    producer_failed(ctx, error);
    return;
  }
  producer->abort_transaction(ctx, [this, tp](sim::Context& c, Error e) {
    const Producer* p = tasks_->find(tp);
    if (e != Error::NONE && p && p->transaction_manager().has_fatal_error()) return producer_failed(c, e);
    task_aborted(c, tp);
  });
}

void ApplicationLoop::task_aborted(sim::Context& ctx, const TopicPartition& tp) {
  if (state_ == AppState::closed) return;
  // What the task's transaction consumed is consumed again, from where it began.
  if (auto it = txn_first_offsets_.find(tp); it != txn_first_offsets_.end() && subscriptions_.is_assigned(tp)) {
    subscriptions_.seek(tp, it->second);
    buffer_.drop(tp);
    coordinator_.trace().position<event::ConsumerSeek>(
        ctx, tp, it->second, fmt::format("{}-{} to {} (transaction aborted)", tp.topic, tp.partition, it->second));
  }
  forget_task_transaction(tp);
  commit_queue_.erase(tp);
  task_aborted_ = true;
  commit_next_task(ctx);
}

void ApplicationLoop::forget_task_transaction(const TopicPartition& tp) {
  open_tasks_.erase(tp);
  txn_offsets_.erase(tp);
  txn_first_offsets_.erase(tp);
  txn_open_ = !open_tasks_.empty();
}

void ApplicationLoop::tasks_committed(sim::Context& ctx) {
  txn_open_ = false;
  if (std::exchange(task_aborted_, false)) {
    // As after v2's abort: the poll's other records come again, from the positions sought.
    batch_.clear();
    fetcher_.send_fetches(ctx);
    resume_after_commit(ctx);
    return;
  }
  acked_since_commit_ = 0;
  last_commit_ = ctx.now();
  if (commit_after_armed_ && record_crash_point(ctx, "after-commit", 0, 0)) return;
  resume_after_commit(ctx);
}

}  // namespace kafka
