#include "broker_model/broker/broker.hpp"

#include <algorithm>
#include <limits>

#include "broker_model/broker/broker_timer.hpp"
#include "broker_model/config/periods.hpp"
#include "broker_model/log/log_files.hpp"
#include "broker_model/trace_schema.hpp"
#include "sim/timer_tag.hpp"

namespace kafka {

namespace {
struct Marker final : sim::DiskEntry {
  int64_t value;
  explicit Marker(int64_t v) : value(v) {}
  uint32_t size_bytes() const override { return 8; }
};

uint64_t tag(BrokerTimer kind) { return sim::timer_tag(kind); }
}  // namespace

Broker::Broker(BrokerId id, std::string rack, ClusterLayout layout, ConfigSet config, Bugs bugs)
    : id_(id),
      rack_(std::move(rack)),
      layout_(std::move(layout)),
      config_(std::move(config)),
      replicas_(id_, layout_, config_, image_, bugs),
      coordinator_(id_, config_, image_, replicas_),
      txn_coordinator_(config_, image_, layout_, replicas_, [this](sim::Context& ctx) { return generate_producer_id(ctx); }) {
  coordinators_.add(&coordinator_);
  coordinators_.add(&txn_coordinator_);
  replicas_.set_listener(&coordinators_);
  replicas_.set_txn_listener(&coordinator_);
}

void Broker::on_start(sim::Context& ctx) {
  clean_marker_ = ctx.disk().open("meta/clean-shutdown");
  pid_file_ = ctx.disk().open("meta/producer-id-block");
  // Kafka's .kafka_cleanshutdown marker; a broker with no logs yet has nothing to lose.
  bool has_logs = false;
  for (const std::string& f : ctx.disk().list()) has_logs |= log_files::partition_of_log(f).has_value();
  previous_clean_shutdown_ = !has_logs || ctx.disk().size(clean_marker_) > 0;
  ctx.disk().remove(clean_marker_);
  if (auto blocks = ctx.disk().read(pid_file_); !blocks.empty()) {
    next_producer_id_ = static_cast<const Marker&>(*blocks.back()).value;
  }
  // Kafka draws a random incarnation Uuid; the start's instant is as unique here (a node
  // cannot start twice in one instant) and leaves the broker's random stream alone.
  incarnation_id_ = static_cast<uint64_t>(ctx.now().ns) + 1;
  replicas_.load_logs(ctx);
  ctx.trace(event::BrokerStart{.broker = id_, .clean_shutdown = previous_clean_shutdown_});
  register_with_controller(ctx);
  ctx.set_timer(scheduler_period(config_.integer("replica.lag.time.max.ms") / 2).value_or(sim::Duration{0}), tag(BrokerTimer::isr_check));
  ctx.set_timer(scheduler_period(config_.integer("replica.high.watermark.checkpoint.interval.ms")).value_or(sim::Duration{0}),
                tag(BrokerTimer::hw_checkpoint));
  if (config_.integer("flush.ms") < std::numeric_limits<int64_t>::max()) arm_flush_check(ctx);
  ctx.set_timer(GroupCoordinator::kTickEvery, tag(BrokerTimer::group_tick));
}

void Broker::on_shutdown(sim::Context& ctx) {
  // Controlled shutdown: ask the controller to move leadership away, then exit.
  shutting_down_ = true;
  ctx.trace(event::BrokerControlledShutdown{.broker = id_});
  if (registered_) send_heartbeat(ctx);
  ctx.set_timer(sim::Duration::seconds(15), tag(BrokerTimer::shutdown_deadline));
}

void Broker::shut_down(sim::Context& ctx) {
  ctx.disk().replace(clean_marker_, {std::make_shared<Marker>(1)});
  ctx.exit();
}

void Broker::arm_flush_check(sim::Context& ctx) {
  if (flush_check_armed_) return;
  flush_check_armed_ = true;
  ctx.set_timer(sim::Duration::seconds(1), tag(BrokerTimer::flush_check));
}

// ---- the controller ----

void Broker::register_with_controller(sim::Context& ctx) {
  auto req = std::make_shared<BrokerRegistrationRequest>();
  req->broker_id = id_;
  req->rack = rack_;
  req->previous_clean_shutdown = previous_clean_shutdown_;
  req->incarnation_id = incarnation_id_;
  ctx.send(layout_.controller, req);
}

void Broker::send_heartbeat(sim::Context& ctx) {
  auto req = std::make_shared<BrokerHeartbeatRequest>();
  req->broker_id = id_;
  req->broker_epoch = broker_epoch_;
  req->current_metadata_offset = image_.offset;
  req->want_shutdown = shutting_down_;
  ctx.send(layout_.controller, req);
}

void Broker::fetch_metadata(sim::Context& ctx) {
  if (metadata_in_flight_) return;
  metadata_in_flight_ = true;
  auto req = std::make_shared<MetadataFetchRequest>();
  req->broker_id = id_;
  req->fetch_offset = image_.offset;
  ctx.send(layout_.controller, req);
}

void Broker::handle_metadata(sim::Context& ctx, const MetadataFetchResponse& resp) {
  metadata_in_flight_ = false;
  if (resp.base_offset == image_.offset) {
    // Roles follow the image once the whole batch is applied, as KRaft brokers publish a
    // caught-up image; a replaying broker never acts on a stale intermediate state.
    std::set<TopicPartition> changed;
    for (const MetadataRecord& rec : resp.records) {
      if (const PartitionState* s = image_.apply(rec)) changed.insert({s->topic, s->partition});
      // A topic that flushes by time though the broker does not.
      if (rec.type == MetadataRecord::Type::topic && rec.flush_ms >= 0) arm_flush_check(ctx);
    }
    for (const TopicPartition& tp : changed) replicas_.apply_partition(ctx, *image_.partition(tp.topic, tp.partition));
    // Caught up with the log since registering: tell the controller now rather than at the
    // next heartbeat, so it can unfence us (BrokerLifecycleManager does the same).
    if (fenced_ && registered_ && !resp.records.empty()) send_heartbeat(ctx);
  }
  fetch_metadata(ctx);
}

void Broker::handle_heartbeat_response(sim::Context& ctx, const BrokerHeartbeatResponse& hb) {
  if (hb.error == Error::STALE_BROKER_EPOCH) {
    registered_ = false;
    register_with_controller(ctx);
    return;
  }
  fenced_ = hb.is_fenced;
  if (!fenced_ && !listening_) {
    // BrokerLifecycleManager completes initialUnfenceFuture, and BrokerServer.startup goes on
    // to SocketServer.enableRequestProcessing: clients and other brokers can connect now, and
    // what they reach is served from an image at least as new as the registration.
    listening_ = true;
    ctx.trace(event::BrokerListening{.broker = id_, .metadata_offset = image_.offset});
  }
  if (shutting_down_ && hb.should_shutdown) shut_down(ctx);
}

void Broker::handle_registration_response(sim::Context& ctx, const BrokerRegistrationResponse& reg) {
  if (reg.error != Error::NONE) {
    ctx.trace(event::BrokerRegistrationRejected{.broker = id_, .error = error_name(reg.error)});
    ctx.set_timer(loop_interval(config_.integer("broker.heartbeat.interval.ms")), tag(BrokerTimer::controller_retry));
    return;
  }
  const bool first = !registered_;
  registered_ = true;
  broker_epoch_ = reg.broker_epoch;
  replicas_.set_broker_epoch(broker_epoch_);
  if (first) {
    ctx.set_timer(loop_interval(config_.integer("broker.heartbeat.interval.ms")), tag(BrokerTimer::heartbeat));
    fetch_metadata(ctx);
  }
  send_heartbeat(ctx);
}

// ---- client requests served from the metadata image ----

void Broker::handle_metadata_request(sim::Context& ctx, sim::NodeId from, const MetadataRequest& req) {
  auto resp = std::make_shared<MetadataResponse>();
  resp->correlation_id = req.correlation_id;
  for (const auto& [b, info] : image_.brokers)
    if (!info.fenced) resp->brokers.push_back(b);
  for (const std::string& name : req.topics) {
    if (image_.topics.count(name)) continue;
    resp->topics.push_back(MetadataResponse::Topic{name, Error::UNKNOWN_TOPIC_OR_PARTITION, {}});
    if (req.allow_auto_topic_creation && config_.boolean("auto.create.topics.enable")) maybe_auto_create(ctx, name);
  }
  for (const auto& [name, topic] : image_.topics) {
    MetadataResponse::Topic t;
    t.name = name;
    for (int32_t p = 0; p < topic.partitions; ++p) {
      const PartitionState* s = image_.partition(name, p);
      if (!s) continue;
      t.partitions.push_back({p, s->leader == kNoLeader ? Error::LEADER_NOT_AVAILABLE : Error::NONE, s->leader,
                              s->leader_epoch, s->replicas, s->isr});
    }
    resp->topics.push_back(std::move(t));
  }
  ctx.send(from, resp);
}

void Broker::maybe_auto_create(sim::Context& ctx, const std::string& topic) {
  // With the broker's num.partitions and default.replication.factor.
  if (!auto_creating_.insert(topic).second) return;
  auto create = std::make_shared<CreateTopicsRequest>();
  create->topic = topic;
  create->partitions = static_cast<int32_t>(config_.integer("num.partitions"));
  create->replication_factor = static_cast<int32_t>(config_.integer("default.replication.factor"));
  ctx.trace(event::BrokerAutoCreateRequest{.topic = topic});
  ctx.send(layout_.controller, create);
}

int64_t Broker::generate_producer_id(sim::Context& ctx) {
  // Producer ids come from a durable per-broker block, unique across brokers (Kafka gets
  // blocks from the controller; see docs/fidelity.md).
  const int64_t id = static_cast<int64_t>(id_) * 1'000'000'000LL + next_producer_id_;
  ++next_producer_id_;
  ctx.disk().replace(pid_file_, {std::make_shared<Marker>(next_producer_id_)});
  return id;
}

void Broker::handle_init_producer_id(sim::Context& ctx, sim::NodeId from, const InitProducerIdRequest& req) {
  // With a transactional id, the id's transaction coordinator answers (KafkaApis).
  if (!req.transactional_id.empty()) return txn_coordinator_.handle_init_producer_id(ctx, from, req);
  auto resp = std::make_shared<InitProducerIdResponse>();
  resp->correlation_id = req.correlation_id;
  resp->producer_id = generate_producer_id(ctx);
  resp->producer_epoch = 0;
  ctx.send(from, resp);
}

// ---- dispatch ----

void Broker::refuse(sim::Context& ctx, sim::NodeId from, const KafkaMessage& request) {
  // A restarted broker's image starts empty and its registration may wait for the previous
  // incarnation's session to expire: answering from that image would tell a producer
  // UNKNOWN_TOPIC_OR_PARTITION, a follower NOT_LEADER_OR_FOLLOWER, a member NOT_COORDINATOR,
  // for as long as broker.session.timeout.ms. Kafka's broker has no listener open then; the
  // client's connect fails and it retries elsewhere or later, as after a crash.
  ctx.trace(event::BrokerRequestRefused{.broker = id_, .from = ctx.name_of(from), .request = request.name()});
  ctx.close_connection(from);
}

void Broker::on_message(sim::Context& ctx, sim::NodeId from, const sim::MessagePtr& msg) {
  const KafkaMessage& m = kafka_message(msg);
  if (!listening_ && !m.is_response()) return refuse(ctx, from, m);
  switch (route(m)) {
    case route_of<FetchRequest>: replicas_.handle_fetch(ctx, from, std::static_pointer_cast<const FetchRequest>(msg)); break;
    case route_of<FetchResponse>:
      replicas_.fetcher().handle_fetch_response(ctx, layout_.broker_of(from), message_as<FetchResponse>(m));
      break;
    case route_of<ProduceRequest>: replicas_.handle_produce(ctx, from, message_as<ProduceRequest>(m)); break;
    case route_of<MetadataFetchResponse>: handle_metadata(ctx, message_as<MetadataFetchResponse>(m)); break;
    case route_of<MetadataRequest>: handle_metadata_request(ctx, from, message_as<MetadataRequest>(m)); break;
    case route_of<AlterPartitionResponse>: replicas_.handle_alter_partition_response(ctx, message_as<AlterPartitionResponse>(m)); break;
    case route_of<BrokerHeartbeatResponse>: handle_heartbeat_response(ctx, message_as<BrokerHeartbeatResponse>(m)); break;
    case route_of<BrokerRegistrationResponse>: handle_registration_response(ctx, message_as<BrokerRegistrationResponse>(m)); break;
    case route_of<CreateTopicsResponse>: auto_creating_.erase(message_as<CreateTopicsResponse>(m).topic); break;
    case route_of<InitProducerIdRequest>: handle_init_producer_id(ctx, from, message_as<InitProducerIdRequest>(m)); break;
    case route_of<OffsetsForLeaderEpochRequest>:
      replicas_.handle_offsets_for_leader_epoch(ctx, from, message_as<OffsetsForLeaderEpochRequest>(m));
      break;
    case route_of<OffsetsForLeaderEpochResponse>:
      replicas_.fetcher().handle_epoch_response(ctx, message_as<OffsetsForLeaderEpochResponse>(m));
      break;
    case route_of<ListOffsetsRequest>: replicas_.handle_list_offsets(ctx, from, message_as<ListOffsetsRequest>(m)); break;
    case route_of<FindCoordinatorRequest>: {
      const auto& req = message_as<FindCoordinatorRequest>(m);
      if (req.key_type == CoordinatorType::transaction) txn_coordinator_.handle_find_coordinator(ctx, from, req);
      else coordinator_.handle_find_coordinator(ctx, from, req);
      break;
    }
    case route_of<JoinGroupRequest>: coordinator_.handle_join_group(ctx, from, message_as<JoinGroupRequest>(m)); break;
    case route_of<SyncGroupRequest>: coordinator_.handle_sync_group(ctx, from, message_as<SyncGroupRequest>(m)); break;
    case route_of<HeartbeatRequest>: coordinator_.handle_heartbeat(ctx, from, message_as<HeartbeatRequest>(m)); break;
    case route_of<LeaveGroupRequest>: coordinator_.handle_leave_group(ctx, from, message_as<LeaveGroupRequest>(m)); break;
    case route_of<OffsetCommitRequest>: coordinator_.handle_offset_commit(ctx, from, message_as<OffsetCommitRequest>(m)); break;
    case route_of<OffsetFetchRequest>: coordinator_.handle_offset_fetch(ctx, from, message_as<OffsetFetchRequest>(m)); break;
    case route_of<AddPartitionsToTxnRequest>: txn_coordinator_.handle_add_partitions(ctx, from, message_as<AddPartitionsToTxnRequest>(m)); break;
    case route_of<AddOffsetsToTxnRequest>: txn_coordinator_.handle_add_offsets(ctx, from, message_as<AddOffsetsToTxnRequest>(m)); break;
    case route_of<EndTxnRequest>: txn_coordinator_.handle_end_txn(ctx, from, message_as<EndTxnRequest>(m)); break;
    case route_of<WriteTxnMarkersResponse>:
      txn_coordinator_.handle_write_txn_markers_response(ctx, message_as<WriteTxnMarkersResponse>(m));
      break;
    case route_of<WriteTxnMarkersRequest>: replicas_.handle_write_txn_markers(ctx, from, message_as<WriteTxnMarkersRequest>(m)); break;
    case route_of<AddPartitionsToTxnResponse>: replicas_.handle_verification_response(ctx, message_as<AddPartitionsToTxnResponse>(m)); break;
    case route_of<TxnOffsetCommitRequest>: coordinator_.handle_txn_offset_commit(ctx, from, message_as<TxnOffsetCommitRequest>(m)); break;
    default: unexpected_message("a broker", m);
  }
}

void Broker::on_timer(sim::Context& ctx, uint64_t t) {
  switch (sim::timer_kind<BrokerTimer>(t)) {
    case BrokerTimer::heartbeat:
      if (registered_) send_heartbeat(ctx);
      ctx.set_timer(loop_interval(config_.integer("broker.heartbeat.interval.ms")), tag(BrokerTimer::heartbeat));
      break;
    case BrokerTimer::isr_check:
      replicas_.maybe_shrink_isr(ctx);
      if (auto period = scheduler_period(config_.integer("replica.lag.time.max.ms") / 2)) ctx.set_timer(*period, t);
      break;
    case BrokerTimer::hw_checkpoint:
      replicas_.checkpoint_high_watermarks();
      if (auto period = scheduler_period(config_.integer("replica.high.watermark.checkpoint.interval.ms"))) ctx.set_timer(*period, t);
      break;
    case BrokerTimer::flush_check:
      replicas_.flush_by_time(ctx);
      ctx.set_timer(sim::Duration::seconds(1), t);
      break;
    case BrokerTimer::controller_retry:
      if (!registered_) register_with_controller(ctx);
      else fetch_metadata(ctx);
      break;
    case BrokerTimer::shutdown_deadline: shut_down(ctx); break;
    case BrokerTimer::group_tick:
      coordinator_.tick(ctx);
      ctx.set_timer(GroupCoordinator::kTickEvery, t);
      break;
    case BrokerTimer::delayed: replicas_.purgatory().expire(ctx, sim::timer_id(t)); break;
    case BrokerTimer::fetcher_backoff: replicas_.fetcher().resume(ctx, static_cast<BrokerId>(sim::timer_id(t))); break;
    case BrokerTimer::group_join: coordinator_.complete_due_joins(ctx); break;
    case BrokerTimer::txn_load:
    case BrokerTimer::txn_abort_check:
    case BrokerTimer::txn_markers: txn_coordinator_.on_timer(ctx, sim::timer_kind<BrokerTimer>(t), sim::timer_id(t)); break;
    case BrokerTimer::txn_verify_timeout: replicas_.verification_timed_out(ctx, static_cast<int32_t>(sim::timer_id(t))); break;
  }
}

void Broker::on_disconnect(sim::Context& ctx, sim::NodeId peer) {
  if (peer == layout_.controller) {
    // Whatever was in flight to the controller is lost: resend after a pause.
    metadata_in_flight_ = false;
    auto_creating_.clear();
    replicas_.controller_lost();
    ctx.set_timer(sim::Duration::millis(config_.integer("replica.fetch.backoff.ms")), tag(BrokerTimer::controller_retry));
    return;
  }
  const BrokerId b = layout_.broker_of(peer);
  if (b == kNoLeader) return;
  replicas_.fetcher().leader_failed(ctx, b);
  txn_coordinator_.on_disconnect(ctx, b);  // markers in flight to it are sent again
  replicas_.verification_coordinator_lost(ctx, b);
}

std::string Broker::invariants() const {
  if (std::string broken = replicas_.invariants(); !broken.empty()) return broken;
  if (std::string broken = txn_coordinator_.invariants(); !broken.empty()) return broken;
  return coordinator_.invariants();
}

}  // namespace kafka
