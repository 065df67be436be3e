#include "sim/check/explain.hpp"
#include "sim/check/story.hpp"

#include <algorithm>
#include <set>
#include <vector>

#include <fmt/format.h>

namespace check {

namespace {

using K = ReplicaEvent::Kind;

const std::vector<ReplicaEvent>* events_of(const Timeline& t, const std::string& partition) {
  auto it = t.partitions.find(partition);
  return it == t.partitions.end() ? nullptr : &it->second;
}

bool covers(const ReplicaEvent& e, int64_t offset) { return e.from <= offset && offset < e.to; }

// The last append (by a leader, or by a follower when `followers`) of `node` covering `offset`
// at or before `until`.
const ReplicaEvent* last_append(const std::vector<ReplicaEvent>& events, const std::string& node, int64_t offset,
                                int64_t until, bool followers) {
  const ReplicaEvent* found = nullptr;
  for (const ReplicaEvent& e : events) {
    if (e.time_ns > until) break;
    const bool kind = e.kind == K::leader_append || (followers && e.kind == K::follower_append);
    if (kind && (node.empty() || e.node == node) && covers(e, offset)) found = &e;
  }
  return found;
}

// The leader's append of `offset` in `epoch`: who wrote the record a follower copied.
const ReplicaEvent* leader_append_in(const std::vector<ReplicaEvent>& events, int32_t epoch, int64_t offset) {
  const ReplicaEvent* found = nullptr;
  for (const ReplicaEvent& e : events)
    if (e.kind == K::leader_append && e.leader_epoch == epoch && covers(e, offset)) found = &e;
  return found;
}

// The first crash, pause or isolation of `node` (or a network partition) at or after `from`.
const NodeEvent* first_fault(const Timeline& t, const std::string& node, int64_t from) {
  for (const NodeEvent& n : t.nodes) {
    if (n.time_ns < from) continue;
    const bool mine = n.node == node && (n.kind == NodeEvent::Kind::crashed || n.kind == NodeEvent::Kind::paused ||
                                         n.kind == NodeEvent::Kind::isolated);
    if (mine || n.kind == NodeEvent::Kind::partitioned) return &n;
  }
  return nullptr;
}

std::string describe_fault(const NodeEvent& n, const std::string& node) {
  switch (n.kind) {
    case NodeEvent::Kind::crashed: return fmt::format("{} crashed at {}", node, format_time(n.time_ns));
    case NodeEvent::Kind::paused: return fmt::format("{} was paused at {}", node, format_time(n.time_ns));
    case NodeEvent::Kind::isolated: return fmt::format("{} was cut off from every other node at {}", node, format_time(n.time_ns));
    case NodeEvent::Kind::partitioned: return fmt::format("the network was partitioned ({}) at {}", n.detail, format_time(n.time_ns));
    default: return fmt::format("{} changed at {}", node, format_time(n.time_ns));
  }
}

// Each other replica's log end offset at `when`, from its appends and role changes.
std::string follower_ends(const std::vector<ReplicaEvent>& events, const std::string& leader, int64_t when) {
  std::map<std::string, int64_t> leo;
  for (const ReplicaEvent& e : events) {
    if (e.time_ns > when) break;
    if (e.node.empty() || e.node == leader) continue;
    switch (e.kind) {
      case K::follower_append:
      case K::leader_append:
      case K::became_follower:
      case K::became_leader:
      case K::truncated:
      case K::recovered: leo[e.node] = e.to; break;
      default: break;
    }
  }
  std::string out;
  for (const auto& [node, end] : leo) out += fmt::format("{}{}'s log end offset was {}", out.empty() ? "" : ", ", node, end);
  return out;
}

// What the replica that kept the older record (`copy`, first written by `writer`) did after it:
// its last turn as a follower (where it should have truncated), the epoch answer it got and its
// truncations, each at its time, and that none of them reached `offset`.
void tell_stale_follower(Story& story, const std::vector<ReplicaEvent>& events, const std::string& stale,
                         const ReplicaEvent& copy, const ReplicaEvent& writer, int64_t offset) {
  const ReplicaEvent* follow = nullptr;
  for (const ReplicaEvent& e : events)
    if (e.kind == K::became_follower && e.node == stale && e.time_ns >= copy.time_ns) follow = &e;
  if (!follow) {
    story.closing(fmt::format("{} never became a follower after writing its record, so nothing made it truncate", stale));
    return;
  }
  int64_t epoch_start = -1;
  std::string leader;
  for (const ReplicaEvent& e : events)
    if (e.kind == K::became_leader && e.leader_epoch == follow->leader_epoch) {
      epoch_start = e.to;
      leader = e.node;
    }
  std::string s = fmt::format("{} became a follower in epoch {} at {} with its log ending at offset {}", stale,
                              follow->leader_epoch, format_time(follow->time_ns), follow->to);
  if (epoch_start >= 0) s += fmt::format(" ({} began epoch {} at offset {})", leader, follow->leader_epoch, epoch_start);
  story.at(follow->time_ns, s);
  for (const ReplicaEvent& e : events) {
    if (e.kind != K::epoch_answer || e.node != stale || e.time_ns < follow->time_ns) continue;
    const std::string when = format_time(e.time_ns);
    story.at(e.time_ns,
             e.from >= 0 && e.leader_epoch < 0
                 ? fmt::format("At {} {} asked where epoch {} ends and was told offset {} (an answer that names no epoch), so it "
                               "truncated to {}",
                               when, stale, e.from, e.to, e.detail)
             : e.from >= 0 ? fmt::format("At {} {} asked where epoch {} ends and was told epoch {} ends at offset {}, so it truncated to {}",
                                         when, stale, e.from, e.leader_epoch, e.to, e.detail)
                           : fmt::format("At {} a fetch told {} that epoch {} ends at offset {}, so it truncated to {}", when, stale,
                                         e.leader_epoch, e.to, e.detail));
  }
  int shown = 0;
  for (const ReplicaEvent& e : events) {
    if (e.time_ns < copy.time_ns || e.kind != K::truncated || e.node != stale || ++shown > 3) continue;
    story.at(e.time_ns, fmt::format("{} truncated its log from {} to {} at {} ({})", e.node, e.from, e.to, format_time(e.time_ns), e.detail));
  }
  story.closing(fmt::format("{} below offset {}: the record of epoch {} stayed",
                            shown == 0 ? stale + " never truncated" : "None of " + stale + "'s truncations went", offset,
                            writer.leader_epoch));
}

}  // namespace

std::string format_time(int64_t ns) {
  if (ns % 1'000'000 == 0) return fmt::format("{:.3f}s", static_cast<double>(ns) / 1e9);
  return fmt::format("{:.6f}s", static_cast<double>(ns) / 1e9);
}

std::string explain_lost_write(const Timeline& timeline, const std::string& partition, const std::string& value,
                               std::optional<int64_t> offset, int64_t acked_ns, const std::string& process) {
  const auto* events = events_of(timeline, partition);
  if (!events || !offset) {
    return fmt::format("{} was acknowledged to {} at {}{}; the trace holds no record of where it was written.", value,
                       process, format_time(acked_ns), offset ? fmt::format(" at offset {} of {}", *offset, partition) : "");
  }
  const int64_t o = *offset;
  const ReplicaEvent* append = last_append(*events, "", o, acked_ns, false);
  if (!append) {
    return fmt::format("{} was acknowledged to {} at {} at offset {} of {}, but no leader's append of that offset is in the trace.",
                       value, process, format_time(acked_ns), o, partition);
  }
  Story story;
  story.at(append->time_ns, fmt::format("{} was appended at offset {} of {} by {}, leader in epoch {}, at {}", value, o, partition,
                                        append->node, append->leader_epoch, format_time(append->time_ns)));
  story.at(acked_ns, fmt::format("It was acknowledged to {} at {}", process, format_time(acked_ns)));
  int64_t after = append->time_ns;
  if (const NodeEvent* fault = first_fault(timeline, append->node, append->time_ns)) {
    const std::string ends = follower_ends(*events, append->node, fault->time_ns);
    story.at(fault->time_ns, describe_fault(*fault, append->node) + (ends.empty() ? "" : "; by then " + ends));
    after = fault->time_ns;
  }
  for (const ReplicaEvent& e : *events) {
    if (e.time_ns < after || e.kind != K::elected || e.leader_epoch <= append->leader_epoch) continue;
    if (e.node.empty()) {
      story.at(e.time_ns, fmt::format("At {} the controller found no eligible leader for epoch {} ({})", format_time(e.time_ns),
                                      e.leader_epoch, e.detail));
      continue;
    }
    std::string s = fmt::format("The controller elected {} leader in epoch {} at {} ({})", e.node, e.leader_epoch,
                                format_time(e.time_ns), e.detail);
    for (const ReplicaEvent& l : *events) {
      if (l.kind != K::became_leader || l.node != e.node || l.leader_epoch != e.leader_epoch) continue;
      s += l.to <= o ? fmt::format("; its log end offset was {}: it did not have offset {}", l.to, o)
                     : fmt::format("; its log end offset was {}: it had offset {}", l.to, o);
      break;
    }
    story.at(e.time_ns, s);
    break;
  }
  for (const ReplicaEvent& e : *events) {
    if (e.kind != K::recovered || e.node != append->node || e.time_ns < after || e.to > o) continue;
    story.at(e.time_ns, fmt::format("{} restarted at {} with its log recovered from disk to end at offset {}: the crash lost what "
                                    "it had not flushed, offset {} among it",
                                    e.node, format_time(e.time_ns), e.to, o));
    break;
  }
  int shown = 0;
  for (const ReplicaEvent& e : *events) {
    if (e.time_ns < append->time_ns || e.kind != K::truncated || e.to > o || ++shown > 3) continue;
    story.at(e.time_ns, fmt::format("{} truncated its log from {} to {} at {} ({})", e.node, e.from, e.to, format_time(e.time_ns), e.detail));
  }
  story.closing(fmt::format("No replica's log holds {} now", value));
  return story.text();
}

std::string explain_duplicate(const Timeline& timeline, const std::string& partition, const std::string& value,
                              const std::vector<int64_t>& offsets, const Resend* resend) {
  const auto* events = events_of(timeline, partition);
  if (!events || offsets.size() < 2) return {};
  const ReplicaEvent* first = last_append(*events, "", offsets[0], INT64_MAX, false);
  const ReplicaEvent* second = last_append(*events, "", offsets[1], INT64_MAX, false);
  if (!first || !second) return {};
  if (second->time_ns < first->time_ns) std::swap(first, second);
  auto producer = [](const ReplicaEvent& a) {
    return a.producer_id < 0 ? std::string("no producer id") : fmt::format("producer id {}, batch sequence {}", a.producer_id, a.sequence);
  };
  Story story;
  story.opening(fmt::format("{} is at offsets {} and {} of {}", value, offsets[0], offsets[1], partition));
  story.at(first->time_ns, fmt::format("{}, leader in epoch {}, appended it at {} ({})", first->node, first->leader_epoch,
                                       format_time(first->time_ns), producer(*first)));
  story.at(second->time_ns, fmt::format("{}, leader in epoch {}, appended it again at {} ({})", second->node, second->leader_epoch,
                                        format_time(second->time_ns), producer(*second)));
  if (resend) {
    // Not the producer's retry: the application's, which no producer or broker can recognise.
    story.at(resend->first_end_ns, fmt::format("{} was told at {} that its send of {} {}", resend->process, format_time(resend->first_end_ns), value,
                                               resend->first_outcome == "info" ? "timed out, its outcome unknown (op.info: maybe written)"
                                                                               : "failed (op.fail)"));
    story.at(resend->again_ns, fmt::format("{}'s application sent {} again at {}", resend->process, value, format_time(resend->again_ns)));
    story.closing("To the producer the second send was a new record, so neither idempotence nor the leader could tell it from the first");
    return story.text();
  }
  std::string producer_name;
  for (const ReplicaEvent& e : *events) {
    if (e.kind != K::producer_retry || e.time_ns < first->time_ns || e.time_ns > second->time_ns) continue;
    producer_name = e.node;
    story.at(e.time_ns, fmt::format("{} retried a batch of {} (attempt {}) after {} at {}", e.node, partition, e.to, e.detail,
                                    format_time(e.time_ns)));
    break;
  }
  for (const NodeEvent& n : timeline.nodes)
    if (n.kind == NodeEvent::Kind::producer_epoch_bump && n.time_ns >= first->time_ns && n.time_ns <= second->time_ns &&
        (producer_name.empty() || n.node == producer_name)) {
      story.at(n.time_ns, fmt::format("{} bumped its producer epoch at {}", n.node, format_time(n.time_ns)));
      break;
    }
  if (first->producer_id < 0)
    story.closing("Without idempotence the leader cannot tell a retry from new records");
  else if (first->producer_id != second->producer_id)
    story.closing("The second append came under another producer id, so the leader could not recognise it as a retry");
  else if (first->sequence != second->sequence)
    story.closing("The retry carried new sequence numbers, so the leader could not recognise it as a retry");
  else
    story.closing("Both carried the same producer id and sequence: the leader should have recognised the retry");
  return story.text();
}

std::string explain_divergence(const Timeline& timeline, const std::string& partition, int64_t offset,
                               const std::string& replica_a, const std::string& replica_b) {
  const auto* events = events_of(timeline, partition);
  if (!events) return fmt::format("The trace holds no replication events of {}.", partition);
  struct Origin {
    std::string replica;
    const ReplicaEvent* copy = nullptr;    // the replica's own append of the offset
    const ReplicaEvent* writer = nullptr;  // the leader's append it came from
  };
  std::vector<Origin> origins;
  for (const std::string& r : {replica_a, replica_b}) {
    Origin g{r, last_append(*events, r, offset, INT64_MAX, true), nullptr};
    if (g.copy) g.writer = g.copy->kind == K::leader_append ? g.copy : leader_append_in(*events, g.copy->leader_epoch, offset);
    origins.push_back(g);
  }
  Story story;
  for (const Origin& g : origins) {
    if (!g.writer) {
      story.opening(fmt::format("{} holds a record at offset {} whose append is not in the trace", g.replica, offset));
      continue;
    }
    story.at(g.writer->time_ns, fmt::format("{} holds the record {} appended as leader in epoch {} at {}", g.replica,
                                            g.writer->node == g.replica ? "it" : g.writer->node, g.writer->leader_epoch,
                                            format_time(g.writer->time_ns)));
  }
  if (origins[0].writer && origins[1].writer) {
    // The replica that should have truncated: the one that is not the partition's last leader
    // (its log is what the others must match), else the one holding the older epoch's record.
    std::string last_leader;
    for (const ReplicaEvent& e : *events)
      if (e.kind == K::became_leader) last_leader = e.node;
    bool a_stale = origins[0].writer->leader_epoch < origins[1].writer->leader_epoch;
    if (last_leader == origins[0].replica) a_stale = false;
    if (last_leader == origins[1].replica) a_stale = true;
    tell_stale_follower(story, *events, a_stale ? origins[0].replica : origins[1].replica,
                        a_stale ? *origins[0].copy : *origins[1].copy, a_stale ? *origins[0].writer : *origins[1].writer, offset);
  }
  return story.text();
}

}  // namespace check
