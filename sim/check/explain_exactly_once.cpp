// Explanations of a pipeline's output for one input: committed twice, never, or after the
// group's offsets had already moved past the input.
#include <fmt/format.h>

#include "sim/check/exactly_once.hpp"
#include "sim/check/explain.hpp"
#include "sim/check/story_faults.hpp"

namespace check {

namespace {

// What became of one send, in words: "ok at 1.2s", "in aborted transaction tx #3".
std::string fate(const SendOutcome& s) {
  std::string out = s.result.empty() ? "never completed" : s.result;
  if (s.completed_ns >= 0) out += " at " + format_time(s.completed_ns);
  if (!s.partition.empty() && s.offset >= 0) out += fmt::format(" ({}:{})", s.partition, s.offset);
  if (s.txn) {
    const TxnOutcome& t = *s.txn;
    const std::string how = t.committed() ? "committed" : !t.outcome.empty() ? t.outcome : t.decided.empty() ? "never ended" : t.decided;
    out += fmt::format(", in transaction {}, {}", t.label(), how);
  }
  return out;
}

void tell_runs(Story& story, const InputOutputs& in) {
  for (const OutputRun& run : in.runs) {
    const SendOutcome& s = *run.sends.front();
    story.at(run.time_ns, fmt::format("At {} {}'s handler (run {}) sent {} to {}: {}{}", format_time(run.time_ns), run.member,
                                      run.invocation, s.value, s.topic, fate(s),
                                      run.sends.size() > 1 ? fmt::format(" (and {} more sends)", run.sends.size() - 1) : ""));
  }
}

// The crashes, pauses, isolations and restarts of the members that ran the input's handler, in [from, to].
void member_faults(Story& story, const Timeline& t, const InputOutputs& in, int64_t from, int64_t to) {
  std::set<std::string> members;
  for (const OutputRun& run : in.runs) members.insert(run.member);
  tell_node_faults(story, t, members, from, to);
}

// The group's successful commits of the input's partition that covered it, up to `to`.
void covering_commits(Story& story, const GroundTruth& truth, const ExactlyOnceReport& r, const InputOutputs& in, int64_t to) {
  for (const CommitRecord& c : truth.commits) {
    if (c.group != r.group || !c.ok || c.time_ns > to) continue;
    for (const auto& [partition, offset] : c.offsets)
      if (partition == in.partition && offset > in.offset)
        story.at(c.time_ns, fmt::format("{} committed {} offset {} at {} ({})", c.member, partition, offset, format_time(c.time_ns), c.why));
  }
}

}  // namespace

std::string explain_duplicated_output(const GroundTruth& truth, const Timeline& timeline, const ExactlyOnceReport& report,
                                      const InputOutputs& input) {
  Story story;
  story.opening(fmt::format("Input {} of group {} has its output in {} committed {} times, from {} handler runs", input.label(),
                            report.group, report.output, input.committed_runs(), input.runs.size()));
  tell_runs(story, input);
  member_faults(story, timeline, input, input.runs.front().time_ns, input.runs.back().time_ns);
  covering_commits(story, truth, report, input, input.runs.back().time_ns);
  story.closing(
      "Kafka delivered the input again because the group's offset was not committed with the first run's output; that output "
      "was already written for good, so the second run wrote it again. Idempotence does not help: it removes a producer's own "
      "retries, not a second send by a second run. With processing_guarantee = \"exactly_once_v2\" the output and the offsets commit "
      "in one transaction, and a run that crashes before the commit leaves its output aborted");
  return story.text();
}

std::string explain_lost_output(const GroundTruth& truth, const Timeline& timeline, const ExactlyOnceReport& report,
                                const InputOutputs& input) {
  Story story;
  story.opening(fmt::format("Input {} of group {} was committed past, but none of its output is in {}'s committed output",
                            input.label(), report.group, report.output));
  tell_runs(story, input);
  int64_t to = input.runs.empty() ? 0 : input.runs.back().time_ns;
  for (const CommitRecord& c : truth.commits)
    if (c.group == report.group && c.ok)
      for (const auto& [partition, offset] : c.offsets)
        if (partition == input.partition && offset > input.offset) to = std::max(to, c.time_ns);
  covering_commits(story, truth, report, input, to);
  if (!input.runs.empty()) member_faults(story, timeline, input, input.runs.front().time_ns, to);
  story.closing(input.runs.empty()
                    ? "No handler run of the group sent anything for it: the group's offset moved past an input it never "
                      "transformed (a commit before processing, or a handler that sent nothing)"
                    : "Every send its runs made failed, was lost, or belonged to a transaction that did not commit, while the "
                      "group's offset moved past the input: the input will not be delivered again");
  return story.text();
}

std::string explain_uncovered_commit(const GroundTruth& truth, const Timeline& timeline, const ExactlyOnceReport& report,
                                     const UncoveredCommit& c) {
  (void)truth;
  Story story;
  story.opening(fmt::format("The offsets of group {} moved past input {} before its output was committed", report.group,
                            c.input.label()));
  tell_runs(story, c.input);
  story.at(c.time_ns, fmt::format("At {} {} committed {} offset {} ({}), past the input", format_time(c.time_ns), c.member,
                                  c.input.partition, c.committed_offset, c.why));
  if (!c.input.runs.empty()) member_faults(story, timeline, c.input, c.input.runs.front().time_ns, c.time_ns);
  story.closing(
      "A crash between that commit and the output's would lose the output for good: the input is not delivered again. A "
      "pipeline commits an input's offset only once its output is acknowledged (send().get() or flush before the commit), or "
      "in the same transaction (sendOffsetsToTransaction)");
  return story.text();
}

}  // namespace check
