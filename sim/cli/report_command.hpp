#pragma once
// kafkasim report TRACE.jsonl [--check RESULT.json] -o FILE.html [-f]: the teaching report of a
// run from its JSON Lines trace (run --trace) and, for the verdicts and the anomalies, its
// result (run --json). `run --report` writes the same file from the live run.
// kafkasim report A.jsonl B.jsonl [--check A.json --check B.json] -o FILE.html: two runs
// compared on one time axis (each --check belongs to the trace in the same place).
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace report {
class ReportSink;
}

namespace sim::cli {

struct ReportArgs {
  std::vector<std::string> traces;
  std::vector<std::string> checks;
  std::string output;
  bool force = false;
};

int cmd_report(const ReportArgs& args);

// Writes the report of a trace read into `sink` and a check result (null without one) to `out`.
// Returns "" or what is wrong with the check result.
std::string write_report(const report::ReportSink& sink, const nlohmann::json* result, std::ostream& out);

}  // namespace sim::cli
