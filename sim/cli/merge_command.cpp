#include "sim/cli/merge_command.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "sim/cli/junit.hpp"
#include "sim/cli/output_file.hpp"
#include "sim/cli/run_outcome.hpp"
#include "sim/cli/run_results.hpp"
#include "sim/cli/run_summary.hpp"
#include "sim/escape.hpp"

namespace sim::cli {

namespace {

// A result file is at most this big: 10 million runs of a few dozen bytes each.
constexpr std::streamsize kMaxResultBytes = std::streamsize{1} << 31;

int invalid(const std::string& msg) {
  std::cerr << "kafkasim: " << terminal_text(msg) << "\n";
  return lua::kExitInvalid;
}

// Every shard of the plan once: the merged result, or why not (naming the files).
std::optional<RunResults> merge(const std::vector<std::string>& names, std::vector<RunResults>& results, std::string& error) {
  const ResultPlan& plan = results[0].plan;
  std::map<uint64_t, size_t> by_shard;  // shard -> its file
  for (size_t i = 0; i < results.size(); ++i) {
    if (std::string why = plan.differs_from(results[i].plan); !why.empty()) {
      error = fmt::format("{} does not belong with {}: {}", names[i], names[0], why);
      return std::nullopt;
    }
    auto [it, fresh] = by_shard.emplace(results[i].shard, i);
    if (!fresh) {
      error = fmt::format("shard {}/{} is given twice: {} and {}", results[i].shard + 1, plan.shards, names[it->second], names[i]);
      return std::nullopt;
    }
  }
  std::string missing;
  for (uint64_t k = 0; k < plan.shards && missing.size() < 200; ++k)
    if (!by_shard.contains(k)) missing += fmt::format("{}{}/{}", missing.empty() ? "" : ", ", k + 1, plan.shards);
  if (!missing.empty()) {
    error = fmt::format("shard {} {} missing: the results cover only part of the plan", missing,
                        by_shard.size() + 1 == plan.shards ? "is" : "are");
    return std::nullopt;
  }
  RunResults merged;
  merged.plan = plan;
  merged.plan.shards = 1;
  for (RunResults& r : results) {
    merged.stopped |= r.stopped;
    merged.wall_seconds = std::max(merged.wall_seconds, r.wall_seconds);  // the shards ran side by side
    for (ResultRun& run : r.runs) merged.runs.push_back(std::move(run));
  }
  std::sort(merged.runs.begin(), merged.runs.end(), [](const ResultRun& a, const ResultRun& b) { return a.index < b.index; });
  return merged;
}

}  // namespace

int cmd_merge(const MergeArgs& args) {
  if (args.results.empty()) return usage_error("merge: name the result files (sweep --json, test --json)");
  Outputs outputs;
  if (std::string error = open_outputs(args.results, {{"--junit", args.junit}, {"--json", args.json}}, args.force, outputs); !error.empty())
    return usage_error(error);
  const auto refuse = [&](const std::string& why) {
    discard_outputs(outputs);
    return invalid(why);
  };
  std::vector<RunResults> results;
  for (const std::string& name : args.results) {
    std::ifstream in(name, std::ios::binary);
    if (!in) return refuse(fmt::format("{}: cannot read it", name));
    std::error_code ec;
    if (const auto size = std::filesystem::file_size(name, ec); !ec && size >= static_cast<uintmax_t>(kMaxResultBytes))
      return refuse(fmt::format("{}: too big for a result", name));
    std::ostringstream buf;
    buf << in.rdbuf();
    const std::string text = buf.str();
    std::string error;
    auto r = RunResults::parse(text, error);
    if (!r) return refuse(fmt::format("{}: {}", name, error));
    results.push_back(std::move(*r));
  }
  std::string error;
  const auto merged = merge(args.results, results, error);
  if (!merged) return refuse(error);

  std::ostream& out = any_to_stdout(outputs) ? std::cerr : std::cout;
  const ResultPlan& plan = merged->plan;
  const auto file_of = [&](const ResultRun& run) { return plan.files[run.index / plan.per_file()].path; };
  std::vector<const RunReport*> not_passed;
  size_t passed = 0, failed = 0, errors = 0;
  for (const ResultRun& run : merged->runs) {
    const Verdict v = verdict_of(run.report);
    passed += v == Verdict::passed;
    failed += v == Verdict::failed;
    errors += v == Verdict::error;
    if (v != Verdict::passed) not_passed.push_back(&run.report);
  }
  int code;
  if (plan.command == "sweep") {
    std::sort(not_passed.begin(), not_passed.end(), [](const RunReport* a, const RunReport* b) { return a->seed < b->seed; });
    print_sweep_summary(out, not_passed, passed, merged->stopped, plan.runs() - merged->runs.size());
    code = sweep_exit_code(not_passed);
  } else {
    const bool github = on_github_actions();
    for (const ResultRun& run : merged->runs) print_test_run(out, file_of(run), run.report, github);
    print_test_count(out, passed, failed, errors);
    code = errors > 0 ? lua::kExitInvalid : failed > 0 ? lua::kExitViolation : lua::kExitOk;
  }
  if (outputs[0]) {
    std::vector<JunitCase> cases;
    for (const ResultRun& run : merged->runs) cases.push_back({file_of(run), &run.report});
    write_junit(outputs[0]->stream(), cases);
  }
  if (outputs[1]) outputs[1]->stream() << merged->to_json();
  if (!commit_outputs(outputs)) return lua::kExitIoError;
  return code;
}

}  // namespace sim::cli
