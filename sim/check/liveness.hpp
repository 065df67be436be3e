#pragma once
// Liveness, judged apart from safety: whether a group that had not processed every
// acknowledged record by the end was stuck or only slow, and whether the run gave it the
// chance to finish at all. A run cut short (`kafkasim run --until`) has no heal-and-drain
// phase, so records not yet processed prove nothing; a drained run's groups are judged on what
// they did in the drain (docs/checker.md, "Liveness").
#include <cstdint>
#include <string>
#include <vector>

#include "sim/check/delivery.hpp"

namespace check {

// How the run ended.
struct RunEnd {
  bool cut = false;             // stopped by --until: no drain, liveness not judged
  int64_t end_ns = 0;           // when the run stopped
  int64_t drain_start_ns = -1;  // when the heal-and-drain phase began; -1: the run had none
  bool drained() const { return !cut && drain_start_ns >= 0 && end_ns > drain_start_ns; }
};

// One partition where a group had records left to process at the end.
struct PartitionProgress {
  std::string partition;
  int64_t behind = 0;            // acknowledged records in the log the group never reached
  int64_t in_drain = 0;          // records of the partition the group processed during the drain
  int64_t last_processed_ns = -1;  // its last processing of the partition; -1: never
  // Progressing: it processed a record of the partition in the second half of the drain. Not
  // progressing there is a stall.
  bool progressing = false;
};

// The partitions of `unreached` ("value@partition", DeliveryReport::unreached), with what the
// group did in each during the drain. Empty when nothing was unreached.
std::vector<PartitionProgress> progress_of(const GroundTruth& truth, const std::string& group,
                                           const std::vector<std::string>& unreached, const RunEnd& end);

// Liveness in words, for a delivery verdict's detail: "stalled: events-1 (12 records behind, no
// progress for the last 8.2 s)" or "still behind at the end of the drain, progressing: events-0
// (300 records behind at 400 records/s)".
std::string describe_stalls(const std::vector<PartitionProgress>& p, const RunEnd& end);
std::string describe_lag(const std::vector<PartitionProgress>& p, const RunEnd& end);

}  // namespace check
