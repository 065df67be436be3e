#include "sim/check/exactly_once.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "sim/check/event_fields.hpp"
#include "sim/check/explain.hpp"

namespace check {

namespace {

// Whether a send is in the committed output, and since when (-1: never).
int64_t committed_at(const SendOutcome& s, const GroundTruth& truth) {
  if (s.result != "ok" && s.result != "info") return -1;
  // In the output's final log: an acknowledged send lost by the cluster is no output (the
  // lost-write checks tell that story).
  bool in_log = false;
  for (const auto& [partition, values] : truth.final_logs)
    if ((s.partition.empty() ? topic_of(partition) == s.topic : partition == s.partition) && values.count(s.value)) in_log = true;
  if (!in_log) return -1;
  if (!s.txn) return s.completed_ns >= 0 ? s.completed_ns : s.invoked_ns;
  if (!s.txn->committed()) return -1;
  return s.txn->outcome == "committed" ? s.txn->end_ns : s.txn->decided_ns;
}

// The input topic's records from its most advanced replica, less those no reader sees (the
// sends of aborted transactions).
std::map<RecordId, std::string> input_records(const History& history, const GroundTruth& truth, const std::string& topic) {
  std::set<std::string> invisible;
  for (const Op& op : history.ops)
    if (op.type == OpType::fail && op.writes())
      for (const Send& s : op.sends) invisible.insert(s.value);
  std::map<RecordId, std::string> out;
  for (const auto& [partition, logs] : truth.replicas) {
    if (topic_of(partition) != topic || logs.empty()) continue;
    const ReplicaLog* best = &logs.front();
    for (const ReplicaLog& r : logs)
      if (r.high_watermark > best->high_watermark) best = &r;
    for (const auto& [offset, value] : best->records)
      if (!invisible.count(value)) out.emplace(RecordId{partition, offset}, value);
  }
  return out;
}

// The group's commits of the input's offsets, plain and transactional, in time order.
struct OffsetCommit {
  int64_t time_ns;
  std::string partition;
  int64_t offset;
  std::string member, why;
  int64_t producer_id = -1;  // a transactional commit's producer
};

std::vector<OffsetCommit> commits_of(const GroundTruth& truth, const std::string& group, const std::string& topic) {
  std::vector<OffsetCommit> out;
  for (const CommitRecord& c : truth.commits)
    if (c.group == group && c.ok)
      for (const auto& [partition, offset] : c.offsets)
        if (topic_of(partition) == topic) out.push_back({c.time_ns, partition, offset, c.member, c.why});
  for (const TxnOffsetCommit& c : truth.outputs.txn_offsets)
    if (c.group == group)
      for (const auto& [partition, offset] : c.offsets)
        if (topic_of(partition) == topic)
          out.push_back({c.time_ns, partition, offset, fmt::format("producer {}", c.producer_id), "TxnOffsetCommit", c.producer_id});
  std::stable_sort(out.begin(), out.end(), [](const OffsetCommit& a, const OffsetCommit& b) { return a.time_ns < b.time_ns; });
  return out;
}

// Whether the input's output was committed by the commit `c`: before it, or atomically with it
// (a transactional commit by the producer whose committed transaction holds the output, sent
// before the commit: the same transaction or an earlier one of that producer).
bool covered_by(const InputOutputs& in, const OffsetCommit& c) {
  for (const OutputRun& run : in.runs) {
    if (!run.committed) continue;
    if (run.committed_ns <= c.time_ns) return true;
    for (const SendOutcome* s : run.sends)
      if (c.producer_id >= 0 && s->txn && s->txn->producer_id == c.producer_id && s->txn->committed() && s->invoked_ns <= c.time_ns)
        return true;
  }
  return false;
}

}  // namespace

std::vector<Anomaly> duplicated_outputs(const History& history, const GroundTruth& truth, const Timeline* timeline) {
  std::set<std::tuple<std::string, std::string, std::string>> pipelines;  // (group, input topic, output topic)
  for (const HandlerSend& h : truth.outputs.handler_sends)
    if (auto g = truth.member_groups.find(h.member); g != truth.member_groups.end())
      pipelines.emplace(g->second, topic_of(h.input), h.send->topic);
  std::vector<Anomaly> out;
  for (const auto& [group, input, output] : pipelines) {
    const ExactlyOnceReport r = analyze_exactly_once(history, truth, group, input, output);
    for (const InputOutputs& in : r.duplicated) {
      std::string detail = fmt::format("group {}'s output of input {} is in {} {} times:", group, in.label(), output, in.committed_runs());
      for (const OutputRun& run : in.runs)
        if (run.committed)
          detail += fmt::format(" {} run {} at {} sent {} ({}:{});", run.member, run.invocation, format_time(run.time_ns),
                                run.sends.front()->value, run.sends.front()->partition, run.sends.front()->offset);
      detail.pop_back();
      std::string why = timeline ? explain_duplicated_output(truth, *timeline, r, in) : std::string();
      out.push_back(Anomaly{in.partition, std::move(detail), {}, std::move(why), in.value, in.offset});
    }
  }
  return out;
}

int64_t InputOutputs::committed_runs() const {
  return std::count_if(runs.begin(), runs.end(), [](const OutputRun& r) { return r.committed; });
}

std::string InputOutputs::label() const { return fmt::format("{}@{}:{}", value.empty() ? "?" : value, partition, offset); }

ExactlyOnceReport analyze_exactly_once(const History& history, const GroundTruth& truth, const std::string& group,
                                       const std::string& input_topic, const std::string& output_topic) {
  ExactlyOnceReport r{group, input_topic, output_topic, 0, 0, 0, {}, {}, {}};
  const std::map<RecordId, std::string> records = input_records(history, truth, input_topic);
  // Each input's runs and their sends to the output topic.
  std::map<RecordId, InputOutputs> inputs;
  for (const HandlerSend& h : truth.outputs.handler_sends) {
    if (topic_of(h.input) != input_topic || h.send->topic != output_topic || !in_group(truth, h.member, group)) continue;
    InputOutputs& in = inputs[{h.input, h.input_offset}];
    OutputRun& run = run_of(in.runs, h.member, h.life, h.invocation, h.time_ns);
    run.sends.push_back(h.send);
    if (const int64_t at = committed_at(*h.send, truth); at >= 0) {
      run.committed = true;
      run.committed_ns = run.committed_ns < 0 ? at : std::min(run.committed_ns, at);
    }
  }
  std::set<RecordId> recovered;
  for (const RecoveredInput& x : truth.outputs.recovered)
    if (x.group == group) recovered.insert({x.partition, x.offset});
  // The furthest offset the group committed per partition, and the first commit past each input.
  const std::vector<OffsetCommit> commits = commits_of(truth, group, input_topic);
  std::map<std::string, int64_t> furthest;
  for (const OffsetCommit& c : commits) furthest[c.partition] = std::max(furthest[c.partition], c.offset);
  for (const auto& [id, value] : records) {
    const auto far = furthest.find(id.first);
    if (far == furthest.end() || id.second >= far->second) continue;  // not committed past: the group owes nothing yet
    InputOutputs& in = inputs[id];
    in.partition = id.first;
    in.offset = id.second;
    in.value = value;
    ++r.inputs;
    if (recovered.count(id)) {
      ++r.recovered;
      continue;
    }
    const int64_t n = in.committed_runs();
    if (n == 1) ++r.once;
    else if (n == 0) r.lost.push_back(in);
    else r.duplicated.push_back(in);
    // Its first covering commit: had the output been committed by then?
    for (const OffsetCommit& c : commits) {
      if (c.partition != id.first || c.offset <= id.second) continue;
      if (!covered_by(in, c)) r.uncovered.push_back(UncoveredCommit{in, c.member, c.why, c.time_ns, c.offset});
      break;
    }
  }
  return r;
}

}  // namespace check
