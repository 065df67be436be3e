#include "sim/cli/report_command.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include "broker_model/trace_schema.hpp"
#include "reports/check_result.hpp"
#include "reports/report_html.hpp"
#include "reports/report_sink.hpp"
#include "sim/cli/output_file.hpp"
#include "sim/cli/run_outcome.hpp"
#include "sim/escape.hpp"
#include "sim/lua/runtime.hpp"
#include "sim/trace_reader.hpp"

namespace sim::cli {

namespace {

// An input file opened for reading, or a usage message.
std::string open_input(const std::string& path, const char* what, std::ifstream& in) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return fmt::format("{}: is a folder; name a {} file", path, what);
  if (!std::filesystem::exists(path, ec)) return fmt::format("{}: no such {} file", path, what);
  in.open(path, std::ios::binary);
  if (!in) return fmt::format("{}: cannot read the {}", path, what);
  return {};
}

// The check result, parsed; nothing, having said why, when it is not JSON.
std::optional<nlohmann::json> read_result(const std::string& path, std::ifstream& in) {
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    std::cerr << "error: " << path << ": not a check result (kafkasim run --json): " << terminal_text(e.what(), true) << "\n";
    return std::nullopt;
  }
}

}  // namespace

std::string write_report(const report::ReportSink& sink, const nlohmann::json* result, std::ostream& out) {
  report::Model model = sink.model();
  if (result)
    if (std::string error = report::apply_check_result(*result, report::Limits{}, model); !error.empty()) return error;
  out << report::render_html(model);
  return {};
}

namespace {

// One run's model from its trace and (when given) its check result; "" or what is wrong. A
// check result that is not JSON has been reported already (`bad_json`).
std::string read_model(const std::string& trace, std::ifstream& trace_in, const std::string& check, std::ifstream* check_in,
                       report::Model& model, bool& bad_json) {
  std::optional<nlohmann::json> result;
  if (check_in && !(result = read_result(check, *check_in))) {
    bad_json = true;
    return "bad";
  }
  report::ReportSink sink;
  const TraceKinds kinds{kafka::trace_schema::find_kind, kafka::trace_schema::find_message_field};
  if (std::string error = read_jsonl_trace(trace_in, trace, kinds, sink); !error.empty()) return error;
  model = sink.model();
  if (result)
    if (std::string error = report::apply_check_result(*result, report::Limits{}, model); !error.empty()) return fmt::format("{}: {}", check, error);
  return {};
}

}  // namespace

int cmd_report(const ReportArgs& a) {
  if (a.traces.empty() || a.traces.size() > 2)
    return usage_error("report: give one trace file (kafkasim run --trace), or two to compare the runs");
  if (!a.checks.empty() && a.checks.size() != a.traces.size())
    return usage_error(fmt::format("report: {} trace(s) and {} --check: give one check result for each trace, in the same order, or none",
                                   a.traces.size(), a.checks.size()));
  if (a.output.empty()) return usage_error("report: name the HTML file to write with -o FILE.html");
  std::vector<std::ifstream> trace_in(a.traces.size()), check_in(a.checks.size());
  for (size_t i = 0; i < a.traces.size(); ++i)
    if (std::string e = open_input(a.traces[i], "trace", trace_in[i]); !e.empty()) return usage_error(e);
  for (size_t i = 0; i < a.checks.size(); ++i)
    if (std::string e = open_input(a.checks[i], "check result", check_in[i]); !e.empty()) return usage_error(e);
  std::vector<std::string> inputs = a.traces;
  inputs.insert(inputs.end(), a.checks.begin(), a.checks.end());
  Outputs outputs;
  if (std::string e = open_outputs(inputs, {{"-o", a.output}}, a.force, outputs); !e.empty()) return usage_error(e);

  std::vector<report::Model> models(a.traces.size());
  for (size_t i = 0; i < a.traces.size(); ++i) {
    bool bad_json = false;
    const std::string check = a.checks.empty() ? "" : a.checks[i];
    std::string error = read_model(a.traces[i], trace_in[i], check, a.checks.empty() ? nullptr : &check_in[i], models[i], bad_json);
    if (error.empty()) continue;
    discard_outputs(outputs);
    if (!bad_json) std::cerr << "error: " << terminal_text(error, true) << "\n";
    return lua::kExitInvalid;
  }
  outputs[0]->stream() << (models.size() == 2 ? report::render_compare_html(models[0], models[1]) : report::render_html(models[0]));
  if (!commit_outputs(outputs)) return lua::kExitIoError;
  if (!outputs[0]->to_stdout()) std::cout << fmt::format("report     {}\n", a.output);
  return lua::kExitOk;
}

}  // namespace sim::cli
