#include "broker_model/broker/replica_manager.hpp"

#include <algorithm>

#include "broker_model/broker/replica_trace.hpp"
#include "broker_model/log/log_files.hpp"

namespace kafka {

ReplicaManager::ReplicaManager(BrokerId id, const ClusterLayout& layout, const ConfigSet& config, const MetadataImage& image,
                               Bugs bugs)
    : id_(id),
      layout_(layout),
      config_(config),
      image_(image),
      bugs_(bugs),
      lag_max_(sim::Duration::millis(config.integer("replica.lag.time.max.ms"))),
      purgatory_(*this),
      fetcher_(id, layout, config, bugs, *this) {}

void ReplicaManager::set_broker_epoch(int64_t epoch) {
  broker_epoch_ = epoch;
  fetcher_.set_broker_epoch(epoch);
}

const Partition* ReplicaManager::partition(const std::string& topic, int32_t p) const {
  auto it = partitions_.find(TopicPartitionView{topic, p});
  return it == partitions_.end() ? nullptr : &it->second;
}

Partition* ReplicaManager::partition(const std::string& topic, int32_t p) {
  auto it = partitions_.find(TopicPartitionView{topic, p});
  return it == partitions_.end() ? nullptr : &it->second;
}

Partition* ReplicaManager::led(const TopicPartition& tp) {
  Partition* p = partition(tp.topic, tp.partition);
  return p && p->is_leader() ? p : nullptr;
}

Error ReplicaManager::leader_error(const Partition* p, int32_t current_leader_epoch) {
  if (!p || !p->is_leader()) return Error::NOT_LEADER_OR_FOLLOWER;
  if (current_leader_epoch >= 0 && current_leader_epoch < p->leader_epoch) return Error::FENCED_LEADER_EPOCH;
  if (current_leader_epoch > p->leader_epoch) return Error::UNKNOWN_LEADER_EPOCH;
  return Error::NONE;
}

int64_t ReplicaManager::min_isr(const std::string& topic) const {
  auto it = image_.topics.find(topic);
  if (it != image_.topics.end() && it->second.min_insync_replicas >= 0) return it->second.min_insync_replicas;
  return config_.integer("min.insync.replicas");
}

Partition& ReplicaManager::partition_for(sim::Context& ctx, const std::string& topic, int32_t p) {
  auto it = partitions_.find({topic, p});
  if (it != partitions_.end()) return it->second;
  auto log = std::make_unique<PartitionLog>(ctx.disk(), topic, p);
  return partitions_.emplace(TopicPartition{topic, p}, Partition(std::move(log))).first->second;
}

// ---- the logs ----

void ReplicaManager::load_logs(sim::Context& ctx) {
  for (const std::string& file : ctx.disk().list()) {
    const auto tp = log_files::partition_of_log(file);
    if (!tp) continue;
    const Partition& p = partition_for(ctx, tp->topic, tp->partition);
    ctx.trace(event::LogRecover{.topic = tp->topic,
                                .partition = tp->partition,
                                .leo = p.log->log_end_offset(),
                                .hw = p.log->high_watermark(),
                                .torn_batch_dropped = p.log->recovered_torn_batch()});
  }
}

void ReplicaManager::checkpoint_high_watermarks() {
  for (auto& [tp, p] : partitions_) p.log->checkpoint_hw();
}

int64_t ReplicaManager::flush_messages(const std::string& topic) const {
  auto it = image_.topics.find(topic);
  if (it != image_.topics.end() && it->second.flush_messages >= 0) return it->second.flush_messages;
  return config_.integer("flush.messages");
}

int64_t ReplicaManager::flush_ms(const std::string& topic) const {
  auto it = image_.topics.find(topic);
  if (it != image_.topics.end() && it->second.flush_ms >= 0) return it->second.flush_ms;
  return config_.integer("flush.ms");
}

void ReplicaManager::maybe_flush(sim::Context& ctx, Partition& p) {
  if (p.log->unflushed_messages() >= static_cast<uint64_t>(flush_messages(p.log->topic()))) {
    p.log->flush();
    p.log->set_last_flush_ms(ctx.now().ns / 1'000'000);
  }
}

void ReplicaManager::flush_by_time(sim::Context& ctx) {
  const int64_t now_ms = ctx.now().ns / 1'000'000;
  for (auto& [tp, p] : partitions_) {
    if (p.log->unflushed_messages() > 0 && now_ms - p.log->last_flush_ms() >= flush_ms(tp.topic)) {
      p.log->flush();
      p.log->set_last_flush_ms(now_ms);
    }
  }
}

// ---- roles ----

void ReplicaManager::apply_partition(sim::Context& ctx, const PartitionState& s) {
  if (std::find(s.replicas.begin(), s.replicas.end(), id_) == s.replicas.end()) return;
  Partition& p = partition_for(ctx, s.topic, s.partition);
  if (s.leader == id_) {
    become_leader(ctx, p, s);
    return;
  }
  p.replicas = s.replicas;
  if (p.role != Partition::Role::follower || s.leader_epoch > p.leader_epoch || s.leader != p.leader) {
    become_follower(ctx, p, s);
  } else {
    p.partition_epoch = s.partition_epoch;
  }
}

void ReplicaManager::become_leader(sim::Context& ctx, Partition& p, const PartitionState& s) {
  // ReplicaManager.applyLocalLeadersDelta hands every change that names this broker leader
  // to Partition.makeLeader, which takes it over any AlterPartition in flight.
  const std::vector<BrokerId> isr_before = p.isr;
  const Partition::LeaderChange change = p.make_leader(s, id_, ctx.now());
  if (!change.applied) return;
  p.replicas = s.replicas;
  if (change.new_epoch) {
    trace_replica_state<event::ReplicaLeader>(ctx, p);
    p.traced_lso = -1;  // a new leader states its LSO afresh
  }
  else if (p.isr != isr_before) trace_replica_state<event::ReplicaIsr>(ctx, p);
  maybe_increment_hw(ctx, p);  // the ISR may be down to this broker
  maybe_trace_lso(ctx, p);
  if (change.new_epoch && listener_) listener_->on_election(ctx, p.tp());
}

void ReplicaManager::become_follower(sim::Context& ctx, Partition& p, const PartitionState& s) {
  const bool was_leader = p.is_leader();
  p.make_follower(s);
  trace_replica_state<event::ReplicaFollower>(ctx, p);
  if (was_leader) {
    purgatory_.check(ctx, p.tp());  // what waited on this leader now fails
    if (listener_) listener_->on_resignation(ctx, p.tp());
  }
  fetcher_.add_partition(ctx, p);
}

// ---- the high watermark and the ISR ----

bool ReplicaManager::isr_eligible(const Partition& p, BrokerId b) const { return p.is_replica_isr_eligible(b, image_); }

bool ReplicaManager::maybe_increment_hw(sim::Context& ctx, Partition& p) {
  if (!p.is_leader()) return false;
  if (strict_min_isr() && !p.enough_in_sync(min_isr(p.log->topic()))) return false;
  const int64_t hw = p.leader_hw_candidate(ctx.now(), lag_max_, [&](BrokerId b) { return isr_eligible(p, b); });
  if (!p.log->maybe_increment_hw(hw)) return false;
  trace_high_watermark(ctx, p);
  maybe_trace_lso(ctx, p);
  purgatory_.hw_moved(ctx, p.tp());
  return true;
}

void ReplicaManager::update_follower(sim::Context& ctx, Partition& p, BrokerId follower, int64_t fetch_offset,
                                     int64_t broker_epoch) {
  p.update_follower_fetch_state(follower, fetch_offset, ctx.now(), broker_epoch);
  maybe_expand_isr(ctx, p, follower);
  maybe_increment_hw(ctx, p);
}

void ReplicaManager::maybe_expand_isr(sim::Context& ctx, Partition& p, BrokerId follower) {
  if (p.pending_isr || p.in_isr(follower)) return;
  if (!p.can_add_to_isr(follower, isr_eligible(p, follower))) return;
  std::vector<BrokerId> isr = p.isr;
  isr.push_back(follower);
  propose_isr(ctx, p, isr);
}

void ReplicaManager::maybe_shrink_isr(sim::Context& ctx) {
  for (auto& [tp, p] : partitions_) {
    if (!p.is_leader() || p.pending_isr) continue;
    std::vector<BrokerId> keep = p.isr_without_laggards(id_, ctx.now(), lag_max_);
    if (keep.size() != p.isr.size()) propose_isr(ctx, p, std::move(keep));
  }
}

void ReplicaManager::propose_isr(sim::Context& ctx, Partition& p, std::vector<BrokerId> isr) {
  auto req = std::make_shared<AlterPartitionRequest>();
  req->correlation_id = next_alter_partition_id_++;
  req->broker_id = id_;
  req->broker_epoch = broker_epoch_;
  req->topic = p.log->topic();
  req->partition = p.log->partition();
  req->leader_epoch = p.leader_epoch;
  req->partition_epoch = p.partition_epoch;
  // Partition.addBrokerEpochToIsr: each member's epoch as its fetches named it (-1: unknown).
  for (BrokerId b : isr) {
    int64_t epoch = -1;
    if (b == id_) epoch = broker_epoch_;
    else if (auto r = p.remotes.find(b); r != p.remotes.end() && r->second.broker_epoch) epoch = *r->second.broker_epoch;
    req->new_isr_with_epochs.push_back({b, epoch});
  }
  ctx.trace(event::ReplicaAlterPartition{
      .topic = req->topic, .partition = req->partition, .isr = broker_ids(p.isr), .proposed = broker_ids(isr)});
  p.pending_isr = std::move(isr);
  p.pending_correlation_id = req->correlation_id;
  ctx.send(layout_.controller, req);
}

void ReplicaManager::handle_alter_partition_response(sim::Context& ctx, const AlterPartitionResponse& resp) {
  Partition* p = partition(resp.topic, resp.partition);
  // Partition.submitAlterPartition's callback: an answer to a change the partition no longer
  // waits for (new metadata replaced it) is stale.
  if (!p) return;
  if (resp.error != Error::NONE) {
    ctx.trace(event::ReplicaAlterPartitionFailed{.topic = resp.topic, .partition = resp.partition, .error = error_name(resp.error)});
  }
  if (!p->is_leader() || !p->pending_isr || p->pending_correlation_id != resp.correlation_id) return;
  if (resp.error != Error::NONE) {
    handle_alter_partition_error(*p, resp.error);
    return;
  }
  // handleAlterPartitionUpdate: a newer leader epoch or an older partition epoch is stale, and
  // the change stays pending until metadata replaces it.
  if (resp.state.leader_epoch != p->leader_epoch || resp.state.partition_epoch < p->partition_epoch) return;
  p->pending_isr.reset();
  p->pending_correlation_id = -1;
  p->isr = resp.state.isr;
  p->partition_epoch = resp.state.partition_epoch;
  trace_replica_state<event::ReplicaIsr>(ctx, *p);
  maybe_increment_hw(ctx, *p);
  purgatory_.check(ctx, p->tp());  // the ISR may have fallen below min.insync.replicas
}

void ReplicaManager::handle_alter_partition_error(Partition& p, Error error) {
  switch (error) {
    case Error::INELIGIBLE_REPLICA:
      // The controller says the request was not applied and our partition epoch is current:
      // back to the committed ISR, free to propose again.
    case Error::STALE_BROKER_EPOCH:
    case Error::NOT_CONTROLLER:
      // Errors AlterPartitionManager and Partition retry (after 50 ms); simplified: the
      // change is dropped and the next fetch or ISR check proposes it afresh.
      p.pending_isr.reset();
      p.pending_correlation_id = -1;
      break;
    default:
      // INVALID_UPDATE_VERSION, FENCED_LEADER_EPOCH, UNKNOWN_TOPIC_OR_PARTITION...: our state
      // is out of date. The change stays pending, so no other is proposed, until the metadata
      // catches up (handleAlterPartitionError).
      break;
  }
}

void ReplicaManager::controller_lost() {
  for (auto& [tp, p] : partitions_) p.pending_isr.reset();
}

// ---- PartitionWriter ----

bool ReplicaManager::leads(const TopicPartition& tp) const {
  const Partition* p = partition(tp.topic, tp.partition);
  return p && p->is_leader();
}

std::vector<BatchPtr> ReplicaManager::read_all(const TopicPartition& tp) const {
  const Partition* p = partition(tp.topic, tp.partition);
  return p ? p->log->all_batches() : std::vector<BatchPtr>{};
}

std::string ReplicaManager::invariants() const {
  for (const auto& [tp, p] : partitions_) {
    if (std::string broken = p.invariants(id_); !broken.empty()) return broken;
  }
  if (std::string broken = purgatory_.invariants(); !broken.empty()) return broken;
  return fetcher_.invariants();
}

}  // namespace kafka
