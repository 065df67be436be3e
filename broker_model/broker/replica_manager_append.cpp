// Appending as leader (ReplicaManager.appendRecords): a producer's batches, and the group
// coordinator's records, which are written like an acks=all produce.
#include <algorithm>

#include "broker_model/broker/replica_manager.hpp"
#include "broker_model/broker/replica_trace.hpp"

namespace kafka {

void ReplicaManager::handle_produce(sim::Context& ctx, sim::NodeId from, const ProduceRequest& req) {
  if (maybe_start_verification(ctx, from, req)) return;
  append_produce(ctx, from, req, {}, {});
}

void ReplicaManager::append_produce(sim::Context& ctx, sim::NodeId from, const ProduceRequest& req, const VerificationGuards& guards,
                                    const PreAppendErrors& errors) {
  DelayedProduce d{from, req.correlation_id, {}, {}};
  for (const auto& pd : req.partitions) {
    int64_t required = -1;
    const TopicPartition tp{pd.topic, pd.partition};
    if (auto e = errors.find(tp); e != errors.end()) {
      d.results.push_back({pd.topic, pd.partition, e->second, -1});
    } else {
      auto g = guards.find(tp);
      d.results.push_back(append_to_leader(ctx, req, pd, g == guards.end() ? 0 : g->second, required));
    }
    d.required.push_back(d.results.back().error == Error::NONE ? required : -1);
  }
  if (req.acks == 0) {
    // No response at all; on an error KafkaApis.handleProduceRequest closes the connection
    // (requestChannel.closeConnection) so the producer's NetworkClient notices and refreshes
    // its metadata.
    const bool failed = std::any_of(d.results.begin(), d.results.end(),
                                    [](const ProduceResponse::PartitionResponse& r) { return r.error != Error::NONE; });
    if (failed) ctx.close_connection(from);
    return;
  }
  if (req.acks == 1 || (req.acks == -1 && bugs_.acks_all_before_isr)) {
    std::fill(d.required.begin(), d.required.end(), -1);
  }
  purgatory_.add(ctx, std::move(d), sim::Duration::millis(req.timeout_ms));
}

ProduceResponse::PartitionResponse ReplicaManager::append_to_leader(sim::Context& ctx, const ProduceRequest& req,
                                                                    const ProduceRequest::PartitionData& pd, uint64_t guard,
                                                                    int64_t& required) {
  ProduceResponse::PartitionResponse res{pd.topic, pd.partition, Error::NONE, -1};
  Partition* p = partition(pd.topic, pd.partition);
  if (!p || !p->is_leader()) {
    res.error = !p && !image_.topics.count(pd.topic) ? Error::UNKNOWN_TOPIC_OR_PARTITION : Error::NOT_LEADER_OR_FOLLOWER;
    return res;
  }
  auto check = p->log->check_producer(*pd.batch);
  // The bug switch: a fenced epoch's transactional batch is appended as if it were current.
  if (check.error == Error::INVALID_PRODUCER_EPOCH && pd.batch->transactional && bugs_.leader_accepts_fenced_epoch) check = {};
  if (req.acks == -1 && !p->enough_in_sync(min_isr(pd.topic))) {
    res.error = Error::NOT_ENOUGH_REPLICAS;  // rejected before it is appended
  } else if (!check.duplicate_of && transaction_verification_enabled() && p->log->missing_required_verification(*pd.batch, guard)) {
    // analyzeAndValidateProducerState (3.6+): the batch would open a transaction that the
    // coordinator did not confirm, or a marker ended it since ("Record was not part of an
    // ongoing transaction").
    res.error = Error::INVALID_TXN_STATE;
    ctx.trace(event::ReplicaTxnUnverified{.topic = pd.topic,
                                          .partition = pd.partition,
                                          .producer_id = pd.batch->producer_id,
                                          .producer_epoch = pd.batch->producer_epoch});
  } else if (check.error != Error::NONE) {
    res.error = check.error;
  } else if (check.duplicate_of) {
    // A retried batch the log already has: answer with the original offsets.
    res.base_offset = *check.duplicate_of;
    required = *check.duplicate_of + pd.batch->count();
    ctx.trace(event::LogDuplicate{.topic = pd.topic,
                                  .partition = pd.partition,
                                  .producer_id = pd.batch->producer_id,
                                  .base_sequence = pd.batch->base_sequence,
                                  .offset = res.base_offset});
  } else {
    BatchPtr b = p->log->append_as_leader(*pd.batch, p->leader_epoch, ctx.now().ns / 1'000'000);
    res.base_offset = b->base_offset;
    required = b->next_offset();
    trace_append(ctx, *p, "leader", *b);
    appended(ctx, *p);
  }
  return res;
}

void ReplicaManager::appended(sim::Context& ctx, Partition& p) {
  maybe_flush(ctx, p);
  maybe_increment_hw(ctx, p);
  purgatory_.appended(ctx, p.tp());
}

void ReplicaManager::append(sim::Context& ctx, const TopicPartition& tp, std::vector<Record> records, sim::Duration timeout,
                            WriteDone done) {
  RecordBatch incoming;
  incoming.records = std::make_shared<std::vector<Record>>(std::move(records));
  append_internal(ctx, tp, incoming, timeout, std::move(done));
}

void ReplicaManager::append_transactional(sim::Context& ctx, const TopicPartition& tp, int64_t producer_id, int16_t producer_epoch,
                                          std::vector<Record> records, sim::Duration timeout, WriteDone done) {
  RecordBatch incoming;
  incoming.producer_id = producer_id;
  incoming.producer_epoch = producer_epoch;
  incoming.transactional = true;
  incoming.records = std::make_shared<std::vector<Record>>(std::move(records));
  append_internal(ctx, tp, incoming, timeout, std::move(done));
}

void ReplicaManager::append_internal(sim::Context& ctx, const TopicPartition& tp, const RecordBatch& incoming, sim::Duration timeout,
                                     WriteDone done) {
  Partition* p = led(tp);
  if (!p) {
    done(ctx, Error::NOT_COORDINATOR);
    return;
  }
  if (!p->enough_in_sync(min_isr(tp.topic))) {
    done(ctx, Error::COORDINATOR_NOT_AVAILABLE);  // NOT_ENOUGH_REPLICAS, as the coordinator reports it
    return;
  }
  // AppendOrigin.COORDINATOR: the producer epoch is checked, sequences are not (the
  // coordinator's transactional offsets carry none).
  if (incoming.producer_id != kNoProducerId) {
    if (Error e = p->log->check_producer(incoming).error; e == Error::INVALID_PRODUCER_EPOCH) {
      done(ctx, e);
      return;
    }
  }
  BatchPtr b = p->log->append_as_leader(incoming, p->leader_epoch, ctx.now().ns / 1'000'000);
  trace_append(ctx, *p, "leader", *b);
  purgatory_.add(ctx, DelayedWrite{tp, b->next_offset(), std::move(done)}, timeout);
  appended(ctx, *p);
  purgatory_.check(ctx, tp);
}

}  // namespace kafka
