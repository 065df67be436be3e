#pragma once
// Exactly-once into a store: each input record's effect in the application's database, judged
// from the store's trace (store.write). A record's effect is counted by handler runs: the
// distinct runs (member, life, invocation: handler_runs.hpp) processing it whose writes changed the store. One run:
// its effect is there once. Two or more: applied twice (a redelivery after a crash, a retry
// after a timeout, each re-applied). None: never applied (lost). Writes that changed nothing
// (a put of the value already there, an insert_if_absent that found the key) do not count:
// that is how an idempotent consumer gets exactly-once effects from at-least-once delivery.
//
// The records judged are those the delivery check judges (the acknowledged sends to the
// group's topics) that reached the topic's log for good (some replica's final log holds them),
// plus any other record of those topics whose handler changed the store.
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "sim/check/delivery.hpp"
#include "sim/check/history.hpp"
#include "sim/check/jepsen.hpp"
#include "sim/check/timeline.hpp"

namespace check {

// One handler run that changed the store for a record.
struct EffectRun {
  std::string member;
  int64_t life = 0;  // which start of the member's process (handler_runs.hpp)
  int64_t invocation = 0;
  int64_t time_ns = 0;              // its first write that changed the store
  std::vector<std::string> writes;  // what it changed, "op key=value", in order
};

struct RecordEffects {
  std::string partition;  // topic-partition
  int64_t offset = -1;
  std::string value;      // the record's value, when known
  bool acknowledged = false;
  std::vector<EffectRun> runs;
  std::string label() const;  // "value@partition:offset"
};

struct EffectsReport {
  std::string group, store;
  int64_t records = 0;   // judged
  int64_t once = 0;
  int64_t twice = 0;     // two runs or more
  int64_t never = 0;
  std::vector<RecordEffects> duplicated;  // in partition and offset order
  std::vector<RecordEffects> missing;     // acknowledged, no run changed the store
  bool exactly_once() const { return twice == 0 && never == 0; }
  bool at_least_once() const { return never == 0; }
};

// The report for `group` (members per the trace) over `topics` (all when empty) and `store`.
EffectsReport analyze_effects(const History& history, const GroundTruth& truth, const std::string& group,
                              const std::set<std::string>& topics, const std::string& store);

// The anomaly "duplicate-effect": each record whose effect in a store two or more handler runs
// of `group` applied, for every store its handlers changed. With a timeline, each carries the
// explanation below. A redelivery whose writes were not idempotent, whatever the scenario expects.
std::vector<Anomaly> duplicate_effects(const History& history, const GroundTruth& truth, const Timeline* timeline,
                                       const std::string& group, const std::set<std::string>& topics);

// How a record's effect came to be applied twice, or never, told in time order from the trace:
// each run that changed the store (member, time, writes), the crashes of its member and of the
// store between them, the group's processing of the record.
std::string explain_duplicate_effect(const GroundTruth& truth, const Timeline& timeline, const EffectsReport& report,
                                     const RecordEffects& record);
std::string explain_missing_effect(const GroundTruth& truth, const Timeline& timeline, const EffectsReport& report,
                                   const RecordEffects& record);

}  // namespace check
