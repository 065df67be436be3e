#pragma once
// Exactly-once end to end through Kafka, for a consume-transform-produce pipeline (a group whose
// handlers app:send to an output topic), transactional or not: every input record the group
// committed past has its output in the committed output exactly once, and the group's offsets
// never moved past an input whose output was not yet committed.
//
// An input's outputs are counted by handler runs (member, life, invocation), as the effects check
// counts a store's writes: a run that sent two records for one input is one output. A run's
// output is committed when one of its sends is in the output topic's final log and was
// acknowledged (or its outcome unknown), and, for a transactional producer, its transaction
// committed (the client saw the commit, or the coordinator decided it: PrepareCommit). Sends of
// an aborted, failed or never-ended transaction are never visible to a read_committed reader.
//
// Anomalies: "lost output" (an input committed past with no committed output; an input the
// error handler recovered, dead-lettered or skipped, owes none), "duplicated output" (two runs or
// more with committed output: a redelivery whose first run's output was not rolled back), and
// "offsets without output" (a commit of the group's offsets, plain or in a transaction, covered
// an input whose output was not committed by then: a crash right there loses it).
//
// Torn transactions: a reader that read past every record a committed transaction wrote to a
// partition, yet saw only some of them (Kafka's guarantee is per partition read).
#include <cstdint>
#include <string>
#include <vector>

#include "sim/check/delivery.hpp"
#include "sim/check/history.hpp"
#include "sim/check/jepsen.hpp"
#include "sim/check/outputs.hpp"
#include "sim/check/timeline.hpp"

namespace check {

// One handler run's sends for an input record.
struct OutputRun {
  std::string member;
  int64_t life = 0;  // which start of the member's process (handler_runs.hpp)
  int64_t invocation = 0;
  int64_t time_ns = 0;                       // its first send
  std::vector<const SendOutcome*> sends;     // in order
  bool committed = false;                    // some send is in the committed output
  int64_t committed_ns = -1;                 // when the first such send was committed (-1: never)
};

struct InputOutputs {
  std::string partition;  // the input's topic-partition
  int64_t offset = -1;
  std::string value;
  std::vector<OutputRun> runs;  // every run that sent for it, in time order
  int64_t committed_runs() const;
  std::string label() const;  // "value@partition:offset"
};

// A commit of the group's offsets past an input whose output was not committed by then.
struct UncoveredCommit {
  InputOutputs input;
  std::string member;  // the committing member, or the transactional producer ("producer 7")
  std::string why;     // the commit policy, or "TxnOffsetCommit"
  int64_t time_ns = 0;
  int64_t committed_offset = -1;
};

struct ExactlyOnceReport {
  std::string group, input, output;  // the group and its input and output topics
  int64_t inputs = 0;                // judged: in the input's final log and committed past
  int64_t once = 0, recovered = 0;
  std::vector<InputOutputs> lost, duplicated;
  std::vector<UncoveredCommit> uncovered;  // offsets without output, one per input (its first such commit)
  bool holds() const { return lost.empty() && duplicated.empty() && uncovered.empty(); }
};

ExactlyOnceReport analyze_exactly_once(const History& history, const GroundTruth& truth, const std::string& group,
                                       const std::string& input_topic, const std::string& output_topic);

// How an input's output came to be committed twice, or never, or its offset committed before
// its output, told in time order: the runs and their sends, their transactions, the commits
// and the crashes of the members between them.
std::string explain_duplicated_output(const GroundTruth& truth, const Timeline& timeline, const ExactlyOnceReport& report,
                                      const InputOutputs& input);
std::string explain_lost_output(const GroundTruth& truth, const Timeline& timeline, const ExactlyOnceReport& report,
                                const InputOutputs& input);
std::string explain_uncovered_commit(const GroundTruth& truth, const Timeline& timeline, const ExactlyOnceReport& report,
                                     const UncoveredCommit& commit);

// One "duplicated-output" anomaly per input whose output was committed twice or more, for
// every pipeline the trace shows (a group's handlers sending from an input topic to an output
// topic): a duplicate no pipeline means to write, found without an expect naming it. Explained
// when a timeline is given.
std::vector<Anomaly> duplicated_outputs(const History& history, const GroundTruth& truth, const Timeline* timeline);

// One "torn-transaction" anomaly per reader (a group, or a consumer outside any) and committed
// transaction partition it tore: the history's polls against the transactions' records that
// are in the final logs. Positions jumped over by a reset or seek excuse what they skipped.
std::vector<Anomaly> torn_transactions(const History& history, const GroundTruth& truth);

}  // namespace check
