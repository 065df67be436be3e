// kafkasim: the command line. Exit codes: 0 every expectation held, 1 a violation, 2 invalid
// scenario or input, 64 usage error, 70 internal error, 74 an output could not be written.
// Each command lives in its own file (sim/cli/*_command.cpp); this one declares their options.
#include <iostream>
#include <new>
#include <string>

#include <CLI/CLI.hpp>

#include "sim/cli/check_command.hpp"
#include "sim/cli/merge_command.hpp"
#include "sim/cli/report_command.hpp"
#include "sim/cli/run_command.hpp"
#include "sim/cli/run_results.hpp"
#include "sim/cli/sweep_command.hpp"
#include "sim/cli/test_command.hpp"
#include "sim/cli/trace_reference.hpp"
#include "sim/emergency.hpp"
#include "sim/lua/runtime.hpp"

namespace {

using namespace sim::cli;
using namespace sim::lua;

CLI::App* add_run(CLI::App& app, RunArgs& run) {
  auto* cmd = app.add_subcommand("run", "Run a scenario for one seed");
  cmd->add_option("scenario", run.scenario, "Scenario file (.lua)")->required();
  cmd->add_option("--seed", run.seed, "Seed (overrides the scenario's): 0 to 18446744073709551615");
  cmd->add_option("--set", run.sets, "Override a param: name=value (repeatable)");
  cmd->add_option("--trace", run.trace, "Write the trace as JSON lines to FILE (- for standard output)");
  cmd->add_option("--history", run.history, "Write the client operations as a Jepsen-style history (JSON lines) to FILE");
  cmd->add_option("--json", run.json, "Write the run's result (checks, anomalies, counts) as JSON to FILE");
  cmd->add_option("--report", run.report, "Write the run's teaching report, one self-contained HTML file, to FILE");
  cmd->add_option("--until", run.until, "Stop simulated time here (e.g. 30s)");
  cmd->add_flag("--paranoid", run.paranoid, "Check every invariant after every event");
  cmd->add_flag("-q,--quiet", run.quiet, "No note()/log() lines on standard error");
  cmd->add_flag("-f,--force", run.force, "Replace existing output files (never an input)");
  return cmd;
}

CLI::App* add_test(CLI::App& app, TestArgs& test) {
  auto* cmd = app.add_subcommand("test", "Run every scenario under the paths as a test suite (each seed; N passed, N failed)");
  cmd->add_option("paths", test.paths, "Scenario files or directories")->required();
  cmd->add_option("--seeds", test.seeds, "A seed or a range such as 1..100 (default: each scenario's own)");
  cmd->add_option("--shard", test.shard, "K/N: run only this machine's share of the runs");
  cmd->add_option("--junit", test.junit, "Write JUnit XML to FILE");
  cmd->add_option("--json", test.json, "Write every run's outcome to FILE, for kafkasim merge");
  cmd->add_flag("-f,--force", test.force, "Replace existing output files (never an input)");
  cmd->add_option("--timeout", test.timeout, "Wall-clock seconds one run may take (default 600; 0: no limit)");
  cmd->add_option("-j,--jobs", test.jobs, "Runs at once, each in its own process (default 1)");
  return cmd;
}

CLI::App* add_sweep(CLI::App& app, SweepArgs& sweep) {
  auto* cmd = app.add_subcommand("sweep", "Run one scenario over a range of seeds in parallel processes");
  cmd->add_option("scenario", sweep.scenario, "Scenario file (.lua)")->required();
  cmd->add_option("--seeds", sweep.seeds, "A range such as 1..1000")->required();
  cmd->add_option("-j,--jobs", sweep.jobs, "Processes at once (default: one per core)");
  cmd->add_option("--shard", sweep.shard, "K/N: run only this machine's share of the seeds");
  cmd->add_flag("--stop-on-first", sweep.stop_on_first, "Stop at the first failing seed");
  cmd->add_option("--set", sweep.sets, "Override a param: name=value (repeatable)");
  cmd->add_option("--timeout", sweep.timeout, "Wall-clock seconds one seed may take (default 600; 0: no limit)");
  cmd->add_option("--json", sweep.json, "Write every seed's outcome to FILE, for kafkasim merge");
  cmd->add_option("--junit", sweep.junit, "Write JUnit XML to FILE (one testcase per seed)");
  cmd->add_flag("-f,--force", sweep.force, "Replace existing output files (never an input)");
  return cmd;
}

CLI::App* add_merge(CLI::App& app, MergeArgs& merge) {
  auto* cmd = app.add_subcommand("merge", "Merge the results of a sweep's or test's shards (--json) into one verdict");
  cmd->add_option("results", merge.results, "Result files (sweep --json, test --json), one per shard")->required();
  cmd->add_option("--junit", merge.junit, "Write JUnit XML to FILE");
  cmd->add_option("--json", merge.json, "Write the merged result to FILE");
  cmd->add_flag("-f,--force", merge.force, "Replace existing output files (never an input)");
  return cmd;
}

CLI::App* add_check(CLI::App& app, CheckArgs& check) {
  auto* cmd = app.add_subcommand("check", "Check a history recorded elsewhere (JSON array or JSON lines) with Jepsen's Kafka checks");
  cmd->add_option("history", check.history, "History file (- for standard input)")->required();
  cmd->add_option("--sub-via", check.sub_via, "How consumers got partitions: assign or subscribe (default: subscribe when the history has a subscribe operation)")
      ->check(CLI::IsMember({"assign", "subscribe"}));
  cmd->add_flag("--ww-deps", check.ww_deps, "Infer write-write dependencies (G1c becomes allowed)");
  cmd->add_option("--json", check.json, "Write the result as JSON to FILE");
  cmd->add_flag("-f,--force", check.force, "Overwrite an existing JSON file");
  return cmd;
}

CLI::App* add_report(CLI::App& app, ReportArgs& report) {
  auto* cmd = app.add_subcommand("report", "Write the teaching report (one HTML file) of a run from its trace and its result");
  cmd->add_option("trace", report.traces, "The run's trace (kafkasim run --trace FILE); two traces: the two runs compared")->required();
  cmd->add_option("--check", report.checks,
                  "The run's result (kafkasim run --json FILE): verdicts, explanations, anomalies; with two traces, once for each, in order")
      ->allow_extra_args(false);  // one file per --check: a trace after it stays a trace
  cmd->add_option("-o,--output", report.output, "The HTML file to write (- for standard output)")->required();
  cmd->add_flag("-f,--force", report.force, "Replace an existing output file (never an input)");
  return cmd;
}

// A command that throws is a bug in kafkasim: say so, with exit code 70.
template <typename Command>
int guarded(Command&& command) {
  try {
    return command();
  } catch (const std::bad_alloc&) {
    std::cerr << "kafkasim: " << out_of_memory_message() << "\n";
    return static_cast<int>(kExitInvalid);
  } catch (const std::exception& e) {
    std::cerr << "kafkasim: internal error: " << e.what() << "\n";
    return static_cast<int>(kExitInternal);
  }
}

}  // namespace

int main(int argc, char** argv) {
  sim::remove_temporaries_on_fatal_signals();
  CLI::App app{"kafkasim: a deterministic simulator of Apache Kafka"};
  app.require_subcommand(0, 1);
  app.set_help_flag("-h,--help", "Show help");
  RunArgs run_args;
  TestArgs test_args;
  SweepArgs sweep_args;
  CheckArgs check_args;
  ReportArgs report_args;
  MergeArgs merge_args;
  auto* run_cmd = add_run(app, run_args);
  auto* test_cmd = add_test(app, test_args);
  auto* sweep_cmd = add_sweep(app, sweep_args);
  auto* merge_cmd = add_merge(app, merge_args);
  auto* check_cmd = add_check(app, check_args);
  auto* report_cmd = add_report(app, report_args);
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
    std::cout << "kafkasim " << this_build().version << " (build " << this_build().digest << ")\n";
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
  if (*sweep_cmd) return guarded([&] { return cmd_sweep(sweep_args); });
  if (*merge_cmd) return guarded([&] { return cmd_merge(merge_args); });
  if (*test_cmd) return guarded([&] { return cmd_test(test_args); });
  if (*check_cmd) return guarded([&] { return cmd_check(check_args); });
  if (*report_cmd) return guarded([&] { return cmd_report(report_args); });
  if (*run_cmd) {
    run_args.seed_given = run_cmd->count("--seed") > 0;
    return guarded([&] { return cmd_run(run_args); });
  }
  std::cerr << help_text;
  return kExitUsage;
}
