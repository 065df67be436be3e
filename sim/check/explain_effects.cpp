// Explanations of a record's effect in a store: applied twice, or never.
#include <fmt/format.h>

#include "sim/check/effects.hpp"
#include "sim/check/explain.hpp"
#include "sim/check/story_faults.hpp"

namespace check {

namespace {

std::string writes_of(const EffectRun& run) {
  std::string s;
  for (size_t i = 0; i < run.writes.size() && i < 3; ++i) s += (i ? ", " : "") + run.writes[i];
  return run.writes.size() > 3 ? s + ", ..." : s;
}

}  // namespace

std::string explain_duplicate_effect(const GroundTruth& truth, const Timeline& timeline, const EffectsReport& report,
                                     const RecordEffects& record) {
  (void)truth;
  Story story;
  story.opening(fmt::format("Record {} of group {} changed store {} in {} handler runs, so its effect is there {} times",
                            record.label(), report.group, report.store, record.runs.size(), record.runs.size()));
  std::set<std::string> nodes = {report.store};
  for (const EffectRun& run : record.runs) {
    nodes.insert(run.member);
    story.at(run.time_ns, fmt::format("At {} {}'s handler (run {}) wrote {}", format_time(run.time_ns), run.member, run.invocation,
                                      writes_of(run)));
  }
  tell_node_faults(story, timeline, nodes, record.runs.front().time_ns, record.runs.back().time_ns);
  story.closing(
      "Kafka delivered the record again (its offset was not committed when the first run's effect was), and the handler's "
      "writes were not idempotent: keyed by the record (insert_if_absent of an event id) or with the offset stored in the "
      "same store transaction, the later run would have changed nothing");
  return story.text();
}

std::string explain_missing_effect(const GroundTruth& truth, const Timeline& timeline, const EffectsReport& report,
                                   const RecordEffects& record) {
  Story story;
  story.opening(fmt::format("Record {} reached its topic, but no handler run of group {} changed store {} for it",
                            record.label(), report.group, report.store));
  std::set<std::string> nodes = {report.store};
  int64_t first = -1, last = -1;
  for (const ProcessedRecord& p : truth.processed) {
    if (p.group != report.group || p.partition != record.partition || p.offset != record.offset) continue;
    nodes.insert(p.member);
    if (first < 0) first = p.time_ns;
    last = p.time_ns;
    story.at(p.time_ns, fmt::format("{} processed it at {}", p.member, format_time(p.time_ns)));
  }
  for (const StoreWriteRecord& w : truth.store_writes) {
    if (w.store != report.store || w.partition != record.partition || w.offset != record.offset) continue;
    story.at(w.time_ns, fmt::format("At {} {}'s handler wrote {} {}={}, which changed nothing", format_time(w.time_ns), w.member,
                                    w.op, w.key, w.value));
  }
  if (first < 0) {
    story.closing("No member of the group processed it: expect delivery for the group tells whether it was skipped (by a commit or an offset reset) or never reached");
  } else {
    tell_node_faults(story, timeline, nodes, first, last + 1'000'000'000);
    story.closing("The record was processed but its writes did not reach the store: a write lost with an unknown outcome "
                  "and not retried, or a handler that skipped it");
  }
  return story.text();
}

}  // namespace check
