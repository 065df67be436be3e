#include "sim/check/delivery.hpp"

#include <fmt/format.h>

#include "sim/check/event_fields.hpp"

namespace check {

namespace {
// The group's error handler's recoveries, per acknowledged value: matched by partition and
// offset, since the listener.recovered event names no value.
std::map<std::string, std::vector<const RecoveredRecord*>> recoveries_by_value(
    const GroundTruth& truth, const std::string& group, const std::map<std::string, std::string>& acked,
    const std::map<std::string, int64_t>& acked_offset) {
  std::map<std::pair<std::string, int64_t>, std::string> value_at;  // (partition, offset) -> value
  for (const auto& [value, offset] : acked_offset) value_at[{acked.at(value), offset}] = value;
  std::map<std::string, std::vector<const RecoveredRecord*>> out;
  for (const RecoveredRecord& rec : truth.recovered) {
    if (rec.group != group) continue;
    const auto v = value_at.find({rec.partition, rec.offset});
    if (v != value_at.end()) out[v->second].push_back(&rec);
  }
  return out;
}
}  // namespace

SentRecords::SentRecords(const History& history, const std::string& process) {
  for (const Op& op : history.ops) {
    if (op.process != process || !op.writes()) continue;
    for (const Send& s : op.sends) sent_.emplace(s.key, s.value);
    if (op.type == OpType::ok) acknowledged_ += static_cast<int64_t>(op.sends.size());
  }
}

bool SentRecords::contains(const std::string& partition, const std::string& value) const {
  return sent_.count({partition, value}) > 0 || sent_.count({topic_of(partition), value}) > 0;
}

std::vector<LostWrite> lost_acknowledged_writes(const History& history, const GroundTruth& truth) {
  std::vector<LostWrite> lost;
  for (const Op& op : history.ops) {
    if (op.type != OpType::ok || !op.writes()) continue;
    for (const Send& s : op.sends) {
      const auto log = truth.final_logs.find(s.key);
      if (log == truth.final_logs.end() || !log->second.count(s.value))
        lost.push_back(LostWrite{s.value, s.key, s.offset, op.time_ns, op.process});
    }
  }
  return lost;
}

DeliveryReport analyze_delivery(const History& history, const GroundTruth& truth, const std::string& group,
                                const std::set<std::string>& topics) {
  DeliveryReport r;
  r.group = group;
  // Acknowledged records: the sends of ok completions, by value.
  std::map<std::string, std::string> acked;  // value -> topic-partition
  std::map<std::string, int64_t> acked_offset;  // value -> its offset, when the ack named one
  for (const Op& op : history.ops) {
    if (op.type != OpType::ok || !op.writes()) continue;
    for (const Send& s : op.sends) {
      if (!topics.empty() && !topics.count(topic_of(s.key))) continue;
      acked[s.value] = s.key;
      if (s.offset) acked_offset[s.value] = *s.offset;
    }
  }
  std::map<std::string, int64_t> furthest;  // partition -> the highest offset the group processed
  for (const ProcessedRecord& p : truth.processed)
    if (p.group == group) furthest[p.partition] = std::max(furthest.count(p.partition) ? furthest[p.partition] : -1, p.offset);
  r.acknowledged = static_cast<int64_t>(acked.size());

  std::map<std::string, int64_t> times;
  // First deliveries, in processing order, for the order checks.
  std::map<std::string, std::pair<int64_t, std::string>> last_first_by_partition;  // partition -> (offset, value)
  std::map<std::string, std::pair<int64_t, std::string>> last_first_by_key;        // partition/key -> (offset, value)
  for (const ProcessedRecord& p : truth.processed) {
    if (p.group != group) continue;
    if (++times[p.value] != 1) continue;
    auto check_order = [&](std::map<std::string, std::pair<int64_t, std::string>>& last, const std::string& slot,
                           std::vector<std::string>& out) {
      auto it = last.find(slot);
      if (it != last.end() && p.offset < it->second.first) {
        out.push_back(fmt::format("{}@{}:{} first processed after {}@{}:{}", p.value, p.partition, p.offset,
                                  it->second.second, p.partition, it->second.first));
      }
      if (it == last.end() || p.offset > it->second.first) last[slot] = {p.offset, p.value};
    };
    check_order(last_first_by_partition, p.partition, r.partition_order_violations);
    check_order(last_first_by_key, p.partition + "/" + p.key, r.key_order_violations);
  }
  const auto recoveries = recoveries_by_value(truth, group, acked, acked_offset);
  for (const auto& [value, partition] : acked) {
    const auto it = times.find(value);
    const auto rec = recoveries.find(value);
    const int64_t processings = it == times.end() ? 0 : it->second;
    const int64_t recovered = rec == recoveries.end() ? 0 : static_cast<int64_t>(rec->second.size());
    if (processings == 0 && recovered > 0) {
      const RecoveredRecord& first = *rec->second.front();
      r.recovered.push_back(fmt::format("{}@{}:{} {}", value, partition, first.offset,
                                        first.dead_letter.empty() ? "logged and skipped" : "dead-lettered to " + first.dead_letter));
    }
    const int64_t n = processings + recovered;  // handled, either way
    if (n == 1 && processings == 1) ++r.processed_once;
    if (n > 1) {
      ++r.processed_more;
      r.duplicates += n - 1;
      r.reprocessed.emplace_back(partition, value);
    }
    if (n == 0) {
      const auto log = truth.final_logs.find(partition);
      const bool in_log = log != truth.final_logs.end() && log->second.count(value);
      (in_log ? r.late : r.lost).push_back(value + "@" + partition);
      if (in_log) {
        const auto off = acked_offset.find(value);
        const auto far = furthest.find(partition);
        const bool passed = off != acked_offset.end() && far != furthest.end() && far->second > off->second;
        if (!passed) r.unreached.push_back(value + "@" + partition);
        else r.skipped.emplace_back(partition, value);
      }
    }
  }
  return r;
}

}  // namespace check
