#pragma once
// When the application commits (see docs/commit-policies.md): Kafka's own auto-commit, the
// usual hand-written loops, and Spring Kafka's listener container ack modes.
#include <optional>
#include <string_view>

#include "sim/time.hpp"

namespace kafka {

enum class CommitPolicy {
  kafka_auto,        // enable.auto.commit: inside poll(), every auto.commit.interval.ms
  after_process,     // commitSync after processing each poll's records
  async,             // commitAsync after processing, no retry
  before_process,    // commitSync right after poll(), before processing (at-most-once)
  record,            // Spring RECORD: commitSync after each record
  batch,             // Spring BATCH: commitSync of the previous poll's records before the next poll
  time,              // Spring TIME: commit when ack_time has passed since the last commit
  count,             // Spring COUNT: commit when ack_count records were processed since the last commit
  count_time,        // Spring COUNT_TIME: whichever comes first
  manual,            // Spring MANUAL: acknowledged records, committed like BATCH
  manual_immediate,  // Spring MANUAL_IMMEDIATE: each acknowledgement commits at once
};
std::optional<CommitPolicy> parse_commit_policy(std::string_view name);
std::string_view to_string(CommitPolicy p);

// What a member commits when it gives partitions up (a rebalance's revocation, close()).
enum class RevocationCommit {
  consumed_positions,  // auto-commit: ConsumerCoordinator.onJoinPrepare commits the positions
  processed_records,   // the application's rebalance listener commits what it processed
  nothing,             // before-process committed everything before processing it
};
RevocationCommit revocation_commit(CommitPolicy p);

// The timeout the application passes to poll(): Spring's container polls with 5 s
// (pollTimeout); plain applications here use 1 s.
sim::Duration poll_timeout(CommitPolicy p);

}  // namespace kafka
