#include "sim/cli/run_command.hpp"

#include <chrono>
#include <filesystem>
#include <iostream>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/check/history_json.hpp"
#include "sim/check/history_sink.hpp"
#include "reports/report_sink.hpp"
#include "sim/cli/output_file.hpp"
#include "sim/cli/report_command.hpp"
#include "sim/cli/run_outcome.hpp"
#include "sim/escape.hpp"
#include "sim/lua/runtime.hpp"
#include "sim/trace.hpp"

namespace sim::cli {

namespace {

using lua::Check;
using lua::RunOptions;
using lua::RunResult;

// `text` in lines of at most `width` columns (longer words stay whole), continuation lines
// indented by `indent`; ends with a newline.
std::string wrap(const std::string& text, size_t width, size_t indent) {
  std::string out, line;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find(' ', i + 1);
    if (j == std::string::npos) j = text.size();
    const std::string word = text.substr(i, j - i);  // with its leading space, but the first
    if (line.size() + word.size() > width && line.find_first_not_of(' ') != std::string::npos) {
      out += line + "\n";
      line = std::string(indent, ' ') + word.substr(word.find_first_not_of(' '));
    } else {
      line += word;
    }
    i = j;
  }
  return out + line + "\n";
}

// The run's options from the command line; a usage message for the first option that is wrong.
std::string run_options(const RunArgs& a, RunOptions& opts) {
  opts.path = a.scenario;
  opts.skip_teardown = true;  // the process ends after this run
  opts.paranoid = a.paranoid;
  opts.log = a.quiet ? nullptr : &std::cerr;
  if (!a.seed.empty() || a.seed_given) {
    const auto seed = parse_seed(a.seed);
    if (!seed) return fmt::format("--seed \"{}\": a whole number from 0 to 18446744073709551615", a.seed);
    opts.seed = *seed;
  }
  if (std::string error = parse_sets(a.sets, opts.sets); !error.empty()) return error;
  if (!a.until.empty()) {
    auto d = parse_duration(a.until);
    if (!d) return fmt::format("--until {}: not a time (write e.g. 30s or 2m)", a.until);
    opts.until = *d;
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(a.scenario, ec)) {
    return fmt::format("{}: {}", a.scenario, std::filesystem::exists(a.scenario, ec) ? "not a scenario file" : "no such scenario file");
  }
  return {};
}

// The run's result for tools (--json): verdicts, anomalies, counts.
nlohmann::ordered_json result_json(const RunResult& r) {
  nlohmann::ordered_json j;
  j["scenario"] = r.scenario.name;
  j["description"] = r.scenario.description;
  j["seed"] = r.seed;
  j["exit_code"] = r.exit_code;
  j["error"] = r.error;
  j["simulated_ns"] = r.end_time.ns;
  j["events"] = r.events;
  j["trace_events"] = r.trace_events;
  j["trace_hash"] = fmt::format("{:016x}", r.trace_hash);
  j["replay"] = r.replay;
  auto checks = nlohmann::ordered_json::array();
  for (const Check& c : r.checks) {
    nlohmann::ordered_json item = {{"name", c.name},
                                   {"status", !c.judged ? "not judged" : c.held ? "held" : "violated"},
                                   {"held", c.held},
                                   {"judged", c.judged},
                                   {"detail", c.detail},
                                   {"at_ns", c.at.ns}};
    if (!c.explanation.empty()) item["explanation"] = c.explanation;
    checks.push_back(std::move(item));
  }
  j["checks"] = checks;
  if (r.anomalies) j["anomalies"] = check::result_json(*r.anomalies);
  return j;
}

// The report of this run from the live trace and the result exactly as --json writes it (text
// repaired as there), so `kafkasim report TRACE --check RESULT` makes the same file.
void write_run_report(const RunResult& r, const report::ReportSink& sink, std::ostream& out) {
  const auto result = nlohmann::json::parse(result_json(r).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  write_report(sink, &result, out);
}

// What a run's summary says of the files it wrote: empty where the run wrote none.
struct Written {
  const std::string* trace = nullptr;
  const std::string* history = nullptr;
  size_t history_ops = 0;
  const std::string* report = nullptr;
};

// The history's anomalies as `kafkasim check` lists them (allowed ones marked), its validity
// by Jepsen's rules, then what the final state and the trace found beyond the history.
void print_anomalies(std::ostream& out, const check::CheckResult& found) {
  std::string history, beyond;
  for (const auto& [name, list] : found.anomalies) {
    auto extra = found.beyond_history.find(name);
    const size_t more = extra == found.beyond_history.end() ? 0 : extra->second;
    if (list.size() > more) history += fmt::format("{}{} {}{}", history.empty() ? "" : ", ", name, list.size() - more, found.allowed_mark(name));
    if (more > 0) beyond += fmt::format("{}{} {}", beyond.empty() ? "" : ", ", name, more);
  }
  out << fmt::format("anomalies  {}\n", history.empty() ? "none" : history);
  out << fmt::format("           valid by Jepsen's rules: {} (sub-via {}, as kafkasim check judges the history)\n",
                     found.history_valid ? "true" : "false", found.options.sub_via_subscribe ? "subscribe" : "assign");
  if (!beyond.empty()) out << fmt::format("final      {} (found in the final state and the trace, beyond the history)\n", beyond);
}

void print_summary(std::ostream& out, const RunArgs& a, const RunResult& r, double wall, const Written& written) {
  out << fmt::format("scenario   {}\n", terminal_text(r.scenario.name.empty() ? a.scenario : r.scenario.name));
  out << fmt::format("seed       {}\n", r.seed);
  out << fmt::format("simulated  {}\n", format_time(r.end_time));
  out << fmt::format("events     {} in {:.3f}s wall ({:.0f} events/s)\n", r.events, wall,
                     wall > 0 ? static_cast<double>(r.events) / wall : 0.0);
  out << fmt::format("trace      {} events, hash {:016x}\n", r.trace_events, r.trace_hash);
  if (written.trace) out << fmt::format("trace file {}\n", *written.trace);
  if (written.history) out << fmt::format("history    {} operations in {}\n", written.history_ops, *written.history);
  if (written.report) out << fmt::format("report     {}\n", *written.report);
  if (r.anomalies) print_anomalies(out, *r.anomalies);
  for (const Check& c : r.checks) {
    out << fmt::format("check      {} {}{}\n", !c.judged ? "NOT JUDGED" : c.held ? "held    " : "VIOLATED", terminal_text(c.name),
                       c.detail.empty() ? "" : ": " + terminal_text(c.detail));
    if (!c.explanation.empty()) out << wrap("           why: " + terminal_text(c.explanation), 100, 16);
  }
  size_t unjudged = 0;
  for (const Check& c : r.checks) unjudged += c.judged ? 0 : 1;
  std::string result = r.exit_code == 0 ? "ok" : r.exit_code == 1 ? "VIOLATED" : "error";
  if (r.exit_code <= 1 && unjudged > 0) result += fmt::format(" ({} expectation{} not judged)", unjudged, unjudged == 1 ? "" : "s");
  if (a.until.size() > 0 && r.exit_code <= 1)
    out << fmt::format("cut        at {} by --until: no drain, so safety is judged and liveness is not\n", format_time(r.end_time));
  out << fmt::format("result     {}\n", result);
  out << fmt::format("replay     {}\n", r.replay);
}

}  // namespace

int cmd_run(const RunArgs& a) {
  RunOptions opts;
  if (std::string error = run_options(a, opts); !error.empty()) return usage_error(error);

  // Every output is checked and opened before the run: a bad path is a usage error now, not a
  // lost result later.
  const std::vector<std::pair<std::string, std::string>> named = {{"--trace", a.trace}, {"--history", a.history}, {"--json", a.json}, {"--report", a.report}};
  Outputs outputs;
  if (std::string error = open_outputs({a.scenario}, named, a.force, outputs); !error.empty()) return usage_error(error);
  OutputFile* trace_file = outputs[0].get();
  OutputFile* history_file = outputs[1].get();
  OutputFile* json_file = outputs[2].get();
  OutputFile* report_file = outputs[3].get();
  std::optional<JsonlSink> jsonl;
  if (trace_file) {
    jsonl.emplace(trace_file->stream());
    opts.sinks.push_back(&*jsonl);
  }
  check::HistorySink history;
  if (history_file) opts.sinks.push_back(&history);
  report::ReportSink report_sink;
  if (report_file) opts.sinks.push_back(&report_sink);
  std::ostream& summary = any_to_stdout(outputs) ? std::cerr : std::cout;

  const auto start = std::chrono::steady_clock::now();
  const RunResult r = run_scenario(opts);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (!r.error.empty()) std::cerr << "error: " << terminal_text(r.error, true) << "\n";
  // The modules the scenario required are inputs too, known only now: no output replaces one.
  std::vector<std::string> inputs = {a.scenario};
  for (const auto& m : r.modules) inputs.push_back(m.string());
  if (std::string clash = check_paths(inputs, named); !clash.empty()) {
    discard_outputs(outputs);
    return usage_error(clash);
  }
  // Outputs are put in place only for a run that completed (it held or found a violation):
  // a failed run leaves every file as it was.
  const bool completed = r.exit_code == lua::kExitOk || r.exit_code == lua::kExitViolation;
  if (!completed) {
    discard_outputs(outputs);
    if (r.exit_code == lua::kExitUsage) return r.exit_code;
  } else {
    if (history_file) check::write_history_jsonl(history.history(), history_file->stream());
    if (json_file) json_file->stream() << result_json(r).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    if (report_file) write_run_report(r, report_sink, report_file->stream());
    if (!commit_outputs(outputs)) return lua::kExitIoError;
  }

  Written written;
  if (trace_file && completed) written.trace = &a.trace;
  if (report_file && completed) written.report = &a.report;
  if (history_file && completed) {
    written.history = &a.history;
    written.history_ops = history.history().ops.size();
  }
  print_summary(summary, a, r, wall, written);
  return r.exit_code;
}

}  // namespace sim::cli
