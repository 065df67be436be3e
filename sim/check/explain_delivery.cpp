// Explanations of what a consumer group did to a record: skipped it, or processed it again.
#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "sim/check/explain.hpp"

namespace check {

namespace {

std::optional<int64_t> offset_of(const History& h, const GroundTruth& truth, const std::string& partition,
                                 const std::string& value) {
  for (const Op& op : h.ops)
    if (op.type == OpType::ok)
      for (const Send& s : op.sends)
        if (s.value == value && s.key == partition && s.offset) return s.offset;
  for (const ProcessedRecord& p : truth.processed)
    if (p.value == value && p.partition == partition) return p.offset;
  return std::nullopt;
}

// The first crash of `node` in [from, to].
const NodeEvent* crash_between(const Timeline& t, const std::string& node, int64_t from, int64_t to) {
  for (const NodeEvent& n : t.nodes)
    if (n.kind == NodeEvent::Kind::crashed && n.node == node && n.time_ns >= from && n.time_ns <= to) return &n;
  return nullptr;
}

// When `member` gave up `partition` in a rebalance at or after `from`, per its rebalance logs.
std::optional<int64_t> revoked_after(const History& h, const std::string& member, const std::string& partition, int64_t from) {
  for (const Op& op : h.ops) {
    if (op.process != member || op.type == OpType::invoke || op.time_ns < from) continue;
    for (const Rebalance& r : op.rebalance_log)
      if (r.type == "revoked" && std::find(r.keys.begin(), r.keys.end(), partition) != r.keys.end()) return op.time_ns;
  }
  return std::nullopt;
}

std::string fate(const History& h, const Timeline& t, const std::string& member, const std::string& partition, int64_t from,
                 int64_t to) {
  if (const NodeEvent* c = crash_between(t, member, from, to)) return fmt::format("{} crashed at {}", member, format_time(c->time_ns));
  if (auto r = revoked_after(h, member, partition, from); r && *r <= to)
    return fmt::format("{} gave up {} in a rebalance (logged at {})", member, partition, format_time(*r));
  return {};
}

std::string sentences(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts)
    if (!p.empty()) out += (out.empty() ? "" : " ") + p + ".";
  return out;
}

}  // namespace

std::string explain_skipped(const History& history, const GroundTruth& truth, const Timeline& timeline,
                            const std::string& group, const std::string& partition, const std::string& value) {
  const auto offset = offset_of(history, truth, partition, value);
  if (!offset) return fmt::format("The trace does not tell at which offset of {} {} was written.", partition, value);
  const int64_t o = *offset;
  std::vector<std::string> parts;
  const Op* poll = nullptr;
  for (const Op& op : history.ops) {
    if (op.type == OpType::invoke || op.f != "poll" || !in_group(truth, op.process, group)) continue;
    auto it = op.polls.find(partition);
    if (it == op.polls.end()) continue;
    for (const Read& r : it->second)
      if (r.value == value) poll = &op;
    if (poll) break;
  }
  parts.push_back(poll ? fmt::format("{} at offset {} of {} was returned by a poll to {} at {}", value, o, partition,
                                     poll->process, format_time(poll->time_ns))
                       : fmt::format("No poll by a member of {} ever returned {} (offset {} of {})", group, value, o, partition));
  const CommitRecord* past = nullptr;
  for (const CommitRecord& c : truth.commits) {
    if (c.group != group || !c.ok) continue;
    for (const auto& [p, committed] : c.offsets)
      if (p == partition && committed > o) past = &c;
    if (past) break;
  }
  int64_t after = poll ? poll->time_ns : 0;
  if (past) {
    int64_t committed = 0;
    for (const auto& [p, c] : past->offsets)
      if (p == partition) committed = c;
    const bool own = poll && past->member == poll->process && past->time_ns >= poll->time_ns;
    parts.push_back(fmt::format("{} committed {} offset {} at {} ({}){}", past->member, partition, committed,
                                format_time(past->time_ns), past->why, own ? ", before processing it" : ""));
    after = std::max(after, past->time_ns);
  }
  // What became of the member that had the record (or committed past it).
  if (poll) parts.push_back(fate(history, timeline, poll->process, partition, poll->time_ns, INT64_MAX));
  else if (past) parts.push_back(fate(history, timeline, past->member, partition, past->time_ns, INT64_MAX));
  for (const PositionJump& j : truth.jumps)
    if (j.group == group && j.partition == partition && j.offset > o) {
      parts.push_back(fmt::format("{} reset its position in {} to {} at {}, past offset {}", j.member, partition, j.offset,
                                  format_time(j.time_ns), o));
      break;
    }
  for (const PositionJump& r : truth.resumes)
    if (r.group == group && r.partition == partition && r.offset > o && r.time_ns >= after) {
      parts.push_back(fmt::format("{} resumed {} at the committed offset {} at {}, past offset {}", r.member, partition,
                                  r.offset, format_time(r.time_ns), o));
      break;
    }
  parts.push_back(fmt::format("No member of {} processed {}", group, value));
  return sentences(parts);
}

std::string explain_reprocessed(const History& history, const GroundTruth& truth, const Timeline& timeline,
                                const std::string& group, const std::string& partition, const std::string& value) {
  const ProcessedRecord* first = nullptr;
  const ProcessedRecord* second = nullptr;
  for (const ProcessedRecord& p : truth.processed) {
    if (p.group != group || p.value != value || p.partition != partition) continue;
    if (!first) first = &p;
    else if (!second) second = &p;
  }
  if (!first || !second) return {};
  std::vector<std::string> parts;
  parts.push_back(fmt::format("{} at offset {} of {} was processed by {} at {}", value, first->offset, partition,
                              first->member, format_time(first->time_ns)));
  // Where the second processor started from: its last resume of the partition before.
  const PositionJump* resume = nullptr;
  for (const PositionJump& r : truth.resumes)
    if (r.group == group && r.member == second->member && r.partition == partition && r.time_ns <= second->time_ns &&
        r.offset <= second->offset)
      resume = &r;
  // The group's last successful commit of the partition before that resume (or the reprocessing).
  const int64_t until = resume ? resume->time_ns : second->time_ns;
  const CommitRecord* last = nullptr;
  int64_t last_offset = -1;
  for (const CommitRecord& c : truth.commits) {
    if (c.group != group || !c.ok || c.time_ns > until) continue;
    for (const auto& [p, committed] : c.offsets)
      if (p == partition) {
        last = &c;
        last_offset = committed;
      }
  }
  if (last && last_offset <= first->offset) {
    parts.push_back(fmt::format("The group's last commit of {} by then was offset {} at {} ({}, by {}), not past offset {}",
                                partition, last_offset, format_time(last->time_ns), last->why, last->member, first->offset));
  } else if (!last) {
    parts.push_back(fmt::format("The group had never committed {} by then", partition));
  }
  parts.push_back(fate(history, timeline, first->member, partition, first->time_ns, until));
  if (resume) {
    parts.push_back(fmt::format("{} resumed {} at the committed offset {} at {} and processed {} again at {}", resume->member,
                                partition, resume->offset, format_time(resume->time_ns), value, format_time(second->time_ns)));
  } else {
    parts.push_back(fmt::format("{} processed it again at {}", second->member, format_time(second->time_ns)));
  }
  return sentences(parts);
}

}  // namespace check
