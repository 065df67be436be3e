#include "sim/check/commits.hpp"

#include <algorithm>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "sim/check/explain.hpp"

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

}  // namespace

std::vector<Anomaly> commits_past_unprocessed(const History& history, const GroundTruth& truth, const std::string& group) {
  std::map<std::string, int64_t> first_processed;  // value -> when the group first processed it
  for (const ProcessedRecord& p : truth.processed)
    if (p.group == group) first_processed.emplace(p.value, p.time_ns);
  std::map<std::string, int64_t> written;  // value -> when its send was invoked
  for (const Op& op : history.ops)
    if (op.type == OpType::invoke && op.f == "send")
      for (const Send& s : op.sends) written.emplace(s.value, op.time_ns);

  std::map<std::string, PartitionRecords> records;
  auto records_of = [&](const std::string& partition) -> const PartitionRecords* {
    auto it = records.find(partition);
    if (it != records.end()) return &it->second;
    const auto logs = truth.replicas.find(partition);
    if (logs == truth.replicas.end() || logs->second.empty()) return nullptr;
    const ReplicaLog* best = &logs->second.front();
    for (const ReplicaLog& r : logs->second)
      if (r.high_watermark > best->high_watermark) best = &r;
    PartitionRecords& out = records[partition];
    int64_t latest = std::numeric_limits<int64_t>::min();
    for (const auto& [offset, value] : best->records) {
      const auto p = first_processed.find(value);
      out.offsets.push_back(offset);
      out.values.push_back(&value);
      out.processed_at.push_back(p == first_processed.end() ? kNever : p->second);
      latest = std::max(latest, out.processed_at.back());
      out.latest_upto.push_back(latest);
    }
    return &out;
  };

  // The furthest reset or seek of each partition before `when`: records below it were jumped over.
  auto jumped_below = [&](const std::string& partition, int64_t when) {
    int64_t furthest = -1;
    for (const PositionJump& j : truth.jumps)
      if (j.group == group && j.partition == partition && j.time_ns <= when) furthest = std::max(furthest, j.offset);
    return furthest;
  };
  // value -> the first poll by a member that returned it (time, member), built on first need.
  std::map<std::string, std::pair<int64_t, std::string>> first_polled;
  bool indexed = false;
  auto polled = [&](const std::string& value) -> const std::pair<int64_t, std::string>* {
    if (!indexed) {
      indexed = true;
      for (const Op& op : history.ops) {
        if (op.type != OpType::ok || op.f != "poll" || !in_group(truth, op.process, group)) continue;
        for (const auto& [key, reads] : op.polls)
          for (const Read& r : reads) first_polled.emplace(r.value, std::make_pair(op.time_ns, op.process));
      }
    }
    auto it = first_polled.find(value);
    return it == first_polled.end() ? nullptr : &it->second;
  };
  std::vector<Anomaly> out;
  for (const CommitRecord& c : truth.commits) {
    if (c.group != group || !c.ok) continue;
    for (const auto& [partition, committed] : c.offsets) {
      const PartitionRecords* r = records_of(partition);
      if (!r) continue;
      const auto below = static_cast<size_t>(std::lower_bound(r->offsets.begin(), r->offsets.end(), committed) - r->offsets.begin());
      if (below == 0 || r->latest_upto[below - 1] <= c.time_ns) continue;
      // Some record below the commit was processed later or never: find the nearest one that was
      // written before the commit (later records reuse offsets after a truncation).
      const int64_t jumped = jumped_below(partition, c.time_ns);
      for (size_t i = below; i-- > 0;) {
        if (r->offsets[i] < jumped) break;
        if (r->processed_at[i] <= c.time_ns) continue;
        const auto w = written.find(*r->values[i]);
        if (w == written.end() || w->second > c.time_ns) continue;
        const std::string when = r->processed_at[i] == kNever ? "was never processed"
                                                              : "was not processed until " + format_time(r->processed_at[i]);
        const std::string& value = *r->values[i];
        std::string detail = fmt::format("{} committed {} offset {} at {} ({}) while {} at offset {} {}", c.member, partition,
                                         committed, format_time(c.time_ns), c.why, value, r->offsets[i], when);
        // Where the record stood at the commit: handed to the application, or only fetched.
        const auto* p = polled(value);
        std::string why = p && p->first <= c.time_ns
                              ? fmt::format("{}. {} had been returned by a poll to {} at {}: the commit came before its processing.",
                                            detail, value, p->second, format_time(p->first))
                              : fmt::format("{}. No poll had returned {} by then: the commit covered a record the group had at "
                                            "most fetched and buffered.",
                                            detail, value);
        out.push_back(Anomaly{partition, std::move(detail), {}, std::move(why), value});
        break;
      }
    }
  }
  return out;
}

}  // namespace check
