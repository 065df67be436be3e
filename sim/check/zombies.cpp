#include "sim/check/zombies.hpp"

#include <optional>
#include <set>

#include <fmt/format.h>

#include "sim/check/explain.hpp"
#include "sim/check/jepsen_analysis.hpp"

namespace check {

namespace {

// How a read of a fenced transaction's record came about, for the verdict's "why".
std::string explain_zombie_read(const FencedTxn& t, const Op& poll, const Op* send, const std::string& partition, int64_t offset) {
  std::string out = fmt::format(
      "{} began transaction {} of transactional id {} under producer id {} epoch {}. At {} the transaction coordinator "
      "fenced that epoch ({}): it bumped the epoch to {} and aborted the open transaction, so none of its records may "
      "ever be read by a read_committed consumer.",
      t.client, t.txn, t.transactional_id, t.producer_id, t.epoch, format_time(t.fence_ns), t.reason, t.fenced_epoch);
  if (send && send->type == OpType::ok && send->time_ns > t.fence_ns)
    out += fmt::format(" Yet a partition leader took one of its sends after the fence: {} was acknowledged at {}, at offset {} "
                       "of {}, where the leader should have refused it with INVALID_PRODUCER_EPOCH.",
                       t.client, format_time(send->time_ns), offset, partition);
  out += fmt::format(" {} read it at offset {} of {} at {}: the zombie's write became visible.", poll.process, offset, partition,
                     format_time(poll.time_ns));
  return out;
}

}  // namespace

std::vector<Anomaly> fenced_zombie_reads(const History& history, const std::vector<FencedTxn>& fenced,
                                         const std::map<std::string, std::string>& member_groups,
                                         const std::set<std::string>& read_committed) {
  std::vector<Anomaly> out;
  if (fenced.empty() || read_committed.empty()) return out;
  std::map<int64_t, const Op*> send_completion;  // op id -> its completion
  std::map<std::string, std::set<int64_t>> writers;  // value -> the operations that sent it
  for (const Op& op : history.ops) {
    if (!op.writes()) continue;
    if (op.type != OpType::invoke) send_completion.emplace(op.id, &op);
    for (const Send& s : op.sends) writers[s.value].insert(op.id);
  }
  // (partition, value) -> each fenced send of it: its transaction, op id, and offset if a leader
  // acknowledged it. A pipeline's retry may send the same value again and commit it: a read is
  // the zombie's when its offset is the zombie's send's, or, with that offset unknown, when
  // nothing else ever sent the value.
  struct FencedSend {
    const FencedTxn* txn;
    const Op* send;
    std::optional<int64_t> offset;
  };
  std::map<std::pair<std::string, std::string>, std::vector<FencedSend>> of_value;
  for (const FencedTxn& t : fenced)
    for (const auto& [value, id] : t.sends) {
      const auto c = send_completion.find(id);
      const Op* send = c == send_completion.end() ? nullptr : c->second;
      if (!send) continue;  // never completed: its partition is unknown
      for (const Send& s : send->sends)
        if (s.value == value) of_value[{s.key, value}].push_back({&t, send, s.offset});
    }
  for (const Op& op : history.ops) {
    if (op.type != OpType::ok || !op.reads()) continue;
    const auto g = member_groups.find(op.process);
    if (g == member_groups.end() || !read_committed.count(g->second)) continue;
    for (const auto& [partition, reads] : op.polls)
      for (const Read& r : reads) {
        const auto it = of_value.find({partition, r.value});
        if (it == of_value.end()) continue;
        const FencedSend* match = nullptr;
        for (const FencedSend& f : it->second)
          if (f.offset ? *f.offset == r.offset : writers[r.value].size() == 1) match = &f;
        if (!match) continue;
        const FencedTxn& t = *match->txn;
        const Op* send = match->send;
        Anomaly a;
        a.key = partition;
        a.value = r.value;
        a.offset = r.offset;
        a.detail = fmt::format("{} (read_committed, group {}) read {} at offset {}, sent by {} in transaction {} of transactional id {} "
                               "at producer id {} epoch {}, which the coordinator fenced at {} (epoch {}, {})",
                               jepsen::name(op), g->second, r.value, r.offset, t.client, t.txn, t.transactional_id, t.producer_id, t.epoch,
                               format_time(t.fence_ns), t.fenced_epoch, t.reason);
        if (send) a.ops.push_back(send->index);
        a.ops.push_back(op.index);
        a.explanation = explain_zombie_read(t, op, send, partition, r.offset);
        out.push_back(std::move(a));
      }
  }
  return out;
}

}  // namespace check
