#pragma once
// The consumer's assigned partitions and, per partition, where it is (Kafka's
// SubscriptionState with its TopicPartitionState and FetchStates): the position handed to the
// application, the fetch position running ahead of it, and the fetch state that says whether
// the partition may be fetched. Also the offsets the application processed and the offsets
// known to be committed, which the commit policies and the rebalance listener read.
//
// Fetch states (SubscriptionState.FetchStates) and the model's transitions, declared once in
// valid_transition():
//
//   INITIALIZING      no position yet: the committed offset is asked for (OffsetFetch)
//   FETCHING          a valid position: fetch from it
//   AWAIT_RESET       a ListOffsets (auto.offset.reset) is on its way
//   AWAIT_VALIDATION  an OffsetsForLeaderEpoch checks the position against a new leader (KIP-320)
//
//   INITIALIZING     -> FETCHING (committed offset, seek), AWAIT_RESET (none committed)
//   FETCHING         -> FETCHING (seek), AWAIT_VALIDATION (newer leader epoch),
//                       AWAIT_RESET (OFFSET_OUT_OF_RANGE), INITIALIZING*
//   AWAIT_RESET      -> FETCHING (reset done, seek), AWAIT_RESET, INITIALIZING*
//   AWAIT_VALIDATION -> FETCHING (validated, truncated, seek, abandoned), AWAIT_VALIDATION,
//                       AWAIT_RESET (OFFSET_OUT_OF_RANGE), INITIALIZING*
//
// * Not in Kafka: where Kafka keeps a partition awaiting its reset and retries after
//   retry.backoff.ms, the model forgets the position and starts over from INITIALIZING (asks
//   for the committed offset again at the next poll): a reset whose ListOffsets failed or was
//   lost, or an OFFSET_OUT_OF_RANGE with no leader known or auto.offset.reset=none.
#include <cstdint>
#include <map>
#include <string_view>
#include <vector>

#include "broker_model/protocol/group_messages.hpp"
#include "broker_model/protocol/topic_partition.hpp"

namespace kafka {

enum class FetchState { initializing, fetching, await_reset, await_validation };
std::string_view to_string(FetchState s);
bool valid_transition(FetchState from, FetchState to);

struct TopicPartitionState {
  FetchState state = FetchState::initializing;
  int64_t offset = -1;        // the position: next offset to hand to the application (-1: unknown)
  int32_t offset_epoch = -1;  // leader epoch of the last record handed out (KIP-320)
  int64_t fetch_offset = -1;  // next offset to fetch: ahead of the position over buffered records
  // An OffsetFetch asks for this partition's committed offset (ConsumerCoordinator's
  // pendingCommittedOffsetRequest, per partition).
  bool committed_offset_pending = false;

  bool has_position() const { return offset >= 0; }
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
  void seek(const TopicPartition& tp, int64_t offset);  // KafkaConsumer.seek: FETCHING
  // The committed offset an OffsetFetch returned becomes the position.
  void seek_to_committed(const TopicPartition& tp, int64_t offset, int32_t epoch);
  void set_committed_offset_pending(const TopicPartition& tp);
  void clear_committed_offset_pending();  // every partition: the OffsetFetch answered
  // OFFSET_OUT_OF_RANGE: the position is gone (INITIALIZING until a reset is sent).
  void invalidate_position(const TopicPartition& tp);
  void request_reset(const TopicPartition& tp);  // ListOffsets sent: AWAIT_RESET
  void complete_reset(const TopicPartition& tp, int64_t offset, int32_t epoch);
  // The ListOffsets failed or its connection broke.
  void abandon_reset(const TopicPartition& tp);
  void request_validation(const TopicPartition& tp);  // OffsetsForLeaderEpoch sent
  // KIP-320: the leader's log ends below the position; reading resumes at its end.
  void truncate_position(const TopicPartition& tp, int64_t end_offset);
  // The validation answered (or failed, or its connection broke): FETCHING.
  void complete_validation(const TopicPartition& tp);
  // A fetch response's records were buffered up to next_fetch_offset.
  void advance_fetch_offset(const TopicPartition& tp, int64_t next_fetch_offset);
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
