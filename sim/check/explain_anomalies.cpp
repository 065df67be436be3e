// Explanations for the anomalies of a check result, each from the timeline and ground truth.
#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "sim/check/explain.hpp"
#include "sim/check/story.hpp"

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
  Story story;
  story.opening(fmt::format("Offset {} of {} was written more than once", offset, partition));
  int shown = 0;
  for (const ReplicaEvent& e : it->second) {
    if (shown >= 6) break;
    if (e.kind == K::leader_append && e.from <= offset && offset < e.to) {
      story.at(e.time_ns, fmt::format("{}, leader in epoch {}, appended a record there at {}", e.node, e.leader_epoch, format_time(e.time_ns)));
      ++shown;
    } else if (e.kind == K::truncated && e.to <= offset && e.from > offset) {
      story.at(e.time_ns, fmt::format("{} truncated its log from {} to {} at {} ({})", e.node, e.from, e.to, format_time(e.time_ns), e.detail));
      ++shown;
    }
  }
  story.closing("So the acknowledgements and reads that name this offset name different records");
  return story.text();
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
  Story story;
  if (const ReplicaEvent* a = offset >= 0 ? append_of(timeline, partition, offset, reader->time_ns) : nullptr)
    story.at(a->time_ns, fmt::format("{}, leader in epoch {}, appended {} at offset {} of {} at {}", a->node, a->leader_epoch, value,
                                     offset, partition, format_time(a->time_ns)));
  const auto in_txn = history.txn_outcomes.find(static_cast<int64_t>(writer - history.ops.data()));
  if (in_txn != history.txn_outcomes.end()) {
    if (auto acked = in_txn->second.acknowledged_ns.find(value); acked != in_txn->second.acknowledged_ns.end())
      story.at(acked->second, fmt::format("{}'s send of {} was acknowledged at {}", writer->process, value, format_time(acked->second)));
    story.at(in_txn->second.time_ns, in_txn->second.told);
    story.closing("A send of a transaction that did not commit counts as failed: a reader may see it only if it reads uncommitted");
  } else {
    story.at(writer->time_ns, fmt::format("{} was told its send of {} failed at {}", writer->process, value, format_time(writer->time_ns)));
    story.closing("A send reported as failed must not have been written: only indefinite (info) outcomes may have been");
  }
  story.at(reader->time_ns, fmt::format("{} read {} at {}", reader->process, value, format_time(reader->time_ns)));
  return story.text();
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
  Story story;
  const ReplicaEvent* a = offset ? append_of(timeline, partition, *offset, acked) : nullptr;
  if (a) story.at(a->time_ns, fmt::format("{} was written at offset {} of {}: {}", value, *offset, partition, appended(*a)));
  story.at(acked, fmt::format("{} was acknowledged at {}{}", a ? "It" : value, format_time(acked),
                              offset && !a ? fmt::format(" at offset {} of {}", *offset, partition) : std::string()));
  const Op* last = nullptr;
  int64_t furthest = -1;
  for (const Op& op : history.ops) {
    if (op.type != OpType::ok || !op.reads()) continue;
    auto r = op.polls.find(partition);
    if (r == op.polls.end() || r->second.empty()) continue;
    last = &op;
    for (const Read& read : r->second) furthest = std::max(furthest, read.offset);
  }
  if (!last) story.closing(fmt::format("No ok poll ever returned a record of {}", partition));
  else
    story.at(last->time_ns, fmt::format("The last ok poll of {} that returned records was by {} at {}, and no ok poll got past offset {}",
                                        partition, last->process, format_time(last->time_ns), furthest));
  story.closing("Unseen cannot tell lost from not yet read: the ground-truth checks (lost_acked_writes, delivery) can");
  return story.text();
}

// How one consumer's successive polls of a partition jumped or went back: both polls, and what
// happened to the member and the partition in between (rebalances, resumes, resets, crashes).
std::string explain_poll_step(const History& history, const GroundTruth& truth, const Timeline& timeline,
                              const std::string& partition, int64_t earlier_op, int64_t later_op) {
  const Op* before = op_at(history, earlier_op);
  const Op* after = op_at(history, later_op);
  if (!before || !after) return {};
  auto read_at = [&](const Op& op, bool last) -> std::optional<Read> {
    auto r = op.polls.find(partition);
    if (r == op.polls.end() || r->second.empty()) return std::nullopt;
    return last ? r->second.back() : r->second.front();
  };
  const auto a = read_at(*before, true);
  const auto b = read_at(*after, false);
  if (!a || !b) return {};
  const std::string& member = after->process;
  Story story;
  story.at(before->time_ns, fmt::format("{}'s poll at {} ended its reads of {} at offset {} ({})", before->process,
                                        format_time(before->time_ns), partition, a->offset, a->value));
  std::vector<std::pair<int64_t, std::string>> between;  // (time, what), told in time order
  for (const Op& op : history.ops) {
    if (op.process != member || op.index <= before->index || op.index > after->index) continue;
    for (const Rebalance& r : op.rebalance_log)
      if (std::find(r.keys.begin(), r.keys.end(), partition) != r.keys.end())
        between.emplace_back(op.time_ns, fmt::format("{} {} {} (logged at {})", member, r.type == "revoked" ? "gave up" : "was assigned",
                                                     partition, format_time(op.time_ns)));
  }
  for (const NodeEvent& n : timeline.nodes)
    if (n.node == member && n.time_ns > before->time_ns && n.time_ns <= after->time_ns &&
        (n.kind == NodeEvent::Kind::crashed || n.kind == NodeEvent::Kind::restarted))
      between.emplace_back(n.time_ns, fmt::format("{} {} at {}", member, n.kind == NodeEvent::Kind::crashed ? "crashed" : "restarted",
                                                  format_time(n.time_ns)));
  for (const PositionJump& r : truth.resumes)
    if (r.member == member && r.partition == partition && r.time_ns > before->time_ns && r.time_ns <= after->time_ns)
      between.emplace_back(r.time_ns, fmt::format("{} resumed {} at the committed offset {} at {}", member, partition, r.offset,
                                                  format_time(r.time_ns)));
  for (const PositionJump& j : truth.jumps)
    if (j.member == member && j.partition == partition && j.time_ns > before->time_ns && j.time_ns <= after->time_ns)
      between.emplace_back(j.time_ns, fmt::format("{} reset its position in {} to {} at {}", member, partition, j.offset,
                                                  format_time(j.time_ns)));
  std::stable_sort(between.begin(), between.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  if (between.size() > 6) between.resize(6);
  for (const auto& [t, what] : between) story.at(t, what);
  // Told last among events at its time: a rebalance is logged on the poll that follows it.
  story.at(after->time_ns, fmt::format("{}{}'s next poll at {} began at offset {} ({})",
                                       between.empty() ? "Nothing the trace records happened to the member or the partition until "
                                                       : "Then ",
                                       member, format_time(after->time_ns), b->offset, b->value));
  return story.text();
}

// How a producer's later send landed at or before its earlier one: both appends, and the
// retries and leader changes of the partition in between, in time order.
std::string explain_send_order(const History& history, const Timeline& timeline, const std::string& partition,
                               int64_t earlier_op, int64_t later_op) {
  const Op* before = op_at(history, earlier_op);
  const Op* after = op_at(history, later_op);
  if (!before || !after) return {};
  auto sent = [&](const Op& op, bool last) -> std::optional<Send> {
    std::optional<Send> out;
    for (const Send& s : op.sends)
      if (s.key == partition && s.offset && (!out || last)) out = s;
    return out;
  };
  const auto a = sent(*before, true);
  const auto b = sent(*after, false);
  if (!a || !b) return {};
  Story story;
  story.opening(fmt::format("{} sent {} before {}, yet {} landed at offset {} of {}, at or before {}'s offset {}", before->process,
                            a->value, b->value, b->value, *b->offset, partition, a->value, *a->offset));
  // Each send's append: the last one of its offset before the send was acknowledged (a later
  // leader may have written another record there since).
  for (const auto& [send, acked] : {std::pair{&*a, before->time_ns}, std::pair{&*b, after->time_ns}})
    if (const ReplicaEvent* e = append_of(timeline, partition, *send->offset, acked))
      story.at(e->time_ns, fmt::format("{}, leader in epoch {}, appended {} at offset {} at {}", e->node, e->leader_epoch, send->value,
                                       *send->offset, format_time(e->time_ns)));
  auto it = timeline.partitions.find(partition);
  // From the first of the two invocations to the last completion.
  int64_t from = std::min(before->time_ns, after->time_ns);
  for (const Op& op : history.ops)
    if (op.type == OpType::invoke && (op.id == before->id || op.id == after->id)) from = std::min(from, op.time_ns);
  const int64_t to = std::max(before->time_ns, after->time_ns);
  // The producer's retries and the partition's elections between them; the retries of several
  // batches for one error at one time are told as one sentence.
  struct Between {
    int64_t time_ns;
    std::string what;
    int batches = 0;  // for a retry: how many batches
  };
  std::vector<Between> between;
  bool retried = false;
  if (it != timeline.partitions.end())
    for (const ReplicaEvent& e : it->second) {
      if (e.time_ns < from || e.time_ns > to) continue;
      if (e.kind == K::producer_retry && e.node == before->process) {
        retried = true;
        const std::string what = fmt::format("(attempt {}) after {} at {}", e.to, e.detail, format_time(e.time_ns));
        if (!between.empty() && between.back().batches > 0 && between.back().what == what)
          ++between.back().batches;
        else if (between.size() < 4)
          between.push_back({e.time_ns, what, 1});
      } else if (e.kind == K::elected && !e.node.empty() && between.size() < 4) {
        between.push_back({e.time_ns, fmt::format("{} became leader in epoch {} at {}", e.node, e.leader_epoch, format_time(e.time_ns))});
      }
    }
  for (const Between& step : between)
    story.at(step.time_ns, step.batches == 0 ? step.what
                           : step.batches == 1 ? fmt::format("{} retried a batch {}", before->process, step.what)
                                               : fmt::format("{} retried {} batches {}", before->process, step.batches, step.what));
  if (retried)
    story.closing("A retried batch is sent again after batches that were sent later; only idempotence (sequence "
                  "numbers) puts them back in order");
  return story.text();
}

std::string explain_internal_step(const History& history, const Timeline& timeline, const std::string& partition,
                                  int64_t op_index, const std::string& value, bool sends) {
  const Op* op = op_at(history, op_index);
  if (!op) return {};
  std::vector<std::pair<int64_t, std::string>> seq;  // (offset, value) in the op's order
  if (sends) {
    for (const Send& s : op->sends)
      if (s.key == partition && s.offset) seq.emplace_back(*s.offset, s.value);
  } else if (auto r = op->polls.find(partition); r != op->polls.end()) {
    for (const Read& read : r->second) seq.emplace_back(read.offset, read.value);
  }
  for (size_t j = 1; j < seq.size(); ++j) {
    if (seq[j].second != value) continue;
    const auto& [o1, v1] = seq[j - 1];
    const auto& [o2, v2] = seq[j];
    std::vector<std::string> parts{fmt::format("{}'s {} at {} {} {} at offset {} of {}, then {} at offset {}", op->process,
                                               sends ? "operation" : "poll", format_time(op->time_ns),
                                               sends ? "sent" : "returned", v1, o1, partition, v2, o2)};
    if (o2 <= o1) {
      parts.push_back(sends ? "The later send landed at or before the earlier one inside one operation"
                            : "It went back (or repeated) inside one poll: a fetch returned records out of order or twice");
    } else {
      std::string between;
      int shown = 0;
      auto it = timeline.partitions.find(partition);
      if (it != timeline.partitions.end())
        for (const ReplicaEvent& e : it->second)
          if (e.kind == K::leader_append && e.to > o1 + 1 && e.from < o2 && shown < 3) {
            between += fmt::format("{}{} (leader in epoch {}) at {}{}", between.empty() ? "" : "; ", e.node, e.leader_epoch,
                                   format_time(e.time_ns), e.producer_id >= 0 ? fmt::format(", producer id {}", e.producer_id) : "");
            ++shown;
          }
      parts.push_back(fmt::format("Offsets {} to {} lie between{}", o1 + 1, o2 - 1,
                                  between.empty() ? "" : ", appended by " + between));
      parts.push_back(sends ? "Another producer's records landed between this operation's sends"
                            : "The poll went past records the log held between them");
    }
    return sentences(parts);
  }
  return {};
}

namespace {
// The application's own resend of `value`: a send operation of it that ended unacknowledged,
// then another send operation of the same value by the same process.
std::optional<Resend> resent(const History& history, const std::string& value) {
  const Op* ended = nullptr;
  for (const Op& op : history.ops) {
    if (!op.writes() ||
        std::none_of(op.sends.begin(), op.sends.end(), [&value](const Send& s) { return s.value == value; }))
      continue;
    if (op.type == OpType::info || op.type == OpType::fail) {
      if (!ended) ended = &op;
    } else if (op.type == OpType::invoke && ended && op.process == ended->process && op.time_ns >= ended->time_ns) {
      return Resend{op.process, ended->time_ns, ended->type == OpType::info ? "info" : "fail", op.time_ns};
    }
  }
  return std::nullopt;
}
}  // namespace

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
          const std::optional<Resend> resend = resent(history, a.value);
          a.explanation = explain_duplicate(timeline, a.key, a.value, offsets, resend ? &*resend : nullptr);
          break;
        }
      } else if (name == "inconsistent-offsets" && a.offset >= 0) {
        a.explanation = explain_inconsistent_offset(timeline, a.key, a.offset);
      } else if (name == "G1a" && a.ops.size() == 2) {
        a.explanation = explain_failed_send_read(history, timeline, a.key, a.value, a.ops[0], a.ops[1]);
      } else if (name == "unseen" && !a.value.empty()) {
        a.explanation = explain_unseen(history, timeline, a.key, a.value);
      } else if ((name == "poll-skip" || name == "nonmonotonic-poll") && a.ops.size() == 2) {
        a.explanation = explain_poll_step(history, truth, timeline, a.key, a.ops[0], a.ops[1]);
      } else if (name == "nonmonotonic-send" && a.ops.size() == 2) {
        a.explanation = explain_send_order(history, timeline, a.key, a.ops[0], a.ops[1]);
      } else if (name.rfind("int-", 0) == 0 && a.ops.size() == 1 && !a.value.empty()) {
        a.explanation = explain_internal_step(history, timeline, a.key, a.ops[0], a.value, name.find("send") != std::string::npos);
      }
    }
  }
}

}  // namespace check
