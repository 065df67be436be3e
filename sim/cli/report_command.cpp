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

int cmd_report(const ReportArgs& a) {
  if (a.traces.size() == 2) return usage_error("comparing two runs (report A.jsonl B.jsonl) is not built yet: give one trace");
  if (a.traces.size() != 1) return usage_error("report: give one trace file (kafkasim run --trace)");
  if (a.output.empty()) return usage_error("report: name the HTML file to write with -o FILE.html");
  std::ifstream trace_in, check_in;
  if (std::string e = open_input(a.traces[0], "trace", trace_in); !e.empty()) return usage_error(e);
  if (!a.check.empty())
    if (std::string e = open_input(a.check, "check result", check_in); !e.empty()) return usage_error(e);
  std::vector<std::string> inputs = a.traces;
  if (!a.check.empty()) inputs.push_back(a.check);
  Outputs outputs;
  if (std::string e = open_outputs(inputs, {{"-o", a.output}}, a.force, outputs); !e.empty()) return usage_error(e);

  std::optional<nlohmann::json> result;
  if (!a.check.empty() && !(result = read_result(a.check, check_in))) {
    discard_outputs(outputs);
    return lua::kExitInvalid;
  }
  report::ReportSink sink;
  const TraceKinds kinds{kafka::trace_schema::find_kind, kafka::trace_schema::find_message_field};
  std::string error = read_jsonl_trace(trace_in, a.traces[0], kinds, sink);
  if (error.empty()) {
    error = write_report(sink, result ? &*result : nullptr, outputs[0]->stream());
    if (!error.empty()) error = fmt::format("{}: {}", a.check, error);
  }
  if (!error.empty()) {
    discard_outputs(outputs);
    std::cerr << "error: " << terminal_text(error, true) << "\n";
    return lua::kExitInvalid;
  }
  if (!commit_outputs(outputs)) return lua::kExitIoError;
  if (!outputs[0]->to_stdout()) std::cout << fmt::format("report     {}\n", a.output);
  return lua::kExitOk;
}

}  // namespace sim::cli
