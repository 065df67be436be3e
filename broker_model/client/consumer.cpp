#include "broker_model/client/consumer.hpp"

#include <fmt/format.h>

#include "broker_model/client/consumer_timers.hpp"
#include "broker_model/config/periods.hpp"

namespace kafka {

namespace {
CoordinatorSettings coordinator_settings(const std::string& member, const ConfigSet& config, const ConsumerApp& app,
                                         const Bugs& bugs) {
  CoordinatorSettings s;
  s.member = member;
  s.group_id = config.string("group.id");
  if (!config.string("group.instance.id").empty()) s.group_instance_id = config.string("group.instance.id");
  s.auto_commit = app.policy == CommitPolicy::kafka_auto;
  // exactly_once_v2 commits offsets only in its transactions, never on their own.
  s.on_revoke = app.exactly_once() ? RevocationCommit::nothing : revocation_commit(app.policy);
  s.commit_fetch_position = bugs.consumer_commits_fetched;
  return s;
}
}  // namespace

std::string hosted_producer_client_id(const std::string& member_name) { return member_name + "-producer"; }

Consumer::Consumer(std::string member_name, ClusterLayout layout, ConfigSet config, ConsumerApp app, uint64_t first_op,
                   Bugs bugs, uint64_t producer_first_op, TaskProducers::FirstOp task_first_op)
    : config_(std::move(config)),
      client_(layout),
      metadata_(client_, config_, app.topics),
      coordinator_(coordinator_settings(member_name, config_, app, bugs), client_, config_, subscriptions_, metadata_,
                   buffer_),
      offset_fetcher_(client_, config_, subscriptions_, metadata_, buffer_, coordinator_.trace()),
      fetcher_(client_, config_, subscriptions_, metadata_, offset_fetcher_, buffer_, coordinator_.trace(),
               bugs.consumer_drops_txn_record),
      app_(std::move(app), config_, first_op, bugs, subscriptions_, coordinator_, fetcher_, offset_fetcher_, buffer_),
      producer_spec_{hosted_producer_client_id(member_name), std::move(layout), producer_first_op, bugs} {
  if (app_.settings().producer_per_task()) {
    tasks_ = std::make_unique<TaskProducers>(member_name, producer_spec_.layout, *app_.settings().producer,
                                             std::move(task_first_op), bugs);
    app_.attach_tasks(tasks_.get());
  } else if (app_.settings().producer) {
    producer_ = make_producer(*app_.settings().producer);
  }
  app_.attach(producer_.get(), [this](sim::Context& ctx) { return start_default_producer(ctx); });
}

std::unique_ptr<Producer> Consumer::make_producer(const ConfigSet& config) const {
  const ProducerHost host{.timer_base = sim::timer_tag(ConsumerTimer::producer),
                          .first_correlation_id = kHostedProducerCorrelationIds,
                          .own_rng = true};
  return std::make_unique<Producer>(producer_spec_.client_id, producer_spec_.layout, config, producer_spec_.first_op,
                                    producer_spec_.bugs, host);
}

Producer* Consumer::start_default_producer(sim::Context& ctx) {
  // Spring's DefaultKafkaProducerFactory creates its producer at the template's first send.
  SIM_ASSERT(!producer_, "the process already hosts a producer");
  ConfigSet config(ConfigScope::producer, config_.version());
  const std::string error = finalize_producer(config);
  SIM_ASSERT(error.empty(), "Kafka's producer defaults are valid");
  producer_ = make_producer(config);
  producer_->on_start(ctx);
  return producer_.get();
}

void Consumer::on_start(sim::Context& ctx) {
  coordinator_.start(ctx.now());
  app_.start(ctx.now());
  coordinator_.trace().emit<event::ConsumerStart>(
      ctx, fmt::format("policy {}, topics {}", to_string(app_.settings().policy), metadata_.subscribed_topics().size()));
  metadata_.request_update(ctx);
  coordinator_.find_coordinator(ctx);
  ctx.set_timer(loop_interval(config_.integer("heartbeat.interval.ms")), sim::timer_tag(ConsumerTimer::heartbeat));
  ctx.set_timer(loop_interval(config_.integer("metadata.max.age.ms")), sim::timer_tag(ConsumerTimer::metadata_refresh));
  ctx.set_timer(sim::Duration{0}, sim::timer_tag(ConsumerTimer::poll_tick));
  ctx.set_timer(sim::Duration::seconds(1), sim::timer_tag(ConsumerTimer::lag_report));
  if (producer_) producer_->on_start(ctx);
}

// ---- events ----

void Consumer::on_message(sim::Context& ctx, sim::NodeId from, const sim::MessagePtr& msg) {
  const KafkaMessage& m = kafka_message(msg);
  if (tasks_ && tasks_->on_message(ctx, from, msg)) {
    app_.on_producer_progress(ctx);
    return;
  }
  if (producer_ && for_producer(m)) {
    producer_->on_message(ctx, from, msg);
    app_.on_producer_progress(ctx);
    return;
  }
  switch (route(m)) {
    case route_of<FetchResponse>: handle_fetch(ctx, from, message_as<FetchResponse>(m)); break;
    case route_of<HeartbeatResponse>:
      if (coordinator_.handle_heartbeat(ctx, message_as<HeartbeatResponse>(m))) app_.on_rejoin_needed(ctx);
      break;
    case route_of<OffsetCommitResponse>: handle_commit_response(ctx, message_as<OffsetCommitResponse>(m)); break;
    case route_of<JoinGroupResponse>: coordinator_.handle_join(ctx, message_as<JoinGroupResponse>(m)); break;
    case route_of<SyncGroupResponse>:
      if (coordinator_.handle_sync(ctx, message_as<SyncGroupResponse>(m))) app_.on_assigned(ctx);
      break;
    case route_of<MetadataResponse>: handle_metadata(ctx, message_as<MetadataResponse>(m)); break;
    case route_of<FindCoordinatorResponse>:
      if (coordinator_.handle_find_coordinator(ctx, message_as<FindCoordinatorResponse>(m))) app_.on_coordinator_found(ctx);
      break;
    case route_of<OffsetFetchResponse>: handle_offset_fetch(ctx, message_as<OffsetFetchResponse>(m)); break;
    case route_of<ListOffsetsResponse>:
      offset_fetcher_.handle_list_offsets(ctx, message_as<ListOffsetsResponse>(m));
      fetcher_.send_fetches(ctx);
      break;
    case route_of<OffsetsForLeaderEpochResponse>:
      offset_fetcher_.handle_epoch_response(ctx, message_as<OffsetsForLeaderEpochResponse>(m));
      fetcher_.send_fetches(ctx);
      break;
    case route_of<StoreResponse>: app_.on_store_response(ctx, message_as<StoreResponse>(m)); break;
    case route_of<LeaveGroupResponse>: break;  // the member already acted as having left (AbstractCoordinator logs it)
    default: unexpected_message("a consumer", m);
  }
  // What went wrong reaches the application through its poll().
  if (coordinator_.failed()) app_.on_fatal_error();
  if (offset_fetcher_.has_exception()) app_.on_exception_pending(ctx);
}

bool Consumer::for_producer(const KafkaMessage& m) const {
  switch (route(m)) {
    case route_of<ProduceResponse>:
    case route_of<InitProducerIdResponse>:
    case route_of<AddPartitionsToTxnResponse>:
    case route_of<AddOffsetsToTxnResponse>:
    case route_of<EndTxnResponse>:
    case route_of<TxnOffsetCommitResponse>: return true;
    case route_of<MetadataResponse>: return producer_->owns_correlation_id(message_as<MetadataResponse>(m).correlation_id);
    // The group's coordinator and the transactional id's are both looked up.
    case route_of<FindCoordinatorResponse>:
      return producer_->owns_correlation_id(message_as<FindCoordinatorResponse>(m).correlation_id);
    default: return false;
  }
}

void Consumer::handle_metadata(sim::Context& ctx, const MetadataResponse& resp) {
  offset_fetcher_.leaders_changed(metadata_.handle_response(resp));
  offset_fetcher_.validate_positions_if_needed(ctx);
  record_subscribe(ctx);
  metadata_.retry_if_incomplete(ctx);
  fetcher_.send_fetches(ctx);
}

void Consumer::handle_fetch(sim::Context& ctx, sim::NodeId from, const FetchResponse& resp) {
  const Fetcher::FetchOutcome outcome = fetcher_.handle_fetch(ctx, from, resp);
  if (outcome == Fetcher::FetchOutcome::ignored) return;
  if (outcome == Fetcher::FetchOutcome::records) app_.on_records_fetched(ctx);
  fetcher_.send_fetches(ctx);
}

void Consumer::handle_offset_fetch(sim::Context& ctx, const OffsetFetchResponse& resp) {
  const auto without_committed_offset = coordinator_.handle_offset_fetch(ctx, resp);
  if (!without_committed_offset) return;
  offset_fetcher_.reset_initializing_positions(ctx, *without_committed_offset);
  offset_fetcher_.validate_positions_if_needed(ctx);
  fetcher_.send_fetches(ctx);
}

void Consumer::handle_commit_response(sim::Context& ctx, const OffsetCommitResponse& resp) {
  const auto completion = coordinator_.handle_commit_response(ctx, resp);
  if (!completion) return;
  // A commitSync that throws FencedInstanceIdException ends the loop where it waits.
  if (coordinator_.failed() && !app_.handler_waits_for_commit()) app_.on_fatal_error();
  else app_.on_commit_completed(ctx, *completion);
}

void Consumer::on_timer(sim::Context& ctx, uint64_t tag) {
  if (sim::timer_kind<ConsumerTimer>(tag) == ConsumerTimer::app_every) {
    app_.on_listener_timer(ctx, sim::timer_id(tag));
    return;
  }
  if (sim::timer_kind<ConsumerTimer>(tag) == ConsumerTimer::task_producer) {
    SIM_ASSERT(tasks_ != nullptr, "a task producer's timer without task producers");
    tasks_->on_timer(ctx, sim::timer_id(tag));  // a closed producer's is dropped
    return;
  }
  if (sim::timer_kind<ConsumerTimer>(tag) == ConsumerTimer::producer) {
    SIM_ASSERT(producer_ != nullptr, "a producer timer without a producer");
    producer_->on_timer(ctx, sim::timer_id(tag));
    return;
  }
  SIM_ASSERT(sim::timer_id(tag) == 0, "consumer timers carry no id");
  switch (sim::timer_kind<ConsumerTimer>(tag)) {
    case ConsumerTimer::poll_tick: app_.on_poll_tick(ctx); break;
    case ConsumerTimer::process: app_.on_record_processed(ctx); break;
    case ConsumerTimer::heartbeat: coordinator_.heartbeat_tick(ctx, app_.waiting_in_poll(), app_.closing()); break;
    case ConsumerTimer::coordinator_retry: coordinator_.find_coordinator(ctx); break;
    case ConsumerTimer::commit_retry: coordinator_.retry_commit(ctx); break;
    case ConsumerTimer::metadata_retry: metadata_.request_update(ctx); break;
    case ConsumerTimer::position_retry: app_.on_position_retry(ctx); break;
    case ConsumerTimer::lag_report:
      fetcher_.report_lag(ctx);
      ctx.set_timer(sim::Duration::seconds(1), sim::timer_tag(ConsumerTimer::lag_report));
      break;
    case ConsumerTimer::metadata_refresh:
      metadata_.request_update(ctx);
      ctx.set_timer(loop_interval(config_.integer("metadata.max.age.ms")), sim::timer_tag(ConsumerTimer::metadata_refresh));
      break;
    case ConsumerTimer::shutdown_deadline: ctx.exit(); break;
    case ConsumerTimer::app_every: break;  // handled above
    case ConsumerTimer::listener_backoff: app_.on_listener_backoff(ctx); break;
    case ConsumerTimer::producer: break;       // handed over above
    case ConsumerTimer::task_producer: break;  // handed over above
  }
}

void Consumer::on_disconnect(sim::Context& ctx, sim::NodeId peer) {
  if (app_.is_store(peer)) {
    app_.store_connection_lost(ctx, peer);
    return;
  }
  const BrokerId broker = client_.broker_of(peer);
  metadata_.request_lost();
  fetcher_.connection_lost(broker);
  coordinator_.connection_lost(ctx, broker);
  offset_fetcher_.connection_lost(ctx, broker);
  metadata_.request_update(ctx);
  if (producer_ && broker != kNoLeader) producer_->on_disconnect(ctx, peer);
  if (tasks_ && broker != kNoLeader) tasks_->on_disconnect(ctx, peer);
}

void Consumer::on_shutdown(sim::Context& ctx) { app_.close(ctx); }

// ---- the KafkaConsumer API the application uses ----

bool Consumer::seek(sim::Context& ctx, const TopicPartition& tp, int64_t offset) { return app_.seek(ctx, tp, offset); }

bool Consumer::send(sim::Context& ctx, SendSpec spec, Producer::Callback done) {
  if (!producer_) return false;
  producer_->send(ctx, std::move(spec), std::move(done));
  return true;
}

bool Consumer::flush(sim::Context& ctx, std::function<void(sim::Context&)> done) {
  if (!producer_) return false;
  producer_->flush(ctx, std::move(done));
  return true;
}

void Consumer::record_subscribe(sim::Context& ctx) {
  // Jepsen's subscribe op names keys, so it goes into the history once metadata tells which
  // partitions the subscribed topics have.
  if (subscribe_recorded_) return;
  std::vector<TopicPartition> keys;
  for (const std::string& t : metadata_.subscribed_topics()) {
    const int32_t partitions = metadata_.partition_count(t);
    if (partitions == 0) return;
    for (int32_t p = 0; p < partitions; ++p) keys.push_back({t, p});
  }
  subscribe_recorded_ = true;
  const int64_t op = static_cast<int64_t>(app_.take_op());
  const std::string& member = coordinator_.trace().member();
  ctx.trace(event::OpInvoke{.process = member, .op = op, .f = "subscribe", .keys = partitions_text(keys)});
  ctx.trace(event::OpOk{.process = member, .op = op, .f = "subscribe"});
}

}  // namespace kafka
