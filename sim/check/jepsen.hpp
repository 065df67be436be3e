#pragma once
// Jepsen's Kafka anomaly checks (jepsen.tests.kafka's checker) as pure functions of a History.
//
// The analysis every check shares (see jepsen.cpp):
//  - a version order per key: offset -> values, from every poll (ok, info and fail ops alike:
//    a read_committed consumer must never return bad data) and from the sends of ops that must
//    have committed (ok, or info with some sent value read by an ok op); fail sends are ignored;
//    its dense index drops the offsets nobody saw;
//  - the writer of each value (the completion that sent it) and the ok reads per key.
//
// Operations are paired by Op::id (our processes are not single-threaded); per-process checks
// order a process's operations by the position of their invocation. Anomaly::ops holds the
// history indices of the completions involved.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/check/history.hpp"

namespace check {

struct Anomaly {
  std::string key;           // the topic-partition, or empty
  std::string detail;        // evidence in words: values, offsets, the ops involved
  std::vector<int64_t> ops;  // Op::index of the operations involved
  std::string explanation = {};  // how it came about, in plain language, when the trace tells (explain.hpp)
  std::string value = {};        // the record value it is about (duplicate, lost-write, G1a, the first unseen), or empty
  int64_t offset = -1;           // the offset it is about (inconsistent-offsets), or -1
};

struct CheckOptions {
  bool sub_via_subscribe = false;  // Jepsen's --sub-via subscribe: poll-skip and nonmonotonic-poll become allowed
  bool ww_deps = false;            // Jepsen's --ww-deps: G1c becomes allowed
};

struct CheckResult {
  bool valid = true;  // every anomaly found is in the allowed set
  std::map<std::string, std::vector<Anomaly>> anomalies;  // Jepsen's names: "lost-write", "duplicate", ...
  // Jepsen's verdict on the history alone, as `kafkasim check` gives it: a run's own checks of
  // its final state (replica-divergence, duplicates in the logs, ...) can make `valid` false,
  // never this.
  bool history_valid = true;
  CheckOptions options;  // what the history was judged under (its allowed set)
  // Of each anomaly, how many a run's final state or trace found rather than its history; the
  // rest is what `kafkasim check` finds in the run's history.
  std::map<std::string, size_t> beyond_history;

  bool allowed(const std::string& name) const;
  // " (allowed under subscribe)" and the like after an allowed anomaly's name; empty otherwise.
  std::string allowed_mark(const std::string& name) const;
};

// Runs every check below and judges validity against allowed_anomalies(options).
CheckResult check_history(const History& h, const CheckOptions& options = {});

// Jepsen's `:sub-via` of a history: subscribe when any operation subscribes (a run's groups
// do; Jepsen's generator emits subscribe operations only when subscribe is among its modes).
bool subscribes(const History& h);

// Jepsen's allowed-error-types for these options (int-send-skip and G0 always; poll-skip and
// nonmonotonic-poll under subscribe; G1c under ww-deps). Sorted.
std::vector<std::string> allowed_anomalies(const CheckOptions& options);

// Every anomaly name the checker can report: Jepsen's, then ours from the final state and the
// trace ("replica-divergence", "hw-regression": sim/check/replicas.hpp). For validating names
// users write.
const std::vector<std::string>& known_anomalies();

}  // namespace check
