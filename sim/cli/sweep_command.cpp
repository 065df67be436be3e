#include "sim/cli/sweep_command.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "sim/cli/child_runs.hpp"
#include "sim/cli/run_outcome.hpp"
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

}  // namespace

int cmd_sweep(const SweepArgs& args) {
  auto usage = [](const std::string& msg) {
    std::cerr << "kafkasim: " << msg << "\n";
    return lua::kExitUsage;
  };
  const auto range = parse_seed_range(args.seeds);
  if (!range) return usage(fmt::format("--seeds {}: write a seed or a range, as in 1..100", args.seeds));
  if (range->second - range->first >= kMaxSeeds) {
    return usage(fmt::format("--seeds {}: at most {} seeds in one sweep (split the range with --shard)", args.seeds, kMaxSeeds));
  }
  if (!std::filesystem::is_regular_file(args.scenario)) return usage(fmt::format("{}: no such scenario file", args.scenario));
  if (!(args.timeout >= 0)) return usage("--timeout: a number of seconds (0: no limit)");
  if (args.jobs > kMaxJobs) return usage(fmt::format("-j {}: at most {} processes at once", args.jobs, kMaxJobs));
  size_t shard = 0, shards = 1;
  if (!args.shard.empty()) {
    const auto parts = split(args.shard, '/');
    const auto k = parts.size() == 2 ? parse_seed(parts[0]) : std::nullopt;
    const auto n = parts.size() == 2 ? parse_seed(parts[1]) : std::nullopt;
    if (!k || !n || *k < 1 || *k > *n || *n > kMaxSeeds) return usage(fmt::format("--shard {}: write K/N with 1 <= K <= N, as in 2/4", args.shard));
    shard = *k - 1;
    shards = *n;
  }
  lua::RunOptions base;
  base.path = args.scenario;
  base.skip_teardown = true;  // each run is a child process that exits after it
  for (const auto& kv : args.sets) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) return usage(fmt::format("--set {}: write it as name=value", kv));
    base.sets.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }

  // Seed i of the range belongs to shard i mod N, so shards interleave and each sees early seeds:
  // this shard's k-th run is seed first + shard + k * N. Made as each run starts.
  const uint64_t span = range->second - range->first + 1;
  const size_t count = span > shard ? static_cast<size_t>((span - shard + shards - 1) / shards) : 0;
  auto options_of = [&](size_t k) {
    lua::RunOptions o = base;
    o.seed = range->first + shard + k * shards;
    return o;
  };
  const unsigned jobs = args.jobs > 0 ? args.jobs : std::max(1u, std::thread::hardware_concurrency());

  std::vector<RunReport> results;  // the seeds that did not pass: those passed are only counted
  size_t passed = 0, done = 0;
  bool stopped = false;
  std::string usage_error;
  Progress progress(count);
  const size_t not_run = ChildRuns(jobs, args.timeout).run(count, options_of, [&](size_t, const RunReport& r) {
    if (r.end == RunReport::End::finished && r.exit_code == lua::kExitUsage) {
      // A usage error (an unknown --set, say) is the command's, the same for every seed.
      usage_error = r.failure;
      return false;
    }
    ++done;
    if (r.end == RunReport::End::finished && r.exit_code == lua::kExitOk) ++passed;
    else results.push_back(r);
    progress.update(done, results.size());
    if (!results.empty() && args.stop_on_first) {
      stopped = true;
      return false;
    }
    return true;
  });
  progress.end();
  if (!usage_error.empty()) return usage(usage_error);

  std::sort(results.begin(), results.end(), [](const RunReport& a, const RunReport& b) { return a.seed < b.seed; });
  std::map<std::string, size_t> seeds_by_kind;
  bool errors = false;  // a seed that could not be judged, as test counts errors
  for (const RunReport& r : results) {
    errors |= r.end != RunReport::End::finished || r.exit_code != lua::kExitViolation;
    for (const auto& k : r.kinds) ++seeds_by_kind[k];
    std::cout << fmt::format("FAIL  seed {}: {}\n", r.seed, one_line(r.failure));
    if (!r.kinds.empty()) {
      std::string kinds;
      for (const auto& k : r.kinds) kinds += (kinds.empty() ? "" : ", ") + k;
      std::cout << fmt::format("      anomalies: {}\n", kinds);
    }
    if (!r.replay.empty()) std::cout << fmt::format("      replay: {}\n", r.replay);
  }
  if (!seeds_by_kind.empty()) {
    std::string kinds;
    for (const auto& [k, n] : seeds_by_kind) kinds += fmt::format("{}{} ({} seed{})", kinds.empty() ? "" : ", ", k, n, n == 1 ? "" : "s");
    std::cout << fmt::format("anomalies in failing seeds: {}\n", kinds);
  }
  if (stopped) std::cout << fmt::format("stopped at the first failure; {} seeds not run\n", not_run);
  std::cout << fmt::format("{} passed, {} failed\n", passed, results.size());
  if (errors) return lua::kExitInvalid;
  return results.empty() ? lua::kExitOk : lua::kExitViolation;
}

}  // namespace sim::cli
