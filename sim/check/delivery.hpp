#pragma once
// Checks beyond Jepsen's, from a simulator's ground truth: what each consumer group processed
// (every processed record, from the trace) and the final replica logs. Pure functions.
//
// - Delivery semantics per acknowledged record: how many times the group processed it.
//   at-most-once: <= 1 each; at-least-once: >= 1 each; exactly-once: = 1 each.
// - An acknowledged record the group never processed is *lost* when no replica's final log
//   holds it, *late* when a log does: skipped (by a commit or an offset reset) when the group
//   processed a later offset of its partition, *unreached* (a liveness failure) when not.
// - A record the group's error handler recovered (dead-lettered, or logged and skipped) counts as
//   handled once per recovery, as Spring acknowledges it: the record reached the application,
//   which gave up on it. The report lists these apart from the processed ones.
// - Order: the first deliveries of a partition's records follow their offsets (per-partition),
//   or those of each record key (per-key).
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sim/check/history.hpp"
#include "sim/check/outputs.hpp"
#include "sim/check/replicas.hpp"
#include "sim/check/store_writes.hpp"
#include "sim/check/zombies.hpp"

namespace check {

struct ProcessedRecord {
  std::string group;
  std::string member;
  std::string partition;  // topic-partition
  int64_t offset;
  std::string key;        // the record's key
  std::string value;
  int64_t time_ns = 0;    // when the application finished processing it
};

// An offset commit a group member completed, successfully or not.
struct CommitRecord {
  std::string group;
  std::string member;
  int64_t time_ns = 0;                                  // when the response arrived
  std::vector<std::pair<std::string, int64_t>> offsets;  // (topic-partition, next offset to consume)
  std::string why;                                      // the policy or event that committed ("auto", "revoke", ...)
  bool ok = false;
};

// A consumer position moved by a reset (auto.offset.reset) or a seek rather than by processing:
// the records it jumped over were skipped on purpose, not by a commit.
struct PositionJump {
  std::string group;
  std::string member;
  std::string partition;
  int64_t offset = 0;   // the new position
  int64_t time_ns = 0;
};

// A record the listener's error handler gave up on (Spring's DefaultErrorHandler, its back off
// exhausted): the recoverer logged and skipped it, or published it to a dead-letter topic, and
// the container acknowledged it. Handled, though never processed.
struct RecoveredRecord {
  std::string group;
  std::string member;
  std::string partition;    // topic-partition
  int64_t offset = -1;
  std::string dead_letter;  // the topic it was published to; empty when logged and skipped
  int64_t time_ns = 0;
};

struct GroundTruth {
  std::vector<ProcessedRecord> processed;                    // in processing order
  std::vector<CommitRecord> commits;                         // in completion order
  std::vector<RecoveredRecord> recovered;                    // in time order
  std::vector<PositionJump> jumps;                           // resets and seeks, in time order
  std::vector<PositionJump> resumes;                         // positions taken from committed offsets
  std::map<std::string, std::string> member_groups;          // consumer (process name) -> its group
  std::map<std::string, std::set<std::string>> final_logs;  // topic-partition -> values in any replica's log
  std::map<std::string, std::vector<ReplicaLog>> replicas;  // topic-partition -> each live replica's log and HW
  // topic-partition -> replica -> offsets of its records in aborted transactions (an ABORT
  // marker of their producer followed them): no read_committed reader sees them, and no
  // reader need process them.
  std::map<std::string, std::map<std::string, std::set<int64_t>>> aborted;
  std::vector<StoreWriteRecord> store_writes;                // every write the application's stores applied
  int64_t txn_max_timeout_ns = 900'000'000'000;              // the brokers' transaction.max.timeout.ms
  std::vector<FencedTxn> fenced_txns;                        // transactions the coordinator fenced while open
  Outputs outputs;                                           // handlers' sends, transactions, transactional offsets
};

struct DeliveryReport {
  std::string group;
  int64_t acknowledged = 0;        // ok sends to the group's topics
  int64_t processed_once = 0;
  int64_t processed_more = 0;      // acknowledged records processed twice or more
  int64_t duplicates = 0;          // extra processings in all
  // Acknowledged records the error handler recovered and the group never processed: handled
  // (the container acknowledged them), so neither lost nor late. "value@partition:offset
  // dead-lettered to <topic>" or "... logged and skipped".
  std::vector<std::string> recovered;
  std::vector<std::string> lost;   // never processed and in no log
  std::vector<std::string> late;   // never processed, but in a log
  // The late records past the furthest offset the group processed in their partition: the
  // group never got there (a liveness failure: it stalled) rather than skipping them.
  std::vector<std::string> unreached;
  // The same records as (partition, value), for explanations: late ones the group went past
  // (skipped), and those processed more than once.
  std::vector<std::pair<std::string, std::string>> skipped;
  std::vector<std::pair<std::string, std::string>> reprocessed;
  // First deliveries out of order: "value@partition:offset after value@partition:offset".
  std::vector<std::string> partition_order_violations;
  std::vector<std::string> key_order_violations;

  bool at_most_once() const { return processed_more == 0; }
  bool at_least_once() const { return lost.empty() && late.empty(); }
  bool exactly_once() const { return at_most_once() && at_least_once(); }
};

struct LostWrite {
  std::string value;
  std::string partition;
  std::optional<int64_t> offset;  // as the acknowledgement named it
  int64_t acked_ns = 0;
  std::string process;
  std::string label() const { return value + "@" + partition; }
};

// Whether `process` is a consumer of `group` (per the trace's consumer events).
inline bool in_group(const GroundTruth& truth, const std::string& process, const std::string& group) {
  auto it = truth.member_groups.find(process);
  return it != truth.member_groups.end() && it->second == group;
}

// The records one producer sent (its history process is the producer's name), for the
// expectations scoped to it: `expect { producer = ..., lost_acked_writes = n, max_duplicates = n }`.
class SentRecords {
 public:
  SentRecords(const History& history, const std::string& process);
  // Records acknowledged to it: what a scoped expectation has to judge.
  int64_t acknowledged() const { return acknowledged_; }
  // Whether it sent `value` to `partition` (a topic-partition key). A send names its partition
  // only once it completes, so a value sent to the partition's topic counts too.
  bool contains(const std::string& partition, const std::string& value) const;

 private:
  std::set<std::pair<std::string, std::string>> sent_;  // (key, value): a topic-partition or, not yet placed, a topic
  int64_t acknowledged_ = 0;
};

// Acknowledged writes that no replica's final log holds, in history order: lost whatever any
// consumer did. Jepsen's lost-write needs a read past the record to notice; this needs none.
std::vector<LostWrite> lost_acknowledged_writes(const History& history, const GroundTruth& truth);

// The report for one group, over the acknowledged sends to `topics` (all topics when empty).
DeliveryReport analyze_delivery(const History& history, const GroundTruth& truth, const std::string& group,
                                const std::set<std::string>& topics);

}  // namespace check
