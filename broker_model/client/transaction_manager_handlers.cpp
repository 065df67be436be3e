// The TxnRequestHandlers' answers (TransactionManager.java: FindCoordinatorHandler,
// InitProducerIdHandler, AddPartitionsToTxnHandler, AddOffsetsToTxnHandler,
// TxnOffsetCommitHandler, EndTxnHandler .handleResponse). Retriable errors go back on the queue;
// PRODUCER_FENCED and the coordinator's INVALID_PRODUCER_EPOCH (which older coordinators send
// for the same thing) are fatal; errors that spoil only this transaction are abortable.
#include "broker_model/client/transaction_manager.hpp"
#include "sim/assert.hpp"

namespace kafka {

namespace {
// TransactionManager.ADD_PARTITIONS_RETRY_BACKOFF_MS: the first AddPartitionsToTxn of a
// transaction retries CONCURRENT_TRANSACTIONS sooner, the previous transaction being about done.
constexpr int64_t kAddPartitionsRetryBackoffMs = 20;

template <typename R>
int32_t correlation_of(const KafkaMessage& m) {
  return message_as<R>(m).correlation_id;
}
bool coordinator_moved(Error e) { return e == Error::NOT_COORDINATOR || e == Error::COORDINATOR_NOT_AVAILABLE; }
bool fenced(Error e) { return e == Error::INVALID_PRODUCER_EPOCH || e == Error::PRODUCER_FENCED; }
}  // namespace

bool TransactionManager::handle_response(sim::Context& ctx, const KafkaMessage& m) {
  if (!in_flight_) return false;
  int32_t correlation = -1;
  switch (route(m)) {
    case route_of<FindCoordinatorResponse>: correlation = correlation_of<FindCoordinatorResponse>(m); break;
    case route_of<InitProducerIdResponse>: correlation = correlation_of<InitProducerIdResponse>(m); break;
    case route_of<AddPartitionsToTxnResponse>: correlation = correlation_of<AddPartitionsToTxnResponse>(m); break;
    case route_of<AddOffsetsToTxnResponse>: correlation = correlation_of<AddOffsetsToTxnResponse>(m); break;
    case route_of<TxnOffsetCommitResponse>: correlation = correlation_of<TxnOffsetCommitResponse>(m); break;
    case route_of<EndTxnResponse>: correlation = correlation_of<EndTxnResponse>(m); break;
    default: return false;
  }
  if (correlation != in_flight_correlation_) return false;  // given up on already
  HandlerPtr h = std::move(in_flight_);
  in_flight_ = nullptr;
  in_flight_correlation_ = -1;
  if (has_fatal_error()) return true;  // every call has failed already; nothing more changes
  switch (route(m)) {
    case route_of<FindCoordinatorResponse>: on_find_coordinator(ctx, h, message_as<FindCoordinatorResponse>(m)); break;
    case route_of<InitProducerIdResponse>: on_init_producer_id(ctx, h, message_as<InitProducerIdResponse>(m)); break;
    case route_of<AddPartitionsToTxnResponse>: on_add_partitions(ctx, h, message_as<AddPartitionsToTxnResponse>(m)); break;
    case route_of<AddOffsetsToTxnResponse>: on_add_offsets(ctx, h, message_as<AddOffsetsToTxnResponse>(m)); break;
    case route_of<TxnOffsetCommitResponse>: on_txn_offset_commit(ctx, h, message_as<TxnOffsetCommitResponse>(m)); break;
    case route_of<EndTxnResponse>: on_end_txn(ctx, h, message_as<EndTxnResponse>(m)); break;
    default: break;
  }
  return true;
}

bool TransactionManager::on_coordinator_error(sim::Context& ctx, const HandlerPtr& h, Error error) {
  if (coordinator_moved(error)) {
    lookup_coordinator(CoordinatorType::transaction, transactional_id_);
    reenqueue(ctx, h, retry_backoff_ms_);
  } else if (is_retriable(error)) {  // CONCURRENT_TRANSACTIONS, COORDINATOR_LOAD_IN_PROGRESS
    reenqueue(ctx, h, retry_backoff_ms_);
  } else if (fenced(error)) {
    fatal_error(ctx, h, Error::PRODUCER_FENCED);
  } else if (error == Error::TRANSACTION_ABORTABLE) {
    abortable_error(ctx, h, error);
  } else {
    return false;
  }
  return true;
}

void TransactionManager::on_find_coordinator(sim::Context& ctx, const HandlerPtr& h, const FindCoordinatorResponse& r) {
  if (r.error == Error::NONE) {
    if (h->coordinator_type == CoordinatorType::group) {
      group_coordinators_[h->key] = r.coordinator;
    } else {
      transaction_coordinator_ = r.coordinator;
    }
    complete(ctx, h, Error::NONE);
  } else if (is_retriable(r.error)) {
    reenqueue(ctx, h, retry_backoff_ms_);
  } else if (r.error == Error::TRANSACTION_ABORTABLE) {
    abortable_error(ctx, h, r.error);
  } else {
    fatal_error(ctx, h, r.error);  // "Could not find a coordinator with type ..."
  }
}

void TransactionManager::on_init_producer_id(sim::Context& ctx, const HandlerPtr& h, const InitProducerIdResponse& r) {
  if (r.error == Error::NONE) {
    producer_id_and_epoch_ = {r.producer_id, r.producer_epoch};
    ctx.trace(event::ProducerInitProducerId{.client_id = client_id_, .producer_id = r.producer_id, .producer_epoch = r.producer_epoch});
    transition_to(ctx, TxnState::READY);
    if (h->epoch_bump) reset_sequence_numbers();
    complete(ctx, h, Error::NONE);
    return;
  }
  if (!on_coordinator_error(ctx, h, r.error)) fatal_error(ctx, h, r.error);  // "Unexpected error in InitProducerIdResponse"
}

void TransactionManager::on_add_partitions(sim::Context& ctx, const HandlerPtr& h, const AddPartitionsToTxnResponse& r) {
  bool partition_errors = false;
  Error first_error = Error::NONE;
  std::vector<std::pair<TopicPartition, Error>> errors;
  if (r.error != Error::NONE) {
    for (const TopicPartition& tp : h->partitions) errors.emplace_back(tp, r.error);
  } else {
    for (const auto& pr : r.results) errors.emplace_back(pr.tp, pr.error);
  }
  for (const auto& [tp, error] : errors) {
    if (error == Error::NONE) continue;
    if (coordinator_moved(error)) {
      lookup_coordinator(CoordinatorType::transaction, transactional_id_);
      reenqueue(ctx, h, retry_backoff_ms_);
      return;
    }
    if (error == Error::CONCURRENT_TRANSACTIONS) {
      // maybeOverrideRetryBackoffMs: the transaction's first AddPartitionsToTxn retries sooner.
      reenqueue(ctx, h, partitions_in_transaction_.empty() ? std::min(kAddPartitionsRetryBackoffMs, retry_backoff_ms_) : retry_backoff_ms_);
      return;
    }
    if (is_retriable(error)) {
      reenqueue(ctx, h, retry_backoff_ms_);
      return;
    }
    if (fenced(error)) return fatal_error(ctx, h, Error::PRODUCER_FENCED);
    if (error == Error::INVALID_TXN_STATE) return fatal_error(ctx, h, error);
    if (error == Error::UNKNOWN_PRODUCER_ID || error == Error::INVALID_PRODUCER_ID_MAPPING) {
      return abortable_error_if_possible(ctx, h, error);
    }
    if (error == Error::TRANSACTION_ABORTABLE) return abortable_error(ctx, h, error);
    // OPERATION_NOT_ATTEMPTED and anything unexpected: the partitions were not added.
    partition_errors = true;
    if (first_error == Error::NONE || first_error == Error::OPERATION_NOT_ATTEMPTED) first_error = error;
  }
  // Out of the pending set whatever the result: batches of partitions that were added may
  // still go (to be aborted), those of the others never will.
  for (const TopicPartition& tp : h->partitions) pending_partitions_in_transaction_.erase(tp);
  if (partition_errors) return abortable_error(ctx, h, first_error);
  partitions_in_transaction_.insert(h->partitions.begin(), h->partitions.end());
  transaction_started_ = true;
  complete(ctx, h, Error::NONE);
}

void TransactionManager::on_add_offsets(sim::Context& ctx, const HandlerPtr& h, const AddOffsetsToTxnResponse& r) {
  if (r.error == Error::NONE) {
    // The group's offsets partition is in the transaction; the call completes when the group
    // coordinator has the offsets (TxnOffsetCommit, to the group's coordinator).
    HandlerPtr commit = make_handler(Handler::Kind::txn_offset_commit, std::move(h->done));
    commit->offsets = std::move(h->offsets);
    commit->group = std::move(h->group);
    enqueue_request(commit);
    transaction_started_ = true;
    return;
  }
  if (r.error == Error::UNKNOWN_PRODUCER_ID || r.error == Error::INVALID_PRODUCER_ID_MAPPING) {
    return abortable_error_if_possible(ctx, h, r.error);
  }
  if (r.error == Error::INVALID_TXN_STATE) return fatal_error(ctx, h, r.error);
  if (!on_coordinator_error(ctx, h, r.error)) fatal_error(ctx, h, r.error);
}

void TransactionManager::on_txn_offset_commit(sim::Context& ctx, const HandlerPtr& h, const TxnOffsetCommitResponse& r) {
  bool coordinator_reloaded = false;
  for (const auto& pr : r.results) {
    const Error error = pr.error;
    if (error == Error::NONE) {
      std::erase_if(h->offsets, [&](const TxnOffset& o) { return o.tp == pr.tp; });  // pendingTxnOffsetCommits
    } else if (coordinator_moved(error) || error == Error::REQUEST_TIMED_OUT) {
      if (!coordinator_reloaded) {
        coordinator_reloaded = true;
        lookup_coordinator(CoordinatorType::group, h->group.group_id);
      }
    } else if (is_retriable(error)) {
      continue;  // retried with the same coordinator
    } else if (error == Error::FENCED_INSTANCE_ID || error == Error::TRANSACTION_ABORTABLE ||
               error == Error::UNKNOWN_MEMBER_ID || error == Error::ILLEGAL_GENERATION) {
      // A stale member's offsets (KIP-447): CommitFailedException, abortable.
      abortable_error(ctx, h, error);
      break;
    } else if (fenced(error)) {
      fatal_error(ctx, h, Error::PRODUCER_FENCED);
      break;
    } else {
      fatal_error(ctx, h, error);  // "Unexpected error in TxnOffsetCommitResponse"
      break;
    }
  }
  if (h->completed) return;
  if (h->offsets.empty()) return complete(ctx, h, Error::NONE);
  reenqueue(ctx, h, retry_backoff_ms_);
}

void TransactionManager::on_end_txn(sim::Context& ctx, const HandlerPtr& h, const EndTxnResponse& r) {
  if (r.error == Error::NONE) {
    trace_transaction_end(ctx, h->committed ? "committed" : "aborted");
    // KIP-890 part 2 (EndTxn v5, Kafka 4.0): the coordinator bumped the epoch and says so; the
    // next transaction goes under it, its sequences from 0. Older coordinators send -1.
    if (transaction_v2_ && r.producer_id != kNoProducerId) {
      producer_id_and_epoch_ = {r.producer_id, r.producer_epoch};
      reset_sequence_numbers();
    }
    complete_transaction(ctx);
    complete(ctx, h, Error::NONE);
    return;
  }
  if (r.error == Error::UNKNOWN_PRODUCER_ID || r.error == Error::INVALID_PRODUCER_ID_MAPPING) {
    return abortable_error_if_possible(ctx, h, r.error);
  }
  if (r.error == Error::INVALID_TXN_STATE) return fatal_error(ctx, h, r.error);
  if (!on_coordinator_error(ctx, h, r.error)) fatal_error(ctx, h, r.error);  // "Unhandled error in EndTxnResponse"
}

}  // namespace kafka
