// kafkasim: the command line. Exit codes: 0 every expectation held, 1 a violation, 2 invalid
// scenario or input, 64 usage error, 70 internal error, 74 an output could not be written.
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
#include "sim/check/verdict.hpp"
#include "sim/cli/output_file.hpp"
#include "sim/cli/run_outcome.hpp"
#include "sim/cli/sweep_command.hpp"
#include "sim/cli/test_command.hpp"
#include "sim/cli/trace_reference.hpp"
#include "sim/lua/runtime.hpp"
#include "sim/emergency.hpp"
#include "sim/escape.hpp"
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
using sim::cli::check_paths;
using sim::cli::OutputFile;

constexpr const char* kVersion = "0.1.0";

struct RunArgs {
  std::string scenario;
  std::string seed;  // checked by parse_seed: CLI11 would wrap "-1" and 2^64 around
  bool seed_given = false;
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

int usage_error(const std::string& msg) {
  std::cerr << "kafkasim: " << msg << "\n";
  return kExitUsage;
}

// Opens every output a command names, after checking that none is an input or another output.
// Returns a usage message when one cannot be written, before any work starts.
std::string open_outputs(const std::vector<std::string>& inputs, const std::vector<std::pair<std::string, std::string>>& named,
                         bool force, std::vector<std::unique_ptr<OutputFile>>& out) {
  if (std::string clash = check_paths(inputs, named); !clash.empty()) return clash;
  for (const auto& [option, path] : named) {
    if (path.empty()) {
      out.push_back(nullptr);
      continue;
    }
    out.push_back(std::make_unique<OutputFile>(option, path, force));
    if (!out.back()->ok()) return out.back()->error();
  }
  return {};
}

// Puts every output in place; false (having said why) when one could not be written.
bool commit_outputs(std::vector<std::unique_ptr<OutputFile>>& outputs) {
  bool ok = true;
  for (auto& o : outputs) {
    if (o && !o->commit()) {
      std::cerr << "kafkasim: " << o->error() << "\n";
      ok = false;
    }
  }
  return ok;
}

int cmd_check(const CheckArgs& a) {
  std::string text;
  if (a.history == "-") {
    std::stringstream buf;
    buf << std::cin.rdbuf();
    text = buf.str();
  } else {
    std::error_code ec;
    if (std::filesystem::is_directory(a.history, ec)) return usage_error(fmt::format("{}: is a folder; name a history file", a.history));
    std::ifstream in(a.history, std::ios::binary);
    if (!in) return usage_error(fmt::format("{}: cannot read the history", a.history));
    std::stringstream buf;
    buf << in.rdbuf();
    text = buf.str();
  }
  std::vector<std::unique_ptr<OutputFile>> outputs;
  if (std::string error = open_outputs({a.history}, {{"--json", a.json}}, a.force, outputs); !error.empty()) return usage_error(error);
  std::string error;
  const auto history = check::parse_history(text, error);
  if (!history) {
    std::cerr << "error: " << a.history << ": " << error << "\n";
    return kExitInvalid;
  }
  check::Evidence evidence{*history, {}, nullptr, nullptr, {}};
  evidence.options.sub_via_subscribe = a.sub_via == "subscribe";
  evidence.options.ww_deps = a.ww_deps;
  const check::CheckOptions& opts = evidence.options;
  const check::CheckResult r = check::find_anomalies(evidence);
  std::ostream& summary = outputs[0] && outputs[0]->to_stdout() ? std::cerr : std::cout;
  summary << fmt::format("history    {} ({} operations)\n", a.history, history->ops.size());
  for (const auto& [name, list] : r.anomalies) {
    const auto allowed = check::allowed_anomalies(opts);
    const bool ok = std::find(allowed.begin(), allowed.end(), name) != allowed.end();
    summary << fmt::format("anomaly    {} x{}{}: {}\n", name, list.size(), ok ? " (allowed)" : "",
                           list.empty() ? "" : valid_utf8(list.front().detail));
  }
  summary << fmt::format("valid      {}\n", r.valid ? "true" : "false");
  if (outputs[0]) check::write_result_json(r, outputs[0]->stream());
  if (!commit_outputs(outputs)) return kExitIoError;
  return r.valid ? kExitOk : kExitViolation;
}

int cmd_run(const RunArgs& a) {
  RunOptions opts;
  opts.path = a.scenario;
  opts.skip_teardown = true;  // the process ends after this run
  opts.paranoid = a.paranoid;
  opts.log = a.quiet ? nullptr : &std::cerr;
  if (!a.seed.empty() || a.seed_given) {
    const auto seed = sim::cli::parse_seed(a.seed);
    if (!seed) return usage_error(fmt::format("--seed \"{}\": a whole number from 0 to 18446744073709551615", a.seed));
    opts.seed = *seed;
  }
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
  std::error_code ec;
  if (!std::filesystem::is_regular_file(a.scenario, ec)) {
    return usage_error(fmt::format("{}: {}", a.scenario, std::filesystem::exists(a.scenario, ec) ? "not a scenario file" : "no such scenario file"));
  }

  // Every output is checked and opened before the run: a bad path is a usage error now, not a
  // lost result later.
  std::vector<std::unique_ptr<OutputFile>> outputs;
  if (std::string error = open_outputs({a.scenario}, {{"--trace", a.trace}, {"--history", a.history}, {"--json", a.json}},
                                       a.force, outputs);
      !error.empty()) {
    return usage_error(error);
  }
  OutputFile* trace_file = outputs[0].get();
  OutputFile* history_file = outputs[1].get();
  OutputFile* json_file = outputs[2].get();
  std::optional<JsonlSink> jsonl;
  if (trace_file) {
    jsonl.emplace(trace_file->stream());
    opts.sinks.push_back(&*jsonl);
  }
  check::HistorySink history;
  if (history_file) opts.sinks.push_back(&history);
  bool to_stdout = false;
  for (const auto& o : outputs) to_stdout |= o && o->to_stdout();
  std::ostream& summary = to_stdout ? std::cerr : std::cout;

  const auto start = std::chrono::steady_clock::now();
  const RunResult r = run_scenario(opts);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (!r.error.empty()) std::cerr << "error: " << valid_utf8(r.error) << "\n";
  // The modules the scenario required are inputs too, known only now: no output replaces one.
  std::vector<std::string> inputs = {a.scenario};
  for (const auto& m : r.modules) inputs.push_back(m.string());
  if (std::string clash = check_paths(inputs, {{"--trace", a.trace}, {"--history", a.history}, {"--json", a.json}}); !clash.empty()) {
    for (auto& o : outputs)
      if (o) o->discard();
    return usage_error(clash);
  }
  // Outputs are put in place only for a run that completed (it held or found a violation):
  // a failed run leaves every file as it was.
  if (r.exit_code != kExitOk && r.exit_code != kExitViolation) {
    for (auto& o : outputs)
      if (o) o->discard();
    if (r.exit_code == kExitUsage) return r.exit_code;
  } else {
    if (history_file) check::write_history_jsonl(history.history(), history_file->stream());
    if (json_file) {
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
      if (r.anomalies) j["anomalies"] = check::result_json(*r.anomalies);
      json_file->stream() << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    }
    if (!commit_outputs(outputs)) return kExitIoError;
  }

  summary << fmt::format("scenario   {}\n", valid_utf8(r.scenario.name.empty() ? a.scenario : r.scenario.name));
  summary << fmt::format("seed       {}\n", r.seed);
  summary << fmt::format("simulated  {}\n", format_time(r.end_time));
  summary << fmt::format("events     {} in {:.3f}s wall ({:.0f} events/s)\n", r.events, wall,
                         wall > 0 ? static_cast<double>(r.events) / wall : 0.0);
  summary << fmt::format("trace      {} events, hash {:016x}\n", r.trace_events, r.trace_hash);
  const bool written = r.exit_code == kExitOk || r.exit_code == kExitViolation;
  if (trace_file && written) summary << fmt::format("trace file {}\n", a.trace);
  if (history_file && written) summary << fmt::format("history    {} operations in {}\n", history.history().ops.size(), a.history);
  if (r.anomalies) {
    std::string found;
    for (const auto& [name, list] : r.anomalies->anomalies)
      if (!list.empty()) found += fmt::format("{}{} {}", found.empty() ? "" : ", ", name, list.size());
    summary << fmt::format("anomalies  {}\n", found.empty() ? "none" : found);
  }
  for (const Check& c : r.checks) {
    summary << fmt::format("check      {} {}{}\n", c.held ? "held    " : "VIOLATED", valid_utf8(c.name),
                           c.detail.empty() ? "" : ": " + valid_utf8(c.detail));
    if (!c.explanation.empty()) summary << wrap("           why: " + c.explanation, 100, 16);
  }
  summary << fmt::format("result     {}\n", r.exit_code == 0 ? "ok" : r.exit_code == 1 ? "VIOLATED" : "error");
  summary << fmt::format("replay     {}\n", r.replay);
  return r.exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  sim::remove_temporaries_on_fatal_signals();
  CLI::App app{"kafkasim: a deterministic simulator of Apache Kafka"};
  app.require_subcommand(0, 1);
  app.set_help_flag("-h,--help", "Show help");

  RunArgs run;
  auto* run_cmd = app.add_subcommand("run", "Run a scenario for one seed");
  run_cmd->add_option("scenario", run.scenario, "Scenario file (.lua)")->required();
  run_cmd->add_option("--seed", run.seed, "Seed (overrides the scenario's): 0 to 18446744073709551615");
  run_cmd->add_option("--set", run.sets, "Override a param: name=value (repeatable)");
  run_cmd->add_option("--trace", run.trace, "Write the trace as JSON lines to FILE (- for standard output)");
  run_cmd->add_option("--history", run.history, "Write the client operations as a Jepsen-style history (JSON lines) to FILE");
  run_cmd->add_option("--json", run.json, "Write the run's result (checks, anomalies, counts) as JSON to FILE");
  run_cmd->add_option("--until", run.until, "Stop simulated time here (e.g. 30s)");
  run_cmd->add_flag("--paranoid", run.paranoid, "Check every invariant after every event");
  run_cmd->add_flag("-q,--quiet", run.quiet, "No note()/log() lines on standard error");
  run_cmd->add_flag("-f,--force", run.force, "Replace existing output files (never an input)");

  sim::cli::TestArgs test_args;
  auto* test_cmd = app.add_subcommand("test", "Run every scenario under the paths as a test suite (each seed; N passed, N failed)");
  test_cmd->add_option("paths", test_args.paths, "Scenario files or directories")->required();
  test_cmd->add_option("--seeds", test_args.seeds, "A seed or a range such as 1..100 (default: each scenario's own)");
  test_cmd->add_option("--junit", test_args.junit, "Write JUnit XML to FILE");
  test_cmd->add_flag("-f,--force", test_args.force, "Overwrite an existing JUnit file");
  test_cmd->add_option("--timeout", test_args.timeout, "Wall-clock seconds one run may take (default 600; 0: no limit)");
  test_cmd->add_option("-j,--jobs", test_args.jobs, "Runs at once, each in its own process (default 1)");

  sim::cli::SweepArgs sweep_args;
  auto* sweep_cmd = app.add_subcommand("sweep", "Run one scenario over a range of seeds in parallel processes");
  sweep_cmd->add_option("scenario", sweep_args.scenario, "Scenario file (.lua)")->required();
  sweep_cmd->add_option("--seeds", sweep_args.seeds, "A range such as 1..1000")->required();
  sweep_cmd->add_option("-j,--jobs", sweep_args.jobs, "Processes at once (default: one per core)");
  sweep_cmd->add_option("--shard", sweep_args.shard, "K/N: run only this machine's share of the seeds");
  sweep_cmd->add_flag("--stop-on-first", sweep_args.stop_on_first, "Stop at the first failing seed");
  sweep_cmd->add_option("--set", sweep_args.sets, "Override a param: name=value (repeatable)");
  sweep_cmd->add_option("--timeout", sweep_args.timeout, "Wall-clock seconds one seed may take (default 600; 0: no limit)");

  CheckArgs check_args;
  auto* check_cmd = app.add_subcommand("check", "Check a history recorded elsewhere (JSON array or JSON lines) with Jepsen's Kafka checks");
  check_cmd->add_option("history", check_args.history, "History file (- for standard input)")->required();
  check_cmd->add_option("--sub-via", check_args.sub_via, "How consumers got partitions: assign (default) or subscribe")
      ->check(CLI::IsMember({"assign", "subscribe"}));
  check_cmd->add_flag("--ww-deps", check_args.ww_deps, "Infer write-write dependencies (G1c becomes allowed)");
  check_cmd->add_option("--json", check_args.json, "Write the result as JSON to FILE");
  check_cmd->add_flag("-f,--force", check_args.force, "Overwrite an existing JSON file");

  auto* schema_cmd =
      app.add_subcommand("trace-schema", "Print the trace reference: every event kind and its fields (Markdown, as docs/trace.md)");
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
  if (*schema_cmd) {
    std::cout << sim::cli::trace_reference_markdown();
    return kExitOk;
  }
  // A command that throws is a bug in kafkasim: say so, with exit code 70.
  auto guarded = [](auto&& command) {
    try {
      return command();
    } catch (const std::bad_alloc&) {
      std::cerr << "kafkasim: " << out_of_memory_message() << "\n";
      return static_cast<int>(kExitInvalid);
    } catch (const std::exception& e) {
      std::cerr << "kafkasim: internal error: " << e.what() << "\n";
      return static_cast<int>(kExitInternal);
    }
  };
  if (*sweep_cmd) return guarded([&] { return sim::cli::cmd_sweep(sweep_args); });
  if (*test_cmd) return guarded([&] { return sim::cli::cmd_test(test_args); });
  if (*check_cmd) return guarded([&] { return cmd_check(check_args); });
  if (*run_cmd) {
    run.seed_given = run_cmd->count("--seed") > 0;
    return guarded([&] { return cmd_run(run); });
  }
  std::cerr << help_text;
  return kExitUsage;
}
