// KIP-890 part 1 (Kafka 3.6+, transaction.partition.verification.enable): before a transactional
// batch may open a transaction at this leader, the transactional id's coordinator confirms
// that the partition is in the producer's ongoing transaction. Kafka's ReplicaManager.
// appendRecords starts the verification (Partition.maybeStartTransactionVerification), the
// AddPartitionsToTxnManager sends AddPartitionsToTxn with verifyOnly to the coordinator, and
// the whole produce waits for its answer; the verified batches then present their
// verification guard to the log, so that a marker written meanwhile still stops them. Without
// it a produce delayed past its transaction's abort starts a transaction no marker will end.
#include "broker_model/broker/broker_timer.hpp"
#include "broker_model/broker/replica_manager.hpp"
#include "broker_model/client/partitioner.hpp"
#include "broker_model/trace_schema.hpp"
#include "sim/timer_tag.hpp"
#include "broker_model/txn/transaction_log.hpp"

namespace kafka {

namespace {
// The broker's request.timeout.ms (default 30000), the AddPartitionsToTxnManager's request timeout.
constexpr sim::Duration kVerificationTimeout = sim::Duration::millis(30000);

// What the producer is told when the coordinator could not say (ReplicaManager's
// postVerificationCallback, trunk): retriable errors an older client might not retry become
// NOT_ENOUGH_REPLICAS, which it retries without refreshing metadata; the coordinator's
// PRODUCER_FENCED is INVALID_PRODUCER_EPOCH (AddPartitionsToTxnManager). INVALID_TXN_STATE
// (before 3.8) and TRANSACTION_ABORTABLE (3.8+, produce v11) reach the producer as they are:
// a client of the brokers' version understands the one its coordinator sends.
Error produce_error(Error verification) {
  switch (verification) {
    case Error::PRODUCER_FENCED: return Error::INVALID_PRODUCER_EPOCH;
    case Error::CONCURRENT_TRANSACTIONS:
    case Error::NETWORK_EXCEPTION:
    case Error::COORDINATOR_LOAD_IN_PROGRESS:
    case Error::COORDINATOR_NOT_AVAILABLE:
    case Error::NOT_COORDINATOR: return Error::NOT_ENOUGH_REPLICAS;
    default: return verification;
  }
}

std::string partition_list(const std::map<TopicPartition, uint64_t>& guards) {
  std::string out;
  for (const auto& [tp, guard] : guards) out += (out.empty() ? "" : ",") + tp.topic + "-" + std::to_string(tp.partition);
  return out;
}
}  // namespace

bool ReplicaManager::transaction_verification_enabled() const {
  return config_.version() >= kV3_6 && config_.boolean("transaction.partition.verification.enable");
}

bool ReplicaManager::maybe_start_verification(sim::Context& ctx, sim::NodeId from, const ProduceRequest& req) {
  if (req.transactional_id.empty() || !transaction_verification_enabled()) return false;
  // partitionEntriesForVerification: a transactional batch for a producer with no transaction
  // open here starts (or joins) the producer's verification and gets its guard.
  VerificationGuards guards;
  const RecordBatch* first = nullptr;
  for (const auto& pd : req.partitions) {
    Partition* p = led({pd.topic, pd.partition});
    if (!p || !pd.batch->transactional) continue;
    const RecordBatch& b = *pd.batch;
    const uint64_t guard = p->log->maybe_start_transaction_verification(b.producer_id, b.base_sequence, b.producer_epoch,
                                                                        ctx.now().ns / 1'000'000);
    if (guard == 0) continue;
    guards[{pd.topic, pd.partition}] = guard;
    if (!first) first = &b;
  }
  if (guards.empty()) return false;
  // getTransactionCoordinator: the leader of the id's __transaction_state partition, as this
  // broker's metadata image names it.
  auto txn_topic = image_.topics.find(kTransactionStateTopic);
  const PartitionState* s = txn_topic == image_.topics.end() || txn_topic->second.partitions <= 0
                                ? nullptr
                                : image_.partition(kTransactionStateTopic, coordinator_partition(req.transactional_id, txn_topic->second.partitions));
  const BrokerId coordinator = s ? s->leader : kNoLeader;
  ctx.trace(event::ReplicaTxnVerify{.transactional_id = req.transactional_id,
                                    .producer_id = first->producer_id,
                                    .producer_epoch = first->producer_epoch,
                                    .coordinator = coordinator,
                                    .partitions = partition_list(guards)});
  if (coordinator == kNoLeader) {
    PreAppendErrors errors;
    for (const auto& [tp, guard] : guards) errors[tp] = produce_error(Error::COORDINATOR_NOT_AVAILABLE);
    ctx.trace(event::ReplicaTxnVerified{.transactional_id = req.transactional_id,
                                        .producer_id = first->producer_id,
                                        .error = error_name(Error::COORDINATOR_NOT_AVAILABLE)});
    append_produce(ctx, from, req, guards, errors);
    return true;
  }
  auto verify = std::make_shared<AddPartitionsToTxnRequest>();
  verify->correlation_id = next_verification_id_++;
  verify->transactional_id = req.transactional_id;
  verify->producer_id = first->producer_id;
  verify->producer_epoch = first->producer_epoch;
  verify->verify_only = true;
  for (const auto& [tp, guard] : guards) verify->partitions.push_back(tp);
  const sim::TimerId timeout = ctx.set_timer(kVerificationTimeout, sim::timer_tag(BrokerTimer::txn_verify_timeout,
                                                                                 static_cast<uint64_t>(verify->correlation_id)));
  verifying_.emplace(verify->correlation_id, HeldProduce{from, coordinator, first->producer_id, req, std::move(guards), timeout});
  ctx.send(layout_.node_of(coordinator), verify);
  return true;
}

void ReplicaManager::handle_verification_response(sim::Context& ctx, const AddPartitionsToTxnResponse& resp) {
  finish_verification(ctx, resp.correlation_id, [&resp](const TopicPartition& tp) {
    if (resp.error != Error::NONE) return resp.error;  // the whole request failed
    for (const auto& r : resp.results)
      if (r.tp == tp) return r.error;
    return Error::NONE;
  });
}

void ReplicaManager::verification_coordinator_lost(sim::Context& ctx, BrokerId broker) {
  std::vector<int32_t> lost;
  for (const auto& [cid, held] : verifying_)
    if (held.coordinator == broker) lost.push_back(cid);
  for (int32_t cid : lost) finish_verification(ctx, cid, [](const TopicPartition&) { return Error::NETWORK_EXCEPTION; });
}

void ReplicaManager::verification_timed_out(sim::Context& ctx, int32_t correlation_id) {
  auto it = verifying_.find(correlation_id);
  if (it == verifying_.end()) return;
  it->second.timeout = {};  // fired: nothing to cancel
  // NetworkClient fails a timed-out request as a disconnection: NETWORK_EXCEPTION.
  finish_verification(ctx, correlation_id, [](const TopicPartition&) { return Error::NETWORK_EXCEPTION; });
}

void ReplicaManager::finish_verification(sim::Context& ctx, int32_t correlation_id,
                                         const std::function<Error(const TopicPartition&)>& error_of) {
  auto it = verifying_.find(correlation_id);
  if (it == verifying_.end()) return;  // answered already (the connection broke after the reply)
  HeldProduce held = std::move(it->second);
  verifying_.erase(it);
  ctx.cancel_timer(held.timeout);
  PreAppendErrors errors;
  Error traced = Error::NONE;
  for (const auto& [tp, guard] : held.guards) {
    const Error e = error_of(tp);
    if (e == Error::NONE) continue;
    if (traced == Error::NONE) traced = e;
    errors[tp] = produce_error(e);
  }
  ctx.trace(event::ReplicaTxnVerified{.transactional_id = held.request.transactional_id,
                                      .producer_id = held.producer_id,
                                      .error = error_name(traced)});
  // appendEntries(allEntries): the partitions that needed no verification wait with the rest.
  append_produce(ctx, held.from, held.request, held.guards, errors);
}

}  // namespace kafka
