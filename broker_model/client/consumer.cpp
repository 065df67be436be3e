#include "broker_model/client/consumer.hpp"
#include "broker_model/config/periods.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "broker_model/group/assignors.hpp"

namespace kafka {

namespace {

std::string tps_text(const std::vector<TopicPartition>& tps) {
  std::string s;
  for (const auto& tp : tps) s += (s.empty() ? "" : ",") + tp.to_string();
  return s;
}

bool contains(const std::vector<TopicPartition>& v, const TopicPartition& tp) {
  return std::find(v.begin(), v.end(), tp) != v.end();
}

bool retriable_commit_error(Error e) {
  return e == Error::COORDINATOR_NOT_AVAILABLE || e == Error::NOT_COORDINATOR || e == Error::REQUEST_TIMED_OUT ||
         e == Error::COORDINATOR_LOAD_IN_PROGRESS || e == Error::CLIENT_DISCONNECTED || e == Error::CLIENT_TIMEOUT;
}
}  // namespace

std::optional<CommitPolicy> parse_commit_policy(std::string_view n) {
  if (n == "auto") return CommitPolicy::kafka_auto;
  if (n == "after-process") return CommitPolicy::after_process;
  if (n == "async") return CommitPolicy::async;
  if (n == "before-process") return CommitPolicy::before_process;
  if (n == "RECORD") return CommitPolicy::record;
  if (n == "BATCH") return CommitPolicy::batch;
  if (n == "TIME") return CommitPolicy::time;
  if (n == "COUNT") return CommitPolicy::count;
  if (n == "COUNT_TIME") return CommitPolicy::count_time;
  if (n == "MANUAL") return CommitPolicy::manual;
  if (n == "MANUAL_IMMEDIATE") return CommitPolicy::manual_immediate;
  return std::nullopt;
}

std::string_view to_string(CommitPolicy p) {
  switch (p) {
    case CommitPolicy::kafka_auto: return "auto";
    case CommitPolicy::after_process: return "after-process";
    case CommitPolicy::async: return "async";
    case CommitPolicy::before_process: return "before-process";
    case CommitPolicy::record: return "RECORD";
    case CommitPolicy::batch: return "BATCH";
    case CommitPolicy::time: return "TIME";
    case CommitPolicy::count: return "COUNT";
    case CommitPolicy::count_time: return "COUNT_TIME";
    case CommitPolicy::manual: return "MANUAL";
    case CommitPolicy::manual_immediate: return "MANUAL_IMMEDIATE";
  }
  return "?";
}

Consumer::Consumer(std::string member_name, ClusterLayout layout, ConfigSet config, ConsumerApp app, GroupLedger& ledger,
                   Bugs bugs)
    : name_(std::move(member_name)),
      layout_(std::move(layout)),
      config_(std::move(config)),
      app_(std::move(app)),
      ledger_(ledger),
      bugs_(bugs),
      group_id_(config_.string("group.id")) {
  if (!config_.string("group.instance.id").empty()) instance_id_ = config_.string("group.instance.id");
}

void Consumer::trace(sim::Context& ctx, const char* kind, const std::string& detail) {
  ctx.trace(kind, {{"member", sim::Value(name_)},
                   {"group", sim::Value(group_id_)},
                   {"member_id", sim::Value(member_id_)},
                   {"generation", sim::Value(generation_)},
                   {"detail", sim::Value(detail)}});
}

void Consumer::trace_partitions(sim::Context& ctx, const char* kind, const std::vector<TopicPartition>& partitions,
                                const char* why) {
  ctx.trace(kind, {{"member", sim::Value(name_)},
                   {"group", sim::Value(group_id_)},
                   {"generation", sim::Value(generation_)},
                   {"partitions", sim::Value(tps_text(partitions))},
                   {"detail", sim::Value(fmt::format("{} ({})", tps_text(partitions), why))}});
}

void Consumer::trace_position(sim::Context& ctx, const char* kind, const TopicPartition& tp, int64_t offset,
                              const std::string& detail) {
  ctx.trace(kind, {{"member", sim::Value(name_)},
                   {"group", sim::Value(group_id_)},
                   {"topic", sim::Value(tp.topic)},
                   {"partition", sim::Value(tp.partition)},
                   {"offset", sim::Value(offset)},
                   {"detail", sim::Value(detail)}});
}

void Consumer::on_start(sim::Context& ctx) {
  last_poll_ = ctx.now();
  last_commit_ = ctx.now();
  next_auto_commit_ = ctx.now() + sim::Duration::millis(config_.integer("auto.commit.interval.ms"));
  trace(ctx, "consumer.start", fmt::format("policy {}, topics {}", to_string(app_.policy), app_.topics.size()));
  request_metadata(ctx);
  find_coordinator(ctx);
  ctx.set_timer(loop_interval(config_.integer("heartbeat.interval.ms")), kHeartbeat);
  ctx.set_timer(loop_interval(config_.integer("metadata.max.age.ms")), kMetadataRefresh);
  ctx.set_timer(sim::Duration{0}, kPollTick);
  ctx.set_timer(sim::Duration::seconds(1), kLagReport);
}


// ---- metadata ----

void Consumer::request_metadata(sim::Context& ctx) {
  if (metadata_in_flight_) return;
  const auto brokers = layout_.broker_ids();
  metadata_in_flight_ = true;
  auto req = std::make_shared<MetadataRequest>();
  req->correlation_id = ++next_correlation_;
  req->topics = app_.topics;
  req->allow_auto_topic_creation = config_.boolean("allow.auto.create.topics");  // ConsumerMetadata
  ctx.send(layout_.node_of(brokers[next_bootstrap_++ % brokers.size()]), req);
}

void Consumer::handle_metadata(sim::Context& ctx, const MetadataResponse& resp) {
  metadata_in_flight_ = false;
  for (const auto& t : resp.topics) {
    if (t.error != Error::NONE) continue;  // not there (yet)
    auto& parts = topics_[t.name];
    const auto old = parts;
    parts.assign(t.partitions.size(), {kNoLeader, -1});
    for (const auto& p : t.partitions) {
      if (p.partition < 0 || static_cast<size_t>(p.partition) >= parts.size()) continue;
      if (static_cast<size_t>(p.partition) < old.size() &&
          stale_leader_epoch(old[static_cast<size_t>(p.partition)].second, p.leader_epoch)) {
        parts[static_cast<size_t>(p.partition)] = old[static_cast<size_t>(p.partition)];
        continue;
      }
      parts[static_cast<size_t>(p.partition)] = {p.error == Error::NONE ? p.leader : kNoLeader, p.leader_epoch};
      // KIP-320: a new leader epoch means the position must be checked for truncation.
      const TopicPartition tp{t.name, p.partition};
      if (static_cast<size_t>(p.partition) < old.size() && old[static_cast<size_t>(p.partition)].second >= 0 &&
          p.leader_epoch > old[static_cast<size_t>(p.partition)].second && contains(assignment_, tp)) {
        validate_position(ctx, tp);
      }
    }
  }
  record_subscribe(ctx);
  // A subscribed topic missing from metadata is asked for again until it appears.
  for (const std::string& t : app_.topics) {
    if (!topics_.count(t) || topics_.at(t).empty()) {
      ctx.set_timer(sim::Duration::millis(config_.integer("retry.backoff.ms")), kMetadataRetry);
      break;
    }
  }
  send_fetches(ctx);
}

void Consumer::record_subscribe(sim::Context& ctx) {
  // Jepsen's subscribe op names keys, so it goes into the history once metadata tells which
  // partitions the subscribed topics have.
  if (subscribe_recorded_) return;
  std::vector<TopicPartition> keys;
  for (const std::string& t : app_.topics) {
    auto it = topics_.find(t);
    if (it == topics_.end() || it->second.empty()) return;
    for (size_t p = 0; p < it->second.size(); ++p) keys.push_back({t, static_cast<int32_t>(p)});
  }
  subscribe_recorded_ = true;
  const int64_t op = ledger_.next_op++;
  ctx.trace("op.invoke", {{"process", sim::Value(name_)}, {"op", sim::Value(op)}, {"f", sim::Value("subscribe")},
                          {"keys", sim::Value(tps_text(keys))}});
  ctx.trace("op.ok", {{"process", sim::Value(name_)}, {"op", sim::Value(op)}, {"f", sim::Value("subscribe")}});
}

BrokerId Consumer::leader_of(const TopicPartition& tp) const {
  auto it = topics_.find(tp.topic);
  if (it == topics_.end() || tp.partition < 0 || static_cast<size_t>(tp.partition) >= it->second.size()) return kNoLeader;
  return it->second[static_cast<size_t>(tp.partition)].first;
}

int32_t Consumer::leader_epoch_of(const TopicPartition& tp) const {
  auto it = topics_.find(tp.topic);
  if (it == topics_.end() || tp.partition < 0 || static_cast<size_t>(tp.partition) >= it->second.size()) return -1;
  return it->second[static_cast<size_t>(tp.partition)].second;
}

// ---- the group ----

void Consumer::find_coordinator(sim::Context& ctx) {
  if (finding_coordinator_ || coordinator_ != kNoLeader) return;
  finding_coordinator_ = true;
  const auto brokers = layout_.broker_ids();
  auto req = std::make_shared<FindCoordinatorRequest>();
  req->correlation_id = ++next_correlation_;
  req->key = group_id_;
  ctx.send(layout_.node_of(brokers[next_bootstrap_++ % brokers.size()]), req);
}

void Consumer::coordinator_lost(sim::Context& ctx) {
  if (coordinator_ == kNoLeader && !finding_coordinator_) {
    find_coordinator(ctx);
    return;
  }
  if (coordinator_ == kNoLeader) return;
  trace(ctx, "consumer.coordinator_lost", fmt::format("broker {}", coordinator_));
  coordinator_ = kNoLeader;
  heartbeat_in_flight_ = false;
  if (group_state_ == GroupState::joining || group_state_ == GroupState::syncing) group_state_ = GroupState::unjoined;
  if (commit_) commit_->sent = false;
  ctx.set_timer(sim::Duration::millis(config_.integer("retry.backoff.ms")), kCoordinatorRetry);
}

bool Consumer::cooperative() const {
  // The client's protocol: the highest one every configured assignor supports.
  for (const std::string& a : config_.list("partition.assignment.strategy")) {
    const auto p = supported_protocols(a);
    if (std::find(p.begin(), p.end(), RebalanceProtocol::cooperative) == p.end()) return false;
  }
  return true;
}

void Consumer::reset_membership(sim::Context& ctx, bool forget_member_id) {
  generation_ = -1;
  last_assignment_.clear();  // a member outside the group has no claim to its old partitions
  if (forget_member_id) member_id_.clear();
  group_state_ = GroupState::unjoined;
  heartbeat_in_flight_ = false;
  (void)ctx;
}

void Consumer::revoke(sim::Context& ctx, const std::vector<TopicPartition>& partitions, const char* why) {
  if (partitions.empty()) return;
  trace_partitions(ctx, "consumer.revoked", partitions, why);
  for (const auto& tp : partitions) {
    positions_.erase(tp);
    buffers_.erase(tp);
    processed_.erase(tp);
  }
  std::vector<TopicPartition> keep;
  for (const auto& tp : assignment_)
    if (!contains(partitions, tp)) keep.push_back(tp);
  assignment_ = keep;
}

void Consumer::lose_partitions(sim::Context& ctx, const char* why) {
  if (assignment_.empty()) return;
  trace_partitions(ctx, "consumer.lost", assignment_, why);
  positions_.clear();
  buffers_.clear();
  processed_.clear();
  assignment_.clear();
}

void Consumer::prepare_rejoin(sim::Context& ctx) {
  // ConsumerCoordinator.onJoinPrepare: commit (auto-commit synchronously, or the application's
  // listener committing what it processed), then, with the eager protocol, give up everything.
  rebalance_started_ = ctx.now();
  std::vector<OffsetCommitRequest::Offset> offsets;
  if (generation_ >= 0) {
    if (app_.policy == CommitPolicy::kafka_auto) offsets = consumed_offsets();
    else if (app_.policy != CommitPolicy::before_process) offsets = processed_offsets(true);
  }
  if (!cooperative()) revoke(ctx, assignment_, "eager rebalance");
  if (!offsets.empty()) {
    commit(ctx, offsets, true, "on-revoke", Then::join);
    if (app_state_ == AppState::committing) return;  // the join is sent when the commit returns
  }
  send_join(ctx);
}

void Consumer::send_join(sim::Context& ctx) {
  group_state_ = GroupState::joining;
  auto req = std::make_shared<JoinGroupRequest>();
  req->correlation_id = join_correlation_ = ++next_correlation_;
  req->group_id = group_id_;
  req->member_id = member_id_;
  req->group_instance_id = instance_id_;
  req->session_timeout_ms = static_cast<int32_t>(config_.integer("session.timeout.ms"));
  req->rebalance_timeout_ms = static_cast<int32_t>(config_.integer("max.poll.interval.ms"));
  req->protocols = config_.list("partition.assignment.strategy");
  req->subscription.topics = app_.topics;
  req->subscription.owned = cooperative() ? assignment_ : last_assignment_;
  req->subscription.generation = generation_;
  ctx.send(coordinator_node(), req);
}

void Consumer::handle_join(sim::Context& ctx, const JoinGroupResponse& resp) {
  if (resp.correlation_id != join_correlation_ || group_state_ != GroupState::joining) return;
  switch (resp.error) {
    case Error::NONE: break;
    case Error::MEMBER_ID_REQUIRED:
      member_id_ = resp.member_id;
      send_join(ctx);
      return;
    case Error::UNKNOWN_MEMBER_ID:
    case Error::ILLEGAL_GENERATION:
      reset_membership(ctx, true);
      send_join(ctx);
      return;
    case Error::REBALANCE_IN_PROGRESS:
      send_join(ctx);
      return;
    case Error::NOT_COORDINATOR:
    case Error::COORDINATOR_NOT_AVAILABLE:
      coordinator_lost(ctx);
      return;
    default:
      trace(ctx, "consumer.fatal", std::string("JoinGroup: ") + std::string(error_name(resp.error)));
      group_state_ = GroupState::unjoined;
      app_state_ = AppState::closing;  // FENCED_INSTANCE_ID and the like end the application
      return;
  }
  member_id_ = resp.member_id;
  generation_ = resp.generation;
  protocol_ = resp.protocol;
  group_state_ = GroupState::syncing;
  auto req = std::make_shared<SyncGroupRequest>();
  req->correlation_id = sync_correlation_ = ++next_correlation_;
  req->group_id = group_id_;
  req->member_id = member_id_;
  req->group_instance_id = instance_id_;
  req->generation = generation_;
  if (resp.leader == member_id_) {
    // The leader runs the chosen assignor over every member's subscription.
    std::map<std::string, int32_t> partitions;
    std::vector<MemberSubscription> members;
    for (const auto& m : resp.members) {
      MemberSubscription s{m.member_id, m.group_instance_id, m.subscription.topics, {}, m.subscription.generation};
      for (const auto& tp : m.subscription.owned) s.owned.push_back({tp.topic, tp.partition});
      for (const auto& t : m.subscription.topics)
        if (topics_.count(t) && !topics_.at(t).empty()) partitions[t] = static_cast<int32_t>(topics_.at(t).size());
      members.push_back(std::move(s));
    }
    try {
      for (const auto& [member, tps] : assign(protocol_, partitions, members)) {
        std::vector<TopicPartition> a;
        for (const auto& tp : tps) a.push_back({tp.topic, tp.partition});
        req->assignments.emplace_back(member, a);
      }
    } catch (const std::exception& e) {
      trace(ctx, "consumer.assignor_failed", e.what());
    }
    trace(ctx, "consumer.leader", fmt::format("assigning with {} for {} members", protocol_, members.size()));
  }
  ctx.send(coordinator_node(), req);
}

void Consumer::handle_sync(sim::Context& ctx, const SyncGroupResponse& resp) {
  if (resp.correlation_id != sync_correlation_ || group_state_ != GroupState::syncing) return;
  switch (resp.error) {
    case Error::NONE: break;
    case Error::REBALANCE_IN_PROGRESS:
      send_join(ctx);
      return;
    case Error::UNKNOWN_MEMBER_ID:
    case Error::ILLEGAL_GENERATION:
      reset_membership(ctx, resp.error == Error::UNKNOWN_MEMBER_ID);
      lose_partitions(ctx, error_name(resp.error).data());
      send_join(ctx);
      return;
    default:
      coordinator_lost(ctx);
      return;
  }
  group_state_ = GroupState::stable;
  rejoin_ = false;
  left_for_poll_timeout_ = false;
  std::vector<TopicPartition> revoked, added;
  for (const auto& tp : assignment_)
    if (!contains(resp.assignment, tp)) revoked.push_back(tp);
  for (const auto& tp : resp.assignment)
    if (!contains(assignment_, tp)) added.push_back(tp);
  ++ledger_.rebalances;
  ctx.trace("consumer.assigned", {{"member", sim::Value(name_)},
                                  {"group", sim::Value(group_id_)},
                                  {"member_id", sim::Value(member_id_)},
                                  {"generation", sim::Value(generation_)},
                                  {"partitions", sim::Value(tps_text(resp.assignment))},
                                  {"added", sim::Value(tps_text(added))},
                                  {"revoked", sim::Value(tps_text(revoked))},
                                  {"pause_ms", sim::Value((ctx.now() - rebalance_started_).as_millis())}});
  if (!revoked.empty()) {
    // Cooperative: give up what moved, commit it, and rejoin for the follow-up rebalance.
    std::vector<OffsetCommitRequest::Offset> offsets;
    if (app_.policy != CommitPolicy::before_process) {
      for (const auto& o : (app_.policy == CommitPolicy::kafka_auto ? consumed_offsets() : processed_offsets(true)))
        if (contains(revoked, o.tp)) offsets.push_back(o);
    }
    revoke(ctx, revoked, "cooperative rebalance");
    rejoin_ = true;
    if (!offsets.empty()) commit(ctx, offsets, false, "on-revoke");
  }
  for (const auto& tp : added) {
    assignment_.push_back(tp);
    positions_[tp] = Position{};
  }
  std::sort(assignment_.begin(), assignment_.end());
  last_assignment_ = resp.assignment;
  init_positions(ctx);
  if (app_state_ == AppState::rebalancing) app_poll(ctx);
}

void Consumer::handle_heartbeat(sim::Context& ctx, const HeartbeatResponse& resp) {
  if (resp.correlation_id != heartbeat_correlation_) return;
  heartbeat_in_flight_ = false;
  switch (resp.error) {
    case Error::NONE: return;
    case Error::REBALANCE_IN_PROGRESS:
      if (!rejoin_) trace(ctx, "consumer.rebalance_needed", "the coordinator started a rebalance");
      rejoin_ = true;
      if (app_state_ == AppState::idle) app_poll(ctx);
      return;
    case Error::ILLEGAL_GENERATION:
    case Error::UNKNOWN_MEMBER_ID:
      reset_membership(ctx, resp.error == Error::UNKNOWN_MEMBER_ID);
      lose_partitions(ctx, error_name(resp.error).data());
      if (app_state_ == AppState::idle) app_poll(ctx);
      return;
    case Error::NOT_COORDINATOR:
    case Error::COORDINATOR_NOT_AVAILABLE:
      coordinator_lost(ctx);
      return;
    default:
      trace(ctx, "consumer.fatal", std::string("Heartbeat: ") + std::string(error_name(resp.error)));
      return;
  }
}

// ---- positions ----

void Consumer::init_positions(sim::Context& ctx) {
  if (coordinator_ == kNoLeader) return;
  auto req = std::make_shared<OffsetFetchRequest>();
  req->group_id = group_id_;
  for (const auto& tp : assignment_) {
    Position& p = positions_[tp];
    if (p.offset >= 0 || p.fetching_committed || p.resetting) continue;
    p.fetching_committed = true;
    req->partitions.push_back(tp);
  }
  if (req->partitions.empty()) return;
  req->correlation_id = offset_fetch_correlation_ = ++next_correlation_;
  ctx.send(coordinator_node(), req);
}

void Consumer::handle_offset_fetch(sim::Context& ctx, const OffsetFetchResponse& resp) {
  if (resp.correlation_id != offset_fetch_correlation_) return;
  for (auto& [tp, p] : positions_) p.fetching_committed = false;
  if (resp.error != Error::NONE) {
    coordinator_lost(ctx);
    return;
  }
  std::vector<TopicPartition> reset;
  for (const auto& o : resp.offsets) {
    if (!contains(assignment_, o.tp)) continue;
    Position& p = positions_[o.tp];
    if (o.offset >= 0) {
      p.offset = p.fetch_offset = o.offset;
      p.leader_epoch = o.leader_epoch;
      committed_[o.tp] = o.offset;
      trace_position(ctx, "consumer.position", o.tp, o.offset,
                     fmt::format("{}-{} at committed offset {}", o.tp.topic, o.tp.partition, o.offset));
    } else {
      reset.push_back(o.tp);
    }
  }
  reset_positions(ctx, reset);
  send_fetches(ctx);
}

void Consumer::reset_positions(sim::Context& ctx, const std::vector<TopicPartition>& tps) {
  if (tps.empty()) return;
  const std::string& policy = config_.string("auto.offset.reset");
  if (policy == "none") {
    trace(ctx, "consumer.error", "NoOffsetForPartitionException: " + tps_text(tps) + " (auto.offset.reset=none)");
    return;
  }
  std::map<BrokerId, std::shared_ptr<ListOffsetsRequest>> by_leader;
  for (const auto& tp : tps) {
    const BrokerId leader = leader_of(tp);
    if (leader == kNoLeader) {
      request_metadata(ctx);
      continue;
    }
    auto& req = by_leader[leader];
    if (!req) req = std::make_shared<ListOffsetsRequest>();
    req->partitions.push_back({tp, policy == "earliest" ? ListOffsetsRequest::kEarliest : ListOffsetsRequest::kLatest,
                               leader_epoch_of(tp)});
    positions_[tp].resetting = true;
  }
  for (auto& [leader, req] : by_leader) {
    req->correlation_id = ++next_correlation_;
    ctx.send(layout_.node_of(leader), req);
  }
}

void Consumer::handle_list_offsets(sim::Context& ctx, const ListOffsetsResponse& resp) {
  for (const auto& pd : resp.partitions) {
    auto it = positions_.find(pd.tp);
    if (it == positions_.end() || !it->second.resetting) continue;
    it->second.resetting = false;
    if (pd.error != Error::NONE) {
      request_metadata(ctx);
      continue;
    }
    it->second.offset = it->second.fetch_offset = pd.offset;
    it->second.leader_epoch = pd.leader_epoch;
    trace_position(ctx, "consumer.reset", pd.tp, pd.offset,
                   fmt::format("{}-{} to {} (auto.offset.reset={})", pd.tp.topic, pd.tp.partition, pd.offset,
                               config_.string("auto.offset.reset")));
  }
  send_fetches(ctx);
}

void Consumer::validate_position(sim::Context& ctx, const TopicPartition& tp) {
  Position& p = positions_[tp];
  const BrokerId leader = leader_of(tp);
  if (p.offset < 0 || p.leader_epoch < 0 || p.validating || leader == kNoLeader) return;
  p.validating = true;
  auto req = std::make_shared<OffsetsForLeaderEpochRequest>();
  req->correlation_id = ++next_correlation_;
  req->replica_id = -1;
  req->version = 3;
  req->partitions.push_back({tp.topic, tp.partition, leader_epoch_of(tp), p.leader_epoch});
  ctx.send(layout_.node_of(leader), req);
}

void Consumer::handle_epoch_response(sim::Context& ctx, const OffsetsForLeaderEpochResponse& resp) {
  for (const auto& pd : resp.partitions) {
    auto it = positions_.find({pd.topic, pd.partition});
    if (it == positions_.end() || !it->second.validating) continue;
    Position& p = it->second;
    p.validating = false;
    if (pd.error != Error::NONE) continue;
    if (pd.end_offset >= 0 && pd.end_offset < p.offset) {
      // KIP-320: the log was truncated below our position (an unclean election, or the leader
      // lost records we had already read).
      ++ledger_.truncations;
      trace(ctx, "consumer.truncation_detected",
            fmt::format("{}-{}: position {} is past the leader's end {} of epoch {}", pd.topic, pd.partition, p.offset,
                        pd.end_offset, pd.leader_epoch));
      if (config_.string("auto.offset.reset") == "none") {
        trace(ctx, "consumer.error", "LogTruncationException");
        continue;
      }
      p.offset = p.fetch_offset = pd.end_offset;
      buffers_.erase({pd.topic, pd.partition});
    }
  }
  send_fetches(ctx);
}

// ---- fetching ----

void Consumer::send_fetches(sim::Context& ctx) {
  std::map<BrokerId, std::shared_ptr<FetchRequest>> by_leader;
  for (const auto& tp : assignment_) {
    const Position& p = positions_[tp];
    if (p.offset < 0 || p.resetting || p.validating || p.fetching_committed) continue;
    if (!buffers_[tp].empty()) continue;
    const BrokerId leader = leader_of(tp);
    if (leader == kNoLeader) {
      request_metadata(ctx);
      continue;
    }
    if (fetch_in_flight_.count(leader)) continue;
    auto& req = by_leader[leader];
    if (!req) {
      req = std::make_shared<FetchRequest>();
      req->replica_id = -1;
      req->max_wait_ms = static_cast<int32_t>(config_.integer("fetch.max.wait.ms"));
      req->min_bytes = static_cast<int32_t>(config_.integer("fetch.min.bytes"));
    }
    FetchRequest::PartitionData pd;
    pd.topic = tp.topic;
    pd.partition = tp.partition;
    pd.fetch_offset = p.fetch_offset;
    pd.current_leader_epoch = leader_epoch_of(tp);
    pd.max_bytes = static_cast<int32_t>(config_.integer("max.partition.fetch.bytes"));
    req->partitions.push_back(pd);
  }
  for (auto& [leader, req] : by_leader) {
    req->correlation_id = ++next_correlation_;
    fetch_in_flight_[leader] = req->correlation_id;
    ctx.send(layout_.node_of(leader), req);
  }
}

void Consumer::handle_fetch(sim::Context& ctx, sim::NodeId from, const FetchResponse& resp) {
  const BrokerId broker = layout_.broker_of(from);
  auto in = fetch_in_flight_.find(broker);
  if (in == fetch_in_flight_.end() || in->second != resp.correlation_id) return;
  fetch_in_flight_.erase(in);
  bool data = false;
  for (const auto& pd : resp.partitions) {
    const TopicPartition tp{pd.topic, pd.partition};
    auto pit = positions_.find(tp);
    if (!contains(assignment_, tp) || pit == positions_.end() || pit->second.offset < 0) continue;
    Position& p = pit->second;
    if (pd.error == Error::OFFSET_OUT_OF_RANGE) {
      trace(ctx, "consumer.offset_out_of_range", fmt::format("{}-{} at {}", tp.topic, tp.partition, p.fetch_offset));
      p.offset = -1;
      reset_positions(ctx, {tp});
      continue;
    }
    if (pd.error != Error::NONE) {
      request_metadata(ctx);
      continue;
    }
    high_watermarks_[tp] = pd.high_watermark;
    auto& buf = buffers_[tp];
    for (const BatchPtr& b : pd.batches) {
      for (size_t i = 0; i < b->records->size(); ++i) {
        const int64_t offset = b->base_offset + static_cast<int64_t>(i);
        if (offset < p.fetch_offset) continue;
        buf.push_back(Buffered{tp, offset, b->partition_leader_epoch, (*b->records)[i]});
        p.fetch_offset = offset + 1;
        data = true;
      }
    }
  }
  if (data && app_state_ == AppState::idle) app_poll(ctx);
  send_fetches(ctx);
}

// ---- the application ----

std::vector<OffsetCommitRequest::Offset> Consumer::consumed_offsets() const {
  std::vector<OffsetCommitRequest::Offset> out;
  for (const auto& tp : assignment_) {
    auto it = positions_.find(tp);
    if (it == positions_.end() || it->second.offset < 0) continue;
    // The bug: the fetch position runs ahead of the application, over records fetched and
    // buffered but not yet returned by poll(); committing it skips them after a crash.
    const int64_t offset = bugs_.consumer_commits_fetched && it->second.fetch_offset > it->second.offset
                               ? it->second.fetch_offset
                               : it->second.offset;
    auto c = committed_.find(tp);
    if (c != committed_.end() && c->second == offset) continue;
    out.push_back({tp, offset, it->second.leader_epoch});
  }
  return out;
}

std::vector<OffsetCommitRequest::Offset> Consumer::processed_offsets(bool only_uncommitted) const {
  std::vector<OffsetCommitRequest::Offset> out;
  for (const auto& [tp, next] : processed_) {
    auto c = committed_.find(tp);
    if (only_uncommitted && c != committed_.end() && c->second >= next.first) continue;
    out.push_back({tp, next.first, next.second});
  }
  return out;
}

bool Consumer::hit(sim::Context& ctx, const char* point) {
  if (app_.crash_at != point) return false;
  trace(ctx, "consumer.crash_point", point);
  app_.crash_at.clear();
  ctx.crash();
  return true;
}

void Consumer::app_poll(sim::Context& ctx) {
  if (shutting_down_ || app_state_ == AppState::closing || app_state_ == AppState::processing ||
      app_state_ == AppState::committing) {
    return;
  }
  last_poll_ = ctx.now();
  if (left_for_poll_timeout_) {
    // The heartbeat thread gave up our membership; this poll rejoins.
    left_for_poll_timeout_ = false;
    rejoin_ = true;
  }
  app_state_ = AppState::polling;
  if (coordinator_ == kNoLeader) {
    find_coordinator(ctx);
    app_state_ = AppState::rebalancing;
    block(ctx);
    return;
  }
  if (needs_rejoin()) {
    // Cooperative (KIP-429): poll() keeps returning records of owned partitions while the
    // group rebalances. Eager: everything is revoked first and poll() waits for the new
    // assignment.
    const bool keep_consuming = cooperative() && generation_ >= 0 && !assignment_.empty();
    if (group_state_ != GroupState::joining && group_state_ != GroupState::syncing) {
      if (cooperative()) {
        rebalance_started_ = ctx.now();
        send_join(ctx);
      } else {
        app_state_ = AppState::rebalancing;
        block(ctx);
        prepare_rejoin(ctx);
        return;
      }
    }
    if (!keep_consuming) {
      app_state_ = AppState::rebalancing;
      block(ctx);
      return;
    }
  }
  unblock(ctx);
  if (app_.policy == CommitPolicy::kafka_auto && ctx.now() >= next_auto_commit_) {
    // Auto-commit commits the positions of records returned by earlier polls.
    next_auto_commit_ = ctx.now() + sim::Duration::millis(config_.integer("auto.commit.interval.ms"));
    commit(ctx, consumed_offsets(), false, "auto");
  }
  init_positions(ctx);
  send_fetches(ctx);
  maybe_commit_by_policy(ctx, true, false);
  if (app_state_ == AppState::committing) return;  // resumes here when the commit is done

  std::vector<Buffered> records;
  const auto max = static_cast<size_t>(config_.integer("max.poll.records"));
  for (auto& [tp, buf] : buffers_) {
    if (!contains(assignment_, tp)) continue;
    while (!buf.empty() && records.size() < max) {
      records.push_back(std::move(buf.front()));
      buf.pop_front();
    }
    if (records.size() >= max) break;
  }
  if (records.empty()) {
    app_state_ = AppState::idle;
    if (!poll_deadline_) {
      // poll(timeout) blocks until records arrive (a fetch response wakes it) or the timeout.
      poll_deadline_ = ctx.now() + poll_timeout();
      ctx.set_timer(poll_timeout(), kPollTick);
      return;
    }
    if (ctx.now() < *poll_deadline_) return;
    // The poll returned nothing. Spring (3.1+): with COUNT, that commits what is pending.
    poll_deadline_.reset();
    if (app_.policy == CommitPolicy::count && acked_since_commit_ > 0) {
      commit(ctx, processed_offsets(true), true, "COUNT", Then::poll);
      if (app_state_ == AppState::committing) return;
    }
    app_poll(ctx);
    return;
  }
  poll_deadline_.reset();
  poll_op_ = ledger_.next_op++;
  ctx.trace("op.invoke", {{"process", sim::Value(name_)}, {"op", sim::Value(poll_op_)}, {"f", sim::Value("poll")}});
  for (const Buffered& b : records) {
    ctx.trace("op.poll_record", {{"process", sim::Value(name_)},
                                 {"op", sim::Value(poll_op_)},
                                 {"topic", sim::Value(b.tp.topic)},
                                 {"partition", sim::Value(b.tp.partition)},
                                 {"offset", sim::Value(b.offset)},
                                 {"key", sim::Value(b.record.key)},
                                 {"value", sim::Value(b.record.value)}});
    Position& p = positions_[b.tp];
    p.offset = b.offset + 1;
    p.leader_epoch = b.epoch;
  }
  ctx.trace("op.ok", {{"process", sim::Value(name_)}, {"op", sim::Value(poll_op_)}, {"f", sim::Value("poll")},
                      {"records", sim::Value(records.size())}});
  send_fetches(ctx);
  batch_.assign(std::make_move_iterator(records.begin()), std::make_move_iterator(records.end()));
  if (hit(ctx, "before-process")) return;
  if (app_.policy == CommitPolicy::before_process) {
    // The at-most-once pattern: commit what was just returned, then process it.
    commit(ctx, consumed_offsets(), true, "before-process", Then::process_next);
    if (app_state_ == AppState::committing) return;
  }
  app_process_next(ctx);
}

bool Consumer::seek(sim::Context& ctx, const TopicPartition& tp, int64_t offset) {
  if (!contains(assignment_, tp)) return false;
  Position& p = positions_[tp];
  p.offset = p.fetch_offset = offset;
  p.leader_epoch = -1;
  p.resetting = p.validating = p.fetching_committed = false;
  buffers_.erase(tp);
  trace_position(ctx, "consumer.seek", tp, offset, fmt::format("{}-{} to {}", tp.topic, tp.partition, offset));
  send_fetches(ctx);
  return true;
}

sim::Duration Consumer::poll_timeout() const {
  // Spring's container polls with a 5 s timeout (pollTimeout); plain applications here use 1 s.
  switch (app_.policy) {
    case CommitPolicy::kafka_auto:
    case CommitPolicy::after_process:
    case CommitPolicy::async:
    case CommitPolicy::before_process:
      return sim::Duration::seconds(1);
    default:
      return sim::Duration::seconds(5);
  }
}

void Consumer::block(sim::Context& ctx) {
  // Only a member that holds partitions is paused by a rebalance; a new or idle member waiting
  // for an assignment is not.
  if (!blocked_since_ && !assignment_.empty()) blocked_since_ = ctx.now();
}

void Consumer::unblock(sim::Context& ctx) {
  if (!blocked_since_) return;
  ledger_.blocked_ms += (ctx.now() - *blocked_since_).as_millis();
  blocked_since_.reset();
}

void Consumer::app_process_next(sim::Context& ctx) {
  if (batch_.empty()) {
    app_after_batch(ctx);
    return;
  }
  app_state_ = AppState::processing;
  ctx.set_timer(app_.processing_time.sample(ctx.rng()), kProcess);
}

void Consumer::maybe_commit_by_policy(sim::Context& ctx, bool before_poll, bool after_record) {
  const bool count_due = acked_since_commit_ >= app_.ack_count;
  const bool time_due = ctx.now() - last_commit_ > app_.ack_time;
  bool due = false;
  switch (app_.policy) {
    case CommitPolicy::time: due = (before_poll || after_record) && time_due; break;
    case CommitPolicy::count: due = (before_poll || after_record) && count_due; break;
    case CommitPolicy::count_time: due = (before_poll || after_record) && (count_due || time_due); break;
    default: break;
  }
  if (due) commit(ctx, processed_offsets(true), true, to_string(app_.policy).data(), before_poll ? Then::poll : Then::process_next);
}

void Consumer::app_after_batch(sim::Context& ctx) {
  if (hit(ctx, "after-process")) return;
  switch (app_.policy) {
    case CommitPolicy::after_process:
    case CommitPolicy::batch:
    case CommitPolicy::manual:
      commit(ctx, processed_offsets(true), true, to_string(app_.policy).data(), Then::continue_loop);
      break;
    case CommitPolicy::async:
      commit(ctx, processed_offsets(true), false, "async");
      break;
    default:
      break;
  }
  if (app_state_ == AppState::committing) return;
  app_continue(ctx);
}

void Consumer::app_continue(sim::Context& ctx) {
  if (hit(ctx, "after-commit")) return;
  app_state_ = AppState::idle;
  app_poll(ctx);
}

// ---- commits ----

void Consumer::commit(sim::Context& ctx, std::vector<OffsetCommitRequest::Offset> offsets, bool sync, const char* why,
                      Then then) {
  if (offsets.empty()) return;
  if (group_state_ != GroupState::stable || generation_ < 0) {
    // ConsumerCoordinator.sendOffsetCommitRequest: a consumer outside a stable generation does
    // not send the commit; it fails at once (RebalanceInProgressException while rejoining,
    // CommitFailedException when it is no longer a member).
    const char* error = group_state_ == GroupState::unjoined || generation_ < 0 ? "COMMIT_FAILED (not a member of the active generation)"
                                                                              : "REBALANCE_IN_PROGRESS (client)";
    ++ledger_.commit_errors[error];
    ctx.trace("consumer.commit", {{"member", sim::Value(name_)},
                                  {"group", sim::Value(group_id_)},
                                  {"generation", sim::Value(generation_)},
                                  {"offsets", sim::Value(offsets.size())},
                                  {"why", sim::Value(why)},
                                  {"sync", sim::Value(sync)},
                                  {"error", sim::Value(error)}});
    rejoin_ = true;
    // commitSync throws at once: the caller goes on as after any completed commit. (Resuming
    // `then` from here as well would run the application's next step twice: two polls, and the
    // records of the first never processed.)
    return;
  }
  // One commit in flight: an async commit meanwhile is dropped (the next one covers it); a
  // sync one takes over (the earlier response is then ignored).
  if (commit_ && !sync) return;
  commit_ = CommitInFlight{std::move(offsets), sync, why, then, 0,
                           ctx.now() + sim::Duration::millis(config_.integer("default.api.timeout.ms")), false};
  if (sync) app_state_ = AppState::committing;
  send_commit(ctx);
}

void Consumer::send_commit(sim::Context& ctx) {
  if (!commit_) return;
  if (coordinator_ == kNoLeader) {
    find_coordinator(ctx);
    return;  // sent again once the coordinator is known
  }
  auto req = std::make_shared<OffsetCommitRequest>();
  req->correlation_id = commit_->correlation_id = ++next_correlation_;
  req->group_id = group_id_;
  req->member_id = member_id_;
  req->group_instance_id = instance_id_;
  req->generation = generation_;
  req->offsets = commit_->offsets;
  commit_->sent = true;
  ctx.send(coordinator_node(), req);
}

void Consumer::handle_commit_response(sim::Context& ctx, const OffsetCommitResponse& resp) {
  if (!commit_ || resp.correlation_id != commit_->correlation_id) return;
  CommitInFlight c = *commit_;
  std::string offsets;
  for (const auto& o : c.offsets) offsets += fmt::format("{}{}-{}:{}", offsets.empty() ? "" : ",", o.tp.topic, o.tp.partition, o.offset);
  if (resp.error != Error::NONE && retriable_commit_error(resp.error) && c.sync && ctx.now() < c.deadline) {
    // commitSync retries retriable errors until default.api.timeout.ms.
    if (resp.error == Error::NOT_COORDINATOR || resp.error == Error::COORDINATOR_NOT_AVAILABLE) coordinator_lost(ctx);
    commit_->sent = false;
    ctx.set_timer(sim::Duration::millis(config_.integer("retry.backoff.ms")), kCommitRetry);
    return;
  }
  commit_.reset();
  ctx.trace("consumer.commit", {{"member", sim::Value(name_)},
                                {"group", sim::Value(group_id_)},
                                {"generation", sim::Value(generation_)},
                                {"offsets", sim::Value(offsets)},
                                {"why", sim::Value(c.why)},
                                {"sync", sim::Value(c.sync)},
                                {"error", sim::Value(error_name(resp.error))}});
  if (resp.error != Error::NONE) ++ledger_.commit_errors[std::string(error_name(resp.error))];
  if (resp.error == Error::NONE) {
    for (const auto& o : c.offsets) committed_[o.tp] = std::max(committed_[o.tp], o.offset);
    acked_since_commit_ = 0;
    last_commit_ = ctx.now();
  } else if (resp.error == Error::ILLEGAL_GENERATION || resp.error == Error::UNKNOWN_MEMBER_ID ||
             resp.error == Error::FENCED_INSTANCE_ID) {
    // CommitFailedException: this member was removed from the group; its partitions are gone.
    reset_membership(ctx, resp.error == Error::UNKNOWN_MEMBER_ID);
    lose_partitions(ctx, "commit fenced");
    rejoin_ = true;
  } else if (resp.error == Error::REBALANCE_IN_PROGRESS) {
    rejoin_ = true;
  } else if (retriable_commit_error(resp.error)) {
    coordinator_lost(ctx);
  }
  if (c.sync && app_state_ == AppState::committing) resume(ctx, c.then);
}

void Consumer::resume(sim::Context& ctx, Then then) {
  // Back on the application's thread, where the blocking commit left it.
  switch (then) {
    case Then::process_next:
      app_state_ = AppState::processing;
      app_process_next(ctx);
      break;
    case Then::continue_loop:
      app_continue(ctx);
      break;
    case Then::poll:
      app_state_ = AppState::idle;
      app_poll(ctx);
      break;
    case Then::join:
      app_state_ = AppState::rebalancing;
      if (coordinator_ == kNoLeader) find_coordinator(ctx);
      else if (group_state_ != GroupState::joining && group_state_ != GroupState::syncing) send_join(ctx);
      break;
    case Then::leave:
      leave_and_exit(ctx);
      break;
    case Then::nothing:
      app_state_ = AppState::idle;
      app_poll(ctx);
      break;
  }
}

void Consumer::send_leave_group(sim::Context& ctx) {
  if (coordinator_ == kNoLeader || member_id_.empty()) return;
  auto leave = std::make_shared<LeaveGroupRequest>();
  leave->correlation_id = ++next_correlation_;
  leave->group_id = group_id_;
  leave->member_id = member_id_;
  ctx.send(coordinator_node(), leave);
}

void Consumer::leave_and_exit(sim::Context& ctx) {
  // KafkaConsumer.close(): dynamic members leave; static ones keep their place (KIP-345).
  if (!instance_id_ && generation_ >= 0) send_leave_group(ctx);
  ctx.exit();
}

// ---- events ----

void Consumer::on_message(sim::Context& ctx, sim::NodeId from, const sim::MessagePtr& msg) {
  const KafkaMessage& m = kafka_message(msg);
  switch (route(m)) {
    case route_of<FetchResponse>: handle_fetch(ctx, from, message_as<FetchResponse>(m)); break;
    case route_of<HeartbeatResponse>: handle_heartbeat(ctx, message_as<HeartbeatResponse>(m)); break;
    case route_of<OffsetCommitResponse>: handle_commit_response(ctx, message_as<OffsetCommitResponse>(m)); break;
    case route_of<JoinGroupResponse>: handle_join(ctx, message_as<JoinGroupResponse>(m)); break;
    case route_of<SyncGroupResponse>: handle_sync(ctx, message_as<SyncGroupResponse>(m)); break;
    case route_of<MetadataResponse>: handle_metadata(ctx, message_as<MetadataResponse>(m)); break;
    case route_of<FindCoordinatorResponse>: handle_find_coordinator(ctx, message_as<FindCoordinatorResponse>(m)); break;
    case route_of<OffsetFetchResponse>: handle_offset_fetch(ctx, message_as<OffsetFetchResponse>(m)); break;
    case route_of<ListOffsetsResponse>: handle_list_offsets(ctx, message_as<ListOffsetsResponse>(m)); break;
    case route_of<OffsetsForLeaderEpochResponse>: handle_epoch_response(ctx, message_as<OffsetsForLeaderEpochResponse>(m)); break;
    case route_of<LeaveGroupResponse>: break;  // the member already acted as having left (AbstractCoordinator logs it)
    default: unexpected_message("a consumer", m);
  }
}

void Consumer::handle_find_coordinator(sim::Context& ctx, const FindCoordinatorResponse& fc) {
  finding_coordinator_ = false;
  if (fc.error != Error::NONE) {
    ctx.set_timer(sim::Duration::millis(config_.integer("retry.backoff.ms")), kCoordinatorRetry);
    return;
  }
  coordinator_ = fc.coordinator;
  trace(ctx, "consumer.coordinator", fmt::format("broker {}", coordinator_));
  if (commit_ && !commit_->sent) send_commit(ctx);
  init_positions(ctx);
  if (app_state_ == AppState::rebalancing || app_state_ == AppState::idle) {
    app_state_ = AppState::idle;
    app_poll(ctx);
  }
}

void Consumer::on_timer(sim::Context& ctx, uint64_t tag) {
  switch (tag) {
    case kPollTick:
      if (app_state_ == AppState::idle) app_poll(ctx);
      break;
    case kProcess: {
      if (batch_.empty() || shutting_down_) break;
      Buffered b = std::move(batch_.front());
      batch_.pop_front();
      processed_[b.tp] = {b.offset + 1, b.epoch};
      ++acked_since_commit_;
      ledger_.processed.push_back({name_, b.tp.topic, b.tp.partition, b.offset, b.record.key, b.record.value, ctx.now()});
      ctx.trace("consumer.processed", {{"member", sim::Value(name_)},
                                       {"group", sim::Value(group_id_)},
                                       {"op", sim::Value(poll_op_)},
                                       {"key", sim::Value(b.record.key)},
                                       {"topic", sim::Value(b.tp.topic)},
                                       {"partition", sim::Value(b.tp.partition)},
                                       {"offset", sim::Value(b.offset)},
                                       {"value", sim::Value(b.record.value)}});
      if (app_.policy == CommitPolicy::record || app_.policy == CommitPolicy::manual_immediate) {
        commit(ctx, {{b.tp, b.offset + 1, b.epoch}}, true, to_string(app_.policy).data(), Then::process_next);
        if (app_state_ == AppState::committing) break;
      } else {
        maybe_commit_by_policy(ctx, false, true);
        if (app_state_ == AppState::committing) break;
      }
      app_process_next(ctx);
      break;
    }
    case kHeartbeat: {
      const sim::Duration max_poll = sim::Duration::millis(config_.integer("max.poll.interval.ms"));
      if (group_state_ == GroupState::stable && !left_for_poll_timeout_ && ctx.now() - last_poll_ > max_poll &&
          app_state_ != AppState::idle) {
        // The heartbeat thread notices the application stopped polling: a dynamic member
        // leaves the group at once; a static one just goes quiet until its session expires.
        trace(ctx, "consumer.poll_timeout", fmt::format("no poll for {}", sim::format_duration(ctx.now() - last_poll_)));
        if (!instance_id_) {
          send_leave_group(ctx);
          reset_membership(ctx, true);
        }
        left_for_poll_timeout_ = true;
      }
      if (group_state_ == GroupState::stable && !left_for_poll_timeout_ && coordinator_ != kNoLeader && !heartbeat_in_flight_ &&
          !shutting_down_) {
        heartbeat_in_flight_ = true;
        auto req = std::make_shared<HeartbeatRequest>();
        req->correlation_id = heartbeat_correlation_ = ++next_correlation_;
        req->group_id = group_id_;
        req->member_id = member_id_;
        req->group_instance_id = instance_id_;
        req->generation = generation_;
        ctx.send(coordinator_node(), req);
      }
      ctx.set_timer(loop_interval(config_.integer("heartbeat.interval.ms")), kHeartbeat);
      break;
    }
    case kCoordinatorRetry:
      find_coordinator(ctx);
      break;
    case kCommitRetry:
      if (commit_ && !commit_->sent) send_commit(ctx);
      break;
    case kMetadataRetry:
      request_metadata(ctx);
      break;
    case kLagReport:
      // Lag per partition over time: the leader's HW (as last fetched) minus our position.
      for (const auto& tp : assignment_) {
        auto p = positions_.find(tp);
        auto hw = high_watermarks_.find(tp);
        if (p == positions_.end() || p->second.offset < 0 || hw == high_watermarks_.end()) continue;
        ctx.trace("consumer.lag", {{"member", sim::Value(name_)},
                                   {"group", sim::Value(group_id_)},
                                   {"topic", sim::Value(tp.topic)},
                                   {"partition", sim::Value(tp.partition)},
                                   {"lag", sim::Value(std::max<int64_t>(0, hw->second - p->second.offset))}});
      }
      ctx.set_timer(sim::Duration::seconds(1), kLagReport);
      break;
    case kMetadataRefresh:
      request_metadata(ctx);
      ctx.set_timer(loop_interval(config_.integer("metadata.max.age.ms")), kMetadataRefresh);
      break;
    case kShutdownDeadline:
      ctx.exit();
      break;
    default:
      break;
  }
}

void Consumer::on_disconnect(sim::Context& ctx, sim::NodeId peer) {
  const BrokerId b = layout_.broker_of(peer);
  metadata_in_flight_ = false;
  fetch_in_flight_.erase(b);
  if (b == coordinator_) {
    coordinator_lost(ctx);
  } else if (finding_coordinator_) {
    finding_coordinator_ = false;
    ctx.set_timer(sim::Duration::millis(config_.integer("retry.backoff.ms")), kCoordinatorRetry);
  }
  for (auto& [tp, p] : positions_) {
    if (leader_of(tp) != b) continue;
    p.resetting = p.validating = false;
  }
  request_metadata(ctx);
}

void Consumer::on_shutdown(sim::Context& ctx) {
  // KafkaConsumer.close(): commit (auto-commit or the application's last processed records),
  // leave the group (dynamic members), and exit.
  shutting_down_ = true;
  ctx.set_timer(sim::Duration::seconds(5), kShutdownDeadline);
  std::vector<OffsetCommitRequest::Offset> offsets;
  if (generation_ >= 0) {
    if (app_.policy == CommitPolicy::kafka_auto) offsets = consumed_offsets();
    else if (app_.policy != CommitPolicy::before_process) offsets = processed_offsets(true);
  }
  trace(ctx, "consumer.close", fmt::format("committing {} partitions", offsets.size()));
  if (!offsets.empty()) {
    commit_.reset();
    commit(ctx, offsets, true, "close", Then::leave);
    if (app_state_ == AppState::committing) return;
  }
  leave_and_exit(ctx);
}

}  // namespace kafka
