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

// Kafka's FetchStates.validTransitions(), plus the model's fall-backs to INITIALIZING (see the
// header). INITIALIZING -> AWAIT_VALIDATION is Kafka's but not the model's: a committed offset
// is used without validating its epoch.
bool valid_transition(FetchState from, FetchState to) {
  using S = FetchState;
  switch (from) {
    case S::initializing: return to == S::fetching || to == S::await_reset;
    case S::fetching:
      return to == S::fetching || to == S::await_validation || to == S::await_reset || to == S::initializing;
    case S::await_reset: return to == S::fetching || to == S::await_reset || to == S::initializing;
    case S::await_validation:
      return to == S::fetching || to == S::await_validation || to == S::await_reset || to == S::initializing;
  }
  return false;
}

void SubscriptionState::transition(const TopicPartition& tp, TopicPartitionState& s, FetchState to) {
  SIM_ASSERT(valid_transition(s.state, to), tp.to_string() + ": fetch state " + std::string(to_string(s.state)) +
                                                " -> " + std::string(to_string(to)));
  s.state = to;
  // FetchStates.requiresPosition / hasValidPosition, as the model keeps them.
  SIM_ASSERT(s.state != FetchState::initializing || !s.has_position(), tp.to_string() + ": INITIALIZING with a position");
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
  transition(tp, s, FetchState::fetching);
}

void SubscriptionState::seek_to_committed(const TopicPartition& tp, int64_t offset, int32_t epoch) {
  SIM_ASSERT(offset >= 0, "a committed offset is never negative");
  TopicPartitionState& s = mutable_state(tp);
  s.offset = s.fetch_offset = offset;
  s.offset_epoch = epoch;
  // Normally INITIALIZING. A partition sought, reset or validated while the OffsetFetch was
  // on its way keeps its state: the committed offset replaces its position as before.
  if (s.state == FetchState::initializing) transition(tp, s, FetchState::fetching);
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

void SubscriptionState::invalidate_position(const TopicPartition& tp) {
  TopicPartitionState& s = mutable_state(tp);
  s.offset = -1;
  // A partition awaiting a reset that got a position meanwhile (records buffered before the
  // reset, a late committed offset) goes on waiting for its ListOffsets, which decides.
  if (s.state != FetchState::await_reset) transition(tp, s, FetchState::initializing);
}

void SubscriptionState::request_reset(const TopicPartition& tp) {
  TopicPartitionState& s = mutable_state(tp);
  transition(tp, s, FetchState::await_reset);
}

void SubscriptionState::complete_reset(const TopicPartition& tp, int64_t offset, int32_t epoch) {
  TopicPartitionState& s = mutable_state(tp);
  SIM_ASSERT(s.state == FetchState::await_reset, tp.to_string() + ": a reset nobody asked for");
  s.offset = s.fetch_offset = offset;
  s.offset_epoch = epoch;
  transition(tp, s, FetchState::fetching);
}

void SubscriptionState::abandon_reset(const TopicPartition& tp) {
  TopicPartitionState& s = mutable_state(tp);
  SIM_ASSERT(s.state == FetchState::await_reset, tp.to_string() + ": abandoning a reset nobody asked for");
  transition(tp, s, s.has_position() ? FetchState::fetching : FetchState::initializing);
}

void SubscriptionState::request_validation(const TopicPartition& tp) {
  TopicPartitionState& s = mutable_state(tp);
  transition(tp, s, FetchState::await_validation);
}

void SubscriptionState::truncate_position(const TopicPartition& tp, int64_t end_offset) {
  TopicPartitionState& s = mutable_state(tp);
  SIM_ASSERT(s.state == FetchState::await_validation && end_offset >= 0 && end_offset < s.offset,
             tp.to_string() + ": truncation outside a validation");
  s.offset = s.fetch_offset = end_offset;
}

void SubscriptionState::complete_validation(const TopicPartition& tp) {
  TopicPartitionState& s = mutable_state(tp);
  SIM_ASSERT(s.state == FetchState::await_validation, tp.to_string() + ": a validation nobody asked for");
  transition(tp, s, FetchState::fetching);
}

void SubscriptionState::advance_fetch_offset(const TopicPartition& tp, int64_t next_fetch_offset) {
  TopicPartitionState& s = mutable_state(tp);
  SIM_ASSERT(next_fetch_offset > s.fetch_offset, tp.to_string() + ": the fetch position goes back");
  s.fetch_offset = next_fetch_offset;
}

void SubscriptionState::consumed(const TopicPartition& tp, int64_t next_offset, int32_t epoch) {
  TopicPartitionState& s = mutable_state(tp);
  s.offset = next_offset;
  s.offset_epoch = epoch;
  // Records still buffered from before the position was lost give it back.
  if (s.state == FetchState::initializing) transition(tp, s, FetchState::fetching);
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
