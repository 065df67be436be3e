#include "broker_model/broker/partition.hpp"

#include <algorithm>

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

}  // namespace kafka
