#include "sim/check/verdict.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "sim/assert.hpp"
#include "sim/check/commits.hpp"
#include "sim/check/effects.hpp"
#include "sim/check/exactly_once.hpp"
#include "sim/check/explain.hpp"
#include "sim/check/hanging_transactions.hpp"
#include "sim/check/replicas.hpp"
#include "sim/check/zombies.hpp"

namespace check {

namespace {

// Anomalies of the run's final state or trace, beside the history's: they make the run invalid,
// and are counted apart so that the history's own verdict stays what `kafkasim check` gives.
void add(CheckResult& found, const std::string& name, std::vector<Anomaly> list) {
  if (list.empty()) return;
  found.valid = false;
  found.beyond_history[name] += list.size();
  auto& into = found.anomalies[name];
  into.insert(into.end(), std::make_move_iterator(list.begin()), std::make_move_iterator(list.end()));
}

std::string sample(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size() && i < 3; ++i) s += (s.empty() ? "" : ", ") + v[i];
  return v.size() > 3 ? s + ", ..." : s;
}

// Judges expectations against the anomalies found and the ground truth.
class Judge {
 public:
  Judge(const Evidence& e, const CheckResult& found) : e_(e), found_(found), history_(e.history), truth_(*e.truth), timeline_(*e.timeline) {
    for (const Op* op : history_.completions())
      if (op->type == OpType::ok && op->writes()) acknowledged_ += static_cast<int64_t>(op->sends.size());
  }

  void judge(const Expectation& x) {
    if (!x.delivery.empty() || !x.order.empty()) judge_delivery(x);
    if (!x.effects.empty()) judge_effects(x);
    if (!x.eo_input.empty()) judge_exactly_once(x);
    if (!x.anomaly.empty()) {
      const int64_t n = count(x.anomaly);
      if (x.anomaly == "unseen" && !e_.end.drained()) {
        not_judged(x.name, fmt::format("{} found, but {}: whether values stay unseen is liveness, not judged", n, no_drain()));
        return;
      }
      if (x.anomaly == "hanging-transaction" && n == 0 && !e_.end.drained()) {
        not_judged(x.name, fmt::format("none found, but {}: whether a transaction hangs is liveness, not judged", no_drain()));
        return;
      }
      record(x.name, n > 0, n > 0 ? fmt::format("{} found; first: {}", n, first_detail(x.anomaly)) : "not found", explain({x.anomaly}));
      return;
    }
    const bool about_records = x.all_absent || !x.absent.empty() || x.max_lost >= 0 || x.max_duplicates >= 0 || x.max_hanging >= 0;
    if (x.producer.empty()) {
      if (about_records && vacuous(x, x.name, acknowledged_, "the run")) return;
      if (x.all_absent || !x.absent.empty()) judge_absent(x);
      if (x.max_lost >= 0) judge_lost(x, nullptr);
      if (x.max_duplicates >= 0) judge_duplicates(x, nullptr);
      if (x.max_hanging >= 0) judge_hanging(x);
      return;
    }
    // Scoped to one producer: only its records count, toward the vacuity rule too.
    const SentRecords sent(history_, x.producer);
    if (about_records && vacuous(x, scoped(x, x.name), sent.acknowledged(), "producer " + x.producer)) return;
    if (x.max_lost >= 0) judge_lost(x, &sent);
    if (x.max_duplicates >= 0) judge_duplicates(x, &sent);
  }

  std::vector<Judgement> take() { return std::move(judged_); }

 private:
  void record(std::string name, bool held, std::string detail, std::string explanation = {}) {
    judged_.push_back({std::move(name), true, held, std::move(detail), std::move(explanation)});
  }
  void not_judged(std::string name, std::string detail) { judged_.push_back({std::move(name), false, false, std::move(detail), {}}); }

  // Why this run cannot judge liveness.
  std::string no_drain() const {
    return e_.end.cut ? fmt::format("the run was cut at {} by --until, before the drain", format_time(e_.end.end_ns))
                      : std::string("the scenario has no drain phase (drain = 0)");
  }

  // A judgement's name, with the producer it is scoped to: "expect lost_acked_writes (payments-api)".
  static std::string scoped(const Expectation& x, const std::string& name) {
    return x.producer.empty() ? name : fmt::format("{} ({})", name, x.producer);
  }

  int64_t count(const std::string& name) const {
    auto it = found_.anomalies.find(name);
    return it == found_.anomalies.end() ? 0 : static_cast<int64_t>(it->second.size());
  }
  // The anomalies called `name` about records in `sent` (all of them when null).
  std::vector<const Anomaly*> about(const std::string& name, const SentRecords* sent) const {
    std::vector<const Anomaly*> out;
    auto it = found_.anomalies.find(name);
    if (it == found_.anomalies.end()) return out;
    for (const Anomaly& a : it->second)
      if (!sent || sent->contains(a.key, a.value)) out.push_back(&a);
    return out;
  }
  std::string first_detail(const std::string& name) const {
    auto it = found_.anomalies.find(name);
    return it == found_.anomalies.end() || it->second.empty() ? std::string() : it->second.front().detail;
  }
  // The first explained anomaly of those named (any when empty), for a check's explanation.
  std::string explain(const std::vector<std::string>& names) const {
    for (const auto& [name, list] : found_.anomalies) {
      if (!names.empty() && std::find(names.begin(), names.end(), name) == names.end()) continue;
      for (const auto& a : list)
        if (!a.explanation.empty()) return a.explanation;
    }
    return {};
  }

  // An expectation that judged nothing holds trivially: a typo in a topic name, a producer that
  // never reached its topic. It fails unless the scenario says it expects nothing to judge.
  bool vacuous(const Expectation& x, const std::string& name, int64_t judged, const std::string& what) {
    if (judged > 0 || x.allow_empty) return false;
    record(name, false,
           fmt::format("vacuous: {} had no acknowledged record, so nothing was judged (write allow_empty = true in this expect "
                       "if that is what the scenario means)", what));
    return true;
  }

  // The group an expectation names, else every group the scenario has.
  std::vector<std::string> groups_judged(const Expectation& x) const {
    if (!x.group.empty()) return {x.group};
    std::vector<std::string> out;
    for (const auto& [id, g] : e_.groups) out.push_back(id);
    return out;
  }

  // A group's topics (none known: all of them).
  std::set<std::string> topics_of_group(const std::string& gid) const {
    auto it = e_.groups.find(gid);
    return it == e_.groups.end() ? std::set<std::string>{} : it->second.topics;
  }

  void judge_delivery(const Expectation& x) {
    for (const std::string& gid : groups_judged(x)) {
      const std::set<std::string> topics = topics_of_group(gid);
      const DeliveryReport d = analyze_delivery(history_, truth_, gid, topics);
      const std::string what = x.delivery.empty() ? "order " + x.order : "delivery " + x.delivery;
      if (vacuous(x, fmt::format("expect {} ({})", what, gid), d.acknowledged, fmt::format("the topics of group {}", gid))) continue;
      if (!x.delivery.empty()) judge_guarantee(x, gid, d);
      if (x.order == "per-partition" || x.order == "per-key") {
        const auto& v = x.order == "per-key" ? d.key_order_violations : d.partition_order_violations;
        record(fmt::format("expect order {} ({})", x.order, gid), v.empty(),
               v.empty() ? "first deliveries in order" : fmt::format("{} out of order: {}", v.size(), sample(v)));
      }
    }
  }

  // Each group's effects in the store, judged per record: exactly-once needs every record's
  // effect once, at-least-once at least once.
  void judge_effects(const Expectation& x) {
    for (const std::string& gid : groups_judged(x)) {
      const std::set<std::string> topics = topics_of_group(gid);
      const EffectsReport r = analyze_effects(history_, truth_, gid, topics, x.store);
      const std::string name = fmt::format("expect effects {} in {} ({})", x.effects, x.store, gid);
      if (vacuous(x, name, r.records, fmt::format("the topics of group {}", gid))) continue;
      const bool held = x.effects == "exactly-once" ? r.exactly_once() : r.at_least_once();
      std::string detail = fmt::format("{} records: effect once {}, twice or more {}, never {}", r.records, r.once, r.twice, r.never);
      auto list = [](const std::vector<RecordEffects>& v) {
        std::string s;
        for (size_t i = 0; i < v.size() && i < 3; ++i) {
          s += (i ? ", " : "") + v[i].label() + " x" + std::to_string(v[i].runs.size());
          for (const EffectRun& run : v[i].runs) s += fmt::format(" [{} run {} at {}]", run.member, run.invocation, format_time(run.time_ns));
        }
        return v.size() > 3 ? s + ", ..." : s;
      };
      const bool dup_counts = x.effects == "exactly-once";
      if (dup_counts && !r.duplicated.empty()) detail += "; twice: " + list(r.duplicated);
      if (!r.missing.empty()) detail += "; never: " + list(r.missing);
      // A record never applied may only be one the group had not reached: without a drain that
      // is liveness, not judged (a duplicate effect is safety, judged always).
      if (!held && (!dup_counts || r.duplicated.empty()) && !e_.end.drained()) {
        not_judged(name, detail + "; " + no_drain() + ", so records never applied are not judged");
        continue;
      }
      std::string why;
      if (!held && !r.missing.empty()) why = explain_missing_effect(truth_, timeline_, r, r.missing.front());
      else if (!held) why = explain_duplicate_effect(truth_, timeline_, r, r.duplicated.front());
      record(name, held, detail, why);
    }
  }

  // A pipeline's output, per input record the group committed past: once each, and committed
  // no later than the input's offset. All three are safety: more time would not mend them.
  void judge_exactly_once(const Expectation& x) {
    const ExactlyOnceReport r = analyze_exactly_once(history_, truth_, x.group, x.eo_input, x.eo_output);
    const std::string name = fmt::format("expect exactly_once {} -> {} ({})", x.eo_input, x.eo_output, x.group);
    if (r.inputs == 0 && !x.allow_empty) {
      record(name, false,
             fmt::format("vacuous: group {} committed past no record of {}, so nothing was judged (write allow_empty = true in this "
                         "expect if that is what the scenario means)", x.group, x.eo_input));
      return;
    }
    std::string detail = fmt::format("{} inputs committed past: output once {}, duplicated {}, lost {}, recovered by the error "
                                     "handler {}; offsets without output {}",
                                     r.inputs, r.once, r.duplicated.size(), r.lost.size(), r.recovered, r.uncovered.size());
    auto list = [](const std::vector<InputOutputs>& v) {
      std::string s;
      for (size_t i = 0; i < v.size() && i < 3; ++i) {
        s += (i ? ", " : "") + v[i].label() + " x" + std::to_string(v[i].committed_runs());
        for (const OutputRun& run : v[i].runs)
          s += fmt::format(" [{} run {} at {}{}]", run.member, run.invocation, format_time(run.time_ns), run.committed ? "" : ", not committed");
      }
      return v.size() > 3 ? s + ", ..." : s;
    };
    if (!r.duplicated.empty()) detail += "; duplicated output: " + list(r.duplicated);
    if (!r.lost.empty()) detail += "; lost output: " + list(r.lost);
    if (!r.uncovered.empty()) {
      const UncoveredCommit& c = r.uncovered.front();
      detail += fmt::format("; offsets without output: {} committed {} offset {} at {} before {}'s output", c.member, c.input.partition,
                            c.committed_offset, format_time(c.time_ns), c.input.label());
    }
    std::string why;
    if (!r.duplicated.empty()) why = explain_duplicated_output(truth_, timeline_, r, r.duplicated.front());
    else if (!r.lost.empty()) why = explain_lost_output(truth_, timeline_, r, r.lost.front());
    else if (!r.uncovered.empty()) why = explain_uncovered_commit(truth_, timeline_, r, r.uncovered.front());
    record(name, r.holds(), detail, why);
  }

  void judge_guarantee(const Expectation& x, const std::string& gid, const DeliveryReport& d) {
    const bool wants_all = x.delivery != "at-most-once", wants_once = x.delivery != "at-least-once";
    const size_t skipped = d.late.size() - d.unreached.size();
    // Safety: what more time would not have mended (a record lost, skipped, processed twice).
    const bool safe = (!wants_once || d.at_most_once()) && (!wants_all || (d.lost.empty() && skipped == 0));
    std::string detail = fmt::format("{} acknowledged: {} processed once, {} more than once, {} never ({} lost, {} late)",
                                     d.acknowledged, d.processed_once, d.processed_more, d.lost.size() + d.late.size(),
                                     d.lost.size(), d.late.size());
    // Records the error handler gave up on were acknowledged, not processed: say which.
    if (!d.recovered.empty())
      detail += fmt::format("; {} recovered by the error handler (acknowledged without being processed): {}", d.recovered.size(),
                            sample(d.recovered));
    bool live = true, judged = true;
    if (wants_all && !d.unreached.empty()) detail += liveness(gid, d, live, judged);
    if (!d.lost.empty()) detail += "; lost: " + sample(d.lost);
    if (!d.late.empty()) detail += "; late: " + sample(d.late);
    // The first skipped record, else the first processed twice: what the verdict is about.
    std::string why;
    if (!d.skipped.empty()) {
      why = explain_skipped(history_, truth_, timeline_, gid, d.skipped.front().first, d.skipped.front().second);
    } else if (!d.reprocessed.empty()) {
      why = explain_reprocessed(history_, truth_, timeline_, gid, d.reprocessed.front().first, d.reprocessed.front().second);
    }
    const std::string name = fmt::format("expect delivery {} ({})", x.delivery, gid);
    if (safe && live && !judged) return not_judged(name, detail);
    record(name, safe && live, detail, why);
  }

  // The records a group never reached: a stall (no progress late in the drain) is a liveness
  // failure; a group still progressing when the drain ended, or a run without a drain, leaves
  // liveness not judged. Sets `live` and `judged`; returns the words for the detail.
  std::string liveness(const std::string& gid, const DeliveryReport& d, bool& live, bool& judged) const {
    if (!e_.end.drained()) {
      judged = false;
      return fmt::format("; {} of the late not yet reached: {}, so liveness is not judged", d.unreached.size(), no_drain());
    }
    const auto progress = progress_of(truth_, gid, d.unreached, e_.end);
    const std::string stalls = describe_stalls(progress, e_.end), lag = describe_lag(progress, e_.end);
    std::string out = fmt::format("; {} of the late never reached", d.unreached.size());
    if (!stalls.empty()) {
      live = false;
      out += "; stalled (a liveness failure): " + stalls;
    }
    if (!lag.empty()) {
      judged = !live;
      out += "; still behind at the end of the drain but progressing, not stalled: " + lag;
      if (live) out += " (liveness not judged: a longer drain would tell)";
    }
    return out;
  }

  void judge_absent(const Expectation& x) {
    std::string present;
    int64_t unjudged = 0;  // unseen values a run without a drain cannot judge
    for (const auto& [name, list] : found_.anomalies) {
      if (list.empty()) continue;
      const bool listed = x.all_absent || std::find(x.absent.begin(), x.absent.end(), name) != x.absent.end();
      if (!listed) continue;
      if (name == "unseen" && !e_.end.drained()) unjudged += static_cast<int64_t>(list.size());
      else present += fmt::format("{}{} x{} ({})", present.empty() ? "" : "; ", name, list.size(), list.front().detail);
    }
    if (present.empty() && unjudged > 0) {
      return not_judged(x.name, fmt::format("none found but unseen x{}, which is liveness: {}, so it is not judged", unjudged, no_drain()));
    }
    record(x.name, present.empty(), present.empty() ? "none found" : present,
           present.empty() ? std::string() : explain(x.all_absent ? std::vector<std::string>{} : x.absent));
  }

  // `sent`: only the records one producer sent (all when null).
  void judge_lost(const Expectation& x, const SentRecords* sent) {
    // Ground truth: acknowledged and in no replica's log. Jepsen's lost-write (a read went past
    // the record) is a subset when the record is truly gone; reported beside for reference.
    auto lost = lost_acknowledged_writes(history_, truth_);
    if (sent) std::erase_if(lost, [&](const LostWrite& w) { return w.process != x.producer; });
    const int64_t n = static_cast<int64_t>(lost.size());
    std::string detail = fmt::format("{} acknowledged writes in no replica's log (at most {})", n, x.max_lost);
    for (size_t i = 0; i < lost.size() && i < 3; ++i) detail += (i == 0 ? ": " : ", ") + lost[i].label();
    if (lost.size() > 3) detail += ", ...";
    if (const size_t jepsen = about("lost-write", sent).size(); jepsen > 0) detail += fmt::format("; Jepsen lost-write: {}", jepsen);
    std::string why;
    if (n > x.max_lost) {
      const LostWrite& w = lost.front();
      why = explain_lost_write(timeline_, w.partition, w.value, w.offset, w.acked_ns, w.process);
    }
    record(scoped(x, x.name + " lost_acked_writes"), n <= x.max_lost, detail, why);
  }

  // A liveness verdict: a run cut short cannot show that a transaction will never end.
  void judge_hanging(const Expectation& x) {
    const std::string name = x.name + " hanging_transactions";
    const int64_t n = count("hanging-transaction");
    if (!e_.end.drained() && n <= x.max_hanging) {
      not_judged(name, fmt::format("{} found, but {}: whether a transaction hangs is liveness, not judged", n, no_drain()));
      return;
    }
    record(name, n <= x.max_hanging,
           n > 0 ? fmt::format("{} hanging transactions (at most {}); first: {}", n, x.max_hanging, first_detail("hanging-transaction"))
                 : fmt::format("0 hanging transactions (at most {})", x.max_hanging),
           n > x.max_hanging ? explain({"hanging-transaction"}) : std::string());
  }

  void judge_duplicates(const Expectation& x, const SentRecords* sent) {
    const auto found = about("duplicate", sent);
    const int64_t n = static_cast<int64_t>(found.size());
    std::string why;
    for (size_t i = 0; n > x.max_duplicates && i < found.size() && why.empty(); ++i) why = found[i]->explanation;
    record(scoped(x, x.name + " max_duplicates"), n <= x.max_duplicates, fmt::format("{} duplicates (at most {})", n, x.max_duplicates), why);
  }

  const Evidence& e_;
  const CheckResult& found_;
  const History& history_;
  const GroundTruth& truth_;
  const Timeline& timeline_;
  int64_t acknowledged_ = 0;
  std::vector<Judgement> judged_;
};

}  // namespace

CheckResult find_anomalies(const Evidence& e) {
  CheckResult found = check_history(e.history, e.options);
  if (!e.truth) return found;
  // Our own anomalies, from the final state (docs/checker.md).
  add(found, "replica-divergence", replica_divergence(e.truth->replicas, e.timeline));
  for (const auto& [gid, group] : e.groups)
    if (group.commits_after_processing) add(found, "commit-past-unprocessed", commits_past_unprocessed(e.history, *e.truth, gid));
  if (e.timeline) add(found, "hw-regression", hw_regressions(*e.timeline));
  for (const auto& [gid, group] : e.groups) add(found, "duplicate-effect", duplicate_effects(e.history, *e.truth, e.timeline, gid, group.topics));
  if (e.timeline) add(found, "hanging-transaction", hanging_transactions(*e.timeline, e.end, e.truth->txn_max_timeout_ns));
  std::set<std::string> read_committed;
  for (const auto& [gid, group] : e.groups)
    if (group.read_committed) read_committed.insert(gid);
  add(found, "fenced-zombie-read", fenced_zombie_reads(e.history, e.truth->fenced_txns, e.truth->member_groups, read_committed));
  add(found, "torn-transaction", torn_transactions(e.history, *e.truth));
  add(found, "duplicated-output", duplicated_outputs(e.history, *e.truth, e.timeline));
  // Duplicates in the logs themselves, which a history shows only when a consumer reads them.
  std::set<std::string> seen;
  for (const auto& d : found.anomalies["duplicate"]) seen.insert(d.key + '\x1f' + d.value);
  add(found, "duplicate", log_duplicates(e.truth->replicas, e.truth->aborted, seen));
  if (e.timeline) explain_anomalies(found, e.history, *e.truth, *e.timeline);
  return found;
}

Verdict judge(const Evidence& evidence, const std::vector<Expectation>& expectations) {
  Verdict v;
  v.anomalies = find_anomalies(evidence);
  if (expectations.empty()) return v;
  SIM_ASSERT(evidence.truth && evidence.timeline, "expectations are judged against a simulated run's final state");
  Judge judge(evidence, v.anomalies);
  for (const Expectation& x : expectations) judge.judge(x);
  v.expectations = judge.take();
  return v;
}

}  // namespace check
