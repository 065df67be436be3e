#include "sim/check/replicas.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "sim/check/explain.hpp"

namespace check {

namespace {

// The value at `offset`, or null when the replica holds no record there.
const std::string* at(const ReplicaLog& r, int64_t offset) {
  auto it = std::lower_bound(r.records.begin(), r.records.end(), offset,
                             [](const std::pair<int64_t, std::string>& rec, int64_t o) { return rec.first < o; });
  return it != r.records.end() && it->first == offset ? &it->second : nullptr;
}

std::string show(const std::string* v) { return v ? *v : "nothing"; }

}  // namespace

std::vector<Anomaly> replica_divergence(const std::map<std::string, std::vector<ReplicaLog>>& replicas,
                                        const Timeline* timeline) {
  std::vector<Anomaly> out;
  for (const auto& [partition, logs] : replicas) {
    for (size_t i = 0; i < logs.size(); ++i) {
      for (size_t j = i + 1; j < logs.size(); ++j) {
        const ReplicaLog& a = logs[i];
        const ReplicaLog& b = logs[j];
        const int64_t below = std::min(a.high_watermark, b.high_watermark);
        // Offsets either replica holds below both HWs, in order: the first that differs.
        std::vector<int64_t> offsets;
        for (const auto* r : {&a, &b})
          for (const auto& [o, v] : r->records)
            if (o < below) offsets.push_back(o);
        std::sort(offsets.begin(), offsets.end());
        offsets.erase(std::unique(offsets.begin(), offsets.end()), offsets.end());
        for (int64_t o : offsets) {
          const std::string* va = at(a, o);
          const std::string* vb = at(b, o);
          if (va && vb && *va == *vb) continue;
          out.push_back(Anomaly{partition,
                                fmt::format("{} offset {}: {} has {}, {} has {}, below both high watermarks ({} {}, {} {})",
                                            partition, o, a.replica, show(va), b.replica, show(vb), a.replica,
                                            a.high_watermark, b.replica, b.high_watermark),
                                {},
                                timeline ? explain_divergence(*timeline, partition, o, a.replica, b.replica) : std::string()});
          break;
        }
      }
    }
  }
  return out;
}

std::vector<Anomaly> hw_regressions(const Timeline& timeline) {
  std::vector<Anomaly> out;
  for (const auto& [partition, events] : timeline.partitions) {
    struct Seen {
      int32_t epoch = -1;
      int64_t hw = -1;
      int64_t at = 0;  // when it reached `hw`
      bool reported = false;
    };
    std::map<std::string, Seen> seen;  // replica -> its highest HW in its current epoch
    for (const ReplicaEvent& e : events) {
      if (e.kind == ReplicaEvent::Kind::recovered) {
        seen.erase(e.node);
        continue;
      }
      if (e.kind != ReplicaEvent::Kind::high_watermark) continue;
      Seen& s = seen[e.node];
      if (e.leader_epoch != s.epoch) s = Seen{e.leader_epoch, e.to, e.time_ns, false};
      if (e.to < s.hw && !s.reported) {
        s.reported = true;
        std::string detail = fmt::format("{}: {}'s high watermark went back from {} to {} at {} within leader epoch {}",
                                         partition, e.node, s.hw, e.to, format_time(e.time_ns), e.leader_epoch);
        // What the replica did between the two: truncations and role changes.
        std::string between;
        for (const ReplicaEvent& x : events) {
          if (x.node != e.node || x.time_ns < s.at || x.time_ns > e.time_ns) continue;
          if (x.kind == ReplicaEvent::Kind::truncated)
            between += fmt::format("; it truncated its log from {} to {} at {} ({})", x.from, x.to, format_time(x.time_ns), x.detail);
          else if (x.kind == ReplicaEvent::Kind::became_leader || x.kind == ReplicaEvent::Kind::became_follower)
            between += fmt::format("; it became {} in epoch {} at {}", x.kind == ReplicaEvent::Kind::became_leader ? "leader" : "a follower",
                                   x.leader_epoch, format_time(x.time_ns));
        }
        std::string why = fmt::format("{} had exposed offsets below {} as committed at {}{}. Taking that back within one epoch "
                                      "lets a consumer have read records the partition then no longer counts as committed.",
                                      e.node, s.hw, format_time(s.at),
                                      between.empty() ? ", and nothing in between explains the drop" : between);
        out.push_back(Anomaly{partition, std::move(detail), {}, std::move(why)});
      }
      if (e.to > s.hw) {
        s.hw = e.to;
        s.at = e.time_ns;
      }
    }
  }
  return out;
}

std::vector<Anomaly> log_duplicates(const std::map<std::string, std::vector<ReplicaLog>>& replicas,
                                    const std::map<std::string, std::map<std::string, std::set<int64_t>>>& aborted,
                                    const std::set<std::string>& already) {
  static const std::set<int64_t> kNone;
  std::vector<Anomaly> out;
  for (const auto& [partition, logs] : replicas) {
    // Internal topics (__consumer_offsets) rewrite the same values on purpose.
    if (partition.rfind("__", 0) == 0) continue;
    std::set<std::string> reported;
    const auto aborted_in = aborted.find(partition);
    for (const ReplicaLog& r : logs) {
      // A record of an aborted transaction is no part of the log a read_committed reader sees:
      // a pipeline that aborts and retries writes the same value again, once.
      const std::set<int64_t>* skip = &kNone;
      if (aborted_in != aborted.end())
        if (auto of = aborted_in->second.find(r.replica); of != aborted_in->second.end()) skip = &of->second;
      std::map<std::string, std::vector<int64_t>> offsets;
      for (const auto& [o, v] : r.records)
        if (!skip->count(o)) offsets[v].push_back(o);
      for (const auto& [v, offs] : offsets) {
        if (offs.size() < 2 || already.count(partition + '\x1f' + v) || !reported.insert(v).second) continue;
        std::string list;
        for (int64_t o : offs) list += (list.empty() ? "" : ", ") + std::to_string(o);
        out.push_back(Anomaly{partition, fmt::format("value {} appears at {} offsets of {}'s final log: {}", v, offs.size(), r.replica, list), {}, {}, v});
      }
    }
  }
  return out;
}

}  // namespace check
