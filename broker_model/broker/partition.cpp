#include "broker_model/broker/partition.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace kafka {

namespace {
bool contains(const std::vector<BrokerId>& v, BrokerId b) { return std::find(v.begin(), v.end(), b) != v.end(); }
}  // namespace

std::vector<BrokerId> Partition::maximal_isr() const {
  std::vector<BrokerId> out = isr;
  if (pending_isr)
    for (BrokerId b : *pending_isr)
      if (!contains(out, b)) out.push_back(b);
  return out;
}

bool Partition::in_isr(BrokerId b) const { return contains(isr, b); }

int64_t Partition::effective_min_isr(int64_t min_isr) const {
  return std::min<int64_t>(min_isr, static_cast<int64_t>(replicas.size()));
}

bool Partition::enough_in_sync(int64_t min_isr) const {
  return static_cast<int64_t>(isr.size()) >= effective_min_isr(min_isr);
}

bool Partition::enough_in_maximal_isr(int64_t min_isr) const {
  return static_cast<int64_t>(maximal_isr().size()) >= effective_min_isr(min_isr);
}

Partition::LeaderChange Partition::make_leader(const PartitionState& s, BrokerId self, sim::Time now) {
  // The AlterPartition answer may have told us a newer partition epoch than this record's.
  if (s.partition_epoch < partition_epoch) return {};
  const LeaderChange change{true, !is_leader(), s.leader_epoch > leader_epoch};
  role = Role::leader;
  leader = self;
  follower_state = FollowerState::idle;
  // updateAssignmentAndIsr: a follower per assigned replica (existing ones kept), the ISR
  // committed, no change in flight.
  std::map<BrokerId, Replica> kept;
  for (BrokerId b : s.replicas)
    if (b != self) kept[b] = remotes.count(b) ? remotes.at(b) : Replica{};
  remotes = std::move(kept);
  isr = s.isr;
  pending_isr.reset();
  pending_correlation_id = -1;
  if (change.new_epoch) {
    epoch_start_offset = log->log_end_offset();
    log->assign_epoch_start(s.leader_epoch, epoch_start_offset);
    for (auto& [b, r] : remotes) r.reset(now, epoch_start_offset, change.new_leader, in_isr(b));
    leader_epoch = s.leader_epoch;
  }
  partition_epoch = s.partition_epoch;
  return change;
}

void Partition::make_follower(const PartitionState& s) {
  role = Role::follower;
  leader = s.leader;
  leader_epoch = s.leader_epoch;
  partition_epoch = s.partition_epoch;
  isr = s.isr;
  pending_isr.reset();
  pending_correlation_id = -1;
  remotes.clear();
}

void Partition::update_follower_fetch_state(BrokerId follower, int64_t fetch_offset, sim::Time now, int64_t broker_epoch) {
  // Only an assigned follower has fetch state (Partition.getReplicaOrException).
  auto it = remotes.find(follower);
  if (it != remotes.end()) it->second.update_fetch_state(fetch_offset, log->log_end_offset(), now, broker_epoch);
}

int64_t Partition::leader_hw_candidate(sim::Time now, sim::Duration lag, const std::function<bool(BrokerId)>& isr_eligible) const {
  const int64_t leo = log->log_end_offset();
  const std::vector<BrokerId> maximal = maximal_isr();
  int64_t hw = leo;
  for (const auto& [b, r] : remotes) {
    if (r.leo < hw && (contains(maximal, b) || (r.caught_up(leo, now, lag) && isr_eligible(b)))) hw = r.leo;
  }
  return hw;
}

bool Partition::is_replica_isr_eligible(BrokerId b, const MetadataImage& image) const {
  auto r = remotes.find(b);
  auto reg = image.brokers.find(b);
  if (r == remotes.end() || reg == image.brokers.end()) return false;
  if (reg->second.fenced || reg->second.in_controlled_shutdown) return false;
  // isBrokerEpochIsrEligible: the epoch stored from its fetches against getAliveBrokerEpoch.
  const std::optional<int64_t>& stored = r->second.broker_epoch;
  return stored && (*stored == -1 || *stored == reg->second.epoch);
}

bool Partition::can_add_to_isr(BrokerId follower, bool isr_eligible) const {
  auto it = remotes.find(follower);
  if (it == remotes.end()) return false;
  const Replica& r = it->second;
  return r.leo >= log->high_watermark() && r.leo >= epoch_start_offset && isr_eligible;
}

std::vector<BrokerId> Partition::isr_without_laggards(BrokerId self, sim::Time now, sim::Duration lag) const {
  const int64_t leo = log->log_end_offset();
  std::vector<BrokerId> keep;
  for (BrokerId b : isr) {
    if (b == self) {
      keep.push_back(b);
      continue;
    }
    // An ISR member the leader has no fetch state for is out of sync (isFollowerOutOfSync).
    auto it = remotes.find(b);
    const Replica r = it == remotes.end() ? Replica{} : it->second;
    if (r.caught_up(leo, now, lag)) keep.push_back(b);
  }
  return keep;
}

std::string Partition::invariants(BrokerId self) const {
  const std::string where = tp().to_string();
  if (log->high_watermark() > log->log_end_offset()) {
    return fmt::format("{}: HW {} above LEO {}", where, log->high_watermark(), log->log_end_offset());
  }
  const auto& epochs = log->epochs().entries();
  for (size_t i = 1; i < epochs.size(); ++i) {
    if (epochs[i].epoch <= epochs[i - 1].epoch || epochs[i].start_offset < epochs[i - 1].start_offset) {
      return fmt::format("{}: leader epoch cache out of order at epoch {}", where, epochs[i].epoch);
    }
  }
  if (!epochs.empty() && epochs.back().start_offset > log->log_end_offset()) {
    return fmt::format("{}: epoch {} starts at {}, past the LEO {}", where, epochs.back().epoch, epochs.back().start_offset,
                       log->log_end_offset());
  }
  // An open or unreplicated transaction starts inside the log (truncation reopens or drops it).
  if (const auto first_unstable = log->producer_state().first_unstable_offset(); first_unstable && *first_unstable >= log->log_end_offset()) {
    return fmt::format("{}: a transaction starts at {}, past the LEO {}", where, *first_unstable, log->log_end_offset());
  }
  switch (role) {
    case Role::leader:
      if (leader != self) return fmt::format("{}: leads, but names {} as leader", where, leader);
      if (log->latest_epoch() != leader_epoch) {
        return fmt::format("{}: leads epoch {} but its log's latest epoch is {}", where, leader_epoch, log->latest_epoch());
      }
      if (!contains(isr, self) || (pending_isr && !contains(*pending_isr, self))) return fmt::format("{}: the leader is not in its ISR", where);
      for (BrokerId b : maximal_isr())
        if (!contains(replicas, b)) return fmt::format("{}: ISR member {} is not a replica", where, b);
      if (epoch_start_offset > log->log_end_offset()) return fmt::format("{}: this epoch starts past the LEO", where);
      if (follower_state != FollowerState::idle) return fmt::format("{}: a leader with a follower's fetch state", where);
      break;
    case Role::follower:
      if (!remotes.empty() || pending_isr) return fmt::format("{}: a follower keeps a leader's state", where);
      if (leader == self) return fmt::format("{}: follows itself", where);
      if (leader == kNoLeader && follower_state != FollowerState::idle) return fmt::format("{}: fetches from no leader", where);
      break;
    case Role::none:
      if (!remotes.empty() || follower_state != FollowerState::idle) return fmt::format("{}: no role, but role state", where);
      break;
  }
  return {};
}

}  // namespace kafka
