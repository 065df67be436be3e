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

bool Partition::enough_in_sync(int64_t min_isr) const {
  return static_cast<int64_t>(isr.size()) >= std::min<int64_t>(min_isr, static_cast<int64_t>(replicas.size()));
}

void Partition::make_leader(const PartitionState& s, BrokerId self, sim::Time now) {
  role = Role::leader;
  leader = self;
  leader_epoch = s.leader_epoch;
  partition_epoch = s.partition_epoch;
  isr = s.isr;
  pending_isr.reset();
  follower_state = FollowerState::idle;
  epoch_start_offset = log->log_end_offset();
  log->assign_epoch_start(s.leader_epoch, log->log_end_offset());
  remotes.clear();
  for (BrokerId b : s.replicas) {
    if (b == self) continue;
    Replica r;
    r.last_caught_up = in_isr(b) ? now : sim::Time{0};
    remotes[b] = r;
  }
}

void Partition::make_follower(const PartitionState& s) {
  role = Role::follower;
  leader = s.leader;
  leader_epoch = s.leader_epoch;
  partition_epoch = s.partition_epoch;
  isr = s.isr;
  pending_isr.reset();
  remotes.clear();
}

void Partition::update_follower_fetch_state(BrokerId follower, int64_t fetch_offset, sim::Time now) {
  remotes[follower].update_fetch_state(fetch_offset, log->log_end_offset(), now);
}

int64_t Partition::leader_hw_candidate(sim::Time now, sim::Duration lag, const std::function<bool(BrokerId)>& unfenced) const {
  const int64_t leo = log->log_end_offset();
  const std::vector<BrokerId> maximal = maximal_isr();
  int64_t hw = leo;
  for (const auto& [b, r] : remotes) {
    if (r.leo < hw && (contains(maximal, b) || (r.caught_up(leo, now, lag) && unfenced(b)))) hw = r.leo;
  }
  return hw;
}

bool Partition::can_add_to_isr(BrokerId follower, bool unfenced) const {
  auto it = remotes.find(follower);
  if (it == remotes.end()) return false;
  const Replica& r = it->second;
  return r.leo >= log->high_watermark() && r.leo >= epoch_start_offset && unfenced;
}

std::vector<BrokerId> Partition::isr_without_laggards(BrokerId self, sim::Time now, sim::Duration lag) const {
  const int64_t leo = log->log_end_offset();
  std::vector<BrokerId> keep;
  for (BrokerId b : isr) {
    if (b == self) {
      keep.push_back(b);
      continue;
    }
    // An ISR member the leader has no fetch state for counts as fetched at time zero.
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
