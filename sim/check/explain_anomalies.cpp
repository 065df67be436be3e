// Explanations for the anomalies of a check result, each from the timeline and ground truth.
#include <fmt/format.h>

#include "sim/check/explain.hpp"

namespace check {

namespace {

using K = ReplicaEvent::Kind;

std::string sentences(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts)
    if (!p.empty()) out += (out.empty() ? "" : " ") + p + ".";
  return out;
}

// The last leader append covering `offset` of `partition` at or before `until`.
const ReplicaEvent* append_of(const Timeline& t, const std::string& partition, int64_t offset, int64_t until = INT64_MAX) {
  auto it = t.partitions.find(partition);
  if (it == t.partitions.end()) return nullptr;
  const ReplicaEvent* found = nullptr;
  for (const ReplicaEvent& e : it->second) {
    if (e.time_ns > until) break;
    if (e.kind == K::leader_append && e.from <= offset && offset < e.to) found = &e;
  }
  return found;
}

std::string appended(const ReplicaEvent& a) {
  return fmt::format("{}, leader in epoch {}, appended it at {}", a.node, a.leader_epoch, format_time(a.time_ns));
}

const Op* op_at(const History& h, int64_t index) {
  return index >= 0 && static_cast<size_t>(index) < h.ops.size() ? &h.ops[static_cast<size_t>(index)] : nullptr;
}

}  // namespace

std::string explain_inconsistent_offset(const Timeline& timeline, const std::string& partition, int64_t offset) {
  auto it = timeline.partitions.find(partition);
  if (it == timeline.partitions.end()) return {};
  std::vector<std::string> parts{fmt::format("Offset {} of {} was written more than once", offset, partition)};
  int shown = 0;
  for (const ReplicaEvent& e : it->second) {
    if (shown >= 6) break;
    if (e.kind == K::leader_append && e.from <= offset && offset < e.to) {
      parts.push_back(fmt::format("{}, leader in epoch {}, appended a record there at {}", e.node, e.leader_epoch, format_time(e.time_ns)));
      ++shown;
    } else if (e.kind == K::truncated && e.to <= offset && e.from > offset) {
      parts.push_back(fmt::format("{} truncated its log from {} to {} at {} ({})", e.node, e.from, e.to, format_time(e.time_ns), e.detail));
      ++shown;
    }
  }
  parts.push_back("So the acknowledgements and reads that name this offset name different records");
  return sentences(parts);
}

std::string explain_failed_send_read(const History& history, const Timeline& timeline, const std::string& partition,
                                     const std::string& value, int64_t writer_op, int64_t reader_op) {
  const Op* writer = op_at(history, writer_op);
  const Op* reader = op_at(history, reader_op);
  if (!writer || !reader) return {};
  int64_t offset = -1;
  if (auto r = reader->polls.find(partition); r != reader->polls.end())
    for (const Read& read : r->second)
      if (read.value == value) offset = read.offset;
  std::vector<std::string> parts{fmt::format("{} was told its send of {} failed at {}", writer->process, value, format_time(writer->time_ns))};
  if (const ReplicaEvent* a = offset >= 0 ? append_of(timeline, partition, offset) : nullptr)
    parts.push_back(fmt::format("yet {} at offset {} of {}", appended(*a), offset, partition));
  parts.push_back(fmt::format("{} read it at {}. A failure must mean the record was not written: only indefinite (info) "
                              "outcomes may have been",
                              reader->process, format_time(reader->time_ns)));
  return sentences(parts);
}

std::string explain_unseen(const History& history, const Timeline& timeline, const std::string& partition,
                           const std::string& value) {
  std::optional<int64_t> offset;
  int64_t acked = 0;
  for (const Op& op : history.ops)
    if (op.type == OpType::ok)
      for (const Send& s : op.sends)
        if (s.key == partition && s.value == value) {
          offset = s.offset;
          acked = op.time_ns;
        }
  std::vector<std::string> parts;
  std::string first = fmt::format("{} was acknowledged at {}", value, format_time(acked));
  if (offset) {
    first += fmt::format(" at offset {} of {}", *offset, partition);
    if (const ReplicaEvent* a = append_of(timeline, partition, *offset, acked)) first += fmt::format(" ({})", appended(*a));
  }
  parts.push_back(first);
  const Op* last = nullptr;
  int64_t furthest = -1;
  for (const Op& op : history.ops) {
    if (op.type != OpType::ok || op.f != "poll") continue;
    auto r = op.polls.find(partition);
    if (r == op.polls.end() || r->second.empty()) continue;
    last = &op;
    for (const Read& read : r->second) furthest = std::max(furthest, read.offset);
  }
  if (!last) parts.push_back(fmt::format("No ok poll ever returned a record of {}", partition));
  else
    parts.push_back(fmt::format("The last ok poll of {} that returned records was by {} at {}, and no ok poll got past offset {}",
                                partition, last->process, format_time(last->time_ns), furthest));
  parts.push_back("Unseen cannot tell lost from not yet read: the ground-truth checks (lost_acked_writes, delivery) can");
  return sentences(parts);
}

void explain_anomalies(CheckResult& found, const History& history, const GroundTruth& truth, const Timeline& timeline) {
  for (auto& [name, list] : found.anomalies) {
    for (Anomaly& a : list) {
      if (!a.explanation.empty()) continue;
      if (name == "lost-write") {
        // Jepsen's lost-write says only that a later offset was read; when no replica's log holds
        // the value either, the trace tells how it was lost.
        const auto log = truth.final_logs.find(a.key);
        const Op* writer = a.ops.empty() ? nullptr : op_at(history, a.ops.front());
        if (!writer || (log != truth.final_logs.end() && log->second.count(a.value))) continue;
        for (const Send& s : writer->sends)
          if (s.value == a.value) a.explanation = explain_lost_write(timeline, a.key, a.value, s.offset, writer->time_ns, writer->process);
      } else if (name == "duplicate") {
        const auto logs = truth.replicas.find(a.key);
        if (logs == truth.replicas.end() || a.value.empty()) continue;
        for (const ReplicaLog& r : logs->second) {
          std::vector<int64_t> offsets;
          for (const auto& [offset, value] : r.records)
            if (value == a.value) offsets.push_back(offset);
          if (offsets.size() < 2) continue;
          a.explanation = explain_duplicate(timeline, a.key, a.value, offsets);
          break;
        }
      } else if (name == "inconsistent-offsets" && a.offset >= 0) {
        a.explanation = explain_inconsistent_offset(timeline, a.key, a.offset);
      } else if (name == "G1a" && a.ops.size() == 2) {
        a.explanation = explain_failed_send_read(history, timeline, a.key, a.value, a.ops[0], a.ops[1]);
      } else if (name == "unseen" && !a.value.empty()) {
        a.explanation = explain_unseen(history, timeline, a.key, a.value);
      }
    }
  }
}

}  // namespace check
