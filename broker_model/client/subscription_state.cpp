#include "broker_model/client/subscription_state.hpp"

#include <algorithm>
#include <string>

#include <fmt/format.h>

#include "sim/assert.hpp"

namespace kafka {

std::string_view to_string(FetchState s) {
  switch (s) {
    case FetchState::initializing: return "INITIALIZING";
    case FetchState::fetching: return "FETCHING";
    case FetchState::await_reset: return "AWAIT_RESET";
    case FetchState::await_validation: return "AWAIT_VALIDATION";
  }
  return "?";
}

// Kafka's FetchStates.validTransitions().
bool valid_transition(FetchState from, FetchState to) {
  using S = FetchState;
  switch (from) {
    case S::initializing:
    case S::fetching:
    case S::await_validation: return to == S::fetching || to == S::await_reset || to == S::await_validation;
    case S::await_reset: return to == S::fetching || to == S::await_reset;
  }
  return false;
}

void SubscriptionState::transition(const TopicPartition& tp, TopicPartitionState& s, FetchState to) {
  SIM_ASSERT(valid_transition(s.state, to), tp.to_string() + ": fetch state " + std::string(to_string(s.state)) +
                                                " -> " + std::string(to_string(to)));
  s.state = to;
  // TopicPartitionState.transitionState: a state that requires no position drops it.
  if (to == FetchState::await_reset) s.offset = s.fetch_offset = -1;
  SIM_ASSERT(s.state != FetchState::fetching || s.has_position(), tp.to_string() + ": FETCHING without a position");
  SIM_ASSERT(s.state != FetchState::await_validation || s.has_position(),
             tp.to_string() + ": AWAIT_VALIDATION without a position");
}

std::vector<TopicPartition> SubscriptionState::assigned_partitions() const {
  std::vector<TopicPartition> out;
  out.reserve(assignment_.size());
  for (const auto& [tp, s] : assignment_) out.push_back(tp);
  return out;
}

const TopicPartitionState& SubscriptionState::state(const TopicPartition& tp) const {
  auto it = assignment_.find(tp);
  SIM_ASSERT(it != assignment_.end(), tp.to_string() + " is not assigned");
  return it->second;
}

TopicPartitionState& SubscriptionState::mutable_state(const TopicPartition& tp) {
  auto it = assignment_.find(tp);
  SIM_ASSERT(it != assignment_.end(), tp.to_string() + " is not assigned");
  return it->second;
}

void SubscriptionState::add_assigned(const TopicPartition& tp) {
  const bool added = assignment_.emplace(tp, TopicPartitionState{}).second;
  SIM_ASSERT(added, tp.to_string() + " was already assigned");
}

void SubscriptionState::remove_assigned(const std::vector<TopicPartition>& partitions) {
  for (const auto& tp : partitions) {
    assignment_.erase(tp);
    processed_.erase(tp);
  }
}

void SubscriptionState::clear_assignment() {
  assignment_.clear();
  processed_.clear();
}

void SubscriptionState::seek(const TopicPartition& tp, int64_t offset) {
  SIM_ASSERT(offset >= 0, "seek to a negative offset");
  TopicPartitionState& s = mutable_state(tp);
  s.offset = s.fetch_offset = offset;
  s.offset_epoch = -1;
  s.committed_offset_pending = false;
  s.next_retry.reset();
  transition(tp, s, FetchState::fetching);
}

void SubscriptionState::seek_unvalidated(const TopicPartition& tp, int64_t offset, int32_t offset_epoch,
                                         int32_t leader_epoch) {
  SIM_ASSERT(offset >= 0, "a committed offset is never negative");
  TopicPartitionState& s = mutable_state(tp);
  s.offset = s.fetch_offset = offset;
  s.offset_epoch = offset_epoch;
  s.next_retry.reset();
  // TopicPartitionState.validatePosition: without an epoch on either side there is nothing
  // to compare. A partition sought, reset or validated while the OffsetFetch was on its way
  // takes the committed offset as well (refreshCommittedOffsets seeks whatever the state).
  // seekValidated, then validatePosition: by way of FETCHING, so a partition awaiting a reset
  // meanwhile takes it too.
  transition(tp, s, FetchState::fetching);
  if (offset_epoch >= 0 && leader_epoch >= 0) transition(tp, s, FetchState::await_validation);
}

void SubscriptionState::set_committed_offset_pending(const TopicPartition& tp) {
  TopicPartitionState& s = mutable_state(tp);
  SIM_ASSERT(s.state == FetchState::initializing && !s.committed_offset_pending,
             tp.to_string() + ": asking for a committed offset twice");
  s.committed_offset_pending = true;
}

void SubscriptionState::clear_committed_offset_pending() {
  for (auto& [tp, s] : assignment_) s.committed_offset_pending = false;
}

void SubscriptionState::request_reset(const TopicPartition& tp) {
  TopicPartitionState& s = mutable_state(tp);
  s.next_retry.reset();
  transition(tp, s, FetchState::await_reset);
}

void SubscriptionState::complete_reset(const TopicPartition& tp, int64_t offset) {
  TopicPartitionState& s = mutable_state(tp);
  SIM_ASSERT(s.state == FetchState::await_reset, tp.to_string() + ": a reset nobody asked for");
  s.offset = s.fetch_offset = offset;
  // OffsetFetcherUtils.resetPositionIfNeeded: the position carries no epoch, so it is not
  // validated (the ListOffsets answer's epoch only updates the metadata).
  s.offset_epoch = -1;
  s.next_retry.reset();
  transition(tp, s, FetchState::fetching);
}

bool SubscriptionState::maybe_validate_position(const TopicPartition& tp) {
  TopicPartitionState& s = mutable_state(tp);
  if (s.state == FetchState::await_reset || !s.has_position()) return false;
  s.next_retry.reset();
  transition(tp, s, s.offset_epoch >= 0 ? FetchState::await_validation : FetchState::fetching);
  return s.state == FetchState::await_validation;
}

void SubscriptionState::truncate_position(const TopicPartition& tp, int64_t end_offset, int32_t epoch) {
  TopicPartitionState& s = mutable_state(tp);
  SIM_ASSERT(s.state == FetchState::await_validation && end_offset >= 0 && end_offset < s.offset,
             tp.to_string() + ": truncation outside a validation");
  s.offset = s.fetch_offset = end_offset;
  s.offset_epoch = epoch;
  s.next_retry.reset();
  transition(tp, s, FetchState::fetching);
}

void SubscriptionState::complete_validation(const TopicPartition& tp) {
  TopicPartitionState& s = mutable_state(tp);
  SIM_ASSERT(s.state == FetchState::await_validation, tp.to_string() + ": a validation nobody asked for");
  s.next_retry.reset();
  transition(tp, s, FetchState::fetching);
}

void SubscriptionState::set_next_retry(const std::vector<TopicPartition>& partitions, sim::Time until) {
  for (const auto& tp : partitions) {
    auto it = assignment_.find(tp);
    if (it != assignment_.end()) it->second.next_retry = until;  // by then it may be revoked
  }
}

std::vector<TopicPartition> SubscriptionState::partitions_needing(FetchState state, sim::Time now) const {
  std::vector<TopicPartition> out;
  for (const auto& [tp, s] : assignment_)
    if (s.state == state && !s.awaiting_retry_backoff(now)) out.push_back(tp);
  return out;
}

void SubscriptionState::advance_fetch_offset(const TopicPartition& tp, int64_t next_fetch_offset) {
  TopicPartitionState& s = mutable_state(tp);
  SIM_ASSERT(next_fetch_offset > s.fetch_offset, tp.to_string() + ": the fetch position goes back");
  s.fetch_offset = next_fetch_offset;
}

void SubscriptionState::consumed(const TopicPartition& tp, int64_t next_offset, int32_t epoch) {
  TopicPartitionState& s = mutable_state(tp);
  SIM_ASSERT(s.state == FetchState::fetching, tp.to_string() + ": records handed out without a valid position");
  s.offset = next_offset;
  s.offset_epoch = epoch;
}

void SubscriptionState::processed(const TopicPartition& tp, int64_t next_offset, int32_t epoch) {
  processed_[tp] = {next_offset, epoch};
}

void SubscriptionState::commit_acknowledged(const Offsets& offsets) {
  for (const auto& o : offsets) committed_[o.tp] = std::max(committed_[o.tp], o.offset);
}

SubscriptionState::Offsets SubscriptionState::all_consumed(bool commit_fetch_position) const {
  Offsets out;
  for (const auto& [tp, s] : assignment_) {
    if (!s.has_position()) continue;
    // The bug: the fetch position runs ahead of the application, over records fetched and
    // buffered but not yet returned by poll(); committing it skips them after a crash.
    const int64_t offset = commit_fetch_position && s.fetch_offset > s.offset ? s.fetch_offset : s.offset;
    auto c = committed_.find(tp);
    if (c != committed_.end() && c->second == offset) continue;
    out.push_back({tp, offset, s.offset_epoch});
  }
  return out;
}

SubscriptionState::Offsets SubscriptionState::uncommitted_processed() const {
  Offsets out;
  for (const auto& [tp, next] : processed_) {
    auto c = committed_.find(tp);
    if (c != committed_.end() && c->second >= next.first) continue;
    out.push_back({tp, next.first, next.second});
  }
  return out;
}

std::string SubscriptionState::invariants() const {
  for (const auto& [tp, s] : assignment_) {
    if (s.state == FetchState::fetching && (!s.has_position() || s.fetch_offset < s.offset)) {
      return fmt::format("{}: fetching at {} with the position at {}", tp.to_string(), s.fetch_offset, s.offset);
    }
  }
  return {};
}

}  // namespace kafka
