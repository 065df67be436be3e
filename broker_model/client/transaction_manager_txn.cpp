// The transactional client: TransactionManager's state machine, the application's calls and the
// TxnRequestHandlers (clients/.../producer/internals/TransactionManager.java, 2.8 to 4.0). The
// handlers' answers follow Kafka's handleResponse of each subclass error by error; the ones
// kafkasim's brokers never send (authorization, unsupported versions) are left out.
#include <algorithm>

#include <fmt/format.h>

#include "broker_model/client/transaction_manager.hpp"
#include "sim/assert.hpp"

namespace kafka {

namespace {
std::string join_partitions(const std::set<TopicPartition>& tps) {
  std::string out;
  for (const TopicPartition& tp : tps) {
    if (!out.empty()) out += ',';
    out += fmt::format("{}-{}", tp.topic, tp.partition);
  }
  return out;
}

std::string join(const std::set<std::string>& names) {
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) out += ',';
    out += n;
  }
  return out;
}
}  // namespace

std::string_view txn_state_name(TxnState s) {
  switch (s) {
    case TxnState::UNINITIALIZED: return "UNINITIALIZED";
    case TxnState::INITIALIZING: return "INITIALIZING";
    case TxnState::READY: return "READY";
    case TxnState::IN_TRANSACTION: return "IN_TRANSACTION";
    case TxnState::COMMITTING_TRANSACTION: return "COMMITTING_TRANSACTION";
    case TxnState::ABORTING_TRANSACTION: return "ABORTING_TRANSACTION";
    case TxnState::ABORTABLE_ERROR: return "ABORTABLE_ERROR";
    case TxnState::FATAL_ERROR: return "FATAL_ERROR";
  }
  return "?";
}

int TransactionManager::Handler::priority() const {
  // TransactionManager.Priority: FIND_COORDINATOR 0, INIT_PRODUCER_ID 1,
  // ADD_PARTITIONS_OR_OFFSETS 2, END_TXN 3, EPOCH_BUMP 4.
  switch (kind) {
    case Kind::find_coordinator: return 0;
    case Kind::init_producer_id: return epoch_bump ? 4 : 1;
    case Kind::add_partitions:
    case Kind::add_offsets:
    case Kind::txn_offset_commit: return 2;
    case Kind::end_txn: return 3;
  }
  return 5;
}

ApiKey TransactionManager::in_flight_api() const {
  SIM_ASSERT(in_flight_ != nullptr);
  switch (in_flight_->kind) {
    case Handler::Kind::find_coordinator: return ApiKey::find_coordinator;
    case Handler::Kind::init_producer_id: return ApiKey::init_producer_id;
    case Handler::Kind::add_partitions: return ApiKey::add_partitions_to_txn;
    case Handler::Kind::add_offsets: return ApiKey::add_offsets_to_txn;
    case Handler::Kind::txn_offset_commit: return ApiKey::txn_offset_commit;
    case Handler::Kind::end_txn: return ApiKey::end_txn;
  }
  sim::assertion_failed("a known handler kind", __FILE__, __LINE__);
}

void TransactionManager::set_transactional(std::string client_id, std::string transactional_id,
                                           int32_t transaction_timeout_ms, bool transaction_v2) {
  client_id_ = std::move(client_id);
  transactional_id_ = std::move(transactional_id);
  transaction_timeout_ms_ = transaction_timeout_ms;
  transaction_v2_ = transaction_v2;
}

// ---- states ----

void TransactionManager::transition_to(sim::Context& ctx, TxnState target, Error error) {
  SIM_ASSERT(is_transition_valid(state_, target),
             fmt::format("TransactionalId {}: Invalid transition attempted from state {} to state {}", transactional_id_,
                         txn_state_name(state_), txn_state_name(target)));
  // Only the error states keep an error (TransactionManager.transitionTo sets lastError).
  last_error_ = target == TxnState::FATAL_ERROR || target == TxnState::ABORTABLE_ERROR ? error : Error::NONE;
  ctx.trace(event::ProducerTxnState{.client_id = client_id_,
                                    .transactional_id = transactional_id_,
                                    .from = txn_state_name(state_),
                                    .to = txn_state_name(target),
                                    .error = error_name(error)});
  state_ = target;
}

void TransactionManager::maybe_transition_to_error_state(sim::Context& ctx, Error error) {
  if (!is_transactional() || has_fatal_error()) return;
  if (error == Error::PRODUCER_FENCED) {
    // ProducerFencedException; a produce's INVALID_PRODUCER_EPOCH is InvalidProducerEpochException
    // since 2.7 (KIP-588), abortable like any other failed batch.
    transition_to(ctx, TxnState::FATAL_ERROR, error);
    trace_transaction_end(ctx, "failed");
    fail_pending_requests(ctx, error);
    return;
  }
  if (!is_completing()) txn_epoch_bump_required_ = true;  // canBumpEpoch: InitProducerId v3+ (2.5+)
  transition_to_abortable_error(ctx, error);
}

void TransactionManager::transition_to_abortable_error(sim::Context& ctx, Error error) {
  // transitionToAbortableError: an abort under way stays one. (Kafka reaches it with a fatal
  // error only through maybeResolveSequences, where the transition would be invalid; nothing
  // leaves FATAL_ERROR.)
  if (state_ == TxnState::ABORTING_TRANSACTION || has_fatal_error()) return;
  transition_to(ctx, TxnState::ABORTABLE_ERROR, error);
}

// ---- the application's calls ----

Error TransactionManager::initialize_transactions(sim::Context& ctx, TxnCallback done) {
  if (!is_transactional()) return Error::INVALID_TXN_STATE;
  if (Error e = maybe_fail_with_error(); e != Error::NONE) return e;
  if (state_ != TxnState::UNINITIALIZED) return Error::INVALID_TXN_STATE;
  transition_to(ctx, TxnState::INITIALIZING);
  HandlerPtr h = make_handler(Handler::Kind::init_producer_id, std::move(done));
  enqueue_request(h);
  return Error::NONE;
}

Error TransactionManager::begin_transaction(sim::Context& ctx) {
  if (!is_transactional()) return Error::INVALID_TXN_STATE;  // ensureTransactional
  if (Error e = maybe_fail_with_error(); e != Error::NONE) return e;
  if (state_ != TxnState::READY) return Error::INVALID_TXN_STATE;
  transition_to(ctx, TxnState::IN_TRANSACTION);
  in_transaction_ = true;
  ++txn_number_;
  txn_began_as_ = producer_id_and_epoch_;
  return Error::NONE;
}

Error TransactionManager::maybe_add_partition(const TopicPartition& tp) {
  if (!is_transactional()) return Error::NONE;
  if (Error e = maybe_fail_with_error(); e != Error::NONE) return e;
  if (!has_producer_id() || state_ != TxnState::IN_TRANSACTION) return Error::INVALID_TXN_STATE;
  partitions_of_transaction_.insert(tp);
  if (partitions_in_transaction_.count(tp) || pending_partitions_in_transaction_.count(tp)) return Error::NONE;
  new_partitions_in_transaction_.insert(tp);
  return Error::NONE;
}

Error TransactionManager::send_offsets_to_transaction(std::vector<TxnOffset> offsets, ConsumerGroupMetadata group,
                                                      TxnCallback done) {
  if (!is_transactional()) return Error::INVALID_TXN_STATE;
  if (Error e = maybe_fail_with_error(); e != Error::NONE) return e;
  if (state_ != TxnState::IN_TRANSACTION) return Error::INVALID_TXN_STATE;
  groups_of_transaction_.insert(group.group_id);
  HandlerPtr h = make_handler(Handler::Kind::add_offsets, std::move(done));
  h->offsets = std::move(offsets);
  h->group = std::move(group);
  enqueue_request(h);
  return Error::NONE;
}

Error TransactionManager::begin_commit(sim::Context& ctx, TxnCallback done) {
  if (!is_transactional()) return Error::INVALID_TXN_STATE;
  if (Error e = maybe_fail_with_error(); e != Error::NONE) return e;
  if (state_ != TxnState::IN_TRANSACTION) return Error::INVALID_TXN_STATE;
  transition_to(ctx, TxnState::COMMITTING_TRANSACTION);
  return begin_completing_transaction(ctx, true, std::move(done));
}

Error TransactionManager::begin_abort(sim::Context& ctx, TxnCallback done) {
  if (!is_transactional()) return Error::INVALID_TXN_STATE;
  if (state_ != TxnState::ABORTABLE_ERROR) {
    if (Error e = maybe_fail_with_error(); e != Error::NONE) return e;
    if (state_ != TxnState::IN_TRANSACTION) return Error::INVALID_TXN_STATE;
  }
  transition_to(ctx, TxnState::ABORTING_TRANSACTION);
  new_partitions_in_transaction_.clear();  // aborting: nothing more to add
  return begin_completing_transaction(ctx, false, std::move(done));
}

Error TransactionManager::begin_completing_transaction(sim::Context&, bool committed, TxnCallback done) {
  if (!new_partitions_in_transaction_.empty()) enqueue_request(add_partitions_to_transaction_handler());
  HandlerPtr end = make_handler(Handler::Kind::end_txn);
  end->committed = committed;
  enqueue_request(end);
  if (!txn_epoch_bump_required_) {
    end->done = std::move(done);
    return Error::NONE;
  }
  // An abortable error asked for a new epoch (KIP-360): after EndTxn, InitProducerId with the
  // current id and epoch bumps it, and the caller's result is that request's.
  HandlerPtr bump = make_handler(Handler::Kind::init_producer_id, std::move(done));
  bump->epoch_bump = true;
  enqueue_request(bump);
  return Error::NONE;
}

void TransactionManager::complete_transaction(sim::Context& ctx) {
  transition_to(ctx, txn_epoch_bump_required_ ? TxnState::INITIALIZING : TxnState::READY);
  txn_epoch_bump_required_ = false;
  transaction_started_ = false;
  new_partitions_in_transaction_.clear();
  pending_partitions_in_transaction_.clear();
  partitions_in_transaction_.clear();
}

void TransactionManager::trace_transaction_end(sim::Context& ctx, const char* outcome) {
  if (!in_transaction_) return;
  in_transaction_ = false;
  ctx.trace(event::ProducerTxnEnd{.client_id = client_id_,
                                  .transactional_id = transactional_id_,
                                  .producer_id = txn_began_as_.producer_id,
                                  .producer_epoch = txn_began_as_.epoch,
                                  .txn = txn_number_,
                                  .outcome = outcome,
                                  .partitions = join_partitions(partitions_of_transaction_),
                                  .offsets_groups = join(groups_of_transaction_),
                                  .error = error_name(std::string_view(outcome) == "failed" ? last_error_ : Error::NONE)});
  partitions_of_transaction_.clear();
  groups_of_transaction_.clear();
}

// ---- the request queue ----

TransactionManager::HandlerPtr TransactionManager::make_handler(Handler::Kind kind, TxnCallback done) {
  auto h = std::make_shared<Handler>();
  h->kind = kind;
  h->done = std::move(done);
  return h;
}

void TransactionManager::enqueue_request(HandlerPtr h) {
  h->seq = next_handler_seq_++;
  auto pos = std::upper_bound(pending_requests_.begin(), pending_requests_.end(), h, [](const HandlerPtr& a, const HandlerPtr& b) {
    return a->priority() != b->priority() ? a->priority() < b->priority() : a->seq < b->seq;
  });
  pending_requests_.insert(pos, std::move(h));
}

void TransactionManager::lookup_coordinator(CoordinatorType type, const std::string& key) {
  if (type == CoordinatorType::group) {
    group_coordinators_.erase(key);
  } else {
    transaction_coordinator_ = kNoLeader;
  }
  HandlerPtr h = make_handler(Handler::Kind::find_coordinator);
  h->coordinator_type = type;
  h->key = key;
  enqueue_request(h);
}

TransactionManager::HandlerPtr TransactionManager::add_partitions_to_transaction_handler() {
  pending_partitions_in_transaction_.insert(new_partitions_in_transaction_.begin(), new_partitions_in_transaction_.end());
  HandlerPtr h = make_handler(Handler::Kind::add_partitions);
  h->partitions.assign(new_partitions_in_transaction_.begin(), new_partitions_in_transaction_.end());
  new_partitions_in_transaction_.clear();
  return h;
}

void TransactionManager::complete(sim::Context& ctx, const HandlerPtr& h, Error e) {
  if (h->completed) return;
  h->completed = true;
  if (h->done) h->done(ctx, e);
}

void TransactionManager::reenqueue(sim::Context& ctx, const HandlerPtr& h, int64_t backoff_ms) {
  h->retry = true;
  h->not_before = ctx.now() + sim::Duration::millis(backoff_ms);
  enqueue_request(h);
}

// fatalError and abortableError fail the handler's result, then change the state; Kafka's
// caller wakes on its own thread, so it sees the new state: here the state changes first.
void TransactionManager::fatal_error(sim::Context& ctx, const HandlerPtr& h, Error e) {
  transition_to(ctx, TxnState::FATAL_ERROR, e);
  trace_transaction_end(ctx, "failed");
  fail_pending_requests(ctx, e);
  complete(ctx, h, e);
}

void TransactionManager::abortable_error(sim::Context& ctx, const HandlerPtr& h, Error e) {
  transition_to_abortable_error(ctx, e);
  complete(ctx, h, e);
}

void TransactionManager::abortable_error_if_possible(sim::Context& ctx, const HandlerPtr& h, Error e) {
  // canBumpEpoch: the coordinator takes InitProducerId v3 (Kafka 2.5+), always so here.
  txn_epoch_bump_required_ = true;
  abortable_error(ctx, h, e);
}

void TransactionManager::fail_pending_requests(sim::Context& ctx, Error e) {
  // A fatal error fails every call still waiting (transitionToFatalError fails the pending
  // transition; the sender sends nothing more, so the others would never complete).
  auto pending = std::move(pending_requests_);
  pending_requests_.clear();
  for (const HandlerPtr& h : pending) complete(ctx, h, e);
  if (in_flight_) complete(ctx, in_flight_, e);
}

void TransactionManager::reset_sequence_numbers() {
  partitions_.clear();
  unresolved_.clear();
}

TxnNext TransactionManager::next_request(sim::Context& ctx, bool has_incomplete_batches, int32_t correlation_id) {
  if (in_flight_) return {.kind = TxnNext::Kind::wait, .target = kNoLeader, .request = nullptr, .wait_until = sim::Time::max()};
  if (has_fatal_error()) return {};
  if (!new_partitions_in_transaction_.empty()) enqueue_request(add_partitions_to_transaction_handler());
  while (!pending_requests_.empty()) {
    HandlerPtr h = pending_requests_.front();
    // The EndTxn waits until every batch is done (commit flushes; abort lets in-flight ones end).
    if (h->kind == Handler::Kind::end_txn && has_incomplete_batches) return {};
    pending_requests_.erase(pending_requests_.begin());
    // maybeTerminateRequestWithError: in an error state only a FindCoordinator may still go
    // (when the error is abortable).
    if (has_error() && !(has_abortable_error() && h->kind == Handler::Kind::find_coordinator)) {
      complete(ctx, h, last_error_);
      return {};
    }
    if (h->kind == Handler::Kind::end_txn && !transaction_started_) {
      // No partition or offsets were added: there is nothing to end at the coordinator. The
      // state moves on before the caller hears of it (Kafka's caller wakes on its own thread,
      // after completeTransaction).
      if (!has_fatal_error()) {
        trace_transaction_end(ctx, h->committed ? "committed" : "aborted");
        complete_transaction(ctx);
      }
      complete(ctx, h, Error::NONE);
      continue;
    }
    BrokerId target = kNoLeader;
    if (h->needs_coordinator()) {
      target = h->coordinator() == CoordinatorType::group
                   ? (group_coordinators_.count(h->group.group_id) ? group_coordinators_.at(h->group.group_id) : kNoLeader)
                   : transaction_coordinator_;
      if (target == kNoLeader) {
        // Sender.maybeFindCoordinatorAndRetry: find it first, then this one again, after a backoff.
        lookup_coordinator(h->coordinator(),
                           h->coordinator() == CoordinatorType::group ? h->group.group_id : transactional_id_);
        reenqueue(ctx, h, retry_backoff_ms_);
        continue;
      }
    }
    if (h->retry && ctx.now() < h->not_before) {
      // The sender sleeps retryBackoffMs before a retried request; nothing else goes meanwhile.
      pending_requests_.insert(pending_requests_.begin(), h);
      return {.kind = TxnNext::Kind::wait, .target = kNoLeader, .request = nullptr, .wait_until = h->not_before};
    }
    in_flight_ = h;
    in_flight_correlation_ = correlation_id;
    in_flight_target_ = target;
    return {.kind = TxnNext::Kind::send, .target = target, .request = build_request(*h, correlation_id), .wait_until = sim::Time::max()};
  }
  return {};
}

sim::MessagePtr TransactionManager::build_request(const Handler& h, int32_t correlation_id) const {
  const ProducerIdAndEpoch& p = producer_id_and_epoch_;
  switch (h.kind) {
    case Handler::Kind::find_coordinator: {
      auto r = std::make_shared<FindCoordinatorRequest>();
      r->correlation_id = correlation_id;
      r->key = h.key;
      r->key_type = h.coordinator_type;
      return r;
    }
    case Handler::Kind::init_producer_id: {
      auto r = std::make_shared<InitProducerIdRequest>();
      r->correlation_id = correlation_id;
      r->transactional_id = transactional_id_;
      r->transaction_timeout_ms = transaction_timeout_ms_;
      if (h.epoch_bump) {  // KIP-360: bump this id's epoch rather than fence it
        r->producer_id = p.producer_id;
        r->producer_epoch = p.epoch;
      }
      return r;
    }
    case Handler::Kind::add_partitions: {
      auto r = std::make_shared<AddPartitionsToTxnRequest>();
      r->correlation_id = correlation_id;
      r->transactional_id = transactional_id_;
      r->producer_id = p.producer_id;
      r->producer_epoch = p.epoch;
      r->partitions = h.partitions;
      return r;
    }
    case Handler::Kind::add_offsets: {
      auto r = std::make_shared<AddOffsetsToTxnRequest>();
      r->correlation_id = correlation_id;
      r->transactional_id = transactional_id_;
      r->producer_id = p.producer_id;
      r->producer_epoch = p.epoch;
      r->group_id = h.group.group_id;
      return r;
    }
    case Handler::Kind::txn_offset_commit: {
      auto r = std::make_shared<TxnOffsetCommitRequest>();
      r->correlation_id = correlation_id;
      r->transactional_id = transactional_id_;
      r->group_id = h.group.group_id;
      r->producer_id = p.producer_id;
      r->producer_epoch = p.epoch;
      r->generation_id = h.group.generation_id;
      r->member_id = h.group.member_id;
      r->group_instance_id = h.group.group_instance_id;
      for (const TxnOffset& o : h.offsets) r->offsets.push_back({o.tp, o.offset, o.leader_epoch});
      return r;
    }
    case Handler::Kind::end_txn: {
      auto r = std::make_shared<EndTxnRequest>();
      r->correlation_id = correlation_id;
      r->transactional_id = transactional_id_;
      r->producer_id = p.producer_id;
      r->producer_epoch = p.epoch;
      r->committed = h.committed;
      return r;
    }
  }
  return nullptr;
}

void TransactionManager::handle_request_failure(sim::Context& ctx, BrokerId broker) {
  if (!in_flight_ || (broker != kNoLeader && broker != in_flight_target_)) return;
  // TxnRequestHandler.onComplete, wasDisconnected: look the coordinator up again and retry.
  HandlerPtr h = std::move(in_flight_);
  in_flight_ = nullptr;
  in_flight_correlation_ = -1;
  if (has_fatal_error()) return;
  if (h->needs_coordinator())
    lookup_coordinator(h->coordinator(), h->coordinator() == CoordinatorType::group ? h->group.group_id : transactional_id_);
  reenqueue(ctx, h, retry_backoff_ms_);
}

}  // namespace kafka
