// The producer's sender: RecordAccumulator.ready and drain, Sender.sendProducerData and
// completeBatch, with the idempotent producer's TransactionManager deciding retries and
// sequence numbers.
#include <algorithm>
#include <cmath>
#include <limits>

#include "broker_model/client/producer.hpp"
#include "sim/assert.hpp"

namespace kafka {

namespace {
// max.request.size at its default (not configurable here): a drain stops adding batches to a
// request that would grow past it.
constexpr int64_t kMaxRequestSize = 1048576;

// Whether an answer to an acks=all produce leaves open that the batch reached the leader's log.
// The leader appends before it waits for the ISR (ReplicaManager.appendRecords), and
// DelayedProduce.tryComplete then answers with whatever ReplicaManager.getPartitionOrError or
// Partition.checkEnoughReplicasReachOffset says: NOT_ENOUGH_REPLICAS_AFTER_APPEND, or
// NOT_LEADER_OR_FOLLOWER or UNKNOWN_TOPIC_OR_PARTITION if the leader lost the partition meanwhile
// (KAFKA-13574: a new leader may hold the batch; KAFKA_STORAGE_ERROR is not modelled); the
// purgatory's timeout answers REQUEST_TIMED_OUT. With acks=1 those errors come only from a refused append.
bool may_have_appended(int16_t acks, Error error) {
  if (error == Error::REQUEST_TIMED_OUT || error == Error::NOT_ENOUGH_REPLICAS_AFTER_APPEND) return true;
  return acks == -1 && (error == Error::NOT_LEADER_OR_FOLLOWER || error == Error::UNKNOWN_TOPIC_OR_PARTITION);
}
}  // namespace

// ---- Sender.runOnce ----

void Producer::run_sender(sim::Context& ctx) {
  // The application's callbacks may send, which wakes the sender: as in Kafka, where the
  // sender is its own thread, that wake-up is served after the current pass, not inside it.
  if (in_sender_) {
    sender_again_ = true;
    return;
  }
  in_sender_ = true;
  do {
    sender_again_ = false;
    // Kafka polls with a zero timeout while a pass sent something, and passes again at once.
    while (run_once(ctx)) {
    }
  } while (sender_again_);
  in_sender_ = false;
}

bool Producer::run_once(sim::Context& ctx) {
  if (transactional_) {
    // Sender.runOnce: while a transactional request is out (or the producer failed) nothing
    // else is sent.
    if (run_transactional(ctx)) return false;
    return send_producer_data(ctx);
  }
  if (idempotent_) {
    txn_.maybe_resolve_sequences(ctx);
    const int64_t old_id = txn_.producer_id_and_epoch().producer_id;
    trace_epoch_change(ctx, txn_.bump_idempotent_epoch_and_reset_id_if_needed(), old_id);
    // Sender.maybeSendAndPollTransactionalRequest: nothing else goes out while InitProducerId
    // is in flight.
    if (init_in_flight_) return false;
  }
  return send_producer_data(ctx);
}

void Producer::trace_epoch_change(sim::Context& ctx, TransactionManager::Bump bump, int64_t old_producer_id) {
  if (bump == TransactionManager::Bump::bumped) {
    const ProducerIdAndEpoch& p = txn_.producer_id_and_epoch();
    ctx.trace(event::ProducerBumpEpoch{.client_id = client_id_, .producer_id = p.producer_id, .producer_epoch = p.epoch});
  } else if (bump == TransactionManager::Bump::reset) {
    ctx.trace(event::ProducerResetProducerId{.client_id = client_id_, .producer_id = old_producer_id});
    request_metadata(ctx);  // InitProducerId goes out with the next metadata response
  }
}

void Producer::maybe_init_producer_id(sim::Context& ctx) {
  if (!idempotent_ || transactional_ || txn_.has_producer_id() || init_in_flight_ || metadata_node_ == sim::kNoNode) return;
  init_in_flight_ = true;
  auto req = std::make_shared<InitProducerIdRequest>();
  req->correlation_id = ++next_correlation_;
  ctx.send(metadata_node_, req);
}

bool Producer::send_producer_data(sim::Context& ctx) {
  const sim::Time now = ctx.now();
  ReadyCheck r = ready(now);
  if (r.unknown_leader) request_metadata(ctx);
  std::map<BrokerId, std::vector<ProducerBatchPtr>> drained;
  for (BrokerId node : r.ready_nodes) {
    // NetworkClient.ready: the connection takes another request (a response wakes us).
    const bool can_drain = in_flight_per_broker_[node] < settings_.max_in_flight;
    update_node_latency_stats(node, now, can_drain);
    if (!can_drain) continue;
    auto batches = drain_batches_for_one_node(node, now);
    if (!batches.empty()) drained.emplace(node, std::move(batches));
  }
  for (const auto& [node, batches] : drained) {
    for (const ProducerBatchPtr& b : batches) {
      inflight_batches_[b->tp()].push_back(b);  // Sender.addToInflightBatches
      if (settings_.max_in_flight == 1) muted_.insert(b->tp());  // guaranteeMessageOrder
    }
  }
  expire_batches(ctx);
  for (const auto& [node, batches] : drained) send_produce_request(ctx, node, batches);
  // The next look: a batch's linger or backoff ending, or a batch reaching delivery.timeout.ms.
  sim::Time next = r.next_check;
  for (const auto& [tp, q] : queues_)
    if (!q.empty()) next = std::min(next, q.front()->created + settings_.delivery_timeout);
  for (const auto& [tp, v] : inflight_batches_)
    if (!v.empty()) next = std::min(next, v.front()->created + settings_.delivery_timeout);
  schedule_wakeup(ctx, next);
  return !drained.empty();
}

// ---- RecordAccumulator.ready ----

bool Producer::backing_off(const ProducerBatch& b, sim::Time now) const { return b.retry && now < b.retry_at; }

Producer::ReadyCheck Producer::ready(sim::Time now) {
  ReadyCheck out;
  const std::string* last = nullptr;
  for (const auto& [tp, q] : queues_) {
    if (last && *last == tp.topic) continue;
    last = &tp.topic;
    partition_ready(now, tp.topic, out);
  }
  return out;
}

void Producer::partition_ready(sim::Time now, const std::string& topic, ReadyCheck& out) {
  auto first = queues_.lower_bound(TopicPartition{topic, std::numeric_limits<int32_t>::min()});
  auto end = first;
  size_t deques = 0;
  while (end != queues_.end() && end->first.topic == topic) ++end, ++deques;
  // Adaptive partitioning weighs partitions by their queue sizes, once every partition of the
  // topic has a queue (until then it would never pick the missing ones).
  auto meta = topics_.find(topic);
  const size_t partitions = meta == topics_.end() ? 0 : meta->second.leaders.size();
  auto part = uniform_.find(topic);
  BuiltInPartitioner* partitioner = part == uniform_.end() ? nullptr : part->second.get();
  const bool collect = partitioner && settings_.adaptive && deques >= partitions;
  std::vector<int32_t> queue_sizes, partition_ids;
  const auto batch_size = static_cast<uint32_t>(settings_.batch_size);
  for (auto it = first; it != end; ++it) {
    const auto& [tp, q] = *it;
    const BrokerId leader = leader_of(tp);
    if (leader != kNoLeader && collect) {
      partition_ids.push_back(tp.partition);
      queue_sizes.push_back(0);
    }
    if (q.empty()) continue;
    const ProducerBatch& b = *q.front();
    if (leader == kNoLeader) {
      out.unknown_leader = true;
      continue;
    }
    if (collect) {
      queue_sizes.back() = static_cast<int32_t>(q.size());
      // partitioner.availability.timeout.ms: a partition whose leader has had data ready but
      // could not take it for that long is left out of the load stats, so it is not chosen.
      if (unavailable(leader)) {
        queue_sizes.pop_back();
        partition_ids.pop_back();
      }
    }
    // batchReady: full, lingered long enough, and not backing off.
    if (out.ready_nodes.count(leader) || muted_.count(tp)) continue;
    const bool backing = backing_off(b, now);
    const sim::Time since = std::max(b.created, b.last_attempt);
    const bool full = q.size() > 1 || b.full(batch_size);
    const bool lingered = now - since >= settings_.linger || flush_in_progress();
    if ((full || lingered) && !backing) {
      out.ready_nodes.insert(leader);
    } else {
      out.next_check = std::min(out.next_check, backing ? b.retry_at : since + settings_.linger);
    }
  }
  if (!partitioner) return;
  if (collect) {
    partitioner->update_partition_load_stats(queue_sizes, partition_ids, deques);
  } else {
    partitioner->clear_partition_load_stats();
  }
}

void Producer::update_node_latency_stats(BrokerId node, sim::Time now, bool can_drain) {
  if (settings_.availability_timeout <= sim::Duration{}) return;
  auto [it, inserted] = node_stats_.emplace(node, NodeLatencyStats{now, now});
  it->second.ready = now;
  if (can_drain) it->second.drain = now;
}

bool Producer::unavailable(BrokerId leader) const {
  if (settings_.availability_timeout <= sim::Duration{}) return false;
  auto it = node_stats_.find(leader);
  return it != node_stats_.end() && it->second.ready - it->second.drain > settings_.availability_timeout;
}

// ---- RecordAccumulator.drain ----

std::vector<ProducerBatchPtr> Producer::drain_batches_for_one_node(BrokerId node, sim::Time now) {
  std::vector<ProducerBatchPtr> ready;
  std::vector<TopicPartition> parts;  // Cluster.partitionsForNode, in topic-partition order
  for (const auto& [topic, meta] : topics_)
    for (size_t p = 0; p < meta.leaders.size(); ++p)
      if (meta.leaders[p] == node) parts.push_back({topic, static_cast<int32_t>(p)});
  if (parts.empty()) return ready;
  // Each node resumes where its last drain stopped (nodesDrainIndex), so that no partition is
  // always last; Kafka stores the index of the last partition it looked at.
  size_t& stored = drain_index_[node];
  size_t index = stored % parts.size();
  const size_t start = index;
  int64_t size = 0;
  do {
    const TopicPartition& tp = parts[index];
    stored = index;
    index = (index + 1) % parts.size();
    if (muted_.count(tp)) continue;
    auto qit = queues_.find(tp);
    if (qit == queues_.end() || qit->second.empty()) continue;
    auto& q = qit->second;
    const ProducerBatchPtr first = q.front();
    if (backing_off(*first, now)) continue;
    if (size + first->bytes > kMaxRequestSize && !ready.empty()) break;
    // A partition the idempotent producer must hold back stops this node's drain altogether.
    if (idempotent_ && txn_.should_stop_drain(*first)) break;
    q.pop_front();
    if (idempotent_ && !first->has_sequence()) txn_.assign_sequence(first);
    size += first->bytes;
    ready.push_back(first);
  } while (index != start);
  return ready;
}

void Producer::send_produce_request(sim::Context& ctx, BrokerId leader, const std::vector<ProducerBatchPtr>& batches) {
  auto req = std::make_shared<ProduceRequest>();
  req->correlation_id = ++next_correlation_;
  req->acks = acks_;
  if (transactional_) req->transactional_id = txn_.transactional_id();
  req->timeout_ms = static_cast<int32_t>(settings_.request_timeout.ns / 1000000);
  for (const ProducerBatchPtr& b : batches) {
    auto wire = std::make_shared<RecordBatch>();
    auto recs = std::make_shared<std::vector<Record>>();
    recs->reserve(b->records.size());
    for (const auto& pr : b->records) recs->push_back(pr.record);
    wire->records = std::move(recs);
    // The batch's own id, epoch and sequence, kept across retries (ProducerBatch.setProducerState).
    wire->producer_id = idempotent_ ? b->producer.producer_id : kNoProducerId;
    wire->producer_epoch = idempotent_ ? b->producer.epoch : -1;
    wire->base_sequence = idempotent_ ? b->base_sequence : kNoSequence;
    wire->transactional = transactional_;
    req->partitions.push_back({b->topic, b->partition, wire});
    ++b->attempts;
  }
  ctx.send(layout_.node_of(leader), req);
  if (acks_ == 0) {
    // Fire and forget: the client counts the record as sent, with no offset.
    for (const ProducerBatchPtr& b : batches) complete_batch(ctx, b, Error::NONE, -1, false);
    return;
  }
  InFlight f{leader, batches, {}};
  f.timer = set_timer(ctx, settings_.request_timeout, kRequestTimeoutTag + static_cast<uint64_t>(req->correlation_id));
  ++in_flight_per_broker_[leader];
  in_flight_.emplace(req->correlation_id, std::move(f));
}

// ---- responses ----

void Producer::handle_produce_response(sim::Context& ctx, const ProduceResponse& resp) {
  auto it = in_flight_.find(resp.correlation_id);
  if (it == in_flight_.end()) return;  // already given up on (timeout or disconnect)
  InFlight f = std::move(it->second);
  in_flight_.erase(it);
  ctx.cancel_timer(f.timer);
  --in_flight_per_broker_[f.broker];
  for (const ProducerBatchPtr& b : f.batches) {
    Error error = Error::NETWORK_EXCEPTION;
    int64_t base = -1;
    for (const auto& pr : resp.partitions) {
      if (pr.topic == b->topic && pr.partition == b->partition) {
        error = pr.error;
        base = pr.base_offset;
      }
    }
    complete_batch(ctx, b, error, base, may_have_appended(acks_, error));
  }
  run_sender(ctx);
}

void Producer::fail_request(sim::Context& ctx, int32_t correlation_id, Error why) {
  auto it = in_flight_.find(correlation_id);
  if (it == in_flight_.end()) return;
  InFlight f = std::move(it->second);
  in_flight_.erase(it);
  ctx.cancel_timer(f.timer);
  --in_flight_per_broker_[f.broker];
  // The request may have been written before its connection broke or its response was lost.
  for (const ProducerBatchPtr& b : f.batches) complete_batch(ctx, b, why, -1, true);
  request_metadata(ctx);
}

void Producer::fail_broker_requests(sim::Context& ctx, BrokerId broker, Error why) {
  // NetworkClient.cancelInFlightRequests fails a node's in-flight requests oldest first
  // (InFlightRequests.clearAll); a non-idempotent producer re-enqueues each at the front of its
  // queue, so the newest batch of a partition goes out first again.
  std::vector<int32_t> lost;
  for (const auto& [corr, f] : in_flight_)
    if (f.broker == broker) lost.push_back(corr);
  for (int32_t corr : lost) fail_request(ctx, corr, why);
}

void Producer::complete_batch(sim::Context& ctx, const ProducerBatchPtr& b, Error error, int64_t base_offset,
                              bool appended_maybe) {
  // The sender's own bookkeeping first: the application's callbacks below may send again.
  remove_from_inflight_batches(*b);
  if (settings_.max_in_flight == 1) muted_.erase(b->tp());
  if (error == Error::NONE) {
    if (idempotent_) txn_.handle_completed_batch(*b, base_offset);
    complete(ctx, b, Outcome::ok, error, base_offset);
    return;
  }
  b->maybe_applied |= appended_maybe;
  if (!b->done()) b->last_error = error;
  if (can_retry(*b, error, ctx.now())) {
    reenqueue(ctx, b);
    ctx.trace(event::ProducerRetry{.client_id = client_id_,
                                   .topic = b->topic,
                                   .partition = b->partition,
                                   .attempt = b->attempts,
                                   .error = error_name(error),
                                   .base_sequence = b->base_sequence});
  } else if (error == Error::DUPLICATE_SEQUENCE_NUMBER) {
    // Only brokers before 1.1 answer it: the batch was written, its offset is unknown.
    if (idempotent_) txn_.handle_completed_batch(*b, -1);
    complete(ctx, b, Outcome::ok, error, -1);
  } else {
    // Sequences are adjusted only if the batch had retries left: otherwise the broker may
    // have taken it.
    fail_batch(ctx, b, error, b->attempts - 1 < settings_.retries);
  }
  if (needs_metadata_refresh(error)) request_metadata(ctx);
}

bool Producer::can_retry(const ProducerBatch& b, Error error, sim::Time now) {
  // Sender.canRetry; attempts() there counts re-enqueues, one less than our sends.
  return now < b.created + settings_.delivery_timeout && b.attempts - 1 < settings_.retries && !b.done() &&
         (idempotent_ ? txn_.can_retry(error, b) : is_retriable(error));
}

void Producer::fail_batch(sim::Context& ctx, const ProducerBatchPtr& b, Error error, bool adjust_sequence_numbers) {
  // The transaction manager hears of a failure only for the batch's first outcome from 3.6
  // (KAFKA-14884); before, also for a late answer to a batch that had already expired.
  if (idempotent_ && (!b->done() || config_.version() < kV3_6)) {
    // handleFailedBatch: a transactional producer's failed batch spoils its transaction
    // (abortable) or, fenced, the producer (fatal).
    if (transactional_) txn_.maybe_transition_to_error_state(ctx, error);
    txn_.handle_failed_batch(*b, error, adjust_sequence_numbers);
  }
  complete(ctx, b, b->maybe_applied ? Outcome::info : Outcome::fail, error, -1);
}

void Producer::reenqueue(sim::Context& ctx, const ProducerBatchPtr& b) {
  // ProducerBatch.reenqueued; exponential backoff with 20% jitter from 3.7 (KIP-580), fixed before.
  b->retry = true;
  b->last_attempt = ctx.now();
  const int64_t base = settings_.retry_backoff_ms;
  double backoff = static_cast<double>(base);
  if (config_.version() >= kV3_7) {
    backoff = std::min(backoff * std::pow(2.0, std::max(0, b->attempts - 1)),
                       static_cast<double>(settings_.retry_backoff_max_ms));
    backoff *= rng(ctx).uniform_real(0.8, 1.2);
  }
  b->retry_at = ctx.now() + sim::Duration{static_cast<int64_t>(backoff * 1e6)};
  if (idempotent_ && bugs_.producer_resequences_retries && b->has_sequence()) {
    // The bug: the retry goes out as new records under fresh sequence numbers, so a broker
    // that appended the first attempt appends it again.
    txn_.assign_fresh_sequence(b);
  }
  auto& q = queues_[b->tp()];
  if (idempotent_) {
    // RecordAccumulator.insertInSequenceOrder: before the first batch with a higher sequence
    // or without one.
    auto pos = std::find_if(q.begin(), q.end(), [&](const ProducerBatchPtr& o) {
      return !o->has_sequence() || o->base_sequence > b->base_sequence;
    });
    q.insert(pos, b);
  } else {
    q.push_front(b);
  }
}

void Producer::remove_from_inflight_batches(const ProducerBatch& b) {
  auto it = inflight_batches_.find(b.tp());
  if (it == inflight_batches_.end()) return;
  auto& v = it->second;
  v.erase(std::remove_if(v.begin(), v.end(), [&](const ProducerBatchPtr& o) { return o.get() == &b; }), v.end());
}

void Producer::complete(sim::Context& ctx, const ProducerBatchPtr& b, Outcome outcome, Error error, int64_t base_offset) {
  // ProducerBatch.done: the first outcome is final. A failed or expired batch may still be
  // answered later, and that answer changes nothing; a succeeded batch is never completed again.
  if (b->final_state) {
    SIM_ASSERT(*b->final_state != Outcome::ok, "a SUCCEEDED batch must not attempt another state change");
    return;
  }
  b->final_state = outcome;
  for (size_t i = 0; i < b->records.size(); ++i) {
    SendResult r{b->records[i].op, outcome, error, b->partition,
                 base_offset >= 0 ? base_offset + static_cast<int64_t>(i) : -1, b->last_error};
    finish_op(ctx, b->records[i], r);
  }
}

// ---- delivery.timeout.ms ----

void Producer::expire_batches(sim::Context& ctx) {
  const sim::Time now = ctx.now();
  const sim::Duration delivery = settings_.delivery_timeout;
  std::vector<ProducerBatchPtr> expired;
  // RecordAccumulator.expiredBatches: from the front of each queue.
  for (auto& [tp, q] : queues_) {
    while (!q.empty() && now >= q.front()->created + delivery) {
      expired.push_back(q.front());
      q.pop_front();
    }
  }
  // Sender.getExpiredInflightBatches: batches out on the wire fail now, without waiting for
  // their answer; they may have been written.
  for (auto& [tp, v] : inflight_batches_) {
    size_t n = 0;
    while (n < v.size() && now >= v[n]->created + delivery) {
      v[n]->maybe_applied = true;
      expired.push_back(v[n++]);
    }
    v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n));
  }
  for (const ProducerBatchPtr& b : expired) {
    fail_batch(ctx, b, Error::CLIENT_DELIVERY_TIMEOUT, false);
    // A batch that was sent and retried leaves its sequence unknown: no new batch of the
    // partition goes out until the ones in flight are resolved.
    if (idempotent_ && b->retry) txn_.mark_sequence_unresolved(*b);
  }
}

void Producer::schedule_wakeup(sim::Context& ctx, sim::Time at) {
  if (at == sim::Time::max() || at >= wakeup_at_) return;
  if (wakeup_timer_.valid()) ctx.cancel_timer(wakeup_timer_);
  wakeup_at_ = at;
  wakeup_timer_ = set_timer(ctx, std::max(sim::Duration{0}, at - ctx.now()), kSenderWakeup);
}

}  // namespace kafka
