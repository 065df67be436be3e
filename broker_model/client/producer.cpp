#include "broker_model/client/producer.hpp"

#include "broker_model/config/periods.hpp"
#include "sim/assert.hpp"

#include <algorithm>
#include <cmath>

#include <utility>

#include <fmt/format.h>

namespace kafka {

namespace {
// op.ok, op.fail and op.info of a send carry the same fields.
template <typename E>
void trace_outcome(sim::Context& ctx, const std::string& client_id, const SendResult& result) {
  ctx.trace(E{.process = client_id,
              .op = result.op,
              .f = "send",
              .partition = result.partition,
              .offset = result.offset,
              .error = error_name(result.error),
              .cause = error_name(result.cause)});
}
}  // namespace

Producer::Settings::Settings(const ConfigSet& c)
    : batch_size(std::max<int64_t>(0, c.integer("batch.size"))),
      max_in_flight(c.integer("max.in.flight.requests.per.connection")),
      retries(c.integer("retries")),
      retry_backoff_ms(c.integer("retry.backoff.ms")),
      retry_backoff_max_ms(c.integer("retry.backoff.max.ms")),
      linger(sim::Duration::millis(c.integer("linger.ms"))),
      request_timeout(sim::Duration::millis(c.integer("request.timeout.ms"))),
      delivery_timeout(sim::Duration::millis(c.integer("delivery.timeout.ms"))),
      max_block(sim::Duration::millis(c.integer("max.block.ms"))),
      metadata_max_age(loop_interval(c.integer("metadata.max.age.ms"))),
      ignore_keys(c.boolean("partitioner.ignore.keys")),
      adaptive(c.boolean("partitioner.adaptive.partitioning.enable")),
      availability_timeout(sim::Duration::millis(c.integer("partitioner.availability.timeout.ms"))) {}

Producer::Producer(std::string client_id, ClusterLayout layout, ConfigSet config, uint64_t first_op, Bugs bugs,
                   ProducerHost host)
    : client_id_(std::move(client_id)),
      layout_(std::move(layout)),
      config_(std::move(config)),
      settings_(config_),
      next_op_(first_op),
      bugs_(bugs),
      acks_(producer_acks(config_)),
      idempotent_(config_.boolean("enable.idempotence")),
      next_correlation_(host.first_correlation_id),
      host_(host) {
  if (const std::string& id = config_.string("transactional.id"); !id.empty()) {
    transactional_ = true;
    txn_.set_transactional(client_id_, id, static_cast<int32_t>(config_.integer("transaction.timeout.ms")),
                           config_.version() >= kV4_0);
    txn_.set_retry_backoff_ms(settings_.retry_backoff_ms);
  }
}

void Producer::on_start(sim::Context& ctx) {
  if (host_.own_rng) own_rng_.emplace(ctx.rng().next_u64());
  ctx.trace(event::ProducerStart{
      .client_id = client_id_, .acks = acks_, .idempotence = idempotent_, .max_in_flight = settings_.max_in_flight});
  request_metadata(ctx);
  set_timer(ctx, settings_.metadata_max_age, kMetadataRefresh);
  if (transactional_) {
    // The application's first call, initTransactions, blocks its thread until the producer
    // has its id and epoch from the transaction coordinator.
    app_blocked_ = true;
    txn_.initialize_transactions(ctx, [this](sim::Context& c, Error) {
      app_blocked_ = false;
      app_next(c);
    });
    run_sender(ctx);
  }
}

// ---- metadata ----

void Producer::request_metadata(sim::Context& ctx) {
  if (metadata_in_flight_) return;
  const auto brokers = layout_.broker_ids();
  if (brokers.empty()) return;
  // Rotate through the bootstrap list (Kafka picks its least loaded node).
  const BrokerId b = brokers[next_bootstrap_++ % brokers.size()];
  metadata_node_ = layout_.node_of(b);
  metadata_in_flight_ = true;
  auto req = std::make_shared<MetadataRequest>();
  req->correlation_id = metadata_correlation_ = ++next_correlation_;
  // ProducerMetadata always allows auto-creation of the topics a send waits for.
  req->allow_auto_topic_creation = true;
  for (const auto& [topic, rec] : blocked_)
    if (std::find(req->topics.begin(), req->topics.end(), topic) == req->topics.end()) req->topics.push_back(topic);
  ctx.send(metadata_node_, req);
  metadata_timer_ = set_timer(ctx, settings_.request_timeout, kMetadataTimeout);
}

void Producer::handle_metadata(sim::Context& ctx, const MetadataResponse& resp) {
  if (!metadata_in_flight_ || resp.correlation_id != metadata_correlation_) return;
  metadata_in_flight_ = false;
  ctx.cancel_timer(metadata_timer_);
  for (const auto& t : resp.topics) {
    if (t.error != Error::NONE) continue;  // not there (yet)
    TopicMeta m;
    m.leaders.assign(t.partitions.size(), kNoLeader);
    m.leader_epochs.assign(t.partitions.size(), -1);
    const auto known = topics_.find(t.name);
    for (const auto& p : t.partitions) {
      if (p.partition < 0 || static_cast<size_t>(p.partition) >= m.leaders.size()) continue;
      const auto i = static_cast<size_t>(p.partition);
      if (known != topics_.end() && i < known->second.leaders.size() &&
          stale_leader_epoch(known->second.leader_epochs[i], p.leader_epoch)) {
        m.leaders[i] = known->second.leaders[i];
        m.leader_epochs[i] = known->second.leader_epochs[i];
        continue;
      }
      m.leaders[i] = p.error == Error::NONE ? p.leader : kNoLeader;
      m.leader_epochs[i] = p.leader_epoch;
    }
    topics_[t.name] = std::move(m);
  }
  metadata_ready_ = true;
  maybe_init_producer_id(ctx);
  drain_blocked(ctx);
  // KafkaProducer.waitOnMetadata asks again, after retry.backoff.ms, until the topic (and the
  // partition asked for) is there or max.block.ms has passed.
  if (!blocked_.empty()) set_timer(ctx, loop_interval(settings_.retry_backoff_ms), kMetadataRetry);
  run_sender(ctx);
}

bool Producer::known_partition(const std::string& topic, std::optional<int32_t> partition) const {
  auto it = topics_.find(topic);
  if (it == topics_.end()) return false;
  return !partition || static_cast<size_t>(*partition) < it->second.leaders.size();
}

BrokerId Producer::leader_of(const TopicPartition& tp) const {
  auto it = topics_.find(tp.topic);
  if (it == topics_.end() || tp.partition < 0 || static_cast<size_t>(tp.partition) >= it->second.leaders.size()) return kNoLeader;
  return it->second.leaders[static_cast<size_t>(tp.partition)];
}

std::vector<int32_t> Producer::available_partitions(const std::string& topic) const {
  std::vector<int32_t> out;
  auto it = topics_.find(topic);
  if (it == topics_.end()) return out;
  for (size_t p = 0; p < it->second.leaders.size(); ++p)
    if (it->second.leaders[p] != kNoLeader) out.push_back(static_cast<int32_t>(p));
  return out;
}

// ---- the application ----

uint64_t Producer::send(sim::Context& ctx, SendSpec spec, Callback done) {
  const uint64_t op = next_op_++;
  Record r;
  r.key = spec.key.value_or("");
  r.has_key = spec.key.has_value();
  r.value = spec.value ? std::move(*spec.value) : fmt::format("{}-{}", client_id_, op);
  r.value_bytes = spec.value_bytes ? spec.value_bytes : static_cast<uint32_t>(r.value.size());
  r.timestamp_ms = ctx.now().ns / 1'000'000;
  r.headers = std::move(spec.headers);
  ctx.trace(event::OpInvoke{.process = client_id_,
                            .op = op,
                            .f = "send",
                            .topic = spec.topic,
                            .key = r.has_key ? std::string_view(r.key) : std::string_view(),
                            .has_key = r.has_key,
                            .value = r.value});
  incomplete_.insert(op);
  if (const int64_t txn = txn_.transaction_number(); txn > 0) {
    ctx.trace(event::ProducerTxnSend{.client_id = client_id_,
                                     .op = op,
                                     .transactional_id = txn_.transactional_id(),
                                     .producer_id = txn_.producer_id_and_epoch().producer_id,
                                     .producer_epoch = txn_.producer_id_and_epoch().epoch,
                                     .txn = txn});
  }
  PendingRecord rec{op, spec.topic, std::move(r), std::move(done), ctx.now()};
  if (!metadata_ready_ || !known_partition(spec.topic, spec.partition)) {
    // KafkaProducer.send blocks (max.block.ms) until the topic's metadata is known.
    blocked_.emplace_back(spec.topic, std::move(rec));
    blocked_partition_.push_back(spec.partition);
    set_timer(ctx, settings_.max_block, kBlockedTimeout);
    request_metadata(ctx);
    return op;
  }
  append(ctx, std::move(rec), spec.topic, spec.partition, true);
  run_sender(ctx);
  return op;
}

void Producer::app_send(sim::Context& ctx, SendSpec spec, bool sync, Callback done) {
  app_queue_.push_back(AppSend{std::move(spec), sync, std::move(done), std::nullopt, {}, {}});
  app_next(ctx);
}

void Producer::app_next(sim::Context& ctx) {
  while (!app_blocked_ && !app_queue_.empty()) {
    AppSend a = std::move(app_queue_.front());
    app_queue_.pop_front();
    if (a.txn) {
      app_run_txn(ctx, a);
      continue;
    }
    if (!a.sync) {
      send(ctx, std::move(a.spec), std::move(a.done));
      // KafkaProducer.send blocks in waitOnMetadata until the record's partition is known: the
      // application's next call waits (for a transactional producer, its commitTransaction
      // comes after every send of the transaction has been added to it, maybeAddPartition).
      if (!blocked_.empty()) {
        app_blocked_ = true;
        app_waits_for_metadata_ = true;
      }
      continue;
    }
    app_blocked_ = true;
    Callback done = std::move(a.done);
    send(ctx, std::move(a.spec), [this, done](sim::Context& c, const SendResult& r) {
      if (done) done(c, r);
      app_blocked_ = false;
      app_next(c);
    });
  }
}

void Producer::drain_blocked(sim::Context& ctx) {
  auto blocked = std::move(blocked_);
  auto partitions = std::move(blocked_partition_);
  blocked_.clear();
  blocked_partition_.clear();
  for (size_t i = 0; i < blocked.size(); ++i) {
    auto& [topic, rec] = blocked[i];
    if (!known_partition(topic, partitions[i])) {
      if (ctx.now() - rec.enqueued >= settings_.max_block) {
        finish_op(ctx, rec, {rec.op, Outcome::fail, Error::UNKNOWN_TOPIC_OR_PARTITION, -1, -1});
      } else {
        blocked_.emplace_back(topic, std::move(rec));
        blocked_partition_.push_back(partitions[i]);
      }
      continue;
    }
    append(ctx, std::move(rec), topic, partitions[i], true);
  }
  if (!blocked_.empty()) return;
  // The threads blocked in send() return.
  for (const WaitingLoad& w : std::exchange(loads_waiting_for_metadata_, {}))
    set_timer(ctx, std::max(w.next, ctx.now()) - ctx.now(), w.tag);
  if (app_waits_for_metadata_) {
    app_waits_for_metadata_ = false;
    app_blocked_ = false;
    app_next(ctx);
  }
}

int32_t Producer::choose_partition(sim::Context& ctx, const std::string& topic, const Record& r,
                                   std::optional<int32_t> explicit_partition) {
  const auto n = static_cast<int32_t>(topics_.at(topic).leaders.size());
  if (explicit_partition) return *explicit_partition;
  if (r.has_key && !settings_.ignore_keys) return partition_for_key(r.key, n);
  const auto available = available_partitions(topic);
  if (config_.version() < kV3_3) return sticky_[topic].partition(topic, n, available, rng(ctx));
  auto& u = uniform_[topic];
  if (!u) {
    u = std::make_unique<BuiltInPartitioner>(topic, static_cast<int32_t>(std::max<int64_t>(1, settings_.batch_size)),
                                             settings_.adaptive);
  }
  return u->peek_current_partition(n, available, rng(ctx));
}

void Producer::append(sim::Context& ctx, PendingRecord rec, const std::string& topic, std::optional<int32_t> explicit_partition,
                      bool) {
  const auto n = static_cast<int32_t>(topics_.at(topic).leaders.size());
  if (explicit_partition && (*explicit_partition < 0 || *explicit_partition >= n)) {
    finish_op(ctx, rec, {rec.op, Outcome::fail, Error::UNKNOWN_TOPIC_OR_PARTITION, *explicit_partition, -1});
    return;
  }
  const bool keyless = !explicit_partition && (!rec.record.has_key || settings_.ignore_keys);
  int32_t partition = choose_partition(ctx, topic, rec.record, explicit_partition);
  const uint32_t bytes = record_bytes(rec.record);
  const auto batch_size = static_cast<uint32_t>(settings_.batch_size);
  auto fits = [&](int32_t p) {
    auto& q = queues_[{topic, p}];
    return !q.empty() && q.back()->attempts == 0 && q.back()->base_sequence == kNoSequence &&
           q.back()->bytes + bytes <= batch_size;
  };
  if (keyless && config_.version() < kV3_3 && !fits(partition)) {
    // DefaultPartitioner (2.4-3.2): a record that would open a new batch on the sticky
    // partition moves the sticky partition instead (onNewBatch), then is placed there.
    auto& q = queues_[{topic, partition}];
    if (!q.empty()) partition = sticky_[topic].next_partition(topic, partition, n, available_partitions(topic), rng(ctx));
  }
  const TopicPartition tp{topic, partition};
  // TransactionManager.maybeAddPartition: outside a transaction, or after an error, the send
  // fails before its record is appended.
  if (const Error e = txn_.maybe_add_partition(tp); e != Error::NONE) {
    finish_op(ctx, rec, {rec.op, Outcome::fail, e, partition, -1});
    return;
  }
  auto& q = queues_[tp];
  if (!fits(partition)) {
    auto b = std::make_shared<ProducerBatch>();
    b->id = next_batch_id_++;
    b->topic = topic;
    b->partition = partition;
    b->created = ctx.now();
    q.push_back(b);
  }
  ProducerBatch& b = *q.back();
  b.bytes += bytes;
  b.records.push_back(std::move(rec));
  if (keyless && config_.version() >= kV3_3) {
    // RecordAccumulator.allBatchesFull: a switch waits until the partition's last batch is full
    // (or twice batch.size went there), so that it does not strand a small batch.
    const bool switch_ok = b.full(batch_size);
    uniform_[topic]->update_partition_info(partition, static_cast<int32_t>(bytes), switch_ok, n,
                                           available_partitions(topic), rng(ctx));
  }
}

void Producer::finish_op(sim::Context& ctx, PendingRecord& rec, const SendResult& result) {
  switch (result.outcome) {
    case Outcome::ok: trace_outcome<event::OpOk>(ctx, client_id_, result); break;
    case Outcome::fail: trace_outcome<event::OpFail>(ctx, client_id_, result); break;
    case Outcome::info: trace_outcome<event::OpInfo>(ctx, client_id_, result); break;
  }
  incomplete_.erase(rec.op);
  if (rec.done) rec.done(ctx, result);
  if (!flush_waiters_.empty()) complete_flushes(ctx);
}

void Producer::flush(sim::Context& ctx, std::function<void(sim::Context&)> done) {
  flush_waiters_.emplace_back(next_op_, std::move(done));
  complete_flushes(ctx);
  if (!flush_waiters_.empty()) run_sender(ctx);
}

void Producer::complete_flushes(sim::Context& ctx) {
  // A flush waits for the sends made before it; later ones may still be open.
  while (!flush_waiters_.empty()) {
    const uint64_t below = flush_waiters_.front().first;
    if (!incomplete_.empty() && *incomplete_.begin() < below) return;
    auto done = std::move(flush_waiters_.front().second);
    flush_waiters_.erase(flush_waiters_.begin());
    if (done) done(ctx);
  }
}

// ---- events ----

void Producer::on_message(sim::Context& ctx, sim::NodeId, const sim::MessagePtr& msg) {
  const KafkaMessage& m = kafka_message(msg);
  switch (route(m)) {
    case route_of<ProduceResponse>: handle_produce_response(ctx, message_as<ProduceResponse>(m)); break;
    case route_of<MetadataResponse>: handle_metadata(ctx, message_as<MetadataResponse>(m)); break;
    case route_of<InitProducerIdResponse>:
      if (transactional_) {
        handle_txn_response(ctx, m);
      } else {
        handle_init_producer_id(ctx, message_as<InitProducerIdResponse>(m));
      }
      break;
    case route_of<FindCoordinatorResponse>:
    case route_of<AddPartitionsToTxnResponse>:
    case route_of<AddOffsetsToTxnResponse>:
    case route_of<TxnOffsetCommitResponse>:
    case route_of<EndTxnResponse>:
      if (!transactional_) unexpected_message("a producer without a transactional.id", m);
      handle_txn_response(ctx, m);
      break;
    default: unexpected_message("a producer", m);
  }
}

void Producer::handle_init_producer_id(sim::Context& ctx, const InitProducerIdResponse& ip) {
  init_in_flight_ = false;
  if (ip.error != Error::NONE) return;  // asked again at the next metadata response
  txn_.set_producer_id_and_epoch({ip.producer_id, ip.producer_epoch});
  ctx.trace(event::ProducerInitProducerId{.client_id = client_id_, .producer_id = ip.producer_id, .producer_epoch = ip.producer_epoch});
  run_sender(ctx);
}

void Producer::on_disconnect(sim::Context& ctx, sim::NodeId peer) {
  if (peer == metadata_node_ && metadata_in_flight_) {
    metadata_in_flight_ = false;
    init_in_flight_ = false;
    ctx.cancel_timer(metadata_timer_);
  }
  if (init_in_flight_ && peer == metadata_node_) init_in_flight_ = false;
  fail_broker_requests(ctx, layout_.broker_of(peer), Error::CLIENT_DISCONNECTED);
  if (transactional_ && txn_.has_in_flight_request() && layout_.broker_of(peer) == txn_request_broker_) {
    ctx.cancel_timer(txn_timer_);
    txn_request_broker_ = kNoLeader;
    txn_.handle_request_failure(ctx, kNoLeader);
  }
  request_metadata(ctx);
  run_sender(ctx);
}

void Producer::trace_request_timeout(sim::Context& ctx, ApiKey api, int32_t correlation_id, sim::NodeId peer) {
  ctx.trace(event::ProducerRequestTimeout{.client_id = client_id_,
                                          .api = api_name(api),
                                          .correlation_id = correlation_id,
                                          .peer = peer == sim::kNoNode ? std::string_view{} : ctx.name_of(peer)});
}

void Producer::on_timer(sim::Context& ctx, uint64_t tag) {
  if (tag >= kLoadTag) {
    load_send(ctx, static_cast<size_t>((tag - kLoadTag) >> 20), static_cast<uint32_t>((tag - kLoadTag) & kAsyncThread));
    return;
  }
  if (tag >= kRequestTimeoutTag) {
    // A request timeout closes the connection (NetworkClient.handleTimedOutRequests): every
    // request in flight to that broker fails with it.
    const auto correlation_id = static_cast<int32_t>(tag - kRequestTimeoutTag);
    auto it = in_flight_.find(correlation_id);
    if (it != in_flight_.end()) {
      trace_request_timeout(ctx, ApiKey::produce, correlation_id, layout_.node_of(it->second.broker));
      fail_broker_requests(ctx, it->second.broker, Error::CLIENT_TIMEOUT);
    }
    run_sender(ctx);
    return;
  }
  switch (tag) {
    case kSenderWakeup:
      wakeup_at_ = sim::Time::max();
      wakeup_timer_ = {};
      run_sender(ctx);
      break;
    case kMetadataRefresh:
      request_metadata(ctx);
      set_timer(ctx, settings_.metadata_max_age, kMetadataRefresh);
      break;
    case kMetadataTimeout:
      // NetworkClient drops the connection of a request that timed out, and Metadata waits
      // retry.backoff.ms before its next update (Metadata.failedUpdate).
      trace_request_timeout(ctx, ApiKey::metadata, metadata_correlation_, metadata_node_);
      metadata_in_flight_ = false;
      init_in_flight_ = false;
      set_timer(ctx, loop_interval(settings_.retry_backoff_ms), kMetadataRetry);
      break;
    case kMetadataRetry:
      request_metadata(ctx);
      break;
    case kBlockedTimeout:
      drain_blocked(ctx);
      break;
    case kTxnRequestTimeout:
      // A transactional request without an answer within request.timeout.ms: its connection is
      // closed and the handler retries (onComplete, disconnected).
      if (txn_.has_in_flight_request())
        trace_request_timeout(ctx, txn_.in_flight_api(), txn_.in_flight_correlation(), layout_.node_of(txn_.in_flight_target()));
      txn_request_broker_ = kNoLeader;
      txn_.handle_request_failure(ctx, kNoLeader);
      run_sender(ctx);
      break;
    default: break;
  }
}

// ---- the load generator ----

void Producer::start_load(sim::Context& ctx, LoadSpec spec) {
  const uint64_t base = kLoadTag + (static_cast<uint64_t>(loads_.size()) << 20);
  loads_.push_back(Load{std::move(spec), 0, false});
  const LoadSpec& l = loads_.back().spec;
  if (l.sync) {
    for (int32_t t = 0; t < l.threads; ++t) set_timer(ctx, sim::Duration{0}, base + static_cast<uint64_t>(t));
  } else {
    set_timer(ctx, sim::Duration{0}, base + kAsyncThread);
  }
}

void Producer::load_send(sim::Context& ctx, size_t load, uint32_t thread) {
  if (load >= loads_.size() || loads_[load].stopped) return;
  Load& l = loads_[load];
  if (l.spec.count >= 0 && l.issued >= l.spec.count) return;
  ++l.issued;
  SendSpec s;
  s.topic = l.spec.topic;
  if (!l.spec.keys.empty()) s.key = l.spec.keys[rng(ctx).index(l.spec.keys.size())];
  s.value_bytes = l.spec.value_size;
  const sim::Duration gap = sim::Duration{static_cast<int64_t>(1e9 / l.spec.rate)};
  const uint64_t tag = kLoadTag + (static_cast<uint64_t>(load) << 20) + thread;
  if (thread == kAsyncThread) {
    const sim::Time started = ctx.now();
    send(ctx, std::move(s));
    // KafkaProducer.send blocks in waitOnMetadata while the topic's partitions are unknown: the
    // thread's next send comes once this one has returned, keeping to the rate from when it began.
    if (!blocked_.empty()) loads_waiting_for_metadata_.push_back({tag, started + gap});
    else set_timer(ctx, gap, tag);
    return;
  }
  // A synchronous application thread: the next send waits for this one's outcome, and the
  // threads together keep to the rate.
  const sim::Time started = ctx.now();
  const sim::Duration per_thread = gap * l.spec.threads;
  send(ctx, std::move(s), [this, tag, started, per_thread](sim::Context& c, const SendResult&) {
    const sim::Time next = std::max(c.now(), started + per_thread);
    set_timer(c, next - c.now(), tag);
  });
}

}  // namespace kafka
