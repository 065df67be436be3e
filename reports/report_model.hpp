#pragma once
// The teaching report's model: what one run's HTML file shows, built only from the run's trace
// (ReportSink, read through the trace's schema) and its check result (the JSON that
// `kafkasim run --json` writes). Nothing else goes in, so `run --report` and `report
// TRACE --check RESULT` build the same model.
//
// Lists that grow with the run (notes, fault bands, anomalies) are capped; what was left out is
// said in `summarised`, which the file shows: a long run's report summarises and says so,
// never silently truncates.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace report {

// The caps of the lists a long run could make long.
struct Limits {
  size_t notes = 2000;
  size_t fault_bands = 2000;
  size_t anomalies_per_kind = 500;
};

// A fault from its start to what ended it (or the end of the trace): kind is one of crash,
// shutdown, partition, isolation, pause, slow-network, slow-disk.
struct FaultBand {
  std::string kind;
  std::string label;  // what it is about: the node, the groups, the link
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  bool open_at_end = false;  // nothing ended it before the trace did
};

struct NoteMark {
  int64_t time_ns = 0;
  std::string text;
};

struct CheckLine {
  std::string name;
  bool held = true;
  bool judged = true;
  std::string detail;
  std::string explanation;
};

struct AnomalyLine {
  std::string kind;  // Jepsen's name (lost-write, G1a) or ours (replica-divergence)
  std::string key;
  std::string detail;
  std::string explanation;
  bool allowed = false;  // in the allowed set the history was judged under
};

// A configuration key the run changed from Kafka's defaults for its version (trace: config).
struct ConfigLine {
  std::string entity, key, value, kafka_default;
  bool set = true;  // the scenario set it (else it follows from what it set)
};

struct Count {
  std::string label;
  int64_t value = 0;
};

struct Model {
  // From the trace's scenario event.
  std::string scenario;
  uint64_t seed = 0;
  int64_t duration_ns = 0;
  std::string kafka_version;
  int64_t end_ns = 0;  // the last event's time
  uint64_t events = 0;
  int64_t drain_start_ns = -1, drain_end_ns = -1;
  std::vector<FaultBand> faults;
  std::vector<NoteMark> notes;
  std::vector<Count> counts;
  std::vector<ConfigLine> config;
  // From the check result (without one: the trace's check events, with no explanations).
  bool has_check_result = false;
  std::string description;
  std::string replay;
  std::string result;  // ok, VIOLATED, error
  std::string trace_hash;
  std::vector<CheckLine> checks;
  std::vector<AnomalyLine> anomalies;
  std::vector<std::string> summarised;
  // Each view's own block (reports/view_data.hpp), by name, in the order of the page's views.
  std::vector<std::pair<std::string, nlohmann::ordered_json>> views;
};

}  // namespace report
