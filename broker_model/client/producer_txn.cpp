// The transactional producer: KafkaProducer's transactional calls, the application thread that
// makes them in the scenario's order, and the sender's transactional step
// (Sender.runOnce with a TransactionManager, maybeSendAndPollTransactionalRequest,
// maybeAbortBatches; RecordAccumulator.abortUndrainedBatches).
#include <algorithm>
#include <utility>

#include "broker_model/client/producer.hpp"
#include "sim/assert.hpp"

namespace kafka {

namespace {
const char* call_name(Producer::TxnCall call) {
  switch (call) {
    case Producer::TxnCall::begin: return "begin";
    case Producer::TxnCall::send_offsets: return "send_offsets";
    case Producer::TxnCall::commit: return "commit";
    case Producer::TxnCall::abort: return "abort";
  }
  return "?";
}
}  // namespace

void Producer::trace_txn_call(sim::Context& ctx, TxnCall call, Error error) {
  ctx.trace(event::ProducerTxnCall{.client_id = client_id_,
                                   .transactional_id = txn_.transactional_id(),
                                   .call = call_name(call),
                                   .error = error_name(error)});
}

// The application's callback, after tracing the call's failure: a KafkaProducer call that throws.
TxnCallback Producer::traced_call(TxnCall call, TxnCallback done) {
  return [this, call, done = std::move(done)](sim::Context& c, Error e) {
    if (e != Error::NONE) trace_txn_call(c, call, e);
    if (done) done(c, e);
  };
}

// ---- KafkaProducer's calls ----

void Producer::begin_transaction(sim::Context& ctx, TxnCallback done) {
  const Error e = txn_.begin_transaction(ctx);
  traced_call(TxnCall::begin, std::move(done))(ctx, e);
}

void Producer::send_offsets_to_transaction(sim::Context& ctx, std::vector<TxnOffset> offsets, ConsumerGroupMetadata group,
                                           TxnCallback done) {
  const TxnCallback traced = traced_call(TxnCall::send_offsets, std::move(done));
  const Error e = txn_.send_offsets_to_transaction(std::move(offsets), std::move(group), traced);
  if (e != Error::NONE) return traced(ctx, e);
  run_sender(ctx);
}

void Producer::commit_transaction(sim::Context& ctx, TxnCallback done) {
  // KafkaProducer.commitTransaction: beginCommit, then the sender flushes every batch before
  // it sends EndTxn.
  const TxnCallback traced = traced_call(TxnCall::commit, std::move(done));
  const Error e = txn_.begin_commit(ctx, traced);
  if (e != Error::NONE) return traced(ctx, e);
  run_sender(ctx);
}

void Producer::abort_transaction(sim::Context& ctx, TxnCallback done) {
  const TxnCallback traced = traced_call(TxnCall::abort, std::move(done));
  const Error e = txn_.begin_abort(ctx, traced);
  if (e != Error::NONE) return traced(ctx, e);
  run_sender(ctx);
}

// ---- the application thread ----

void Producer::app_txn(sim::Context& ctx, TxnCall call, std::vector<TxnOffset> offsets, ConsumerGroupMetadata group) {
  AppSend a{{}, false, {}, call, std::move(offsets), std::move(group)};
  app_queue_.push_back(std::move(a));
  app_next(ctx);
}

void Producer::app_run_txn(sim::Context& ctx, AppSend& a) {
  auto resume = [this](sim::Context& c, Error) {
    app_blocked_ = false;
    app_next(c);
  };
  switch (*a.txn) {
    case TxnCall::begin: begin_transaction(ctx); return;  // does not block
    case TxnCall::send_offsets:
      app_blocked_ = true;
      send_offsets_to_transaction(ctx, std::move(a.offsets), std::move(a.group), resume);
      return;
    case TxnCall::commit:
      app_blocked_ = true;
      commit_transaction(ctx, [this, resume](sim::Context& c, Error e) {
        // The javadoc's loop: a KafkaException other than a fatal one is followed by
        // abortTransaction.
        if (e != Error::NONE && txn_.has_abortable_error()) return abort_transaction(c, resume);
        resume(c, e);
      });
      return;
    case TxnCall::abort:
      app_blocked_ = true;
      abort_transaction(ctx, resume);
      return;
  }
}

// ---- the sender ----

bool Producer::run_transactional(sim::Context& ctx) {
  txn_.maybe_resolve_sequences(ctx);
  if (txn_.has_fatal_error()) {
    // Nothing is sent any more: every incomplete batch fails with the fatal error.
    abort_batches(ctx, txn_.last_error());
    return true;
  }
  // bumpIdempotentEpochAndResetIdIfNeeded does nothing for a transactional producer: its epoch
  // is bumped by the coordinator, through an abort.
  return maybe_send_and_poll_transactional_request(ctx);
}

bool Producer::maybe_send_and_poll_transactional_request(sim::Context& ctx) {
  if (txn_.has_in_flight_request()) return true;  // wait for its answer
  if ((txn_.has_abortable_error() || txn_.is_aborting()) && has_incomplete()) {
    const Error last = txn_.last_error();
    abort_undrained_batches(ctx, last == Error::NONE ? Error::CLIENT_TRANSACTION_ABORTED : last);
  }
  const int32_t correlation = next_correlation_ + 1;
  const TxnNext next = txn_.next_request(ctx, has_incomplete(), correlation);
  switch (next.kind) {
    case TxnNext::Kind::idle: return false;
    case TxnNext::Kind::wait:
      schedule_wakeup(ctx, next.wait_until);
      return true;
    case TxnNext::Kind::send: break;
  }
  next_correlation_ = correlation;
  BrokerId broker = next.target;
  if (broker == kNoLeader) {
    // NetworkClient.leastLoadedNode: any broker; kafkasim rotates through them.
    const auto brokers = layout_.broker_ids();
    SIM_ASSERT(!brokers.empty(), "a cluster has brokers");
    broker = brokers[next_bootstrap_++ % brokers.size()];
  }
  txn_request_broker_ = broker;
  ctx.send(layout_.node_of(broker), next.request);
  txn_timer_ = set_timer(ctx, settings_.request_timeout, kTxnRequestTimeout);
  return true;
}

void Producer::handle_txn_response(sim::Context& ctx, const KafkaMessage& m) {
  if (!txn_.handle_response(ctx, m)) return;  // a late answer to a request given up on
  ctx.cancel_timer(txn_timer_);
  txn_request_broker_ = kNoLeader;
  run_sender(ctx);
}

// ---- the accumulator ----

bool Producer::has_incomplete() const {
  // Records still waiting for metadata count: Kafka's application thread would still be in
  // send() for them, before commitTransaction.
  if (!blocked_.empty()) return true;
  for (const auto& [tp, q] : queues_)
    if (!q.empty()) return true;
  for (const auto& [tp, v] : inflight_batches_)
    if (!v.empty()) return true;
  return false;
}

void Producer::abort_undrained_batches(sim::Context& ctx, Error reason) {
  // Batches never drained (without a sequence) are dropped; those sent before, in flight or
  // waiting for a retry, run to their end.
  std::vector<ProducerBatchPtr> aborted;
  for (auto& [tp, q] : queues_) {
    auto keep = std::stable_partition(q.begin(), q.end(), [](const ProducerBatchPtr& b) { return b->has_sequence(); });
    aborted.insert(aborted.end(), keep, q.end());
    q.erase(keep, q.end());
  }
  for (const ProducerBatchPtr& b : aborted) complete(ctx, b, Outcome::fail, reason, -1);
}

void Producer::abort_batches(sim::Context& ctx, Error reason) {
  std::vector<ProducerBatchPtr> aborted;
  for (auto& [tp, q] : queues_) {
    aborted.insert(aborted.end(), q.begin(), q.end());
    q.clear();
  }
  for (auto& [tp, v] : inflight_batches_) {
    for (const ProducerBatchPtr& b : v) b->maybe_applied = true;  // out on the wire: maybe written
    aborted.insert(aborted.end(), v.begin(), v.end());
    v.clear();
  }
  for (const ProducerBatchPtr& b : aborted) complete(ctx, b, b->maybe_applied ? Outcome::info : Outcome::fail, reason, -1);
}

}  // namespace kafka
