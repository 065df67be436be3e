// processing_guarantee = exactly_once_v2: the member's records, what its code sends and the
// offsets it consumed go in one transaction of the process's own transactional producer, as
// Kafka Streams' EOS v2 (StreamsProducer, TaskExecutor.commitOffsetsOrTransaction) and Spring's
// listener container with a KafkaTransactionManager run them (KIP-447: one producer per member,
// fenced through the group metadata its offsets carry).
//
// - initTransactions runs when the process starts; the loop polls only once it is done.
// - A transaction begins with its first send or its first processed record's offsets
//   (StreamsProducer.maybeBeginTransaction), so a poll that returns nothing opens none.
// - After a poll's records (or before a poll, when a rebalance is coming or commit_interval has
//   passed), sendOffsetsToTransaction with consumer.groupMetadata(), then commitTransaction.
//   A member whose generation is stale gets ILLEGAL_GENERATION for its TxnOffsetCommit: its
//   transaction aborts, and so does everything it sent.
// - An abortable error (a failed send, a stale generation) aborts the transaction and sends the
//   member back to where each partition stood when it began, so its records are processed
//   again (Streams closes the task dirty and reinitialises it from its committed offsets).
// - A fatal one (PRODUCER_FENCED: a newer instance took the transactional.id) ends the
//   application: it is a zombie (Streams' TaskMigratedException; here the process stops).
#include <fmt/format.h>

#include "broker_model/client/consumer_app.hpp"
#include "broker_model/client/consumer_timers.hpp"

namespace kafka {

bool ApplicationLoop::producer_ready() const {
  if (app_.producer_per_task()) return tasks_->ready(subscriptions_.assigned_partitions());
  if (!producer_) return false;
  const TxnState s = producer_->transaction_manager().state();
  return s != TxnState::UNINITIALIZED && s != TxnState::INITIALIZING;
}

void ApplicationLoop::on_producer_progress(sim::Context& ctx) {
  if (!app_.exactly_once()) return;
  const Producer* failed = app_.producer_per_task() ? tasks_->fatal() : producer_;
  if (failed && failed->transaction_manager().has_fatal_error() && state_ == AppState::idle) {
    producer_failed(ctx, failed->transaction_manager().last_error());
    return;
  }
  if (!awaiting_producer_ || !producer_ready()) return;
  awaiting_producer_ = false;
  if (state_ == AppState::idle) poll(ctx);
}

bool ApplicationLoop::maybe_begin_transaction(sim::Context& ctx) {
  if (txn_open_) return true;
  // Before initTransactions has finished (an every() timer of a process just started), the
  // send goes to the producer outside a transaction, which refuses it as Kafka's does.
  if (!producer_ready()) return false;
  Error failed = Error::NONE;
  producer_->begin_transaction(ctx, [&failed](sim::Context&, Error e) { failed = e; });
  if (failed != Error::NONE) {
    producer_failed(ctx, failed);
    return false;
  }
  txn_open_ = true;
  txn_started_ = ctx.now();
  return true;
}

void ApplicationLoop::transaction_processed(sim::Time now, const ConsumerRecord& r) {
  if (!txn_open_ && txn_offsets_.empty()) txn_started_ = now;
  txn_offsets_[r.tp] = {r.tp, r.offset + 1, r.leader_epoch};
  txn_first_offsets_.try_emplace(r.tp, r.offset);
}

bool ApplicationLoop::commit_transaction(sim::Context& ctx, AppState waiting, bool force) {
  if (!txn_open_ && txn_offsets_.empty()) return false;
  const bool due = force || txn_commit_requested_ || ctx.now() - txn_started_ >= app_.commit_interval;
  if (!due) return false;
  if (record_crash_point(ctx, "before-commit", 0, 0)) return true;  // dead: the loop goes no further
  commit_started();
  if (app_.producer_per_task()) {
    txn_commit_requested_ = false;
    transition(waiting);
    commit_tasks(ctx);
    return true;
  }
  if (!maybe_begin_transaction(ctx)) {
    if (state_ != AppState::closed) producer_failed(ctx, Error::INVALID_TXN_STATE);
    return true;
  }
  txn_commit_requested_ = false;
  transition(waiting);
  std::vector<TxnOffset> offsets;
  for (const auto& [tp, o] : txn_offsets_) offsets.push_back({o.tp, o.offset, o.leader_epoch});
  // consumer.groupMetadata(): the generation and member id of the last join that completed
  // (ConsumerCoordinator.onJoinComplete sets it; a reset generation leaves it as it was), which
  // the group coordinator checks: a zombie's offsets carry a generation the group has left.
  ConsumerGroupMetadata group = group_metadata_;
  if (bugs_.eos_group_metadata_follows_reset) {
    group.generation_id = coordinator_.generation().generation_id;
    group.member_id = coordinator_.generation().member_id;
  }
  group.group_id = coordinator_.trace().group_id();
  if (!config_.string("group.instance.id").empty()) group.group_instance_id = config_.string("group.instance.id");
  auto commit = [this](sim::Context& c, Error e) {
    if (e != Error::NONE) return transaction_completed(c, e);
    producer_->commit_transaction(c, [this](sim::Context& c2, Error e2) { transaction_completed(c2, e2); });
  };
  if (offsets.empty()) commit(ctx, Error::NONE);
  else producer_->send_offsets_to_transaction(ctx, std::move(offsets), std::move(group), commit);
  return true;
}

void ApplicationLoop::transaction_completed(sim::Context& ctx, Error error) {
  if (error == Error::NONE) {
    txn_open_ = false;
    txn_offsets_.clear();
    txn_first_offsets_.clear();
    acked_since_commit_ = 0;
    last_commit_ = ctx.now();
    if (commit_after_armed_ && record_crash_point(ctx, "after-commit", 0, 0)) return;
    resume_after_commit(ctx);
    return;
  }
  if (producer_->transaction_manager().has_fatal_error()) {
    producer_failed(ctx, error);
    return;
  }
  // KafkaProducer's javadoc loop: an abortable error is followed by abortTransaction.
  producer_->abort_transaction(ctx, [this](sim::Context& c, Error e) {
    if (e != Error::NONE && producer_->transaction_manager().has_fatal_error()) return producer_failed(c, e);
    transaction_aborted(c);
  });
}

void ApplicationLoop::transaction_aborted(sim::Context& ctx) {
  // What the transaction consumed is consumed again, from where it began.
  for (const auto& [tp, first] : txn_first_offsets_) {
    if (!subscriptions_.is_assigned(tp)) continue;
    subscriptions_.seek(tp, first);
    buffer_.drop(tp);
    coordinator_.trace().position<event::ConsumerSeek>(ctx, tp, first,
                                                         fmt::format("{}-{} to {} (transaction aborted)", tp.topic, tp.partition, first));
  }
  txn_open_ = false;
  txn_offsets_.clear();
  txn_first_offsets_.clear();
  batch_.clear();  // the poll's other records come again too
  fetcher_.send_fetches(ctx);
  resume_after_commit(ctx);
}

void ApplicationLoop::resume_after_commit(sim::Context& ctx) {
  switch (state_) {
    case AppState::committing_after_batch: continue_loop(ctx); break;
    case AppState::committing_before_poll:
      transition(AppState::idle);
      poll(ctx);
      break;
    case AppState::committing_on_close: leave_and_exit(ctx); break;
    default: break;  // the loop stopped waiting (a fatal error)
  }
}

void ApplicationLoop::producer_failed(sim::Context& ctx, Error error) {
  // ProducerFencedException and the other fatal errors end the application: a newer instance
  // owns the transactional.id, or the producer cannot go on. Its open transaction is the
  // coordinator's to abort.
  if (state_ == AppState::closed) return;
  coordinator_.trace().emit<event::ConsumerFatal>(
      ctx, fmt::format("the transactional producer failed with {}; the application stops", error_name(error)));
  transition(AppState::closed);
  ctx.exit();
}

}  // namespace kafka
