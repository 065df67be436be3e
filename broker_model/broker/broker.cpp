#include "broker_model/broker/broker.hpp"
#include "broker_model/config/periods.hpp"
#include "broker_model/log/log_files.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

namespace kafka {

namespace {
struct Marker final : sim::DiskEntry {
  int64_t value;
  explicit Marker(int64_t v) : value(v) {}
  uint32_t size_bytes() const override { return 8; }
};

std::string ids(const std::vector<BrokerId>& v) {
  std::string s;
  for (BrokerId b : v) s += (s.empty() ? "" : ",") + std::to_string(b);
  return s;
}
}  // namespace

TruncationMode truncation_mode_for(const std::string& ibp) {
  auto v = KafkaVersion::parse(ibp);
  if (!v) return TruncationMode::fetch_diverging;
  if (*v < KafkaVersion{0, 11}) return TruncationMode::high_watermark;
  if (*v < KafkaVersion{2, 0}) return TruncationMode::epoch_v0;
  if (*v < KafkaVersion{2, 7}) return TruncationMode::epoch_v1;
  return TruncationMode::fetch_diverging;
}

Broker::Broker(BrokerId id, std::string rack, ClusterLayout layout, ConfigSet config, Bugs bugs)
    : id_(id),
      rack_(std::move(rack)),
      layout_(std::move(layout)),
      config_(std::move(config)),
      truncation_(truncation_mode_for(config_.string("inter.broker.protocol.version"))),
      bugs_(bugs),
      lag_max_(sim::Duration::millis(config_.integer("replica.lag.time.max.ms"))),
      fetch_wait_ms_(static_cast<int32_t>(config_.integer("replica.fetch.wait.max.ms"))),
      fetch_min_bytes_(static_cast<int32_t>(config_.integer("replica.fetch.min.bytes"))) {}

const Replica* Broker::replica(const std::string& topic, int32_t p) const {
  auto it = replicas_.find({topic, p});
  return it == replicas_.end() ? nullptr : &it->second;
}

Replica& Broker::replica_for(sim::Context& ctx, const std::string& topic, int32_t p) {
  auto it = replicas_.find({topic, p});
  if (it != replicas_.end()) return it->second;
  auto log = std::make_unique<PartitionLog>(ctx.disk(), topic, p);
  return replicas_.emplace(TopicPartition{topic, p}, Replica(std::move(log))).first->second;
}

void Broker::load_logs(sim::Context& ctx) {
  // Every partition directory on disk is recovered at start, before any metadata arrives.
  for (const std::string& file : ctx.disk().list()) {
    const auto tp = log_files::partition_of_log(file);
    if (!tp) continue;
    Replica& r = replica_for(ctx, tp->topic, tp->partition);
    ctx.trace("log.recover", {{"topic", sim::Value(tp->topic)},
                              {"partition", sim::Value(tp->partition)},
                              {"leo", sim::Value(r.log->log_end_offset())},
                              {"hw", sim::Value(r.log->high_watermark())},
                              {"torn_batch_dropped", sim::Value(r.log->recovered_torn_batch())}});
  }
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
  load_logs(ctx);
  ctx.trace("broker.start", {{"broker", sim::Value(id_)}, {"clean_shutdown", sim::Value(previous_clean_shutdown_)}});
  register_with_controller(ctx);
  ctx.set_timer(scheduler_period(config_.integer("replica.lag.time.max.ms") / 2).value_or(sim::Duration{0}), kIsrCheck);
  ctx.set_timer(scheduler_period(config_.integer("replica.high.watermark.checkpoint.interval.ms")).value_or(sim::Duration{0}),
                kHwCheckpoint);
  if (config_.integer("flush.ms") < std::numeric_limits<int64_t>::max()) {
    flush_check_armed_ = true;
    ctx.set_timer(sim::Duration::seconds(1), kFlushCheck);
  }
  ctx.set_timer(sim::Duration::millis(50), kGroupTick);
}

void Broker::on_shutdown(sim::Context& ctx) {
  // Controlled shutdown: ask the controller to move leadership away, then exit.
  shutting_down_ = true;
  ctx.trace("broker.controlled_shutdown", {{"broker", sim::Value(id_)}});
  if (registered_) send_heartbeat(ctx);
  ctx.set_timer(sim::Duration::seconds(15), kShutdownDeadline);
}

// ---- controller ----

void Broker::register_with_controller(sim::Context& ctx) {
  registering_ = true;
  auto req = std::make_shared<BrokerRegistrationRequest>();
  req->broker_id = id_;
  req->rack = rack_;
  req->previous_clean_shutdown = previous_clean_shutdown_;
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
      if (rec.type == MetadataRecord::Type::topic && rec.flush_ms >= 0 && !flush_check_armed_) {
        flush_check_armed_ = true;  // a topic flushes by time though the broker does not
        ctx.set_timer(sim::Duration::seconds(1), kFlushCheck);
      }
    }
    for (const TopicPartition& tp : changed) apply_partition(ctx, *image_.partition(tp.topic, tp.partition));
    // Caught up with the log since registering: tell the controller now rather than at the
    // next heartbeat, so it can unfence us (BrokerLifecycleManager does the same).
    if (fenced_ && registered_ && !resp.records.empty()) send_heartbeat(ctx);
  }
  fetch_metadata(ctx);
}

void Broker::apply_partition(sim::Context& ctx, const PartitionState& s) {
  if (std::find(s.replicas.begin(), s.replicas.end(), id_) == s.replicas.end()) return;
  Replica& r = replica_for(ctx, s.topic, s.partition);
  r.replicas = s.replicas;
  if (s.leader == id_) {
    if (r.role != Replica::Role::leader || s.leader_epoch > r.leader_epoch) {
      become_leader(ctx, r, s);
    } else if (s.partition_epoch > r.partition_epoch && !r.pending_isr) {
      r.isr = s.isr;
      r.partition_epoch = s.partition_epoch;
      maybe_increment_hw(ctx, r);
    }
    return;
  }
  if (r.role != Replica::Role::follower || s.leader_epoch > r.leader_epoch || s.leader != r.leader) {
    become_follower(ctx, r, s);
  } else {
    r.partition_epoch = s.partition_epoch;
  }
}

void Broker::become_leader(sim::Context& ctx, Replica& r, const PartitionState& s) {
  const bool was_leader = r.role == Replica::Role::leader;
  r.role = Replica::Role::leader;
  r.leader = id_;
  r.leader_epoch = s.leader_epoch;
  r.partition_epoch = s.partition_epoch;
  r.isr = s.isr;
  r.pending_isr.reset();
  r.follower_state = Replica::FollowerState::idle;
  r.epoch_start_offset = r.log->log_end_offset();
  r.log->assign_epoch_start(s.leader_epoch, r.log->log_end_offset());
  // Kafka's Replica.resetReplicaState: followers' ends are unknown until they fetch; those in
  // the ISR count as caught up now.
  r.remotes.clear();
  for (BrokerId b : s.replicas) {
    if (b == id_) continue;
    RemoteReplica rr;
    rr.last_caught_up = r.in_isr(b) ? ctx.now() : sim::Time{0};
    r.remotes[b] = rr;
  }
  (void)was_leader;
  trace_state(ctx, "replica.leader", r);
  maybe_increment_hw(ctx, r);
  if (s.topic == kOffsetsTopic) load_groups(ctx, r);
}

void Broker::become_follower(sim::Context& ctx, Replica& r, const PartitionState& s) {
  const bool was_leader = r.role == Replica::Role::leader;
  r.role = Replica::Role::follower;
  r.leader = s.leader;
  r.leader_epoch = s.leader_epoch;
  r.partition_epoch = s.partition_epoch;
  r.isr = s.isr;
  r.pending_isr.reset();
  r.remotes.clear();
  trace_state(ctx, "replica.follower", r);
  if (was_leader) complete_delayed_produces(ctx);  // they now fail with NOT_LEADER_OR_FOLLOWER
  if (was_leader && s.topic == kOffsetsTopic) {
    complete_group_writes(ctx);
    unload_groups(ctx, s.partition);
  }
  if (s.leader == kNoLeader) {
    r.follower_state = Replica::FollowerState::idle;
    return;
  }
  if (bugs_.follower_skips_truncation) {
    r.follower_state = Replica::FollowerState::fetching;
    start_fetching(ctx, s.leader);
    return;
  }
  switch (truncation_) {
    case TruncationMode::high_watermark:
      // Before KIP-101 a new follower cut its log back to its own high watermark.
      truncate(ctx, r, r.log->high_watermark(), "truncate-to-high-watermark");
      r.follower_state = Replica::FollowerState::fetching;
      break;
    case TruncationMode::epoch_v0:
    case TruncationMode::epoch_v1:
      r.follower_state = Replica::FollowerState::truncating;
      ask_leader_epoch(ctx, r);
      break;
    case TruncationMode::fetch_diverging:
      r.follower_state = Replica::FollowerState::fetching;
      break;
  }
  start_fetching(ctx, s.leader);
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
    if (!req.allow_auto_topic_creation || !config_.boolean("auto.create.topics.enable")) continue;
    // AutoTopicCreationManager: one CreateTopics per topic at a time, with the broker's
    // num.partitions and default.replication.factor.
    if (!auto_creating_.insert(name).second) continue;
    auto create = std::make_shared<CreateTopicsRequest>();
    create->topic = name;
    create->partitions = static_cast<int32_t>(config_.integer("num.partitions"));
    create->replication_factor = static_cast<int32_t>(config_.integer("default.replication.factor"));
    ctx.trace("broker.auto_create_request", {{"topic", sim::Value(name)}});
    ctx.send(layout_.controller, create);
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

void Broker::handle_init_producer_id(sim::Context& ctx, sim::NodeId from, const InitProducerIdRequest& req) {
  // Producer ids come from a durable per-broker block, unique across brokers (Kafka gets
  // blocks from the controller; see docs/fidelity.md).
  auto resp = std::make_shared<InitProducerIdResponse>();
  resp->correlation_id = req.correlation_id;
  resp->producer_id = static_cast<int64_t>(id_) * 1'000'000'000LL + next_producer_id_;
  resp->producer_epoch = 0;
  ++next_producer_id_;
  ctx.disk().replace(pid_file_, {std::make_shared<Marker>(next_producer_id_)});
  ctx.send(from, resp);
}

int64_t Broker::min_isr(const std::string& topic) const {
  auto it = image_.topics.find(topic);
  int64_t v = config_.integer("min.insync.replicas");
  if (it != image_.topics.end() && it->second.min_insync_replicas >= 0) v = it->second.min_insync_replicas;
  return v;
}

int64_t Broker::flush_messages(const std::string& topic) const {
  auto it = image_.topics.find(topic);
  if (it != image_.topics.end() && it->second.flush_messages >= 0) return it->second.flush_messages;
  return config_.integer("flush.messages");
}

int64_t Broker::flush_ms(const std::string& topic) const {
  auto it = image_.topics.find(topic);
  if (it != image_.topics.end() && it->second.flush_ms >= 0) return it->second.flush_ms;
  return config_.integer("flush.ms");
}

void Broker::maybe_flush(sim::Context& ctx, Replica& r) {
  if (r.log->unflushed_messages() >= static_cast<uint64_t>(flush_messages(r.log->topic()))) {
    r.log->flush();
    r.log->set_last_flush_ms(ctx.now().ns / 1'000'000);
  }
}

void Broker::trace_state(sim::Context& ctx, const char* kind, const Replica& r) {
  ctx.trace(kind, {{"topic", sim::Value(r.log->topic())},
                   {"partition", sim::Value(r.log->partition())},
                   {"leader", sim::Value(r.leader)},
                   {"leader_epoch", sim::Value(r.leader_epoch)},
                   {"isr", sim::Value(ids(r.isr))},
                   {"leo", sim::Value(r.log->log_end_offset())},
                   {"hw", sim::Value(r.log->high_watermark())}});
}

// ---- dispatch ----

void Broker::on_message(sim::Context& ctx, sim::NodeId from, const sim::MessagePtr& msg) {
  const KafkaMessage& m = kafka_message(msg);
  switch (route(m)) {
    case route_of<FetchRequest>: handle_fetch(ctx, from, std::static_pointer_cast<const FetchRequest>(msg)); break;
    case route_of<FetchResponse>: handle_fetch_response(ctx, from, message_as<FetchResponse>(m)); break;
    case route_of<ProduceRequest>: handle_produce(ctx, from, message_as<ProduceRequest>(m)); break;
    case route_of<MetadataFetchResponse>: handle_metadata(ctx, message_as<MetadataFetchResponse>(m)); break;
    case route_of<MetadataRequest>: handle_metadata_request(ctx, from, message_as<MetadataRequest>(m)); break;
    case route_of<AlterPartitionResponse>: handle_alter_partition_response(ctx, message_as<AlterPartitionResponse>(m)); break;
    case route_of<BrokerHeartbeatResponse>: handle_heartbeat_response(ctx, message_as<BrokerHeartbeatResponse>(m)); break;
    case route_of<BrokerRegistrationResponse>: handle_registration_response(ctx, message_as<BrokerRegistrationResponse>(m)); break;
    case route_of<CreateTopicsResponse>: auto_creating_.erase(message_as<CreateTopicsResponse>(m).topic); break;
    case route_of<InitProducerIdRequest>: handle_init_producer_id(ctx, from, message_as<InitProducerIdRequest>(m)); break;
    case route_of<OffsetsForLeaderEpochRequest>:
      handle_offsets_for_leader_epoch(ctx, from, message_as<OffsetsForLeaderEpochRequest>(m));
      break;
    case route_of<OffsetsForLeaderEpochResponse>: handle_epoch_response(ctx, message_as<OffsetsForLeaderEpochResponse>(m)); break;
    case route_of<HeartbeatRequest>: handle_heartbeat(ctx, from, message_as<HeartbeatRequest>(m)); break;
    case route_of<OffsetCommitRequest>: handle_offset_commit(ctx, from, message_as<OffsetCommitRequest>(m)); break;
    case route_of<JoinGroupRequest>: handle_join_group(ctx, from, message_as<JoinGroupRequest>(m)); break;
    case route_of<SyncGroupRequest>: handle_sync_group(ctx, from, message_as<SyncGroupRequest>(m)); break;
    case route_of<FindCoordinatorRequest>: handle_find_coordinator(ctx, from, message_as<FindCoordinatorRequest>(m)); break;
    case route_of<OffsetFetchRequest>: handle_offset_fetch(ctx, from, message_as<OffsetFetchRequest>(m)); break;
    case route_of<ListOffsetsRequest>: handle_list_offsets(ctx, from, message_as<ListOffsetsRequest>(m)); break;
    case route_of<LeaveGroupRequest>: handle_leave_group(ctx, from, message_as<LeaveGroupRequest>(m)); break;
    default: unexpected_message("a broker", m);
  }
}

void Broker::handle_heartbeat_response(sim::Context& ctx, const BrokerHeartbeatResponse& hb) {
  if (hb.error == Error::STALE_BROKER_EPOCH) {
    registered_ = false;
    register_with_controller(ctx);
    return;
  }
  fenced_ = hb.is_fenced;
  if (shutting_down_ && hb.should_shutdown) {
    ctx.disk().replace(clean_marker_, {std::make_shared<Marker>(1)});
    ctx.exit();
  }
}

void Broker::handle_registration_response(sim::Context& ctx, const BrokerRegistrationResponse& reg) {
  registering_ = false;
  if (reg.error != Error::NONE) {
    ctx.trace("broker.registration_rejected", {{"broker", sim::Value(id_)}, {"error", sim::Value(error_name(reg.error))}});
    ctx.set_timer(loop_interval(config_.integer("broker.heartbeat.interval.ms")), kControllerRetry);
    return;
  }
  const bool first = !registered_;
  registered_ = true;
  broker_epoch_ = reg.broker_epoch;
  if (first) {
    ctx.set_timer(loop_interval(config_.integer("broker.heartbeat.interval.ms")), kHeartbeat);
    fetch_metadata(ctx);
  }
  send_heartbeat(ctx);
}

void Broker::on_timer(sim::Context& ctx, uint64_t tag) {
  if (tag >= kGroupWriteTag) {
    auto it = group_writes_.find(tag - kGroupWriteTag);
    if (it == group_writes_.end()) return;
    GroupWrite w = std::move(it->second);
    group_writes_.erase(it);
    w.done(ctx, Error::REQUEST_TIMED_OUT);
    return;
  }
  if (tag >= kFetcherBackoffTag) {
    resume_fetcher(ctx, static_cast<BrokerId>(tag - kFetcherBackoffTag));
    return;
  }
  if (tag >= kParkedFetchTag) {
    auto it = parked_.find(tag - kParkedFetchTag);
    if (it == parked_.end()) return;
    ParkedFetch p = it->second;
    parked_.erase(it);
    respond_fetch(ctx, p.from, *p.request);
    return;
  }
  if (tag >= kDelayedProduceTag) {
    finish_delayed(ctx, tag - kDelayedProduceTag, true);
    return;
  }
  switch (tag) {
    case kHeartbeat:
      if (registered_) send_heartbeat(ctx);
      ctx.set_timer(loop_interval(config_.integer("broker.heartbeat.interval.ms")), kHeartbeat);
      break;
    case kIsrCheck:
      check_isr_shrink(ctx);
      if (auto period = scheduler_period(config_.integer("replica.lag.time.max.ms") / 2)) ctx.set_timer(*period, kIsrCheck);
      break;
    case kHwCheckpoint:
      for (auto& [key, r] : replicas_) r.log->checkpoint_hw();
      if (auto period = scheduler_period(config_.integer("replica.high.watermark.checkpoint.interval.ms"))) {
        ctx.set_timer(*period, kHwCheckpoint);
      }
      break;
    case kFlushCheck: {
      const int64_t now_ms = ctx.now().ns / 1'000'000;
      for (auto& [key, r] : replicas_) {
        if (r.log->unflushed_messages() > 0 && now_ms - r.log->last_flush_ms() >= flush_ms(r.log->topic())) {
          r.log->flush();
          r.log->set_last_flush_ms(now_ms);
        }
      }
      ctx.set_timer(sim::Duration::seconds(1), kFlushCheck);
      break;
    }
    case kControllerRetry:
      if (!registered_) register_with_controller(ctx);
      else fetch_metadata(ctx);
      break;
    case kGroupTick:
      group_tick(ctx);
      break;
    case kShutdownDeadline:
      ctx.disk().replace(clean_marker_, {std::make_shared<Marker>(1)});
      ctx.exit();
      break;
    default: break;
  }
}

void Broker::on_disconnect(sim::Context& ctx, sim::NodeId peer) {
  if (peer == layout_.controller) {
    // Whatever was in flight to the controller is lost: resend after a pause.
    metadata_in_flight_ = false;
    registering_ = false;
    auto_creating_.clear();
    for (auto& [key, r] : replicas_) r.pending_isr.reset();
    ctx.set_timer(sim::Duration::millis(config_.integer("replica.fetch.backoff.ms")), kControllerRetry);
    return;
  }
  const BrokerId b = layout_.broker_of(peer);
  if (b != kNoLeader) fetcher_failed(ctx, b);
}

}  // namespace kafka
