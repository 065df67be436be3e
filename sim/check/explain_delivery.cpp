// Explanations of what a consumer group did to a record: skipped it, or processed it again.
#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "sim/check/explain.hpp"
#include "sim/check/story.hpp"

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

// What became of `member`'s hold on `partition` in [from, to]: its crash, else its giving the
// partition up in a rebalance. Told at its time.
void fate(Story& story, const History& h, const Timeline& t, const std::string& member, const std::string& partition,
          int64_t from, int64_t to) {
  if (const NodeEvent* c = crash_between(t, member, from, to)) {
    story.at(c->time_ns, fmt::format("{} crashed at {}", member, format_time(c->time_ns)));
  } else if (auto r = revoked_after(h, member, partition, from); r && *r <= to) {
    story.at(*r, fmt::format("{} gave up {} in a rebalance (logged at {})", member, partition, format_time(*r)));
  }
}

// The first position a member of `group` took past `offset` of `partition` at or after `from`:
// a resume at a committed offset, or a reset or seek (`jumped`), whichever came first.
const PositionJump* first_past(const GroundTruth& truth, const std::string& group, const std::string& partition, int64_t offset,
                               int64_t from, bool& jumped) {
  const PositionJump* best = nullptr;
  for (const auto* list : {&truth.resumes, &truth.jumps})
    for (const PositionJump& j : *list)
      if (j.group == group && j.partition == partition && j.offset > offset && j.time_ns >= from &&
          (!best || j.time_ns < best->time_ns)) {
        best = &j;
        jumped = list == &truth.jumps;
      }
  return best;
}

// The group's successful commit of `partition` at or before `until`: the last one that
// committed exactly `offset`, or (offset < 0) the first past `past`, or (both < 0) the last.
const CommitRecord* commit_of(const GroundTruth& truth, const std::string& group, const std::string& partition, int64_t offset,
                              int64_t past, int64_t until, int64_t& committed) {
  const CommitRecord* found = nullptr;
  for (const CommitRecord& c : truth.commits) {
    if (c.group != group || !c.ok || c.time_ns > until) continue;
    for (const auto& [p, o] : c.offsets) {
      if (p != partition) continue;
      const bool fits = offset >= 0 ? o == offset : past >= 0 ? o > past : true;
      if (!fits) continue;
      found = &c;
      committed = o;
      if (offset < 0 && past >= 0) return found;
    }
  }
  return found;
}

}  // namespace

std::string explain_skipped(const History& history, const GroundTruth& truth, const Timeline& timeline,
                            const std::string& group, const std::string& partition, const std::string& value) {
  const auto offset = offset_of(history, truth, partition, value);
  if (!offset) return fmt::format("The trace does not tell at which offset of {} {} was written.", partition, value);
  const int64_t o = *offset;
  Story story;
  const Op* poll = nullptr;
  for (const Op& op : history.ops) {
    if (op.type == OpType::invoke || !op.reads() || !in_group(truth, op.process, group)) continue;
    auto it = op.polls.find(partition);
    if (it == op.polls.end()) continue;
    for (const Read& r : it->second)
      if (r.value == value) poll = &op;
    if (poll) break;
  }
  if (poll) {
    story.at(poll->time_ns, fmt::format("{} at offset {} of {} was returned by a poll to {} at {}", value, o, partition, poll->process,
                                        format_time(poll->time_ns)));
  } else {
    story.opening(fmt::format("No poll by a member of {} ever returned {} (offset {} of {})", group, value, o, partition));
  }
  // The chain: the position a member took past the record (a resume at a committed offset, or a
  // reset or seek) and, for a resume, the commit it read; with no such position, the first
  // commit past the record.
  bool jumped = false;
  const PositionJump* moved = first_past(truth, group, partition, o, poll ? poll->time_ns : 0, jumped);
  int64_t committed = -1;
  const CommitRecord* commit = nullptr;
  if (!moved) commit = commit_of(truth, group, partition, -1, o, INT64_MAX, committed);
  else if (!jumped) commit = commit_of(truth, group, partition, moved->offset, -1, moved->time_ns, committed);
  if (commit) {
    const bool own = poll && commit->member == poll->process && commit->time_ns >= poll->time_ns;
    story.at(commit->time_ns, fmt::format("{} committed {} offset {} at {} ({}){}", commit->member, partition, committed,
                                          format_time(commit->time_ns), commit->why, own ? ", before processing it" : ""));
  }
  // What became of the member that had the record (or committed past it), up to the move.
  const std::string holder = poll ? poll->process : commit ? commit->member : std::string();
  const int64_t held_from = poll ? poll->time_ns : commit ? commit->time_ns : 0;
  if (!holder.empty()) fate(story, history, timeline, holder, partition, held_from, moved ? moved->time_ns : INT64_MAX);
  if (moved && jumped) {
    story.at(moved->time_ns, fmt::format("{} reset its position in {} to {} at {}, past offset {}", moved->member, partition,
                                         moved->offset, format_time(moved->time_ns), o));
  } else if (moved) {
    story.at(moved->time_ns, fmt::format("{} resumed {} at the committed offset {} at {}, past offset {}{}", moved->member, partition,
                                         moved->offset, format_time(moved->time_ns), o,
                                         commit ? "" : " (no member saw a commit of that offset complete: the coordinator took "
                                                       "one whose response never arrived)"));
  }
  story.closing(fmt::format("No member of {} processed {}", group, value));
  return story.text();
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
  Story story;
  story.at(first->time_ns, fmt::format("{} at offset {} of {} was processed by {} at {}", value, first->offset, partition,
                                       first->member, format_time(first->time_ns)));
  // Where the second processor started from: its last resume of the partition before.
  const PositionJump* resume = nullptr;
  for (const PositionJump& r : truth.resumes)
    if (r.group == group && r.member == second->member && r.partition == partition && r.time_ns <= second->time_ns &&
        r.offset <= second->offset)
      resume = &r;
  // The group's last successful commit of the partition before that resume (or the reprocessing).
  const int64_t until = resume ? resume->time_ns : second->time_ns;
  int64_t last_offset = -1;
  const CommitRecord* last = commit_of(truth, group, partition, -1, -1, until, last_offset);
  if (last && last_offset <= first->offset) {
    story.at(last->time_ns, fmt::format("{} committed {} offset {} at {} ({}), the group's last commit of it before it was "
                                        "taken up again: not past offset {}",
                                        last->member, partition, last_offset, format_time(last->time_ns), last->why, first->offset));
  } else if (!last) {
    story.opening(fmt::format("The group never committed {} before {} processed {} again", partition, second->member, value));
  }
  fate(story, history, timeline, first->member, partition, first->time_ns, until);
  if (resume) {
    story.at(resume->time_ns, fmt::format("{} resumed {} at the committed offset {} at {}", resume->member, partition,
                                          resume->offset, format_time(resume->time_ns)));
  }
  story.at(second->time_ns, fmt::format("{} processed {} again at {}", second->member, value, format_time(second->time_ns)));
  return story.text();
}

}  // namespace check
