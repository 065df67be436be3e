// The transaction coordinator's markers at a partition leader
// (KafkaApis.handleWriteTxnMarkersRequest): each marker is a control batch appended through
// ReplicaManager.appendRecords with requiredAcks -1 and AppendOrigin.COORDINATOR, so the
// leader checks the producer and coordinator epochs (ProducerAppendInfo.appendEndTxnMarker)
// and answers once the marker is committed. Followers take markers from the replicated log
// like any batch (PartitionLog updates their producer state).
#include <memory>

#include "broker_model/broker/replica_manager.hpp"
#include "broker_model/broker/replica_trace.hpp"
#include "broker_model/trace_schema.hpp"

namespace kafka {

namespace {
constexpr const char* kGroupMetadataTopic = "__consumer_offsets";
// The broker's request.timeout.ms (default 30000), the timeout KafkaApis gives the append.
constexpr sim::Duration kMarkerTimeout = sim::Duration::millis(30000);

// What is still to answer: the response fills in as the partitions' writes complete.
struct PendingMarkers {
  sim::NodeId from;
  std::shared_ptr<WriteTxnMarkersResponse> resp;
  size_t outstanding = 0;
};
}  // namespace

void ReplicaManager::handle_write_txn_markers(sim::Context& ctx, sim::NodeId from, const WriteTxnMarkersRequest& req) {
  auto pending = std::make_shared<PendingMarkers>();
  pending->from = from;
  pending->resp = std::make_shared<WriteTxnMarkersResponse>();
  pending->resp->correlation_id = req.correlation_id;
  for (const auto& m : req.markers) {
    WriteTxnMarkersResponse::MarkerResult r{m.producer_id, {}};
    for (const TopicPartition& tp : m.partitions) r.partitions.push_back({tp, Error::NONE});
    pending->outstanding += m.partitions.size();
    pending->resp->markers.push_back(std::move(r));
  }
  if (pending->outstanding == 0) {
    ctx.send(from, pending->resp);
    return;
  }
  for (size_t i = 0; i < req.markers.size(); ++i) {
    const auto& m = req.markers[i];
    for (size_t j = 0; j < m.partitions.size(); ++j) {
      const TopicPartition tp = m.partitions[j];
      append_txn_marker(ctx, tp, m, [this, pending, i, j, tp, pid = m.producer_id, committed = m.committed](sim::Context& c, Error e) {
        // A write that lost leadership while it waited is the leader's error, not a coordinator's.
        if (e == Error::NOT_COORDINATOR) e = Error::NOT_LEADER_OR_FOLLOWER;
        pending->resp->markers[i].partitions[j].error = e;
        // GroupCoordinator.onTransactionCompleted: the offsets of the transaction become
        // committed (or are dropped) once the marker is in __consumer_offsets.
        if (e == Error::NONE && tp.topic == kGroupMetadataTopic && txn_listener_) txn_listener_->on_txn_completed(c, tp, pid, committed);
        if (--pending->outstanding == 0) c.send(pending->from, pending->resp);
      });
    }
  }
}

void ReplicaManager::append_txn_marker(sim::Context& ctx, const TopicPartition& tp, const WriteTxnMarkersRequest::Marker& m,
                                       WriteDone done) {
  Partition* p = led(tp);
  Error error = Error::NONE;
  if (!image_.topics.count(tp.topic)) error = Error::UNKNOWN_TOPIC_OR_PARTITION;
  else if (!p) error = Error::NOT_LEADER_OR_FOLLOWER;
  else if (!p->enough_in_sync(min_isr(tp.topic))) error = Error::NOT_ENOUGH_REPLICAS;
  else error = p->log->check_marker(m.producer_id, m.producer_epoch, m.coordinator_epoch);
  if (error != Error::NONE) {
    ctx.trace(event::TxnMarkerRejected{.topic = tp.topic,
                                       .partition = tp.partition,
                                       .producer_id = m.producer_id,
                                       .producer_epoch = m.producer_epoch,
                                       .error = error_name(error)});
    done(ctx, error);
    return;
  }
  const RecordBatch marker = txn_marker_batch(m.producer_id, m.producer_epoch, m.coordinator_epoch, m.committed, ctx.now().ns / 1'000'000);
  BatchPtr b = p->log->append_as_leader(marker, p->leader_epoch, ctx.now().ns / 1'000'000);
  trace_append(ctx, *p, "leader", *b);
  ctx.trace(event::TxnMarkerAppend{.topic = tp.topic,
                                   .partition = tp.partition,
                                   .producer_id = m.producer_id,
                                   .producer_epoch = m.producer_epoch,
                                   .committed = m.committed,
                                   .coordinator_epoch = m.coordinator_epoch,
                                   .offset = b->base_offset});
  purgatory_.add(ctx, DelayedWrite{tp, b->next_offset(), std::move(done)}, kMarkerTimeout);
  appended(ctx, *p);
  purgatory_.check(ctx, tp);
}

void ReplicaManager::maybe_trace_lso(sim::Context& ctx, Partition& p) {
  if (!p.is_leader() || !p.log->has_transactions()) return;
  const int64_t lso = p.log->last_stable_offset();
  // The first unstable offset too: a transaction that opens while the LSO stands still (the
  // HW passed the offset it began at) is what pins the LSO, and the liveness check reads it.
  const int64_t first_unstable = p.log->producer_state().first_unstable_offset().value_or(-1);
  if (lso == p.traced_lso && first_unstable == p.traced_first_unstable) return;
  p.traced_lso = lso;
  p.traced_first_unstable = first_unstable;
  ctx.trace(event::ReplicaLso{.topic = p.log->topic(),
                              .partition = p.log->partition(),
                              .lso = lso,
                              .hw = p.log->high_watermark(),
                              .first_unstable_offset = first_unstable});
}

}  // namespace kafka
