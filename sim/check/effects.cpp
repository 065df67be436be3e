#include "sim/check/effects.hpp"

#include <map>
#include <utility>

#include <fmt/format.h>

#include "sim/check/event_fields.hpp"
#include "sim/check/handler_runs.hpp"

namespace check {

namespace {

// Where the final logs, else the group's processing, put each value: the offset of an
// acknowledged send whose acknowledgement named none (acks=0). Built on first need.
class OffsetsByValue {
 public:
  explicit OffsetsByValue(const GroundTruth& truth) : truth_(truth) {}
  std::optional<int64_t> find(const std::string& partition, const std::string& value) {
    if (!built_) build();
    auto it = offsets_.find({partition, value});
    if (it == offsets_.end()) return std::nullopt;
    return it->second;
  }

 private:
  void build() {
    built_ = true;
    for (const auto& [partition, logs] : truth_.replicas)
      for (const ReplicaLog& log : logs)
        for (const auto& [offset, v] : log.records) offsets_.try_emplace({partition, v}, offset);
    for (const ProcessedRecord& p : truth_.processed) offsets_.try_emplace({p.partition, p.value}, p.offset);
  }
  const GroundTruth& truth_;
  bool built_ = false;
  std::map<std::pair<std::string, std::string>, int64_t> offsets_;
};
}  // namespace

std::string RecordEffects::label() const {
  return fmt::format("{}@{}:{}", value.empty() ? "?" : value, partition, offset);
}

EffectsReport analyze_effects(const History& history, const GroundTruth& truth, const std::string& group,
                              const std::set<std::string>& topics, const std::string& store) {
  EffectsReport r;
  r.group = group;
  r.store = store;
  auto of_topics = [&](const std::string& partition) { return topics.empty() || topics.count(topic_of(partition)) > 0; };
  std::map<RecordId, RecordEffects> records;
  OffsetsByValue offsets(truth);
  for (const Op& op : history.ops) {
    if (op.type != OpType::ok || !op.writes()) continue;
    for (const Send& s : op.sends) {
      if (!of_topics(s.key)) continue;
      const std::optional<int64_t> offset = s.offset ? s.offset : offsets.find(s.key, s.value);
      // A record in no replica's final log never reached the topic for good: the delivery
      // check's lost write, not a question of effects (unless a handler applied it: below).
      const auto log = truth.final_logs.find(s.key);
      if (!offset || log == truth.final_logs.end() || !log->second.count(s.value)) continue;
      RecordEffects& rec = records[{s.key, *offset}];
      rec.partition = s.key;
      rec.offset = *offset;
      rec.value = s.value;
      rec.acknowledged = true;
    }
  }
  std::map<RecordId, std::string> values;  // what the group processed at each offset
  for (const ProcessedRecord& p : truth.processed)
    if (p.group == group) values.try_emplace({p.partition, p.offset}, p.value);
  // The runs that changed the store, per record: each distinct (member, life, invocation) once.
  for (const StoreWriteRecord& w : truth.store_writes) {
    if (!w.changed || w.store != store || w.member.empty() || !in_group(truth, w.member, group) || !of_topics(w.partition)) continue;
    RecordEffects& rec = records[{w.partition, w.offset}];
    if (rec.partition.empty()) {
      rec.partition = w.partition;
      rec.offset = w.offset;
      if (auto v = values.find({w.partition, w.offset}); v != values.end()) rec.value = v->second;
    }
    run_of(rec.runs, w.member, w.life, w.invocation, w.time_ns).writes.push_back(fmt::format("{} {}={}", w.op, w.key, w.value));
  }
  for (auto& [id, rec] : records) {
    ++r.records;
    if (rec.runs.size() == 1) ++r.once;
    else if (rec.runs.size() > 1) ++r.twice, r.duplicated.push_back(rec);
    else ++r.never, r.missing.push_back(rec);
  }
  return r;
}

std::vector<Anomaly> duplicate_effects(const History& history, const GroundTruth& truth, const Timeline* timeline,
                                       const std::string& group, const std::set<std::string>& topics) {
  std::set<std::string> stores;  // those the group's handlers changed
  for (const StoreWriteRecord& w : truth.store_writes)
    if (w.changed && !w.member.empty() && in_group(truth, w.member, group)) stores.insert(w.store);
  std::vector<Anomaly> out;
  for (const std::string& store : stores) {
    const EffectsReport r = analyze_effects(history, truth, group, topics, store);
    for (const RecordEffects& rec : r.duplicated) {
      Anomaly a{rec.partition,
                fmt::format("{} applied {} times to store {} by group {}", rec.label(), rec.runs.size(), store, group),
                {}};
      a.value = rec.value;
      a.offset = rec.offset;
      if (timeline) a.explanation = explain_duplicate_effect(truth, *timeline, r, rec);
      out.push_back(std::move(a));
    }
  }
  return out;
}

}  // namespace check
