// Ending transactions: EndTxn from a producer, the abort that fences a previous instance or a
// transaction past its transaction.timeout.ms (TransactionCoordinator.endTransaction and
// abortTimedOutTransactions).
#include "broker_model/trace_schema.hpp"
#include "broker_model/txn/transaction_coordinator.hpp"
#include "sim/assert.hpp"

namespace kafka {

void TransactionCoordinator::handle_end_txn(sim::Context& ctx, sim::NodeId from, const EndTxnRequest& req) {
  const bool bump = epoch_bump_per_txn();
  end_transaction(ctx, req.transactional_id, req.producer_id, req.producer_epoch, req.committed, true,
                  [from, cid = req.correlation_id, bump](sim::Context& c, Error e, int64_t producer_id, int16_t producer_epoch) {
                    auto resp = std::make_shared<EndTxnResponse>();
                    resp->correlation_id = cid;
                    resp->error = e;
                    if (bump) {  // EndTxn v5 (KIP-890 part 2) returns the new epoch
                      resp->producer_id = producer_id;
                      resp->producer_epoch = producer_epoch;
                    }
                    c.send(from, resp);
                  });
}

bool TransactionCoordinator::end_txn_epoch_bumped(const TransactionMetadata& m, int16_t producer_epoch) {
  return m.pending_state() != TransactionState::prepare_epoch_fence && m.current().epoch_bump_per_txn &&
         m.producer_epoch() == producer_epoch + 1;
}

void TransactionCoordinator::end_transaction(sim::Context& ctx, const std::string& transactional_id, int64_t producer_id,
                                             int16_t producer_epoch, bool commit, bool from_client, EndTxnCallback done) {
  if (transactional_id.empty()) return done(ctx, Error::INVALID_REQUEST, kNoProducerId, -1);
  const TransactionStateManager::Lookup found = state_.get(transactional_id);
  if (found.error != Error::NONE) return done(ctx, found.error, kNoProducerId, -1);
  if (!found.metadata) return done(ctx, Error::INVALID_PRODUCER_ID_MAPPING, kNoProducerId, -1);
  TransactionMetadata& m = *found.metadata;
  const int64_t id_before = m.producer_id();
  const int16_t epoch_before = m.producer_epoch();
  bool is_epoch_fence = false;
  auto prepared = prepare_end(ctx, m, producer_id, producer_epoch, commit, from_client, is_epoch_fence);
  if (const Error* e = std::get_if<Error>(&prepared)) {
    // NONE: a retried EndTxn of a transaction already complete, answered with its id and epoch.
    if (*e == Error::NONE) return done(ctx, *e, id_before, epoch_before);
    return done(ctx, *e, kNoProducerId, -1);
  }
  const int32_t coordinator_epoch = found.coordinator_epoch;
  state_.append(ctx, transactional_id, coordinator_epoch, std::get<TxnTransitMetadata>(prepared),
                [this, transactional_id, coordinator_epoch, producer_id, producer_epoch, commit, is_epoch_fence,
                 done = std::move(done)](sim::Context& c, Error e) {
                  if (e == Error::NONE) return prepare_written(c, transactional_id, coordinator_epoch, producer_id, producer_epoch, commit, done);
                  // A fence whose abort was not written: its epoch stays bumped, unseen by any client.
                  const TransactionStateManager::Lookup now = state_.get(transactional_id);
                  if (is_epoch_fence && now.metadata && now.coordinator_epoch == coordinator_epoch)
                    now.metadata->set_failed_epoch_fence(true);
                  done(c, e, kNoProducerId, -1);
                });
}

std::variant<Error, TxnTransitMetadata> TransactionCoordinator::prepare_end(sim::Context& ctx, TransactionMetadata& m,
                                                                            int64_t producer_id, int16_t producer_epoch,
                                                                            bool commit, bool from_client, bool& is_epoch_fence) {
  const TxnTransitMetadata& v = m.current();
  const bool fencing = m.pending_state() == TransactionState::prepare_epoch_fence;
  const bool v2 = !fencing && v.epoch_bump_per_txn;
  const bool retry_on_overflow = v2 && v.prev_producer_id == producer_id && producer_epoch == kMaxProducerEpoch - 1 && v.producer_epoch == 0;
  const bool retry_on_bump = end_txn_epoch_bumped(m, producer_epoch);
  bool valid_epoch = false;
  if (v2) {
    switch (v.state) {
      case TransactionState::prepare_commit:
      case TransactionState::prepare_abort: valid_epoch = retry_on_bump; break;
      case TransactionState::complete_commit:
      case TransactionState::complete_abort: valid_epoch = retry_on_bump || retry_on_overflow; break;
      default: valid_epoch = producer_epoch == v.producer_epoch;
    }
  } else {
    valid_epoch = (!from_client || producer_epoch == v.producer_epoch) && producer_epoch >= v.producer_epoch;
  }
  if (v.producer_id != producer_id && !retry_on_overflow) return Error::INVALID_PRODUCER_ID_MAPPING;
  // Kafka 2.7+ (KIP-588) answers a stale epoch PRODUCER_FENCED; every version modelled has it.
  if (!valid_epoch) return Error::PRODUCER_FENCED;
  if (m.pending_transition_in_progress() && !fencing) return Error::CONCURRENT_TRANSACTIONS;
  const TransactionState result_prepare = commit ? TransactionState::prepare_commit : TransactionState::prepare_abort;
  switch (v.state) {
    case TransactionState::ongoing: {
      const bool bump = epoch_bump_per_txn() && !fencing;
      int64_t next_producer_id = kNoProducerId;
      if (bump && m.is_producer_epoch_exhausted()) next_producer_id = generate_producer_id_(ctx);
      if (!commit && fencing) {
        is_epoch_fence = true;
        m.take_over_fence(producer_epoch);
      }
      return m.prepare_abort_or_commit(result_prepare, bump, next_producer_id, ctx.now().ns / 1'000'000);
    }
    case TransactionState::complete_commit: return commit ? Error::NONE : Error::INVALID_TXN_STATE;
    case TransactionState::complete_abort: return commit ? Error::INVALID_TXN_STATE : Error::NONE;
    case TransactionState::prepare_commit: return commit ? Error::CONCURRENT_TRANSACTIONS : Error::INVALID_TXN_STATE;
    case TransactionState::prepare_abort: return commit ? Error::INVALID_TXN_STATE : Error::CONCURRENT_TRANSACTIONS;
    case TransactionState::empty: return Error::INVALID_TXN_STATE;
    case TransactionState::dead:
    case TransactionState::prepare_epoch_fence: break;
  }
  SIM_ASSERT(false, m.transactional_id() + ": EndTxn in a state that is never current");
  return Error::UNKNOWN_SERVER_ERROR;
}

void TransactionCoordinator::prepare_written(sim::Context& ctx, const std::string& transactional_id, int32_t coordinator_epoch,
                                             int64_t producer_id, int16_t producer_epoch, bool commit, const EndTxnCallback& done) {
  // sendTxnMarkersCallback: the Prepare state is committed; if nothing moved meanwhile, the
  // producer is answered and the markers go out, with Complete pending until they are in.
  const TransactionStateManager::Lookup found = state_.get(transactional_id);
  if (found.error != Error::NONE || !found.metadata || found.coordinator_epoch != coordinator_epoch)
    return done(ctx, Error::NOT_COORDINATOR, kNoProducerId, -1);
  TransactionMetadata& m = *found.metadata;
  Error error = Error::NONE;
  if (m.producer_id() != producer_id) error = Error::INVALID_PRODUCER_ID_MAPPING;
  else if (m.producer_epoch() != producer_epoch && !end_txn_epoch_bumped(m, producer_epoch)) error = Error::PRODUCER_FENCED;
  else if (m.pending_transition_in_progress()) error = Error::CONCURRENT_TRANSACTIONS;
  else if (m.state() != (commit ? TransactionState::prepare_commit : TransactionState::prepare_abort)) error = Error::INVALID_TXN_STATE;
  if (error != Error::NONE) return done(ctx, error, kNoProducerId, -1);
  const TxnTransitMetadata complete = m.prepare_complete(ctx.now().ns / 1'000'000);
  done(ctx, Error::NONE, m.producer_id(), m.producer_epoch());
  markers_.add_markers(ctx, coordinator_epoch, m, complete);
}

void TransactionCoordinator::abort_timed_out(sim::Context& ctx) {
  for (const std::string& id : state_.timed_out(ctx.now().ns / 1'000'000)) {
    const TransactionStateManager::Lookup found = state_.get(id);
    if (found.error != Error::NONE || !found.metadata || found.metadata->pending_transition_in_progress()) continue;
    const TxnTransitMetadata fence = found.metadata->prepare_fence_producer_epoch();
    ctx.trace(event::TxnFence{.transactional_id = id,
                              .producer_id = fence.producer_id,
                              .producer_epoch = fence.producer_epoch,
                              .reason = "transaction.timeout.ms"});
    end_transaction(ctx, id, fence.producer_id, fence.producer_epoch, false, false, [](sim::Context&, Error, int64_t, int16_t) {});
  }
}

}  // namespace kafka
