#include "sim/check/liveness.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace check {

std::vector<PartitionProgress> progress_of(const GroundTruth& truth, const std::string& group,
                                           const std::vector<std::string>& unreached, const RunEnd& end) {
  std::map<std::string, PartitionProgress> by_partition;
  for (const std::string& label : unreached) {
    const size_t at = label.rfind('@');
    const std::string partition = at == std::string::npos ? label : label.substr(at + 1);
    PartitionProgress& p = by_partition[partition];
    p.partition = partition;
    ++p.behind;
  }
  // Halfway through the drain: a group that processed nothing of a partition since was stuck
  // there, not slow (a rebalance or a restart takes seconds, not half the drain).
  const int64_t half = end.drain_start_ns + (end.end_ns - end.drain_start_ns) / 2;
  for (const ProcessedRecord& r : truth.processed) {
    if (r.group != group) continue;
    auto it = by_partition.find(r.partition);
    if (it == by_partition.end()) continue;
    PartitionProgress& p = it->second;
    p.last_processed_ns = std::max(p.last_processed_ns, r.time_ns);
    if (end.drained() && r.time_ns >= end.drain_start_ns) ++p.in_drain;
    if (end.drained() && r.time_ns >= half) p.progressing = true;
  }
  std::vector<PartitionProgress> out;
  for (auto& [partition, p] : by_partition) out.push_back(std::move(p));
  return out;
}

namespace {
double seconds(int64_t ns) { return static_cast<double>(ns) / 1e9; }
}  // namespace

std::string describe_stalls(const std::vector<PartitionProgress>& ps, const RunEnd& end) {
  std::string out;
  for (const PartitionProgress& p : ps) {
    if (p.progressing) continue;
    const std::string idle = p.last_processed_ns < 0 ? "never processed a record of it"
                                                     : fmt::format("no progress for the last {:.1f} s", seconds(end.end_ns - p.last_processed_ns));
    out += fmt::format("{}{} ({} records behind, {})", out.empty() ? "" : ", ", p.partition, p.behind, idle);
  }
  return out;
}

std::string describe_lag(const std::vector<PartitionProgress>& ps, const RunEnd& end) {
  std::string out;
  const double drain_s = seconds(end.end_ns - end.drain_start_ns);
  for (const PartitionProgress& p : ps) {
    if (!p.progressing) continue;
    const double rate = drain_s > 0 ? static_cast<double>(p.in_drain) / drain_s : 0;
    out += fmt::format("{}{} ({} records behind, progressing at {:.0f} records/s: about {:.0f} s more)", out.empty() ? "" : ", ",
                       p.partition, p.behind, rate, rate > 0 ? static_cast<double>(p.behind) / rate : 0.0);
  }
  return out;
}

}  // namespace check
