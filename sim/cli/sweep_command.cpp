#include "sim/cli/sweep_command.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <optional>
#include <tuple>
#include <thread>

#include <fmt/format.h>

#include "sim/cli/child_runs.hpp"
#include "sim/cli/junit.hpp"
#include "sim/cli/output_file.hpp"
#include "sim/cli/run_outcome.hpp"
#include "sim/cli/run_results.hpp"
#include "sim/cli/run_summary.hpp"
#include "sim/lua/runtime.hpp"

namespace sim::cli {

namespace {

// A bar on a terminal; otherwise a plain line at each tenth, so CI logs stay short.
class Progress {
 public:
  Progress(size_t total) : total_(total), tty_(::isatty(STDERR_FILENO)) {}
  void update(size_t done, size_t failed) {
    if (tty_) {
      constexpr size_t width = 30;
      const size_t filled = total_ == 0 ? width : done * width / total_;
      std::cerr << fmt::format("\r[{}{}] {}/{} seeds, {} failed", std::string(filled, '#'),
                               std::string(width - filled, ' '), done, total_, failed)
                << std::flush;
    } else if (done == total_ || done * 10 / total_ != (done - 1) * 10 / total_) {
      std::cerr << fmt::format("{}/{} seeds, {} failed\n", done, total_, failed);
    }
  }
  void end() {
    if (tty_) std::cerr << "\n";
  }

 private:
  size_t total_;
  bool tty_;
};

// This machine's share of the seeds. Seed i of the range belongs to shard i mod N, so shards
// interleave and each sees early seeds: this shard's k-th run is seed first + shard + k * N.
struct SeedShare {
  uint64_t first = 0;
  uint64_t last = 0;
  uint64_t shard = 0;
  uint64_t shards = 1;

  size_t count() const { return static_cast<size_t>(share_size(last - first + 1, shard, shards)); }
  uint64_t seed(size_t k) const { return first + shard + k * shards; }
};

// The seeds and the options every run shares, from the arguments; a usage message when they
// are wrong.
std::string plan_sweep(const SweepArgs& args, SeedShare& share, lua::RunOptions& base, ResultPlan& plan) {
  const auto range = parse_seed_range(args.seeds);
  if (!range) return fmt::format("--seeds {}: write a seed or a range, as in 1..100", args.seeds);
  if (range->second - range->first >= kMaxSeeds) {
    return fmt::format("--seeds {}: at most {} seeds in one sweep (split the range with --shard)", args.seeds, kMaxSeeds);
  }
  if (!std::filesystem::is_regular_file(args.scenario)) return fmt::format("{}: no such scenario file", args.scenario);
  if (std::string error = check_run_limits(args.timeout, args.jobs); !error.empty()) return error;
  share.first = range->first;
  share.last = range->second;
  if (!args.shard.empty()) {
    const auto shard = parse_shard(args.shard);
    if (!shard) return fmt::format("--shard {}: write K/N with 1 <= K <= N, as in 2/4", args.shard);
    std::tie(share.shard, share.shards) = *shard;
  }
  base.path = args.scenario;
  base.skip_teardown = true;  // each run is a child process that exits after it
  plan = {"sweep", this_build(), {{args.scenario, scenario_digest(args.scenario)}}, range, args.sets, args.timeout, share.shards};
  return parse_sets(args.sets, base.sets);
}

// What the sweep found: the seeds that did not pass, and those that passed (counted; kept
// too when a result or JUnit file is written).
struct Tally {
  std::vector<RunReport> failed;
  size_t passed = 0;
  std::vector<ResultRun> runs;  // every run, by index, when kept
  bool stopped = false;  // at the first failure (--stop-on-first)
  size_t not_run = 0;
  std::string usage_error;  // the command's own, the same for every seed
};

Tally run_sweep(const SweepArgs& args, const SeedShare& share, const lua::RunOptions& base, bool keep_runs) {
  const size_t count = share.count();
  auto options_of = [&](size_t k) {
    lua::RunOptions o = base;
    o.seed = share.seed(k);
    return o;
  };
  const unsigned jobs = args.jobs > 0 ? args.jobs : std::max(1u, std::thread::hardware_concurrency());
  Tally tally;
  size_t done = 0;
  Progress progress(count);
  tally.not_run = ChildRuns(jobs, args.timeout).run(count, options_of, [&](size_t, const RunReport& r) {
    if (r.end == RunReport::End::finished && r.exit_code == lua::kExitUsage) {
      // A usage error (an unknown --set, say) is the command's, the same for every seed.
      tally.usage_error = r.failure;
      return false;
    }
    ++done;
    if (verdict_of(r) == Verdict::passed) ++tally.passed;
    else tally.failed.push_back(r);
    if (keep_runs) tally.runs.push_back({r.seed - share.first, r});
    progress.update(done, tally.failed.size());
    if (!tally.failed.empty() && args.stop_on_first) {
      tally.stopped = true;
      return false;
    }
    return true;
  });
  progress.end();
  std::sort(tally.failed.begin(), tally.failed.end(), [](const RunReport& a, const RunReport& b) { return a.seed < b.seed; });
  std::sort(tally.runs.begin(), tally.runs.end(), [](const ResultRun& a, const ResultRun& b) { return a.index < b.index; });
  return tally;
}

}  // namespace

int cmd_sweep(const SweepArgs& args) {
  SeedShare share;
  lua::RunOptions base;
  ResultPlan plan;
  if (std::string error = plan_sweep(args, share, base, plan); !error.empty()) return usage_error(error);
  Outputs outputs;
  if (std::string error = open_outputs({args.scenario}, {{"--json", args.json}, {"--junit", args.junit}}, args.force, outputs);
      !error.empty())
    return usage_error(error);
  const auto start = std::chrono::steady_clock::now();
  const Tally tally = run_sweep(args, share, base, !args.json.empty() || !args.junit.empty());
  if (!tally.usage_error.empty()) {
    discard_outputs(outputs);
    return usage_error(tally.usage_error);
  }
  std::vector<const RunReport*> not_passed;
  for (const RunReport& r : tally.failed) not_passed.push_back(&r);
  print_sweep_summary(any_to_stdout(outputs) ? std::cerr : std::cout, not_passed, tally.passed, tally.stopped, tally.not_run);
  if (outputs[0]) {
    RunResults result{plan, share.shard, tally.stopped, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                      tally.runs};
    outputs[0]->stream() << result.to_json();
  }
  if (outputs[1]) {
    std::vector<JunitCase> cases;
    for (const ResultRun& run : tally.runs) cases.push_back({args.scenario, &run.report});
    write_junit(outputs[1]->stream(), cases);
  }
  // CI reads the files: a sweep whose result was lost has not told its outcome.
  if (!commit_outputs(outputs)) return lua::kExitIoError;
  return sweep_exit_code(not_passed);
}

}  // namespace sim::cli
