#pragma once
// A run's verdict, assembled in one place for `kafkasim run` and `kafkasim check`: Jepsen's
// checks of the history, our own checks of the final state where a simulated run has one,
// explanations, and the scenario's expectations judged against all of them.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sim/check/delivery.hpp"
#include "sim/check/history.hpp"
#include "sim/check/jepsen.hpp"
#include "sim/check/liveness.hpp"
#include "sim/check/timeline.hpp"

namespace check {

// What `expect` declares (docs/lua-reference.md), judged when the run ends.
struct Expectation {
  std::string name;                 // as printed: "expect_anomaly lost-write", "expect no_anomalies"
  std::string anomaly;              // expect_anomaly: this must appear
  std::vector<std::string> absent;  // no_anomalies: none of these (empty list with all = any)
  bool all_absent = false;
  int64_t max_lost = -1, max_duplicates = -1;
  // hanging_transactions: at most this many hanging-transaction anomalies (-1: not judged).
  int64_t max_hanging = -1;
  std::string group;     // delivery and order: this group (empty: every group)
  std::string delivery;  // "at-most-once", "at-least-once", "exactly-once"
  std::string order;     // "per-partition", "per-key", "none"
  // The effects check (effects.hpp): each input record's effect in `store`, "exactly-once" or
  // "at-least-once", for `group` (empty: every group).
  std::string effects;
  std::string store;
  // The end-to-end exactly-once check (exactly_once.hpp): group `group` reads `eo_input` and its
  // handlers app:send to `eo_output`. Set together, by expect { exactly_once = { ... } }.
  std::string eo_input, eo_output;
  // max_lost, max_duplicates and the vacuity rule: only the records this producer sent (empty:
  // the whole run's). A producer's name is its history process.
  std::string producer;
  // An expectation that judged no acknowledged record fails as vacuous, unless allowed.
  bool allow_empty = false;
  std::string where;  // "file:line: " of the expect call
};

// A consumer group of the run: the topics it reads, and whether its commit policy promises
// never to commit past an unprocessed record (every policy but before-process).
struct GroupUnderTest {
  std::set<std::string> topics;
  bool commits_after_processing = false;
  bool read_committed = false;  // isolation.level=read_committed: a fenced zombie's record must never reach it
};

// What there is to judge. A history checked on its own (`kafkasim check`) has no ground truth
// and no timeline: only Jepsen's checks apply, unexplained.
struct Evidence {
  const History& history;
  CheckOptions options;
  const GroundTruth* truth = nullptr;
  const Timeline* timeline = nullptr;
  std::map<std::string, GroupUnderTest> groups;
  RunEnd end;  // whether liveness can be judged: a drained run's, not a cut one's
};

struct Judgement {
  std::string name;
  // Not judged: the verdict rests on liveness the run could not show (it was cut short, or a
  // group was still progressing when the drain ended). held is then false, the detail says why,
  // and the run's exit code does not count it as a violation.
  bool judged = true;
  bool held = true;
  std::string detail;
  std::string explanation;  // how a violation came about, in plain language
};

struct Verdict {
  CheckResult anomalies;                // every anomaly found, explained where the evidence allows
  std::vector<Judgement> expectations;  // one or more per expectation, in declaration order
};

// Every anomaly the evidence shows.
CheckResult find_anomalies(const Evidence& evidence);
// The anomalies and, given a ground truth and a timeline, the expectations judged.
Verdict judge(const Evidence& evidence, const std::vector<Expectation>& expectations);

}  // namespace check
