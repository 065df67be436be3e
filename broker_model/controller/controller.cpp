#include "broker_model/controller/controller.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "broker_model/trace_schema.hpp"
#include "sim/timer_tag.hpp"

namespace kafka {

namespace {

struct LoggedRecord final : sim::DiskEntry {
  MetadataRecord record;
  explicit LoggedRecord(MetadataRecord r) : record(std::move(r)) {}
  uint32_t size_bytes() const override { return 64; }
};

bool contains(const std::vector<BrokerId>& v, BrokerId b) { return std::find(v.begin(), v.end(), b) != v.end(); }
void erase(std::vector<BrokerId>& v, BrokerId b) { v.erase(std::remove(v.begin(), v.end(), b), v.end()); }

std::string ids(const std::vector<BrokerId>& v) {
  std::string s;
  for (BrokerId b : v) s += (s.empty() ? "" : ",") + std::to_string(b);
  return s;
}

constexpr sim::Duration kSessionCheckEvery = sim::Duration::millis(250);

}  // namespace

Controller::Controller(ClusterLayout layout, ConfigSet broker_config)
    : layout_(std::move(layout)), config_(std::move(broker_config)) {}

void Controller::on_start(sim::Context& ctx) {
  log_file_ = ctx.disk().open("__cluster_metadata/log");
  for (const auto& e : ctx.disk().read(log_file_)) {
    log_.push_back(static_cast<const LoggedRecord&>(*e).record);
    apply(log_.back());
  }
  // A controller that starts gives every registered broker a fresh session, as a new KRaft
  // leader does.
  for (auto& [id, b] : brokers_) b.last_heartbeat = ctx.now();
  ctx.trace(event::ControllerStart{.records = log_.size()});
  ctx.set_timer(kSessionCheckEvery, sim::timer_tag(Timer::session_check));
}

bool Controller::fenced(BrokerId b) const {
  auto it = brokers_.find(b);
  return it == brokers_.end() || it->second.fenced;
}

const PartitionState* Controller::partition(const std::string& topic, int32_t p) const {
  auto it = partitions_.find(TopicPartition{topic, p});
  return it == partitions_.end() ? nullptr : &it->second;
}

int32_t Controller::partition_count(const std::string& topic) const {
  auto it = topics_.find(topic);
  return it == topics_.end() ? 0 : it->second.partitions;
}

int64_t Controller::effective_min_isr(const PartitionState& s) const {
  auto it = topics_.find(s.topic);
  const int64_t min = it != topics_.end() && it->second.min_insync_replicas >= 0 ? it->second.min_insync_replicas
                                                                                 : config_.integer("min.insync.replicas");
  return std::min<int64_t>(min, static_cast<int64_t>(s.replicas.size()));
}

KafkaVersion Controller::metadata_version() const {
  const std::string& mv = config_.string("inter.broker.protocol.version");
  return KafkaVersion::parse(std::string_view(mv).substr(0, mv.find('-'))).value_or(config_.version());
}

bool Controller::unclean_allowed(const std::string& topic) const {
  auto it = topics_.find(topic);
  if (it != topics_.end() && it->second.unclean >= 0) return it->second.unclean == 1;
  return config_.boolean("unclean.leader.election.enable");
}

bool Controller::elr_enabled() const { return config_.integer("eligible.leader.replicas.version") >= 1; }

bool Controller::acceptable_leader(BrokerId b) const {
  auto it = brokers_.find(b);
  return it != brokers_.end() && !it->second.fenced && !it->second.shutting_down;
}

// ---- the metadata log ----

void Controller::apply(const MetadataRecord& r) {
  switch (r.type) {
    case MetadataRecord::Type::register_broker: {
      BrokerInfo& b = brokers_[r.broker];
      b.epoch = r.broker_epoch;
      b.rack = r.rack;
      b.fenced = true;
      b.shutting_down = false;
      b.incarnation_id = r.incarnation_id;
      b.registration_offset = static_cast<int64_t>(log_.size());
      break;
    }
    case MetadataRecord::Type::fence_broker: brokers_[r.broker].fenced = true; break;
    case MetadataRecord::Type::unfence_broker:
      brokers_[r.broker].fenced = false;
      break;
    case MetadataRecord::Type::in_controlled_shutdown: brokers_[r.broker].shutting_down = true; break;
    case MetadataRecord::Type::topic:
      topics_[r.topic] = TopicInfo{r.partitions, r.min_insync_replicas, r.unclean_leader_election};
      break;
    case MetadataRecord::Type::partition:
      partitions_[TopicPartition{r.partition.topic, r.partition.partition}] = r.partition;
      break;
  }
}

void Controller::append(sim::Context& ctx, MetadataRecord r) {
  log_.push_back(r);
  apply(log_.back());
  // The KRaft metadata log is fsynced before it is acknowledged.
  ctx.disk().append(log_file_, std::make_shared<LoggedRecord>(std::move(r)));
  ctx.disk().flush(log_file_);
  if (publish_hold_ == 0) answer_fetches(ctx);
}

PartitionState Controller::record_partition(sim::Context& ctx, PartitionState s, const char* reason) {
  // KAFKA-15021: brokers before 3.6 needed a new leader epoch whenever the ISR shrank.
  const PartitionState* cur = partition(s.topic, s.partition);
  if (cur && metadata_version() < KafkaVersion{3, 6} && s.leader_epoch == cur->leader_epoch) {
    bool shrank = false;
    for (BrokerId b : cur->isr) shrank |= !contains(s.isr, b);
    if (shrank) ++s.leader_epoch;
  }
  MetadataRecord r;
  r.type = MetadataRecord::Type::partition;
  r.partition = s;
  ctx.trace(event::ControllerPartition{.topic = s.topic,
                                       .partition = s.partition,
                                       .leader = s.leader,
                                       .leader_epoch = s.leader_epoch,
                                       .partition_epoch = s.partition_epoch,
                                       .isr = ids(s.isr),
                                       .elr = ids(s.elr),
                                       .reason = reason});
  append(ctx, std::move(r));
  return s;
}

void Controller::handle_metadata_fetch(sim::Context& ctx, sim::NodeId from, const MetadataFetchRequest& req) {
  if (req.fetch_offset < static_cast<int64_t>(log_.size())) {
    auto resp = std::make_shared<MetadataFetchResponse>();
    resp->base_offset = req.fetch_offset;
    const size_t end = std::min(log_.size(), static_cast<size_t>(req.fetch_offset) + 2000);
    resp->records.assign(log_.begin() + req.fetch_offset, log_.begin() + static_cast<int64_t>(end));
    ctx.send(from, resp);
    return;
  }
  // Long poll: answer when a record arrives or the wait is over.
  auto it = parked_.find(req.broker_id);
  if (it != parked_.end()) ctx.cancel_timer(it->second.timer);
  const sim::TimerId t = ctx.set_timer(sim::Duration::millis(req.max_wait_ms), sim::timer_tag(Timer::fetch_timeout, static_cast<uint64_t>(req.broker_id)));
  parked_[req.broker_id] = ParkedFetch{from, req.fetch_offset, t};
}

void Controller::answer_fetches(sim::Context& ctx) {
  for (auto it = parked_.begin(); it != parked_.end();) {
    if (it->second.offset < static_cast<int64_t>(log_.size())) {
      auto resp = std::make_shared<MetadataFetchResponse>();
      resp->base_offset = it->second.offset;
      resp->records.assign(log_.begin() + it->second.offset, log_.end());
      ctx.send(it->second.from, resp);
      ctx.cancel_timer(it->second.timer);
      it = parked_.erase(it);
    } else {
      ++it;
    }
  }
}

// ---- brokers ----

void Controller::handle_registration(sim::Context& ctx, sim::NodeId from, const BrokerRegistrationRequest& req) {
  auto existing = brokers_.find(req.broker_id);
  const sim::Duration session = sim::Duration::millis(config_.integer("broker.session.timeout.ms"));
  const bool new_incarnation = existing == brokers_.end() || existing->second.incarnation_id != req.incarnation_id;
  if (new_incarnation && existing != brokers_.end() && !existing->second.fenced &&
      ctx.now() - existing->second.last_heartbeat <= session) {
    // ClusterControlManager.registerBroker: another incarnation still holds a live session
    // (BrokerHeartbeatManager.hasValidSession); the new one waits until that session expires.
    auto resp = std::make_shared<BrokerRegistrationResponse>();
    resp->error = Error::DUPLICATE_BROKER_REGISTRATION;
    ctx.send(from, resp);
    return;
  }
  AtomicBatch batch(*this, ctx);
  // Kafka 4.0 (ClusterControlManager.registerBroker, with metadata that supports ELR): a new
  // incarnation may have lost unflushed records, so its records come before the registration.
  if (new_incarnation && metadata_version() >= kV4_0) remove_new_incarnation(ctx, req.broker_id);
  MetadataRecord r;
  r.type = MetadataRecord::Type::register_broker;
  r.broker = req.broker_id;
  r.broker_epoch = static_cast<int64_t>(log_.size());  // KRaft: the offset of the registration record
  r.incarnation_id = req.incarnation_id;
  r.rack = req.rack;
  append(ctx, r);
  brokers_[req.broker_id].last_heartbeat = ctx.now();
  ctx.trace(event::ControllerRegister{
      .broker = req.broker_id, .broker_epoch = r.broker_epoch, .clean_shutdown = req.previous_clean_shutdown});
  auto resp = std::make_shared<BrokerRegistrationResponse>();
  resp->broker_epoch = r.broker_epoch;
  ctx.send(from, resp);
}

void Controller::remove_new_incarnation(sim::Context& ctx, BrokerId b) {
  std::vector<PartitionState> changes;
  for (const auto& [key, s] : partitions_) {
    if (!contains(s.isr, b) && !contains(s.elr, b)) continue;
    PartitionState next = s;
    // Without ELR, KRaft never empties the ISR (PartitionChangeBuilder.build).
    if (next.isr.size() > 1 || elr_enabled()) erase(next.isr, b);
    erase(next.elr, b);  // an unclean-shutdown replica never joins the ELR
    if (next.isr != s.isr || next.elr != s.elr || next.leader == b) changes.push_back(next);
  }
  for (PartitionState& next : changes) {
    if (next.leader == b) {
      elect(ctx, next, "new-broker-incarnation", b);
    } else {
      ++next.partition_epoch;
      record_partition(ctx, next, "new-broker-incarnation");
    }
  }
}

void Controller::handle_heartbeat(sim::Context& ctx, sim::NodeId from, const BrokerHeartbeatRequest& req) {
  auto resp = std::make_shared<BrokerHeartbeatResponse>();
  auto it = brokers_.find(req.broker_id);
  if (it == brokers_.end() || it->second.epoch != req.broker_epoch) {
    resp->error = Error::STALE_BROKER_EPOCH;
    ctx.send(from, resp);
    return;
  }
  BrokerInfo& b = it->second;
  b.last_heartbeat = ctx.now();
  if (req.want_shutdown && !b.shutting_down) {
    AtomicBatch batch(*this, ctx);
    // BrokerRegistrationChangeRecord(inControlledShutdown): brokers learn it too, and stop
    // counting the broker as eligible for the ISR (KIP-903).
    MetadataRecord r;
    r.type = MetadataRecord::Type::in_controlled_shutdown;
    r.broker = req.broker_id;
    r.broker_epoch = b.epoch;
    append(ctx, r);
    ctx.trace(event::ControllerControlledShutdown{.broker = req.broker_id});
    reconsider_partitions(ctx, req.broker_id, "controlled-shutdown");
  } else if (b.fenced && !b.shutting_down && req.current_metadata_offset >= b.registration_offset) {
    unfence(ctx, req.broker_id);
  }
  if (b.shutting_down) {
    bool leads = false;
    for (const auto& [key, s] : partitions_) leads |= s.leader == req.broker_id;
    resp->should_shutdown = !leads;
    // BrokerHeartbeatManager.calculateNextBrokerState gives SHUTDOWN_NOW, which
    // ReplicationControlManager.processBrokerHeartbeat handles as a fence (handleBrokerFenced):
    // the session ends, so the broker's next incarnation may register at once
    // (BrokerHeartbeatManager.hasValidSession is false for a fenced broker).
    if (!leads && !b.fenced) fence(ctx, req.broker_id, "controlled-shutdown");
  }
  resp->is_fenced = brokers_[req.broker_id].fenced;
  ctx.send(from, resp);
}

void Controller::fence(sim::Context& ctx, BrokerId b, const char* reason) {
  MetadataRecord r;
  r.type = MetadataRecord::Type::fence_broker;
  r.broker = b;
  r.broker_epoch = brokers_[b].epoch;
  append(ctx, r);
  ctx.trace(event::ControllerFence{.broker = b, .reason = reason});
  reconsider_partitions(ctx, b, reason);
}

void Controller::unfence(sim::Context& ctx, BrokerId b) {
  MetadataRecord r;
  r.type = MetadataRecord::Type::unfence_broker;
  r.broker = b;
  r.broker_epoch = brokers_[b].epoch;
  append(ctx, r);
  ctx.trace(event::ControllerUnfence{.broker = b});
  create_pending_topics(ctx, pending_waited_);
  // Partitions without a leader may now have one.
  for (auto& [key, s] : partitions_) {
    if (s.leader == kNoLeader && contains(s.replicas, b)) elect(ctx, s, "broker-unfenced");
  }
}

void Controller::reconsider_partitions(sim::Context& ctx, BrokerId b, const char* reason) {
  std::vector<PartitionState> changes;
  for (const auto& [key, s] : partitions_) {
    if (!contains(s.replicas, b)) continue;
    PartitionState next = s;
    if (contains(next.isr, b)) {
      const std::vector<BrokerId> before = next.isr;
      if (next.isr.size() > 1 || elr_enabled()) erase(next.isr, b);  // KRaft never empties the ISR without ELR
      if (elr_enabled() && next.isr.size() != before.size()) {
        if (static_cast<int64_t>(next.isr.size()) < effective_min_isr(next) && !contains(next.elr, b)) next.elr.push_back(b);
      }
    }
    if (next.isr != s.isr || next.elr != s.elr || next.leader == b) changes.push_back(next);
  }
  for (PartitionState& next : changes) {
    if (next.leader == b) {
      elect(ctx, next, reason);
    } else {
      ++next.partition_epoch;
      record_partition(ctx, next, reason);
    }
  }
}

void Controller::elect(sim::Context& ctx, PartitionState next, const char* reason, BrokerId excluded) {
  const BrokerId old_leader = next.leader;
  auto acceptable = [&](BrokerId r) { return r != excluded && acceptable_leader(r); };
  BrokerId leader = kNoLeader;
  const char* how = "none";
  for (BrokerId r : next.replicas) {
    if (contains(next.isr, r) && acceptable(r)) {
      leader = r;
      how = "isr";
      break;
    }
  }
  if (leader == kNoLeader && elr_enabled()) {
    for (BrokerId r : next.replicas) {
      if (contains(next.elr, r) && acceptable(r)) {
        leader = r;
        how = "elr";
        next.isr = {r};
        erase(next.elr, r);
        break;
      }
    }
  }
  if (leader == kNoLeader && unclean_allowed(next.topic)) {
    for (BrokerId r : next.replicas) {
      if (acceptable(r)) {
        leader = r;
        how = "unclean";
        next.isr = {r};
        next.elr.clear();
        break;
      }
    }
  }
  if (leader == old_leader && leader != kNoLeader) return;
  if (leader == kNoLeader && old_leader == kNoLeader) {
    // Still no leader; record only if the ISR or ELR changed.
    const PartitionState* cur = partition(next.topic, next.partition);
    if (cur && cur->isr == next.isr && cur->elr == next.elr) return;
  }
  next.leader = leader;
  if (leader != old_leader) ++next.leader_epoch;
  ++next.partition_epoch;
  ctx.trace(event::ControllerElect{.topic = next.topic,
                                   .partition = next.partition,
                                   .leader = leader,
                                   .leader_node = leader == kNoLeader ? std::string_view() : ctx.name_of(layout_.node_of(leader)),
                                   .previous = old_leader,
                                   .leader_epoch = next.leader_epoch,
                                   .election = how,
                                   .reason = reason});
  record_partition(ctx, next, reason);
}

// ---- topics ----

std::vector<std::vector<BrokerId>> Controller::assign_replicas(sim::Context& ctx, int32_t partitions, int32_t rf) {
  // Kafka's AdminUtils placement: a random start and shift, then replicas at growing
  // distances from the first. With racks, the broker list alternates racks and a replica
  // skips a rack (or broker) that already has one while another has none.
  std::map<std::string, std::vector<BrokerId>> by_rack;
  bool racks = false;
  for (BrokerId b : layout_.broker_ids()) {
    if (!acceptable_leader(b)) continue;
    const std::string& rack = brokers_.at(b).rack;
    racks |= !rack.empty();
    by_rack[rack].push_back(b);
  }
  std::vector<BrokerId> brokers;
  std::map<BrokerId, std::string> rack_of;
  if (racks) {
    // getRackAlternatedBrokerList: one broker from each rack in turn, racks in name order.
    std::map<std::string, size_t> next;
    size_t total = 0;
    for (const auto& [rack, list] : by_rack) total += list.size();
    while (brokers.size() < total) {
      for (const auto& [rack, list] : by_rack) {
        size_t& i = next[rack];
        if (i < list.size()) {
          brokers.push_back(list[i]);
          rack_of[list[i]] = rack;
          ++i;
        }
      }
    }
  } else {
    for (const auto& [rack, list] : by_rack) brokers.insert(brokers.end(), list.begin(), list.end());
    std::sort(brokers.begin(), brokers.end());
  }
  const auto n = static_cast<int32_t>(brokers.size());
  const auto num_racks = static_cast<int32_t>(racks ? by_rack.size() : 1);
  auto at = [&](int32_t first, int32_t shift, int32_t k) {
    const int32_t s = 1 + (shift + k) % (n - 1);
    return brokers[static_cast<size_t>((first + s) % n)];
  };
  std::vector<std::vector<BrokerId>> out;
  const auto start = static_cast<int32_t>(ctx.rng().index(static_cast<size_t>(n)));
  auto shift = static_cast<int32_t>(ctx.rng().index(static_cast<size_t>(n)));
  for (int32_t p = 0; p < partitions; ++p) {
    if (p > 0 && p % n == 0) ++shift;
    const int32_t first = (p + start) % n;
    std::vector<BrokerId> replicas = {brokers[static_cast<size_t>(first)]};
    if (!racks) {
      for (int32_t j = 0; j < rf - 1; ++j) replicas.push_back(at(first, shift, j));
    } else {
      std::set<std::string> used_racks = {rack_of[replicas.front()]};
      std::set<BrokerId> used = {replicas.front()};
      int32_t k = 0;
      for (int32_t j = 0; j < rf - 1; ++j) {
        while (true) {
          const BrokerId b = at(first, shift * num_racks, k++);
          const bool rack_ok = !used_racks.count(rack_of[b]) || static_cast<int32_t>(used_racks.size()) == num_racks;
          const bool broker_ok = !used.count(b) || static_cast<int32_t>(used.size()) == n;
          if (rack_ok && broker_ok) {
            replicas.push_back(b);
            used_racks.insert(rack_of[b]);
            used.insert(b);
            break;
          }
        }
      }
    }
    out.push_back(replicas);
  }
  return out;
}

bool Controller::can_create(const TopicSpec& spec, bool waited) const {
  if (spec.assignment.empty()) {
    int32_t live = 0;
    for (const auto& [id, b] : brokers_) live += acceptable_leader(id) ? 1 : 0;
    // At first wait for the whole cluster, so a topic asked for while brokers are still
    // starting is spread over all of them; after a while, any rf live brokers will do.
    const auto all = static_cast<int32_t>(layout_.brokers.size());
    return waited ? live >= spec.replication_factor : live == all;
  }
  for (const auto& replicas : spec.assignment)
    for (BrokerId r : replicas)
      if (!acceptable_leader(r)) return false;
  return true;
}

void Controller::handle_create_topics(sim::Context& ctx, sim::NodeId from, const CreateTopicsRequest& req) {
  TopicSpec spec;
  spec.name = req.topic;
  spec.partitions = req.partitions;
  spec.replication_factor = req.replication_factor;
  auto resp = std::make_shared<CreateTopicsResponse>();
  resp->topic = req.topic;
  resp->error = create_topic(ctx, spec);
  if (resp->error.empty()) {
    ctx.trace(event::ControllerAutoCreateTopic{
        .topic = spec.name, .partitions = spec.partitions, .replication_factor = spec.replication_factor});
  } else {
    // Kafka's broker only logs a failed creation (often a race with the topic's own creation);
    // the client sees the topic appear, or never.
    ctx.trace(event::AdminError{.request = "CreateTopics", .error = resp->error});
  }
  ctx.send(from, resp);
}

std::string Controller::create_topic(sim::Context& ctx, const TopicSpec& spec) {
  if (topics_.count(spec.name)) return fmt::format("topic '{}' already exists", spec.name);
  for (const auto& t : pending_topics_)
    if (t.name == spec.name) return fmt::format("topic '{}' is already being created", spec.name);
  const auto n = static_cast<int32_t>(layout_.brokers.size());
  if (spec.partitions < 1) return "partitions must be at least 1";
  if (spec.replication_factor < 1 || spec.replication_factor > n) {
    return fmt::format("replication_factor {} needs between 1 and {} brokers (the cluster has {})", spec.replication_factor, n, n);
  }
  if (!can_create(spec, false)) {
    ctx.trace(event::ControllerCreateTopicWaiting{.topic = spec.name,
                                                  .reason = "INVALID_REPLICATION_FACTOR: not enough live brokers yet"});
    if (pending_topics_.empty()) {
      ctx.set_timer(sim::Duration::millis(config_.integer("broker.session.timeout.ms")), sim::timer_tag(Timer::pending_topics_deadline));
    }
    pending_topics_.push_back(spec);
    return {};
  }
  create_now(ctx, spec);
  return {};
}

void Controller::create_now(sim::Context& ctx, const TopicSpec& spec) {
  // Replicas are placed over the live brokers, as Kafka's placer does.
  std::vector<std::vector<BrokerId>> assignment = spec.assignment;
  if (assignment.empty()) assignment = assign_replicas(ctx, spec.partitions, spec.replication_factor);
  MetadataRecord t;
  t.type = MetadataRecord::Type::topic;
  t.topic = spec.name;
  t.partitions = spec.partitions;
  t.min_insync_replicas = spec.min_insync_replicas;
  t.unclean_leader_election = spec.unclean_leader_election;
  t.flush_messages = spec.flush_messages;
  t.flush_ms = spec.flush_ms;
  append(ctx, t);
  ctx.trace(event::ControllerCreateTopic{
      .topic = spec.name, .partitions = spec.partitions, .replication_factor = spec.replication_factor});
  for (int32_t p = 0; p < spec.partitions; ++p) {
    PartitionState s;
    s.topic = spec.name;
    s.partition = p;
    s.replicas = assignment[static_cast<size_t>(p)];
    s.isr = s.replicas;      // every replica is live and (empty) in sync
    s.leader = s.replicas.front();  // the preferred replica leads
    s.leader_epoch = 0;
    s.partition_epoch = 0;
    record_partition(ctx, s, "create-topic");
  }
}

void Controller::create_pending_topics(sim::Context& ctx, bool waited) {
  auto pending = std::move(pending_topics_);
  pending_topics_.clear();
  for (const TopicSpec& spec : pending) {
    if (can_create(spec, waited)) create_now(ctx, spec);
    else pending_topics_.push_back(spec);
  }
}

// ---- dispatch ----

void Controller::on_message(sim::Context& ctx, sim::NodeId from, const sim::MessagePtr& msg) {
  const KafkaMessage& m = kafka_message(msg);
  switch (route(m)) {
    case route_of<MetadataFetchRequest>: handle_metadata_fetch(ctx, from, message_as<MetadataFetchRequest>(m)); break;
    case route_of<BrokerHeartbeatRequest>: handle_heartbeat(ctx, from, message_as<BrokerHeartbeatRequest>(m)); break;
    case route_of<AlterPartitionRequest>: handle_alter_partition(ctx, from, message_as<AlterPartitionRequest>(m)); break;
    case route_of<BrokerRegistrationRequest>: handle_registration(ctx, from, message_as<BrokerRegistrationRequest>(m)); break;
    case route_of<CreateTopicsRequest>: handle_create_topics(ctx, from, message_as<CreateTopicsRequest>(m)); break;
    default: unexpected_message("the controller", m);
  }
}

void Controller::on_timer(sim::Context& ctx, uint64_t tag) {
  switch (sim::timer_kind<Timer>(tag)) {
    case Timer::session_check: {
      const sim::Duration session = sim::Duration::millis(config_.integer("broker.session.timeout.ms"));
      std::vector<BrokerId> expired;
      for (const auto& [id, b] : brokers_)
        if (!b.fenced && ctx.now() - b.last_heartbeat > session) expired.push_back(id);
      for (BrokerId id : expired) fence(ctx, id, "session-timeout");
      // A broker in controlled shutdown that went quiet is fenced as well.
      for (auto& [id, b] : brokers_)
        if (b.shutting_down && !b.fenced && ctx.now() - b.last_heartbeat > session) fence(ctx, id, "session-timeout");
      ctx.set_timer(kSessionCheckEvery, tag);
      break;
    }
    case Timer::pending_topics_deadline:
      pending_waited_ = true;
      create_pending_topics(ctx, true);
      break;
    case Timer::fetch_timeout: {
      auto it = parked_.find(static_cast<BrokerId>(sim::timer_id(tag)));
      if (it == parked_.end()) return;
      auto resp = std::make_shared<MetadataFetchResponse>();
      resp->base_offset = it->second.offset;
      ctx.send(it->second.from, resp);
      parked_.erase(it);
      break;
    }
  }
}

std::string Controller::invariants() const {
  auto has = [](const std::vector<BrokerId>& v, BrokerId b) { return std::find(v.begin(), v.end(), b) != v.end(); };
  for (const auto& [tp, s] : partitions_) {
    const std::string where = tp.to_string();
    for (BrokerId b : s.isr) {
      if (!has(s.replicas, b)) return fmt::format("{}: ISR member {} is not a replica", where, b);
      if (has(s.elr, b)) return fmt::format("{}: {} is in both the ISR and the ELR", where, b);
    }
    for (BrokerId b : s.elr)
      if (!has(s.replicas, b)) return fmt::format("{}: ELR member {} is not a replica", where, b);
    if (s.leader != kNoLeader && !has(s.isr, s.leader)) return fmt::format("{}: leader {} is not in the ISR", where, s.leader);
    if (!topics_.count(tp.topic)) return fmt::format("{}: a partition of no topic", where);
  }
  if (log_.size() < partitions_.size()) return "the metadata log is shorter than the partitions it registered";
  return {};
}

}  // namespace kafka
