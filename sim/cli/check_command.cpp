#include "sim/cli/check_command.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "sim/check/history_json.hpp"
#include "sim/check/jepsen.hpp"
#include "sim/check/verdict.hpp"
#include "sim/cli/output_file.hpp"
#include "sim/cli/run_outcome.hpp"
#include "sim/escape.hpp"
#include "sim/lua/runtime.hpp"

namespace sim::cli {

namespace {

// The history's text, from the file or (for "-") standard input; nothing, having said why, when
// it cannot be read.
std::optional<std::string> read_history(const std::string& path) {
  std::stringstream buf;
  if (path == "-") {
    buf << std::cin.rdbuf();
    return buf.str();
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    usage_error(fmt::format("{}: is a folder; name a history file", path));
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    usage_error(fmt::format("{}: cannot read the history", path));
    return std::nullopt;
  }
  buf << in.rdbuf();
  return buf.str();
}

}  // namespace

int cmd_check(const CheckArgs& a) {
  const std::optional<std::string> text = read_history(a.history);
  if (!text) return lua::kExitUsage;
  Outputs outputs;
  if (std::string error = open_outputs({a.history}, {{"--json", a.json}}, a.force, outputs); !error.empty()) return usage_error(error);
  std::string error;
  const auto history = check::parse_history(*text, error);
  if (!history) {
    std::cerr << "error: " << terminal_text(a.history) << ": " << terminal_text(error, true) << "\n";
    return lua::kExitInvalid;
  }
  check::Evidence evidence{*history, {}, nullptr, nullptr, {}, {}};
  // Without --sub-via, the history says: a run's groups subscribe, and so does any history
  // with a subscribe operation (the rule `kafkasim run` judges its own history by).
  evidence.options.sub_via_subscribe = a.sub_via.empty() ? check::subscribes(*history) : a.sub_via == "subscribe";
  evidence.options.ww_deps = a.ww_deps;
  const check::CheckResult r = check::find_anomalies(evidence);
  std::ostream& summary = any_to_stdout(outputs) ? std::cerr : std::cout;
  summary << fmt::format("history    {} ({} operations)\n", a.history, history->ops.size());
  summary << fmt::format("sub-via    {}{}\n", evidence.options.sub_via_subscribe ? "subscribe" : "assign",
                         a.sub_via.empty() ? (evidence.options.sub_via_subscribe ? " (the history subscribes)" : " (the history never subscribes)") : "");
  for (const auto& [name, list] : r.anomalies) {
    if (list.empty()) continue;
    summary << fmt::format("anomaly    {} x{}{}: {}\n", name, list.size(), r.allowed_mark(name), terminal_text(list.front().detail));
  }
  summary << fmt::format("valid      {}\n", r.valid ? "true" : "false");
  if (outputs[0]) check::write_result_json(r, outputs[0]->stream());
  if (!commit_outputs(outputs)) return lua::kExitIoError;
  return r.valid ? lua::kExitOk : lua::kExitViolation;
}

}  // namespace sim::cli
