#pragma once
// The consumer's assigned partitions and, per partition, where it is (Kafka's
// SubscriptionState with its TopicPartitionState and FetchStates): the position handed to the
// application, the fetch position running ahead of it, and the fetch state that says whether
// the partition may be fetched. Also the offsets the application processed and the offsets
// known to be committed, which the commit policies and the rebalance listener read.
//
// Fetch states (SubscriptionState.FetchStates), their transitions Kafka's validTransitions(),
// declared once in valid_transition():
//
//   INITIALIZING      no position yet: the committed offset is asked for (OffsetFetch)
//   FETCHING          a valid position: fetch from it
//   AWAIT_RESET       auto.offset.reset: a ListOffsets is due, on its way, or backing off
//   AWAIT_VALIDATION  KIP-320: an OffsetsForLeaderEpoch checks the position against the leader
//
//   INITIALIZING     -> FETCHING (seek), AWAIT_VALIDATION (committed offset, seekUnvalidated),
//                       AWAIT_RESET (no committed offset)
//   FETCHING         -> FETCHING, AWAIT_VALIDATION (a new leader epoch), AWAIT_RESET (OFFSET_OUT_OF_RANGE)
//   AWAIT_RESET      -> FETCHING (ListOffsets answered, or a seek), AWAIT_RESET
//   AWAIT_VALIDATION -> FETCHING (validated, truncated, seek), AWAIT_VALIDATION, AWAIT_RESET
//
// A reset or validation that fails stays in its state and is retried after retry.backoff.ms
// (TopicPartitionState.requestFailed); one on its way is not sent again before
// request.timeout.ms (setNextAllowedRetry).
#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include "broker_model/protocol/group_messages.hpp"
#include "broker_model/protocol/topic_partition.hpp"
#include "sim/time.hpp"

namespace kafka {

enum class FetchState { initializing, fetching, await_reset, await_validation };
std::string_view to_string(FetchState s);
bool valid_transition(FetchState from, FetchState to);

struct TopicPartitionState {
  FetchState state = FetchState::initializing;
  int64_t offset = -1;        // the position: next offset to hand to the application (-1: unknown)
  int32_t offset_epoch = -1;  // leader epoch of the last record handed out (KIP-320)
  int64_t fetch_offset = -1;  // next offset to fetch: ahead of the position over buffered records
  // TopicPartitionState.nextRetryTimeMs: a reset or validation is not sent before then.
  std::optional<sim::Time> next_retry;
  // TopicPartitionState.highWatermark, from the last fetch response (-1: none yet). It goes
  // with the partition when the partition is revoked.
  int64_t high_watermark = -1;
  int64_t last_stable_offset = -1;  // as the last fetch reported it
  // An OffsetFetch asks for this partition's committed offset (ConsumerCoordinator's
  // pendingCommittedOffsetRequest, per partition).
  bool committed_offset_pending = false;

  bool has_position() const { return offset >= 0; }
  bool awaiting_retry_backoff(sim::Time now) const { return next_retry && now < *next_retry; }
};

class SubscriptionState {
 public:
  using Offsets = std::vector<OffsetCommitRequest::Offset>;
  using Assignment = std::map<TopicPartition, TopicPartitionState>;

  // ---- the assignment ----
  const Assignment& assignment() const { return assignment_; }
  std::vector<TopicPartition> assigned_partitions() const;  // in TopicPartition order
  bool is_assigned(const TopicPartition& tp) const { return assignment_.count(tp) != 0; }
  bool has_assignment() const { return !assignment_.empty(); }
  const TopicPartitionState& state(const TopicPartition& tp) const;
  // A partition a rebalance assigned: INITIALIZING.
  void add_assigned(const TopicPartition& tp);
  // Revoked or lost partitions: their positions and what was processed of them go too.
  void remove_assigned(const std::vector<TopicPartition>& partitions);
  void clear_assignment();

  // ---- positions and fetch states ----
  void seek(const TopicPartition& tp, int64_t offset);  // KafkaConsumer.seek (seekValidated): FETCHING
  // SubscriptionState.seekUnvalidated: a committed offset becomes the position, to be
  // validated first when it carries the leader epoch of its record and the leader's epoch is
  // known (KIP-320); without either, FETCHING.
  void seek_unvalidated(const TopicPartition& tp, int64_t offset, int32_t offset_epoch, int32_t leader_epoch);
  void set_committed_offset_pending(const TopicPartition& tp);
  void clear_committed_offset_pending();  // every partition: the OffsetFetch answered or was lost
  // requestOffsetReset: auto.offset.reset is due (no committed offset, OFFSET_OUT_OF_RANGE,
  // a truncation of unknown extent). The position goes: AWAIT_RESET.
  void request_reset(const TopicPartition& tp);
  // ListOffsets answered (maybeSeekUnvalidated): FETCHING, from an offset with no epoch.
  void complete_reset(const TopicPartition& tp, int64_t offset);
  // TopicPartitionState.maybeValidatePosition: the leader changed; a position read from a
  // known epoch awaits validation. Returns whether it does.
  bool maybe_validate_position(const TopicPartition& tp);
  // KIP-320: the leader's log diverges below the position; reading resumes at its end
  // (seekValidated to the first offset known to diverge).
  void truncate_position(const TopicPartition& tp, int64_t end_offset, int32_t epoch);
  void complete_validation(const TopicPartition& tp);  // the position holds: FETCHING
  // setNextAllowedRetry / requestFailed: a request for these partitions went out (not before
  // `until` again), or failed (retry at `until`).
  void set_next_retry(const std::vector<TopicPartition>& partitions, sim::Time until);
  // Partitions in `state` whose backoff is over (partitionsNeedingReset/Validation).
  std::vector<TopicPartition> partitions_needing(FetchState state, sim::Time now) const;
  // A fetch response's records were buffered up to next_fetch_offset.
  void advance_fetch_offset(const TopicPartition& tp, int64_t next_fetch_offset);
  void update_high_watermark(const TopicPartition& tp, int64_t hw) { mutable_state(tp).high_watermark = hw; }
  void update_last_stable_offset(const TopicPartition& tp, int64_t lso) { mutable_state(tp).last_stable_offset = lso; }
  // poll() handed the record at next_offset - 1 to the application.
  void consumed(const TopicPartition& tp, int64_t next_offset, int32_t epoch);

  // ---- what was processed and committed ----
  void processed(const TopicPartition& tp, int64_t next_offset, int32_t epoch);
  void committed_offset_fetched(const TopicPartition& tp, int64_t offset) { committed_[tp] = offset; }
  void commit_acknowledged(const Offsets& offsets);
  // SubscriptionState.allConsumed: the position of every assigned partition not committed
  // yet. With the consumer_commits_fetched bug, the fetch position instead.
  Offsets all_consumed(bool commit_fetch_position) const;
  // The application's processed records not committed yet (next offset per partition).
  Offsets uncommitted_processed() const;

  // A fetching partition has a position and fetches at or ahead of it.
  std::string invariants() const;

 private:
  TopicPartitionState& mutable_state(const TopicPartition& tp);
  void transition(const TopicPartition& tp, TopicPartitionState& s, FetchState to);

  Assignment assignment_;
  std::map<TopicPartition, std::pair<int64_t, int32_t>> processed_;  // next offset and epoch
  // Known committed offsets. Kept across revocations, as before: a partition that comes back
  // compares against what this member last knew was committed.
  std::map<TopicPartition, int64_t> committed_;
};

}  // namespace kafka
