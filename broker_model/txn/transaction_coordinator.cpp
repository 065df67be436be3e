#include "broker_model/txn/transaction_coordinator.hpp"

#include <algorithm>

#include "broker_model/client/partitioner.hpp"
#include "broker_model/group/group_coordinator.hpp"
#include "broker_model/trace_schema.hpp"
#include "broker_model/txn/transaction_log.hpp"
#include "sim/assert.hpp"
#include "sim/timer_tag.hpp"

namespace kafka {

TransactionCoordinator::TransactionCoordinator(const ConfigSet& config, const MetadataImage& image, const ClusterLayout& layout,
                                               PartitionWriter& log, ProducerIdSource generate_producer_id)
    : config_(config),
      image_(image),
      state_(config, image, log),
      markers_(image, layout, state_),
      generate_producer_id_(std::move(generate_producer_id)) {}

bool TransactionCoordinator::epoch_bump_per_txn() const {
  // KIP-890 part 2 (transaction.version 2, Kafka 4.0): a new epoch at every EndTxn.
  return config_.version() >= kV4_0;
}

// ---- discovery ----

void TransactionCoordinator::handle_find_coordinator(sim::Context& ctx, sim::NodeId from, const FindCoordinatorRequest& req) {
  auto resp = std::make_shared<FindCoordinatorResponse>();
  resp->correlation_id = req.correlation_id;
  const int32_t p = state_.partition_for(req.key);
  const PartitionState* s = p < 0 ? nullptr : image_.partition(kTransactionStateTopic, p);
  if (req.key.empty()) resp->error = Error::INVALID_REQUEST;
  else if (!s || s->leader == kNoLeader) resp->error = Error::COORDINATOR_NOT_AVAILABLE;
  else resp->coordinator = s->leader;
  ctx.send(from, resp);
}

// ---- InitProducerId ----

void TransactionCoordinator::answer_init(sim::Context& ctx, sim::NodeId from, int32_t correlation_id, Error error,
                                         int64_t producer_id, int16_t producer_epoch) {
  auto resp = std::make_shared<InitProducerIdResponse>();
  resp->correlation_id = correlation_id;
  resp->error = error;
  resp->producer_id = error == Error::NONE ? producer_id : kNoProducerId;
  resp->producer_epoch = error == Error::NONE ? producer_epoch : static_cast<int16_t>(-1);
  ctx.send(from, resp);
}

void TransactionCoordinator::handle_init_producer_id(sim::Context& ctx, sim::NodeId from, const InitProducerIdRequest& req) {
  const int32_t cid = req.correlation_id;
  if (!state_.valid_timeout(req.transaction_timeout_ms)) return answer_init(ctx, from, cid, Error::INVALID_TRANSACTION_TIMEOUT);
  TransactionStateManager::Lookup found = state_.get(req.transactional_id);
  if (found.error != Error::NONE) return answer_init(ctx, from, cid, found.error);
  if (!found.metadata) {
    // A new transactional id: a new producer id, at no epoch yet (bumped to 0 below).
    TxnTransitMetadata fresh;
    fresh.producer_id = generate_producer_id_(ctx);
    fresh.txn_timeout_ms = req.transaction_timeout_ms;
    fresh.txn_last_update_ms = ctx.now().ns / 1'000'000;
    found.metadata = &state_.put(req.transactional_id, fresh);
  }
  TransactionMetadata& m = *found.metadata;
  auto prepared = prepare_init(ctx, m, req);
  if (const Error* e = std::get_if<Error>(&prepared)) return answer_init(ctx, from, cid, *e);
  const TxnTransitMetadata t = std::get<TxnTransitMetadata>(prepared);
  if (t.state == TransactionState::prepare_epoch_fence) {
    // The previous instance's transaction is aborted at the bumped epoch; this one waits and
    // retries (CONCURRENT_TRANSACTIONS), and its retry bumps the epoch again.
    ctx.trace(event::TxnFence{.transactional_id = req.transactional_id,
                              .producer_id = t.producer_id,
                              .producer_epoch = t.producer_epoch,
                              .reason = "InitProducerId"});
    return end_transaction(ctx, req.transactional_id, t.producer_id, t.producer_epoch, false, false,
                           [this, from, cid](sim::Context& c, Error e, int64_t, int16_t) {
                             answer_init(c, from, cid, e == Error::NONE ? Error::CONCURRENT_TRANSACTIONS : e);
                           });
  }
  state_.append(ctx, req.transactional_id, found.coordinator_epoch, t, [this, from, cid, t](sim::Context& c, Error e) {
    answer_init(c, from, cid, e, t.producer_id, t.producer_epoch);
  });
}

std::variant<Error, TxnTransitMetadata> TransactionCoordinator::prepare_init(sim::Context& ctx, TransactionMetadata& m,
                                                                             const InitProducerIdRequest& req) {
  const TxnTransitMetadata& v = m.current();
  const bool expected = req.producer_id != kNoProducerId;
  // KIP-360: an instance that names its producer id keeps it unless another took over.
  const bool valid_id = v.producer_epoch == -1 || req.producer_id == v.producer_id ||
                        (req.producer_id == v.prev_producer_id && is_epoch_exhausted(req.producer_epoch));
  if (m.pending_transition_in_progress()) return Error::CONCURRENT_TRANSACTIONS;
  if (expected && !valid_id) return Error::PRODUCER_FENCED;
  const int64_t now_ms = ctx.now().ns / 1'000'000;
  switch (v.state) {
    case TransactionState::prepare_abort:
    case TransactionState::prepare_commit: return Error::CONCURRENT_TRANSACTIONS;
    case TransactionState::complete_abort:
    case TransactionState::complete_commit:
    case TransactionState::empty:
      if (m.is_producer_epoch_exhausted() && (!expected || req.producer_epoch == v.producer_epoch))
        return m.prepare_producer_id_rotation(generate_producer_id_(ctx), req.transaction_timeout_ms, now_ms, expected);
      return m.prepare_increment_producer_epoch(req.transaction_timeout_ms,
                                                expected ? std::optional<int16_t>(req.producer_epoch) : std::nullopt, now_ms);
    case TransactionState::ongoing: return m.prepare_fence_producer_epoch();
    case TransactionState::dead:
    case TransactionState::prepare_epoch_fence: break;
  }
  SIM_ASSERT(false, m.transactional_id() + ": InitProducerId in a state that is never current");
  return Error::UNKNOWN_SERVER_ERROR;
}

// ---- AddPartitionsToTxn and AddOffsetsToTxn ----

void TransactionCoordinator::handle_add_partitions(sim::Context& ctx, sim::NodeId from, const AddPartitionsToTxnRequest& req) {
  if (req.verify_only) return verify_partitions(ctx, from, req);
  auto resp = std::make_shared<AddPartitionsToTxnResponse>();
  resp->correlation_id = req.correlation_id;
  // KafkaApis: a partition of an unknown topic fails the request; the others were not attempted.
  bool unknown = false;
  for (const TopicPartition& tp : req.partitions) unknown |= image_.partition(tp.topic, tp.partition) == nullptr;
  if (unknown) {
    for (const TopicPartition& tp : req.partitions)
      resp->results.push_back({tp, image_.partition(tp.topic, tp.partition) ? Error::OPERATION_NOT_ATTEMPTED
                                                                              : Error::UNKNOWN_TOPIC_OR_PARTITION});
    return ctx.send(from, resp);
  }
  add_partitions(ctx, req.transactional_id, req.producer_id, req.producer_epoch, {req.partitions.begin(), req.partitions.end()},
                 [from, resp, partitions = req.partitions](sim::Context& c, Error e) {
                   for (const TopicPartition& tp : partitions) resp->results.push_back({tp, e});
                   c.send(from, resp);
                 });
}

void TransactionCoordinator::add_partitions(sim::Context& ctx, const std::string& transactional_id, int64_t producer_id,
                                            int16_t producer_epoch, const std::set<TopicPartition>& partitions,
                                            std::function<void(sim::Context&, Error)> done) {
  if (transactional_id.empty()) return done(ctx, Error::INVALID_REQUEST);
  const TransactionStateManager::Lookup found = state_.get(transactional_id);
  if (found.error != Error::NONE) return done(ctx, found.error);
  if (!found.metadata) return done(ctx, Error::INVALID_PRODUCER_ID_MAPPING);
  TransactionMetadata& m = *found.metadata;
  if (m.producer_id() != producer_id) return done(ctx, Error::INVALID_PRODUCER_ID_MAPPING);
  if (m.producer_epoch() != producer_epoch) return done(ctx, Error::PRODUCER_FENCED);
  if (m.pending_transition_in_progress()) return done(ctx, Error::CONCURRENT_TRANSACTIONS);
  if (m.state() == TransactionState::prepare_commit || m.state() == TransactionState::prepare_abort) return done(ctx, Error::CONCURRENT_TRANSACTIONS);
  const bool already = std::includes(m.partitions().begin(), m.partitions().end(), partitions.begin(), partitions.end());
  if (m.state() == TransactionState::ongoing && already) return done(ctx, Error::NONE);
  const TxnTransitMetadata t = m.prepare_add_partitions(partitions, ctx.now().ns / 1'000'000);
  state_.append(ctx, transactional_id, found.coordinator_epoch, t, std::move(done));
}

void TransactionCoordinator::verify_partitions(sim::Context& ctx, sim::NodeId from, const AddPartitionsToTxnRequest& req) {
  // handleVerifyPartitionsInTransaction (KIP-890 part 1): nothing is written; a partition not
  // in the ongoing transaction is INVALID_TXN_STATE before 3.8, TRANSACTION_ABORTABLE since.
  Error error = Error::NONE;
  const TransactionStateManager::Lookup found = state_.get(req.transactional_id);
  const TransactionMetadata* m = found.metadata;
  if (req.transactional_id.empty()) error = Error::INVALID_REQUEST;
  else if (found.error != Error::NONE) error = found.error;
  else if (!m || m->producer_id() != req.producer_id) error = Error::INVALID_PRODUCER_ID_MAPPING;
  else if (m->producer_epoch() != req.producer_epoch) error = Error::PRODUCER_FENCED;
  else if (m->state() == TransactionState::prepare_commit || m->state() == TransactionState::prepare_abort) error = Error::CONCURRENT_TRANSACTIONS;
  const Error absent = config_.version() >= kV3_8 ? Error::TRANSACTION_ABORTABLE : Error::INVALID_TXN_STATE;
  auto resp = std::make_shared<AddPartitionsToTxnResponse>();
  resp->correlation_id = req.correlation_id;
  for (const TopicPartition& tp : req.partitions) {
    const bool in_txn = m && m->partitions().count(tp) != 0;
    resp->results.push_back({tp, error != Error::NONE ? error : in_txn ? Error::NONE : absent});
  }
  ctx.send(from, resp);
}

void TransactionCoordinator::handle_add_offsets(sim::Context& ctx, sim::NodeId from, const AddOffsetsToTxnRequest& req) {
  // The group's partition of __consumer_offsets, as its coordinator computes it (partitionFor).
  auto offsets = image_.topics.find(kOffsetsTopic);
  const auto n = static_cast<int32_t>(offsets != image_.topics.end() ? offsets->second.partitions
                                                                     : config_.integer("offsets.topic.num.partitions"));
  const TopicPartition tp{kOffsetsTopic, coordinator_partition(req.group_id, n)};
  add_partitions(ctx, req.transactional_id, req.producer_id, req.producer_epoch, {tp},
                 [from, cid = req.correlation_id](sim::Context& c, Error e) {
                   auto resp = std::make_shared<AddOffsetsToTxnResponse>();
                   resp->correlation_id = cid;
                   resp->error = e;
                   c.send(from, resp);
                 });
}

// ---- leadership and timers ----

void TransactionCoordinator::on_election(sim::Context& ctx, const TopicPartition& tp) {
  if (tp.topic != kTransactionStateTopic) return;
  markers_.remove_for_partition(tp.partition);
  const PartitionState* s = image_.partition(tp.topic, tp.partition);
  state_.start_load(ctx, tp.partition, s ? s->leader_epoch : 0);
  if (abort_check_armed_) return;
  // Armed with the first partition led, so a cluster without transactions runs as before.
  abort_check_armed_ = true;
  const auto every = config_.integer("transaction.abort.timed.out.transaction.cleanup.interval.ms");
  ctx.set_timer(sim::Duration::millis(every), sim::timer_tag(BrokerTimer::txn_abort_check));
}

void TransactionCoordinator::on_resignation(sim::Context&, const TopicPartition& tp) {
  if (tp.topic != kTransactionStateTopic) return;
  state_.unload(tp.partition);
  markers_.remove_for_partition(tp.partition);
}

void TransactionCoordinator::on_timer(sim::Context& ctx, BrokerTimer kind, uint64_t id) {
  switch (kind) {
    case BrokerTimer::txn_load:
      state_.finish_load(ctx, static_cast<int32_t>(id), [this](sim::Context& c, TransactionMetadata& m, int32_t epoch) {
        // Failover: the markers of a transaction that was ending are sent again.
        const TxnTransitMetadata complete = m.prepare_complete(c.now().ns / 1'000'000);
        markers_.add_markers(c, epoch, m, complete);
      });
      break;
    case BrokerTimer::txn_abort_check: {
      abort_timed_out(ctx);
      const auto every = config_.integer("transaction.abort.timed.out.transaction.cleanup.interval.ms");
      ctx.set_timer(sim::Duration::millis(every), sim::timer_tag(BrokerTimer::txn_abort_check));
      break;
    }
    case BrokerTimer::txn_markers: markers_.retry(ctx); break;
    default: break;
  }
}

std::string TransactionCoordinator::invariants() const {
  if (std::string broken = state_.invariants(); !broken.empty()) return broken;
  return markers_.invariants();
}

}  // namespace kafka
