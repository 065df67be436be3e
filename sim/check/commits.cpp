#include "sim/check/commits.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "sim/check/explain.hpp"
#include "sim/check/story.hpp"

namespace check {

namespace {

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

// A partition's records in offset order, with when the group first processed each (kNever when
// it did not) and, as a prefix maximum, the latest first processing among the records up to each.
struct PartitionRecords {
  std::vector<int64_t> offsets;
  std::vector<const std::string*> values;
  std::vector<int64_t> processed_at;
  std::vector<int64_t> latest_upto;
};

// One group's commits against what the group processed, with the indexes the check needs, each
// built on first need.
class CommitAudit {
 public:
  CommitAudit(const History& history, const GroundTruth& truth, const std::string& group)
      : history_(history), truth_(truth), group_(group) {
    for (const ProcessedRecord& p : truth.processed)
      if (p.group == group) first_processed_.emplace(p.value, p.time_ns);
    for (const Op& op : history.ops)
      if (op.type == OpType::invoke && op.writes())
        for (const Send& s : op.sends) written_.emplace(s.value, op.time_ns);
    // A record whose send failed (an aborted transaction's) is one no reader need process: a
    // read_committed consumer never sees it.
    for (const Op& op : history.ops)
      if (op.type == OpType::fail && op.writes())
        for (const Send& s : op.sends) written_.erase(s.value);
  }

  // The anomaly of one partition of commit `c` (offset `committed`), if the commit skipped a record.
  std::optional<Anomaly> audit(const CommitRecord& c, const std::string& partition, int64_t committed) {
    const PartitionRecords* r = records_of(partition);
    if (!r) return std::nullopt;
    const auto below = static_cast<size_t>(std::lower_bound(r->offsets.begin(), r->offsets.end(), committed) - r->offsets.begin());
    if (below == 0 || r->latest_upto[below - 1] <= c.time_ns) return std::nullopt;
    // Some record below the commit was processed later or never: find the nearest one that was
    // written before the commit (later records reuse offsets after a truncation).
    const int64_t jumped = jumped_below(partition, c.time_ns);
    for (size_t i = below; i-- > 0;) {
      if (r->offsets[i] < jumped) break;
      if (r->processed_at[i] <= c.time_ns) continue;
      const auto w = written_.find(*r->values[i]);
      if (w == written_.end() || w->second > c.time_ns) continue;
      return skipped(c, partition, committed, *r, i);
    }
    return std::nullopt;
  }

 private:
  // The partition's records, from its most advanced replica; null when no replica has any.
  const PartitionRecords* records_of(const std::string& partition) {
    auto it = records_.find(partition);
    if (it != records_.end()) return &it->second;
    const auto logs = truth_.replicas.find(partition);
    if (logs == truth_.replicas.end() || logs->second.empty()) return nullptr;
    const ReplicaLog* best = &logs->second.front();
    for (const ReplicaLog& r : logs->second)
      if (r.high_watermark > best->high_watermark) best = &r;
    PartitionRecords& out = records_[partition];
    int64_t latest = std::numeric_limits<int64_t>::min();
    static const std::set<int64_t> kNone;
    const auto aborted_in = truth_.aborted.find(partition);
    const std::set<int64_t>* aborted = &kNone;
    if (aborted_in != truth_.aborted.end()) {
      const auto of_best = aborted_in->second.find(best->replica);
      if (of_best != aborted_in->second.end()) aborted = &of_best->second;
    }
    for (const auto& [offset, value] : best->records) {
      if (aborted->count(offset)) continue;  // an aborted transaction's: nobody need process it
      const auto p = first_processed_.find(value);
      out.offsets.push_back(offset);
      out.values.push_back(&value);
      out.processed_at.push_back(p == first_processed_.end() ? kNever : p->second);
      latest = std::max(latest, out.processed_at.back());
      out.latest_upto.push_back(latest);
    }
    return &out;
  }

  // The furthest reset or seek of the partition before `when`: records below it were jumped over.
  int64_t jumped_below(const std::string& partition, int64_t when) const {
    int64_t furthest = -1;
    for (const PositionJump& j : truth_.jumps)
      if (j.group == group_ && j.partition == partition && j.time_ns <= when) furthest = std::max(furthest, j.offset);
    return furthest;
  }

  // The first poll by a member of the group that returned `value` (time, member); null when none did.
  const std::pair<int64_t, std::string>* polled(const std::string& value) {
    if (!polls_indexed_) {
      polls_indexed_ = true;
      for (const Op& op : history_.ops) {
        if (op.type != OpType::ok || !op.reads() || !in_group(truth_, op.process, group_)) continue;
        for (const auto& [key, reads] : op.polls)
          for (const Read& r : reads) first_polled_.emplace(r.value, std::make_pair(op.time_ns, op.process));
      }
    }
    auto it = first_polled_.find(value);
    return it == first_polled_.end() ? nullptr : &it->second;
  }

  // The anomaly for commit `c`, which covered record i of `r` before the group processed it.
  Anomaly skipped(const CommitRecord& c, const std::string& partition, int64_t committed, const PartitionRecords& r, size_t i) {
    const std::string when =
        r.processed_at[i] == kNever ? "was never processed" : "was not processed until " + format_time(r.processed_at[i]);
    const std::string& value = *r.values[i];
    std::string detail = fmt::format("{} committed {} offset {} at {} ({}) while {} at offset {} {}", c.member, partition, committed,
                                     format_time(c.time_ns), c.why, value, r.offsets[i], when);
    // Where the record stood at the commit (handed to the application, or only fetched), told
    // with the commit and the processing in time order.
    const auto* p = polled(value);
    Story story;
    if (p && p->first <= c.time_ns)
      story.at(p->first, fmt::format("{} (offset {} of {}) was returned by a poll to {} at {}", value, r.offsets[i], partition,
                                     p->second, format_time(p->first)));
    story.at(c.time_ns, fmt::format("{} committed {} offset {} at {} ({}), past {}", c.member, partition, committed,
                                    format_time(c.time_ns), c.why, value));
    if (!p || p->first > c.time_ns)
      story.at(c.time_ns, fmt::format("No poll had returned {} by then: the commit covered a record the group had at most fetched "
                                      "and buffered",
                                      value));
    if (r.processed_at[i] == kNever)
      story.closing(fmt::format("No member of {} ever processed {}", group_, value));
    else
      story.at(r.processed_at[i], fmt::format("{} was processed only at {}, after the commit", value, format_time(r.processed_at[i])));
    std::string why = story.text();
    return Anomaly{partition, std::move(detail), {}, std::move(why), value};
  }

  const History& history_;
  const GroundTruth& truth_;
  const std::string& group_;
  std::map<std::string, int64_t> first_processed_;  // value -> when the group first processed it
  std::map<std::string, int64_t> written_;          // value -> when its send was invoked
  std::map<std::string, PartitionRecords> records_;
  std::map<std::string, std::pair<int64_t, std::string>> first_polled_;  // value -> (time, member)
  bool polls_indexed_ = false;
};

}  // namespace

std::vector<Anomaly> commits_past_unprocessed(const History& history, const GroundTruth& truth, const std::string& group) {
  CommitAudit audit(history, truth, group);
  std::vector<Anomaly> out;
  for (const CommitRecord& c : truth.commits) {
    if (c.group != group || !c.ok) continue;
    for (const auto& [partition, committed] : c.offsets)
      if (auto anomaly = audit.audit(c, partition, committed)) out.push_back(std::move(*anomaly));
  }
  return out;
}

}  // namespace check
