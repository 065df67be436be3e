// kafkasim: the command line. Exit codes: 0 every expectation held, 1 a violation, 2 invalid
// scenario or input, 64 usage error, 70 internal error.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include "sim/check/history_json.hpp"
#include "sim/check/history_sink.hpp"
#include "sim/check/jepsen.hpp"
#include "sim/cli/atomic_file.hpp"
#include "sim/cli/sweep_command.hpp"
#include "sim/cli/test_command.hpp"
#include "sim/lua/runtime.hpp"
#include "sim/trace.hpp"

namespace {

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


using namespace sim;
using namespace sim::lua;
using sim::cli::AtomicFile;

constexpr const char* kVersion = "0.1.0";

struct RunArgs {
  std::string scenario;
  std::optional<uint64_t> seed;
  std::vector<std::string> sets;
  std::string trace;
  std::string history;
  std::string json;
  std::string until;
  bool paranoid = false;
  bool quiet = false;
  bool force = false;
};

struct CheckArgs {
  std::string history;
  std::string sub_via = "assign";
  bool ww_deps = false;
  std::string json;
  bool force = false;
};

int usage_error(const std::string& msg);

int cmd_check(const CheckArgs& a) {
  std::ifstream in(a.history, std::ios::binary);
  if (!in) return usage_error(fmt::format("{}: cannot read the history", a.history));
  if (!a.json.empty() && std::filesystem::exists(a.json) && !a.force) {
    return usage_error(fmt::format("{} exists; kafkasim does not overwrite files without --force", a.json));
  }
  std::stringstream buf;
  buf << in.rdbuf();
  std::string error;
  const auto history = check::parse_history(buf.str(), error);
  if (!history) {
    std::cerr << "error: " << a.history << ": " << error << "\n";
    return kExitInvalid;
  }
  check::CheckOptions opts;
  opts.sub_via_subscribe = a.sub_via == "subscribe";
  opts.ww_deps = a.ww_deps;
  const check::CheckResult r = check::check_history(*history, opts);
  std::cout << fmt::format("history    {} ({} operations)\n", a.history, history->ops.size());
  for (const auto& [name, list] : r.anomalies) {
    const auto allowed = check::allowed_anomalies(opts);
    const bool ok = std::find(allowed.begin(), allowed.end(), name) != allowed.end();
    std::cout << fmt::format("anomaly    {} x{}{}: {}\n", name, list.size(), ok ? " (allowed)" : "",
                             list.empty() ? "" : list.front().detail);
  }
  std::cout << fmt::format("valid      {}\n", r.valid ? "true" : "false");
  if (!a.json.empty()) {
    AtomicFile out(a.json);
    check::write_result_json(r, out.stream());
    if (!out.commit()) std::cerr << "kafkasim: could not write " << a.json << "\n";
  }
  return r.valid ? kExitOk : kExitViolation;
}

int usage_error(const std::string& msg) {
  std::cerr << "kafkasim: " << msg << "\n";
  return kExitUsage;
}

int cmd_run(const RunArgs& a) {
  RunOptions opts;
  opts.path = a.scenario;
  opts.seed = a.seed;
  opts.paranoid = a.paranoid;
  opts.log = a.quiet ? nullptr : &std::cerr;
  for (const auto& kv : a.sets) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) return usage_error(fmt::format("--set {}: write it as name=value", kv));
    opts.sets.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  if (!a.until.empty()) {
    auto d = parse_duration(a.until);
    if (!d) return usage_error(fmt::format("--until {}: not a time (write e.g. 30s or 2m)", a.until));
    opts.until = *d;
  }
  if (!std::filesystem::exists(a.scenario)) return usage_error(fmt::format("{}: no such scenario file", a.scenario));

  for (const std::string* out : {&a.trace, &a.history, &a.json}) {
    if (!out->empty() && std::filesystem::exists(*out) && !a.force) {
      return usage_error(fmt::format("{} exists; kafkasim does not overwrite files without --force", *out));
    }
  }
  std::optional<AtomicFile> trace_file;
  std::optional<JsonlSink> jsonl;
  if (!a.trace.empty()) {
    trace_file.emplace(a.trace);
    if (!trace_file->ok()) return usage_error(fmt::format("{}: cannot write the trace file", a.trace));
    jsonl.emplace(trace_file->stream());
    opts.sinks.push_back(&*jsonl);
  }
  check::HistorySink history;
  if (!a.history.empty()) opts.sinks.push_back(&history);

  const auto start = std::chrono::steady_clock::now();
  const RunResult r = run_scenario(opts);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (trace_file && !trace_file->commit()) std::cerr << "kafkasim: could not write " << a.trace << "\n";
  if (!a.history.empty()) {
    AtomicFile file(a.history);
    check::write_history_jsonl(history.history(), file.stream());
    if (!file.commit()) std::cerr << "kafkasim: could not write " << a.history << "\n";
  }
  if (!r.error.empty()) std::cerr << "error: " << r.error << "\n";
  if (r.exit_code == kExitUsage) return r.exit_code;
  if (!a.json.empty()) {
    // The run's result for tools: verdicts, anomalies, counts.
    nlohmann::ordered_json j;
    j["scenario"] = r.scenario.name;
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
      nlohmann::ordered_json item = {{"name", c.name}, {"held", c.held}, {"detail", c.detail}, {"at_ns", c.at.ns}};
      if (!c.explanation.empty()) item["explanation"] = c.explanation;
      checks.push_back(std::move(item));
    }
    j["checks"] = checks;
    if (r.anomalies) {
      std::ostringstream buf;
      check::write_result_json(*r.anomalies, buf);
      j["anomalies"] = nlohmann::ordered_json::parse(buf.str());
    }
    AtomicFile out(a.json);
    out.stream() << j.dump(2) << "\n";
    if (!out.commit()) std::cerr << "kafkasim: could not write " << a.json << "\n";
  }

  std::cout << fmt::format("scenario   {}\n", r.scenario.name.empty() ? a.scenario : r.scenario.name);
  std::cout << fmt::format("seed       {}\n", r.seed);
  std::cout << fmt::format("simulated  {}\n", format_time(r.end_time));
  std::cout << fmt::format("events     {} in {:.3f}s wall ({:.0f} events/s)\n", r.events, wall,
                           wall > 0 ? static_cast<double>(r.events) / wall : 0.0);
  std::cout << fmt::format("trace      {} events, hash {:016x}\n", r.trace_events, r.trace_hash);
  if (!a.trace.empty()) std::cout << fmt::format("trace file {}\n", a.trace);
  if (!a.history.empty()) std::cout << fmt::format("history    {} operations in {}\n", history.history().ops.size(), a.history);
  if (r.anomalies) {
    std::string found;
    for (const auto& [name, list] : r.anomalies->anomalies)
      if (!list.empty()) found += fmt::format("{}{} {}", found.empty() ? "" : ", ", name, list.size());
    std::cout << fmt::format("anomalies  {}\n", found.empty() ? "none" : found);
  }
  for (const Check& c : r.checks) {
    std::cout << fmt::format("check      {} {}{}\n", c.held ? "held    " : "VIOLATED", c.name,
                             c.detail.empty() ? "" : ": " + c.detail);
    if (!c.explanation.empty()) std::cout << wrap("           why: " + c.explanation, 100, 16);
  }
  std::cout << fmt::format("result     {}\n", r.exit_code == 0 ? "ok" : r.exit_code == 1 ? "VIOLATED" : "error");
  std::cout << fmt::format("replay     {}\n", r.replay);
  return r.exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kafkasim: a deterministic simulator of Apache Kafka"};
  app.require_subcommand(0, 1);
  app.set_help_flag("-h,--help", "Show help");

  RunArgs run;
  auto* run_cmd = app.add_subcommand("run", "Run a scenario for one seed");
  run_cmd->add_option("scenario", run.scenario, "Scenario file (.lua)")->required();
  run_cmd->add_option("--seed", run.seed, "Seed (overrides the scenario's)");
  run_cmd->add_option("--set", run.sets, "Override a param: name=value (repeatable)");
  run_cmd->add_option("--trace", run.trace, "Write the trace as JSON lines to FILE");
  run_cmd->add_option("--history", run.history, "Write the client operations as a Jepsen-style history (JSON lines) to FILE");
  run_cmd->add_option("--json", run.json, "Write the run's result (checks, anomalies, counts) as JSON to FILE");
  run_cmd->add_option("--until", run.until, "Stop simulated time here (e.g. 30s)");
  run_cmd->add_flag("--paranoid", run.paranoid, "Check every invariant after every event");
  run_cmd->add_flag("-q,--quiet", run.quiet, "No note()/log() lines on standard error");
  run_cmd->add_flag("-f,--force", run.force, "Overwrite an existing trace or history file");

  sim::cli::TestArgs test_args;
  auto* test_cmd = app.add_subcommand("test", "Run every scenario under the paths as a test suite (each seed; N passed, N failed)");
  test_cmd->add_option("paths", test_args.paths, "Scenario files or directories")->required();
  test_cmd->add_option("--seeds", test_args.seeds, "A seed or a range such as 1..100 (default: each scenario's own)");
  test_cmd->add_option("--junit", test_args.junit, "Write JUnit XML to FILE");
  test_cmd->add_flag("-f,--force", test_args.force, "Overwrite an existing JUnit file");

  sim::cli::SweepArgs sweep_args;
  auto* sweep_cmd = app.add_subcommand("sweep", "Run one scenario over a range of seeds in parallel processes");
  sweep_cmd->add_option("scenario", sweep_args.scenario, "Scenario file (.lua)")->required();
  sweep_cmd->add_option("--seeds", sweep_args.seeds, "A range such as 1..1000")->required();
  sweep_cmd->add_option("-j,--jobs", sweep_args.jobs, "Processes at once (default: one per core)");
  sweep_cmd->add_option("--shard", sweep_args.shard, "K/N: run only this machine's share of the seeds");
  sweep_cmd->add_flag("--stop-on-first", sweep_args.stop_on_first, "Stop at the first failing seed");
  sweep_cmd->add_option("--set", sweep_args.sets, "Override a param: name=value (repeatable)");

  CheckArgs check_args;
  auto* check_cmd = app.add_subcommand("check", "Check a history recorded elsewhere (JSON array or JSON lines) with Jepsen's Kafka checks");
  check_cmd->add_option("history", check_args.history, "History file")->required();
  check_cmd->add_option("--sub-via", check_args.sub_via, "How consumers got partitions: assign (default) or subscribe")
      ->check(CLI::IsMember({"assign", "subscribe"}));
  check_cmd->add_flag("--ww-deps", check_args.ww_deps, "Infer write-write dependencies (G1c becomes allowed)");
  check_cmd->add_option("--json", check_args.json, "Write the result as JSON to FILE");
  check_cmd->add_flag("-f,--force", check_args.force, "Overwrite an existing JSON file");

  auto* version_cmd = app.add_subcommand("version", "Print the version");
  auto* help_cmd = app.add_subcommand("help", "Show this help");

  app.name("kafkasim");
  const std::string help_text = app.help();  // before parsing: afterwards help() describes the chosen subcommand
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  if (*version_cmd) {
    std::cout << "kafkasim " << kVersion << "\n";
    return kExitOk;
  }
  if (*help_cmd) {
    std::cout << help_text;
    return kExitOk;
  }
  // A command that throws is a bug in kafkasim: say so, with exit code 70.
  auto guarded = [](auto&& command) {
    try {
      return command();
    } catch (const std::exception& e) {
      std::cerr << "kafkasim: internal error: " << e.what() << "\n";
      return static_cast<int>(kExitInternal);
    }
  };
  if (*sweep_cmd) return guarded([&] { return sim::cli::cmd_sweep(sweep_args); });
  if (*test_cmd) return guarded([&] { return sim::cli::cmd_test(test_args); });
  if (*check_cmd) return guarded([&] { return cmd_check(check_args); });
  if (*run_cmd) return guarded([&] { return cmd_run(run); });
  std::cerr << help_text;
  return kExitUsage;
}
